//! `devloop dev` against the real daemon, as a developer uses it on a copy of examples/hello:
//! a save is served soon after; a broken save keeps the old version serving and the next good
//! save recovers; a burst of writes is one rebuild; an ignored file is none; Ctrl-C leaves
//! nothing behind.

use std::io::{BufRead, BufReader, Read};
use std::process::Child;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use crate::support::*;

/// `devloop dev` running, its output lines arriving on a channel.
struct Dev {
    child: Child,
    lines: Receiver<String>,
}

impl Dev {
    /// `devloop ARGS…` (which include `dev`) in the context's project.
    fn start(ctx: &TestContext, args: &[&str]) -> Dev {
        let mut child = ctx.devloop(args).spawn();
        let (tx, lines) = mpsc::channel();
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        Dev { child, lines }
    }

    /// The next rebuild's line (logs are skipped), or `None` within `wait`.
    fn next_rebuild(&self, wait: Duration) -> Option<String> {
        let until = Instant::now() + wait;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(l)
                    if l.contains(" | ")
                        || l.starts_with("    ")
                        || l.contains(r#""event":"log""#) =>
                {
                    continue
                }
                Ok(l) => return Some(l),
                Err(_) => return None,
            }
        }
        None
    }

    /// Ctrl-C, and the exit code.
    fn interrupt(mut self) -> Option<i32> {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGINT);
        }
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            if Instant::now() > until {
                let _ = self.child.kill();
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Wait until the page shows `text`; how long it took.
fn served(port: u16, text: &str, wait: Duration) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < wait {
        if page(port).contains(text) {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// Containers of `app` (deployed or left by a deploy), running or not.
fn deployed(app: &str) -> String {
    docker(&[
        "ps",
        "-a",
        "-q",
        "--filter",
        &format!("label=devloop.app={app}"),
    ])
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_save_is_served_a_broken_save_keeps_the_old_version_and_ctrl_c_leaves_nothing() {
    let ctx = TestContext::hello("dl-dev");
    let app = ctx.app().to_string();
    let port = ctx.port();
    let dev = Dev::start(&ctx, &["dev"]);
    let first = dev
        .next_rebuild(Duration::from_secs(120))
        .unwrap_or_default();
    assert!(
        first.contains("started: ") && first.contains(&format!("→ http://127.0.0.1:{port}/")),
        "{first}"
    );
    assert!(served(port, "Hello from devloop", Duration::from_secs(10)).is_some());

    ctx.write("www/index.html", "<h1>second save</h1>\n");
    let took = served(port, "second save", Duration::from_secs(30));
    assert!(
        took.is_some_and(|t| t < Duration::from_secs(15)),
        "{took:?}"
    );
    let line = dev
        .next_rebuild(Duration::from_secs(10))
        .unwrap_or_default();
    assert!(line.contains("www/index.html changed: built"), "{line}");
    assert!(line.contains("deployed"), "{line}");

    // A broken Dockerfile: the reason, and the second save keeps serving.
    let dockerfile = ctx.read("Dockerfile");
    ctx.write("Dockerfile", format!("{dockerfile}RUN exit 7\n"));
    let line = dev
        .next_rebuild(Duration::from_secs(60))
        .unwrap_or_default();
    assert!(line.contains("Dockerfile changed: build failed"), "{line}");
    assert!(
        line.contains("the previous version keeps serving"),
        "{line}"
    );
    assert!(page(port).contains("second save"));

    // Fixed, with a new page: served again.
    ctx.write("www/index.html", "<h1>third save</h1>\n");
    ctx.write("Dockerfile", &dockerfile);
    assert!(served(port, "third save", Duration::from_secs(30)).is_some());
    let line = dev
        .next_rebuild(Duration::from_secs(10))
        .unwrap_or_default();
    assert!(
        line.contains("changed: built") && line.contains("deployed"),
        "{line}"
    );

    assert_eq!(dev.interrupt(), Some(130));
    let left = deployed(&app);
    assert!(left.is_empty(), "dev left {left:?}");
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_burst_of_writes_is_one_rebuild_and_an_ignored_file_is_none() {
    let ctx = TestContext::hello("dl-devb");
    let app = ctx.app().to_string();
    let port = ctx.port();
    // With -o json: one event per rebuild.
    let dev = Dev::start(&ctx, &["-o", "json", "dev"]);
    let first = dev
        .next_rebuild(Duration::from_secs(120))
        .unwrap_or_default();
    let event: serde_json::Value = serde_json::from_str(&first).unwrap_or_default();
    assert_eq!(event["event"], "rebuild", "{first}");
    assert_eq!(event["url"], format!("http://127.0.0.1:{port}/"), "{first}");

    // A second dev for the same environment would fight the first over its container.
    let second = ctx.run(["dev"]);
    assert_eq!(second.code, 2, "{}", second.stderr);
    assert!(
        second
            .stderr
            .contains("devloop dev is already running for environment \"local\""),
        "{}",
        second.stderr
    );

    // An editor's save: several writes in a few milliseconds.
    for i in 0..5 {
        ctx.write("www/index.html", format!("<h1>burst {i}</h1>\n"));
        ctx.write("www/extra.txt", format!("{i}\n"));
        std::thread::sleep(Duration::from_millis(10));
    }
    let line = dev
        .next_rebuild(Duration::from_secs(60))
        .unwrap_or_default();
    let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
    assert_eq!(
        event["changed"],
        serde_json::json!(["www/extra.txt", "www/index.html"]),
        "{line}"
    );
    assert!(
        event["build_secs"].as_f64().is_some() && event["deploy_secs"].as_f64().is_some(),
        "{line}"
    );
    assert!(
        event["release"]
            .as_str()
            .is_some_and(|r| r.starts_with("dev-")),
        "{line}"
    );
    assert!(event.get("error").is_none(), "{line}");
    assert!(served(port, "burst 4", Duration::from_secs(10)).is_some());
    assert_eq!(
        dev.next_rebuild(Duration::from_secs(3)),
        None,
        "one burst, one rebuild"
    );

    // .dockerignore keeps everything but www/ and the Dockerfile out of the build.
    ctx.write("notes.txt", "not part of the image\n");
    assert_eq!(
        dev.next_rebuild(Duration::from_secs(3)),
        None,
        "an ignored file rebuilds nothing"
    );

    assert_eq!(dev.interrupt(), Some(130));
    assert!(deployed(&app).is_empty());
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn with_test_a_failing_test_keeps_the_old_version_serving() {
    let ctx = TestContext::hello("dl-devt");
    let app = ctx.app().to_string();
    let port = ctx.port();
    let dev = Dev::start(&ctx, &["dev", "--test"]);
    let first = dev
        .next_rebuild(Duration::from_secs(120))
        .unwrap_or_default();
    assert!(
        first.contains("tested") && first.contains("deployed"),
        "{first}"
    );
    // The host test greps the page for <h1>: a page without one fails it before any deploy.
    ctx.write("www/index.html", "<p>no heading</p>\n");
    let line = dev
        .next_rebuild(Duration::from_secs(60))
        .unwrap_or_default();
    assert!(line.contains("test:page failed"), "{line}");
    assert!(
        page(port).contains("Hello from devloop"),
        "the old version still serves"
    );
    assert_eq!(dev.interrupt(), Some(130));
    assert!(deployed(&app).is_empty());
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn dev_takes_the_shipped_environment_over_refuses_a_ship_meanwhile_and_puts_it_back() {
    let ctx = TestContext::hello("dl-devship");
    let app = ctx.app().to_string();
    let port = ctx.port();
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let name = format!("{app}-local");
    let release = || {
        docker(&[
            "inspect",
            "--format",
            "{{index .Config.Labels \"devloop.release\"}}",
            &name,
        ])
    };
    let shipped = release();
    assert!(!shipped.is_empty());

    let dev = Dev::start(&ctx, &["dev"]);
    let said = dev
        .next_rebuild(Duration::from_secs(120))
        .unwrap_or_default();
    assert!(
        said.contains(&format!("runs release {shipped}; dev replaces it")),
        "{said}"
    );
    let first = dev
        .next_rebuild(Duration::from_secs(120))
        .unwrap_or_default();
    assert!(first.contains("started: "), "{first}");
    ctx.write("www/index.html", "<h1>dev save</h1>\n");
    assert!(served(port, "dev save", Duration::from_secs(30)).is_some());

    // A ship while dev holds the environment is refused, naming dev; nothing is replaced.
    let r = ctx.run(["deploy"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("devloop dev by") && r.stderr.contains("holds the deploy lock"),
        "{}",
        r.stderr
    );
    assert!(page(port).contains("dev save"));

    // Ctrl-C: the shipped release is back, serving, and monitor --check agrees.
    assert_eq!(dev.interrupt(), Some(130));
    assert_eq!(release(), shipped);
    assert!(served(port, "Hello from devloop", Duration::from_secs(10)).is_some());
    let r = ctx.run(["monitor", "--check"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn dev_over_a_set_rebuilds_only_the_service_whose_files_changed() {
    let ctx = TestContext::shop("dl-devset");
    ctx.replace("devloop.toml", "retries = 30", "retries = 5");
    ctx.commit("quick health");
    let app = ctx.app().to_string();
    let port = ctx.port();
    let dev = Dev::start(&ctx, &["dev"]);
    let mut started = Vec::new();
    while started.len() < 3 {
        let line = dev
            .next_rebuild(Duration::from_secs(120))
            .unwrap_or_else(|| panic!("only {started:?} started"));
        for s in ["store", "api", "web"] {
            if line.contains(&format!(" {s}: started")) {
                started.push(s);
            }
        }
    }
    assert_eq!(
        started,
        ["store", "api", "web"],
        "in the order of their needs"
    );
    assert!(served(port, "No items yet", Duration::from_secs(30)).is_some());
    let id = |s: &str| {
        docker(&[
            "inspect",
            "--format",
            "{{.Id}}",
            &format!("{app}-local-{s}"),
        ])
    };
    let (store, api) = (id("store"), id("api"));

    let web = std::fs::read_to_string(ctx.join("web/app.sh")).unwrap();
    ctx.write(
        "web/app.sh",
        web.replace("No items yet", "Nothing here yet"),
    );
    let line = dev
        .next_rebuild(Duration::from_secs(60))
        .expect("a rebuild after the save");
    assert!(line.contains(" web: "), "{line}");
    assert!(served(port, "Nothing here yet", Duration::from_secs(30)).is_some());
    assert_eq!(id("store"), store, "the store was restarted");
    assert_eq!(id("api"), api, "the api was restarted");

    assert_eq!(dev.interrupt(), Some(130));
    // dev started every service, so it removes them all; the store's volume stays.
    assert_eq!(deployed(&app), "", "containers left behind");
    assert!(!docker(&[
        "volume",
        "ls",
        "-q",
        "--filter",
        &format!("name={app}-store")
    ])
    .is_empty());
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn dev_over_a_shipped_set_puts_every_service_back_when_it_stops() {
    let ctx = TestContext::shop("dl-devback");
    ctx.replace("devloop.toml", "retries = 30", "retries = 5");
    ctx.commit("quick health");
    let app = ctx.app().to_string();
    let r = ctx.run(["ship", "--no-tests"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let release = |s: &str| {
        docker(&[
            "inspect",
            "--format",
            "{{index .Config.Labels \"devloop.release\"}}",
            &format!("{app}-local-{s}"),
        ])
    };
    let shipped = release("web");
    assert!(!shipped.is_empty());
    let dev = Dev::start(&ctx, &["dev", "-s", "web"]);
    let line = dev
        .next_rebuild(Duration::from_secs(120))
        .expect("a first line");
    // -s web brings what web needs along: store first.
    assert!(line.contains(" store: started"), "{line}");
    let mut web_started = false;
    while !web_started {
        let line = dev
            .next_rebuild(Duration::from_secs(120))
            .expect("web starts");
        web_started = line.contains(" web: started");
    }
    // The same image as shipped: nothing was replaced. A save makes dev's own release serve.
    assert_eq!(release("web"), shipped);
    let web = std::fs::read_to_string(ctx.join("web/app.sh")).unwrap();
    ctx.write("web/app.sh", web.replace("No items yet", "Nothing in dev"));
    let line = dev
        .next_rebuild(Duration::from_secs(60))
        .expect("a rebuild after the save");
    assert!(line.contains(" web: "), "{line}");
    assert!(
        release("web").starts_with("dev-"),
        "dev's own release serves"
    );
    assert_eq!(dev.interrupt(), Some(130));
    assert_eq!(release("web"), shipped, "the shipped web is not back");
    assert_eq!(release("api"), shipped, "the shipped api is not back");
    assert!(served(ctx.port(), "No items yet", Duration::from_secs(30)).is_some());
}
