//! `devloop monitor` and `monitor --check` on the docker target, on the real daemon: nothing
//! deployed, then examples/hello shipped and healthy. Uptime, CPU, memory, the host's memory
//! limit and the published port are filtered; docker's IPv6 twin of the port mapping (present
//! only where the daemon has IPv6) is left out.

use crate::support::*;

fn snapshot(ctx: &TestContext, name: &str, description: &str, r: &Run) {
    ctx.snapshot(name)
        .describe(description)
        .filter(r", :::\[PORT\]->80/tcp", "")
        .assert(&r.transcript());
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn monitor_before_and_after_a_ship() {
    let ctx = TestContext::hello("dl-snapmon");
    let r = ctx.run(["monitor"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    snapshot(
        &ctx,
        "monitor_nothing_deployed",
        "devloop monitor, nothing deployed",
        &r,
    );
    let r = ctx.run(["monitor", "--check"]);
    assert_eq!(r.code, 1, "{}", r.transcript());
    snapshot(
        &ctx,
        "monitor_check_nothing_deployed",
        "devloop monitor --check, nothing deployed",
        &r,
    );

    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Until the image HEALTHCHECK has passed once, monitor says "starting".
    let started = std::time::Instant::now();
    while ctx.run(["monitor", "-o", "json"]).json()["healthcheck"] != "healthy" {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the HEALTHCHECK never passed"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let r = ctx.run(["monitor"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    snapshot(
        &ctx,
        "monitor_healthy",
        "devloop monitor, examples/hello shipped",
        &r,
    );
    let r = ctx.run(["monitor", "--check"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    snapshot(
        &ctx,
        "monitor_check_healthy",
        "devloop monitor --check, examples/hello shipped",
        &r,
    );
}
