//! `deploy`, `rollback` and `monitor` on every target: the local Docker daemon, a single-node
//! swarm, and ECS and Elastic Beanstalk against moto and the AWS peer.

mod beanstalk;
mod beanstalk_set;
mod docker;
mod docker_safety;
mod ecs;
mod seam;
mod swarm;

use std::time::{Duration, Instant};

use crate::support::*;

/// examples/hello under an app name of its own, published on a free port, on a swarm manager.
pub fn hello_on_swarm(prefix: &str) -> TestContext {
    TestContext::swarm(prefix)
        .with_example("hello")
        .with_port("HELLO_PORT")
}

/// `monitor -o json`: what runs now.
pub fn status(ctx: &TestContext) -> serde_json::Value {
    let r = ctx.run(["monitor", "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()
}

/// Poll until the image HEALTHCHECK reports healthy (it lags the deploy's own probe).
pub fn wait_healthy(ctx: &TestContext) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let s = status(ctx);
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

/// A new paragraph on examples/hello's page, committed: a release with other content.
pub fn change_page(ctx: &TestContext, text: &str) {
    ctx.replace(
        "www/index.html",
        "</body>",
        &format!("<p>{text}</p></body>"),
    );
    ctx.commit(text);
}
