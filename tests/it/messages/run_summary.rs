//! The table at the end of a run, on the real daemon: a `test` that passes, then one with a
//! failing image test and a test that needs it. Only the table and the verdict are taken: the
//! lines above it interleave concurrent steps in no fixed order.

use crate::support::*;

/// The summary table and the verdict line, with the time column (7 wide, right-aligned) made
/// `[DURATION]` (10 wide) on every row, so the table stays aligned whatever the run took.
fn summary_table(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    let start = lines
        .iter()
        .rposition(|l| l.starts_with("  step "))
        .unwrap_or_else(|| panic!("no summary table in:\n{stderr}"));
    let header = lines[start];
    // `  {step:<width}  {outcome:<8} {time:>7}  detail`
    let time_at = header.find("outcome").expect("an outcome column") + "outcome".len() + 2;
    let time_range = time_at..time_at + 7;
    let mut out = Vec::new();
    for line in &lines[start..] {
        if !line.starts_with("  ") {
            out.push(line.to_string());
            continue;
        }
        let chars: Vec<char> = line.chars().collect();
        let cell: String = chars[time_range.clone()].iter().collect();
        let cell = match cell.trim() {
            "time" | "-" => format!("{:>10}", cell.trim()),
            _ => format!("{:>10}", "[DURATION]"),
        };
        let before: String = chars[..time_range.start].iter().collect();
        let after: String = chars[time_range.end..].iter().collect();
        out.push(format!("{before}{cell}{after}"));
    }
    out.join("\n") + "\n"
}

const DOCKERFILE: &str = "FROM busybox:1.36\nCOPY msg /msg\n";

/// A host test, and an image test that runs `inside`; `more` after them.
fn config(app: &str, inside: &str, more: &str) -> String {
    format!(
        "[app]\nname = \"{app}\"\n[build]\nbuildkit = true\ntags = [\"{{short_sha}}\"]\n[[test]]\nname = \"host\"\nrun = \"echo on the host\"\n[[test]]\nname = \"inside\"\nkind = \"image\"\nrun = \"{inside}\"\n{more}"
    )
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn the_summary_of_a_test_run() {
    let ctx = TestContext::docker("dl-summary");
    let app = ctx.app().to_string();
    // The message holds the app name, so no other test's build has these inputs.
    let msg = format!("hello from {app}\n");
    let ctx = ctx.with_files(&[
        ("devloop.toml", &config(&app, "cat /msg", "")),
        ("Dockerfile", DOCKERFILE),
        (".dockerignore", ".git\n.devloop\ndevloop.toml\n"),
        ("msg", &msg),
    ]);
    let r = ctx.run(["test"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    ctx.snapshot("summary_test_passed")
        .describe("devloop test: a build, a host test and an image test")
        .assert(&summary_table(&r.stderr));

    // The same image (skipped), a test that fails inside it and one that needs that test.
    ctx.write(
        "devloop.toml",
        config(
            &app,
            "cat /msg; exit 3",
            "[[test]]\nname = \"after\"\nrun = \"true\"\nneeds = [\"inside\"]\n",
        ),
    );
    ctx.commit("a failing test");
    let r = ctx.run(["test"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    ctx.snapshot("summary_test_failed")
        .describe("devloop test: the build skipped, an image test failing, one not run")
        .assert(&summary_table(&r.stderr));
}
