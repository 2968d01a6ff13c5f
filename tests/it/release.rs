//! `devloop release` against a real registry (plain and htpasswd) and moto (ECR API, S3 ledger).
//! Every output stream is checked for the password and the token.

use base64::Engine;

use crate::support::*;

/// The context's app, built from busybox, tagged `{short_sha}`, with `release` as its
/// [release] section.
fn app_project(ctx: TestContext, release: &str) -> TestContext {
    let toml = format!(
        "[app]\nname = \"{}\"\n\n[build]\ntags = [\"{{short_sha}}\"]\n\n[release]\n{release}\n",
        ctx.app()
    );
    ctx.with_files(&[
        ("devloop.toml", &toml),
        ("Dockerfile", "FROM busybox:1.36\nCOPY devloop.toml /\n"),
    ])
}

/// The release records `release --list` shows.
fn records(ctx: &TestContext) -> Vec<serde_json::Value> {
    let r = ctx.devloop(["release", "--list", "-o", "json"]).aws().run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json().as_array().unwrap().clone()
}

fn assert_no_secret(r: &Run, secret: &str) {
    assert!(
        !r.stdout.contains(secret),
        "secret in stdout:\n{}",
        r.stdout
    );
    assert!(
        !r.stderr.contains(secret),
        "secret in stderr:\n{}",
        r.stderr
    );
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_registry),
    ignore = "needs Docker and docker-registry, htpasswd, curl: run scripts/services.sh"
)]
#[test]
fn push_records_and_a_second_release_pushes_nothing() {
    let ctx = TestContext::new().with_registry(None).with_app("dl-rel");
    let app = ctx.app().to_string();
    let host = ctx.registry().host();
    let ctx = app_project(
        ctx,
        &format!("registry = \"{host}/team\"\nmoving_tags = [\"latest\"]"),
    );
    let sha = ctx.head_sha();

    let r = ctx.run(["release"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        ctx.registry().tags(&format!("team/{app}"), None),
        vec![sha[..7].to_string(), "latest".to_string()]
    );
    let recs = records(&ctx);
    assert_eq!(recs.len(), 1);
    let rec = &recs[0];
    let image = rec["image"].as_str().unwrap();
    assert!(
        image.starts_with(&format!("{host}/team/{app}@sha256:")),
        "{image}"
    );
    assert_eq!(rec["git"]["sha"], sha.as_str());
    assert_eq!(rec["git"]["dirty"], false);
    assert_eq!(rec["tags"], serde_json::json!([&sha[..7]]));
    assert_eq!(rec["moving_tags"], serde_json::json!(["latest"]));
    assert_eq!(rec["config_digest"].as_str().unwrap().len(), 64);

    let r = ctx.run(["release", "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("nothing pushed"), "{}", r.stdout);
    assert!(r.stdout.contains("\"outcome\":\"skipped\""), "{}", r.stdout);
    assert_eq!(records(&ctx).len(), 1);

    let r = ctx.run(["release", "--list"]);
    assert!(
        r.stdout.contains(&sha[..7]) && r.stdout.contains(image),
        "{}",
        r.stdout
    );
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_registry),
    ignore = "needs Docker and docker-registry, htpasswd, curl: run scripts/services.sh"
)]
#[test]
fn htpasswd_registry_with_good_and_bad_passwords() {
    let password = "pw-7c1d9e2b4a";
    let ctx = TestContext::new()
        .with_registry(Some(("ci-user", password)))
        .with_app("dl-auth");
    let app = ctx.app().to_string();
    let host = ctx.registry().host();
    let ctx = app_project(ctx, &format!("registry = \"{host}\""));

    let r = ctx
        .devloop(["release"])
        .env("DEVLOOP_REGISTRY_USERNAME", "ci-user")
        .env("DEVLOOP_REGISTRY_PASSWORD", "wrong-password-123")
        .run();
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("refused"), "{}", r.stderr);
    assert_no_secret(&r, "wrong-password-123");
    assert!(records(&ctx).is_empty());

    let r = ctx
        .devloop(["release", "-v"])
        .env("DEVLOOP_REGISTRY_USERNAME", "ci-user")
        .env("DEVLOOP_REGISTRY_PASSWORD", password)
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_no_secret(&r, password);
    assert_eq!(
        ctx.registry().tags(&app, Some(("ci-user", password))).len(),
        1
    );
    // Nothing written to the docker config either.
    let home = std::env::var("HOME").unwrap_or_default();
    let cfg = std::fs::read_to_string(format!("{home}/.docker/config.json")).unwrap_or_default();
    assert!(!cfg.contains(password));
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_registry),
    ignore = "needs Docker and docker-registry, htpasswd, curl: run scripts/services.sh"
)]
#[test]
fn an_unreachable_registry_is_exit_5() {
    require_registry();
    let port = free_port();
    let ctx = app_project(
        TestContext::new().with_app("dl-unreach"),
        &format!("registry = \"127.0.0.1:{port}\""),
    );
    let r = ctx.run(["release"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("127.0.0.1:{port}")),
        "{}",
        r.stderr
    );
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_registry),
    ignore = "needs Docker and docker-registry, htpasswd, curl: run scripts/services.sh"
)]
#[test]
fn a_dirty_tree_is_refused_unless_allowed() {
    require_registry();
    let ctx = app_project(TestContext::new().with_app("dl-dirty"), "");
    let app = ctx.app();
    ctx.write("Dockerfile", "FROM busybox:1.36\n# changed\n");
    let before = ctx.listing();
    let r = ctx.run(["release"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("uncommitted changes") && r.stderr.contains("--allow-dirty"),
        "{}",
        r.stderr
    );
    assert_eq!(
        ctx.listing(),
        before,
        "a refused release must change nothing"
    );

    // Without a registry, the release is a tag in the local daemon.
    let r = ctx.run(["release", "--allow-dirty"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let recs = records(&ctx);
    assert_eq!(recs[0]["git"]["dirty"], true);
    assert!(recs[0]["image"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{app}@sha256:")));
    assert_eq!(recs[0]["registry"], serde_json::Value::Null);
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_registry, devloop_no_moto),
    ignore = "needs Docker, docker-registry and moto: run scripts/services.sh"
)]
#[test]
fn ecr_token_flow_pushes_to_a_registry_with_the_token_credentials_and_records_in_s3() {
    require_registry();
    let ctx = TestContext::new().with_moto(&[]);
    // What moto's GetAuthorizationToken hands out, decoded: the registry accepts exactly that.
    let token = ctx.moto().ecr("GetAuthorizationToken", "{}")["authorizationData"][0]
        ["authorizationToken"]
        .as_str()
        .expect("token")
        .to_string();
    let decoded = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(&token)
            .unwrap(),
    )
    .unwrap();
    let (user, password) = decoded.split_once(':').unwrap();
    let ctx = ctx.with_registry(Some((user, password))).with_app("dl-ecr");
    let bucket = unique("dl-ledger").to_lowercase();
    ctx.moto().s3("PUT", &format!("/{bucket}"));

    let app = ctx.app().to_string();
    let release = format!(
        "registry = \"ecr\"\nledger = \"s3://{bucket}/releases\"\n[release.ecr]\ncreate_repository = true\nscan_on_push = true\nregistry_endpoint = \"{}\"\n[aws]\nendpoint_url = \"{}\"\n",
        ctx.registry().host(),
        ctx.moto().url()
    );
    let ctx = app_project(ctx, &release);
    let r = ctx.run(["release", "-v"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_no_secret(&r, &token);
    assert_no_secret(&r, password);

    let repos = ctx.moto().ecr(
        "DescribeRepositories",
        &format!("{{\"repositoryNames\":[\"{app}\"]}}"),
    );
    assert_eq!(
        repos["repositories"][0]["repositoryName"],
        app.as_str(),
        "{repos}"
    );
    assert_eq!(
        repos["repositories"][0]["imageScanningConfiguration"]["scanOnPush"],
        true
    );
    assert_eq!(ctx.registry().tags(&app, Some((user, password))).len(), 1);

    let listing = ctx.moto().s3(
        "GET",
        &format!("/{bucket}?list-type=2&prefix=releases/{app}/"),
    );
    assert!(listing.contains(".json"), "{listing}");
    // --list merges the S3 ledger with the local one.
    let r = ctx.run(["release", "--list", "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json().as_array().unwrap().len(), 1);
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_registry),
    ignore = "needs Docker and docker-registry, htpasswd, curl: run scripts/services.sh"
)]
#[test]
fn missing_aws_credentials_are_exit_5_and_say_what_was_tried() {
    require_registry();
    let ctx = app_project(
        TestContext::new().with_app("dl-nocreds"),
        "registry = \"ecr\"\n[aws]\nregion = \"us-east-1\"\nendpoint_url = \"http://127.0.0.1:9\"\n",
    );
    let r = ctx.devloop(["release"]).no_aws_credentials().run();
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("no AWS credentials"), "{}", r.stderr);
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_registry),
    ignore = "needs Docker and docker-registry, htpasswd, curl: run scripts/services.sh"
)]
#[test]
fn credentials_come_from_a_docker_credential_helper() {
    let password = "helper-pw-5e6f7a8b";
    let ctx = TestContext::new()
        .with_registry(Some(("helper-user", password)))
        .with_app("dl-helper");
    let app = ctx.app().to_string();
    let host = ctx.registry().host();
    let ctx = app_project(ctx, &format!("registry = \"{host}\""));

    // A credential helper speaking the docker-credential-helpers protocol: `get`, host on stdin.
    let tools = tempfile::tempdir().unwrap();
    let helper = tools.path().join("docker-credential-devlooptest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread host\nif [ \"$1\" = get ] && [ \"$host\" = \"{host}\" ]; then\n  printf '{{\"ServerURL\":\"%s\",\"Username\":\"helper-user\",\"Secret\":\"{password}\"}}' \"$host\"\nelse\n  echo 'credentials not found in native keychain'; exit 1\nfi\n",
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let config = tempfile::tempdir().unwrap();
    std::fs::write(
        config.path().join("config.json"),
        format!("{{\"credHelpers\":{{\"{host}\":\"devlooptest\"}}}}"),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        tools.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let r = ctx
        .devloop(["release", "-v"])
        .env("PATH", path)
        .env("DOCKER_CONFIG", config.path())
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_no_secret(&r, password);
    assert_eq!(
        ctx.registry()
            .tags(&app, Some(("helper-user", password)))
            .len(),
        1
    );
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_registry, devloop_no_moto),
    ignore = "needs Docker, docker-registry and moto: run scripts/services.sh"
)]
#[test]
fn a_fresh_clone_deploys_what_another_job_released_to_the_s3_ledger() {
    let releaser = TestContext::new()
        .with_registry(None)
        .with_moto(&[])
        .with_app("dl-s3only");
    let app = releaser.app().to_string();
    let host = releaser.registry().host();
    let releaser = releaser.also_remove_image(format!("{host}/team/{app}"));
    let bucket = unique("dl-s3only").to_lowercase();
    releaser.moto().s3("PUT", &format!("/{bucket}"));
    let config = format!(
        "[app]\nname = \"{app}\"\n\n[build]\ntags = [\"{{short_sha}}\"]\n\n[release]\nregistry = \"{host}/team\"\nledger = \"s3://{bucket}/releases\"\n\n[aws]\nendpoint_url = \"{}\"\n\n[deploy]\ntarget = \"docker\"\n",
        releaser.moto().url()
    );
    let files = [
        ("devloop.toml", config.as_str()),
        (
            "Dockerfile",
            "FROM busybox:1.36\nCOPY devloop.toml /\nCMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; while :; do sleep 1; done\"]\n",
        ),
    ];
    // The job that released.
    let releaser = releaser.with_files(&files);
    let r = releaser.run(["release"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let id = records(&releaser)[0]["id"].as_str().unwrap().to_string();
    let image_id = records(&releaser)[0]["image_id"]
        .as_str()
        .unwrap()
        .to_string();
    // A fresh runner: another clone, with no local ledger, and a daemon without the image.
    let deployer = TestContext::new().with_aws().with_files(&files);
    assert!(!deployer.join(".devloop").exists());
    docker(&["rmi", "-f", &image_id]);
    let r = deployer.run(["deploy", "-o", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        docker(&[
            "inspect",
            "--format",
            "{{index .Config.Labels \"devloop.release\"}}",
            &format!("{app}-default"),
        ]),
        id
    );
    // Monitor and rollback read the same merged ledger.
    let s = deployer.run(["monitor", "-o", "json"]).json();
    assert_eq!(s["release"], id.as_str(), "{s}");
}
