//! `devloop provision` and `devloop destroy` on ECS as a new user meets them, against the AWS peer (moto
//! underneath: ECS, EC2, ELBv2, IAM, Logs, ECR): from an empty account to examples/hello serving
//! behind a load balancer, a failure mid-way undone, and a destroy that leaves what was made by
//! hand alone.

use super::{cfn_lint, writes};
use crate::support::awspeer::AwsPeer;
use crate::support::*;

/// examples/hello with an `ecs` environment, against its own AWS peer.
fn hello_on_ecs(ctx: TestContext, registry: &str) -> TestContext {
    let url = ctx.aws_peer().url();
    let ctx = ctx.with_env("DEVLOOP_AWS_ENDPOINT_URL", url);
    let app = ctx.app().to_string();
    let text = std::fs::read_to_string(ctx.join("devloop.toml")).unwrap();
    ctx.write(
        "devloop.toml",
        format!(
            "{text}\n[env.ecs]\ndeploy.target = \"ecs\"\nrelease.registry = \"{registry}\"\ndeploy.ecs.cluster = \"main\"\ndeploy.ecs.service = \"{app}-ecs\"\n"
        ),
    );
    ctx.commit("an ecs environment");
    ctx
}

/// Everything in the account that carries devloop's tags, in a few words each.
fn tagged(peer: &AwsPeer) -> Vec<String> {
    let mut out = Vec::new();
    let clusters = peer.ecs("ListClusters", "{}");
    for arn in clusters["clusterArns"].as_array().into_iter().flatten() {
        let d = peer.ecs(
            "DescribeClusters",
            &format!(r#"{{"clusters":[{arn}],"include":["TAGS"]}}"#),
        );
        let active = d["clusters"][0]["status"] == "ACTIVE";
        if active && d.to_string().contains("devloop:app") {
            out.push(format!("cluster {arn}"));
        }
    }
    let groups = peer.query("ec2", "DescribeSecurityGroups", &[]);
    if groups.contains("devloop:app") {
        out.push("security group".into());
    }
    let lbs = peer.query("elasticloadbalancing", "DescribeLoadBalancers", &[]);
    if lbs.contains("<LoadBalancerArn>") {
        out.push("load balancer".into());
    }
    let roles = peer.query("iam", "ListRoles", &[]);
    if roles.contains("-execution") || roles.contains("-task<") {
        out.push("role".into());
    }
    let groups = peer.query("elasticloadbalancing", "DescribeTargetGroups", &[]);
    if groups.contains("<TargetGroupArn>") {
        out.push("target group".into());
    }
    let logs = peer.call(
        "logs",
        &[
            "X-Amz-Target: Logs_20140328.DescribeLogGroups".into(),
            "Content-Type: application/x-amz-json-1.1".into(),
        ],
        &["-d".into(), r#"{"logGroupNamePrefix":"/devloop/"}"#.into()],
    );
    if logs.contains("logGroupName") {
        out.push(format!("log group {logs}"));
    }
    let namespaces = peer.cloud_map("ListNamespaces", "{}");
    if namespaces["Namespaces"]
        .as_array()
        .is_some_and(|n| !n.is_empty())
    {
        out.push(format!("Cloud Map namespace {namespaces}"));
    }
    // Task definitions: every revision of every family deregistered.
    let active = peer.ecs("ListTaskDefinitions", r#"{"status":"ACTIVE"}"#);
    for arn in active["taskDefinitionArns"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let d = peer.ecs(
            "DescribeTaskDefinition",
            &format!(r#"{{"taskDefinition":{arn},"include":["TAGS"]}}"#),
        );
        if d["tags"].to_string().contains("devloop:app") {
            out.push(format!("task definition {arn}"));
        }
    }
    out
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_moto),
    ignore = "needs the Docker daemon, a registry and moto: run scripts/services.sh"
)]
#[test]
fn from_an_empty_account_plan_provision_then_ship_serves_behind_the_load_balancer() {
    let ctx = TestContext::docker("dl-prov")
        .with_registry(None)
        .with_aws_peer()
        .with_example("hello");
    let registry = format!("{}/team", ctx.registry().host());
    let ctx = hello_on_ecs(ctx, &registry);
    let (peer, app) = (ctx.aws_peer(), ctx.app().to_string());

    // plan: every resource, nothing made.
    let before = peer.calls().len();
    let r = ctx.run(["plan", "provision", "-e", "ecs", "--exit-code"]);
    assert_eq!(r.code, 1, "resources to create: {}\n{}", r.stdout, r.stderr);
    for line in [
        "create  CloudWatch log group",
        "create  IAM task execution role",
        "create  IAM task role",
        "create  ECS cluster                     main",
        "create  security group (load balancer)",
        "create  security group (tasks)",
        "create  Application Load Balancer",
        "create  target group",
        "create  listener",
        "create  task definition",
        "create  ECS service",
    ] {
        assert!(r.stdout.contains(line), "{line}\n{}", r.stdout);
    }
    assert!(
        r.stdout.contains("desired=0"),
        "no release yet: {}",
        r.stdout
    );
    assert_eq!(writes(peer, before), Vec::<String>::new());

    // Off a terminal it asks for --yes, and changes nothing.
    let r = ctx.run(["provision", "-e", "ecs"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("--yes"), "{}", r.stderr);
    assert_eq!(writes(peer, before), Vec::<String>::new());

    let r = ctx.run(["provision", "-e", "ecs", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("created 11 resource(s)"), "{}", r.stderr);
    let service = peer.ecs(
        "DescribeServices",
        &format!(r#"{{"cluster":"main","services":["{app}-ecs"],"include":["TAGS"]}}"#),
    );
    let svc = &service["services"][0];
    assert_eq!(svc["desiredCount"], 0, "{svc}");
    assert!(svc["tags"].to_string().contains("devloop:env"), "{svc}");
    assert!(
        svc["loadBalancers"][0]["targetGroupArn"].is_string(),
        "{svc}"
    );

    // Again: nothing is created twice (what devloop made is only made ready again: its policy
    // attached, its ports open, each call idempotent).
    let again = peer.calls().len();
    let r = ctx.run(["provision", "-e", "ecs", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("nothing created"), "{}", r.stderr);
    let made: Vec<String> = writes(peer, again)
        .into_iter()
        .filter(|a| a.starts_with("Create") || a.starts_with("Register"))
        .collect();
    assert_eq!(made, Vec::<String>::new());

    // The first ship: built, pushed, and started with one task on the new service.
    let r = ctx.run(["ship", "-e", "ecs", "--no-tests"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let service = peer.ecs(
        "DescribeServices",
        &format!(r#"{{"cluster":"main","services":["{app}-ecs"]}}"#),
    );
    let svc = &service["services"][0];
    assert_eq!(svc["desiredCount"], 1, "{svc}");
    let td = peer.ecs(
        "DescribeTaskDefinition",
        &format!(r#"{{"taskDefinition":{}}}"#, svc["taskDefinition"]),
    );
    let image = td["taskDefinition"]["containerDefinitions"][0]["image"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        image.starts_with(&format!("{registry}/{app}@sha256:")),
        "{image}"
    );
    let r = ctx.run(["monitor", "-e", "ecs"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("url       http://"), "{}", r.stdout);

    // After a deploy, destroy still knows every revision of the family as devloop's.
    let r = ctx.run(["destroy", "-e", "ecs", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(tagged(peer), Vec::<String>::new());
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_failure_mid_way_puts_the_account_back_and_a_rerun_succeeds() {
    let ctx = TestContext::new()
        .with_name("dl-provfail")
        .with_aws_peer()
        .with_example("hello");
    let ctx = hello_on_ecs(ctx, "reg.example:5000/team");
    let peer = ctx.aws_peer();
    let groups_before = peer.query("ec2", "DescribeSecurityGroups", &[]);
    peer.control(
        "throttle",
        serde_json::json!({"service": "ecs", "action": "CreateService", "count": 1,
            "code": "AccessDeniedException", "message": "User is not authorized to perform: ecs:CreateService"}),
    );
    let r = ctx.run(["provision", "-e", "ecs", "--yes"]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("not authorized"), "{}", r.stderr);
    assert!(r.stderr.contains("rolled back"), "{}", r.stderr);
    // Exactly what it held before.
    assert_eq!(tagged(peer), Vec::<String>::new());
    assert_eq!(
        peer.query("ec2", "DescribeSecurityGroups", &[]).len(),
        groups_before.len()
    );
    let clusters = peer.ecs("DescribeClusters", r#"{"clusters":["main"]}"#);
    assert_ne!(clusters["clusters"][0]["status"], "ACTIVE", "{clusters}");

    let r = ctx.run(["provision", "-e", "ecs", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("created 11 resource(s)"), "{}", r.stderr);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn destroy_deletes_what_devloop_made_and_nothing_made_by_hand() {
    let ctx = TestContext::new()
        .with_name("dl-provdel")
        .with_aws_peer()
        .with_example("hello");
    let ctx = hello_on_ecs(ctx, "reg.example:5000/team");
    let peer = ctx.aws_peer();
    // Made by hand: the cluster devloop.toml names, another cluster, a security group.
    peer.ecs("CreateCluster", r#"{"clusterName":"main"}"#);
    peer.ecs("CreateCluster", r#"{"clusterName":"by-hand"}"#);
    let vpc = peer.ec2_first("DescribeVpcs", "vpcId");
    peer.query(
        "ec2",
        "CreateSecurityGroup",
        &[
            ("GroupName", "hand-made"),
            ("GroupDescription", "mine"),
            ("VpcId", &vpc),
        ],
    );
    let r = ctx.run(["plan", "provision", "-e", "ecs"]);
    assert!(
        r.stdout
            .contains("keep    ECS cluster                     main"),
        "{}",
        r.stdout
    );
    let r = ctx.run(["provision", "-e", "ecs", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("created 10 resource(s)"), "{}", r.stderr);

    let r = ctx.run(["destroy", "-e", "ecs"]);
    assert_eq!(r.code, 2, "asks first: {}", r.stderr);
    let r = ctx.run(["destroy", "-e", "ecs", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(!r.stderr.contains("ECS cluster  main"), "{}", r.stderr);
    assert_eq!(tagged(peer), Vec::<String>::new());
    let clusters = peer.ecs("DescribeClusters", r#"{"clusters":["main","by-hand"]}"#);
    assert_eq!(clusters["clusters"][0]["status"], "ACTIVE", "{clusters}");
    assert_eq!(clusters["clusters"][1]["status"], "ACTIVE", "{clusters}");
    assert!(peer
        .query("ec2", "DescribeSecurityGroups", &[])
        .contains("hand-made"));
    // Nothing left to do.
    let r = ctx.run(["destroy", "-e", "ecs", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("nothing to delete"), "{}", r.stderr);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn the_template_passes_cfn_lint_and_names_every_resource() {
    let ctx = TestContext::new()
        .with_name("dl-provcfn")
        .with_aws_peer()
        .with_example("hello");
    let ctx = hello_on_ecs(ctx, "reg.example:5000/team");
    let r = ctx.run(["provision", "-e", "ecs", "--template"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for kind in [
        "AWS::Logs::LogGroup",
        "AWS::IAM::Role",
        "AWS::ECS::Cluster",
        "AWS::EC2::SecurityGroup",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        "AWS::ElasticLoadBalancingV2::Listener",
        "AWS::ECS::TaskDefinition",
        "AWS::ECS::Service",
    ] {
        assert!(r.stdout.contains(kind), "{kind}\n{}", r.stdout);
    }
    assert_eq!(writes(ctx.aws_peer(), 0), Vec::<String>::new());
    cfn_lint(&ctx, &r.stdout);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_set_provisions_one_service_each_and_the_load_balancer_for_the_one_nothing_needs() {
    let ctx = TestContext::new()
        .with_name("dl-provset")
        .with_aws_peer()
        .with_example("shop")
        .with_env("SHOP_REGISTRY", "reg.example:5000/team");
    let url = ctx.aws_peer().url();
    let ctx = ctx.with_env("DEVLOOP_AWS_ENDPOINT_URL", url);
    let app = ctx.app().to_string();
    let r = ctx.run(["plan", "provision", "-e", "aws"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for line in [
        format!("create  ECS service                     {app}-aws-api"),
        format!("create  ECS service                     {app}-aws-web"),
        format!("create  task definition                 {app}-aws-api"),
        format!("create  task definition                 {app}-aws-web"),
        "create  Application Load Balancer".to_string(),
    ] {
        assert!(r.stdout.contains(&line), "{line}\n{}", r.stdout);
    }
    // One target group, for web (nothing needs it); its name shortened to 32 characters.
    assert_eq!(
        r.stdout.matches("create  target group").count(),
        1,
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("port=80, health=/healthz"),
        "{}",
        r.stdout
    );
    // The set's services reach each other by name, as on the local targets: ECS Service
    // Connect in a Cloud Map namespace of their own.
    let namespace = format!("{app}-aws");
    for line in [
        format!("create  Cloud Map namespace             {namespace}"),
        "service connect=http://api:8080".to_string(),
        "service connect=http://web:80".to_string(),
    ] {
        assert!(r.stdout.contains(&line), "{line}\n{}", r.stdout);
    }
    let r = ctx.run(["provision", "-e", "aws", "--template"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for part in [
        "AWS::ServiceDiscovery::HttpNamespace",
        "ServiceConnectConfiguration",
        "\"DnsName\": \"api\"",
    ] {
        assert!(r.stdout.contains(part), "{part}\n{}", r.stdout);
    }
    // The template opens what provision opens: web's port to the load balancer, the API's to the
    // set's own tasks (the frontend reaching it through Service Connect).
    let t: serde_json::Value = serde_json::from_str(&r.stdout).expect("the template is JSON");
    let res = &t["Resources"];
    let from_lb = &res["TaskSecurityGroup"]["Properties"]["SecurityGroupIngress"];
    assert_eq!(from_lb.as_array().map(Vec::len), Some(1), "{from_lb}");
    assert_eq!(from_lb[0]["FromPort"], 80, "{from_lb}");
    assert_eq!(
        from_lb[0]["SourceSecurityGroupId"]["Ref"], "LoadBalancerSecurityGroup",
        "{from_lb}"
    );
    let api = &res["TaskIngress8080"]["Properties"];
    assert_eq!(
        api["SourceSecurityGroupId"]["Ref"], "TaskSecurityGroup",
        "{t}"
    );
    assert!(res.get("TaskIngress80").is_none(), "{t}");
    let tg = &res["TargetGroup"]["Properties"];
    assert_eq!(tg["HealthCheckIntervalSeconds"], 10, "{tg}");
    assert_eq!(tg["TargetGroupAttributes"][0]["Value"], "30", "{tg}");
    cfn_lint(&ctx, &r.stdout);

    let r = ctx.run(["provision", "-e", "aws", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let peer = ctx.aws_peer();
    let listed = peer.cloud_map("ListNamespaces", "{}");
    let ns = &listed["Namespaces"][0];
    assert_eq!(ns["Name"], namespace.as_str(), "{listed}");
    let arn = ns["Arn"].as_str().unwrap_or_default().to_string();
    let tags = peer.cloud_map(
        "ListTagsForResource",
        &format!(r#"{{"ResourceARN":"{arn}"}}"#),
    );
    assert!(tags.to_string().contains("devloop:app"), "{tags}");
    for (svc, port) in [("api", 8080), ("web", 80)] {
        let d = peer.ecs(
            "DescribeServices",
            &format!(r#"{{"cluster":"shop","services":["{app}-aws-{svc}"]}}"#),
        );
        let sc = &d["services"][0]["deployments"][0]["serviceConnectConfiguration"];
        assert_eq!(sc["enabled"], true, "{d}");
        assert_eq!(sc["namespace"], arn.as_str(), "{d}");
        assert_eq!(sc["services"][0]["portName"], svc, "{d}");
        assert_eq!(
            sc["services"][0]["clientAliases"][0],
            serde_json::json!({"port": port, "dnsName": svc}),
            "{d}"
        );
        let td = peer.ecs(
            "DescribeTaskDefinition",
            &format!(r#"{{"taskDefinition":"{app}-aws-{svc}"}}"#),
        );
        assert_eq!(
            td["taskDefinition"]["containerDefinitions"][0]["portMappings"][0]["name"], svc,
            "{td}"
        );
    }
    let r = ctx.run(["destroy", "-e", "aws", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("deleted Cloud Map namespace"),
        "{}",
        r.stderr
    );
    assert_eq!(tagged(peer), Vec::<String>::new());
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_service_of_a_set_kept_as_it_is_is_shown_without_service_connect() {
    let ctx = TestContext::new()
        .with_name("dl-provkeep")
        .with_aws_peer()
        .with_example("shop")
        .with_env("SHOP_REGISTRY", "reg.example:5000/team");
    let url = ctx.aws_peer().url();
    let ctx = ctx.with_env("DEVLOOP_AWS_ENDPOINT_URL", url);
    let (peer, app) = (ctx.aws_peer(), ctx.app().to_string());
    // The API's service was made by hand, without Service Connect.
    peer.ecs("CreateCluster", r#"{"clusterName":"shop"}"#);
    let td = peer.ecs(
        "RegisterTaskDefinition",
        &format!(
            r#"{{"family":"{app}-aws-api","containerDefinitions":[{{"name":"api","image":"api:1","memory":512,"portMappings":[{{"containerPort":8080}}]}}]}}"#
        ),
    );
    assert!(
        td["taskDefinition"]["taskDefinitionArn"].is_string(),
        "{td}"
    );
    let made = peer.ecs(
        "CreateService",
        &format!(
            r#"{{"cluster":"shop","serviceName":"{app}-aws-api","taskDefinition":"{app}-aws-api","desiredCount":1}}"#
        ),
    );
    assert!(made["service"]["serviceArn"].is_string(), "{made}");
    let r = ctx.run(["plan", "provision", "-e", "aws"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let row = |svc: &str| {
        r.stdout
            .lines()
            .find(|l| l.contains("ECS service") && l.contains(&format!("{app}-aws-{svc}")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(row("api").starts_with("  keep"), "{}", r.stdout);
    assert!(
        row("api")
            .contains("service connect=off: this service was made without it, not by devloop"),
        "{}",
        r.stdout
    );
    assert!(
        row("web").starts_with("  create") && row("web").contains("service connect=http://web:80"),
        "{}",
        r.stdout
    );
}

#[test]
fn local_targets_are_refused_before_anything_is_asked() {
    let ctx = TestContext::new()
        .with_name("dl-provno")
        .with_example("hello");
    let r = ctx.run(["provision", "-e", "local", "--yes"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("needs nothing made in an AWS account"),
        "{}",
        r.stderr
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn the_ledger_bucket_is_made_with_the_rest_and_deleted_only_with_ledger() {
    let ctx = TestContext::new()
        .with_name("dl-provled")
        .with_aws_peer()
        .with_example("hello");
    let ctx = hello_on_ecs(ctx, "reg.example:5000/team");
    let bucket = ctx.app().to_lowercase();
    ctx.replace(
        "devloop.toml",
        "[env.ecs]\n",
        &format!("[env.ecs]\nrelease.ledger = \"s3://{bucket}/releases\"\n"),
    );
    ctx.commit("a ledger in S3");
    let r = ctx.run(["plan", "provision", "-e", "ecs"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains(&format!("create  S3 bucket (release ledger)      {bucket}")),
        "{}",
        r.stdout
    );
    let r = ctx.run(["provision", "-e", "ecs", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // Another clone sees what was made: the record is beside the ledger.
    let peer = ctx.aws_peer();
    let listing = std::process::Command::new("curl")
        .args(["-sS", &format!("{}/{bucket}?list-type=2", peer.url())])
        .args(["-H", "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x"])
        .output()
        .expect("curl");
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.contains(&format!("releases/{}.provisioned/ecs.json", ctx.app())),
        "{listing}"
    );
    let r = ctx.run(["destroy", "-e", "ecs", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        !r.stderr.contains("S3 bucket"),
        "kept without --ledger: {}",
        r.stderr
    );
    let r = ctx.run(["plan", "destroy", "-e", "ecs"]);
    assert!(r.stdout.contains("nothing"), "{}", r.stdout);
    let r = ctx.run(["destroy", "-e", "ecs", "--yes", "--ledger"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("deleted S3 bucket (release ledger)"),
        "{}",
        r.stderr
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_first_release_that_fails_puts_the_provisioned_service_back_to_no_task() {
    let ctx = TestContext::new()
        .with_name("dl-provfirst")
        .with_aws_peer()
        .with_example("hello");
    let ctx = hello_on_ecs(ctx, "reg.example:5000/team");
    let (peer, app) = (ctx.aws_peer(), ctx.app().to_string());
    let r = ctx.run(["provision", "-e", "ecs", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    ctx.write_release(Some("reg.example:5000"));
    peer.control(
        "ecs/script",
        serde_json::json!({"cluster": "main", "service": format!("{app}-ecs"),
            "updates": ["circuit_breaker", "completes"], "scale": 0.5}),
    );
    let describe = || {
        peer.ecs(
            "DescribeServices",
            &format!(r#"{{"cluster":"main","services":["{app}-ecs"]}}"#),
        )["services"][0]
            .clone()
    };
    let r = ctx.run(["deploy", "-e", "ecs"]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("runs no task again"), "{}", r.stderr);
    let svc = describe();
    assert_eq!(svc["desiredCount"], 0, "{svc}");
    assert!(
        svc["taskDefinition"].as_str().unwrap().ends_with(":1"),
        "back on the provisioned revision: {svc}"
    );
    // The next release starts it.
    let r = ctx.run(["deploy", "-e", "ecs"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(describe()["desiredCount"], 1);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn subnets_in_one_zone_are_refused_before_anything_is_made() {
    let ctx = TestContext::new()
        .with_name("dl-provaz")
        .with_aws_peer()
        .with_example("hello");
    let ctx = hello_on_ecs(ctx, "reg.example:5000/team");
    let peer = ctx.aws_peer();
    let subnet = peer.ec2_first("DescribeSubnets", "subnetId");
    ctx.replace(
        "devloop.toml",
        "[env.ecs]\n",
        &format!("[env.ecs]\ndeploy.ecs.subnets = [\"{subnet}\"]\n"),
    );
    ctx.commit("one subnet");
    let before = peer.calls().len();
    for args in [
        &["plan", "provision", "-e", "ecs"][..],
        &["provision", "-e", "ecs", "--yes"],
    ] {
        let r = ctx.run(args);
        assert_eq!(r.code, 2, "{args:?}: {}\n{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("two Availability Zones"), "{}", r.stderr);
    }
    assert_eq!(writes(peer, before), Vec::<String>::new());
}
