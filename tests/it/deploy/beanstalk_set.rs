//! A set of services on Elastic Beanstalk, against the AWS peer (the live service's answers over
//! HTTP): examples/shop's graph (store a dependency, api, web needing api) in ONE environment as
//! one compose bundle pinned by digest — settling, reverted, recovering, put back with
//! `rollback --to`, planned — and with an environment per service, walked along the graph and
//! put back as a whole when one fails.

use crate::support::*;

const R1: &str = "20260101T000000Z-aaa1111";
const R2: &str = "20260102T000000Z-bbb2222";

/// A set release (format 2) of api and web pushed to a registry the instances can reach; `api`
/// and `web` are the hex digit each image's digest repeats.
fn write_set_release(ctx: &TestContext, id: &str, api: char, web: char) {
    crate::support::write_set_release(
        ctx.path(),
        ctx.app(),
        "reg.example:5000/team",
        id,
        &[("api", api), ("web", web)],
    );
}

/// examples/shop's graph on the peer: `[deploy.beanstalk]` shared (`shared`), each service's
/// own lines in `own` (`api`, `web`), the store a dependency unless `store` is false.
fn shop(peer_url: &str, app: &str, shared: &str, api: &str, web: &str, store: bool) -> String {
    let store = if store {
        "[services.store]\nimage = \"busybox:1.36\"\ndeploy.health.command = \"wget -q -O /dev/null http://127.0.0.1:7000/\"\ndeploy.docker.command = [\"httpd\", \"-f\", \"-p\", \"7000\"]\n\n"
    } else {
        ""
    };
    let needs = if store.is_empty() {
        ""
    } else {
        "needs = [\"store\"]\n"
    };
    format!(
        "[app]\nname = \"{app}\"\n\n[build]\ntags = [\"{{short_sha}}\"]\n\n[release]\nregistry = \"reg.example:5000/team\"\n\n[aws]\nendpoint_url = \"{peer_url}\"\n\n[deploy]\ntarget = \"beanstalk\"\n\n[deploy.health]\ninterval = \"1s\"\nretries = 30\n\n[deploy.beanstalk]\napplication = \"shop\"\n{shared}\n{store}[services.api]\n{needs}build.context = \"api\"\ndeploy.health.http = \"/healthz\"\ndeploy.health.port = 8080\n{api}\n[services.web]\nneeds = [\"api\"]\nbuild.context = \"web\"\ndeploy.health.http = \"/healthz\"\ndeploy.health.port = 80\n{web}\n"
    )
}

/// A peer with environment `env` of application `shop` running `v-before`, its next updates
/// taken from `updates`.
fn environment(ctx: &TestContext, env: &str, updates: serde_json::Value) {
    let peer = ctx.aws_peer();
    peer.control(
        "eb/environment",
        serde_json::json!({ "application": "shop", "environment": env, "version_label": "v-before" }),
    );
    peer.control(
        "eb/script",
        serde_json::json!({ "environment": env, "updates": updates, "scale": 0.5 }),
    );
}

/// The set in one environment, `shop-prod`, with release R1 recorded.
fn one_environment(prefix: &str, shared_extra: &str, updates: serde_json::Value) -> TestContext {
    let ctx = TestContext::new().with_aws_peer().with_name(prefix);
    environment(&ctx, "shop-prod", updates);
    let shared = format!("environment = \"shop-prod\"\n{shared_extra}");
    let cfg = shop(&ctx.aws_peer().url(), ctx.app(), &shared, "", "", true);
    let ctx = ctx.with_files(&[("devloop.toml", &cfg)]);
    write_set_release(&ctx, R1, '1', '2');
    ctx
}

fn bundle(ctx: &TestContext, env: &str) -> serde_json::Value {
    ctx.aws_peer()
        .control("eb/bundle", serde_json::json!({ "environment": env }))
}

fn state(ctx: &TestContext, env: &str) -> serde_json::Value {
    ctx.aws_peer()
        .control("eb/state", serde_json::json!({ "environment": env }))
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_set_deploys_as_one_compose_bundle_pinned_by_digest() {
    let ctx = one_environment("dl-ebset1", "", serde_json::json!(["settles", "settles"]));
    let r = ctx.run(["deploy", "-o", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // The set's result names every service with the set's verdict.
    for svc in ["store", "api", "web"] {
        assert!(
            r.stdout.contains(&format!("\"service\":\"{svc}\"")),
            "{svc}: {}",
            r.stdout
        );
    }
    let held = bundle(&ctx, "shop-prod");
    assert!(
        held["label"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{R1}-")),
        "{held}"
    );
    let compose = held["compose"].as_str().expect("a docker-compose.yml");
    let app = ctx.app();
    for expected in [
        format!(
            "image: \"reg.example:5000/team/{app}-api@sha256:{}\"",
            "1".repeat(64)
        ),
        format!(
            "image: \"reg.example:5000/team/{app}-web@sha256:{}\"",
            "2".repeat(64)
        ),
        // The dependency runs by its reference, as the file names it.
        "image: \"busybox:1.36\"".to_string(),
        "      api:\n        condition: service_healthy".to_string(),
        "      store:\n        condition: service_healthy".to_string(),
        "    ports:\n      - \"80:80\"".to_string(),
        "    expose:\n      - \"8080\"".to_string(),
        "wget -q -O /dev/null http://127.0.0.1:8080/healthz".to_string(),
    ] {
        assert!(compose.contains(&expected), "{expected:?} in:\n{compose}");
    }
    assert_eq!(compose.matches("\"80:").count(), 1, "{compose}");
    assert!(
        r.stderr
            .contains("store: the dependency runs busybox:1.36 as the file names it")
            || r.stdout
                .contains("store: the dependency runs busybox:1.36 as the file names it"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    let peer = ctx.aws_peer();
    assert_eq!(
        peer.calls_of("elasticbeanstalk", "CreateApplicationVersion")
            .len(),
        1
    );
    assert_eq!(state(&ctx, "shop-prod")["health"], "Green");

    // Again: nothing to do. monitor sees one environment for the set, healthy.
    let r = ctx.run(["deploy"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.all().contains("nothing uploaded, created or updated"),
        "{}",
        r.all()
    );
    let r = ctx.run(["monitor", "--check"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("set: healthy (1 services)"),
        "{}",
        r.stdout
    );

    // A newer release, then `rollback --to` the first: the bundle of R1 again, no new version.
    write_set_release(&ctx, R2, '3', '2');
    let r = ctx.run(["deploy"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(bundle(&ctx, "shop-prod")["label"]
        .as_str()
        .unwrap()
        .starts_with(R2));
    let r = ctx.run(["rollback", "--to", R1]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let back = bundle(&ctx, "shop-prod");
    assert!(back["label"].as_str().unwrap().starts_with(R1), "{back}");
    assert_eq!(
        peer.calls_of("elasticbeanstalk", "CreateApplicationVersion")
            .len(),
        2
    );
    assert_eq!(
        state(&ctx, "shop-prod")["version_label"],
        back["label"],
        "the environment runs R1's version"
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_failing_set_bundle_is_reverted_exit_3() {
    let ctx = one_environment("dl-ebset2", "", serde_json::json!(["fails_reverts"]));
    let r = ctx.run(["deploy", "-o", "json"]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.all().contains("the set is back on its previous release"),
        "{}",
        r.all()
    );
    assert!(
        r.all().contains("Failed to deploy application."),
        "{}",
        r.all()
    );
    assert!(
        r.stdout.contains("\"verdict\":\"rolled_back\""),
        "{}",
        r.stdout
    );
    let s = state(&ctx, "shop-prod");
    assert_eq!(
        (s["version_label"].as_str(), s["health"].as_str()),
        (Some("v-before"), Some("Green")),
        "{s}"
    );
    // One bundle holds the whole set: a part of it is refused, nothing changed.
    let r = ctx.run(["deploy", "-s", "api"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("a part of it cannot be deployed alone (-s leaves out store, web)"),
        "{}",
        r.stderr
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_set_that_recovers_after_the_update_is_exit_0() {
    let ctx = one_environment(
        "dl-ebset3",
        "health_grace = \"1m\"\n",
        serde_json::json!(["recovers"]),
    );
    let r = ctx.run(["deploy"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let s = state(&ctx, "shop-prod");
    assert_eq!(s["health"], "Green", "{s}");
    assert!(s["version_label"].as_str().unwrap().starts_with(R1), "{s}");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn plan_shows_the_bundle_compose_file_and_the_option_diff() {
    let ctx = one_environment(
        "dl-ebset4",
        "env = { LOG_LEVEL = \"info\" }\n",
        serde_json::json!(["settles"]),
    );
    let r = ctx.run(["plan", "deploy", "--exit-code"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("one bundle for store, api, web in environment shop/shop-prod"),
        "{}",
        r.stdout
    );
    for expected in [
        "one bundle for the set in environment shop/shop-prod (docker-compose.yml):",
        "  |   web:",
        "  |         condition: service_healthy",
        "  |     env_file:",
        "note: store: the dependency runs busybox:1.36",
        "option setting aws:elasticbeanstalk:application:environment LOG_LEVEL: (not set) -> \"info\"",
        "(a new application version)",
    ] {
        assert!(r.stdout.contains(expected), "{expected:?} in:\n{}", r.stdout);
    }
    // Nothing was uploaded, created or changed.
    let peer = ctx.aws_peer();
    assert!(peer
        .calls_of("elasticbeanstalk", "CreateApplicationVersion")
        .is_empty());
    assert!(peer
        .calls_of("elasticbeanstalk", "UpdateEnvironment")
        .is_empty());

    // A secret of one service only is never written into the bundle (it lands in S3).
    let cfg = std::fs::read_to_string(ctx.join("devloop.toml"))
        .unwrap()
        .replace(
        "[services.web]\n",
        "[services.web]\ndeploy.beanstalk.env.TOKEN = { value = \"s3cr3t-web\", secret = true }\n",
    );
    std::fs::write(ctx.join("devloop.toml"), cfg).unwrap();
    let r = ctx.run(["deploy"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("services.web.deploy.beanstalk.env.TOKEN is secret"),
        "{}",
        r.stderr
    );
    assert!(!r.all().contains("s3cr3t-web"), "{}", r.all());
    assert!(peer.calls_of("s3", "PutObject").is_empty());
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn per_service_environments_walk_the_graph_and_roll_back_as_a_whole() {
    let ctx = TestContext::new().with_aws_peer().with_name("dl-ebset5");
    // api settles (and settles again when it is put back); web fails red and is rolled back.
    environment(&ctx, "shop-api", serde_json::json!(["settles", "settles"]));
    environment(
        &ctx,
        "shop-web",
        serde_json::json!(["fails_red", "settles"]),
    );
    let cfg = shop(
        &ctx.aws_peer().url(),
        ctx.app(),
        "",
        "deploy.beanstalk.environment = \"shop-api\"\n",
        "deploy.beanstalk.environment = \"shop-web\"\n",
        false,
    );
    // Not yet: a dependency as an environment of its own is refused before anything runs.
    let with_store = shop(
        &ctx.aws_peer().url(),
        ctx.app(),
        "",
        "deploy.beanstalk.environment = \"shop-api\"\n",
        "deploy.beanstalk.environment = \"shop-web\"\n",
        true,
    )
    .replace(
        "image = \"busybox:1.36\"\n",
        "image = \"busybox:1.36\"\ndeploy.beanstalk.environment = \"shop-store\"\n",
    );
    let ctx = ctx.with_files(&[("devloop.toml", &with_store)]);
    write_set_release(&ctx, R1, '1', '2');
    let r = ctx.run(["deploy"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("a dependency (store) as an Elastic Beanstalk environment of its own"),
        "{}",
        r.stderr
    );
    assert!(
        ctx.aws_peer().calls().is_empty(),
        "nothing was asked of AWS"
    );

    let ctx = ctx.with_files(&[("devloop.toml", &cfg)]);
    let r = ctx.run(["deploy", "-o", "json"]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.all().contains("the set is back on its previous release"),
        "{}",
        r.all()
    );
    // Along the graph: api first, then web; then api put back on what it ran.
    let updates: Vec<(String, String)> = ctx
        .aws_peer()
        .calls_of("elasticbeanstalk", "UpdateEnvironment")
        .iter()
        .map(|c| {
            (
                c["params"]["EnvironmentName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                c["params"]["VersionLabel"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    let envs: Vec<&str> = updates.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        envs,
        ["shop-api", "shop-web", "shop-web", "shop-api"],
        "{updates:?}"
    );
    assert!(updates[0].1.starts_with(R1), "{updates:?}");
    assert_eq!(updates[3].1, "v-before", "{updates:?}");
    // web's own rollback put it back already (nothing updated again); api went back.
    assert!(
        r.stdout.contains(
            "\"restored\":[\"web (back on version v-before)\",\"api (back on version v-before)\"]"
        ),
        "{}",
        r.stdout
    );
    for env in ["shop-api", "shop-web"] {
        let s = state(&ctx, env);
        assert_eq!(
            (
                s["version_label"].as_str(),
                s["health"].as_str(),
                s["status"].as_str()
            ),
            (Some("v-before"), Some("Green"), Some("Ready")),
            "{env}: {s}"
        );
    }
    // Each environment got one application version of its own service's image.
    let versions = ctx
        .aws_peer()
        .calls_of("elasticbeanstalk", "CreateApplicationVersion");
    assert_eq!(versions.len(), 2, "{versions:?}");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn per_service_environments_deploy_through_throttling_and_roll_back_to_the_set_before() {
    let ctx = TestContext::new().with_aws_peer().with_name("dl-ebset6");
    for env in ["shop-api", "shop-web"] {
        environment(
            &ctx,
            env,
            serde_json::json!(["settles", "settles", "settles"]),
        );
    }
    let cfg = shop(
        &ctx.aws_peer().url(),
        ctx.app(),
        "",
        "deploy.beanstalk.environment = \"shop-api\"\n",
        "deploy.beanstalk.environment = \"shop-web\"\n",
        false,
    );
    let ctx = ctx.with_files(&[("devloop.toml", &cfg)]);
    write_set_release(&ctx, R1, '1', '2');
    // Both watches share the account's rate: throttled reads are no news, never a verdict.
    for action in ["DescribeEnvironments", "DescribeEvents"] {
        ctx.aws_peer().control(
            "throttle",
            serde_json::json!({ "service": "elasticbeanstalk", "action": action, "rate": 0.5, "burst": 2 }),
        );
    }
    let r = ctx.run(["deploy"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        ctx.aws_peer()
            .calls()
            .iter()
            .any(|c| c["throttled"] == true),
        "no call was throttled, so this would prove nothing"
    );
    let r = ctx.run(["monitor", "--check"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("set: healthy (2 services)"),
        "{}",
        r.stdout
    );

    // A newer set where only api changed: web's environment is left alone.
    write_set_release(&ctx, R2, '3', '2');
    // plan says so first, per environment.
    let r = ctx.run(["plan", "deploy", "--exit-code"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains(&format!("environment shop/shop-api: version {R1}-")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("no changes: environment shop/shop-web already runs version"),
        "{}",
        r.stdout
    );
    let before = ctx
        .aws_peer()
        .calls_of("elasticbeanstalk", "UpdateEnvironment")
        .len();
    let r = ctx.run(["deploy"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let updates = ctx
        .aws_peer()
        .calls_of("elasticbeanstalk", "UpdateEnvironment");
    let new: Vec<&str> = updates[before..]
        .iter()
        .filter_map(|c| c["params"]["EnvironmentName"].as_str())
        .collect();
    assert_eq!(new, ["shop-api"], "{updates:?}");

    // `rollback` goes to the set before: api back on R1's version.
    let r = ctx.run(["rollback"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for env in ["shop-api", "shop-web"] {
        let s = state(&ctx, env);
        assert!(
            s["version_label"].as_str().unwrap().starts_with(R1),
            "{env}: {s}"
        );
    }
}
