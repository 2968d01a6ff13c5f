//! The first hour on a project of one's own (not an example of the repo): `init` with a Dockerfile
//! that exposes 3000, `git add -A && git commit`, `ship`, an empty commit and `ship` again with
//! nothing rebuilt or restarted, a dirty tree named before anything runs, and `init --example`.

mod common;

use common::peers::free_port;
use common::*;

/// A busybox httpd site listening on 3000, committed, with the config `devloop init` writes.
fn own_project(app: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("www")).unwrap();
    std::fs::write(d.join("www/index.html"), "<h1>mine</h1>\n").unwrap();
    std::fs::write(
        d.join("Dockerfile"),
        "FROM busybox:1.36\nCOPY www /www\nEXPOSE 3000\nCMD [\"httpd\", \"-f\", \"-p\", \"3000\", \"-h\", \"/www\"]\n",
    )
    .unwrap();
    git2::Repository::init(d).unwrap();
    let r = run(devloop(d).args(["init", "--name", app]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    dir
}

#[test]
fn init_uses_the_exposed_port_checks_it_and_writes_a_dockerignore() {
    let dir = own_project("mine");
    let d = dir.path();
    let cfg = std::fs::read_to_string(d.join("devloop.toml")).unwrap();
    assert!(
        cfg.contains("deploy.docker.ports = [\"3000:3000\"]"),
        "{cfg}"
    );
    assert!(
        cfg.contains("[deploy.health]") && cfg.contains("port = 3000"),
        "{cfg}"
    );
    assert!(cfg.contains("devloop init --example"), "{cfg}");
    let ignore = std::fs::read_to_string(d.join(".dockerignore")).unwrap();
    for line in [".git", ".devloop", "devloop.toml"] {
        assert!(ignore.lines().any(|l| l == line), "{line}: {ignore}");
    }
    // An existing .dockerignore is the user's: kept.
    std::fs::write(d.join(".dockerignore"), "mine\n").unwrap();
    let r = run(devloop(d).args(["init", "--force"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(d.join(".dockerignore")).unwrap(),
        "mine\n"
    );
    // The full reference is one command away, for a `cargo install` user without the repo.
    let r = run(devloop(d).args(["init", "--example"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("[deploy.beanstalk]"), "{}", r.stdout);
}

#[test]
fn a_dirty_tree_is_named_by_plan_and_refused_by_release_before_anything_runs() {
    let dir = own_project("mine");
    let d = dir.path();
    commit_all(d, "init");
    std::fs::write(d.join("www/index.html"), "<h1>edited</h1>\n").unwrap();
    let r = run(devloop(d).args(["plan", "release"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("REFUSED: tracked files have uncommitted changes (www/index.html)"),
        "{}",
        r.stdout
    );
    let r = run(devloop(d).args(["release"]));
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
    require_docker();
    let app = unique("dl-own");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let dir = own_project(&app);
    let d = dir.path();
    let port = free_port();
    replace_in(
        d,
        "devloop.toml",
        "\"3000:3000\"",
        &format!("\"{port}:3000\""),
    );
    commit_all(d, "init");
    let r = run(devloop(d).arg("ship"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let said = format!("{}{}", r.stdout, r.stderr);
    assert!(said.contains("healthy by TCP port 3000"), "{said}");
    let started = docker(&[
        "inspect",
        "--format",
        "{{.State.StartedAt}}",
        &format!("{app}-local"),
    ]);
    // `git add -A` after a ship: devloop's state keeps itself out.
    commit_all(d, "after ship");
    let repo = git2::Repository::open(d).unwrap();
    let head = repo.head().unwrap().peel_to_tree().unwrap();
    assert!(
        head.get_name(".devloop").is_none(),
        ".devloop/ was committed"
    );
    // An empty commit changes nothing in the image: nothing rebuilt, released or restarted.
    let sig = git2::Signature::now("t", "t@example.com").unwrap();
    let parent = repo.head().unwrap().peel_to_commit().unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "empty", &head, &[&parent])
        .unwrap();
    let r = run(devloop(d).arg("ship"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let said = format!("{}{}", r.stdout, r.stderr);
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
    let r = run(devloop(d).args(["plan", "dev"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("dev holds the environment's deploy lock while it runs"),
        "{}",
        r.stdout
    );
    let r = run(devloop(d).args(["plan", "rollback"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("nothing to roll back to") && r.stderr.contains("release --list"),
        "{}",
        r.stderr
    );
}

#[test]
fn help_shows_examples_and_keeps_global_options_apart() {
    for cmd in ["deploy", "plan", "dev", "init", "monitor"] {
        let r = run(devloop(std::path::Path::new("/")).args([cmd, "--help"]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stdout.contains("\nExamples:\n  devloop "),
            "{cmd}: {}",
            r.stdout
        );
        let (own, global) = r
            .stdout
            .split_once("Global options:")
            .expect("a global section");
        assert!(global.contains("--env <NAME>"), "{cmd}");
        assert!(
            !own.contains("--env <NAME>"),
            "{cmd}: global flags listed with its own"
        );
    }
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_service_test_on_the_wrong_port_says_what_it_ran_into_and_what_the_image_exposes() {
    require_docker();
    let app = unique("dl-svcport");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let dir = own_project(&app);
    let d = dir.path();
    let cfg = std::fs::read_to_string(d.join("devloop.toml")).unwrap();
    std::fs::write(
        d.join("devloop.toml"),
        format!("{cfg}\n[[test]]\nname = \"web\"\nkind = \"service\"\nport = 80\nhttp = \"/\"\nready_timeout = \"2s\"\n"),
    )
    .unwrap();
    commit_all(d, "a service test on the wrong port");
    let r = run(devloop(d).arg("test"));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("last: nothing answered HTTP")
            && r.stderr.contains("the image exposes 3000/tcp, not 80"),
        "{}",
        r.stderr
    );
}
