//! The CLI as a new user meets it: help, version, plan, config errors, init, env selection.

mod common;

use common::*;

#[test]
fn help_lists_commands_and_exit_codes() {
    let r = run(devloop(&repo_root()).arg("--help"));
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
    let r = run(devloop(&repo_root()).arg("--version"));
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout.trim(),
        format!("devloop {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn unknown_flags_are_usage_errors() {
    let r = run(devloop(&repo_root()).args(["plan", "--frobnicate"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--frobnicate"));
}

#[test]
fn plan_on_the_example_shows_the_whole_loop() {
    let dir = example("hello");
    let r = run(devloop(dir.path()).arg("plan"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let sha = head_sha(dir.path());
    assert!(
        r.stdout.contains(&format!("image: hello:{}", &sha[..7])),
        "{}",
        r.stdout
    );
    for step in [
        "build",
        "test:page",
        "test:in-image",
        "test:http",
        "release",
        "deploy",
    ] {
        assert!(r.stdout.contains(step), "plan lacks {step}:\n{}", r.stdout);
    }
    assert!(
        r.stdout.contains("deploy to local (docker)"),
        "{}",
        r.stdout
    );
    // Nothing printed but the document on stdout; nothing written to the project.
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert!(!dir.path().join(".devloop").exists());
}

#[test]
fn plan_json_is_a_stable_document() {
    let dir = example("hello");
    let r = run(devloop(dir.path()).args(["plan", "-o", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(r.stdout.trim()).expect("one JSON document");
    assert_eq!(doc["format"], 1);
    assert_eq!(doc["command"], "ship");
    assert_eq!(doc["app"], "hello");
    assert_eq!(doc["env"], "local");
    assert_eq!(doc["target"], "docker");
    assert_eq!(doc["git"]["dirty"], false);
    let names: Vec<&str> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "build",
            "test:page",
            "test:in-image",
            "test:http",
            "release",
            "deploy"
        ]
    );
    let release = &doc["steps"][4];
    assert_eq!(
        release["needs"],
        serde_json::json!(["test:page", "test:in-image", "test:http"])
    );
    let deploy = &doc["steps"][5]["details"];
    assert_eq!(deploy["settings"]["ports"], serde_json::json!(["8080:80"]));
    assert_eq!(deploy["name"], "hello-local");
    assert_eq!(
        doc["resolved"]["build"]["args"]["GREETING"],
        "Hello from devloop"
    );
}

#[test]
fn plan_sub_commands_and_env_selection() {
    let dir = example("hello");
    let r = run(devloop(dir.path()).args(["plan", "build", "-o", "json"]));
    let doc: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(doc["steps"].as_array().unwrap().len(), 1);

    // DEVLOOP_ENV and ${VAR:-default} interpolation from the environment.
    let r = run(devloop(dir.path())
        .args(["plan", "deploy", "-o", "json"])
        .env("DEVLOOP_ENV", "swarm")
        .env("HELLO_PORT", "9999"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(doc["env"], "swarm");
    assert_eq!(
        doc["steps"][0]["details"]["settings"]["ports"],
        serde_json::json!(["9999:80"])
    );
    assert_eq!(doc["steps"][0]["details"]["settings"]["replicas"], 1);
}

#[test]
fn secrets_never_appear_in_plan_output() {
    let dir = project(&[(
        "devloop.toml",
        "[app]\nname = \"s\"\n[build]\nargs = { TOKEN = { value = \"${MY_TOKEN}\", secret = true } }\n",
    )]);
    for fmt in ["text", "json"] {
        let r = run(devloop(dir.path())
            .args(["plan", "build", "-o", fmt])
            .env("MY_TOKEN", "tok-9f8e7d6c"));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(!r.stdout.contains("tok-9f8e7d6c") && !r.stderr.contains("tok-9f8e7d6c"));
        if fmt == "json" {
            assert!(r.stdout.contains("\"TOKEN\":\"***\""), "{}", r.stdout);
        }
    }
}

#[test]
fn typo_in_a_key_is_located_with_a_suggestion_and_changes_nothing() {
    let dir = project(&[(
        "devloop.toml",
        "[app]\nname = \"x\"\n\n[build]\ncontext = \".\"\nimgae = \"foo\"\n",
    )]);
    let before = listing(dir.path());
    for cmd in [&["plan"][..], &["build"], &["ship"], &["deploy"]] {
        let r = run(devloop(dir.path()).args(cmd));
        assert_eq!(r.code, 2, "{cmd:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(
                "error: devloop.toml:6:1: unknown key \"imgae\" — did you mean \"image\"?"
            ),
            "{}",
            r.stderr
        );
    }
    assert_eq!(listing(dir.path()), before);
}

#[test]
fn wrong_type_is_located() {
    let dir = project(&[(
        "devloop.toml",
        "[app]\nname = \"x\"\n[deploy]\ntimeout = 90\n",
    )]);
    let r = run(devloop(dir.path()).arg("plan"));
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
    let dir = project(&[("devloop.toml", "[app]\nnmae = \"x\"\n")]);
    let r = run(devloop(dir.path()).args(["plan", "-o", "json"]));
    assert_eq!(r.code, 2);
    let ev: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(ev["event"], "error");
    assert_eq!(ev["exit_code"], 2);
    assert!(ev["message"]
        .as_str()
        .unwrap()
        .contains("did you mean \"name\""));
}

#[test]
fn switch_variables_take_1_yes_on_and_their_opposites() {
    let dir = tempfile::tempdir().unwrap();
    for (value, ok) in [
        ("1", true),
        ("yes", true),
        ("on", true),
        ("true", true),
        ("0", true),
        ("off", true),
        ("maybe", false),
    ] {
        let r = run(devloop(dir.path())
            .arg("build")
            .env("DEVLOOP_BUILDKIT", value)
            .env("DEVLOOP_NO_CACHE", value)
            .env("DEVLOOP_NO_COLOR", value));
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
    let dir = tempfile::tempdir().unwrap();
    let r = run(devloop(dir.path()).arg("plan"));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no devloop.toml in"), "{}", r.stderr);
    assert!(r.stderr.contains("devloop init"));
}

#[test]
fn chdir_and_config_flags() {
    let dir = example("hello");
    let r = run(devloop(&repo_root())
        .arg("-C")
        .arg(dir.path())
        .args(["plan", "-o", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(devloop(dir.path()).args(["-c", "nope.toml", "plan"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nope.toml not found"), "{}", r.stderr);
}

#[test]
fn the_example_config_loads_in_every_environment() {
    let root = repo_root();
    // `plan build`: the whole config is loaded and checked for each environment, without the
    // live ECS diff a full plan of prod makes (that needs AWS; tests/deploy_ecs.rs covers it).
    for env in ["staging", "prod"] {
        let r = run(devloop(&root).args([
            "-c",
            "devloop.toml.example",
            "-e",
            env,
            "plan",
            "build",
            "-o",
            "json",
        ]));
        assert_eq!(r.code, 0, "{env}: {}", r.stderr);
        let doc: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
        assert_eq!(doc["env"], env);
    }
}

#[test]
fn init_writes_a_loadable_config_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let app_dir = dir.path().join("My Shop");
    std::fs::create_dir(&app_dir).unwrap();
    std::fs::write(app_dir.join("Dockerfile"), "FROM busybox:1.36\n").unwrap();
    let r = run(devloop(&app_dir).arg("init"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(app_dir.join("devloop.toml")).unwrap();
    assert!(text.contains("name = \"my-shop\""), "{text}");
    assert!(text.contains("Found ./Dockerfile"));
    // The written file is valid (tags need git, so plan the deploy part only).
    let r = run(devloop(&app_dir).args(["plan", "deploy"]));
    assert_eq!(r.code, 0, "{}", r.stderr);

    std::fs::write(app_dir.join("devloop.toml"), "keep me").unwrap();
    let r = run(devloop(&app_dir).arg("init"));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("already exists") && r.stderr.contains("--force"));
    assert_eq!(
        std::fs::read_to_string(app_dir.join("devloop.toml")).unwrap(),
        "keep me"
    );
    let r = run(devloop(&app_dir).args(["init", "--force", "--name", "shop"]));
    assert_eq!(r.code, 0);
    assert!(std::fs::read_to_string(app_dir.join("devloop.toml"))
        .unwrap()
        .contains("name = \"shop\""));
}

#[test]
fn unknown_environment_is_a_usage_error() {
    let dir = example("hello");
    let r = run(devloop(dir.path()).args(["-e", "lcoal", "plan"]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("unknown environment \"lcoal\" — did you mean \"local\"?"),
        "{}",
        r.stderr
    );
}

const HOST_ONLY: &str = "[app]\nname = \"gh\"\n[[test]]\nname = \"hello\"\nrun = \"echo hello from the test; echo token-$TOKEN\"\nenv = { TOKEN = { value = \"s3cr3t-gh-42\", secret = true } }\n";

#[test]
fn github_actions_output_groups_errors_and_step_summary() {
    let dir = project(&[
        ("devloop.toml", HOST_ONLY),
        ("Dockerfile", "FROM busybox:1.36\n"),
    ]);
    let summary = dir.path().join("summary.md");
    // The build cannot reach a daemon (exit 5); the host test still runs.
    let r = run(devloop(dir.path())
        .arg("test")
        .env("DOCKER_HOST", "unix:///nonexistent/devloop.sock")
        .env("CI", "true")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary));
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
    let dir = project(&[
        ("devloop.toml", HOST_ONLY),
        ("Dockerfile", "FROM busybox:1.36\n"),
    ]);
    let r = run(devloop(dir.path())
        .args(["test", "-o", "json"])
        .env("DOCKER_HOST", "unix:///nonexistent/devloop.sock"));
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

#[test]
fn bad_target_settings_are_refused_when_the_config_loads() {
    // Refused before the build, the release or anything else runs: exit 2 with the location.
    let toml = "[app]\nname = \"x\"\n\n[env.local]\ndeploy.target = \"docker\"\ndeploy.docker.ports = [\"80:http\"]\n";
    let dir = project(&[
        ("devloop.toml", toml),
        ("Dockerfile", "FROM busybox:1.36\n"),
    ]);
    let before = listing(dir.path());
    for cmd in [
        &["plan"][..],
        &["ship"],
        &["-e", "local", "deploy"],
        &["build"],
    ] {
        let r = run(devloop(dir.path()).args(cmd));
        assert_eq!(r.code, 2, "{cmd:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(
                "devloop.toml:6:24: port mapping \"80:http\": \"http\" is not a port number"
            ),
            "{cmd:?}: {}",
            r.stderr
        );
    }
    assert_eq!(listing(dir.path()), before);
}

#[test]
fn a_tree_whose_status_cannot_be_read_is_not_released_as_clean() {
    let dir = project(&[
        ("devloop.toml", "[app]\nname = \"x\"\n"),
        ("Dockerfile", "FROM busybox:1.36\n"),
    ]);
    // A corrupt index: HEAD still resolves, but git cannot say what changed.
    std::fs::write(dir.path().join(".git/index"), b"DIRC garbage").unwrap();
    let before = listing(dir.path());
    let r = run(devloop(dir.path()).arg("release"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("git cannot tell whether tracked files have uncommitted changes"),
        "{}",
        r.stderr
    );
    assert_eq!(listing(dir.path()), before);
}

#[test]
fn doctor_checks_aws_when_the_config_uses_it() {
    let dir = project(&[(
        "devloop.toml",
        "[app]\nname = \"x\"\n\n[release]\nregistry = \"ecr\"\n\n[aws]\nregion = \"us-east-1\"\n",
    )]);
    let r = run(devloop(dir.path())
        .args(["doctor", "-o", "json"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/x")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/x"));
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let report: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(report["aws"]["ok"], false, "{report}");
    assert!(
        report["aws"]["error"]
            .as_str()
            .unwrap()
            .contains("no AWS credentials"),
        "{report}"
    );
    assert_eq!(report["aws"]["needed_for"], "release.registry = \"ecr\"");
    // Without anything that needs AWS, doctor does not look.
    let plain = project(&[("devloop.toml", "[app]\nname = \"x\"\n")]);
    let r = run(devloop(plain.path()).args(["doctor", "-o", "json"]));
    let report: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert!(report.get("aws").is_none(), "{report}");
}

#[test]
fn dev_refuses_an_environment_on_aws_and_changes_nothing() {
    let toml = "[app]\nname = \"svc\"\n[deploy]\ntarget = \"ecs\"\n[deploy.ecs]\ncluster = \"c\"\nservice = \"s\"\n";
    let dir = project(&[
        ("devloop.toml", toml),
        ("Dockerfile", "FROM busybox:1.36\n"),
    ]);
    let before = listing(dir.path());
    let r = run(devloop(dir.path()).arg("dev"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "devloop dev runs on a local target, and environment \"default\" deploys to ecs"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(listing(dir.path()), before);
}
