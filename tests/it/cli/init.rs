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
