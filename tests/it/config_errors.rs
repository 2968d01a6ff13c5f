//! Config mistakes as the binary meets them: each is exit 2 with `devloop.toml:L:C: …` in words a
//! newcomer understands, before anything runs — and no damaged config makes devloop panic.

#[path = "../../src/config/fuzz.rs"]
mod fuzz;

use crate::support::*;

const DOCKER: &str = "[app]\nname = \"cfgerr\"\n[deploy]\ntarget = \"docker\"\n";

/// `devloop <args>` on a project holding `toml`: exit 2, and stderr holds `want`.
fn refused(toml: &str, args: &[&str], want: &str) -> Run {
    let ctx = TestContext::new().with_files(&[("devloop.toml", toml)]);
    let before = ctx.listing();
    let r = ctx.run(args);
    assert_eq!(r.code, 2, "{args:?} on\n{toml}\n{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(want),
        "{args:?}: wanted {want:?} in\n{}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert_eq!(ctx.listing(), before, "{args:?} changed the project");
    r
}

#[test]
fn a_huge_timeout_flag_is_a_usage_error_not_a_panic() {
    // issue 24 item 4: `deploy --timeout 18446744073709551615s` panicked in a tokio worker.
    let r = refused(
        DOCKER,
        &["deploy", "--timeout", "18446744073709551615s"],
        "invalid value '18446744073709551615s' for '--timeout <DURATION>': \"18446744073709551615s\" is too long: the most devloop accepts is 7 days (\"7d\")",
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    let ctx = TestContext::new().with_files(&[("devloop.toml", DOCKER)]);
    let r = ctx
        .devloop(["deploy"])
        .env("DEVLOOP_TIMEOUT", "1000w")
        .run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("\"1000w\" is too long"), "{}", r.stderr);
    let r = ctx.run(["monitor", "--since", "400d"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("the most devloop accepts is 365 days"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_huge_health_interval_is_refused_at_load_by_every_command() {
    // issue 24 item 4: it passed plan and doctor, then monitor panicked (exit 101).
    let toml = format!("{DOCKER}[deploy.health]\nport = 80\ninterval = \"100000000000y\"\n");
    let want = "devloop.toml:7:12: deploy.health.interval \"100000000000y\" is too long: the most devloop accepts is 7 days (\"7d\")";
    for args in [
        &["plan"][..],
        &["monitor"],
        &["monitor", "--check"],
        &["doctor"],
    ] {
        refused(&toml, args, want);
    }
}

#[test]
fn a_typo_in_a_host_ip_is_refused_before_anything_is_published() {
    // issue 24 item 5: Docker published "127.0.0.l:18931:80" on 0.0.0.0 and [::].
    let toml = format!("{DOCKER}[deploy.docker]\nports = [\"127.0.0.l:18931:80\"]\n");
    for args in [&["plan"][..], &["deploy"], &["ship"], &["doctor"]] {
        refused(
            &toml,
            args,
            "devloop.toml:6:10: port mapping \"127.0.0.l:18931:80\": \"127.0.0.l\" is not an IP address; write one such as 127.0.0.1 or [::1], or leave it out to publish on every interface",
        );
    }
    for bad in ["not-an-ip:8080:80", "999.999.999.999:8080:80"] {
        refused(
            &format!("{DOCKER}[deploy.docker]\nports = [\"{bad}\"]\n"),
            &["plan"],
            "is not an IP address",
        );
    }
    refused(
        &format!("{DOCKER}[deploy.docker]\nports = [\"8080:80\", \"127.0.0.1:8080:81\"]\n"),
        &["plan"],
        "devloop.toml:6:21: deploy.docker.ports: \"127.0.0.1:8080:81\" publishes host port 8080/tcp again (\"8080:80\" already does)",
    );
    let ctx = TestContext::new().with_files(&[(
        "devloop.toml",
        &format!("{DOCKER}[deploy.docker]\nports = [\"[::1]:18932:80\", \"127.0.0.1:18932:80\"]\n"),
    )]);
    let r = ctx.run(["plan", "deploy"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn settings_that_would_fail_mid_deploy_fail_at_load() {
    // issue 24 item 7: each passed plan and doctor, and failed only after ship had released.
    let cases = [
        (
            "[deploy.docker]\nname = \"\"\n",
            "devloop.toml:6:8: deploy.docker.name \"\" is not a Docker container name",
        ),
        (
            "[deploy.docker]\nname = \"Bad Name!\"\n",
            "devloop.toml:6:8: deploy.docker.name \"Bad Name!\" is not a Docker container name: it must start with a letter or digit, then letters, digits, _ . or - (two characters at least), like name = \"Bad-Name\"",
        ),
        (
            "[deploy.docker]\nstop_signal = \"RTMINjunk\"\n",
            "devloop.toml:6:15: deploy.docker.stop_signal \"RTMINjunk\" is not a signal",
        ),
        (
            "[deploy.health]\nport = 0\n",
            "devloop.toml:6:8: deploy.health.port must be a whole number from 1 to 65535 (0 is not a port), like port = 8080",
        ),
        (
            "[deploy.health]\nhttp = \"no-slash\"\n",
            "devloop.toml:6:8: deploy.health.http must be a URL path starting with \"/\", without spaces, like http = \"/no-slash\"",
        ),
        (
            "[build]\nargs = { BUILT = 1979-05-27T07:32:00Z }\n",
            "devloop.toml:6:18: build.args.BUILT is a TOML date-time, which devloop does not read; write it as a string, like BUILT = \"1979-05-27T07:32:00Z\"",
        ),
        (
            "[build]\nlabels = { built = 1979-05-27 }\n",
            "devloop.toml:6:20: build.labels.built is a TOML date-time",
        ),
        (
            "[[test]]\nname = \"\"\nrun = \"true\"\n",
            "devloop.toml:6:8: test name \"\" cannot be used",
        ),
        (
            "[[test]]\nname = \"svc\"\nkind = \"service\"\nport = 0\n",
            "devloop.toml:8:8: test.port must be a whole number from 1 to 65535 (0 is not a port)",
        ),
    ];
    for (extra, want) in cases {
        refused(&format!("{DOCKER}{extra}"), &["plan"], want);
    }
    // The same mistakes in an environment that is not selected are found too.
    refused(
        &format!("{DOCKER}[env.a]\n[env.b]\ndeploy.docker.stop_signal = \"RTMINjunk\"\n"),
        &["-e", "a", "plan"],
        "devloop.toml:7:29: deploy.docker.stop_signal \"RTMINjunk\" is not a signal",
    );
}

#[test]
fn type_errors_read_as_what_to_write() {
    // issue 23 item 9: no more "invalid type: string \"18480:80\", expected a sequence".
    let cases = [
        (
            "[deploy.docker]\nports = \"18480:80\"\n",
            "error: devloop.toml:6:9: deploy.docker.ports must be a list of \"host:container\" strings, like ports = [\"18480:80\"]\n   6 | ports = \"18480:80\"\n     |         ^^^^^^^^^^\n",
        ),
        (
            "[deploy.health]\nport = \"80\"\n",
            "error: devloop.toml:6:8: deploy.health.port must be a whole number from 1 to 65535, like port = 80\n",
        ),
        (
            "[deploy.docker]\ninit = \"yes\"\n",
            "error: devloop.toml:6:8: deploy.docker.init must be true or false, without quotes, like init = true\n",
        ),
        (
            "[release]\ntags = \"{short_sha}\"\n",
            "error: devloop.toml:6:8: release.tags must be a list of tag templates in quotes, like tags = [\"{short_sha}\"]\n",
        ),
    ];
    for (extra, want) in cases {
        let r = refused(&format!("{DOCKER}{extra}"), &["plan"], want);
        assert!(!r.stderr.contains("invalid type"), "{}", r.stderr);
    }
    let r = refused(
        "[app]\nname = \"cfgerr\"\n[deploy]\ntimeout = 30\n",
        &["plan"],
        "devloop.toml:4:11: deploy.timeout must be a duration string, like timeout = \"30s\"",
    );
    assert!(!r.stderr.contains("expected a string"), "{}", r.stderr);
}

#[test]
fn config_errors_are_annotated_on_their_line_under_github_actions() {
    let ctx = TestContext::new().with_files(&[(
        "devloop.toml",
        "[app]\nname = \"cfgerr\"\n[deploy]\ntimeout = 30\n",
    )]);
    let r = ctx.devloop(["plan"]).env("GITHUB_ACTIONS", "true").run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "::error file=devloop.toml,line=4,col=11,title=devloop::deploy.timeout must be a duration string, like timeout = \"30s\"\n"
        ),
        "{}",
        r.stderr
    );
    // An error with no line names the file alone.
    let ctx = TestContext::new().with_files(&[("devloop.toml", "[build]\n")]);
    let r = ctx.devloop(["plan"]).env("GITHUB_ACTIONS", "true").run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("::error file=devloop.toml,title=devloop::missing key \"app\""),
        "{}",
        r.stderr
    );
}

#[test]
fn doctor_fails_with_exit_2_on_what_every_command_refuses() {
    // issue 24 item 9: doctor said "ok config" and exited 0 or 1.
    let cycle = format!(
        "{DOCKER}[[test]]\nname = \"a\"\nrun = \"true\"\nneeds = [\"b\"]\n[[test]]\nname = \"b\"\nrun = \"true\"\nneeds = [\"a\"]\n[[test]]\nname = \"z\"\nrun = \"true\"\nneeds = [\"a\"]\n"
    );
    let cases = [
        (
            cycle.as_str(),
            "devloop.toml:6:8: tests need each other in a cycle, so none of them can start: test:a -> test:b -> test:a; remove one of these needs",
        ),
        (
            "[app]\nname = \"cfgerr\"\ndefault_env = \"dev\"\n[env.dev]\n",
            "environment \"dev\" has no deploy target",
        ),
        (
            "[app]\nname = \"cfgerr\"\n[deploy]\ntarget = \"docker\"\n[env.dev]\n[env.prod]\n",
            "choose an environment with -e/--env (one of: dev, prod)",
        ),
        (
            "[app]\nname = \"cfgerr\"\n[deploy]\ntimeout = 30\n",
            "devloop.toml:4:11: deploy.timeout must be a duration string",
        ),
    ];
    for (toml, want) in cases {
        let plan = refused(toml, &["plan"], want);
        let doctor = refused(toml, &["doctor"], want);
        assert!(
            doctor.stdout.contains("FAIL  config     ") && doctor.stdout.contains(want),
            "{}",
            doctor.stdout
        );
        // Its other checks still ran.
        assert!(doctor.stdout.contains(" git "), "{}", doctor.stdout);
        assert!(!doctor.stdout.contains("ok    config"), "{}", doctor.stdout);
        assert!(!plan.stderr.contains("deploy, release"), "{}", plan.stderr);
    }
    // The cycle names only the cycle, never the steps downstream of it.
    let r = refused(&cycle, &["plan"], "test:a -> test:b -> test:a");
    assert!(!r.stderr.contains("test:z"), "{}", r.stderr);

    // JSON: the report says why, and the error event follows.
    let ctx = TestContext::new().with_files(&[("devloop.toml", cycle.as_str())]);
    let r = ctx.run(["doctor", "-o", "json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let mut lines = r.stdout.lines();
    let report: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(report["config"]["ok"], false, "{report}");
    assert_eq!(report["config"]["exit_code"], 2, "{report}");
    let error: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(error["event"], "error");
    assert_eq!(error["exit_code"], 2);

    // A config with no environments and no target builds, tests and releases: a note, not a failure.
    let ctx = TestContext::new().with_files(&[("devloop.toml", "[app]\nname = \"cfgerr\"\n")]);
    let r = ctx.run(["doctor"]);
    assert!(r.code == 0 || r.code == 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("ok    config"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("info  deploy     no deploy target: build, test and release work"),
        "{}",
        r.stdout
    );
}

/// `devloop plan` (and `-o json plan`, and `doctor` now and then) on damaged configs: never a
/// panic, always exit 0, 1 or 2. The library's fuzz test covers hundreds more in process.
#[test]
fn fuzzed_configs_never_panic_the_binary() {
    let ctx = TestContext::new()
        .with_files(&[("devloop.toml", DOCKER), ("Dockerfile", "FROM busybox\n")]);
    let path = ctx.join("devloop.toml");
    let corpus = fuzz::corpus();
    let mut rng = fuzz::Rng::new(0x0024_f022_c0de);
    let started = std::time::Instant::now();
    let mut codes = std::collections::BTreeMap::new();
    for round in 0..200 {
        let text = fuzz::mutate(&corpus[round % corpus.len()], &mut rng);
        std::fs::write(&path, &text).unwrap();
        let args: &[&str] = match round % 10 {
            0 => &["doctor"],
            1 | 4 | 7 => &["-o", "json", "plan"],
            _ => &["plan"],
        };
        let r = ctx
            .devloop(args)
            .env("NPM_TOKEN", "t0ken")
            .no_aws_credentials()
            .run();
        let out = format!("{}{}", r.stdout, r.stderr);
        assert!(
            !out.contains("panicked") && !out.contains("RUST_BACKTRACE"),
            "round {round} {args:?} panicked on:\n{text}\n{out}"
        );
        // A plan of an AWS target reads it; with no credentials here that is exit 5, by design.
        let aws = r.code == 5 && out.contains("no AWS credentials");
        assert!(
            matches!(r.code, 0..=2) || aws,
            "round {round} {args:?}: exit {} on:\n{text}\n{out}",
            r.code
        );
        if r.code == 2 {
            assert!(!out.contains('\u{1}'), "round {round}: {out}");
        }
        *codes.entry(r.code).or_insert(0) += 1;
    }
    // Text that is not UTF-8 at all.
    std::fs::write(&path, b"[app]\nname = \"\xff\xfe\"\n").unwrap();
    let r = ctx.run(["plan"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(codes.get(&2).copied().unwrap_or(0) > 20, "{codes:?}");
    assert!(codes.get(&0).copied().unwrap_or(0) > 5, "{codes:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn notify_channels_are_refused_at_their_line_with_what_to_write() {
    // An unknown kind, a misspelt verdict, a URL written in the file: exit 2 from every command,
    // at the line, with the nearest name; a written URL is never repeated back.
    let slack = "[notify.team]\nkind = \"slack\"\nurl = \"${NT_URL}\"\n";
    let cases = [
        (
            "[notify.team]\nkind = \"slak\"\nurl = \"${NT_URL}\"\n".to_string(),
            "devloop.toml:6:8: unknown value \"slak\" — did you mean \"slack\"?",
        ),
        (
            format!("{slack}on = [\"failure\", \"roled_back\"]\n"),
            "devloop.toml:8:18: unknown value \"roled_back\" — did you mean \"rolled_back\"?",
        ),
        (
            "[notify.team]\nkind = \"discord\"\nurl = \"https://discord.com/api/webhooks/1/tok3n-in-the-file\"\n".to_string(),
            "devloop.toml:7:7: notify.team.url: a webhook URL is a credential (anyone who has it can post to the channel), and it is written in the file; give it from the environment, like url = \"${TEAM_URL}\"",
        ),
        (
            format!("{slack}channel = \"#deploys\"\n"),
            "devloop.toml:8:1: unknown key \"channel\"",
        ),
    ];
    for (extra, want) in cases {
        for args in [&["plan"][..], &["deploy"], &["notify", "test"]] {
            let r = refused(&format!("{DOCKER}{extra}"), args, want);
            assert!(!r.stderr.contains("tok3n-in-the-file"), "{}", r.stderr);
        }
    }
}
