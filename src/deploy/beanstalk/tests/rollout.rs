//! Whole rollouts on Elastic Beanstalk against the AWS peer (the live service's answers over
//! HTTP), each ending in its verdict with the right calls made: success, the same release again,
//! processing failure, health that recovers within the grace, failures with auto and manual
//! rollback, Elastic Beanstalk reverting by itself, timeout, busy, stale reads, throttling,
//! names in another case, the storage bucket, and a bucket that hides missing keys behind 403.

use std::time::Duration;

use serde_json::json;

use super::script::*;
use crate::deploy::Outcome;
use crate::error::ExitKind;

const T: Duration = Duration::from_secs(60);

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn success_uploads_once_creates_one_version_and_reads_upper_case_statuses() {
    let eb = Eb::start("").await;
    let out = eb.deploy(T).await;
    assert!(
        matches!(&out, Ok(Outcome::Deployed(m)) if m.contains(&eb.label)),
        "{}",
        said(&out)
    );
    assert_eq!(eb.labels(), std::slice::from_ref(&eb.label));
    assert_eq!(eb.count("CreateApplicationVersion"), 1);
    assert_eq!(
        eb.count("CreateStorageLocation"),
        0,
        "the configured bucket"
    );
    let objects = eb.objects().await;
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert!(objects[0].starts_with("devloop/web/") && objects[0].ends_with(".zip"));
    // The peer sends the status as the live API does, in upper case.
    let state = eb.state();
    let ours = state["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["label"] == eb.label.as_str())
        .unwrap();
    assert_eq!(ours["status"], "PROCESSED");
    assert_eq!(state["version_label"], eb.label.as_str());

    // Again, on the environment that now runs it, Ready and Green: nothing is touched.
    let again = eb.deploy(T).await;
    assert!(
        matches!(again, Ok(Outcome::Unchanged(_))),
        "{}",
        said(&again)
    );
    assert_eq!(eb.count("UpdateEnvironment"), 1);
    assert_eq!(eb.count("CreateApplicationVersion"), 1);

    // Someone put the previous version back: the version exists (PROCESSED), so it is reused —
    // no second upload, no second version — and deployed.
    eb.peer.control(
        "eb/environment",
        json!({ "application": "web", "environment": "web-prod", "version_label": PREV }),
    );
    let third = eb.deploy(T).await;
    assert!(
        matches!(third, Ok(Outcome::Deployed(_))),
        "{}",
        said(&third)
    );
    assert_eq!(eb.count("CreateApplicationVersion"), 1, "reused");
    assert_eq!(
        eb.objects().await,
        objects,
        "the same key, not uploaded twice"
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn a_bundle_that_fails_processing_is_exit_1_with_the_reason_and_no_update() {
    let eb = Eb::start("").await;
    eb.script(json!({ "process_fail": "Dockerrun.aws.json: the Image.Name field is missing" }));
    let err = eb.deploy(T).await.expect_err("processing fails");
    assert_eq!(err.kind, ExitKind::StepFailed);
    assert!(
        err.message.contains("could not process the bundle")
            && err.message.contains("Image.Name field is missing"),
        "{}",
        err.message
    );
    assert_eq!(eb.count("UpdateEnvironment"), 0);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn health_that_recovers_within_the_grace_is_success_not_a_rollback() {
    let eb = Eb::start("health_grace = \"30s\"\n").await;
    eb.script(json!({ "updates": ["recovers"] }));
    let out = eb.deploy(T).await;
    assert!(matches!(out, Ok(Outcome::Deployed(_))), "{}", said(&out));
    assert_eq!(eb.labels(), std::slice::from_ref(&eb.label), "no rollback");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn red_health_past_the_grace_with_auto_rollback_restores_version_and_settings_exit_3() {
    let eb = Eb::start("health_grace = \"3s\"\ninstance_type = \"t3.small\"\n[deploy.beanstalk.env]\nMODE = \"new\"\n").await;
    eb.script(json!({ "updates": ["red_forever", "rollback_settles"] }));
    let out = eb.deploy(T).await;
    let Ok(Outcome::RolledBack(f)) = &out else {
        panic!("{}", said(&out))
    };
    assert!(
        f.message.contains("health Red (Degraded)") && f.message.contains("health_grace 3s"),
        "{}",
        f.message
    );
    let updates = eb.updates();
    assert_eq!(
        updates.iter().map(|u| u.0.as_str()).collect::<Vec<_>>(),
        [eb.label.as_str(), PREV]
    );
    assert!(updates[0].1.contains(&"InstanceType=t3.small".to_string()));
    assert!(updates[0].1.contains(&"MODE=new".to_string()));
    assert_eq!(updates[1].1, ["InstanceType=t3.micro"], "{:?}", updates[1]);
    assert_eq!(updates[1].2, ["MODE"], "{:?}", updates[1]);
    assert_eq!(eb.state()["version_label"], PREV);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn an_error_event_with_manual_rollback_fails_at_once_and_names_the_command() {
    // The grace is long: the ERROR event of our request ends the wait, not the grace.
    let eb = Eb::start("rollback = \"manual\"\nhealth_grace = \"10m\"\n").await;
    eb.script(json!({ "updates": ["fails_red"] }));
    let out = eb.deploy(T).await;
    let Ok(Outcome::Failed(f)) = &out else {
        panic!("{}", said(&out))
    };
    assert!(
        f.message.contains("Failed to deploy application."),
        "{}",
        f.message
    );
    assert!(
        f.hint
            .as_deref()
            .unwrap_or_default()
            .contains("devloop rollback"),
        "{:?}",
        f.hint
    );
    assert_eq!(eb.labels(), std::slice::from_ref(&eb.label), "one update");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn elastic_beanstalk_reverting_by_itself_is_exit_3_with_its_words() {
    let eb = Eb::start("").await;
    eb.script(json!({ "updates": ["fails_reverts"] }));
    let out = eb.deploy(T).await;
    let Ok(Outcome::RolledBack(f)) = &out else {
        panic!("{}", said(&out))
    };
    assert!(
        f.message.contains("Failed to deploy application.") && f.message.contains(PREV),
        "{}",
        f.message
    );
    assert_eq!(
        eb.labels(),
        std::slice::from_ref(&eb.label),
        "Elastic Beanstalk reverted: no second update"
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn stale_reads_after_the_update_are_no_verdict() {
    // Three reads still show the environment Ready and Green on the previous version: that is
    // the past, not Elastic Beanstalk putting it back.
    let eb = Eb::start("").await;
    eb.script(json!({ "stale_reads": 3 }));
    let out = eb.deploy(T).await;
    assert!(matches!(out, Ok(Outcome::Deployed(_))), "{}", said(&out));
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn throttling_during_the_watch_changes_no_verdict() {
    let eb = Eb::start("").await;
    eb.script(json!({ "updates": ["recovers"] }));
    // One call every ten seconds for each: the SDK's retries run out on several reads of the
    // watch, which devloop takes as no news.
    for action in ["DescribeEnvironments", "DescribeEvents"] {
        eb.peer.control(
            "throttle",
            json!({ "service": "elasticbeanstalk", "action": action, "rate": 0.1, "burst": 1 }),
        );
    }
    let out = eb.deploy(Duration::from_secs(120)).await;
    assert!(matches!(out, Ok(Outcome::Deployed(_))), "{}", said(&out));
    // The throttling really happened during the watch, and the verdict held anyway.
    let throttled = eb
        .peer
        .calls()
        .iter()
        .filter(|c| c["service"] == "elasticbeanstalk" && c["throttled"] == true)
        .count();
    let seen: Vec<String> = eb
        .peer
        .calls()
        .iter()
        .filter(|c| c["service"] == "elasticbeanstalk")
        .map(|c| format!("{} {}", c["action"], c["throttled"]))
        .collect();
    assert!(
        throttled > 0,
        "no call was throttled, so the test would prove nothing: {seen:?}"
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn an_update_that_never_settles_times_out_with_the_state() {
    let eb = Eb::start("").await;
    eb.script(json!({ "updates": ["never"] }));
    let out = eb.deploy(Duration::from_secs(8)).await;
    let Ok(Outcome::TimedOut(f)) = &out else {
        panic!("{}", said(&out))
    };
    assert!(f.message.contains("Updating, health Grey"), "{}", f.message);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn a_busy_environment_is_refused_before_anything_is_uploaded_or_created() {
    let eb = Eb::start("").await;
    eb.peer.control(
        "eb/environment",
        json!({ "application": "web", "environment": "web-prod", "version_label": PREV, "status": "Updating", "health": "Grey" }),
    );
    let err = eb.deploy(T).await.expect_err("busy");
    assert_eq!(err.kind, ExitKind::Usage);
    assert!(err.message.contains("is busy (Updating"), "{}", err.message);
    assert!(
        err.hint
            .unwrap_or_default()
            .contains("abort-environment-update"),
        "an abortable update names the abort"
    );
    assert_eq!(eb.count("CreateApplicationVersion"), 0);
    assert_eq!(eb.count("UpdateEnvironment"), 0);
    assert!(eb.objects().await.is_empty());
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn names_match_in_any_case_and_the_storage_location_is_found_without_a_bucket() {
    // Elastic Beanstalk matches names case-insensitively; devloop does too.
    let eb = Eb::start_as("WEB-PROD", "no bucket\n").await;
    let out = eb.deploy(T).await;
    assert!(matches!(out, Ok(Outcome::Deployed(_))), "{}", said(&out));
    assert_eq!(eb.count("CreateStorageLocation"), 1);
    let bucket = "elasticbeanstalk-us-east-1-123456789012";
    let listed = eb
        .peer
        .s3()
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.contents().len(), 1);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn a_bucket_without_list_permission_gets_a_conditional_put() {
    // Without s3:ListBucket a missing key is a bare 403: devloop puts the bundle only if absent.
    let eb = Eb::start("").await;
    eb.peer.control("s3/deny_list", json!({ "bucket": BUCKET }));
    let out = eb.deploy(T).await;
    assert!(matches!(out, Ok(Outcome::Deployed(_))), "{}", said(&out));
    assert_eq!(eb.objects().await.len(), 1);
    let puts: Vec<_> = eb
        .peer
        .calls()
        .into_iter()
        .filter(|c| {
            c["service"] == "s3"
                && c["method"] == "PUT"
                && c["path"].as_str().is_some_and(|p| p.contains("/devloop/"))
        })
        .collect();
    assert_eq!(puts.len(), 1, "{puts:?}");
    assert_eq!(puts[0]["headers"]["if-none-match"], "*");
}
