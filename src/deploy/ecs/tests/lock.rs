//! The deploy lock against the AWS peer: an old short service ARN refused before anything is
//! registered (or `--no-lock`), and a lock whose tag reads back late still taken and released.

use serde_json::json;

use super::fixture::{record, within, Fixture, OTHER_IMAGE, SCALE};
use crate::deploy::{Locking, Outcome, Rollout};
use crate::error::ExitKind;
use crate::release::Record;

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn a_short_service_arn_is_refused_before_anything_is_registered_unless_no_lock() {
    let f = Fixture::new("short-web", "", &[]).await;
    f.control("ecs/short_arn", json!({"enabled": true}));
    f.script(json!(["completes"]), SCALE);
    let ecs = f.ecs();
    let err = f
        .deploy(&ecs, &record(), &within(30))
        .await
        .expect_err("a short ARN cannot carry the lock");
    assert_eq!(err.kind, ExitKind::Usage);
    assert_eq!(err.kind.code(), 2);
    assert!(err.message.contains("old-format ARN"), "{}", err.message);
    assert!(
        err.message
            .contains("arn:aws:ecs:us-east-1:123456789012:service/short-web"),
        "{}",
        err.message
    );
    let hint = err.hint.clone().unwrap_or_default();
    assert!(hint.contains("serviceLongArnFormat"), "{hint}");
    assert!(hint.contains("--no-lock"), "{hint}");
    for action in [
        "RegisterTaskDefinition",
        "UpdateService",
        "TagResource",
        "ListTagsForResource",
    ] {
        let setup = usize::from(action == "RegisterTaskDefinition");
        assert_eq!(f.count(action), setup, "{action}");
    }
    // --no-lock: deployed without a lock (the warning is on stderr, checked in deploy_ecs.rs).
    let how = Rollout {
        lock: Locking::Skip,
        ..within(30)
    };
    let out = f.deploy(&ecs, &record(), &how).await.unwrap();
    assert!(
        matches!(out, Outcome::Deployed(ref m) if m.contains("web:2")),
        "{out:?}"
    );
    assert_eq!(f.count("RegisterTaskDefinition"), 2);
    assert_eq!(f.count("UpdateService"), 1);
    assert_eq!(f.count("TagResource"), 0);
    assert_eq!(f.count("UntagResource"), 0);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn a_lock_whose_tag_reads_back_late_is_still_taken_and_released() {
    let f = Fixture::new("lag-web", "", &[]).await;
    f.peer.control("ecs/tag_lag", json!({"reads": 2}));
    f.script(json!(["completes"]), SCALE);
    let ecs = f.ecs();
    let out = f.deploy(&ecs, &record(), &within(30)).await.unwrap();
    assert!(matches!(out, Outcome::Deployed(_)), "{out:?}");
    let tagged = f.calls("TagResource");
    assert_eq!(tagged.len(), 1);
    assert_eq!(tagged[0]["json"]["tags"][0]["key"], "devloop.lock");
    let untagged = f.calls("UntagResource");
    assert_eq!(untagged.len(), 1, "the lock was not released");
    assert_eq!(untagged[0]["json"]["tagKeys"][0], "devloop.lock");
    // Before, two stale read-backs, the one that shows the lock, and the read before release.
    assert!(
        f.count("ListTagsForResource") >= 5,
        "{}",
        f.count("ListTagsForResource")
    );

    // Deployed again at once: the lock just given back still reads as held for a moment, and is
    // not taken for another deploy's.
    let again = f.deploy(&ecs, &record(), &within(30)).await.unwrap();
    assert!(matches!(again, Outcome::Unchanged(_)), "{again:?}");
    assert_eq!(f.count("TagResource"), 2);
    assert_eq!(f.count("UntagResource"), 2);

    // No tag is left once reads catch up.
    f.peer.control("ecs/tag_lag", json!({"reads": 0}));
    let arn = f.state()["serviceArn"].as_str().unwrap().to_string();
    let lock = |arn: &str| {
        let client = f.client.clone();
        let arn = arn.to_string();
        async move {
            client
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .unwrap()
                .tags()
                .iter()
                .find(|t| t.key() == Some("devloop.lock"))
                .and_then(|t| t.value().map(str::to_string))
        }
    };
    assert_eq!(lock(&arn).await, None);

    // A lock another deploy holds is still refused, its holder named, nothing changed.
    f.client
        .tag_resource()
        .resource_arn(&arn)
        .tags(
            aws_sdk_ecs::types::Tag::builder()
                .key("devloop.lock")
                .value("alice pid 42 1a2b since 2026-11-23T06:00:00Z until 2999-01-01T00:00:00Z")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let err = f
        .deploy(&ecs, &Record::sample(OTHER_IMAGE), &within(30))
        .await
        .expect_err("the lock is held");
    assert_eq!(err.kind, ExitKind::StepFailed);
    assert!(
        err.message.contains("another deploy holds the lock"),
        "{}",
        err.message
    );
    assert!(err.message.contains("alice pid 42"), "{}", err.message);
    assert_eq!(f.count("RegisterTaskDefinition"), 2, "nothing registered");
    assert_eq!(f.count("UpdateService"), 1);
    assert!(lock(&arn).await.unwrap().starts_with("alice"));
}
