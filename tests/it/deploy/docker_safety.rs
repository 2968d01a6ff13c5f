//! The `docker` target when things collide, on the real daemon: two ships at once (one deploys,
//! the other is refused naming the holder, the lock gone afterwards), Ctrl-C while the new
//! release's health probe runs (exit 130, the previous release still serving and said so), and a
//! host port another container holds (exit 2 before anything is touched, naming the holder).

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use super::change_page;
use crate::support::*;

/// examples/hello under an app name of its own, deployed with no host port (start-first) and a
/// health command that takes `probe` seconds.
fn hello_without_ports(prefix: &str, probe: &str) -> TestContext {
    let ctx = TestContext::docker(prefix).with_example("hello");
    ctx.replace(
        "devloop.toml",
        "[deploy.health]\nhttp = \"/healthz\"\nport = 80\n",
        &format!("[deploy.health]\ncommand = \"sleep {probe}\"\n"),
    );
    ctx.replace(
        "devloop.toml",
        "deploy.docker.ports = [\"${HELLO_PORT:-8080}:80\"]\n",
        "",
    );
    ctx.commit("no host ports, a slow probe");
    ctx
}

fn label(container: &str, key: &str) -> String {
    docker(&[
        "inspect",
        "--format",
        &format!("{{{{index .Config.Labels \"{key}\"}}}}"),
        container,
    ])
}

/// A shipped first release and a second one released, not deployed: the context, the container
/// name, and the release that runs.
struct Shipped {
    ctx: TestContext,
    name: String,
    first: String,
}

fn shipped_then_released(prefix: &str, probe: &str) -> Shipped {
    let ctx = hello_without_ports(prefix, probe);
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let name = format!("{}-local", ctx.app());
    let first = label(&name, "devloop.release");
    change_page(&ctx, "second");
    let r = ctx.run(["release"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    Shipped { ctx, name, first }
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn two_ships_at_once_one_deploys_and_the_other_is_refused_naming_the_holder() {
    let Shipped { ctx, name, first } = shipped_then_released("dl-twoship", "0.2");
    let spawn = || ctx.devloop(["deploy"]).spawn();
    let (a, b) = (spawn(), spawn());
    let (a, b): (Run, Run) = (
        a.wait_with_output().unwrap().into(),
        b.wait_with_output().unwrap().into(),
    );
    let mut codes = [a.code, b.code];
    codes.sort();
    assert_eq!(codes, [0, 2], "a: {}\nb: {}", a.stderr, b.stderr);
    let loser = if a.code == 2 { &a } else { &b };
    assert!(
        loser.stderr.contains("holds the deploy lock") && loser.stderr.contains("pid "),
        "{}",
        loser.stderr
    );
    assert!(
        loser.stderr.contains("nothing was changed"),
        "{}",
        loser.stderr
    );
    let now = label(&name, "devloop.release");
    assert_ne!(now, first, "the new release serves");
    assert_eq!(
        docker(&["inspect", "--format", "{{.State.Running}}", &name]),
        "true"
    );
    assert!(
        docker(&[
            "volume",
            "ls",
            "-q",
            "--filter",
            &format!("name=devloop-lock-{name}")
        ])
        .is_empty(),
        "the lock is released"
    );
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn ctrl_c_during_the_health_probe_keeps_the_previous_release_and_says_so() {
    let Shipped { ctx, name, first } = shipped_then_released("dl-intr", "1.5");

    let mut child = ctx.devloop(["deploy"]).spawn();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let started = Instant::now();
    // Interrupt 1 s into the 1.5 s probe of the new release.
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.contains("starting release") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{seen:?}");
    }
    std::thread::sleep(Duration::from_millis(1000));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let interrupted = Instant::now();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert!(
        interrupted.elapsed() < Duration::from_secs(5),
        "stops promptly"
    );
    assert_eq!(status.code(), Some(130), "{seen:?}\n{rest:?}");
    let text = rest.join("\n");
    assert!(
        text.contains("interrupted: release") && text.contains("is still serving"),
        "{text}"
    );
    assert_eq!(
        label(&name, "devloop.release"),
        first,
        "the old release serves"
    );
    assert!(
        docker(&["ps", "-aq", "--filter", &format!("name={name}-next")]).is_empty(),
        "the new container is gone"
    );
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_host_port_another_container_holds_is_exit_2_before_anything_is_touched() {
    let ctx = TestContext::docker("dl-port");
    let app = ctx.app().to_string();
    let squatter = format!("{app}-squatter");
    let port = free_port();
    let out = std::process::Command::new("docker")
        .args([
            "run",
            "-d",
            "--name",
            &squatter,
            "-p",
            &format!("{port}:80"),
        ])
        .args(["busybox:1.36", "httpd", "-f", "-p", "80"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ctx = ctx.with_example("hello");
    let r = ctx
        .devloop(["ship"])
        .env("HELLO_PORT", port.to_string())
        .run();
    docker(&["rm", "-f", &squatter]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("host port {port}"))
            && r.stderr
                .contains(&format!("already held by container {squatter}"))
            && r.stderr.contains("nothing was changed"),
        "{}",
        r.stderr
    );
    assert!(
        docker(&["ps", "-aq", "--filter", &format!("name={app}-local")]).is_empty(),
        "no container was created"
    );
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_ledger_that_cannot_be_written_moves_no_tag() {
    let ctx = hello_without_ports("dl-ledger", "0.1");
    let app = ctx.app().to_string();
    let r = ctx.run(["release"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let latest = || {
        docker(&[
            "image",
            "inspect",
            "--format",
            "{{.Id}}",
            &format!("{app}:latest"),
        ])
    };
    let before = latest();
    assert!(before.starts_with("sha256:"), "{before}");
    change_page(&ctx, "second");
    // The ledger directory replaced by a file: nothing can be recorded there (root ignores modes).
    let releases = ctx.join(".devloop/releases");
    std::fs::remove_dir_all(&releases).unwrap();
    std::fs::write(&releases, "not a directory").unwrap();
    let r = ctx.run(["release"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot write the release ledger")
            && r.stderr.contains("nothing was tagged or pushed"),
        "{}",
        r.stderr
    );
    assert_eq!(
        latest(),
        before,
        "latest still points at the recorded release"
    );
}
