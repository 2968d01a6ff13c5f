//! The output CI systems read: GitHub Actions groups, annotations and the step summary, and one
//! JSON event per line ending in a summary. No daemon: the build fails (exit 5), the host test runs.

use crate::support::*;

const HOST_ONLY: &str = "[app]\nname = \"gh\"\n[[test]]\nname = \"hello\"\nrun = \"echo hello from the test; echo token-$TOKEN\"\nenv = { TOKEN = { value = \"s3cr3t-gh-42\", secret = true } }\n";

fn host_only() -> TestContext {
    TestContext::new()
        .with_files(&[
            ("devloop.toml", HOST_ONLY),
            ("Dockerfile", "FROM busybox:1.36\n"),
        ])
        .with_env("DOCKER_HOST", "unix:///nonexistent/devloop.sock")
}

#[test]
fn github_actions_output_groups_errors_and_step_summary() {
    let ctx = host_only();
    let summary = ctx.join("summary.md");
    // The build cannot reach a daemon (exit 5); the host test still runs.
    let r = ctx
        .devloop(["test"])
        .env("CI", "true")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .run();
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("::group::test:hello output\nhello from the test\ntoken-***\n::endgroup::"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("::error title=devloop build::cannot reach the Docker daemon"),
        "{}",
        r.stderr
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("| step | outcome | duration | detail |"),
        "{md}"
    );
    assert!(md.contains("| test:hello | ✅ done |"), "{md}");
    assert!(md.contains("| build | ❌ failed |"), "{md}");
    assert!(!md.contains("s3cr3t-gh-42") && !r.stderr.contains("s3cr3t-gh-42"));
}

#[test]
fn json_output_is_one_event_per_line_with_a_summary() {
    let ctx = host_only();
    let r = ctx.run(["test", "-o", "json"]);
    assert_eq!(r.code, 5);
    let events: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(events
        .iter()
        .all(|e| e["event"].is_string() && e["ts"].is_string()));
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"pipeline_started"));
    assert!(kinds.contains(&"log"));
    let summary = events.last().unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["exit_code"], 5);
    assert_eq!(summary["ok"], false);
    let steps: Vec<(&str, &str)> = summary["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["step"].as_str().unwrap(), s["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(steps, [("build", "failed"), ("test:hello", "done")]);
    assert!(!r.stdout.contains("s3cr3t-gh-42"));
}
