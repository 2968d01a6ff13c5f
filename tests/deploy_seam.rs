//! The deploy seam on the `docker` target, against the real daemon: one health verdict for deploy
//! and monitor, identical redeploys that change nothing, prompt stops, killed-after-grace warnings,
//! bounded waits, Ctrl-C during a stop-first replace, and structured JSON results.

mod common;

use std::time::{Duration, Instant};

use common::peers::free_port;
use common::*;

/// The example's health probe, as its devloop.toml writes it.
const HEALTH: &str = "[deploy.health]\nhttp = \"/healthz\"\nport = 80\n";

fn hello(app: &str) -> (tempfile::TempDir, u16) {
    (example_as("hello", app), free_port())
}

fn dl(dir: &std::path::Path, port: u16, args: &[&str]) -> Run {
    run(devloop(dir).args(args).env("HELLO_PORT", port.to_string()))
}

fn container_id(app: &str) -> String {
    docker(&["inspect", "--format", "{{.Id}}", &format!("{app}-local")])
}

fn events(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn monitor_check_right_after_ship_agrees_with_the_deploy_gate() {
    require_docker();
    let app = unique("dl-agree");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let (dir, port) = hello(&app);
    let r = dl(dir.path(), port, &["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("healthy by HTTP /healthz"),
        "{}",
        r.stderr
    );
    // At once: the image HEALTHCHECK may still be starting, but the gate's probe decides.
    let r = dl(dir.path(), port, &["monitor", "--check"]);
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
    require_docker();
    let app = unique("dl-starting");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let (dir, port) = hello(&app);
    // No [deploy.health]: the image HEALTHCHECK decides, and it starts slowly.
    replace_in(dir.path(), "devloop.toml", HEALTH, "");
    replace_in(
        dir.path(),
        "Dockerfile",
        "--start-period=1s",
        "--start-period=60s",
    );
    replace_in(dir.path(), "Dockerfile", "--interval=2s", "--interval=30s");
    commit_all(dir.path(), "slow healthcheck");
    let r = dl(dir.path(), port, &["release"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Started by hand, so the HEALTHCHECK is still in its start period when monitor looks.
    let release = events(&dl(dir.path(), port, &["release", "--list", "-o", "json"]).stdout)
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
    let r = dl(dir.path(), port, &["monitor", "--check"]);
    assert_eq!(r.code, 0, "starting is not failing: {}", r.stdout);
    assert!(r.stdout.contains("verdict   starting"), "{}", r.stdout);
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn an_identical_redeploy_changes_nothing_and_a_changed_one_replaces_promptly() {
    require_docker();
    let app = unique("dl-same");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let (dir, port) = hello(&app);
    let r = dl(dir.path(), port, &["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let before = container_id(&app);

    // A new commit that changes nothing in the image: a new release, the same container.
    let repo = git2::Repository::open(dir.path()).unwrap();
    let sig = git2::Signature::now("t", "t@devloop.invalid").unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    repo.commit(
        Some("HEAD"),
        &sig,
        &sig,
        "empty",
        &head.tree().unwrap(),
        &[&head],
    )
    .unwrap();
    let r = dl(dir.path(), port, &["ship", "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let deploy = events(&r.stdout)
        .into_iter()
        .find(|e| e["event"] == "step_finished" && e["step"] == "deploy")
        .unwrap();
    assert_eq!(deploy["outcome"], "skipped", "{deploy}");
    assert_eq!(deploy["result"]["verdict"], "unchanged", "{deploy}");
    assert!(deploy["message"]
        .as_str()
        .unwrap()
        .contains("nothing changed"));
    assert_eq!(container_id(&app), before, "the container was replaced");

    // A real change replaces it, and the example stops at once (no 10 s grace wait).
    replace_in(dir.path(), "www/index.html", "<h1>", "<h1>v2 ");
    commit_all(dir.path(), "v2");
    let started = Instant::now();
    let r = dl(dir.path(), port, &["ship"]);
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
    require_docker();
    let app = unique("dl-grace");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let port = free_port();
    let config = format!(
        "[app]\nname = \"{app}\"\n\n[build]\ntags = [\"{{short_sha}}\"]\n\n[deploy]\ntarget = \"docker\"\ndocker.stop_grace_period = \"1s\"\ndocker.ports = [\"{port}:80\"]\n\n[deploy.health]\nhttp = \"/\"\nport = 80\n"
    );
    // busybox httpd as PID 1 ignores SIGTERM.
    let dockerfile = "FROM busybox:1.36\nARG V=1\nRUN mkdir -p /www && echo $V > /www/index.html\nCMD [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"]\n";
    let dir = project(&[("devloop.toml", &config), ("Dockerfile", dockerfile)]);
    let r = run(devloop(dir.path()).args(["ship"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::write(
        dir.path().join("Dockerfile"),
        dockerfile.replace("V=1", "V=2"),
    )
    .unwrap();
    commit_all(dir.path(), "v2");
    let r = run(devloop(dir.path()).args(["ship"]));
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
    require_docker();
    let app = unique("dl-hang");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let (dir, port) = hello(&app);
    // A health command that hangs in the new release only (it has www/hang).
    replace_in(
        dir.path(),
        "devloop.toml",
        HEALTH,
        "[deploy.health]\ncommand = \"if [ -f /www/hang ]; then sleep 600; fi\"\n",
    );
    commit_all(dir.path(), "health command");
    let r = dl(dir.path(), port, &["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::write(dir.path().join("www/hang"), "").unwrap();
    commit_all(dir.path(), "hanging health command");
    let r = dl(dir.path(), port, &["release"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let started = Instant::now();
    let r = dl(dir.path(), port, &["deploy", "--timeout", "5s"]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the wait was not bounded: {:?}",
        started.elapsed()
    );
    // Never healthy: the previous release serves again.
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("back on"), "{}", r.stderr);
    let s = dl(dir.path(), port, &["monitor", "-o", "json"]);
    let s: serde_json::Value = serde_json::from_str(s.stdout.trim()).unwrap();
    assert_eq!(s["state"], "running", "{s}");
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn ctrl_c_during_a_stop_first_replace_leaves_the_previous_release_running() {
    require_docker();
    let app = unique("dl-intr");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let (dir, port) = hello(&app);
    let r = dl(dir.path(), port, &["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let good = container_id(&app);
    std::fs::remove_file(dir.path().join("www/healthz")).unwrap();
    commit_all(dir.path(), "never healthy");
    let r = dl(dir.path(), port, &["release"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let child = devloop(dir.path())
        .args(["deploy", "--timeout", "120s"])
        .env("HELLO_PORT", port.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the new container exists (the old one is stopped by then: ports clash).
    let started = Instant::now();
    while docker(&["ps", "-q", "--filter", &format!("name={app}-local-next")]).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the new container never started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
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
    require_docker();
    let app = unique("dl-result");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let (dir, port) = hello(&app);
    let r = dl(dir.path(), port, &["ship", "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ev = events(&r.stdout);
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
