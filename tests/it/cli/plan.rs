//! `devloop plan` on examples/hello and on small projects: the whole loop, the JSON document,
//! environment selection, secrets masked, `-C`/`-c`, and every environment of the example config.

use crate::support::*;

#[test]
fn plan_on_the_example_shows_the_whole_loop() {
    let ctx = TestContext::new().with_example("hello");
    let r = ctx.run(["plan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains(&format!("image: hello:{}", ctx.short_sha())),
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
    assert!(!ctx.join(".devloop").exists());
}

#[test]
fn plan_json_is_a_stable_document() {
    let ctx = TestContext::new().with_example("hello");
    let r = ctx.run(["plan", "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc = r.json();
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
    let ctx = TestContext::new().with_example("hello");
    let doc = ctx.run(["plan", "build", "-o", "json"]).json();
    assert_eq!(doc["steps"].as_array().unwrap().len(), 1);

    // DEVLOOP_ENV and ${VAR:-default} interpolation from the environment.
    let r = ctx
        .devloop(["plan", "deploy", "-o", "json"])
        .env("DEVLOOP_ENV", "swarm")
        .env("HELLO_PORT", "9999")
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc = r.json();
    assert_eq!(doc["env"], "swarm");
    assert_eq!(
        doc["steps"][0]["details"]["settings"]["ports"],
        serde_json::json!(["9999:80"])
    );
    assert_eq!(doc["steps"][0]["details"]["settings"]["replicas"], 1);
}

#[test]
fn secrets_never_appear_in_plan_output() {
    let ctx = TestContext::new().with_files(&[(
        "devloop.toml",
        "[app]\nname = \"s\"\n[build]\nargs = { TOKEN = { value = \"${MY_TOKEN}\", secret = true } }\n",
    )]);
    for fmt in ["text", "json"] {
        let r = ctx
            .devloop(["plan", "build", "-o", fmt])
            .env("MY_TOKEN", "tok-9f8e7d6c")
            .run();
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(!r.stdout.contains("tok-9f8e7d6c") && !r.stderr.contains("tok-9f8e7d6c"));
        if fmt == "json" {
            assert!(r.stdout.contains("\"TOKEN\":\"***\""), "{}", r.stdout);
        }
    }
}

#[test]
fn chdir_and_config_flags() {
    let ctx = TestContext::new().with_example("hello");
    let r = ctx
        .devloop(["-C"])
        .arg(ctx.path())
        .args(["plan", "-o", "json"])
        .current_dir(repo_root())
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = ctx.run(["-c", "nope.toml", "plan"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nope.toml not found"), "{}", r.stderr);
}

#[test]
fn the_example_config_loads_in_every_environment() {
    let ctx = TestContext::new();
    // `plan build`: the whole config is loaded and checked for each environment, without the
    // live ECS diff a full plan of prod makes (that needs AWS; deploy::ecs covers it).
    for env in ["staging", "prod"] {
        let r = ctx
            .devloop([
                "-c",
                "devloop.toml.example",
                "-e",
                env,
                "plan",
                "build",
                "-o",
                "json",
            ])
            .current_dir(repo_root())
            .run();
        assert_eq!(r.code, 0, "{env}: {}", r.stderr);
        assert_eq!(r.json()["env"], env);
    }
}

#[test]
fn unknown_environment_is_a_usage_error() {
    let ctx = TestContext::new().with_example("hello");
    let r = ctx.run(["-e", "lcoal", "plan"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("unknown environment \"lcoal\" — did you mean \"local\"?"),
        "{}",
        r.stderr
    );
}
