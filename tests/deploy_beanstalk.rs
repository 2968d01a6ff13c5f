//! The `beanstalk` target: against moto, what devloop checks before anything is uploaded or
//! created, for `deploy` and `plan` alike, and `monitor` on an environment; against the AWS peer
//! (Elastic Beanstalk as the live service answers, over HTTP), whole deploys as a user runs them —
//! settling, recovering health, a revert, throttling, never settling — with their exit codes.

mod common;

use common::awspeer::AwsPeer;
use common::peers::{aws_env, have, Moto};
use common::*;

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

/// moto with application `web` (environment `web-prod`), application `other` (environment
/// `other-prod`) and the bundle bucket.
fn moto_with_environments() -> Moto {
    assert!(
        have("moto_server"),
        "moto_server is missing: scripts/services.sh installs it"
    );
    let moto = Moto::start();
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
    moto
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
    let moto = moto_with_environments();
    let app = unique("dl-ebbad");
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
        let mut cfg = config(&app, &moto, registry, "");
        // A later key would be a duplicate: replace the default lines instead.
        if let Some((key, _)) = extra.split_once(" = ") {
            let line = cfg
                .lines()
                .find(|l| l.starts_with(&format!("{key} = ")))
                .unwrap()
                .to_string();
            cfg = cfg.replace(&line, extra.trim_end());
        }
        let dir = project(&[("devloop.toml", &cfg)]);
        write_release(dir.path(), &app, registry);
        for cmd in [&["deploy"][..], &["plan", "deploy"]] {
            let r = run(aws_env(&mut devloop(dir.path())).args(cmd));
            assert_eq!(r.code, 2, "{extra:?} {cmd:?}: {}", r.stderr);
            assert!(
                r.stderr.contains(expected),
                "{extra:?} {cmd:?}: {}",
                r.stderr
            );
        }
    }
    assert!(bucket_keys(&moto).is_empty(), "{:?}", bucket_keys(&moto));
}

#[test]
fn a_bad_option_namespace_is_a_located_config_error() {
    let cfg = "[app]\nname = \"web\"\n[deploy]\ntarget = \"beanstalk\"\n[deploy.beanstalk]\napplication = \"web\"\nenvironment = \"web-prod\"\n[deploy.beanstalk.options.\"autoscaling:asg\"]\nMinSize = \"2\"\n";
    let dir = project(&[("devloop.toml", cfg)]);
    let r = run(devloop(dir.path()).args(["plan"]));
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
    let moto = moto_with_environments();
    let app = unique("dl-ebmon");
    let dir = project(&[(
        "devloop.toml",
        &config(&app, &moto, Some("reg.example:5000"), ""),
    )]);
    let r = run(aws_env(&mut devloop(dir.path())).args(["monitor"]));
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
    let r = run(aws_env(&mut devloop(dir.path())).args(["monitor", "--check"]));
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("health Grey"), "{}", r.stdout);
    // Nothing devloop deployed runs there: nothing to roll back to.
    write_release(dir.path(), &app, Some("reg.example:5000"));
    let r = run(aws_env(&mut devloop(dir.path())).args(["rollback"]));
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
fn on_the_peer(eb_extra: &str, script: serde_json::Value) -> (AwsPeer, tempfile::TempDir) {
    let peer = AwsPeer::start();
    peer.control(
        "eb/environment",
        serde_json::json!({ "application": "web", "environment": "web-prod", "version_label": "v-before" }),
    );
    let mut script = script;
    script["environment"] = "web-prod".into();
    peer.control("eb/script", script);
    let app = unique("dl-ebpeer");
    let cfg = format!(
        "[app]\nname = \"{app}\"\n\n[release]\nregistry = \"reg.example:5000/team\"\n\n[aws]\nendpoint_url = \"{}\"\n\n[deploy]\ntarget = \"beanstalk\"\n\n[deploy.beanstalk]\napplication = \"web\"\nenvironment = \"web-prod\"\n{eb_extra}\n",
        peer.url()
    );
    let dir = project(&[("devloop.toml", &cfg)]);
    write_release(dir.path(), &app, Some("reg.example:5000"));
    (peer, dir)
}

fn deploy_on(dir: &std::path::Path) -> Run {
    run(aws_env(&mut devloop(dir)).args(["deploy"]))
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_release_deploys_once_and_again_is_nothing_to_do() {
    let (peer, dir) = on_the_peer("", serde_json::json!({ "updates": ["settles"] }));
    let r = deploy_on(dir.path());
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let said = format!("{}{}", r.stdout, r.stderr);
    assert!(
        said.contains("runs version 20260101T000000Z-abc1234-"),
        "{said}"
    );
    let r = deploy_on(dir.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let said = format!("{}{}", r.stdout, r.stderr);
    assert!(
        said.contains("nothing uploaded, created or updated"),
        "{said}"
    );
    assert_eq!(
        peer.calls_of("elasticbeanstalk", "CreateApplicationVersion")
            .len(),
        1
    );
    assert_eq!(
        peer.calls_of("elasticbeanstalk", "UpdateEnvironment").len(),
        1
    );
    let r = run(aws_env(&mut devloop(dir.path())).args(["monitor", "--check"]));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn health_that_lags_and_recovers_is_exit_0_and_a_revert_is_exit_3() {
    let (_peer, dir) = on_the_peer(
        "health_grace = \"1m\"\n",
        serde_json::json!({ "updates": ["recovers"] }),
    );
    let r = deploy_on(dir.path());
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);

    let (_peer, dir) = on_the_peer("", serde_json::json!({ "updates": ["fails_reverts"] }));
    let r = deploy_on(dir.path());
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
    let (peer, dir) = on_the_peer("", serde_json::json!({ "updates": ["settles"] }));
    for action in [
        "DescribeEnvironments",
        "DescribeEvents",
        "DescribeApplicationVersions",
    ] {
        peer.control(
            "throttle",
            serde_json::json!({ "service": "elasticbeanstalk", "action": action, "rate": 0.1, "burst": 2 }),
        );
    }
    let r = deploy_on(dir.path());
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // Reads were really refused meanwhile; the verdict held.
    assert!(
        peer.calls().iter().any(|c| c["throttled"] == true),
        "no call was throttled, so this would prove nothing"
    );

    let (_peer, dir) = on_the_peer(
        "timeout = \"10s\"\n",
        serde_json::json!({ "updates": ["never"] }),
    );
    let r = deploy_on(dir.path());
    assert_eq!(r.code, 4, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("Updating"), "{}", r.stderr);
}
