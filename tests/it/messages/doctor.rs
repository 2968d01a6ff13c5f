//! `devloop doctor`'s report, made the same everywhere by pointing DOCKER_HOST at a socket that
//! does not exist: a good config, a config every command refuses, and AWS needed without
//! credentials.

use crate::support::*;

fn doctor(ctx: &TestContext) -> Run {
    ctx.devloop(["doctor"])
        .env("DOCKER_HOST", "unix:///nonexistent/devloop.sock")
        .no_aws_credentials()
        .run()
}

#[test]
fn doctor_on_the_example_without_a_daemon() {
    let ctx = TestContext::new().with_example("hello");
    let r = doctor(&ctx);
    assert_eq!(r.code, 1, "{}", r.transcript());
    ctx.snapshot("doctor_no_daemon")
        .describe("devloop doctor in examples/hello, DOCKER_HOST=unix:///nonexistent/devloop.sock")
        .assert(&r.transcript());
}

#[test]
fn doctor_on_a_config_every_command_refuses() {
    let ctx = TestContext::new().with_files(&[(
        "devloop.toml",
        "[app]\nname = \"web\"\n[deploy]\ntarget = \"docker\"\n[[test]]\nname = \"a\"\nrun = \"true\"\nneeds = [\"b\"]\n[[test]]\nname = \"b\"\nrun = \"true\"\nneeds = [\"a\"]\n",
    )]);
    let r = doctor(&ctx);
    assert_eq!(r.code, 2, "{}", r.transcript());
    ctx.snapshot("doctor_bad_config")
        .describe("devloop doctor, two tests that need each other")
        .assert(&r.transcript());
}

#[test]
fn doctor_when_the_config_needs_aws_and_there_are_no_credentials() {
    let ctx = TestContext::new().with_files(&[(
        "devloop.toml",
        "[app]\nname = \"web\"\n[release]\nregistry = \"ecr\"\n[aws]\nregion = \"us-east-1\"\n",
    )]);
    let r = doctor(&ctx);
    assert_eq!(r.code, 1, "{}", r.transcript());
    ctx.snapshot("doctor_no_aws_credentials")
        .describe("devloop doctor, release.registry = \"ecr\" and no AWS credentials")
        .assert(&r.transcript());
}
