//! The `beanstalk` target: against moto, what devloop checks before anything is uploaded or
//! created, for `deploy` and `plan` alike, and `monitor` on an environment; against the AWS peer
//! (Elastic Beanstalk as the live service answers, over HTTP), whole deploys as a user runs them —
//! settling, recovering health, a revert, throttling, never settling — with their exit codes.

use crate::support::*;

const BUCKET: &str = "eb-bundles";

fn config(app: &str, moto: &Moto, registry: Option<&str>, eb_extra: &str) -> String {
    let release = registry
        .map(|r| format!("registry = \"{r}/team\"\n"))
        .unwrap_or_default();
    format!(
        "[app]\nname = \"{app}\"\n\n[build]\ntags = [\"{{short_sha}}\"]\n\n[release]\n{release}\n[aws]\nendpoint_url = \"{}\"\n\n[deploy]\ntarget = \"beanstalk\"\n\n[deploy.beanstalk]\napplication = \"web\"\nenvironment = \"web-prod\"\nbucket = \"{BUCKET}\"\n{eb_extra}\n",
        moto.url()
    )
}

/// A context with moto holding application `web` (environment `web-prod`), application `other`
/// (environment `other-prod`) and the bundle bucket, and an app name of its own.
fn moto_with_environments(prefix: &str) -> TestContext {
    let ctx = TestContext::new().with_moto(&[]).with_name(prefix);
    let moto = ctx.moto();
    for (app, env) in [("web", "web-prod"), ("other", "other-prod")] {
        let out = moto.eb("CreateApplication", &[("ApplicationName", app)]);
        assert!(out.contains(&format!("<ApplicationName>{app}<")), "{out}");
        let out = moto.eb(
            "CreateEnvironment",
            &[
                ("ApplicationName", app),
                ("EnvironmentName", env),
                (
                    "SolutionStackName",
                    "64bit Amazon Linux 2023 v4.3.0 running Docker",
                ),
            ],
        );
        assert!(out.contains(&format!("<EnvironmentName>{env}<")), "{out}");
    }
    moto.s3("PUT", &format!("/{BUCKET}"));
    ctx
}

fn bucket_keys(moto: &Moto) -> Vec<String> {
    moto.s3("GET", &format!("/{BUCKET}?list-type=2"))
        .split("<Key>")
        .skip(1)
        .filter_map(|s| s.split('<').next().map(str::to_string))
        .collect()
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn bad_names_and_unpullable_releases_are_refused_before_anything_is_uploaded() {
    let peers = moto_with_environments("dl-ebbad");
    let (moto, app) = (peers.moto(), peers.app());
    let pushed = Some("reg.example:5000");
    let cases: [(&str, Option<&str>, &str); 5] = [
        (
            "application = \"nope\"\n",
            pushed,
            "Elastic Beanstalk application \"nope\" does not exist",
        ),
        (
            "environment = \"nope\"\n",
            pushed,
            "environment \"nope\" does not exist in application \"web\"",
        ),
        // An environment of another application is not this application's.
        (
            "environment = \"other-prod\"\n",
            pushed,
            "environment \"other-prod\" does not exist in application \"web\"",
        ),
        ("", None, "only tagged in a local Docker daemon"),
        (
            "",
            Some("127.0.0.1:5000"),
            "a registry on this machine that Elastic Beanstalk instances cannot reach",
        ),
    ];
    for (extra, registry, expected) in cases {
        let mut cfg = config(app, moto, registry, "");
        // A later key would be a duplicate: replace the default lines instead.
        if let Some((key, _)) = extra.split_once(" = ") {
            let line = cfg
                .lines()
                .find(|l| l.starts_with(&format!("{key} = ")))
                .unwrap()
                .to_string();
            cfg = cfg.replace(&line, extra.trim_end());
        }
        let ctx = TestContext::new()
            .with_aws()
            .with_files(&[("devloop.toml", &cfg)]);
        write_release(ctx.path(), app, registry);
        for cmd in [&["deploy"][..], &["plan", "deploy"]] {
            let r = ctx.run(cmd);
            assert_eq!(r.code, 2, "{extra:?} {cmd:?}: {}", r.stderr);
            assert!(
                r.stderr.contains(expected),
                "{extra:?} {cmd:?}: {}",
                r.stderr
            );
        }
    }
    assert!(bucket_keys(moto).is_empty(), "{:?}", bucket_keys(moto));
}

#[test]
fn a_bad_option_namespace_is_a_located_config_error() {
    let cfg = "[app]\nname = \"web\"\n[deploy]\ntarget = \"beanstalk\"\n[deploy.beanstalk]\napplication = \"web\"\nenvironment = \"web-prod\"\n[deploy.beanstalk.options.\"autoscaling:asg\"]\nMinSize = \"2\"\n";
    let ctx = TestContext::new().with_files(&[("devloop.toml", cfg)]);
    let r = ctx.run(["plan"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("devloop.toml:8:27: deploy.beanstalk.options: \"autoscaling:asg\" is not an option namespace"),
        "{}",
        r.stderr
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn monitor_shows_the_environment_and_check_fails_while_it_is_not_green() {
    let ctx = moto_with_environments("dl-ebmon");
    let cfg = config(ctx.app(), ctx.moto(), Some("reg.example:5000"), "");
    let ctx = ctx.with_files(&[("devloop.toml", &cfg)]);
    let r = ctx.run(["monitor"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for expected in [
        "web/web-prod (beanstalk target",
        "state     ready",
        "version 1",
        "(not deployed by devloop)",
    ] {
        assert!(r.stdout.contains(expected), "{expected:?}:\n{}", r.stdout);
    }
    // moto's environment is Ready with health Grey: not what the deploy gate calls healthy.
    let r = ctx.run(["monitor", "--check"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("health Grey"), "{}", r.stdout);
    // Nothing devloop deployed runs there: nothing to roll back to.
    ctx.write_release(Some("reg.example:5000"));
    let r = ctx.run(["rollback"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("nothing devloop deployed is running"),
        "{}",
        r.stderr
    );
}

/// A project deploying release `20260101T000000Z-abc1234` (in a registry the instances can
/// reach) to `web/web-prod` on the AWS peer, which runs `PREV` Ready and Green and takes its next
/// updates from `script` (`eb/script`).
fn on_the_peer(eb_extra: &str, script: serde_json::Value) -> TestContext {
    let ctx = TestContext::new().with_aws_peer().with_name("dl-ebpeer");
    let peer = ctx.aws_peer();
    peer.control(
        "eb/environment",
        serde_json::json!({ "application": "web", "environment": "web-prod", "version_label": "v-before" }),
    );
    let mut script = script;
    script["environment"] = "web-prod".into();
    peer.control("eb/script", script);
    let app = ctx.app();
    let cfg = format!(
        "[app]\nname = \"{app}\"\n\n[release]\nregistry = \"reg.example:5000/team\"\n\n[aws]\nendpoint_url = \"{}\"\n\n[deploy]\ntarget = \"beanstalk\"\n\n[deploy.beanstalk]\napplication = \"web\"\nenvironment = \"web-prod\"\n{eb_extra}\n",
        peer.url()
    );
    let ctx = ctx.with_files(&[("devloop.toml", &cfg)]);
    ctx.write_release(Some("reg.example:5000"));
    ctx
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_release_deploys_once_and_again_is_nothing_to_do() {
    let ctx = on_the_peer("", serde_json::json!({ "updates": ["settles"] }));
    let r = ctx.run(["deploy"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let said = r.all();
    assert!(
        said.contains("runs version 20260101T000000Z-abc1234-"),
        "{said}"
    );
    let r = ctx.run(["deploy"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let said = r.all();
    assert!(
        said.contains("nothing uploaded, created or updated"),
        "{said}"
    );
    assert_eq!(
        ctx.aws_peer()
            .calls_of("elasticbeanstalk", "CreateApplicationVersion")
            .len(),
        1
    );
    assert_eq!(
        ctx.aws_peer()
            .calls_of("elasticbeanstalk", "UpdateEnvironment")
            .len(),
        1
    );
    let r = ctx.run(["monitor", "--check"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn health_that_lags_and_recovers_is_exit_0_and_a_revert_is_exit_3() {
    let ctx = on_the_peer(
        "health_grace = \"1m\"\n",
        serde_json::json!({ "updates": ["recovers"] }),
    );
    let r = ctx.run(["deploy"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);

    let ctx = on_the_peer("", serde_json::json!({ "updates": ["fails_reverts"] }));
    let r = ctx.run(["deploy"]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("Failed to deploy application."),
        "{}",
        r.stderr
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn throttling_changes_no_verdict_and_an_update_that_never_settles_is_exit_4() {
    let ctx = on_the_peer("", serde_json::json!({ "updates": ["settles"] }));
    for action in [
        "DescribeEnvironments",
        "DescribeEvents",
        "DescribeApplicationVersions",
    ] {
        ctx.aws_peer().control(
            "throttle",
            serde_json::json!({ "service": "elasticbeanstalk", "action": action, "rate": 0.1, "burst": 2 }),
        );
    }
    let r = ctx.run(["deploy"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // Reads were really refused meanwhile; the verdict held.
    assert!(
        ctx.aws_peer()
            .calls()
            .iter()
            .any(|c| c["throttled"] == true),
        "no call was throttled, so this would prove nothing"
    );

    let ctx = on_the_peer(
        "timeout = \"10s\"\n",
        serde_json::json!({ "updates": ["never"] }),
    );
    let r = ctx.run(["deploy"]);
    assert_eq!(r.code, 4, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("Updating"), "{}", r.stderr);
}
