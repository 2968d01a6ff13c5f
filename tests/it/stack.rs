//! `kind = "stack"` tests on examples/shop against the real Docker daemon: the set brought up on
//! a network of its own and checked end to end, a service that never gets healthy, the
//! deployment's volume left alone, and Ctrl-C; nothing the test made is left behind on any path.

use std::time::{Duration, Instant};

use crate::support::*;

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn the_shop_stack_test_passes_through_every_service_and_leaves_nothing_behind() {
    let ctx = TestContext::shop("dl-stack");
    let r = ctx.run(["test", "through", "--junit", "report.xml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("test:through done"), "{}", r.stderr);
    assert!(
        r.stderr.contains("passed against store, api, web"),
        "{}",
        r.stderr
    );
    // Each gate was passed in graph order, and the URLs the command read are in the report.
    let (store, api, web) = (
        r.stderr.find("store: healthy by").expect("store healthy"),
        r.stderr.find("api: healthy by").expect("api healthy"),
        r.stderr.find("web: healthy by").expect("web healthy"),
    );
    assert!(store < api && api < web, "{}", r.stderr);
    let xml = ctx.read("report.xml");
    assert!(xml.contains("tests=\"1\" failures=\"0\""), "{xml}");
    assert!(xml.contains("DEVLOOP_URL_WEB=http://127.0.0.1:"), "{xml}");
    // Published at free loopback ports, never at the configured host port.
    assert!(!xml.contains(&format!("127.0.0.1:{}", ctx.port())), "{xml}");
    assert_eq!(leftovers_of_tests(ctx.app()), Vec::<String>::new());
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_service_that_exits_fails_the_stack_test_naming_it_with_its_last_lines() {
    let ctx = TestContext::shop("dl-stack-dead");
    // The store gives up at once, saying why.
    ctx.replace(
        "devloop.toml",
        "httpd -f -p 7000 -h /www & wait",
        "echo store cannot start: disk full >&2; exit 3",
    );
    ctx.commit("a store that dies");
    let r = ctx.run(["test", "through"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "service \"store\" never became healthy (unhealthy: the container exited (code 3))"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("last lines of service \"store\":"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("store cannot start: disk full"),
        "{}",
        r.stderr
    );
    // What needs it was never started.
    assert!(!r.stderr.contains("starting api"), "{}", r.stderr);
    assert_eq!(leftovers_of_tests(ctx.app()), Vec::<String>::new());
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_service_never_healthy_within_ready_timeout_fails_naming_it() {
    let ctx = TestContext::shop("dl-stack-slow");
    // The API answers, but never on the path its gate probes.
    ctx.replace(
        "devloop.toml",
        "deploy.health.http = \"/healthz\"\ndeploy.health.port = 8080",
        "deploy.health.http = \"/nowhere\"\ndeploy.health.port = 8080",
    );
    ctx.replace(
        "devloop.toml",
        "name = \"through\"\nkind = \"stack\"",
        "name = \"through\"\nkind = \"stack\"\nready_timeout = \"3s\"",
    );
    ctx.commit("an api that is never healthy");
    let started = Instant::now();
    let r = ctx.run(["test", "through"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "service \"api\" was not healthy within 3s (still starting: HTTP /nowhere answered 404)"
        ),
        "{}",
        r.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(leftovers_of_tests(ctx.app()), Vec::<String>::new());
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_stack_test_never_touches_the_deployments_volume() {
    let ctx = TestContext::shop("dl-stack-vol");
    // The deployment's data, as a deploy of this app would have left it.
    let real = Volume::with_file(&format!("{}-store", ctx.app()), "kept", "real data");
    let r = ctx.run(["test", "through"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The item the test added went to the test's own volume, gone with it.
    assert_eq!(real.files(), "kept=real data");
    assert_eq!(leftovers_of_tests(ctx.app()), Vec::<String>::new());
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn ctrl_c_during_a_stack_test_removes_everything_and_exits_130() {
    let ctx = TestContext::shop("dl-stack-int");
    ctx.replace(
        "devloop.toml",
        "name = \"through\"\nkind = \"stack\"\nrun = '",
        "name = \"through\"\nkind = \"stack\"\nrun = 'touch started; sleep 60; ",
    );
    ctx.commit("a slow check");
    let mut child = ctx
        .devloop(["test", "through"])
        .spawn_with(std::process::Stdio::null(), std::process::Stdio::null());
    let started = Instant::now();
    while !ctx.join("started").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the stack test's command never started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        leftovers_of_tests(ctx.app()).len(),
        5,
        "3 containers, a volume, a network"
    );
    let interrupted = Instant::now();
    // SAFETY: sending SIGINT to our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().expect("wait for devloop");
    assert_eq!(status.code(), Some(130));
    assert!(interrupted.elapsed() < Duration::from_secs(25));
    assert_eq!(leftovers_of_tests(ctx.app()), Vec::<String>::new());
}
