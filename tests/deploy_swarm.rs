//! The `swarm` target on a real single-node swarm: create, update, rollback by devloop, and an
//! update that swarm itself rolls back (exit 3, never success).

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::peers::free_port;
use common::*;

fn hello(app: &str) -> (tempfile::TempDir, u16) {
    (example_as("hello", app), free_port())
}

fn body(port: u16) -> String {
    let mut out = String::new();
    if let Ok(mut s) =
        std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2))
    {
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let _ = write!(s, "GET / HTTP/1.0\r\n\r\n");
        let _ = s.read_to_string(&mut out);
    }
    out
}

fn swarm(dir: &std::path::Path, port: u16, args: &[&str]) -> Run {
    run(devloop(dir)
        .args(["-e", "swarm"])
        .args(args)
        .env("HELLO_PORT", port.to_string()))
}

fn running_release(dir: &std::path::Path, port: u16) -> serde_json::Value {
    let r = swarm(dir, port, &["monitor", "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(r.stdout.trim()).unwrap()
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_swarm),
    ignore = "the Docker daemon is not a swarm manager: run scripts/services.sh"
)]
#[test]
fn create_update_and_rollback_a_swarm_service() {
    require_swarm();
    let app = unique("dl-swarm");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let (dir, port) = hello(&app);
    let r = swarm(dir.path(), port, &["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("created with release"), "{}", r.stderr);
    let first = running_release(dir.path(), port);
    assert_eq!(first["healthy"], true, "{first}");
    assert_eq!(first["replicas_running"], 1);
    assert!(body(port).contains("Hello from devloop"));

    let page = dir.path().join("www/index.html");
    let html = std::fs::read_to_string(&page)
        .unwrap()
        .replace("</body>", "<p>swarm two</p></body>");
    std::fs::write(&page, html).unwrap();
    commit_all(dir.path(), "two");
    let r = swarm(dir.path(), port, &["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let second = running_release(dir.path(), port);
    assert_ne!(second["release"], first["release"]);
    assert_eq!(second["update_state"], "completed");
    assert!(body(port).contains("swarm two"));

    let r = swarm(dir.path(), port, &["rollback"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        running_release(dir.path(), port)["release"],
        first["release"]
    );
    assert!(!body(port).contains("swarm two"));
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_swarm),
    ignore = "the Docker daemon is not a swarm manager: run scripts/services.sh"
)]
#[test]
fn an_update_that_swarm_rolls_back_is_exit_3() {
    require_swarm();
    let app = unique("dl-swarmrb");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let (dir, port) = hello(&app);
    let r = swarm(dir.path(), port, &["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let good = running_release(dir.path(), port)["release"].clone();

    std::fs::remove_file(dir.path().join("www/healthz")).unwrap();
    commit_all(dir.path(), "break health");
    let r = swarm(dir.path(), port, &["release"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = swarm(dir.path(), port, &["deploy", "--timeout", "3m"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("swarm rolled service"), "{}", r.stderr);
    let now = running_release(dir.path(), port);
    assert_eq!(now["release"], good);
    assert_eq!(
        now["healthy"], true,
        "exit 3 means the previous release runs: {now}"
    );
    assert!(body(port).contains("Hello from devloop"));
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_swarm),
    ignore = "the Docker daemon is not a swarm manager: run scripts/services.sh"
)]
#[test]
fn an_image_without_healthcheck_is_held_to_the_http_probe_and_rolled_back() {
    require_swarm();
    let app = unique("dl-swhttp");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let (dir, port) = hello(&app);
    // No HEALTHCHECK in the image: only [deploy.health] (HTTP /healthz) can tell.
    let dockerfile = dir.path().join("Dockerfile");
    let text = std::fs::read_to_string(&dockerfile).unwrap();
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("HEALTHCHECK") && !l.trim_start().starts_with("CMD wget"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&dockerfile, without).unwrap();
    commit_all(dir.path(), "no healthcheck");
    let r = swarm(dir.path(), port, &["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let good = running_release(dir.path(), port)["release"]
        .as_str()
        .unwrap()
        .to_string();

    std::fs::remove_file(dir.path().join("www/healthz")).unwrap();
    commit_all(dir.path(), "break health");
    let r = swarm(dir.path(), port, &["release"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = swarm(dir.path(), port, &["deploy", "--timeout", "60s"]);
    assert_eq!(r.code, 3, "a failing /healthz must not pass: {}", r.stderr);
    assert!(r.stderr.contains("answered 404"), "{}", r.stderr);
    let s = running_release(dir.path(), port);
    assert_eq!(s["release"].as_str().unwrap(), good, "{s}");
    assert_eq!(s["verdict"], "healthy", "{s}");
    assert!(body(port).contains("Hello from devloop"));
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_swarm),
    ignore = "the Docker daemon is not a swarm manager: run scripts/services.sh"
)]
#[test]
fn tasks_killed_after_the_grace_period_are_reported() {
    require_swarm();
    let app = unique("dl-swgrace");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let port = free_port();
    let config = format!(
        "[app]\nname = \"{app}\"\n\n[build]\ntags = [\"{{short_sha}}\"]\n\n[deploy]\ntarget = \"swarm\"\nswarm.stop_grace_period = \"1s\"\nswarm.ports = [\"{port}:80\"]\n"
    );
    // busybox httpd as PID 1 ignores SIGTERM.
    let dockerfile = "FROM busybox:1.36\nARG V=1\nRUN mkdir -p /www && echo $V > /www/index.html\nCMD [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"]\n";
    let dir = project(&[("devloop.toml", &config), ("Dockerfile", dockerfile)]);
    let r = run(devloop(dir.path()).arg("ship"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    replace_in(dir.path(), "Dockerfile", "V=1", "V=2");
    commit_all(dir.path(), "v2");
    let r = run(devloop(dir.path()).arg("ship"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("were killed"), "{}", r.stderr);
    assert!(r.stderr.contains("stop_grace_period"), "{}", r.stderr);
}
