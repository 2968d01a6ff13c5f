//! The `ecs` target against the AWS peer (ECS as the live service answers it, deployments that
//! move along the clock): a template in ECS's units deployed, then deployed again with nothing
//! registered, and a service with an old short ARN.

use crate::support::peers::{CLUSTER, SERVICE};
use crate::support::*;

// --- against the AWS peer ---------------------------------------------------------------------

/// The peer with a Fargate service (2 tasks) on revision web:1, whose next deployments complete
/// in a second.
fn peer_with_service(prefix: &str) -> TestContext {
    let ctx = TestContext::new().with_aws_peer().with_name(prefix);
    let url = ctx.aws_peer().url();
    let ctx = ctx.with_env("DEVLOOP_AWS_ENDPOINT_URL", url);
    let peer = ctx.aws_peer();
    let subnet = peer.ec2_first("DescribeSubnets", "subnetId");
    let group = peer.ec2_first("DescribeSecurityGroups", "groupId");
    peer.ecs(
        "CreateCluster",
        &format!(r#"{{"clusterName":"{CLUSTER}"}}"#),
    );
    let td = peer.ecs("RegisterTaskDefinition",
        r#"{"family":"web","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"cpu":"256","memory":"512","containerDefinitions":[{"name":"app","image":"busybox:1.36","portMappings":[{"containerPort":8080}]}]}"#,
    );
    assert_eq!(td["taskDefinition"]["revision"], 1, "{td}");
    let svc = peer.ecs("CreateService",
        &format!(
            r#"{{"cluster":"{CLUSTER}","serviceName":"{SERVICE}","taskDefinition":"web:1","desiredCount":2,"launchType":"FARGATE","networkConfiguration":{{"awsvpcConfiguration":{{"subnets":["{subnet}"],"securityGroups":["{group}"]}}}}}}"#
        ),
    );
    assert_eq!(svc["service"]["status"], "ACTIVE", "{svc}");
    peer.control(
        "ecs/script",
        serde_json::json!({"cluster": CLUSTER, "service": SERVICE, "updates": [], "scale": 0.5}),
    );
    ctx
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
    let ctx = peer_with_service("dl-ecsunits");
    let (peer, app) = (ctx.aws_peer(), ctx.app());
    ctx.add_files(&[
        (
            "devloop.toml",
            &peer_config(app, "task_definition = \"ecs/taskdef.json\"\n"),
        ),
        ("ecs/taskdef.json", UNITS_TEMPLATE),
    ]);
    let image = ctx.write_release(Some("reg.example:5000"));
    let setup = peer.calls_of("ecs", "RegisterTaskDefinition").len();
    // Tag reads lag every lock write: the lock is still taken and given back.
    peer.control("ecs/tag_lag", serde_json::json!({"reads": 2}));

    let r = ctx.run(["deploy", "-o", "json"]);
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

    let r = ctx.run(["deploy", "-o", "json"]);
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

    let r = ctx.run(["plan", "deploy", "--exit-code"]);
    assert_eq!(r.code, 0, "no changes exit 0: {}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("no changes: ECS service main/web already runs web:2"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("--- web:2 (live)"), "{}", r.stdout);
    let r = ctx.run(["plan", "deploy", "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc = r.json();
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
    let ctx = peer_with_service("dl-ecsshort");
    let (peer, app) = (ctx.aws_peer(), ctx.app());
    peer.control(
        "ecs/short_arn",
        serde_json::json!({"cluster": CLUSTER, "service": SERVICE, "enabled": true}),
    );
    ctx.add_files(&[("devloop.toml", &peer_config(app, ""))]);
    ctx.write_release(Some("reg.example:5000"));
    let setup = peer.calls_of("ecs", "RegisterTaskDefinition").len();

    let r = ctx.run(["deploy"]);
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

    let r = ctx.run(["deploy", "--no-lock"]);
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
