//! The deploy seam on the `docker` target, against the real daemon: one health verdict for deploy
//! and monitor, identical redeploys that change nothing, prompt stops, killed-after-grace warnings,
//! bounded waits, Ctrl-C during a stop-first replace, and structured JSON results.

use std::time::{Duration, Instant};

use crate::support::*;

/// The example's health probe, as its devloop.toml writes it.
const HEALTH: &str = "[deploy.health]\nhttp = \"/healthz\"\nport = 80\n";

fn container_id(app: &str) -> String {
    docker(&["inspect", "--format", "{{.Id}}", &format!("{app}-local")])
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn monitor_check_right_after_ship_agrees_with_the_deploy_gate() {
    let ctx = TestContext::hello("dl-agree");
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("healthy by HTTP /healthz"),
        "{}",
        r.stderr
    );
    // At once: the image HEALTHCHECK may still be starting, but the gate's probe decides.
    let r = ctx.run(["monitor", "--check"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("verdict   healthy"), "{}", r.stdout);
    assert!(!r.stdout.contains("UNHEALTHY"), "{}", r.stdout);
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn starting_is_reported_as_starting_and_does_not_fail_the_check() {
    let ctx = TestContext::hello("dl-starting");
    let app = ctx.app().to_string();
    // No [deploy.health]: the image HEALTHCHECK decides, and it starts slowly.
    ctx.replace("devloop.toml", HEALTH, "");
    ctx.replace("Dockerfile", "--start-period=1s", "--start-period=60s");
    ctx.replace("Dockerfile", "--interval=2s", "--interval=30s");
    ctx.commit("slow healthcheck");
    let r = ctx.run(["release"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Started by hand, so the HEALTHCHECK is still in its start period when monitor looks.
    let release = ctx
        .run(["release", "--list", "-o", "json"])
        .events()
        .into_iter()
        .next()
        .and_then(|v| v.as_array().and_then(|a| a.first().cloned()))
        .unwrap();
    docker(&[
        "run",
        "-d",
        "--name",
        &format!("{app}-local"),
        "--label",
        &format!("devloop.app={app}"),
        "--label",
        &format!("devloop.release={}", release["id"].as_str().unwrap()),
        release["image_id"].as_str().unwrap(),
    ]);
    let r = ctx.run(["monitor", "--check"]);
    assert_eq!(r.code, 0, "starting is not failing: {}", r.stdout);
    assert!(r.stdout.contains("verdict   starting"), "{}", r.stdout);
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn an_identical_redeploy_changes_nothing_and_a_changed_one_replaces_promptly() {
    let ctx = TestContext::hello("dl-same");
    let app = ctx.app().to_string();
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let before = container_id(&app);

    // A new commit that changes nothing in the image: a new release, the same container.
    ctx.commit_empty("empty");
    let r = ctx.run(["ship", "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let deploy = r.step_finished("deploy").unwrap();
    assert_eq!(deploy["outcome"], "skipped", "{deploy}");
    assert_eq!(deploy["result"]["verdict"], "unchanged", "{deploy}");
    assert!(deploy["message"]
        .as_str()
        .unwrap()
        .contains("nothing changed"));
    assert_eq!(container_id(&app), before, "the container was replaced");

    // A real change replaces it, and the example stops at once (no 10 s grace wait).
    ctx.replace("www/index.html", "<h1>", "<h1>v2 ");
    ctx.commit("v2");
    let started = Instant::now();
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "a replace took {:?}: {}",
        started.elapsed(),
        r.stderr
    );
    assert!(!r.stderr.contains("was killed"), "{}", r.stderr);
    assert_ne!(container_id(&app), before);
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_container_that_ignores_its_stop_signal_is_killed_after_the_grace_period_and_said_so() {
    let ctx = TestContext::docker("dl-grace");
    let app = ctx.app().to_string();
    let port = free_port();
    let config = format!(
        "[app]\nname = \"{app}\"\n\n[build]\ntags = [\"{{short_sha}}\"]\n\n[deploy]\ntarget = \"docker\"\ndocker.stop_grace_period = \"1s\"\ndocker.ports = [\"{port}:80\"]\n\n[deploy.health]\nhttp = \"/\"\nport = 80\n"
    );
    // busybox httpd as PID 1 ignores SIGTERM.
    let dockerfile = "FROM busybox:1.36\nARG V=1\nRUN mkdir -p /www && echo $V > /www/index.html\nCMD [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"]\n";
    let ctx = ctx.with_files(&[("devloop.toml", &config), ("Dockerfile", dockerfile)]);
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    ctx.write("Dockerfile", dockerfile.replace("V=1", "V=2"));
    ctx.commit("v2");
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("did not exit within 1s"), "{}", r.stderr);
    assert!(r.stderr.contains("stop_signal"), "{}", r.stderr);
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_health_command_that_hangs_is_bounded_by_the_deploy_timeout() {
    let ctx = TestContext::hello("dl-hang");
    // A health command that hangs in the new release only (it has www/hang).
    ctx.replace(
        "devloop.toml",
        HEALTH,
        "[deploy.health]\ncommand = \"if [ -f /www/hang ]; then sleep 600; fi\"\n",
    );
    ctx.commit("health command");
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    ctx.write("www/hang", "");
    ctx.commit("hanging health command");
    let r = ctx.run(["release"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let started = Instant::now();
    let r = ctx.run(["deploy", "--timeout", "5s"]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the wait was not bounded: {:?}",
        started.elapsed()
    );
    // Never healthy: the previous release serves again.
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("back on"), "{}", r.stderr);
    let s = ctx.run(["monitor", "-o", "json"]);
    let s: serde_json::Value = serde_json::from_str(s.stdout.trim()).unwrap();
    assert_eq!(s["state"], "running", "{s}");
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn ctrl_c_during_a_stop_first_replace_leaves_the_previous_release_running() {
    let ctx = TestContext::hello("dl-intr");
    let app = ctx.app().to_string();
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let good = container_id(&app);
    ctx.remove("www/healthz");
    ctx.commit("never healthy");
    let r = ctx.run(["release"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let child = ctx.devloop(["deploy", "--timeout", "120s"]).spawn();
    // Wait until the new container exists (the old one is stopped by then: ports clash).
    wait_for_container(&format!("{app}-local-next"), Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(500));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert_eq!(container_id(&app), good, "{stderr}");
    assert_eq!(
        docker(&[
            "inspect",
            "--format",
            "{{.State.Running}}",
            &format!("{app}-local")
        ]),
        "true",
        "{stderr}"
    );
    assert!(docker(&["ps", "-aq", "--filter", &format!("name={app}-local-next")]).is_empty());
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn every_step_reports_a_structured_result_in_json() {
    let ctx = TestContext::hello("dl-result");
    let app = ctx.app().to_string();
    let r = ctx.run(["ship", "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ev = r.events();
    let step = |name: &str| {
        ev.iter()
            .find(|e| e["event"] == "step_finished" && e["step"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no step_finished for {name}: {}", r.stdout))
    };
    let build = step("build")["result"].clone();
    assert_eq!(build["image"], app.as_str(), "{build}");
    assert!(build["refs"][0]
        .as_str()
        .unwrap()
        .starts_with(&format!("{app}:")));
    assert!(build["image_id"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(build["digest"].as_str().unwrap().len(), 64);
    assert_eq!(step("test:page")["result"]["exit_code"], 0);
    let release = step("release")["result"].clone();
    let id = release["release"].as_str().unwrap().to_string();
    assert!(
        release["image"].as_str().unwrap().contains("@sha256:"),
        "{release}"
    );
    let deploy = step("deploy")["result"].clone();
    assert_eq!(deploy["verdict"], "deployed", "{deploy}");
    assert_eq!(deploy["release"], id.as_str());
    assert_eq!(deploy["target"], "docker");
    assert_eq!(deploy["name"], format!("{app}-local").as_str());
    let summary = ev.iter().find(|e| e["event"] == "summary").unwrap();
    assert_eq!(summary["steps"][0]["result"]["image"], app.as_str());
}
