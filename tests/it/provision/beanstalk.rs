//! `devloop provision` and `devloop destroy` on Elastic Beanstalk as a new user meets them,
//! against the AWS peer (its Elastic Beanstalk answers as the live service does; IAM, S3 and ECR
//! are moto's): the application, roles, instance profile and environment made on the newest
//! Docker platform the API lists, a failure undone, and a destroy that terminates what devloop
//! made and nothing else.

use super::{cfn_lint, writes};
use crate::support::awspeer::AwsPeer;
use crate::support::*;

/// The newest Amazon Linux 2023 Docker platform the peer lists (4.10.2 sorts after 4.9.0 only
/// as a version).
const NEWEST_DOCKER: &str = "64bit Amazon Linux 2023 v4.10.2 running Docker";

/// examples/hello with an `eb` environment (`web-eb`, in an application named after the app).
fn hello_on_beanstalk(ctx: TestContext, registry: &str, extra: &str) -> TestContext {
    let url = ctx.aws_peer().url();
    let ctx = ctx.with_env("DEVLOOP_AWS_ENDPOINT_URL", url);
    let app = ctx.app().to_string();
    let text = std::fs::read_to_string(ctx.join("devloop.toml")).unwrap();
    ctx.write(
        "devloop.toml",
        format!(
            "{text}\n[env.eb]\ndeploy.target = \"beanstalk\"\nrelease.registry = \"{registry}\"\ndeploy.beanstalk.application = \"{app}\"\ndeploy.beanstalk.environment = \"web-eb\"\n{extra}"
        ),
    );
    ctx.commit("an eb environment");
    ctx
}

/// The environment as the peer holds it (`{}` once it is gone from the live list).
fn state(peer: &AwsPeer, env: &str) -> serde_json::Value {
    peer.control("eb/state", serde_json::json!({ "environment": env }))
}

fn setting<'a>(state: &'a serde_json::Value, option: &str) -> Option<&'a str> {
    state["settings"]
        .as_array()?
        .iter()
        .find(|s| s["option"] == option)
        .and_then(|s| s["value"].as_str())
}

/// What in the account carries devloop's tags, or is named like what devloop makes.
fn left(peer: &AwsPeer, app: &str) -> Vec<String> {
    let mut out = Vec::new();
    let apps = peer.query(
        "elasticbeanstalk",
        "DescribeApplications",
        &[("ApplicationNames.member.1", app)],
    );
    if apps.contains("<ApplicationName>") {
        out.push(format!("application {app}"));
    }
    let live = peer.query(
        "elasticbeanstalk",
        "DescribeEnvironments",
        &[("IncludeDeleted", "false")],
    );
    if live.contains("<EnvironmentName>web-eb<") {
        out.push("environment web-eb".into());
    }
    let roles = peer.query("iam", "ListRoles", &[]);
    if roles.contains("-eb-ec2") || roles.contains("-eb-service") {
        out.push("role".into());
    }
    let profiles = peer.query("iam", "ListInstanceProfiles", &[]);
    if profiles.contains("-eb-ec2") {
        out.push("instance profile".into());
    }
    out
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn from_an_empty_account_provision_then_deploy_runs_on_a_new_docker_environment() {
    let ctx = TestContext::new()
        .with_name("dl-proveb")
        .with_aws_peer()
        .with_example("hello");
    // A registry the instances can reach (not one on this machine: devloop refuses that for
    // Elastic Beanstalk), so the release is recorded as `devloop release` records it.
    let registry = "reg.example:5000/team";
    let ctx = hello_on_beanstalk(ctx, registry, "deploy.beanstalk.load_balancer = false\n");
    let (peer, app) = (ctx.aws_peer(), ctx.app().to_string());
    // Made by hand, in the same account: an application with its environment.
    peer.control(
        "eb/environment",
        serde_json::json!({"application": "by-hand", "environment": "hand-prod"}),
    );

    // plan: every resource, nothing made.
    let before = peer.calls().len();
    let r = ctx.run(["plan", "provision", "-e", "eb", "--exit-code"]);
    assert_eq!(r.code, 1, "resources to create: {}\n{}", r.stdout, r.stderr);
    for line in [
        "create  S3 bucket (Elastic Beanstalk's own)",
        "create  IAM instance role",
        "create  EC2 instance profile",
        "create  IAM service role",
        "create  Beanstalk application",
        "create  Beanstalk environment",
        &format!("platform={NEWEST_DOCKER}"),
        "type=single instance",
    ] {
        assert!(r.stdout.contains(line), "{line}\n{}", r.stdout);
    }
    assert_eq!(writes(peer, before), Vec::<String>::new());

    // Off a terminal it asks for --yes, and changes nothing.
    let r = ctx.run(["provision", "-e", "eb"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(writes(peer, before), Vec::<String>::new());

    // IAM is eventually consistent: the new instance profile is not there for Elastic
    // Beanstalk's first launch (1.5 s here), which fails and is torn down; devloop launches again.
    peer.control("eb/iam_propagation", serde_json::json!({"seconds": 1.5}));
    let r = ctx.run(["provision", "-e", "eb", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("created 5 resource(s)"), "{}", r.stderr);
    assert!(r.stderr.contains("is not there yet"), "{}", r.stderr);
    let env = state(peer, "web-eb");
    assert_eq!(env["status"], "Ready", "{env}");
    // Elastic Beanstalk's sample application answers `/` only, so the health check on /healthz
    // is Red until the first deploy; that is not the launch's verdict, and provision says so.
    assert_eq!(env["health"], "Red", "{env}");
    assert!(
        r.stderr
            .contains("its health is Red until the first deploy"),
        "{}",
        r.stderr
    );
    assert_eq!(
        setting(&env, "EnvironmentType"),
        Some("SingleInstance"),
        "{env}"
    );
    let profile = format!("{app}-eb-eb-ec2");
    assert_eq!(
        setting(&env, "IamInstanceProfile"),
        Some(profile.as_str()),
        "{env}"
    );
    let created = peer.calls_of("elasticbeanstalk", "CreateEnvironment");
    assert_eq!(
        created.len(),
        2,
        "the failed launch, then the one that stays"
    );
    assert!(
        created[0].to_string().contains(NEWEST_DOCKER),
        "{}",
        created[0]
    );
    let arn = format!("arn:aws:elasticbeanstalk:us-east-1:123456789012:environment/{app}/web-eb");
    let tags = peer.query(
        "elasticbeanstalk",
        "ListTagsForResource",
        &[("ResourceArn", &arn)],
    );
    assert!(
        tags.contains("devloop:env") && tags.contains(">eb<"),
        "{tags}"
    );
    let roles = peer.query(
        "iam",
        "GetInstanceProfile",
        &[("InstanceProfileName", &profile)],
    );
    assert!(
        roles.contains(&format!("<RoleName>{profile}</RoleName>")),
        "{roles}"
    );

    // Again: nothing is created twice.
    let again = peer.calls().len();
    let r = ctx.run(["provision", "-e", "eb", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("nothing created"), "{}", r.stderr);
    let made: Vec<String> = writes(peer, again)
        .into_iter()
        .filter(|a| a.starts_with("Create"))
        .collect();
    assert_eq!(made, Vec::<String>::new());

    // The first deploy puts the release, pinned by digest, on the new environment.
    ctx.write_release(Some("reg.example:5000"));
    let r = ctx.run(["deploy", "-e", "eb"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let env = state(peer, "web-eb");
    assert_eq!(
        (&env["status"], &env["health"]),
        (&"Ready".into(), &"Green".into()),
        "{env}"
    );
    assert!(
        env["version_label"]
            .as_str()
            .is_some_and(|l| l.starts_with("20260101T000000Z-abc1234-")),
        "{env}"
    );
    let bundle = peer.control("eb/bundle", serde_json::json!({"environment": "web-eb"}));
    assert_eq!(
        bundle["files"],
        serde_json::json!(["Dockerrun.aws.json"]),
        "{bundle}"
    );
    let r = ctx.run(["monitor", "-e", "eb"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("url       http://web-eb."),
        "{}",
        r.stdout
    );

    // destroy terminates the environment and deletes what devloop made; the application made
    // by hand and its environment stay, and so does Elastic Beanstalk's own bucket.
    let r = ctx.run(["destroy", "-e", "eb", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let gone = peer.query(
        "elasticbeanstalk",
        "DescribeEnvironments",
        &[("EnvironmentNames.member.1", "web-eb")],
    );
    assert!(gone.contains("<Status>Terminated</Status>"), "{gone}");
    assert_eq!(left(peer, &app), Vec::<String>::new());
    assert_eq!(state(peer, "hand-prod")["status"], "Ready");
    let r = ctx.run(["destroy", "-e", "eb", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("nothing to delete"), "{}", r.stderr);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_denied_environment_puts_the_account_back_and_a_rerun_succeeds() {
    let ctx = TestContext::new()
        .with_name("dl-provebf")
        .with_aws_peer()
        .with_example("hello");
    let ctx = hello_on_beanstalk(ctx, "reg.example:5000/team", "");
    let (peer, app) = (ctx.aws_peer(), ctx.app().to_string());
    peer.control(
        "throttle",
        serde_json::json!({"service": "elasticbeanstalk", "action": "CreateEnvironment",
            "count": 1, "code": "InsufficientPrivilegesException",
            "message": "You do not have permission to perform the 'elasticbeanstalk:CreateEnvironment' action."}),
    );
    let r = ctx.run(["provision", "-e", "eb", "--yes"]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("do not have permission"), "{}", r.stderr);
    assert!(r.stderr.contains("rolled back"), "{}", r.stderr);
    assert_eq!(left(peer, &app), Vec::<String>::new());

    let r = ctx.run(["provision", "-e", "eb", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let env = state(peer, "web-eb");
    assert_eq!(
        setting(&env, "EnvironmentType"),
        Some("LoadBalanced"),
        "{env}"
    );
    assert_eq!(
        setting(&env, "LoadBalancerType"),
        Some("application"),
        "{env}"
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn an_existing_instance_profile_is_used_and_the_template_passes_cfn_lint() {
    let ctx = TestContext::new()
        .with_name("dl-provebt")
        .with_aws_peer()
        .with_example("hello");
    let ctx = hello_on_beanstalk(
        ctx,
        "reg.example:5000/team",
        "deploy.beanstalk.instance_profile = \"aws-elasticbeanstalk-ec2-role\"\n",
    );
    let (peer, app) = (ctx.aws_peer(), ctx.app().to_string());

    // Named, and missing: refused before anything is made.
    let r = ctx.run(["provision", "-e", "eb", "--yes"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("instance_profile names aws-elasticbeanstalk-ec2-role"),
        "{}",
        r.stderr
    );
    assert_eq!(writes(peer, 0), Vec::<String>::new());

    peer.query(
        "iam",
        "CreateInstanceProfile",
        &[("InstanceProfileName", "aws-elasticbeanstalk-ec2-role")],
    );
    // The application exists too, made by hand: used, never deleted.
    peer.query(
        "elasticbeanstalk",
        "CreateApplication",
        &[("ApplicationName", &app)],
    );
    let r = ctx.run(["plan", "provision", "-e", "eb"]);
    assert!(
        r.stdout.contains("keep    EC2 instance profile"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("keep    Beanstalk application"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("IAM instance role"), "{}", r.stdout);

    let r = ctx.run(["provision", "-e", "eb", "--template"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for kind in [
        "AWS::IAM::Role",
        "AWS::ElasticBeanstalk::Application",
        "AWS::ElasticBeanstalk::Environment",
        NEWEST_DOCKER,
        "aws-elasticbeanstalk-ec2-role",
    ] {
        assert!(r.stdout.contains(kind), "{kind}\n{}", r.stdout);
    }
    assert!(
        !r.stdout.contains("AWS::IAM::InstanceProfile"),
        "{}",
        r.stdout
    );
    cfn_lint(&ctx, &r.stdout);

    let r = ctx.run(["provision", "-e", "eb", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let env = state(peer, "web-eb");
    assert_eq!(
        setting(&env, "IamInstanceProfile"),
        Some("aws-elasticbeanstalk-ec2-role"),
        "{env}"
    );
    // destroy never deletes the profile it did not make.
    let r = ctx.run(["destroy", "-e", "eb", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let profiles = peer.query("iam", "ListInstanceProfiles", &[]);
    assert!(
        profiles.contains("aws-elasticbeanstalk-ec2-role"),
        "{profiles}"
    );
    assert_eq!(left(peer, &app), vec![format!("application {app}")]);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn examples_shop_provisions_one_environment_for_its_compose_bundle() {
    let ctx = TestContext::new()
        .with_name("dl-provebs")
        .with_aws_peer()
        .with_example("shop")
        .with_env("SHOP_REGISTRY", "reg.example:5000/team");
    let url = ctx.aws_peer().url();
    let ctx = ctx.with_env("DEVLOOP_AWS_ENDPOINT_URL", url);
    let peer = ctx.aws_peer();
    let r = ctx.run(["plan", "provision", "-e", "eb"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        r.stdout.matches("create  Beanstalk environment").count(),
        1,
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("services=api web"), "{}", r.stdout);
    assert!(r.stdout.contains("health=/healthz"), "{}", r.stdout);
    let r = ctx.run(["provision", "-e", "eb", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        peer.calls_of("elasticbeanstalk", "CreateEnvironment").len(),
        1
    );
    let env = state(peer, "shop-eb");
    assert_eq!(
        env["health"], "Red",
        "the sample application on /healthz: {env}"
    );
    assert_eq!(setting(&env, "HealthCheckPath"), Some("/healthz"), "{env}");
    let r = ctx.run(["destroy", "-e", "eb", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let apps = peer.query(
        "elasticbeanstalk",
        "DescribeApplications",
        &[("ApplicationNames.member.1", "shop")],
    );
    assert!(!apps.contains("<ApplicationName>"), "{apps}");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn environments_of_a_set_that_name_different_instance_profiles_are_refused() {
    let ctx = TestContext::new()
        .with_name("dl-provebx")
        .with_aws_peer()
        .with_example("shop");
    let url = ctx.aws_peer().url();
    let ctx = ctx.with_env("DEVLOOP_AWS_ENDPOINT_URL", url);
    let text = std::fs::read_to_string(ctx.join("devloop.toml")).unwrap();
    ctx.write(
        "devloop.toml",
        format!(
            "{text}\n[env.split]\ndeploy.target = \"beanstalk\"\nrelease.registry = \"reg.example:5000/team\"\ndeploy.beanstalk.application = \"shop\"\n\n[env.split.services.store]\nenabled = false\n\n[env.split.services.api]\ndeploy.beanstalk.environment = \"shop-api\"\ndeploy.beanstalk.instance_profile = \"api-profile\"\n\n[env.split.services.web]\ndeploy.beanstalk.environment = \"shop-web\"\n"
        ),
    );
    let r = ctx.run(["plan", "provision", "-e", "split"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("set deploy.beanstalk.instance_profile differently"),
        "{}",
        r.stderr
    );
    assert_eq!(writes(ctx.aws_peer(), 0), Vec::<String>::new());
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_destroy_goes_on_from_a_termination_under_way_and_needs_nothing_only_creating_needs() {
    let ctx = TestContext::new()
        .with_name("dl-provebd")
        .with_aws_peer()
        .with_example("hello");
    let ctx = hello_on_beanstalk(
        ctx,
        "reg.example:5000/team",
        "deploy.beanstalk.instance_profile = \"team-ec2\"\n",
    );
    let (peer, app) = (ctx.aws_peer(), ctx.app().to_string());
    peer.query(
        "iam",
        "CreateInstanceProfile",
        &[("InstanceProfileName", "team-ec2")],
    );
    let r = ctx.run(["provision", "-e", "eb", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);

    // A destroy interrupted after it asked for the termination (Elastic Beanstalk takes minutes
    // to terminate), and the team has since removed its instance profile.
    peer.control(
        "eb/terminate_seconds",
        serde_json::json!({"seconds": 600.0}),
    );
    peer.query(
        "elasticbeanstalk",
        "TerminateEnvironment",
        &[("EnvironmentName", "web-eb")],
    );
    peer.query(
        "iam",
        "DeleteInstanceProfile",
        &[("InstanceProfileName", "team-ec2")],
    );
    assert_eq!(state(peer, "web-eb")["status"], "Terminating");

    let before = peer.calls().len();
    let r = ctx.run(["plan", "destroy", "-e", "eb"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("delete  Beanstalk environment  web-eb"),
        "{}",
        r.stdout
    );
    // The termination ends while destroy waits for it.
    let r = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(std::time::Duration::from_secs(4));
            peer.control("eb/hurry", serde_json::json!({"environment": "web-eb"}));
        });
        ctx.run(["destroy", "-e", "eb", "--yes", "-o", "json"])
    });
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("waiting for environment web-eb to terminate (Terminating)"),
        "{}",
        r.stdout
    );
    assert_eq!(left(peer, &app), Vec::<String>::new());
    // Neither run looked up what only creating needs: the platform, or which account this is
    // (for Elastic Beanstalk's own bucket, which is never devloop's to delete).
    let asked: Vec<String> = peer.calls()[before..]
        .iter()
        .map(|c| format!("{} {}", c["service"], c["action"]))
        .collect();
    assert!(
        !asked
            .iter()
            .any(|c| c.contains("ListAvailableSolutionStacks") || c.contains("GetCallerIdentity")),
        "{asked:?}"
    );
    assert!(
        asked.iter().all(|c| !c.contains("TerminateEnvironment")),
        "the termination under way was waited for, not asked again: {asked:?}"
    );
}
