//! Whole rollouts — register, update, watch, devloop's own rollback, ECS's rollback — against
//! the AWS peer: ECS as the live service answers it over real HTTP, with deployments that move
//! along the clock (tests/peer/ecs.py). Each test ends in its verdict and counts the calls that
//! changed something.

use std::time::{Duration, Instant};

use aws_sdk_ecs::types::ServiceDeploymentStatus;
use serde_json::json;

use super::fixture::{ctx, record, within, Fixture, NEW_IMAGE, SCALE};
use crate::deploy::ecs::deployments::service_deployments;
use crate::deploy::Outcome;

/// A deployment that fails without ECS rolling it back (no breaker rollback: an alarm, say).
fn fails_without_rollback() -> serde_json::Value {
    json!([
        {"at": 0, "rollout_state": "IN_PROGRESS", "running": 0, "pending": 2,
         "events": ["(service {service}) has started 2 tasks: (task {task}) (task {task})."]},
        {"at": 0.5, "failed_tasks": 1},
        {"at": 1.0, "rollout_state": "FAILED", "reason": "CloudWatch alarm web-5xx is in ALARM state.",
         "events": ["(service {service}) (deployment {deployment}) deployment failed: alarm(s) web-5xx in ALARM state."]}
    ])
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn success_after_several_in_progress_polls() {
    let f = Fixture::new("ok-web", "rollback = \"auto\"\n", &[]).await;
    f.script(json!(["completes"]), SCALE);
    let ecs = f.ecs();
    let out = f.deploy(&ecs, &record(), &within(30)).await.unwrap();
    match &out {
        Outcome::Deployed(m) => {
            assert!(m.contains("web:2"), "{m}");
            assert!(m.contains("release 20260101T000000Z-abc1234"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        f.count("RegisterTaskDefinition"),
        2,
        "setup's, then devloop's"
    );
    let registered = &f.calls("RegisterTaskDefinition")[1]["json"];
    assert_eq!(
        registered["containerDefinitions"][0]["image"], NEW_IMAGE,
        "{registered}"
    );
    let updates = f.calls("UpdateService");
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["json"]["taskDefinition"], f.revision(2));
    assert_eq!(f.count("StopServiceDeployment"), 0);
    // One read right after the update and more while the deployment was IN_PROGRESS.
    assert!(
        f.count("DescribeServices") >= 3,
        "{}",
        f.count("DescribeServices")
    );
    let state = f.state();
    assert_eq!(state["taskDefinition"], f.revision(2).as_str(), "{state}");
    assert_eq!(state["deployments"].as_array().unwrap().len(), 1, "{state}");
    assert_eq!(state["deployments"][0]["rolloutState"], "COMPLETED");
    // The lock was taken and given back.
    assert_eq!(f.count("TagResource"), 1);
    assert_eq!(f.count("UntagResource"), 1);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn a_circuit_breaker_rollback_is_exit_3_and_says_why() {
    let f = Fixture::new("cb-web", "rollback = \"auto\"\n", &[]).await;
    f.script(json!(["circuit_breaker"]), SCALE);
    let ecs = f.ecs();
    let out = f.deploy(&ecs, &record(), &within(30)).await.unwrap();
    match &out {
        Outcome::RolledBack(fail) => {
            let m = &fail.message;
            assert!(m.contains("ECS rolled the service back to web:1"), "{m}");
            assert!(m.contains("tasks failed to start"), "{m}");
            assert!(!m.contains("no reason given"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        f.count("UpdateService"),
        1,
        "ECS rolled back itself: devloop changed nothing more"
    );
    assert_eq!(f.count("RegisterTaskDefinition"), 2);
    assert_eq!(f.count("StopServiceDeployment"), 0);
    let state = f.state();
    assert_eq!(state["taskDefinition"], f.old.as_str(), "{state}");
    assert_eq!(state["deployments"].as_array().unwrap().len(), 1, "{state}");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn a_failed_deployment_is_rolled_back_by_devloop_with_auto() {
    let f = Fixture::new("auto-web", "rollback = \"auto\"\n", &[]).await;
    // Ours fails; devloop's own update back to web:1 then completes.
    f.script(json!([fails_without_rollback(), "completes"]), SCALE);
    let ecs = f.ecs();
    let out = f.deploy(&ecs, &record(), &within(30)).await.unwrap();
    match &out {
        Outcome::RolledBack(fail) => {
            let m = &fail.message;
            assert_eq!(
                m.matches("CloudWatch alarm web-5xx is in ALARM state.")
                    .count(),
                1,
                "said once: {m}"
            );
            assert!(
                m.contains("devloop rolled ECS service main/auto-web back to web:1"),
                "{m}"
            );
            assert!(!m.contains("no reason given"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    let updates = f.calls("UpdateService");
    assert_eq!(updates.len(), 2, "the update, then devloop's rollback");
    assert_eq!(updates[0]["json"]["taskDefinition"], f.revision(2));
    assert_eq!(updates[1]["json"]["taskDefinition"], f.old.as_str());
    assert_eq!(
        f.count("RegisterTaskDefinition"),
        2,
        "the rollback registers nothing"
    );
    assert_eq!(f.count("StopServiceDeployment"), 0);
    let state = f.state();
    assert_eq!(state["taskDefinition"], f.old.as_str(), "{state}");
    assert_eq!(state["deployments"][0]["rolloutState"], "COMPLETED");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn a_failed_deployment_with_manual_rollback_is_exit_1_with_the_command() {
    let f = Fixture::new("manual-web", "rollback = \"manual\"\n", &[]).await;
    f.script(json!([fails_without_rollback()]), SCALE);
    let ecs = f.ecs();
    let out = f.deploy(&ecs, &record(), &within(30)).await.unwrap();
    match out {
        Outcome::Failed(fail) => {
            assert!(
                fail.message.contains("the deployment of web:2 failed"),
                "{}",
                fail.message
            );
            assert_eq!(
                fail.message
                    .matches("CloudWatch alarm web-5xx is in ALARM state.")
                    .count(),
                1,
                "said once: {}",
                fail.message
            );
            assert!(
                fail.hint.unwrap_or_default().contains("devloop rollback"),
                "the hint names the command"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        f.count("UpdateService"),
        1,
        "manual: devloop rolls nothing back"
    );
    assert_eq!(f.count("StopServiceDeployment"), 0);
    let state = f.state();
    assert_eq!(state["taskDefinition"], f.revision(2).as_str(), "{state}");
    assert_eq!(state["deployments"][0]["rolloutState"], "FAILED");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn a_rollout_that_never_settles_times_out_with_its_state() {
    let f = Fixture::new("stuck-web", "", &[]).await;
    f.script(json!(["never"]), SCALE);
    let ecs = f.ecs();
    let started = Instant::now();
    let out = f.deploy(&ecs, &record(), &within(3)).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    match out {
        Outcome::TimedOut(fail) => {
            let m = &fail.message;
            assert!(m.contains("did not settle on web:2"), "{m}");
            assert!(m.contains("0 of 2 running, 2 pending"), "{m}");
            assert!(m.contains("service deployment IN_PROGRESS"), "{m}");
            assert!(fail.hint.unwrap_or_default().contains("devloop rollback"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(f.count("UpdateService"), 1);
    assert_eq!(f.count("StopServiceDeployment"), 0);
    assert_eq!(
        f.count("UntagResource"),
        1,
        "the lock is released on a timeout too"
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn another_deployment_during_ours_is_a_failure_not_a_success() {
    let f = Fixture::new("busy-web", "", &[]).await;
    f.script(json!(["superseded"]), SCALE);
    let ecs = f.ecs();
    let out = f.deploy(&ecs, &record(), &within(30)).await.unwrap();
    match out {
        Outcome::Failed(fail) => assert!(
            fail.message.contains("another deployment (web:3)"),
            "{}",
            fail.message
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(f.count("UpdateService"), 1);
    assert_eq!(f.count("RegisterTaskDefinition"), 2);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn throttled_and_failing_reads_mid_rollout_change_no_verdict() {
    let f = Fixture::new("slow-web", "", &[]).await;
    // At full speed and then some: the throttled reads end well before the rollout does.
    f.script(json!(["completes"]), 2.0);
    let ecs = f.ecs();
    // The rollout's first reads after UpdateService: three DescribeServices in a row throttled
    // (every attempt of the SDK's retries), and three ListServiceDeployments answering 503.
    let ctx = ctx("deploy");
    let live = ecs.live(&f.client).await.unwrap();
    f.peer.throttle("ecs", "DescribeServices", 3);
    f.peer.control(
        "throttle",
        json!({"service": "ecs", "action": "ListServiceDeployments", "count": 3, "status": 503}),
    );
    let out = ecs
        .rollout(
            &f.client,
            live,
            &record(),
            &ctx,
            Instant::now() + Duration::from_secs(30),
        )
        .await
        .unwrap();
    assert!(
        matches!(out, Outcome::Deployed(ref m) if m.contains("web:2")),
        "{out:?}"
    );
    assert_eq!(f.count("UpdateService"), 1);
    // live's read, the three throttled attempts, and the reads until the deployment completed.
    let reads = f.count("DescribeServices");
    assert!(reads > 1 + 3 + 1, "{reads}");
    // A 503 is no news, not a missing API: devloop kept asking the service deployments API.
    assert!(
        f.count("ListServiceDeployments") > 3,
        "{}",
        f.count("ListServiceDeployments")
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn with_months_of_service_deployments_the_verdict_reads_the_one_devloop_started() {
    let f = Fixture::new("hist-web", "", &[]).await;
    let history = f.control("ecs/history", json!({"count": 45}));
    assert_eq!(history["serviceDeployments"], 46, "{history}");
    f.script(json!(["never"]), SCALE);
    let ecs = f.ecs();
    let out = f.deploy(&ecs, &record(), &within(2)).await.unwrap();
    match out {
        Outcome::TimedOut(fail) => assert!(
            fail.message.contains("(service deployment IN_PROGRESS)"),
            "the verdict names devloop's deployment, not an old SUCCESSFUL one: {}",
            fail.message
        ),
        other => panic!("{other:?}"),
    }
    // Every read asked only for deployments created since the update (less a few seconds).
    let update_at = f.calls("UpdateService")[0]["at"].as_f64().unwrap();
    let reads = f.calls("ListServiceDeployments");
    assert!(!reads.is_empty());
    for read in &reads {
        let after = read["json"]["createdAt"]["after"].as_f64().unwrap_or(0.0);
        assert!(after > update_at - 10.0, "{read}");
    }
    // Without the filter, every page is followed: 45 old + the first + ours, 20 a page.
    let settings = ecs.settings.clone();
    let all = service_deployments(&f.client, &settings, None, &[])
        .await
        .unwrap();
    assert_eq!(all.len(), 47);
    let paged = f.calls("ListServiceDeployments")[reads.len()..].to_vec();
    assert_eq!(paged.len(), 3, "{paged:?}");
    assert!(paged[1]["json"]["nextToken"].is_string(), "{paged:?}");
    let newest = all
        .iter()
        .max_by_key(|d| d.created_at().map(|t| (t.secs(), t.subsec_nanos())))
        .unwrap();
    assert_eq!(newest.status(), Some(&ServiceDeploymentStatus::InProgress));
    assert_eq!(f.count("UpdateService"), 1);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn rollback_stops_a_deployment_in_progress_with_ecs_s_rollback() {
    let f = Fixture::new("stop-web", "", &[]).await;
    f.control("ecs/history", json!({"count": 25}));
    f.script(json!(["never"]), SCALE);
    let ecs = f.ecs();
    let out = f.deploy(&ecs, &record(), &within(1)).await.unwrap();
    assert!(matches!(out, Outcome::TimedOut(_)), "{out:?}");
    // What `devloop rollback` finds: the service deployment still in progress.
    let settings = ecs.settings.clone();
    let running = service_deployments(
        &f.client,
        &settings,
        None,
        &[
            ServiceDeploymentStatus::InProgress,
            ServiceDeploymentStatus::Pending,
        ],
    )
    .await
    .unwrap();
    assert_eq!(running.len(), 1, "{running:?}");
    let arn = running[0].service_deployment_arn().unwrap().to_string();
    let ctx = ctx("rollback");
    let out = ecs
        .stop_with_rollback(
            &f.client,
            &arn,
            &ctx,
            Instant::now() + Duration::from_secs(30),
        )
        .await
        .unwrap();
    assert!(
        matches!(out, Outcome::Deployed(ref m) if m.contains("back to web:1")),
        "{out:?}"
    );
    let stops = f.calls("StopServiceDeployment");
    assert_eq!(stops.len(), 1);
    assert_eq!(stops[0]["json"]["serviceDeploymentArn"], arn.as_str());
    assert_eq!(stops[0]["json"]["stopType"], "ROLLBACK");
    assert_eq!(
        f.count("UpdateService"),
        1,
        "ECS's rollback, not a new update"
    );
    let state = f.state();
    assert_eq!(state["taskDefinition"], f.old.as_str(), "{state}");
    assert_eq!(state["deployments"].as_array().unwrap().len(), 1, "{state}");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn going_back_to_a_checkpoint_updates_to_that_revision_and_registers_nothing() {
    let f = Fixture::new("back-web", "", &[]).await;
    f.script(json!(["completes", "completes", "circuit_breaker"]), SCALE);
    let ecs = f.ecs();
    let out = f.deploy(&ecs, &record(), &within(30)).await.unwrap();
    assert!(matches!(out, Outcome::Deployed(_)), "{out:?}");
    let ctx = ctx("restore");
    let svc = ecs.service(&f.client).await.unwrap();

    // Back on revision 1 with its desired count, watched to steady; nothing registered.
    let out = ecs
        .go_back(&f.client, &svc, &f.old, Some(2), &ctx, deadline(30))
        .await
        .unwrap();
    match &out {
        Outcome::Deployed(m) => assert!(m.contains("runs web:1 again"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        f.count("RegisterTaskDefinition"),
        2,
        "setup's and the deploy's"
    );
    let updates = f.calls("UpdateService");
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[1]["json"]["taskDefinition"], f.old.as_str());
    assert_eq!(updates[1]["json"]["desiredCount"], 2);
    assert_eq!(f.state()["taskDefinition"], f.old.as_str());

    // Already steady there (ECS rolled it back itself): nothing is updated.
    let svc = ecs.service(&f.client).await.unwrap();
    let out = ecs
        .go_back(&f.client, &svc, &f.old, Some(2), &ctx, deadline(30))
        .await
        .unwrap();
    assert!(matches!(out, Outcome::Deployed(_)), "{out:?}");
    assert_eq!(f.count("UpdateService"), 2);

    // A way back that fails is a failure naming the revision, never "restored".
    let svc = ecs.service(&f.client).await.unwrap();
    let out = ecs
        .go_back(&f.client, &svc, &f.revision(2), Some(2), &ctx, deadline(30))
        .await
        .unwrap();
    match &out {
        Outcome::Failed(e) => assert!(
            e.message.contains("did not get back on web:2"),
            "{}",
            e.message
        ),
        other => panic!("{other:?}"),
    }
}

fn deadline(secs: u64) -> std::time::Instant {
    std::time::Instant::now() + std::time::Duration::from_secs(secs)
}
