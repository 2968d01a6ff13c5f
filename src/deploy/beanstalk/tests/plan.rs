//! `plan` on Elastic Beanstalk: the version label, the bundle and the option-settings diff
//! against the live environment, from read-only calls; and events reported once each.

use std::collections::HashSet;

use aws_sdk_elasticbeanstalk::types::{
    ApplicationVersionStatus, EnvironmentHealth, EnvironmentStatus, EventSeverity,
};
use aws_smithy_types::DateTime;

use super::script::*;
use super::PREV;
use crate::config::ENV_NAMESPACE;
use crate::deploy::beanstalk::rollout::Events;
use crate::deploy::beanstalk::{Beanstalk, Clients};

/// An S3 client that must not be called: `plan` reads Elastic Beanstalk only.
fn unused_s3() -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:9")
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

#[tokio::test]
async fn plan_shows_the_label_the_bundle_and_the_settings_diff_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "bucket = \"b\"\ninstance_type = \"t3.small\"\n[deploy.beanstalk.env]\nMODE = \"new\"\nTOKEN = { value = \"s3cr3t-value\", secret = true }\n[deploy.beanstalk.options.\"aws:autoscaling:asg\"]\nMinSize = \"2\"\n";
    let beanstalk = Beanstalk::new(project(dir.path(), extra)).unwrap();
    let label = our_label(&beanstalk).await;
    let s = scripted(
        Script {
            envs: vec![before()],
            versions: vec![None],
            live: vec![
                (
                    "aws:autoscaling:launchconfiguration",
                    "InstanceType",
                    "t3.micro",
                ),
                ("aws:autoscaling:asg", "MinSize", "2"),
                (ENV_NAMESPACE, "TOKEN", "old-secret"),
            ],
            ..Default::default()
        },
        &label,
    );
    let c = Clients {
        eb: s.client.clone(),
        s3: unused_s3(),
    };
    let diff = beanstalk.diff_with(&c, Some(&record())).await.unwrap();
    let text = &diff.text;
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
    assert!(s.updates.lock().unwrap().is_empty());
    assert_eq!(s.create.num_calls() + s.storage.num_calls(), 0);
}

#[tokio::test]
async fn plan_says_no_changes_when_the_environment_runs_this_version_and_settings() {
    let dir = tempfile::tempdir().unwrap();
    let beanstalk = Beanstalk::new(project(dir.path(), "")).unwrap();
    let label = our_label(&beanstalk).await;
    let ok = Some(aws_sdk_elasticbeanstalk::types::EnvironmentHealthStatus::Ok);
    let s = scripted(
        Script {
            envs: vec![ours(EnvironmentStatus::Ready, EnvironmentHealth::Green, ok)],
            versions: vec![Some(ApplicationVersionStatus::Processed)],
            ..Default::default()
        },
        &label,
    );
    let c = Clients {
        eb: s.client.clone(),
        s3: unused_s3(),
    };
    let diff = beanstalk.diff_with(&c, Some(&record())).await.unwrap();
    assert!(!diff.changes, "{}", diff.text);
    assert!(
        diff.text
            .contains("no changes: environment web/web-prod already runs version"),
        "{}",
        diff.text
    );
}

#[tokio::test]
async fn each_event_is_reported_once_across_polls_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let beanstalk = Beanstalk::new(project(dir.path(), "")).unwrap();
    let (e1, e2) = (
        event(1, EventSeverity::Info, "Environment update is starting."),
        event(2, EventSeverity::Warn, "Instance i-1 is slow to respond."),
    );
    let s = scripted(
        Script {
            events: vec![vec![e1.clone()], vec![e2.clone(), e1.clone()], vec![e2, e1]],
            ..Default::default()
        },
        "unused",
    );
    let mut seen = HashSet::new();
    let since = DateTime::from_secs(0);
    let mut polls = Vec::new();
    for _ in 0..3 {
        let got = beanstalk
            .events(&s.client, Events::Request("req-1"), since, &mut seen)
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
