//! The `ecs` target against moto: what devloop checks before changing anything, the revision it
//! derives from the live one, an identical redeploy that registers nothing, and moto's rollout
//! picture (the PRIMARY deployment never moves), which must never be called a success. Against
//! the AWS peer (ECS as the live service answers it, deployments that move along the clock): a
//! template in ECS's units deployed, then deployed again with nothing registered, and a service
//! with an old short ARN. Every rollout verdict is judged in the unit tests of src/deploy/ecs.

mod common;

use common::peers::{aws_env, have, Moto};
use common::*;

use common::awspeer::AwsPeer;
use common::peers::{live_service, CLUSTER, SERVICE};

fn config(app: &str, moto: &Moto, registry: Option<&str>, ecs_extra: &str) -> String {
    let release = registry
        .map(|r| format!("registry = \"{r}/team\"\n"))
        .unwrap_or_default();
    format!(
        "[app]\nname = \"{app}\"\n\n[build]\ntags = [\"{{short_sha}}\"]\n\n[release]\n{release}\n[aws]\nendpoint_url = \"{}\"\n\n[deploy]\ntarget = \"ecs\"\n\n[deploy.ecs]\ncluster = \"{CLUSTER}\"\nservice = \"{SERVICE}\"\ncontainer = \"app\"\n{ecs_extra}\n",
        moto.url()
    )
}

/// A private moto server (the test needs one: `#[cfg_attr(devloop_no_moto, ignore)]`).
fn start_moto(env: &[(&str, &str)]) -> Moto {
    assert!(
        have("moto_server"),
        "moto_server is missing: scripts/services.sh installs it"
    );
    Moto::start_with(env)
}

/// moto with the cluster, revision 1 running `image` and the service of `live_service`.
fn moto_with_service(image: &str, env: &str) -> Moto {
    let moto = start_moto(&[]);
    live_service(&moto, image, env);
    moto
}

fn revisions(moto: &Moto) -> Vec<String> {
    moto.ecs("ListTaskDefinitions", "{\"familyPrefix\":\"web\"}")["taskDefinitionArns"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn service_td(moto: &Moto) -> String {
    moto.ecs(
        "DescribeServices",
        &format!(r#"{{"cluster":"{CLUSTER}","services":["{SERVICE}"]}}"#),
    )["services"][0]["taskDefinition"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn bad_names_and_unpullable_releases_are_refused_before_anything_is_registered() {
    let moto = moto_with_service("busybox:1.36", "");
    let app = unique("dl-ecsbad");
    let cases = [
        (
            "cluster = \"nope\"\n",
            "ECS cluster \"nope\" does not exist",
        ),
        ("", "has no container \"api\" (it has: app, sidecar)"),
    ];
    for (i, (extra, expected)) in cases.iter().enumerate() {
        let mut cfg = config(&app, &moto, Some("reg.example:5000"), "");
        if i == 0 {
            cfg = cfg.replace("cluster = \"main\"\n", extra);
        } else {
            cfg = cfg.replace("container = \"app\"", "container = \"api\"");
        }
        let dir = project(&[("devloop.toml", &cfg)]);
        write_release(dir.path(), &app, Some("reg.example:5000"));
        let r = run(aws_env(&mut devloop(dir.path())).arg("deploy"));
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains(expected), "{}", r.stderr);
    }
    let cfg = config(&app, &moto, Some("reg.example:5000"), "")
        .replace(&format!("service = \"{SERVICE}\""), "service = \"missing\"");
    let dir = project(&[("devloop.toml", &cfg)]);
    write_release(dir.path(), &app, Some("reg.example:5000"));
    let r = run(aws_env(&mut devloop(dir.path())).arg("deploy"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("ECS service \"missing\" does not exist"),
        "{}",
        r.stderr
    );
    // A release tagged only in a local daemon: ECS tasks could never pull it.
    let dir = project(&[("devloop.toml", &config(&app, &moto, None, ""))]);
    write_release(dir.path(), &app, None);
    let r = run(aws_env(&mut devloop(dir.path())).arg("deploy"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("ECS tasks cannot pull"), "{}", r.stderr);
    assert_eq!(revisions(&moto).len(), 1, "something was registered");
    assert!(service_td(&moto).ends_with("web:1"));
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_derived_revision_keeps_the_live_settings_and_moto_s_rollout_is_never_success() {
    let moto = moto_with_service(
        "busybox:1.36",
        r#"{"name":"KEEP","value":"1"},{"name":"MODE","value":"old"}"#,
    );
    let app = unique("dl-ecsderive");
    let dir = project(&[(
        "devloop.toml",
        &config(
            &app,
            &moto,
            Some("reg.example:5000"),
            "env = { MODE = \"new\" }\nsecrets = { DB_PASSWORD = \"arn:aws:secretsmanager:us-east-1:123456789012:secret:db\" }\n",
        ),
    )]);
    let image = write_release(dir.path(), &app, Some("reg.example:5000"));
    // plan: read-only, a unified diff of the live revision against the derived one.
    let r = run(aws_env(&mut devloop(dir.path())).args(["plan", "deploy", "--exit-code"]));
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
    let r = run(aws_env(&mut devloop(dir.path())).args(["plan", "deploy", "-o", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(doc["changes"], true);
    assert_eq!(doc["diff"]["details"]["register"], true);
    assert_eq!(revisions(&moto).len(), 1, "plan registered something");

    let r =
        run(aws_env(&mut devloop(dir.path())).args(["deploy", "--timeout", "3s", "-o", "json"]));
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
    assert_eq!(revisions(&moto).len(), 2);
    assert!(service_td(&moto).ends_with("web:2"));
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
    let moto = start_moto(&[("MOTO_ECS_SERVICE_RUNNING", "1")]);
    let app = unique("dl-ecssame");
    let dir = project(&[(
        "devloop.toml",
        &config(
            &app,
            &moto,
            Some("reg.example:5000"),
            "env = { MODE = \"new\" }\n",
        ),
    )]);
    let image = write_release(dir.path(), &app, Some("reg.example:5000"));
    live_service(&moto, &image, r#"{"name":"MODE","value":"new"}"#);
    let r = run(aws_env(&mut devloop(dir.path())).args(["plan", "deploy", "--exit-code"]));
    assert_eq!(r.code, 0, "no changes exit 0: {}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("no changes: ECS service main/web already runs web:1"),
        "{}",
        r.stdout
    );
    let r = run(aws_env(&mut devloop(dir.path())).args(["deploy", "-o", "json"]));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("\"verdict\":\"unchanged\""),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("nothing registered"), "{}", r.stdout);
    assert_eq!(revisions(&moto).len(), 1);
    assert!(service_td(&moto).ends_with("web:1"));
    // monitor judges the same state the same way.
    let r = run(aws_env(&mut devloop(dir.path())).args(["monitor", "--check", "-o", "json"]));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let s: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(s["verdict"], "healthy", "{s}");
    assert_eq!(s["release"], "20260101T000000Z-abc1234", "{s}");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn one_deploy_at_a_time_the_lock_names_its_holder_and_is_always_released() {
    let moto = moto_with_service("busybox:1.36", "");
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
    let app = unique("dl-ecslock");
    let dir = project(&[(
        "devloop.toml",
        &config(
            &app,
            &moto,
            Some("reg.example:5000"),
            "env = { MODE = \"locked\" }\n",
        ),
    )]);
    write_release(dir.path(), &app, Some("reg.example:5000"));

    // Someone else's deploy holds it: refused, named, nothing registered.
    lock("alice pid 42 1a2b since 2026-11-23T06:00:00Z until 2999-01-01T00:00:00Z");
    let r = run(aws_env(&mut devloop(dir.path())).args(["deploy", "--timeout", "2s"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("another deploy holds the lock"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("alice pid 42"), "{}", r.stderr);
    assert!(r.stderr.contains("--force-unlock"), "{}", r.stderr);
    assert_eq!(revisions(&moto).len(), 1);
    assert!(held().unwrap().starts_with("alice"));

    // --force-unlock takes it; the deploy runs (and on moto times out); the lock is released.
    let r = run(aws_env(&mut devloop(dir.path())).args([
        "deploy",
        "--timeout",
        "2s",
        "--force-unlock",
    ]));
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(revisions(&moto).len(), 2);
    assert_eq!(held(), None, "the lock was not released");

    // An expired lock is taken over without --force-unlock.
    lock("bob pid 7 3c4d since 2020-01-01T00:00:00Z until 2020-01-01T00:10:00Z");
    let r = run(aws_env(&mut devloop(dir.path())).args(["deploy", "--timeout", "2s"]));
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(held(), None);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_task_definition_template_is_registered_with_the_image_and_environment_filled_in() {
    let moto = moto_with_service("busybox:1.36", "");
    let app = unique("dl-ecstpl");
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
    let dir = project(&[
        (
            "devloop.toml",
            &config(
                &app,
                &moto,
                Some("reg.example:5000"),
                "task_definition = \"ecs/taskdef.json\"\nenv = { MODE = \"tpl\" }\n",
            ),
        ),
        ("ecs/taskdef.json", template),
    ]);
    let image = write_release(dir.path(), &app, Some("reg.example:5000"));
    let r = run(aws_env(&mut devloop(dir.path())).args(["deploy", "--timeout", "2s"]));
    assert_eq!(r.code, 4, "moto never rolls out: {}", r.stderr);
    assert_eq!(revisions(&moto).len(), 2);
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
    std::fs::write(
        dir.path().join("ecs/taskdef.json"),
        template.replace(
            "\"memory\": 256,",
            "\"memory\": 256,\n      \"gpuCount\": 1,",
        ),
    )
    .unwrap();
    let r = run(aws_env(&mut devloop(dir.path())).args(["deploy", "--timeout", "2s"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("ecs/taskdef.json:9:"), "{}", r.stderr);
    assert!(
        r.stderr.contains("unknown field `gpuCount`"),
        "{}",
        r.stderr
    );
    assert_eq!(revisions(&moto).len(), 2);
}

// --- against the AWS peer ---------------------------------------------------------------------

/// A call to the peer with curl, outside devloop (setup): JSON protocol for ECS, query for EC2.
fn peer_call(peer: &AwsPeer, service: &str, headers: &[String], data: &[String]) -> String {
    let out = std::process::Command::new("curl")
        .args(["-sS", "-X", "POST", &format!("{}/", peer.url())])
        .args(["-H", &format!("Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=x")])
        .args(headers.iter().flat_map(|h| ["-H".to_string(), h.clone()]))
        .args(data)
        .output()
        .expect("curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn peer_ecs(peer: &AwsPeer, action: &str, body: &str) -> serde_json::Value {
    let text = peer_call(
        peer,
        "ecs",
        &[
            format!("X-Amz-Target: AmazonEC2ContainerServiceV20141113.{action}"),
            "Content-Type: application/x-amz-json-1.1".into(),
        ],
        &["-d".into(), body.into()],
    );
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{action}: {text}"))
}

/// The first `<tag>` value of an EC2 answer (a subnet id, a security group id).
fn peer_ec2_first(peer: &AwsPeer, action: &str, tag: &str) -> String {
    let text = peer_call(
        peer,
        "ec2",
        &[],
        &[
            "--data-urlencode".into(),
            format!("Action={action}"),
            "--data-urlencode".into(),
            "Version=2016-11-15".into(),
        ],
    );
    text.split_once(&format!("<{tag}>"))
        .and_then(|(_, rest)| rest.split_once(&format!("</{tag}>")))
        .map(|(v, _)| v.to_string())
        .unwrap_or_else(|| panic!("no <{tag}> in {text}"))
}

/// The peer with a Fargate service (2 tasks) on revision web:1, whose next deployments complete
/// in a second.
fn peer_with_service() -> AwsPeer {
    let peer = AwsPeer::start();
    let subnet = peer_ec2_first(&peer, "DescribeSubnets", "subnetId");
    let group = peer_ec2_first(&peer, "DescribeSecurityGroups", "groupId");
    peer_ecs(
        &peer,
        "CreateCluster",
        &format!(r#"{{"clusterName":"{CLUSTER}"}}"#),
    );
    let td = peer_ecs(
        &peer,
        "RegisterTaskDefinition",
        r#"{"family":"web","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"cpu":"256","memory":"512","containerDefinitions":[{"name":"app","image":"busybox:1.36","portMappings":[{"containerPort":8080}]}]}"#,
    );
    assert_eq!(td["taskDefinition"]["revision"], 1, "{td}");
    let svc = peer_ecs(
        &peer,
        "CreateService",
        &format!(
            r#"{{"cluster":"{CLUSTER}","serviceName":"{SERVICE}","taskDefinition":"web:1","desiredCount":2,"launchType":"FARGATE","networkConfiguration":{{"awsvpcConfiguration":{{"subnets":["{subnet}"],"securityGroups":["{group}"]}}}}}}"#
        ),
    );
    assert_eq!(svc["service"]["status"], "ACTIVE", "{svc}");
    peer.control(
        "ecs/script",
        serde_json::json!({"cluster": CLUSTER, "service": SERVICE, "updates": [], "scale": 0.5}),
    );
    peer
}

/// devloop with the peer as its AWS endpoint.
fn on_peer(dir: &std::path::Path, peer: &AwsPeer) -> std::process::Command {
    let mut cmd = devloop(dir);
    aws_env(&mut cmd).env("DEVLOOP_AWS_ENDPOINT_URL", peer.url());
    cmd
}

fn peer_config(app: &str, ecs_extra: &str) -> String {
    format!(
        "[app]\nname = \"{app}\"\n\n[release]\nregistry = \"reg.example:5000/team\"\n\n[deploy]\ntarget = \"ecs\"\n\n[deploy.ecs]\ncluster = \"{CLUSTER}\"\nservice = \"{SERVICE}\"\ncontainer = \"app\"\n{ecs_extra}\n"
    )
}

/// A template in the units people write and without the fields ECS fills in (port protocol,
/// hostPort, essential).
const UNITS_TEMPLATE: &str = r#"{
  "family": "web",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "1 vCPU",
  "memory": "2 GB",
  "containerDefinitions": [
    { "name": "app", "portMappings": [{ "containerPort": 8080 }] }
  ]
}
"#;

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn on_the_aws_peer_a_template_in_ecs_units_deploys_once_then_registers_nothing() {
    let peer = peer_with_service();
    let app = unique("dl-ecsunits");
    let dir = project(&[
        (
            "devloop.toml",
            &peer_config(&app, "task_definition = \"ecs/taskdef.json\"\n"),
        ),
        ("ecs/taskdef.json", UNITS_TEMPLATE),
    ]);
    let image = write_release(dir.path(), &app, Some("reg.example:5000"));
    let setup = peer.calls_of("ecs", "RegisterTaskDefinition").len();
    // Tag reads lag every lock write: the lock is still taken and given back.
    peer.control("ecs/tag_lag", serde_json::json!({"reads": 2}));

    let r = run(on_peer(dir.path(), &peer).args(["deploy", "-o", "json"]));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("\"verdict\":\"deployed\""),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("runs web:2"), "{}", r.stdout);
    let registered = peer.calls_of("ecs", "RegisterTaskDefinition");
    assert_eq!(registered.len(), setup + 1);
    let sent = &registered[setup]["json"];
    assert_eq!(
        sent["containerDefinitions"][0]["image"],
        image.as_str(),
        "{sent}"
    );

    let r = run(on_peer(dir.path(), &peer).args(["deploy", "-o", "json"]));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("\"verdict\":\"unchanged\""),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("nothing registered"), "{}", r.stdout);
    assert_eq!(
        peer.calls_of("ecs", "RegisterTaskDefinition").len(),
        setup + 1,
        "the second deploy registered a revision"
    );
    assert_eq!(peer.calls_of("ecs", "UpdateService").len(), 1);
    assert_eq!(
        peer.calls_of("ecs", "TagResource").len(),
        peer.calls_of("ecs", "UntagResource").len(),
        "every lock taken was given back"
    );

    let r = run(on_peer(dir.path(), &peer).args(["plan", "deploy", "--exit-code"]));
    assert_eq!(r.code, 0, "no changes exit 0: {}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("no changes: ECS service main/web already runs web:2"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("--- web:2 (live)"), "{}", r.stdout);
    let r = run(on_peer(dir.path(), &peer).args(["plan", "deploy", "-o", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(doc["changes"], false, "{doc}");
    assert_eq!(doc["diff"]["details"]["register"], false, "{doc}");
    assert_eq!(
        peer.calls_of("ecs", "RegisterTaskDefinition").len(),
        setup + 1
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn on_the_aws_peer_a_short_service_arn_is_refused_unless_no_lock() {
    let peer = peer_with_service();
    peer.control(
        "ecs/short_arn",
        serde_json::json!({"cluster": CLUSTER, "service": SERVICE, "enabled": true}),
    );
    let app = unique("dl-ecsshort");
    let dir = project(&[("devloop.toml", &peer_config(&app, ""))]);
    write_release(dir.path(), &app, Some("reg.example:5000"));
    let setup = peer.calls_of("ecs", "RegisterTaskDefinition").len();

    let r = run(on_peer(dir.path(), &peer).arg("deploy"));
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("old-format ARN"), "{}", r.stderr);
    assert!(
        r.stderr.contains("serviceLongArnFormat"),
        "the fix is named: {}",
        r.stderr
    );
    assert!(r.stderr.contains("--no-lock"), "{}", r.stderr);
    assert_eq!(
        peer.calls_of("ecs", "RegisterTaskDefinition").len(),
        setup,
        "refused before anything was registered"
    );
    assert!(peer.calls_of("ecs", "UpdateService").is_empty());
    assert!(peer.calls_of("ecs", "TagResource").is_empty());

    let r = run(on_peer(dir.path(), &peer).args(["deploy", "--no-lock"]));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("without the deploy lock (--no-lock)"),
        "said: {}",
        r.stderr
    );
    assert_eq!(
        peer.calls_of("ecs", "RegisterTaskDefinition").len(),
        setup + 1
    );
    assert_eq!(peer.calls_of("ecs", "UpdateService").len(), 1);
    assert!(peer.calls_of("ecs", "TagResource").is_empty());
}
