//! The `swarm` target on a real single-node swarm: create, update, rollback by devloop, and an
//! update that swarm itself rolls back (exit 3, never success).

use super::hello_on_swarm;
use crate::support::*;

/// `devloop -e swarm ARGS…`: examples/hello's swarm environment.
fn swarm(ctx: &TestContext, args: &[&str]) -> Run {
    ctx.devloop(["-e", "swarm"]).args(args).run()
}

fn running_release(ctx: &TestContext) -> serde_json::Value {
    let r = swarm(ctx, &["monitor", "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_swarm),
    ignore = "the Docker daemon is not a swarm manager: run scripts/services.sh"
)]
#[test]
fn create_update_and_rollback_a_swarm_service() {
    let ctx = hello_on_swarm("dl-swarm");
    let port = ctx.port();
    let r = swarm(&ctx, &["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("created with release"), "{}", r.stderr);
    let first = running_release(&ctx);
    assert_eq!(first["healthy"], true, "{first}");
    assert_eq!(first["replicas_running"], 1);
    assert!(page(port).contains("Hello from devloop"));

    ctx.replace("www/index.html", "</body>", "<p>swarm two</p></body>");
    ctx.commit("two");
    let r = swarm(&ctx, &["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let second = running_release(&ctx);
    assert_ne!(second["release"], first["release"]);
    assert_eq!(second["update_state"], "completed");
    assert!(page(port).contains("swarm two"));

    let r = swarm(&ctx, &["rollback"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(running_release(&ctx)["release"], first["release"]);
    assert!(!page(port).contains("swarm two"));
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_swarm),
    ignore = "the Docker daemon is not a swarm manager: run scripts/services.sh"
)]
#[test]
fn an_update_that_swarm_rolls_back_is_exit_3() {
    let ctx = hello_on_swarm("dl-swarmrb");
    let port = ctx.port();
    let r = swarm(&ctx, &["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let good = running_release(&ctx)["release"].clone();

    ctx.remove("www/healthz");
    ctx.commit("break health");
    let r = swarm(&ctx, &["release"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = swarm(&ctx, &["deploy", "--timeout", "3m"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("swarm rolled service"), "{}", r.stderr);
    let now = running_release(&ctx);
    assert_eq!(now["release"], good);
    assert_eq!(
        now["healthy"], true,
        "exit 3 means the previous release runs: {now}"
    );
    assert!(page(port).contains("Hello from devloop"));
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_swarm),
    ignore = "the Docker daemon is not a swarm manager: run scripts/services.sh"
)]
#[test]
fn an_image_without_healthcheck_is_held_to_the_http_probe_and_rolled_back() {
    let ctx = hello_on_swarm("dl-swhttp");
    let port = ctx.port();
    // No HEALTHCHECK in the image: only [deploy.health] (HTTP /healthz) can tell.
    let dockerfile = ctx.join("Dockerfile");
    let text = std::fs::read_to_string(&dockerfile).unwrap();
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("HEALTHCHECK") && !l.trim_start().starts_with("CMD wget"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&dockerfile, without).unwrap();
    ctx.commit("no healthcheck");
    let r = swarm(&ctx, &["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let good = running_release(&ctx)["release"]
        .as_str()
        .unwrap()
        .to_string();

    ctx.remove("www/healthz");
    ctx.commit("break health");
    let r = swarm(&ctx, &["release"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = swarm(&ctx, &["deploy", "--timeout", "60s"]);
    assert_eq!(r.code, 3, "a failing /healthz must not pass: {}", r.stderr);
    assert!(r.stderr.contains("answered 404"), "{}", r.stderr);
    let s = running_release(&ctx);
    assert_eq!(s["release"].as_str().unwrap(), good, "{s}");
    assert_eq!(s["verdict"], "healthy", "{s}");
    assert!(page(port).contains("Hello from devloop"));
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_swarm),
    ignore = "the Docker daemon is not a swarm manager: run scripts/services.sh"
)]
#[test]
fn tasks_killed_after_the_grace_period_are_reported() {
    let ctx = TestContext::swarm("dl-swgrace");
    let app = ctx.app().to_string();
    let port = free_port();
    let config = format!(
        "[app]\nname = \"{app}\"\n\n[build]\ntags = [\"{{short_sha}}\"]\n\n[deploy]\ntarget = \"swarm\"\nswarm.stop_grace_period = \"1s\"\nswarm.ports = [\"{port}:80\"]\n"
    );
    // busybox httpd as PID 1 ignores SIGTERM.
    let dockerfile = "FROM busybox:1.36\nARG V=1\nRUN mkdir -p /www && echo $V > /www/index.html\nCMD [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"]\n";
    let ctx = ctx.with_files(&[("devloop.toml", &config), ("Dockerfile", dockerfile)]);
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    ctx.replace("Dockerfile", "V=1", "V=2");
    ctx.commit("v2");
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("were killed"), "{}", r.stderr);
    assert!(r.stderr.contains("stop_grace_period"), "{}", r.stderr);
}
