//! The first hour on a project of one's own (not an example of the repo): `init` with a Dockerfile
//! that exposes 3000, `git add -A && git commit`, `ship`, an empty commit and `ship` again with
//! nothing rebuilt or restarted, a dirty tree named before anything runs, and `init --example`.

use crate::support::*;

/// A busybox httpd site listening on 3000 in a fresh git repository (nothing committed), with the
/// config `devloop init --name <app>` writes.
fn own_project(ctx: TestContext, app: &str) -> TestContext {
    ctx.write("www/index.html", "<h1>mine</h1>\n");
    ctx.write(
        "Dockerfile",
        "FROM busybox:1.36\nCOPY www /www\nEXPOSE 3000\nCMD [\"httpd\", \"-f\", \"-p\", \"3000\", \"-h\", \"/www\"]\n",
    );
    ctx.git_init();
    let r = ctx.run(["init", "--name", app]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    ctx
}

#[test]
fn init_uses_the_exposed_port_checks_it_and_writes_a_dockerignore() {
    let ctx = own_project(TestContext::new(), "mine");
    let cfg = ctx.read("devloop.toml");
    assert!(
        cfg.contains("deploy.docker.ports = [\"3000:3000\"]"),
        "{cfg}"
    );
    assert!(
        cfg.contains("[deploy.health]") && cfg.contains("port = 3000"),
        "{cfg}"
    );
    assert!(cfg.contains("devloop init --example"), "{cfg}");
    let ignore = ctx.read(".dockerignore");
    for line in [".git", ".devloop", "devloop.toml"] {
        assert!(ignore.lines().any(|l| l == line), "{line}: {ignore}");
    }
    // An existing .dockerignore is the user's: kept.
    ctx.write(".dockerignore", "mine\n");
    let r = ctx.run(["init", "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(ctx.read(".dockerignore"), "mine\n");
    // The full reference is one command away, for a `cargo install` user without the repo.
    let r = ctx.run(["init", "--example"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("[deploy.beanstalk]"), "{}", r.stdout);
}

#[test]
fn a_dirty_tree_is_named_by_plan_and_refused_by_release_before_anything_runs() {
    let ctx = own_project(TestContext::new(), "mine");
    ctx.commit("init");
    ctx.write("www/index.html", "<h1>edited</h1>\n");
    let r = ctx.run(["plan", "release"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("REFUSED: tracked files have uncommitted changes (www/index.html)"),
        "{}",
        r.stdout
    );
    let r = ctx.run(["release"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("tracked files have uncommitted changes (www/index.html)"),
        "{}",
        r.stderr
    );
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn ship_then_an_empty_commit_rebuilds_and_restarts_nothing_and_state_stays_out_of_git() {
    let ctx = TestContext::docker("dl-own");
    let app = ctx.app().to_string();
    let ctx = own_project(ctx, &app);
    let port = free_port();
    ctx.replace("devloop.toml", "\"3000:3000\"", &format!("\"{port}:3000\""));
    ctx.commit("init");
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.all().contains("healthy by TCP port 3000"), "{}", r.all());
    let started = docker(&[
        "inspect",
        "--format",
        "{{.State.StartedAt}}",
        &format!("{app}-local"),
    ]);
    // `git add -A` after a ship: devloop's state keeps itself out.
    ctx.commit("after ship");
    let repo = git2::Repository::open(ctx.path()).unwrap();
    let head = repo.head().unwrap().peel_to_tree().unwrap();
    assert!(
        head.get_name(".devloop").is_none(),
        ".devloop/ was committed"
    );
    // An empty commit changes nothing in the image: nothing rebuilt, released or restarted.
    ctx.commit_empty("empty");
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let said = r.all();
    for step in ["build    skipped", "deploy   skipped"] {
        assert!(said.contains(step), "{step}: {said}");
    }
    assert_eq!(
        docker(&[
            "inspect",
            "--format",
            "{{.State.StartedAt}}",
            &format!("{app}-local")
        ]),
        started,
        "the container was not restarted"
    );
    // `plan` plans dev and rollback too; a rollback with nothing before says what to do instead.
    let r = ctx.run(["plan", "dev"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("dev holds the environment's deploy lock while it runs"),
        "{}",
        r.stdout
    );
    let r = ctx.run(["plan", "rollback"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("nothing to roll back to") && r.stderr.contains("release --list"),
        "{}",
        r.stderr
    );
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_service_test_on_the_wrong_port_says_what_it_ran_into_and_what_the_image_exposes() {
    let ctx = TestContext::docker("dl-svcport");
    let app = ctx.app().to_string();
    let ctx = own_project(ctx, &app);
    let cfg = ctx.read("devloop.toml");
    ctx.write(
        "devloop.toml",
        format!("{cfg}\n[[test]]\nname = \"web\"\nkind = \"service\"\nport = 80\nhttp = \"/\"\nready_timeout = \"2s\"\n"),
    );
    ctx.commit("a service test on the wrong port");
    let r = ctx.run(["test"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("last: nothing answered HTTP")
            && r.stderr.contains("the image exposes 3000/tcp, not 80"),
        "{}",
        r.stderr
    );
}
