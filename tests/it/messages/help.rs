//! `--help` of devloop and of every command, word for word (at clap's width of 100 columns,
//! whatever the terminal's).

use crate::support::*;

fn help_context() -> TestContext {
    TestContext::new().with_env("COLUMNS", "100")
}

/// The commands the top-level help lists (but `help` itself).
fn commands(help: &str) -> Vec<String> {
    help.split_once("Commands:\n")
        .expect("a Commands section")
        .1
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn the_top_level_help() {
    let ctx = help_context();
    let r = ctx.run(["--help"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    ctx.snapshot("help")
        .describe("devloop --help")
        .assert(&r.stdout);
}

#[test]
fn the_help_of_every_command() {
    let ctx = help_context();
    let listed = commands(&ctx.run(["--help"]).stdout);
    assert!(listed.len() >= 12, "{listed:?}");
    for cmd in &listed {
        let r = ctx.run([cmd.as_str(), "--help"]);
        assert_eq!(r.code, 0, "{cmd}: {}", r.stderr);
        ctx.snapshot(&format!("help_{cmd}"))
            .describe(format!("devloop {cmd} --help"))
            .assert(&r.stdout);
    }
}
