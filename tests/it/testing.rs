//! `devloop test` against the real Docker daemon: the three kinds, failures, JUnit, and Ctrl-C.

use std::time::{Duration, Instant};

use crate::support::*;

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn the_example_passes_all_three_kinds_of_test() {
    // Same example, own image name, so parallel tests never share images.
    let ctx = TestContext::docker("dl-hello").with_example("hello");
    let app = ctx.app();
    let r = ctx.run(["test", "--junit", "report.xml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for t in ["test:page", "test:in-image", "test:http"] {
        assert!(r.stderr.contains(&format!("{t} done")), "{t}: {}", r.stderr);
    }
    let xml = ctx.read("report.xml");
    assert!(xml.contains("tests=\"3\" failures=\"0\""), "{xml}");
    assert!(leftover_test_containers(app).is_empty());
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn failing_tests_exit_1_with_their_output_and_a_junit_report() {
    let ctx = TestContext::docker("dl-fail");
    let app = ctx.app().to_string();
    let toml = format!(
        r#"[app]
name = "{app}"
[[test]]
name = "host-fails"
run = "echo checking the thing; echo secret-is-$TOKEN; exit 4"
env = {{ TOKEN = {{ value = "hunter2-xyz", secret = true }} }}
[[test]]
name = "image-fails"
kind = "image"
run = "echo inside; exit 7"
[[test]]
name = "after"
run = "true"
needs = ["host-fails"]
[[test]]
name = "dead-service"
kind = "service"
port = 80
ready_timeout = "20s"
"#
    );
    let ctx = ctx.with_files(&[
        ("devloop.toml", &toml),
        (
            "Dockerfile",
            "FROM busybox:1.36\nCMD [\"sh\", \"-c\", \"echo going down; exit 9\"]\n",
        ),
    ]);
    let r = ctx.run(["test", "--junit", "junit.xml"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "`echo checking the thing; echo secret-is-$TOKEN; exit 4` exited with code 4"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("checking the thing"), "{}", r.stderr);
    assert!(
        r.stderr.contains("exited with code 7 inside"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("the service exited (code 9) before it was ready"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("going down"), "{}", r.stderr);
    assert!(!r.stderr.contains("hunter2-xyz") && !r.stdout.contains("hunter2-xyz"));
    assert!(r.stderr.contains("secret-is-***"), "{}", r.stderr);
    let xml = ctx.read("junit.xml");
    assert!(xml.contains("tests=\"4\" failures=\"3\""), "{xml}");
    assert!(
        xml.contains("<skipped message=\"test:host-fails did not succeed\"/>"),
        "{xml}"
    );
    assert!(!xml.contains("hunter2-xyz"));
    assert!(leftover_test_containers(&app).is_empty());
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn ctrl_c_during_an_image_test_removes_its_container_and_exits_130() {
    let ctx = TestContext::docker("dl-int");
    let app = ctx.app().to_string();
    let toml = format!("[app]\nname = \"{app}\"\n[[test]]\nname = \"slow\"\nkind = \"image\"\nrun = \"sleep 60\"\n");
    let ctx = ctx.with_files(&[
        ("devloop.toml", &toml),
        ("Dockerfile", "FROM busybox:1.36\n"),
    ]);
    let mut child = ctx
        .devloop(["test"])
        .spawn_with(std::process::Stdio::null(), std::process::Stdio::piped());
    let started = Instant::now();
    while leftover_test_containers(&app).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the test container never appeared"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // SAFETY: sending SIGINT to our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "Ctrl-C took too long"
    );
    // Removal is synchronous before exit.
    assert!(
        leftover_test_containers(&app).is_empty(),
        "{:?}",
        leftover_test_containers(&app)
    );
}

#[test]
fn a_host_test_timeout_kills_the_command() {
    let toml =
        "[app]\nname = \"t\"\n[[test]]\nname = \"hang\"\nrun = \"sleep 30\"\ntimeout = \"500ms\"\n";
    let ctx = TestContext::new().with_files(&[("devloop.toml", toml)]);
    let started = Instant::now();
    let r = ctx
        .devloop(["test", "hang"])
        .env("DOCKER_HOST", "unix:///nonexistent.sock")
        .run();
    // The build step runs first and cannot reach the daemon; host tests do not wait for it.
    assert!(r.stderr.contains("timed out after 500ms"), "{}", r.stderr);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn unknown_test_names_are_usage_errors() {
    let ctx = TestContext::new().with_files(&[(
        "devloop.toml",
        "[app]\nname = \"t\"\n[[test]]\nname = \"unit\"\nrun = \"true\"\n",
    )]);
    let r = ctx.run(["test", "unti"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("no test named \"unti\" — did you mean \"unit\"?"),
        "{}",
        r.stderr
    );
}
