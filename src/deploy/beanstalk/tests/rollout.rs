//! Whole rollouts on Elastic Beanstalk, each ending in its verdict with the right calls made:
//! success, processing failure, failures with auto and manual rollback, an environment back on
//! the old version, timeout, busy, the same release twice, and the storage bucket.

use std::time::Duration;

use aws_sdk_elasticbeanstalk::types::{
    ApplicationVersionStatus, EnvironmentHealth, EnvironmentHealthStatus, EnvironmentStatus,
    EventSeverity,
};

use super::script::*;
use super::{env, PREV};
use crate::deploy::Outcome;

use EnvironmentHealth::{Green, Grey, Red};
use EnvironmentStatus::{Ready, Updating};

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn success_after_updating_polls_uploads_once_and_creates_one_version() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        envs: vec![before(), updating(), updating(), ours(Ready, Green, OK)],
        events: vec![
            vec![event(
                1,
                EventSeverity::Info,
                "Environment update is starting.",
            )],
            vec![
                event(
                    2,
                    EventSeverity::Info,
                    "Deploying new version to instance(s).",
                ),
                event(1, EventSeverity::Info, "Environment update is starting."),
            ],
        ],
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    let out = ran.outcome.as_ref().unwrap();
    assert!(
        matches!(out, Outcome::Deployed(m) if m.contains(&ran.label)),
        "{out:?}"
    );
    assert_eq!(labels(&ran), [ran.label.as_str()]);
    assert_eq!(ran.creates, 1);
    assert_eq!(ran.storage_locations, 0, "the configured bucket is used");
    assert_eq!(ran.objects.len(), 1, "{:?}", ran.objects);
    assert!(ran.objects[0].starts_with("devloop/web/") && ran.objects[0].ends_with(".zip"));

    // The same release again, the version now existing and the environment not yet on it (say,
    // someone deployed another one since): nothing uploaded, no second version.
    let script = Script {
        envs: vec![before(), updating(), ours(Ready, Green, OK)],
        versions: vec![Some(ApplicationVersionStatus::Processed)],
        ..Default::default()
    };
    let again = run(script, &moto, dir.path()).await;
    assert!(
        matches!(again.outcome, Ok(Outcome::Deployed(_))),
        "{:?}",
        again.outcome
    );
    assert_eq!(again.creates, 0, "the version exists: not created again");
    assert_eq!(
        again.objects, ran.objects,
        "the same key, not uploaded twice"
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn the_same_release_on_a_green_environment_is_unchanged_and_touches_nothing() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        envs: vec![ours(Ready, Green, OK)],
        versions: vec![Some(ApplicationVersionStatus::Processed)],
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    assert!(
        matches!(ran.outcome, Ok(Outcome::Unchanged(_))),
        "{:?}",
        ran.outcome
    );
    assert!(ran.updates.is_empty());
    assert_eq!(ran.creates, 0);
    assert!(
        ran.objects.is_empty(),
        "nothing uploaded: {:?}",
        ran.objects
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn a_bundle_that_fails_processing_is_exit_1_with_the_reason_and_no_update() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        envs: vec![before()],
        versions: vec![
            None,
            Some(ApplicationVersionStatus::Processing),
            Some(ApplicationVersionStatus::Failed),
        ],
        events: vec![vec![event(
            1,
            EventSeverity::Error,
            "Failed to validate the bundle: Dockerrun.aws.json: invalid AWSEBDockerrunVersion.",
        )]],
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    let err = ran.outcome.expect_err("a processing failure is an error");
    assert_eq!(err.kind.code(), 1, "{}", err.message);
    assert!(
        err.message.contains("invalid AWSEBDockerrunVersion"),
        "{}",
        err.message
    );
    assert!(ran.updates.is_empty(), "the environment is not touched");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn red_health_with_auto_rollback_deploys_the_previous_version_and_settings_and_exits_3() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        extra: format!(
            "bucket = \"{BUCKET}\"\ninstance_type = \"t3.small\"\n[deploy.beanstalk.env]\nMODE = \"new\"\n"
        ),
        envs: vec![
            before(),
            updating(),
            ours(Ready, Red, Some(EnvironmentHealthStatus::Severe)),
            // devloop's rollback update
            env(Updating, Grey, None, PREV),
            env(Ready, Green, OK, PREV),
        ],
        live: vec![("aws:autoscaling:launchconfiguration", "InstanceType", "t3.micro")],
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    let out = ran.outcome.as_ref().unwrap();
    assert!(
        matches!(out, Outcome::RolledBack(f) if f.message.contains("Severe") && f.message.contains(PREV)),
        "{out:?}"
    );
    assert_eq!(labels(&ran), [ran.label.as_str(), PREV]);
    assert_eq!(ran.updates[0].1, ["InstanceType=t3.small", "MODE=new"]);
    // The rollback puts the instance type back and removes the property that was not there.
    assert_eq!(ran.updates[1].1, ["InstanceType=t3.micro"]);
    assert_eq!(ran.updates[1].2, ["MODE"]);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn manual_rollback_leaves_the_failed_version_and_names_the_command() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        extra: format!("bucket = \"{BUCKET}\"\nrollback = \"manual\"\n"),
        envs: vec![
            before(),
            updating(),
            ours(Ready, Red, Some(EnvironmentHealthStatus::Degraded)),
        ],
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    let out = ran.outcome.as_ref().unwrap();
    assert!(
        matches!(out, Outcome::Failed(f) if f.hint.as_deref().is_some_and(|h| h.contains("devloop rollback"))),
        "{out:?}"
    );
    assert_eq!(labels(&ran), [ran.label.as_str()], "no rollback update");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn an_error_event_then_back_on_the_old_version_while_green_is_exit_3_not_success() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        envs: vec![
            before(),
            updating(),
            updating(),
            env(Ready, Green, OK, PREV),
        ],
        events: vec![
            Vec::new(),
            vec![event(
                3,
                EventSeverity::Error,
                "Failed to deploy application.",
            )],
        ],
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    let out = ran.outcome.as_ref().unwrap();
    assert!(
        matches!(out, Outcome::RolledBack(f) if f.message.contains("Failed to deploy application.")),
        "{out:?}"
    );
    assert_eq!(
        labels(&ran),
        [ran.label.as_str()],
        "Elastic Beanstalk reverted: no second update"
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn settling_on_the_old_version_green_without_any_event_is_never_success() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        extra: format!("bucket = \"{BUCKET}\"\nrollback = \"manual\"\n"),
        envs: vec![before(), updating(), env(Ready, Green, OK, PREV)],
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    assert!(
        matches!(ran.outcome, Ok(Outcome::RolledBack(_))),
        "{:?}",
        ran.outcome
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn an_update_that_never_settles_times_out_with_the_state() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        envs: vec![before(), updating()],
        timeout: Duration::from_secs(3),
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    let out = ran.outcome.as_ref().unwrap();
    assert!(
        matches!(out, Outcome::TimedOut(f) if f.message.contains("Updating, health Grey (Info)")),
        "{out:?}"
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn a_busy_environment_is_refused_before_anything_is_uploaded_or_created() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        envs: vec![env(Updating, Grey, None, PREV)],
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    let err = ran.outcome.expect_err("busy is refused");
    assert_eq!(err.kind.code(), 2, "{}", err.message);
    assert!(err.message.contains("is busy (Updating"), "{}", err.message);
    assert!(err
        .hint
        .unwrap_or_default()
        .contains("abort-environment-update"));
    assert!(ran.updates.is_empty());
    assert_eq!(ran.creates, 0);
    assert!(
        ran.objects.is_empty(),
        "nothing uploaded: {:?}",
        ran.objects
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn without_a_bucket_the_accounts_storage_location_is_used() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        extra: String::new(),
        envs: vec![before(), updating(), ours(Ready, Green, OK)],
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    assert!(
        matches!(ran.outcome, Ok(Outcome::Deployed(_))),
        "{:?}",
        ran.outcome
    );
    assert_eq!(ran.storage_locations, 1);
    assert_eq!(ran.objects.len(), 1);
}
