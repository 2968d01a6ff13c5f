//! The `ecs` target against moto: what devloop checks before changing anything, the revision it
//! derives from the live one, an identical redeploy that registers nothing, and moto's rollout
//! picture (the PRIMARY deployment never moves), which must never be called a success.

use super::{config, moto_with_service, revisions, service_td};
use crate::support::peers::{live_service, CLUSTER, SERVICE};
use crate::support::*;

/// A project of its own on `peers`' moto: `cfg`, and a release record of `peers`' app.
fn project_on(peers: &TestContext, cfg: &str, registry: Option<&str>) -> TestContext {
    let ctx = TestContext::new()
        .with_aws()
        .with_files(&[("devloop.toml", cfg)]);
    write_release(ctx.path(), peers.app(), registry);
    ctx
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn bad_names_and_unpullable_releases_are_refused_before_anything_is_registered() {
    let peers = moto_with_service("dl-ecsbad", "busybox:1.36", "");
    let (moto, app) = (peers.moto(), peers.app());
    let cases = [
        (
            "cluster = \"nope\"\n",
            "ECS cluster \"nope\" does not exist",
        ),
        ("", "has no container \"api\" (it has: app, sidecar)"),
    ];
    for (i, (extra, expected)) in cases.iter().enumerate() {
        let mut cfg = config(app, moto, Some("reg.example:5000"), "");
        if i == 0 {
            cfg = cfg.replace("cluster = \"main\"\n", extra);
        } else {
            cfg = cfg.replace("container = \"app\"", "container = \"api\"");
        }
        let ctx = project_on(&peers, &cfg, Some("reg.example:5000"));
        let r = ctx.run(["deploy"]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains(expected), "{}", r.stderr);
    }
    let cfg = config(app, moto, Some("reg.example:5000"), "")
        .replace(&format!("service = \"{SERVICE}\""), "service = \"missing\"");
    let ctx = project_on(&peers, &cfg, Some("reg.example:5000"));
    let r = ctx.run(["deploy"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("ECS service \"missing\" does not exist"),
        "{}",
        r.stderr
    );
    // A release tagged only in a local daemon: ECS tasks could never pull it.
    let ctx = project_on(&peers, &config(app, moto, None, ""), None);
    let r = ctx.run(["deploy"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("ECS tasks cannot pull"), "{}", r.stderr);
    assert_eq!(revisions(moto).len(), 1, "something was registered");
    assert!(service_td(moto).ends_with("web:1"));
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_derived_revision_keeps_the_live_settings_and_moto_s_rollout_is_never_success() {
    let ctx = moto_with_service(
        "dl-ecsderive",
        "busybox:1.36",
        r#"{"name":"KEEP","value":"1"},{"name":"MODE","value":"old"}"#,
    );
    let (moto, app) = (ctx.moto(), ctx.app());
    ctx.add_files(&[(
        "devloop.toml",
        &config(app, moto,
            Some("reg.example:5000"),
            "env = { MODE = \"new\" }\nsecrets = { DB_PASSWORD = \"arn:aws:secretsmanager:us-east-1:123456789012:secret:db\" }\n",
        ),
    )]);
    let image = ctx.write_release(Some("reg.example:5000"));
    // plan: read-only, a unified diff of the live revision against the derived one.
    let r = ctx.run(["plan", "deploy", "--exit-code"]);
    assert_eq!(r.code, 1, "changes exit 1: {}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("--- web:1 (live)"), "{}", r.stdout);
    assert!(
        r.stdout.contains(&format!("+      \"image\": \"{image}\"")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("-          \"value\": \"old\""),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("taskDefinition: web:1 -> the new revision"),
        "{}",
        r.stdout
    );
    let r = ctx.run(["plan", "deploy", "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(doc["changes"], true);
    assert_eq!(doc["diff"]["details"]["register"], true);
    assert_eq!(revisions(moto).len(), 1, "plan registered something");

    let r = ctx.run(["deploy", "--timeout", "3s", "-o", "json"]);
    // moto never moves the PRIMARY deployment to the new revision: no success, a timeout.
    assert_eq!(r.code, 4, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("has not started a deployment of web:2"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("\"verdict\":\"timed_out\""),
        "{}",
        r.stdout
    );
    assert_eq!(revisions(moto).len(), 2);
    assert!(service_td(moto).ends_with("web:2"));
    let td = moto.ecs("DescribeTaskDefinition", "{\"taskDefinition\":\"web:2\"}")["taskDefinition"]
        .clone();
    let app_c = td["containerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "app")
        .unwrap()
        .clone();
    assert_eq!(app_c["image"], image.as_str(), "pinned by digest: {td}");
    assert_eq!(app_c["portMappings"][0]["containerPort"], 80, "{td}");
    assert_eq!(
        app_c["logConfiguration"]["options"]["awslogs-group"], "/ecs/web",
        "{td}"
    );
    assert_eq!(app_c["memory"], 128);
    let env: Vec<(String, String)> = app_c["environment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kv| {
            (
                kv["name"].as_str().unwrap().into(),
                kv["value"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        env,
        [("KEEP".into(), "1".into()), ("MODE".into(), "new".into())]
    );
    assert_eq!(
        app_c["secrets"][0]["valueFrom"],
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"
    );
    assert_eq!(
        td["executionRoleArn"],
        "arn:aws:iam::123456789012:role/exec"
    );
    let sidecar = td["containerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "sidecar")
        .unwrap()
        .clone();
    assert_eq!(
        sidecar["image"], "busybox:1.36",
        "other containers are kept: {td}"
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn an_identical_redeploy_registers_nothing_and_updates_nothing() {
    // With one task running, moto reports the service's deployment COMPLETED.
    let ctx = TestContext::new()
        .with_moto(&[("MOTO_ECS_SERVICE_RUNNING", "1")])
        .with_name("dl-ecssame");
    let (moto, app) = (ctx.moto(), ctx.app());
    ctx.add_files(&[(
        "devloop.toml",
        &config(
            app,
            moto,
            Some("reg.example:5000"),
            "env = { MODE = \"new\" }\n",
        ),
    )]);
    let image = ctx.write_release(Some("reg.example:5000"));
    live_service(moto, &image, r#"{"name":"MODE","value":"new"}"#);
    let r = ctx.run(["plan", "deploy", "--exit-code"]);
    assert_eq!(r.code, 0, "no changes exit 0: {}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("no changes: ECS service main/web already runs web:1"),
        "{}",
        r.stdout
    );
    let r = ctx.run(["deploy", "-o", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("\"verdict\":\"unchanged\""),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("nothing registered"), "{}", r.stdout);
    assert_eq!(revisions(moto).len(), 1);
    assert!(service_td(moto).ends_with("web:1"));
    // monitor judges the same state the same way.
    let r = ctx.run(["monitor", "--check", "-o", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let s = r.json();
    assert_eq!(s["verdict"], "healthy", "{s}");
    assert_eq!(s["release"], RELEASE_ID, "{s}");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn one_deploy_at_a_time_the_lock_names_its_holder_and_is_always_released() {
    let ctx = moto_with_service("dl-ecslock", "busybox:1.36", "");
    let (moto, app) = (ctx.moto(), ctx.app());
    let arn = format!("arn:aws:ecs:us-east-1:123456789012:service/{CLUSTER}/{SERVICE}");
    let lock = |value: &str| {
        moto.ecs(
            "TagResource",
            &format!(
                r#"{{"resourceArn":"{arn}","tags":[{{"key":"devloop.lock","value":"{value}"}}]}}"#
            ),
        );
    };
    let held = || {
        moto.ecs(
            "ListTagsForResource",
            &format!(r#"{{"resourceArn":"{arn}"}}"#),
        )["tags"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .find(|t| t["key"] == "devloop.lock")
            .map(|t| t["value"].as_str().unwrap_or_default().to_string())
    };
    ctx.add_files(&[(
        "devloop.toml",
        &config(
            app,
            moto,
            Some("reg.example:5000"),
            "env = { MODE = \"locked\" }\n",
        ),
    )]);
    ctx.write_release(Some("reg.example:5000"));

    // Someone else's deploy holds it: refused, named, nothing registered.
    lock("alice pid 42 1a2b since 2026-11-23T06:00:00Z until 2999-01-01T00:00:00Z");
    let r = ctx.run(["deploy", "--timeout", "2s"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("another deploy holds the lock"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("alice pid 42"), "{}", r.stderr);
    assert!(r.stderr.contains("--force-unlock"), "{}", r.stderr);
    assert_eq!(revisions(moto).len(), 1);
    assert!(held().unwrap().starts_with("alice"));

    // --force-unlock takes it; the deploy runs (and on moto times out); the lock is released.
    let r = ctx.run(["deploy", "--timeout", "2s", "--force-unlock"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(revisions(moto).len(), 2);
    assert_eq!(held(), None, "the lock was not released");

    // An expired lock is taken over without --force-unlock.
    lock("bob pid 7 3c4d since 2020-01-01T00:00:00Z until 2020-01-01T00:10:00Z");
    let r = ctx.run(["deploy", "--timeout", "2s"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(held(), None);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_task_definition_template_is_registered_with_the_image_and_environment_filled_in() {
    let ctx = moto_with_service("dl-ecstpl", "busybox:1.36", "");
    let (moto, app) = (ctx.moto(), ctx.app());
    let template = r#"{
  "family": "web",
  "networkMode": "bridge",
  "volumes": [{ "name": "data", "host": { "sourcePath": "/srv/data" } }],
  "containerDefinitions": [
    {
      "name": "app",
      "memory": 256,
      "essential": true,
      "portMappings": [{ "containerPort": 8080, "protocol": "tcp" }],
      "environment": [{ "name": "FROM_TEMPLATE", "value": "yes" }],
      "mountPoints": [{ "sourceVolume": "data", "containerPath": "/data" }]
    }
  ]
}
"#;
    ctx.add_files(&[
        (
            "devloop.toml",
            &config(
                app,
                moto,
                Some("reg.example:5000"),
                "task_definition = \"ecs/taskdef.json\"\nenv = { MODE = \"tpl\" }\n",
            ),
        ),
        ("ecs/taskdef.json", template),
    ]);
    let image = ctx.write_release(Some("reg.example:5000"));
    let r = ctx.run(["deploy", "--timeout", "2s"]);
    assert_eq!(r.code, 4, "moto never rolls out: {}", r.stderr);
    assert_eq!(revisions(moto).len(), 2);
    let td = moto.ecs("DescribeTaskDefinition", "{\"taskDefinition\":\"web:2\"}")["taskDefinition"]
        .clone();
    let containers = td["containerDefinitions"].as_array().unwrap();
    assert_eq!(
        containers.len(),
        1,
        "the template, not the live revision: {td}"
    );
    let app_c = &containers[0];
    assert_eq!(app_c["image"], image.as_str(), "{td}");
    assert_eq!(app_c["memory"], 256);
    assert_eq!(app_c["portMappings"][0]["containerPort"], 8080);
    assert_eq!(app_c["mountPoints"][0]["containerPath"], "/data");
    let env: Vec<&str> = app_c["environment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kv| kv["name"].as_str().unwrap())
        .collect();
    assert_eq!(env, ["FROM_TEMPLATE", "MODE"]);
    assert_eq!(td["volumes"][0]["name"], "data", "{td}");

    // A key devloop does not read is refused with its place, and nothing is registered.
    ctx.write(
        "ecs/taskdef.json",
        template.replace(
            "\"memory\": 256,",
            "\"memory\": 256,\n      \"gpuCount\": 1,",
        ),
    );
    let r = ctx.run(["deploy", "--timeout", "2s"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("ecs/taskdef.json:9:"), "{}", r.stderr);
    assert!(
        r.stderr.contains("unknown field `gpuCount`"),
        "{}",
        r.stderr
    );
    assert_eq!(revisions(moto).len(), 2);
}
