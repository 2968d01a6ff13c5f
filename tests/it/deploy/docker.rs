//! The `docker` target on the real daemon: ship, a healthy redeploy under load, a broken release that
//! leaves the previous one serving (exit 3), rollback, and monitor.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{change_page, status, wait_healthy};
use crate::support::*;

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn ship_then_a_healthy_redeploy_under_load_then_rollback() {
    let ctx = TestContext::hello("dl-ship");
    let port = ctx.port();
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (code, body) = http_get(port, "/").expect("the app answers after ship");
    assert_eq!(code, 200);
    assert!(body.contains("Hello from devloop"));
    let first = status(&ctx)["release"].as_str().unwrap().to_string();

    // A second release, deployed while a bounded request loop runs against the published port.
    change_page(&ctx, "second release");
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    let load = {
        let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
        std::thread::spawn(move || {
            let started = Instant::now();
            while !stop.load(Ordering::SeqCst)
                && started.elapsed() < Duration::from_secs(120)
                && ok.load(Ordering::SeqCst) + failed.load(Ordering::SeqCst) < 20_000
            {
                match http_get(port, "/") {
                    Some((200, _)) => ok.fetch_add(1, Ordering::SeqCst),
                    _ => failed.fetch_add(1, Ordering::SeqCst),
                };
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let r = ctx.run(["ship"]);
    stop.store(true, Ordering::SeqCst);
    load.join().unwrap();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (ok, failed) = (ok.load(Ordering::SeqCst), failed.load(Ordering::SeqCst));
    eprintln!("requests during a healthy redeploy: {ok} ok, {failed} failed");
    assert!(ok > 0, "the request loop never reached the app");
    assert!(
        r.stderr.contains("stop-then-start"),
        "the port conflict must be said: {}",
        r.stderr
    );
    let (_, body) = http_get(port, "/").unwrap();
    assert!(body.contains("second release"), "{body}");
    let second = wait_healthy(&ctx);
    assert_ne!(second["release"].as_str().unwrap(), first);

    // Rollback puts the first release back.
    let r = ctx.run(["rollback"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(status(&ctx)["release"].as_str().unwrap(), first);
    let (_, body) = http_get(port, "/").unwrap();
    assert!(!body.contains("second release"));
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_broken_release_is_rolled_back_with_exit_3_and_the_old_one_keeps_serving() {
    let ctx = TestContext::hello("dl-broken");
    let app = ctx.app().to_string();
    let port = ctx.port();
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let good = status(&ctx)["release"].as_str().unwrap().to_string();

    // The health endpoint disappears; release without tests, then deploy.
    ctx.remove("www/healthz");
    ctx.commit("break health");
    let r = ctx.run(["release"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = ctx.run(["deploy", "--timeout", "20s"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("never became healthy"), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("back on {good}")),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("response:404"),
        "the new container's last lines are shown: {}",
        r.stderr
    );
    assert_eq!(http_get(port, "/").map(|(c, _)| c), Some(200));
    let s = status(&ctx);
    assert_eq!(s["release"].as_str().unwrap(), good);
    let leftovers = docker(&[
        "ps",
        "-a",
        "--filter",
        &format!("name={app}-local-next"),
        "-q",
    ]);
    assert!(leftovers.is_empty(), "the failed container was not removed");
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn monitor_check_fails_when_the_release_is_down() {
    let ctx = TestContext::hello("dl-mon");
    let app = ctx.app().to_string();
    let r = ctx.run(["monitor", "--check"]);
    assert_eq!(r.code, 1, "nothing deployed is unhealthy: {}", r.stdout);
    assert!(r.stdout.contains("nothing deployed"));
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    wait_healthy(&ctx);
    let r = ctx.run(["monitor", "--check"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("verdict   healthy"), "{}", r.stdout);
    let s = status(&ctx);
    assert!(s["memory_bytes"].as_u64().is_some(), "{s}");
    // The same metric summary as on AWS, from the daemon's sample.
    let names: Vec<&str> = s["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert_eq!(names, ["cpu", "memory"], "{s}");
    assert_eq!(
        s["metrics"][1]["latest"].as_f64(),
        s["memory_bytes"].as_f64()
    );
    let r = ctx.run(["monitor", "--logs", "--tail", "5"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("response:200"), "{}", r.stdout);

    // Off a terminal, --watch prints a line when something changes, and only then.
    let mut watch = ctx
        .devloop(["monitor", "--watch"])
        .spawn_with(std::process::Stdio::piped(), std::process::Stdio::null());
    let (tx, rx) = std::sync::mpsc::channel();
    let out = watch.stdout.take().unwrap();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let first = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .unwrap_or_default();
    assert!(first.contains(" healthy ("), "{first}");
    std::thread::sleep(std::time::Duration::from_secs(5));
    let quiet: Vec<String> = rx.try_iter().collect();

    docker(&["stop", &format!("{app}-local")]);
    let changed = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .unwrap_or_default();
    let _ = watch.kill();
    let _ = watch.wait();
    assert!(quiet.is_empty(), "lines without a change: {quiet:?}");
    assert!(changed.contains("unhealthy"), "{changed}");
    let r = ctx.run(["monitor", "--check"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("UNHEALTHY"), "{}", r.stdout);
}
