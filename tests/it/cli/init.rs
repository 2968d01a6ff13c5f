//! `devloop init` in a directory of one's own: a config that loads, named after the directory,
//! and never overwritten without `--force`.

use crate::support::*;

#[test]
fn init_writes_a_loadable_config_and_refuses_to_overwrite() {
    let ctx = TestContext::new();
    let app_dir = ctx.join("My Shop");
    ctx.write("My Shop/Dockerfile", "FROM busybox:1.36\n");
    let init = |args: &[&str]| ctx.devloop(args).current_dir(&app_dir).run();
    let r = init(&["init"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(app_dir.join("devloop.toml")).unwrap();
    assert!(text.contains("name = \"my-shop\""), "{text}");
    assert!(text.contains("Found ./Dockerfile"));
    // The written file is valid (tags need git, so plan the deploy part only).
    let r = init(&["plan", "deploy"]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    std::fs::write(app_dir.join("devloop.toml"), "keep me").unwrap();
    let r = init(&["init"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("already exists") && r.stderr.contains("--force"));
    assert_eq!(
        std::fs::read_to_string(app_dir.join("devloop.toml")).unwrap(),
        "keep me"
    );
    let r = init(&["init", "--force", "--name", "shop"]);
    assert_eq!(r.code, 0);
    assert!(std::fs::read_to_string(app_dir.join("devloop.toml"))
        .unwrap()
        .contains("name = \"shop\""));
}

/// An error caused by another keeps it: one line by default, the cause under it with `-v`, and
/// in the JSON error's `causes`.
#[test]
fn a_failure_names_its_cause_and_v_shows_it_under_the_message() {
    let ctx = TestContext::new();
    std::fs::create_dir_all(ctx.join("devloop.toml")).unwrap();
    let r = ctx.run(["init", "--force"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot write") && r.stderr.contains("devloop.toml: Is a directory"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("caused by"), "{}", r.stderr);
    let r = ctx.run(["-v", "init", "--force"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("\n  caused by: Is a directory"),
        "{}",
        r.stderr
    );
    let r = ctx.run(["-o", "json", "init", "--force"]);
    let error: serde_json::Value = r
        .stdout
        .lines()
        .find_map(|l| serde_json::from_str(l).ok())
        .expect("a JSON error event");
    assert_eq!(error["event"], "error");
    assert!(
        error["causes"][0]
            .as_str()
            .is_some_and(|c| c.starts_with("Is a directory")),
        "{error}"
    );
}
