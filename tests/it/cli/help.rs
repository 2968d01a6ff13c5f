//! `--help` and `--version`: every command, exit code and global flag is listed, each command's
//! help shows examples, and a wrong flag is a usage error.

use crate::support::*;

#[test]
fn help_lists_commands_and_exit_codes() {
    let r = TestContext::new().run(["--help"]);
    assert_eq!(r.code, 0);
    for cmd in [
        "init",
        "plan",
        "build",
        "test",
        "release",
        "deploy",
        "monitor",
        "rollback",
        "ship",
        "doctor",
        "completions",
    ] {
        assert!(
            r.stdout.contains(&format!("  {cmd}")),
            "missing {cmd} in help:\n{}",
            r.stdout
        );
    }
    for code in ["0 ", "1 ", "2 ", "3 ", "4 ", "5 ", "130"] {
        assert!(
            r.stdout.contains(&format!("  {code}")),
            "missing exit code {code}:\n{}",
            r.stdout
        );
    }
    for flag in [
        "--chdir",
        "--config",
        "--env",
        "--output",
        "--quiet",
        "--verbose",
        "--no-color",
        "DEVLOOP_ENV",
    ] {
        assert!(r.stdout.contains(flag), "missing {flag}");
    }
}

#[test]
fn version_prints_the_package_version() {
    let r = TestContext::new().run(["--version"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout.trim(),
        format!("devloop {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn unknown_flags_are_usage_errors() {
    let r = TestContext::new().run(["plan", "--frobnicate"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--frobnicate"));
}

#[test]
fn help_shows_examples_and_keeps_global_options_apart() {
    let ctx = TestContext::new();
    for cmd in ["deploy", "plan", "dev", "init", "monitor"] {
        let r = ctx.devloop([cmd, "--help"]).current_dir("/").run();
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
