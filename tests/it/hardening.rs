//! Issue 24, "nothing leaks, nothing races, nothing lies": each finding of the fault sweep that
//! concerns output, the ledger and the daemon address, reproduced with the real binary.

use crate::support::*;

/// A PEM-shaped secret: every line but the last is long enough to be recognised alone.
const PEM: &str = "-----BEGIN KEY-----\nMIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw2d1uG4Yb5mZ8oFq3Xk9RrTeJc7WvHsN0aQpLiDzE6yBgKfMhUxOjIt1nSw4P\nzQ==\n-----END KEY-----";

/// The secret written inside a TOML basic string.
fn pem_toml() -> String {
    PEM.replace('\n', "\\n")
}

/// Every piece of the secret that must never be seen: each line of it, and what of it survives
/// a JSON encoding.
fn pem_pieces() -> Vec<String> {
    let mut out: Vec<String> = PEM
        .lines()
        .filter(|l| l.len() >= 3)
        .map(str::to_string)
        .collect();
    // Distinctive parts, in case a line is split or re-wrapped on its way.
    out.push("MIIEpAIBAAKCAQEA".into());
    out.push("VTLw2d1uG4Yb5mZ8".into());
    out.push("BEGIN KEY".into());
    out
}

fn assert_no_secret(sink: &str, text: &str) {
    for piece in pem_pieces() {
        assert!(
            !text.contains(&piece),
            "{sink} shows {piece:?} of the secret:\n{text}"
        );
    }
}

/// Item 1: a multi-line secret used as a build arg, a test env and a deploy env is masked, every line
/// of it, in text output, `-o json` events, GitHub Actions output and step summary, the JUnit file and
/// the files devloop writes.
#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_pem_shaped_secret_is_absent_from_every_sink() {
    let ctx = TestContext::docker("dl-pem");
    let app = ctx.app().to_string();
    let key = pem_toml();
    let toml = format!(
        r#"[app]
name = "{app}"
default_env = "local"
[build]
tags = ["{{digest}}"]
args = {{ KEY = {{ value = "{key}", secret = true }} }}
[[test]]
name = "host"
run = "echo \"$KEY\"; printf '%s' \"$KEY\" | sed ':a;N;$!ba;s/\\n/\\\\n/g'; echo"
env = {{ KEY = {{ value = "{key}", secret = true }} }}
[[test]]
name = "image"
kind = "image"
run = "echo \"$KEY\""
env = {{ KEY = {{ value = "{key}", secret = true }} }}
[env.local]
deploy.target = "docker"
deploy.timeout = "30s"
deploy.docker.env = {{ KEY = {{ value = "{key}", secret = true }} }}
"#
    );
    let dockerfile = "FROM busybox:1.36\nARG KEY\nRUN echo \"$KEY\"\nCMD [\"sh\", \"-c\", \"echo \\\"$KEY\\\"; sleep 1; exit 3\"]\n";
    let ctx = ctx.with_files(&[("devloop.toml", &toml), ("Dockerfile", dockerfile)]);
    let summary = ctx.join("step-summary.md");
    /// A way to run: its name, its flags and its environment.
    type Mode<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);
    let modes: [Mode; 3] = [
        ("text", &[], &[]),
        ("json", &["-o", "json"], &[]),
        (
            "github",
            &["--buildkit=false"],
            &[("GITHUB_ACTIONS", "true"), ("CI", "true")],
        ),
    ];
    for (mode, flags, env) in modes {
        let junit = format!("junit-{mode}.xml");
        let mut cmd = ctx
            .devloop(["ship", "--no-cache", "--junit", &junit])
            .args(flags)
            .env("GITHUB_STEP_SUMMARY", &summary);
        for (k, v) in env {
            cmd = cmd.env(k, v);
        }
        let r = cmd.run();
        // The tests pass, the release is made, and the deploy fails: the container exits.
        assert_eq!(r.code, 1, "{mode}: {}\n{}", r.stdout, r.stderr);
        assert_no_secret(&format!("{mode} stderr"), &r.stderr);
        assert_no_secret(&format!("{mode} stdout"), &r.stdout);
        let xml = ctx.read(&junit);
        assert_no_secret(&format!("{mode} JUnit"), &xml);
        // The secret was printed, and masked: by the build, by both tests and by the container.
        let all = format!("{}{}", r.stdout, r.stderr);
        let masked = all.matches("***").count();
        assert!(masked >= 12, "{mode}: only {masked} masks:\n{all}");
        assert!(xml.contains("***"), "{mode}: {xml}");
        match mode {
            "json" => {
                let events: Vec<serde_json::Value> = r
                    .stdout
                    .lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect();
                let masked_logs = |step: &str| {
                    events
                        .iter()
                        .filter(|v| v["event"] == "log" && v["step"] == step && v["line"] == "***")
                        .count()
                };
                // Every line the image test and the build printed of the key.
                assert_eq!(masked_logs("test:image"), 5, "{}", r.stdout);
                assert_eq!(masked_logs("build"), 5, "{}", r.stdout);
            }
            "github" => {
                assert!(
                    r.stderr.contains("::group::test:host output"),
                    "{}",
                    r.stderr
                );
                assert!(r.stderr.contains("::error title=devloop"), "{}", r.stderr);
            }
            _ => {
                assert!(r.stderr.contains("test:image | ***"), "{}", r.stderr);
                // The deploy's failure shows the container's last lines, masked.
                assert!(r.stderr.contains("last lines of release"), "{}", r.stderr);
            }
        }
    }
    let md = std::fs::read_to_string(&summary).unwrap();
    assert_no_secret("GitHub step summary", &md);
    // Nor in any file devloop wrote (release records, caches).
    for file in ctx.listing() {
        let path = ctx.join(&file);
        if path.is_file() {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            if file != "devloop.toml" {
                assert_no_secret(&file, &text);
            }
        }
    }
    // Nor in the image's labels.
    let labels = docker(&[
        "image",
        "ls",
        "--filter",
        &format!("label=devloop.app={app}"),
        "--format",
        "{{.ID}}",
    ]);
    for id in labels.lines() {
        let l = docker(&[
            "image",
            "inspect",
            "--format",
            "{{json .Config.Labels}}",
            id,
        ]);
        assert_no_secret("image labels", &l);
    }
}

/// Item 8: a secret that is a common word masks what devloop carries (the output of a test), not
/// devloop's own sentences; a secret too short to mask is warned about by setting, never by value.
#[test]
fn a_secret_that_is_a_word_masks_output_not_devloops_sentences_and_short_ones_are_warned() {
    let toml = r#"[app]
name = "words"
[build]
tags = ["{digest}"]
args = { WORD = { value = "the", secret = true } }
[[test]]
name = "say"
run = "echo say the word; echo Q7 is short"
env = { SHORT = { value = "Q7", secret = true } }
"#;
    let ctx =
        TestContext::new().with_files(&[("devloop.toml", toml), ("Dockerfile", "FROM scratch\n")]);
    for json in [false, true] {
        let flags: &[&str] = if json { &["-o", "json"] } else { &[] };
        // No daemon: the build fails at once, after devloop has spoken; the host test runs.
        let r = ctx
            .devloop(flags)
            .args(["test", "say"])
            .env("DOCKER_HOST", "unix:///nonexistent.sock")
            .run();
        let all = r.all();
        assert_eq!(r.code, 5, "{all}");
        assert!(all.contains("scanning the build context"), "{all}");
        assert!(all.contains("cannot reach the Docker daemon at"), "{all}");
        assert!(!all.contains("scanning *** build"), "{all}");
        assert!(all.contains("say *** word"), "{all}");
        assert!(!all.contains("say the word"), "{all}");
        // The JSON stays JSON: keys and event names are devloop's words.
        if json {
            for line in r.stdout.lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                assert!(v["event"].is_string() && v["ts"].is_string(), "{line}");
            }
        }
        let warning = all
            .lines()
            .find(|l| l.contains("too short to mask"))
            .unwrap_or_else(|| panic!("no warning about the short secret:\n{all}"));
        assert!(warning.contains("env.SHORT"), "{warning}");
        assert!(!warning.contains("Q7"), "{warning}");
        assert_eq!(all.matches("too short to mask").count(), 1, "{all}");
    }
}

/// Item 10: an image test's last output, written without a newline just before it exits, is in
/// the text output and the JUnit report every time (it was lost in about half the runs).
#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn an_image_tests_last_output_without_a_newline_is_never_lost() {
    let ctx = TestContext::docker("dl-drain");
    let app = ctx.app().to_string();
    const RUNS: usize = 20;
    let mut toml = format!("[app]\nname = \"{app}\"\n[build]\ntags = [\"{{digest}}\"]\n");
    for i in 0..RUNS {
        toml.push_str(&format!(
            "[[test]]\nname = \"t{i}\"\nkind = \"image\"\nrun = \"echo first; cat /www/healthz; printf X{i}; exit 1\"\n"
        ));
    }
    let ctx = ctx.with_files(&[
        ("devloop.toml", &toml),
        (
            "Dockerfile",
            "FROM busybox:1.36\nRUN mkdir -p /www && echo ok > /www/healthz\n",
        ),
    ]);
    let r = ctx.run(["test", "--junit", "junit.xml"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let xml = ctx.read("junit.xml");
    for i in 0..RUNS {
        let line = format!("test:t{i} | X{i}\n");
        assert_eq!(r.stderr.matches(&line).count(), 1, "t{i}: {}", r.stderr);
        let out = format!("<system-out>first\nok\nX{i}</system-out>");
        assert!(xml.contains(&out), "t{i}: {xml}");
    }
    assert!(leftover_test_containers(&app).is_empty());
}

/// Item 11: an empty, cut-short or non-UTF-8 file in `.devloop/releases/` is skipped with a
/// warning naming it; deploy, rollback and `rollback --to` go on with the good records.
#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_bad_ledger_file_is_skipped_with_a_warning_and_blocks_no_deploy() {
    let ctx = TestContext::hello("dl-ledger");
    let ship = |what: &str| {
        let r = ctx.run(["ship"]);
        assert_eq!(r.code, 0, "{what}: {}", r.stderr);
    };
    ship("first ship");
    ctx.replace("www/index.html", "</body>", "<p>two</p></body>");
    ctx.commit("second");
    ship("second ship");
    let ledger = ctx.join(".devloop/releases");
    let mut ids: Vec<String> = std::fs::read_dir(&ledger)
        .unwrap()
        .flatten()
        .map(|e| {
            e.file_name()
                .to_string_lossy()
                .trim_end_matches(".json")
                .to_string()
        })
        .collect();
    ids.sort();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let good = std::fs::read(ledger.join(format!("{}.json", ids[1]))).unwrap();
    let bad: [(&str, &[u8]); 3] = [
        ("20990101T000000Z-empty.json", b""),
        ("20990101T000000Z-cut.json", &good[..good.len() / 2]),
        ("20990101T000000Z-latin1.json", b"{\"id\": \"caf\xe9\"}"),
    ];
    for (name, bytes) in bad {
        std::fs::write(ledger.join(name), bytes).unwrap();
    }
    let check = |args: &[&str]| {
        let r = ctx.run(args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        for (name, _) in bad {
            let warning = r
                .stderr
                .lines()
                .find(|l| l.starts_with("warning:") && l.contains(name))
                .unwrap_or_else(|| panic!("{args:?}: no warning names {name}:\n{}", r.stderr));
            assert!(warning.contains("skipped"), "{warning}");
            assert_eq!(r.stderr.matches(name).count(), 1, "{}", r.stderr);
        }
        r
    };
    check(&["release", "--list"]);
    check(&["deploy"]);
    let r = check(&["rollback"]);
    assert!(r.stderr.contains(&ids[0]), "{}", r.stderr);
    let r = check(&["rollback", "--to", &ids[1]]);
    assert!(r.stderr.contains(&ids[1]), "{}", r.stderr);
    // The same warning as a JSON event.
    let r = ctx.run(["-o", "json", "deploy"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let warnings: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["event"] == "warning")
        .collect();
    assert_eq!(warnings.len(), bad.len(), "{}", r.stdout);
}

/// Item 12: a malformed DOCKER_HOST is a usage error (exit 2) with the reason, like an unknown
/// scheme; a `unix://` path to something that is not a socket says so (exit 2, no "start Docker");
/// a refused TCP connection is said in plain words, not in the HTTP client's.
#[test]
fn docker_host_mistakes_are_named_with_the_right_exit_code() {
    let ctx = TestContext::new().with_files(&[
        (
            "devloop.toml",
            "[app]\nname = \"dh\"\n[build]\ntags = [\"{digest}\"]\n",
        ),
        ("Dockerfile", "FROM scratch\n"),
    ]);
    let file = ctx.join("Dockerfile").display().to_string();
    let port = free_port();
    let cases = [
        (
            "tcp://[::1".to_string(),
            2,
            "the IPv6 address has no closing \"]\"",
        ),
        ("garbage://x".to_string(), 2, "unsupported Docker host"),
        (
            "tcp://host:port".to_string(),
            2,
            "port \"port\" is not a number",
        ),
        ("unix://".to_string(), 2, "it names no socket path"),
        (
            format!("unix://{file}"),
            2,
            "is a regular file, not a socket",
        ),
        (
            format!("tcp://127.0.0.1:{port}"),
            5,
            "connection refused: nothing is listening at that address",
        ),
        (
            "unix:///nonexistent.sock".to_string(),
            5,
            "socket /nonexistent.sock does not exist",
        ),
    ];
    for (host, code, says) in cases {
        let r = ctx.devloop(["build"]).env("DOCKER_HOST", &host).run();
        assert_eq!(r.code, code, "{host}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{host}: {}", r.stderr);
        assert!(!r.stderr.contains("hyper"), "{host}: {}", r.stderr);
        if code == 2 {
            assert!(!r.stderr.contains("start Docker"), "{host}: {}", r.stderr);
        }
    }
}
