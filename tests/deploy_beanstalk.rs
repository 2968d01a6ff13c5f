//! The `beanstalk` target against moto (applications and environments; S3 for bundles): what
//! devloop checks before anything is uploaded or created, for `deploy` and `plan` alike, and
//! `monitor` on an environment. Rollouts over time are judged in the unit tests of
//! src/deploy/beanstalk, where the calls moto lacks are scripted.

mod common;

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
