//! Whole rollouts — register, update, watch, devloop's own rollback, the deploy lock — against
//! the AWS peer: ECS as the live service answers it over real HTTP, with deployments that move
//! along the clock (tests/peer/ecs.py). Each test ends in its verdict and counts the calls that
//! changed something.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use aws_sdk_ecs::types::{Service, ServiceDeploymentStatus};
use serde_json::json;

use super::fixture::{ctx, record, within, Fixture, NEW_IMAGE};
use crate::deploy::ecs::rollout::service_deployments;
use crate::deploy::ecs::Ecs;
use crate::deploy::{Locking, Outcome, Rollout};
use crate::error::ExitKind;
use crate::release::Record;

/// A release other than the one `record()` gives.
const OTHER_IMAGE: &str = "reg.example/team/web@sha256:3333333333333333";

/// The peer's scenarios at half speed: a rollout completes in 1 s, the breaker trips in 1.25 s.
const SCALE: f64 = 0.5;

/// A deployment that fails without ECS rolling it back (no breaker rollback: an alarm, say).
fn fails_without_rollback() -> serde_json::Value {
    json!([
        {"at": 0, "rollout_state": "IN_PROGRESS", "running": 0, "pending": 2,
         "events": ["(service {service}) has started 2 tasks: (task {task}) (task {task})."]},
        {"at": 0.5, "failed_tasks": 1},
        {"at": 1.0, "rollout_state": "FAILED", "reason": "CloudWatch alarm web-5xx is in ALARM state.",
         "events": ["(service {service}) (deployment {deployment}) deployment failed: alarm(s) web-5xx in ALARM state."]}
    ])
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn success_after_several_in_progress_polls() {
    let f = Fixture::new("ok-web", "rollback = \"auto\"\n", &[]).await;
    f.script(json!(["completes"]), SCALE);
    let ecs = f.ecs();
    let out = f.deploy(&ecs, &record(), &within(30)).await.unwrap();
    match &out {
        Outcome::Deployed(m) => {
            assert!(m.contains("web:2"), "{m}");
            assert!(m.contains("release 20260101T000000Z-abc1234"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        f.count("RegisterTaskDefinition"),
        2,
        "setup's, then devloop's"
    );
    let registered = &f.calls("RegisterTaskDefinition")[1]["json"];
    assert_eq!(
        registered["containerDefinitions"][0]["image"], NEW_IMAGE,
        "{registered}"
    );
    let updates = f.calls("UpdateService");
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["json"]["taskDefinition"], f.revision(2));
    assert_eq!(f.count("StopServiceDeployment"), 0);
    // One read right after the update and more while the deployment was IN_PROGRESS.
    assert!(
        f.count("DescribeServices") >= 3,
        "{}",
        f.count("DescribeServices")
    );
    let state = f.state();
    assert_eq!(state["taskDefinition"], f.revision(2).as_str(), "{state}");
    assert_eq!(state["deployments"].as_array().unwrap().len(), 1, "{state}");
    assert_eq!(state["deployments"][0]["rolloutState"], "COMPLETED");
    // The lock was taken and given back.
    assert_eq!(f.count("TagResource"), 1);
    assert_eq!(f.count("UntagResource"), 1);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn a_circuit_breaker_rollback_is_exit_3_and_says_why() {
    let f = Fixture::new("cb-web", "rollback = \"auto\"\n", &[]).await;
    f.script(json!(["circuit_breaker"]), SCALE);
    let ecs = f.ecs();
    let out = f.deploy(&ecs, &record(), &within(30)).await.unwrap();
    match &out {
        Outcome::RolledBack(fail) => {
            let m = &fail.message;
            assert!(m.contains("ECS rolled the service back to web:1"), "{m}");
            assert!(m.contains("tasks failed to start"), "{m}");
            assert!(!m.contains("no reason given"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        f.count("UpdateService"),
        1,
        "ECS rolled back itself: devloop changed nothing more"
    );
    assert_eq!(f.count("RegisterTaskDefinition"), 2);
    assert_eq!(f.count("StopServiceDeployment"), 0);
    let state = f.state();
    assert_eq!(state["taskDefinition"], f.old.as_str(), "{state}");
    assert_eq!(state["deployments"].as_array().unwrap().len(), 1, "{state}");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn a_failed_deployment_is_rolled_back_by_devloop_with_auto() {
    let f = Fixture::new("auto-web", "rollback = \"auto\"\n", &[]).await;
    // Ours fails; devloop's own update back to web:1 then completes.
    f.script(json!([fails_without_rollback(), "completes"]), SCALE);
    let ecs = f.ecs();
    let out = f.deploy(&ecs, &record(), &within(30)).await.unwrap();
    match &out {
        Outcome::RolledBack(fail) => {
            let m = &fail.message;
            assert_eq!(
                m.matches("CloudWatch alarm web-5xx is in ALARM state.")
                    .count(),
                1,
                "said once: {m}"
            );
            assert!(
                m.contains("devloop rolled ECS service main/auto-web back to web:1"),
                "{m}"
            );
            assert!(!m.contains("no reason given"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    let updates = f.calls("UpdateService");
    assert_eq!(updates.len(), 2, "the update, then devloop's rollback");
    assert_eq!(updates[0]["json"]["taskDefinition"], f.revision(2));
    assert_eq!(updates[1]["json"]["taskDefinition"], f.old.as_str());
    assert_eq!(
        f.count("RegisterTaskDefinition"),
        2,
        "the rollback registers nothing"
    );
    assert_eq!(f.count("StopServiceDeployment"), 0);
    let state = f.state();
    assert_eq!(state["taskDefinition"], f.old.as_str(), "{state}");
    assert_eq!(state["deployments"][0]["rolloutState"], "COMPLETED");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn a_failed_deployment_with_manual_rollback_is_exit_1_with_the_command() {
    let f = Fixture::new("manual-web", "rollback = \"manual\"\n", &[]).await;
    f.script(json!([fails_without_rollback()]), SCALE);
    let ecs = f.ecs();
    let out = f.deploy(&ecs, &record(), &within(30)).await.unwrap();
    match out {
        Outcome::Failed(fail) => {
            assert!(
                fail.message.contains("the deployment of web:2 failed"),
                "{}",
                fail.message
            );
            assert_eq!(
                fail.message
                    .matches("CloudWatch alarm web-5xx is in ALARM state.")
                    .count(),
                1,
                "said once: {}",
                fail.message
            );
            assert!(
                fail.hint.unwrap_or_default().contains("devloop rollback"),
                "the hint names the command"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        f.count("UpdateService"),
        1,
        "manual: devloop rolls nothing back"
    );
    assert_eq!(f.count("StopServiceDeployment"), 0);
    let state = f.state();
    assert_eq!(state["taskDefinition"], f.revision(2).as_str(), "{state}");
    assert_eq!(state["deployments"][0]["rolloutState"], "FAILED");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn a_rollout_that_never_settles_times_out_with_its_state() {
    let f = Fixture::new("stuck-web", "", &[]).await;
    f.script(json!(["never"]), SCALE);
    let ecs = f.ecs();
    let started = Instant::now();
    let out = f.deploy(&ecs, &record(), &within(3)).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    match out {
        Outcome::TimedOut(fail) => {
            let m = &fail.message;
            assert!(m.contains("did not settle on web:2"), "{m}");
            assert!(m.contains("0 of 2 running, 2 pending"), "{m}");
            assert!(m.contains("service deployment IN_PROGRESS"), "{m}");
            assert!(fail.hint.unwrap_or_default().contains("devloop rollback"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(f.count("UpdateService"), 1);
    assert_eq!(f.count("StopServiceDeployment"), 0);
    assert_eq!(
        f.count("UntagResource"),
        1,
        "the lock is released on a timeout too"
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn another_deployment_during_ours_is_a_failure_not_a_success() {
    let f = Fixture::new("busy-web", "", &[]).await;
    f.script(json!(["superseded"]), SCALE);
    let ecs = f.ecs();
    let out = f.deploy(&ecs, &record(), &within(30)).await.unwrap();
    match out {
        Outcome::Failed(fail) => assert!(
            fail.message.contains("another deployment (web:3)"),
            "{}",
            fail.message
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(f.count("UpdateService"), 1);
    assert_eq!(f.count("RegisterTaskDefinition"), 2);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn throttled_and_failing_reads_mid_rollout_change_no_verdict() {
    let f = Fixture::new("slow-web", "", &[]).await;
    // At full speed and then some: the throttled reads end well before the rollout does.
    f.script(json!(["completes"]), 2.0);
    let ecs = f.ecs();
    // The rollout's first reads after UpdateService: three DescribeServices in a row throttled
    // (every attempt of the SDK's retries), and three ListServiceDeployments answering 503.
    let ctx = ctx("deploy");
    let live = ecs.live(&f.client).await.unwrap();
    f.peer.throttle("ecs", "DescribeServices", 3);
    f.peer.control(
        "throttle",
        json!({"service": "ecs", "action": "ListServiceDeployments", "count": 3, "status": 503}),
    );
    let out = ecs
        .rollout(
            &f.client,
            live,
            &record(),
            &ctx,
            Instant::now() + Duration::from_secs(30),
        )
        .await
        .unwrap();
    assert!(
        matches!(out, Outcome::Deployed(ref m) if m.contains("web:2")),
        "{out:?}"
    );
    assert_eq!(f.count("UpdateService"), 1);
    // live's read, the three throttled attempts, and the reads until the deployment completed.
    let reads = f.count("DescribeServices");
    assert!(reads > 1 + 3 + 1, "{reads}");
    // A 503 is no news, not a missing API: devloop kept asking the service deployments API.
    assert!(
        f.count("ListServiceDeployments") > 3,
        "{}",
        f.count("ListServiceDeployments")
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn with_months_of_service_deployments_the_verdict_reads_the_one_devloop_started() {
    let f = Fixture::new("hist-web", "", &[]).await;
    let history = f.control("ecs/history", json!({"count": 45}));
    assert_eq!(history["serviceDeployments"], 46, "{history}");
    f.script(json!(["never"]), SCALE);
    let ecs = f.ecs();
    let out = f.deploy(&ecs, &record(), &within(2)).await.unwrap();
    match out {
        Outcome::TimedOut(fail) => assert!(
            fail.message.contains("(service deployment IN_PROGRESS)"),
            "the verdict names devloop's deployment, not an old SUCCESSFUL one: {}",
            fail.message
        ),
        other => panic!("{other:?}"),
    }
    // Every read asked only for deployments created since the update (less a few seconds).
    let update_at = f.calls("UpdateService")[0]["at"].as_f64().unwrap();
    let reads = f.calls("ListServiceDeployments");
    assert!(!reads.is_empty());
    for read in &reads {
        let after = read["json"]["createdAt"]["after"].as_f64().unwrap_or(0.0);
        assert!(after > update_at - 10.0, "{read}");
    }
    // Without the filter, every page is followed: 45 old + the first + ours, 20 a page.
    let settings = ecs.settings.clone();
    let all = service_deployments(&f.client, &settings, None, &[])
        .await
        .unwrap();
    assert_eq!(all.len(), 47);
    let paged = f.calls("ListServiceDeployments")[reads.len()..].to_vec();
    assert_eq!(paged.len(), 3, "{paged:?}");
    assert!(paged[1]["json"]["nextToken"].is_string(), "{paged:?}");
    let newest = all
        .iter()
        .max_by_key(|d| d.created_at().map(|t| (t.secs(), t.subsec_nanos())))
        .unwrap();
    assert_eq!(newest.status(), Some(&ServiceDeploymentStatus::InProgress));
    assert_eq!(f.count("UpdateService"), 1);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn rollback_stops_a_deployment_in_progress_with_ecs_s_rollback() {
    let f = Fixture::new("stop-web", "", &[]).await;
    f.control("ecs/history", json!({"count": 25}));
    f.script(json!(["never"]), SCALE);
    let ecs = f.ecs();
    let out = f.deploy(&ecs, &record(), &within(1)).await.unwrap();
    assert!(matches!(out, Outcome::TimedOut(_)), "{out:?}");
    // What `devloop rollback` finds: the service deployment still in progress.
    let settings = ecs.settings.clone();
    let running = service_deployments(
        &f.client,
        &settings,
        None,
        &[
            ServiceDeploymentStatus::InProgress,
            ServiceDeploymentStatus::Pending,
        ],
    )
    .await
    .unwrap();
    assert_eq!(running.len(), 1, "{running:?}");
    let arn = running[0].service_deployment_arn().unwrap().to_string();
    let ctx = ctx("rollback");
    let out = ecs
        .stop_with_rollback(
            &f.client,
            &arn,
            &ctx,
            Instant::now() + Duration::from_secs(30),
        )
        .await
        .unwrap();
    assert!(
        matches!(out, Outcome::Deployed(ref m) if m.contains("back to web:1")),
        "{out:?}"
    );
    let stops = f.calls("StopServiceDeployment");
    assert_eq!(stops.len(), 1);
    assert_eq!(stops[0]["json"]["serviceDeploymentArn"], arn.as_str());
    assert_eq!(stops[0]["json"]["stopType"], "ROLLBACK");
    assert_eq!(
        f.count("UpdateService"),
        1,
        "ECS's rollback, not a new update"
    );
    let state = f.state();
    assert_eq!(state["taskDefinition"], f.old.as_str(), "{state}");
    assert_eq!(state["deployments"].as_array().unwrap().len(), 1, "{state}");
}

/// A service whose update to web:2 has tripped the circuit breaker: three tasks of web:2 stopped.
/// Returns the service as DescribeServices shows it then, and web:2's ARN.
async fn breaker_tripped(f: &Fixture, ecs: &Ecs) -> (Service, String) {
    f.script(json!(["circuit_breaker"]), SCALE);
    let new = f.register(NEW_IMAGE).await;
    ecs.update(&f.client, &new).await.unwrap();
    let until = Instant::now() + Duration::from_secs(10);
    while f.state()["deployments"]
        .as_array()
        .is_none_or(|d| !d.iter().any(|d| d["failedTasks"] == 3))
    {
        assert!(Instant::now() < until, "{}", f.state());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (ecs.service(&f.client).await.unwrap(), new)
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn events_print_once_each() {
    let f = Fixture::new("events-web", "", &[]).await;
    let ecs = f.ecs();
    let (svc, new) = breaker_tripped(&f, &ecs).await;
    let ctx = ctx("deploy");
    // The stopped tasks cannot be read this time (ListTasks throttled past the SDK's retries):
    // the events are printed all the same, never lost.
    f.peer.throttle("ecs", "ListTasks", 3);
    let (mut events, mut stopped) = (HashSet::new(), HashSet::new());
    let (first, unread) = ecs
        .report(&f.client, &svc, &new, &mut events, &mut stopped, &ctx)
        .await;
    assert!(unread.is_some_and(|e| e.transient));
    // Every event once, oldest first as they happened (DescribeServices lists them newest
    // first, several within the same second).
    let printed: Vec<&str> = first
        .iter()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    let happened: Vec<&str> = svc
        .events()
        .iter()
        .rev()
        .map(|e| e.message().unwrap_or_default())
        .collect();
    assert_eq!(printed, happened);
    assert!(
        printed.contains(&"(service events-web) has reached a steady state."),
        "{printed:?}"
    );
    assert_eq!(
        printed
            .iter()
            .filter(|l| l.starts_with("(service events-web) has started 1 tasks: (task "))
            .count(),
        3,
        "a replacement task per failure: {printed:?}"
    );
    // The same events on the next poll: none is printed twice; the stopped tasks the throttled
    // read missed come now, once.
    let (second, _) = ecs
        .report(&f.client, &svc, &new, &mut events, &mut stopped, &ctx)
        .await;
    assert!(second.iter().all(|l| l.starts_with("task ")), "{second:?}");
    let (third, _) = ecs
        .report(&f.client, &svc, &new, &mut events, &mut stopped, &ctx)
        .await;
    assert!(third.is_empty(), "{third:?}");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn stopped_tasks_of_the_new_revision_say_why_once() {
    let f = Fixture::new("tasks-web", "", &[]).await;
    let ecs = f.ecs();
    let (svc, new) = breaker_tripped(&f, &ecs).await;
    let ctx = ctx("deploy");
    // Tasks of another revision are not this deploy's.
    let (mut events, mut stopped) = (HashSet::new(), HashSet::new());
    let (old, unread) = ecs
        .report(&f.client, &svc, &f.old, &mut events, &mut stopped, &ctx)
        .await;
    assert!(unread.is_none(), "{unread:?}");
    assert!(!old.iter().any(|l| l.starts_with("task ")), "{old:?}");
    let (mut events, mut stopped) = (HashSet::new(), HashSet::new());
    let (first, unread) = ecs
        .report(&f.client, &svc, &new, &mut events, &mut stopped, &ctx)
        .await;
    assert!(unread.is_none(), "{unread:?}");
    let tasks: Vec<&String> = first.iter().filter(|l| l.starts_with("task ")).collect();
    assert_eq!(tasks.len(), 3, "{first:?}");
    for t in tasks {
        assert!(
            t.ends_with("stopped: Essential container in task exited; app exit 1"),
            "{t}"
        );
    }
    // The same tasks on the next poll: nothing is printed twice, nothing is described again.
    let (second, unread) = ecs
        .report(&f.client, &svc, &new, &mut events, &mut stopped, &ctx)
        .await;
    assert!(unread.is_none(), "{unread:?}");
    assert!(second.is_empty(), "{second:?}");
    assert_eq!(
        f.count("DescribeTasks"),
        2,
        "once per set of tasks not seen before"
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn a_short_service_arn_is_refused_before_anything_is_registered_unless_no_lock() {
    let f = Fixture::new("short-web", "", &[]).await;
    f.control("ecs/short_arn", json!({"enabled": true}));
    f.script(json!(["completes"]), SCALE);
    let ecs = f.ecs();
    let err = f
        .deploy(&ecs, &record(), &within(30))
        .await
        .expect_err("a short ARN cannot carry the lock");
    assert_eq!(err.kind, ExitKind::Usage);
    assert_eq!(err.kind.code(), 2);
    assert!(err.message.contains("old-format ARN"), "{}", err.message);
    assert!(
        err.message
            .contains("arn:aws:ecs:us-east-1:123456789012:service/short-web"),
        "{}",
        err.message
    );
    let hint = err.hint.clone().unwrap_or_default();
    assert!(hint.contains("serviceLongArnFormat"), "{hint}");
    assert!(hint.contains("--no-lock"), "{hint}");
    for action in [
        "RegisterTaskDefinition",
        "UpdateService",
        "TagResource",
        "ListTagsForResource",
    ] {
        let setup = usize::from(action == "RegisterTaskDefinition");
        assert_eq!(f.count(action), setup, "{action}");
    }
    // --no-lock: deployed without a lock (the warning is on stderr, checked in deploy_ecs.rs).
    let how = Rollout {
        lock: Locking::Skip,
        ..within(30)
    };
    let out = f.deploy(&ecs, &record(), &how).await.unwrap();
    assert!(
        matches!(out, Outcome::Deployed(ref m) if m.contains("web:2")),
        "{out:?}"
    );
    assert_eq!(f.count("RegisterTaskDefinition"), 2);
    assert_eq!(f.count("UpdateService"), 1);
    assert_eq!(f.count("TagResource"), 0);
    assert_eq!(f.count("UntagResource"), 0);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn a_lock_whose_tag_reads_back_late_is_still_taken_and_released() {
    let f = Fixture::new("lag-web", "", &[]).await;
    f.peer.control("ecs/tag_lag", json!({"reads": 2}));
    f.script(json!(["completes"]), SCALE);
    let ecs = f.ecs();
    let out = f.deploy(&ecs, &record(), &within(30)).await.unwrap();
    assert!(matches!(out, Outcome::Deployed(_)), "{out:?}");
    let tagged = f.calls("TagResource");
    assert_eq!(tagged.len(), 1);
    assert_eq!(tagged[0]["json"]["tags"][0]["key"], "devloop.lock");
    let untagged = f.calls("UntagResource");
    assert_eq!(untagged.len(), 1, "the lock was not released");
    assert_eq!(untagged[0]["json"]["tagKeys"][0], "devloop.lock");
    // Before, two stale read-backs, the one that shows the lock, and the read before release.
    assert!(
        f.count("ListTagsForResource") >= 5,
        "{}",
        f.count("ListTagsForResource")
    );

    // Deployed again at once: the lock just given back still reads as held for a moment, and is
    // not taken for another deploy's.
    let again = f.deploy(&ecs, &record(), &within(30)).await.unwrap();
    assert!(matches!(again, Outcome::Unchanged(_)), "{again:?}");
    assert_eq!(f.count("TagResource"), 2);
    assert_eq!(f.count("UntagResource"), 2);

    // No tag is left once reads catch up.
    f.peer.control("ecs/tag_lag", json!({"reads": 0}));
    let arn = f.state()["serviceArn"].as_str().unwrap().to_string();
    let lock = |arn: &str| {
        let client = f.client.clone();
        let arn = arn.to_string();
        async move {
            client
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .unwrap()
                .tags()
                .iter()
                .find(|t| t.key() == Some("devloop.lock"))
                .and_then(|t| t.value().map(str::to_string))
        }
    };
    assert_eq!(lock(&arn).await, None);

    // A lock another deploy holds is still refused, its holder named, nothing changed.
    f.client
        .tag_resource()
        .resource_arn(&arn)
        .tags(
            aws_sdk_ecs::types::Tag::builder()
                .key("devloop.lock")
                .value("alice pid 42 1a2b since 2026-11-23T06:00:00Z until 2999-01-01T00:00:00Z")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let err = f
        .deploy(&ecs, &Record::sample(OTHER_IMAGE), &within(30))
        .await
        .expect_err("the lock is held");
    assert_eq!(err.kind, ExitKind::StepFailed);
    assert!(
        err.message.contains("another deploy holds the lock"),
        "{}",
        err.message
    );
    assert!(err.message.contains("alice pid 42"), "{}", err.message);
    assert_eq!(f.count("RegisterTaskDefinition"), 2, "nothing registered");
    assert_eq!(f.count("UpdateService"), 1);
    assert!(lock(&arn).await.unwrap().starts_with("alice"));
}

/// A template in the units people write ("1 vCPU", "2 GB") and without the fields ECS fills in.
const TEMPLATE: &str = r#"{
  "family": "web",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "1 vCPU",
  "memory": "2 GB",
  "containerDefinitions": [
    {
      "name": "app",
      "portMappings": [{ "containerPort": 8080 }],
      "environment": [{ "name": "MODE", "value": "prod" }]
    }
  ]
}
"#;

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn an_identical_redeploy_from_a_template_in_ecs_units_registers_nothing() {
    let f = Fixture::new(
        "same-web",
        "task_definition = \"ecs/taskdef.json\"\n",
        &[("ecs/taskdef.json", TEMPLATE)],
    )
    .await;
    f.script(json!(["completes"]), SCALE);
    let ecs = f.ecs();
    let first = f.deploy(&ecs, &record(), &within(30)).await.unwrap();
    assert!(
        matches!(first, Outcome::Deployed(ref m) if m.contains("web:2")),
        "{first:?}"
    );
    // ECS stored the revision in its own form.
    let stored = f
        .client
        .describe_task_definition()
        .task_definition(f.revision(2))
        .send()
        .await
        .unwrap()
        .task_definition
        .unwrap();
    assert_eq!(
        (stored.cpu(), stored.memory()),
        (Some("1024"), Some("2048"))
    );
    let port = &stored.container_definitions()[0].port_mappings()[0];
    assert_eq!(port.host_port(), Some(8080));

    let second = f.deploy(&ecs, &record(), &within(30)).await.unwrap();
    match &second {
        Outcome::Unchanged(m) => assert!(m.contains("nothing registered"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        f.count("RegisterTaskDefinition"),
        2,
        "setup's and the first deploy's"
    );
    assert_eq!(f.count("UpdateService"), 1);
    // `plan` compares the same way: no change, and both sides render alike (no diff text).
    let live = ecs.live(&f.client).await.unwrap();
    let proposed = ecs.proposed(&ecs.base(&live.task_def).unwrap(), NEW_IMAGE);
    assert!(ecs.same_as_live(&live.task_def, &proposed));
    assert_eq!(
        crate::deploy::ecs::Ecs::render(&live.task_def),
        crate::deploy::ecs::Ecs::render(&proposed)
    );
    // A changed template is a change again.
    let changed = TEMPLATE.replace("\"2 GB\"", "\"4 GB\"");
    std::fs::write(f.dir.path().join("ecs/taskdef.json"), changed).unwrap();
    let proposed = ecs.proposed(&ecs.base(&live.task_def).unwrap(), NEW_IMAGE);
    assert!(!ecs.same_as_live(&live.task_def, &proposed));
}
