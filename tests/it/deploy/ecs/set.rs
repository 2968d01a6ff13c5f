//! A set of services on ECS (examples/shop, `-e aws`) against the AWS peer: each service an ECS
//! service of its own, rolled out along the graph under every service's lock, and put back on
//! the revision each ran before when one fails.

use crate::support::awspeer::AwsPeer;
use crate::support::*;

const CLUSTER: &str = "shop";
const REGISTRY: &str = "reg.example:5000/team";
const R1: &str = "20260101T000000Z-aaaaaaa";
const R2: &str = "20260102T000000Z-bbbbbbb";

/// examples/shop with the peer holding cluster "shop" and, for api and web, an ECS service
/// `<app>-aws-<svc>` (2 tasks) on revision 1 of its own family, whose container is named after
/// the service. Deployments complete in 2 s unless a test scripts them.
fn shop_on_the_peer(prefix: &str) -> TestContext {
    shop_with(prefix, &[("api", 8080), ("web", 80)])
}

/// The same with an ECS service for each of `services` (name, container port).
fn shop_with(prefix: &str, services: &[(&str, u16)]) -> TestContext {
    let ctx = TestContext::new()
        .with_aws_peer()
        .with_name(prefix)
        .with_example("shop")
        .with_env("SHOP_REGISTRY", REGISTRY);
    on_the_peer(ctx, services)
}

/// `ctx` (examples/shop) pointed at its AWS peer, which holds the cluster and `services`.
fn on_the_peer(ctx: TestContext, services: &[(&str, u16)]) -> TestContext {
    let url = ctx.aws_peer().url();
    let ctx = ctx.with_env("DEVLOOP_AWS_ENDPOINT_URL", url);
    let (peer, app) = (ctx.aws_peer(), ctx.app());
    let subnet = peer.ec2_first("DescribeSubnets", "subnetId");
    let group = peer.ec2_first("DescribeSecurityGroups", "groupId");
    peer.ecs(
        "CreateCluster",
        &format!(r#"{{"clusterName":"{CLUSTER}"}}"#),
    );
    for &(svc, port) in services {
        let family = format!("{app}-aws-{svc}");
        let td = peer.ecs("RegisterTaskDefinition",
            &format!(
                r#"{{"family":"{family}","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"cpu":"256","memory":"512","containerDefinitions":[{{"name":"{svc}","image":"busybox:1.36","portMappings":[{{"containerPort":{port}}}],"logConfiguration":{{"logDriver":"awslogs","options":{{"awslogs-group":"/ecs/{family}","awslogs-region":"us-east-1","awslogs-stream-prefix":"{svc}"}}}}}}]}}"#
            ),
        );
        assert_eq!(td["taskDefinition"]["revision"], 1, "{td}");
        let created = peer.ecs("CreateService",
            &format!(
                r#"{{"cluster":"{CLUSTER}","serviceName":"{family}","taskDefinition":"{family}:1","desiredCount":2,"launchType":"FARGATE","networkConfiguration":{{"awsvpcConfiguration":{{"subnets":["{subnet}"],"securityGroups":["{group}"]}}}}}}"#
            ),
        );
        assert_eq!(created["service"]["status"], "ACTIVE", "{created}");
    }
    ctx
}

/// R1: the set's first release, api and web each with an image of its own.
fn release_r1(ctx: &TestContext) -> Vec<String> {
    write_set_release(
        ctx.path(),
        ctx.app(),
        REGISTRY,
        R1,
        &[("api", 'a'), ("web", 'b')],
    )
}

/// Wait until a deploy running meanwhile has updated a service (it holds every lock then).
fn wait_for_an_update(peer: &AwsPeer) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while peer.calls_of("ecs", "UpdateService").is_empty() {
        assert!(
            std::time::Instant::now() < until,
            "the deploy never updated a service"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Script the next deployments of `svc` (presets of tests/peer/ecs.py), times multiplied by `scale`.
fn script(ctx: &TestContext, svc: &str, updates: &[&str], scale: f64) {
    let service = format!("{}-aws-{svc}", ctx.app());
    ctx.aws_peer().control(
        "ecs/script",
        serde_json::json!({"cluster": CLUSTER, "service": service, "updates": updates, "scale": scale}),
    );
}

/// The revision (`family:n`) the ECS service of `svc` runs now.
fn revision_of(ctx: &TestContext, svc: &str) -> String {
    let service = format!("{}-aws-{svc}", ctx.app());
    let out = ctx.aws_peer().ecs(
        "DescribeServices",
        &format!(r#"{{"cluster":"{CLUSTER}","services":["{service}"]}}"#),
    );
    let arn = out["services"][0]["taskDefinition"]
        .as_str()
        .unwrap_or_else(|| panic!("{out}"))
        .to_string();
    arn.rsplit('/').next().unwrap_or_default().to_string()
}

/// The image `svc`'s container has in revision `rev` (`family:n`).
fn image_in(ctx: &TestContext, rev: &str) -> String {
    let out = ctx.aws_peer().ecs(
        "DescribeTaskDefinition",
        &format!(r#"{{"taskDefinition":"{rev}"}}"#),
    );
    out["taskDefinition"]["containerDefinitions"][0]["image"]
        .as_str()
        .unwrap_or_else(|| panic!("{out}"))
        .to_string()
}

/// The families RegisterTaskDefinition was called for, after the first `skip` calls, in order.
fn registered(peer: &AwsPeer, skip: usize) -> Vec<String> {
    peer.calls_of("ecs", "RegisterTaskDefinition")
        .iter()
        .skip(skip)
        .map(|c| c["json"]["family"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The services UpdateService was called for, after the first `skip` calls, in order.
fn updated(peer: &AwsPeer, skip: usize) -> Vec<String> {
    peer.calls_of("ecs", "UpdateService")
        .iter()
        .skip(skip)
        .map(|c| {
            c["json"]["service"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

/// No service of the set carries a deploy lock.
fn assert_no_lock_left(ctx: &TestContext) {
    for svc in ["api", "web"] {
        let service = format!("{}-aws-{svc}", ctx.app());
        let out = ctx.aws_peer().ecs(
            "DescribeServices",
            &format!(r#"{{"cluster":"{CLUSTER}","services":["{service}"]}}"#),
        );
        let arn = out["services"][0]["serviceArn"]
            .as_str()
            .unwrap_or_default();
        let tags = ctx.aws_peer().ecs(
            "ListTagsForResource",
            &format!(r#"{{"resourceArn":"{arn}"}}"#),
        );
        assert!(
            !tags.to_string().contains("devloop.lock"),
            "{svc} still carries a lock: {tags}"
        );
    }
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_set_rolls_out_along_the_graph_each_on_a_revision_pinned_by_digest() {
    let ctx = shop_on_the_peer("dl-ecsset");
    let (peer, app) = (ctx.aws_peer(), ctx.app());
    let images = release_r1(&ctx);
    let (reg0, upd0) = (
        peer.calls_of("ecs", "RegisterTaskDefinition").len(),
        peer.calls_of("ecs", "UpdateService").len(),
    );

    // The account's rate limit, shared with other tools: reads past it are throttled, which is
    // no news, never a verdict.
    peer.rate_limit("ecs", "DescribeServices", 2.0, 3);
    let r = ctx.run(["deploy", "-e", "aws", "-o", "json"]);
    peer.unthrottle();
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        peer.calls().iter().any(|c| c["throttled"] == true),
        "the rate limit was reached"
    );
    assert_eq!(revision_of(&ctx, "api"), format!("{app}-aws-api:2"));
    assert_eq!(revision_of(&ctx, "web"), format!("{app}-aws-web:2"));
    assert_eq!(image_in(&ctx, &format!("{app}-aws-api:2")), images[0]);
    assert_eq!(image_in(&ctx, &format!("{app}-aws-web:2")), images[1]);
    assert!(images.iter().all(|i| i.contains("@sha256:")));
    // web needs api: api's service is updated (and done) first.
    assert_eq!(
        updated(peer, upd0),
        vec![format!("{app}-aws-api"), format!("{app}-aws-web")]
    );
    assert_eq!(registered(peer, reg0).len(), 2);
    assert!(r.stdout.contains("\"service\":\"api\""), "{}", r.stdout);
    assert_no_lock_left(&ctx);

    let r = ctx.run(["monitor", "-e", "aws", "--check"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("api") && r.stdout.contains("web"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(R1), "{}", r.stdout);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_failing_api_after_the_frontend_succeeded_puts_both_back_on_their_revisions_exit_3() {
    let ctx = shop_on_the_peer("dl-ecsfail");
    // Independent here, so the frontend completes while the API is still failing.
    ctx.replace("devloop.toml", "needs = [\"api\"]", "needs = []");
    ctx.commit("independent");
    let (peer, app) = (ctx.aws_peer(), ctx.app());
    release_r1(&ctx);
    // The API's tasks fail to start; ECS's circuit breaker puts its revision 1 back at 5 s,
    // long after web completed (2 s).
    script(&ctx, "api", &["circuit_breaker"], 2.0);
    let reg0 = peer.calls_of("ecs", "RegisterTaskDefinition").len();

    let r = ctx.run(["deploy", "-e", "aws", "-o", "json"]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(revision_of(&ctx, "api"), format!("{app}-aws-api:1"));
    assert_eq!(revision_of(&ctx, "web"), format!("{app}-aws-web:1"));
    // Put back on the revision it ran, not a new one made from it.
    assert_eq!(
        registered(peer, reg0).len(),
        2,
        "only the release's revisions"
    );
    assert!(
        r.stdout.contains(&format!("web (back on {app}-aws-web:1)")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("circuit breaker"), "{}", r.stdout);
    assert_no_lock_left(&ctx);
    let r = ctx.run(["monitor", "-e", "aws", "--check"]);
    assert_eq!(
        r.code, 0,
        "both serve their previous revision: {}\n{}",
        r.stdout, r.stderr
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn an_unchanged_service_registers_nothing() {
    let ctx = shop_on_the_peer("dl-ecsunch");
    let (peer, app) = (ctx.aws_peer(), ctx.app());
    release_r1(&ctx);
    let r = ctx.run(["deploy", "-e", "aws"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);

    // R2 changes only the frontend.
    write_set_release(ctx.path(), app, REGISTRY, R2, &[("api", 'a'), ("web", 'c')]);
    let r = ctx.run(["plan", "deploy", "-e", "aws", "--exit-code"]);
    assert_eq!(
        r.code, 1,
        "a change is a failed check: {}\n{}",
        r.stdout, r.stderr
    );
    assert!(r.stdout.contains("  api ("), "{}", r.stdout);
    assert!(
        r.stdout.contains(&format!("{app}-aws-web:2 (live)")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains(&format!("no changes: ECS service {CLUSTER}/{app}-aws-api")),
        "{}",
        r.stdout
    );
    let (reg0, upd0) = (
        peer.calls_of("ecs", "RegisterTaskDefinition").len(),
        peer.calls_of("ecs", "UpdateService").len(),
    );
    let r = ctx.run(["deploy", "-e", "aws", "-o", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(registered(peer, reg0), vec![format!("{app}-aws-web")]);
    assert_eq!(updated(peer, upd0), vec![format!("{app}-aws-web")]);
    assert_eq!(revision_of(&ctx, "api"), format!("{app}-aws-api:2"));
    assert_eq!(revision_of(&ctx, "web"), format!("{app}-aws-web:3"));

    // Back to R1 through the graph: only the frontend moves again.
    let r = ctx.run(["rollback", "-e", "aws", "--to", R1]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        image_in(&ctx, &revision_of(&ctx, "web")),
        format!("{REGISTRY}/{app}-web@sha256:{}", "b".repeat(64))
    );
    assert_eq!(revision_of(&ctx, "api"), format!("{app}-aws-api:2"));
    let r = ctx.run(["monitor", "-e", "aws", "--check"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains(R1), "{}", r.stdout);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_second_deploy_of_the_set_is_refused_naming_the_holder() {
    let ctx = shop_on_the_peer("dl-ecsrace");
    let app = ctx.app().to_string();
    release_r1(&ctx);
    // Slow rollouts, so the second deploy comes while the first holds the locks.
    script(&ctx, "api", &["completes"], 3.0);
    let first = ctx.devloop(["deploy", "-e", "aws"]).spawn();
    // Wait until the first deploy has updated the API's service: it holds every lock then.
    wait_for_an_update(ctx.aws_peer());
    let r = ctx.run(["deploy", "-e", "aws"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("another deploy holds the lock"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("pid"), "names the holder: {}", r.stderr);
    let out = first.wait_with_output().expect("first deploy");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(revision_of(&ctx, "web"), format!("{app}-aws-web:2"));
    assert_no_lock_left(&ctx);
}

/// Put `(milliseconds ago, message)` events into a task's stream of `svc`'s log group.
fn put_logs(ctx: &TestContext, svc: &str, task: &str, events: &[(i64, &str)]) {
    let group = format!("/ecs/{}-aws-{svc}", ctx.app());
    let stream = format!("{svc}/{svc}/{task}");
    let logs = |action: &str, body: &str| {
        ctx.aws_peer().call(
            "logs",
            &[
                format!("X-Amz-Target: Logs_20140328.{action}"),
                "Content-Type: application/x-amz-json-1.1".into(),
            ],
            &["-d".into(), body.into()],
        )
    };
    logs(
        "CreateLogGroup",
        &format!(r#"{{"logGroupName":"{group}"}}"#),
    );
    logs(
        "CreateLogStream",
        &format!(r#"{{"logGroupName":"{group}","logStreamName":"{stream}"}}"#),
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let list: Vec<String> = events
        .iter()
        .map(|(ago, m)| format!(r#"{{"timestamp":{},"message":"{m}"}}"#, now - ago))
        .collect();
    let out = logs(
        "PutLogEvents",
        &format!(
            r#"{{"logGroupName":"{group}","logStreamName":"{stream}","logEvents":[{}]}}"#,
            list.join(",")
        ),
    );
    assert!(out.contains("nextSequenceToken"), "{out}");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn monitor_logs_interleave_every_service_in_time_order_with_its_name() {
    let ctx = shop_on_the_peer("dl-ecslogs");
    put_logs(
        &ctx,
        "api",
        "aaaaaaaa1111",
        &[(50_000, "api started"), (20_000, "api served /items")],
    );
    put_logs(&ctx, "web", "bbbbbbbb2222", &[(40_000, "web started")]);
    let r = ctx.run(["monitor", "-e", "aws", "--logs"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let at = |text: &str| {
        lines
            .iter()
            .position(|l| l.contains(text))
            .unwrap_or_else(|| panic!("no {text:?} in\n{}", r.stdout))
    };
    assert!(at("api started") < at("web started") && at("web started") < at("api served"));
    assert!(lines[at("web started")].contains("web "), "{}", r.stdout);
    assert!(lines[at("api started")].contains("api "), "{}", r.stdout);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_set_deploy_refused_on_one_service_leaves_every_service_and_lock_as_it_was() {
    let ctx = shop_on_the_peer("dl-ecsheld");
    let (peer, app) = (ctx.aws_peer(), ctx.app().to_string());
    release_r1(&ctx);
    // Another runner is deploying the frontend.
    let web = peer.ecs(
        "DescribeServices",
        &format!(r#"{{"cluster":"{CLUSTER}","services":["{app}-aws-web"]}}"#),
    );
    let arn = web["services"][0]["serviceArn"]
        .as_str()
        .unwrap()
        .to_string();
    peer.ecs("TagResource",
        &format!(
            r#"{{"resourceArn":"{arn}","tags":[{{"key":"devloop.lock","value":"carol@ci-9 pid 77 1f2e since 2026-11-30T06:00:00Z until 2099-01-01T00:00:00Z"}}]}}"#
        ),
    );
    // Throttled reads on the way are no news, never a verdict.
    peer.throttle("ecs", "DescribeServices", 2);

    let r = ctx.run(["deploy", "-e", "aws"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("carol@ci-9 pid 77"), "{}", r.stderr);
    assert!(peer.calls_of("ecs", "UpdateService").is_empty());
    assert!(
        peer.calls_of("ecs", "RegisterTaskDefinition").len() == 2,
        "only the setup's"
    );
    // The API's lock (taken first: its ARN sorts first) was given back; carol's stays.
    let tags = |svc: &str| {
        let d = peer.ecs(
            "DescribeServices",
            &format!(r#"{{"cluster":"{CLUSTER}","services":["{app}-aws-{svc}"]}}"#),
        );
        let arn = d["services"][0]["serviceArn"].as_str().unwrap().to_string();
        peer.ecs(
            "ListTagsForResource",
            &format!(r#"{{"resourceArn":"{arn}"}}"#),
        )
        .to_string()
    };
    assert!(!tags("api").contains("devloop.lock"), "{}", tags("api"));
    assert!(tags("web").contains("carol@ci-9"), "{}", tags("web"));
    assert!(
        peer.calls_of("ecs", "TagResource").len() >= 2,
        "the API's lock was taken before the frontend's was found held"
    );

    // Once carol is done, the same deploy goes through, throttled on the way.
    peer.ecs(
        "UntagResource",
        &format!(r#"{{"resourceArn":"{arn}","tagKeys":["devloop.lock"]}}"#),
    );
    peer.throttle("ecs", "DescribeServices", 2);
    let r = ctx.run(["deploy", "-e", "aws"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(revision_of(&ctx, "web"), format!("{app}-aws-web:2"));
    assert_no_lock_left(&ctx);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_dependency_the_environment_keeps_is_an_ecs_service_run_from_its_image() {
    let ctx = shop_with("dl-ecsdep", &[("store", 7000), ("api", 8080), ("web", 80)]);
    ctx.replace(
        "devloop.toml",
        "[env.aws.services.store]\nenabled = false",
        "[env.aws.services.store]\nenabled = true",
    );
    ctx.commit("keep the store");
    let (peer, app) = (ctx.aws_peer(), ctx.app().to_string());
    release_r1(&ctx);
    let (reg0, upd0) = (
        peer.calls_of("ecs", "RegisterTaskDefinition").len(),
        peer.calls_of("ecs", "UpdateService").len(),
    );
    let r = ctx.run(["deploy", "-e", "aws", "-o", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // The store already runs busybox:1.36: nothing registered, nothing updated for it.
    assert_eq!(
        registered(peer, reg0),
        vec![format!("{app}-aws-api"), format!("{app}-aws-web")]
    );
    assert_eq!(
        updated(peer, upd0),
        vec![format!("{app}-aws-api"), format!("{app}-aws-web")]
    );
    assert_eq!(revision_of(&ctx, "store"), format!("{app}-aws-store:1"));
    let r = ctx.run(["monitor", "-e", "aws", "--check"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let r = ctx.run(["plan", "deploy", "-e", "aws"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("keeps busybox:1.36"), "{}", r.stdout);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn ctrl_c_in_the_middle_of_the_graph_puts_back_what_moved_and_gives_back_every_lock() {
    let ctx = shop_on_the_peer("dl-ecsint");
    let (peer, app) = (ctx.aws_peer(), ctx.app().to_string());
    release_r1(&ctx);
    // The API's rollout takes 6 s (and so does its way back); web waits for it.
    script(&ctx, "api", &["completes"], 3.0);
    let child = ctx.devloop(["deploy", "-e", "aws"]).spawn();
    wait_for_an_update(ctx.aws_peer());
    std::thread::sleep(std::time::Duration::from_millis(500));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().expect("deploy");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains(&format!("api (back on {app}-aws-api:1)")),
        "{stderr}"
    );
    assert_eq!(revision_of(&ctx, "api"), format!("{app}-aws-api:1"));
    assert_eq!(revision_of(&ctx, "web"), format!("{app}-aws-web:1"));
    assert_eq!(updated(peer, 0).len(), 2, "api there and back; web never");
    assert_no_lock_left(&ctx);
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_moto),
    ignore = "needs the Docker daemon, a registry and moto: run scripts/services.sh"
)]
#[test]
fn ship_builds_releases_to_a_registry_and_rolls_the_set_out_on_ecs() {
    let ctx = TestContext::docker("dl-ecsship")
        .with_registry(None)
        .with_aws_peer()
        .with_example("shop");
    let host = ctx.registry().host();
    let ctx = ctx.with_env("SHOP_REGISTRY", format!("{host}/team"));
    let ctx = on_the_peer(ctx, &[("api", 8080), ("web", 80)]);
    let (peer, app) = (ctx.aws_peer(), ctx.app().to_string());

    let r = ctx.run(["ship", "-e", "aws", "--no-tests", "-o", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for svc in ["api", "web"] {
        let image = image_in(&ctx, &format!("{app}-aws-{svc}:2"));
        assert!(
            image.starts_with(&format!("{host}/team/{app}-{svc}@sha256:")),
            "{image}"
        );
        // The tasks pull what the registry holds.
        assert!(
            !ctx.registry()
                .tags(&format!("team/{app}-{svc}"), None)
                .is_empty(),
            "{svc} was not pushed"
        );
    }
    assert_eq!(peer.calls_of("ecs", "UpdateService").len(), 2);
    let r = ctx.run(["monitor", "-e", "aws", "--check"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn deploying_part_of_the_set_moves_only_that_part_under_the_whole_sets_locks() {
    let ctx = shop_on_the_peer("dl-ecspart");
    let (peer, app) = (ctx.aws_peer(), ctx.app().to_string());
    release_r1(&ctx);
    let r = ctx.run(["deploy", "-e", "aws"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    write_set_release(
        ctx.path(),
        &app,
        REGISTRY,
        R2,
        &[("api", 'c'), ("web", 'd')],
    );
    let (upd0, tags0) = (
        peer.calls_of("ecs", "UpdateService").len(),
        peer.calls_of("ecs", "TagResource").len(),
    );
    let r = ctx.run(["deploy", "-e", "aws", "-s", "api"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(updated(peer, upd0), vec![format!("{app}-aws-api")]);
    assert_eq!(revision_of(&ctx, "api"), format!("{app}-aws-api:3"));
    assert_eq!(revision_of(&ctx, "web"), format!("{app}-aws-web:2"));
    // Both services were locked for it (a deploy of web meanwhile would have been refused).
    assert_eq!(peer.calls_of("ecs", "TagResource").len() - tags0, 2);
    assert_no_lock_left(&ctx);
}
