//! The first hour's messages, word for word: config mistakes a newcomer makes, a dirty tree,
//! and what `init` says and writes.

use crate::support::*;

fn project_with(config: &str) -> TestContext {
    TestContext::new().with_files(&[
        ("devloop.toml", config),
        ("Dockerfile", "FROM busybox:1.36\nEXPOSE 3000\n"),
    ])
}

#[test]
fn a_list_written_as_a_string_says_what_to_write() {
    let ctx = project_with(
        "[app]\nname = \"web\"\n[deploy]\ntarget = \"docker\"\n[deploy.docker]\nports = \"18480:80\"\n",
    );
    let r = ctx.run(["plan"]);
    assert_eq!(r.code, 2);
    ctx.snapshot("list_as_string").assert(&r.stderr);
}

#[test]
fn a_duration_written_as_a_number_says_what_to_write() {
    let ctx = project_with("[app]\nname = \"web\"\n[deploy]\ntarget = \"docker\"\ntimeout = 30\n");
    let r = ctx.run(["plan"]);
    assert_eq!(r.code, 2);
    ctx.snapshot("duration_as_number").assert(&r.stderr);
}

#[test]
fn a_host_ip_typo_is_refused_where_it_is() {
    let ctx = project_with(
        "[app]\nname = \"web\"\n[deploy]\ntarget = \"docker\"\n[deploy.docker]\nports = [\"127.0.0.l:18931:80\"]\n",
    );
    let r = ctx.run(["plan"]);
    assert_eq!(r.code, 2);
    ctx.snapshot("host_ip_typo").assert(&r.stderr);
}

#[test]
fn a_dirty_tree_is_named_in_the_plan() {
    let ctx = project_with("[app]\nname = \"web\"\n[deploy]\ntarget = \"docker\"\n");
    ctx.write("Dockerfile", "FROM busybox:1.36\n");
    let r = ctx.run(["plan", "release"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    ctx.snapshot("dirty_plan").assert(&r.stdout);
    let r = ctx.run(["release"]);
    assert_eq!(r.code, 2);
    ctx.snapshot("dirty_release").assert(&r.stderr);
}

#[test]
fn init_says_what_it_wrote_and_why() {
    let ctx = TestContext::new();
    ctx.write("Dockerfile", "FROM busybox:1.36\nEXPOSE 3000\n");
    let r = ctx.run(["init", "--name", "web"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    ctx.snapshot("init_said").assert(&r.stderr);
    ctx.snapshot("init_config")
        .assert(&ctx.read("devloop.toml"));
}
