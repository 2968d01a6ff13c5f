//! What devloop refuses before anything runs, always exit 2 and with nothing written: config
//! typos and wrong types (located, in text and JSON), bad switch values, a missing config, bad
//! target settings, a tree whose status cannot be read, and `dev` on an AWS target.

use crate::support::*;

#[test]
fn typo_in_a_key_is_located_with_a_suggestion_and_changes_nothing() {
    let ctx = TestContext::new().with_files(&[(
        "devloop.toml",
        "[app]\nname = \"x\"\n\n[build]\ncontext = \".\"\nimgae = \"foo\"\n",
    )]);
    let before = ctx.listing();
    for cmd in [&["plan"][..], &["build"], &["ship"], &["deploy"]] {
        let r = ctx.run(cmd);
        assert_eq!(r.code, 2, "{cmd:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(
                "error: devloop.toml:6:1: unknown key \"imgae\" — did you mean \"image\"?"
            ),
            "{}",
            r.stderr
        );
    }
    assert_eq!(ctx.listing(), before);
}

#[test]
fn wrong_type_is_located() {
    let ctx = TestContext::new().with_files(&[(
        "devloop.toml",
        "[app]\nname = \"x\"\n[deploy]\ntimeout = 90\n",
    )]);
    let r = ctx.run(["plan"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(
            "devloop.toml:4:11: deploy.timeout must be a duration string, like timeout = \"90s\""
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn config_errors_in_json_mode_are_json() {
    let ctx = TestContext::new().with_files(&[("devloop.toml", "[app]\nnmae = \"x\"\n")]);
    let r = ctx.run(["plan", "-o", "json"]);
    assert_eq!(r.code, 2);
    let ev = r.json();
    assert_eq!(ev["event"], "error");
    assert_eq!(ev["exit_code"], 2);
    assert!(ev["message"]
        .as_str()
        .unwrap()
        .contains("did you mean \"name\""));
}

#[test]
fn switch_variables_take_1_yes_on_and_their_opposites() {
    let ctx = TestContext::new();
    for (value, ok) in [
        ("1", true),
        ("yes", true),
        ("on", true),
        ("true", true),
        ("0", true),
        ("off", true),
        ("maybe", false),
    ] {
        let r = ctx
            .devloop(["build"])
            .env("DEVLOOP_BUILDKIT", value)
            .env("DEVLOOP_NO_CACHE", value)
            .env("DEVLOOP_NO_COLOR", value)
            .run();
        assert_eq!(r.code, 2, "{value}: {}", r.stderr);
        // Accepted values get as far as looking for the config.
        assert_eq!(
            r.stderr.contains("no devloop.toml in"),
            ok,
            "{value}: {}",
            r.stderr
        );
        assert_eq!(
            r.stderr.contains(&format!("invalid value '{value}'")),
            !ok,
            "{value}: {}",
            r.stderr
        );
    }
}

#[test]
fn missing_config_says_where_it_looked() {
    let r = TestContext::new().run(["plan"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no devloop.toml in"), "{}", r.stderr);
    assert!(r.stderr.contains("devloop init"));
}

#[test]
fn bad_target_settings_are_refused_when_the_config_loads() {
    // Refused before the build, the release or anything else runs: exit 2 with the location.
    let toml = "[app]\nname = \"x\"\n\n[env.local]\ndeploy.target = \"docker\"\ndeploy.docker.ports = [\"80:http\"]\n";
    let ctx = TestContext::new().with_files(&[
        ("devloop.toml", toml),
        ("Dockerfile", "FROM busybox:1.36\n"),
    ]);
    let before = ctx.listing();
    for cmd in [
        &["plan"][..],
        &["ship"],
        &["-e", "local", "deploy"],
        &["build"],
    ] {
        let r = ctx.run(cmd);
        assert_eq!(r.code, 2, "{cmd:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(
                "devloop.toml:6:24: port mapping \"80:http\": \"http\" is not a port number"
            ),
            "{cmd:?}: {}",
            r.stderr
        );
    }
    assert_eq!(ctx.listing(), before);
}

#[test]
fn a_tree_whose_status_cannot_be_read_is_not_released_as_clean() {
    let ctx = TestContext::new().with_files(&[
        ("devloop.toml", "[app]\nname = \"x\"\n"),
        ("Dockerfile", "FROM busybox:1.36\n"),
    ]);
    // A corrupt index: HEAD still resolves, but git cannot say what changed.
    ctx.write(".git/index", b"DIRC garbage");
    let before = ctx.listing();
    let r = ctx.run(["release"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("git cannot tell whether tracked files have uncommitted changes"),
        "{}",
        r.stderr
    );
    assert_eq!(ctx.listing(), before);
}

#[test]
fn dev_refuses_an_environment_on_aws_and_changes_nothing() {
    let toml = "[app]\nname = \"svc\"\n[deploy]\ntarget = \"ecs\"\n[deploy.ecs]\ncluster = \"c\"\nservice = \"s\"\n";
    let ctx = TestContext::new().with_files(&[
        ("devloop.toml", toml),
        ("Dockerfile", "FROM busybox:1.36\n"),
    ]);
    let before = ctx.listing();
    let r = ctx.run(["dev"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "devloop dev runs on a local target, and environment \"default\" deploys to ecs"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(ctx.listing(), before);
}
