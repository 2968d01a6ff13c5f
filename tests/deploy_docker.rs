//! The `docker` target on the real daemon: ship, a healthy redeploy under load, a broken release that
//! leaves the previous one serving (exit 3), rollback, and monitor.

mod common;

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::peers::free_port;
use common::*;

/// A copy of examples/hello with its own app name, port and git repository.
fn hello(app: &str) -> (tempfile::TempDir, u16) {
    (example_as("hello", app), free_port())
}

fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect_timeout(
        &([127, 0, 0, 1], port).into(),
        Duration::from_secs(2),
    )
    .ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    let code = body.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, body))
}

fn status(dir: &std::path::Path, port: u16) -> serde_json::Value {
    let r = run(devloop(dir)
        .args(["monitor", "-o", "json"])
        .env("HELLO_PORT", port.to_string()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(r.stdout.trim()).unwrap()
}

/// Poll until the image HEALTHCHECK reports healthy (it lags the deploy's own probe).
fn wait_healthy(dir: &std::path::Path, port: u16) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let s = status(dir, port);
        if s["healthy"] == true {
            return s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never reported healthy: {s}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn change_page(dir: &std::path::Path, text: &str) {
    let page = dir.join("www/index.html");
    let html = std::fs::read_to_string(&page).unwrap();
    std::fs::write(
        &page,
        html.replace("</body>", &format!("<p>{text}</p></body>")),
    )
    .unwrap();
    commit_all(dir, text);
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn ship_then_a_healthy_redeploy_under_load_then_rollback() {
    require_docker();
    let app = unique("dl-ship");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let (dir, port) = hello(&app);
    let r = run(devloop(dir.path())
        .arg("ship")
        .env("HELLO_PORT", port.to_string()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (code, body) = get(port, "/").expect("the app answers after ship");
    assert_eq!(code, 200);
    assert!(body.contains("Hello from devloop"));
    let first = status(dir.path(), port)["release"]
        .as_str()
        .unwrap()
        .to_string();

    // A second release, deployed while a bounded request loop runs against the published port.
    change_page(dir.path(), "second release");
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
                match get(port, "/") {
                    Some((200, _)) => ok.fetch_add(1, Ordering::SeqCst),
                    _ => failed.fetch_add(1, Ordering::SeqCst),
                };
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let r = run(devloop(dir.path())
        .arg("ship")
        .env("HELLO_PORT", port.to_string()));
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
    let (_, body) = get(port, "/").unwrap();
    assert!(body.contains("second release"), "{body}");
    let second = wait_healthy(dir.path(), port);
    assert_ne!(second["release"].as_str().unwrap(), first);

    // Rollback puts the first release back.
    let r = run(devloop(dir.path())
        .arg("rollback")
        .env("HELLO_PORT", port.to_string()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(status(dir.path(), port)["release"].as_str().unwrap(), first);
    let (_, body) = get(port, "/").unwrap();
    assert!(!body.contains("second release"));
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_broken_release_is_rolled_back_with_exit_3_and_the_old_one_keeps_serving() {
    require_docker();
    let app = unique("dl-broken");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let (dir, port) = hello(&app);
    let r = run(devloop(dir.path())
        .arg("ship")
        .env("HELLO_PORT", port.to_string()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let good = status(dir.path(), port)["release"]
        .as_str()
        .unwrap()
        .to_string();

    // The health endpoint disappears; release without tests, then deploy.
    std::fs::remove_file(dir.path().join("www/healthz")).unwrap();
    commit_all(dir.path(), "break health");
    let r = run(devloop(dir.path())
        .arg("release")
        .env("HELLO_PORT", port.to_string()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(devloop(dir.path())
        .args(["deploy", "--timeout", "20s"])
        .env("HELLO_PORT", port.to_string()));
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
    assert_eq!(get(port, "/").map(|(c, _)| c), Some(200));
    let s = status(dir.path(), port);
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
    require_docker();
    let app = unique("dl-mon");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let (dir, port) = hello(&app);
    let r = run(devloop(dir.path())
        .args(["monitor", "--check"])
        .env("HELLO_PORT", port.to_string()));
    assert_eq!(r.code, 1, "nothing deployed is unhealthy: {}", r.stdout);
    assert!(r.stdout.contains("nothing deployed"));
    let r = run(devloop(dir.path())
        .arg("ship")
        .env("HELLO_PORT", port.to_string()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    wait_healthy(dir.path(), port);
    let r = run(devloop(dir.path())
        .args(["monitor", "--check"])
        .env("HELLO_PORT", port.to_string()));
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("verdict   healthy"), "{}", r.stdout);
    let s = status(dir.path(), port);
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
    let r = run(devloop(dir.path())
        .args(["monitor", "--logs", "--tail", "5"])
        .env("HELLO_PORT", port.to_string()));
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("response:200"), "{}", r.stdout);

    // Off a terminal, --watch prints a line when something changes, and only then.
    let mut watch = devloop(dir.path())
        .args(["monitor", "--watch"])
        .env("HELLO_PORT", port.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
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
    let r = run(devloop(dir.path())
        .args(["monitor", "--check"])
        .env("HELLO_PORT", port.to_string()));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("UNHEALTHY"), "{}", r.stdout);
}
