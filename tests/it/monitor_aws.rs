//! `devloop monitor` on ECS as a new user meets it: a moto service with logs and metrics put in
//! beforehand shows the service, its deployment, the numbers and the log lines; `--follow` picks
//! up a task that starts later; `--check` passes on a steady service and fails, saying why, on a
//! failing deployment.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use crate::support::peers::{live_service, CLUSTER, SERVICE};
use crate::support::*;

/// moto (started with `env`) running the service of `live_service`, and a project monitoring it.
fn start(env: &[(&str, &str)]) -> TestContext {
    let ctx = TestContext::new().with_moto(env);
    live_service(ctx.moto(), "busybox:1.36", "");
    let cfg = format!(
        "[app]\nname = \"web\"\n[aws]\nendpoint_url = \"{}\"\n[deploy]\ntarget = \"ecs\"\n[deploy.ecs]\ncluster = \"{CLUSTER}\"\nservice = \"{SERVICE}\"\ncontainer = \"app\"\n",
        ctx.moto().url()
    );
    ctx.with_files(&[("devloop.toml", &cfg)])
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Put `(milliseconds ago, message)` events into a stream of the service's log group.
fn put_logs(moto: &Moto, stream: &str, events: &[(i64, &str)]) {
    moto.logs("CreateLogGroup", r#"{"logGroupName":"/ecs/web"}"#);
    moto.logs(
        "CreateLogStream",
        &format!(r#"{{"logGroupName":"/ecs/web","logStreamName":"{stream}"}}"#),
    );
    let now = now_ms();
    let list: Vec<String> = events
        .iter()
        .map(|(ago, m)| format!(r#"{{"timestamp":{},"message":"{m}"}}"#, now - ago))
        .collect();
    let out = moto.logs(
        "PutLogEvents",
        &format!(
            r#"{{"logGroupName":"/ecs/web","logStreamName":"{stream}","logEvents":[{}]}}"#,
            list.join(",")
        ),
    );
    assert!(out.get("nextSequenceToken").is_some(), "{out}");
}

/// Put a datapoint of an AWS/ECS metric of the service, `minutes` ago.
fn put_metric(moto: &Moto, metric: &str, value: f64, minutes: u64) {
    let at = SystemTime::now() - Duration::from_secs(minutes * 60);
    let at = humantime::format_rfc3339_seconds(at).to_string();
    let value = value.to_string();
    let out = moto.cloudwatch(
        "PutMetricData",
        &[
            ("Namespace", "AWS/ECS"),
            ("MetricData.member.1.MetricName", metric),
            ("MetricData.member.1.Value", &value),
            ("MetricData.member.1.Unit", "Percent"),
            ("MetricData.member.1.Timestamp", &at),
            (
                "MetricData.member.1.Dimensions.member.1.Name",
                "ClusterName",
            ),
            ("MetricData.member.1.Dimensions.member.1.Value", CLUSTER),
            (
                "MetricData.member.1.Dimensions.member.2.Name",
                "ServiceName",
            ),
            ("MetricData.member.1.Dimensions.member.2.Value", SERVICE),
        ],
    );
    assert!(out.contains("PutMetricDataResponse"), "{out}");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_steady_service_shows_its_deployment_and_numbers_and_passes_the_check() {
    let ctx = start(&[("MOTO_ECS_SERVICE_RUNNING", "1")]);
    for (value, minutes) in [(10.0, 30), (30.0, 20), (20.0, 10)] {
        put_metric(ctx.moto(), "CPUUtilization", value, minutes);
    }
    put_metric(ctx.moto(), "MemoryUtilization", 50.0, 5);
    let r = ctx.run(["monitor"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for expected in [
        "main/web (ecs target",
        "verdict   healthy (web:1 runs 1 of 1 desired tasks)",
        "replicas  1/1 running",
        "PRIMARY  web:1  release (unknown)  1/1 running, 0 pending, 0 failed  rollout COMPLETED",
        "cpu      20.0%  (min 10.0%, max 30.0%)  ▁█▅",
        "memory   50.0%",
    ] {
        assert!(
            r.stdout.contains(expected),
            "{expected:?} not in:\n{}",
            r.stdout
        );
    }
    let r = ctx.run(["-o", "json", "monitor"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc = r.json();
    let cpu = &doc["metrics"][0];
    assert_eq!(cpu["name"], "cpu");
    assert_eq!(
        (
            cpu["latest"].as_f64(),
            cpu["min"].as_f64(),
            cpu["max"].as_f64()
        ),
        (Some(20.0), Some(10.0), Some(30.0))
    );
    assert_eq!(cpu["points"].as_array().unwrap().len(), 3);
    assert_eq!(doc["deployments"][0]["revision"], "web:1");
    assert_eq!(doc["verdict"], "healthy");
    let r = ctx.run(["monitor", "--check"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_failing_deployment_fails_the_check_and_says_why() {
    let ctx = start(&[("MOTO_ECS_SERVICE_FAILED_TASKS", "2")]);
    let r = ctx.run(["monitor", "--check"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(
            "check failed: main/web is unhealthy: failing: 2 task(s) of the deployment of web:1"
        ),
        "{}",
        r.stderr
    );
}

const A: &str = "web/app/aaaaaaaa11112222333344445555";
const B: &str = "web/app/bbbbbbbb11112222333344445555";

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn logs_of_all_tasks_are_interleaved_once_each_with_short_task_ids() {
    let ctx = start(&[]);
    put_logs(
        ctx.moto(),
        A,
        &[(50_000, "a1 started"), (30_000, "a2 serving")],
    );
    put_logs(ctx.moto(), B, &[(40_000, "b1 started")]);
    put_logs(
        ctx.moto(),
        "web/sidecar/cccccccc1111",
        &[(35_000, "sidecar noise")],
    );
    let lines = |args: &[&str]| -> Vec<String> {
        let r = ctx.devloop(["monitor", "--logs"]).args(args).run();
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        r.stdout
            .lines()
            .map(|l| {
                l.split_once(' ')
                    .and_then(|(_, rest)| rest.split_once(' '))
                    .map(|(_, rest)| rest.to_string())
                    .unwrap_or_default()
            })
            .collect()
    };
    assert_eq!(
        lines(&[]),
        [
            "aaaaaaaa | a1 started",
            "bbbbbbbb | b1 started",
            "aaaaaaaa | a2 serving"
        ]
    );
    assert_eq!(lines(&["--tail", "1"]), ["aaaaaaaa | a2 serving"]);
    assert_eq!(
        lines(&["--filter", "started"]),
        ["aaaaaaaa | a1 started", "bbbbbbbb | b1 started"]
    );
    assert!(lines(&["--since", "10s"]).is_empty());
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn follow_picks_up_a_task_that_starts_later_and_repeats_nothing() {
    let ctx = start(&[]);
    put_logs(ctx.moto(), A, &[(20_000, "a1 started")]);
    let mut child = ctx
        .devloop(["monitor", "--logs", "--follow"])
        .spawn_with(Stdio::piped(), Stdio::null());
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let next = || rx.recv_timeout(Duration::from_secs(20)).ok();
    let first = next();
    // A new task's stream, and a new line of the old one, after following started.
    put_logs(ctx.moto(), B, &[(0, "b1 started late")]);
    put_logs(ctx.moto(), A, &[(0, "a2 after start")]);
    let (second, third) = (next(), next());
    // Several more polls: nothing may come twice.
    std::thread::sleep(Duration::from_secs(4));
    let _ = child.kill();
    let _ = child.wait();
    let extra: Vec<String> = rx.try_iter().collect();
    let got: Vec<String> = [first, second, third].into_iter().flatten().collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got[0].ends_with("aaaaaaaa | a1 started"), "{got:?}");
    assert!(
        got[1..]
            .iter()
            .any(|l| l.ends_with("bbbbbbbb | b1 started late")),
        "{got:?}"
    );
    assert!(
        got[1..]
            .iter()
            .any(|l| l.ends_with("aaaaaaaa | a2 after start")),
        "{got:?}"
    );
    assert!(extra.is_empty(), "repeated or unexpected lines: {extra:?}");
}
