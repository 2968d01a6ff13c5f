//! `plan` on Elastic Beanstalk: the version label, the bundle and the option-settings diff
//! against the live environment, from read-only calls; and events reported once each.

use std::collections::HashSet;

use aws_smithy_types::DateTime;
use serde_json::json;

use super::script::*;
use crate::config::ENV_NAMESPACE;
use crate::deploy::beanstalk::events::Events;
use crate::deploy::beanstalk::Beanstalk;

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn plan_shows_the_label_the_bundle_and_the_settings_diff_and_changes_nothing() {
    let extra = "instance_type = \"t3.small\"\n[deploy.beanstalk.env]\nMODE = \"new\"\nTOKEN = { value = \"s3cr3t-value\", secret = true }\n[deploy.beanstalk.options.\"aws:autoscaling:asg\"]\nMinSize = \"2\"\n";
    let eb = Eb::start(extra).await;
    eb.peer.control(
        "eb/environment",
        json!({
            "application": "web", "environment": "web-prod", "version_label": PREV,
            "settings": [
                { "namespace": "aws:autoscaling:asg", "option": "MinSize", "value": "2" },
                { "namespace": ENV_NAMESPACE, "option": "TOKEN", "value": "old-secret" },
            ],
        }),
    );
    let diff = eb
        .beanstalk
        .diff_with(&eb.clients(), Some(&record()))
        .await
        .unwrap();
    let text = &diff.text;
    let label = &eb.label;
    assert!(diff.changes);
    for expected in [
        format!("version {PREV} -> {label} (a new application version)"),
        "bundle: image bundle, 1 file (Dockerrun.aws.json)".to_string(),
        "option setting aws:autoscaling:launchconfiguration InstanceType: \"t3.micro\" -> \"t3.small\"".to_string(),
        format!("option setting {ENV_NAMESPACE} MODE: (not set) -> \"new\""),
        format!("option setting {ENV_NAMESPACE} TOKEN: *** -> ***"),
    ] {
        assert!(text.contains(&expected), "{expected:?} not in:\n{text}");
    }
    assert!(
        !text.contains("MinSize"),
        "an unchanged setting is not a change:\n{text}"
    );
    assert!(
        !text.contains("s3cr3t") && !text.contains("old-secret"),
        "{text}"
    );
    assert_eq!(diff.details["version_label"], label.as_str());
    assert_eq!(diff.details["version_exists"], false);
    assert_eq!(diff.details["bundle"]["files"][0], "Dockerrun.aws.json");
    assert_eq!(diff.details["option_changes"].as_array().unwrap().len(), 3);
    for action in [
        "UpdateEnvironment",
        "CreateApplicationVersion",
        "CreateStorageLocation",
    ] {
        assert_eq!(eb.count(action), 0, "{action}");
    }
    assert!(eb.objects().await.is_empty(), "plan uploads nothing");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn plan_says_no_changes_when_the_environment_runs_this_version_and_settings() {
    let eb = Eb::start("").await;
    eb.peer.control(
        "eb/environment",
        json!({ "application": "web", "environment": "web-prod", "version_label": eb.label }),
    );
    let diff = eb
        .beanstalk
        .diff_with(&eb.clients(), Some(&record()))
        .await
        .unwrap();
    assert!(!diff.changes, "{}", diff.text);
    assert!(
        diff.text
            .contains("no changes: environment web/web-prod already runs version"),
        "{}",
        diff.text
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn each_event_is_reported_once_across_polls_oldest_first() {
    let eb = Eb::start("").await;
    let dir = tempfile::tempdir().unwrap();
    let beanstalk = Beanstalk::new(project(dir.path(), "")).unwrap();
    let client = eb.clients().eb;
    let event = |message: &str, ago: f64| {
        eb.peer.control(
            "eb/event",
            json!({ "environment": "web-prod", "message": message, "ago": ago }),
        );
    };
    let mut seen = HashSet::new();
    let since = DateTime::from_secs(0);
    let mut polls = Vec::new();
    event("Environment update is starting.", 2.0);
    for step in 0..3 {
        if step == 1 {
            event("Instance i-1 is slow to respond.", 1.0);
        }
        let got = beanstalk
            .events(&client, Events::Version(PREV), since, &mut seen)
            .await
            .unwrap();
        polls.push(got.into_iter().map(|(_, m)| m).collect::<Vec<_>>());
    }
    assert_eq!(
        polls,
        [
            vec!["Environment update is starting."],
            vec!["Instance i-1 is slow to respond."],
            vec![],
        ] as [Vec<&str>; 3]
    );
}
