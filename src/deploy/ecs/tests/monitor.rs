//! `monitor` on ECS mid-rollout, against the AWS peer: two deployments, each with the release its
//! revision runs, the service's events, and then a task of the new revision that stopped, with
//! its reason and exit code, turning "starting" into "failing".

use std::time::{Duration, Instant};

use serde_json::json;

use super::fixture::{Fixture, NEW_IMAGE, OLD_IMAGE};
use crate::deploy::ecs::Ecs;

const OLD_RELEASE: &str = "20260101T000000Z-old1111";
const NEW_RELEASE: &str = "20260102T000000Z-new2222";

fn ledger_entry(id: &str, image: &str, at: &str) -> String {
    format!(
        r#"{{"format":1,"id":"{id}","app":"web","image":"{image}","image_id":"sha256:x","registry":"reg.example","repository":"reg.example/team/web","tags":[],"moving_tags":[],"build_digest":null,"git":null,"created_at":"{at}","created_by":"t","config_digest":"c","devloop_version":"0"}}"#
    )
}

/// A service mid-rollout to web:2: tasks start; `fail_at` seconds later one is up and one has
/// failed; then nothing more. The ledger has the releases of both revisions' images.
async fn mid_rollout(service: &str, fail_at: f64) -> (Fixture, Ecs) {
    let old = ledger_entry(OLD_RELEASE, OLD_IMAGE, "2026-01-01T00:00:00Z");
    let new = ledger_entry(NEW_RELEASE, NEW_IMAGE, "2026-01-02T00:00:00Z");
    let (old_path, new_path) = (
        format!(".devloop/releases/{OLD_RELEASE}.json"),
        format!(".devloop/releases/{NEW_RELEASE}.json"),
    );
    let f = Fixture::new(
        service,
        "",
        &[(old_path.as_str(), old.as_str()), (&new_path, &new)],
    )
    .await;
    f.script(
        json!([[
            {"at": 0, "rollout_state": "IN_PROGRESS", "running": 0, "pending": 2,
             "events": ["(service {service}) has started 2 tasks: (task {task}) (task {task})."]},
            {"at": fail_at, "running": 1, "pending": 1, "failed_tasks": 1}
        ]]),
        1.0,
    );
    let ecs = f.ecs();
    let web2 = f.register(NEW_IMAGE).await;
    ecs.update(&f.client, &web2).await.unwrap();
    (f, ecs)
}

/// Until the peer has stopped the failed task of web:2.
async fn task_failed(f: &Fixture) {
    let until = Instant::now() + Duration::from_secs(10);
    while f.state()["deployments"][0]["failedTasks"] != 1 {
        assert!(Instant::now() < until, "{}", f.state());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn status_shows_each_deployment_with_its_release_and_the_events_then_failing() {
    let (f, ecs) = mid_rollout("mon-web", 1.5).await;
    let st = ecs.status_with(&f.client, None).await.unwrap();
    assert_eq!(st.release.as_deref(), Some(NEW_RELEASE));
    let deps: Vec<(&str, &str, Option<&str>, Option<&str>)> = st
        .deployments
        .iter()
        .map(|d| {
            (
                d.status.as_str(),
                d.revision.as_str(),
                d.release.as_deref(),
                d.rollout.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        deps,
        [
            ("PRIMARY", "web:2", Some(NEW_RELEASE), Some("IN_PROGRESS")),
            ("ACTIVE", "web:1", Some(OLD_RELEASE), Some("COMPLETED")),
        ]
    );
    let events: Vec<&str> = st.events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(events.len(), 4, "{events:?}");
    assert!(
        events[0].starts_with("(service mon-web) has started 2 tasks: (task "),
        "oldest first: {events:?}"
    );
    assert_eq!(events[2], "(service mon-web) has reached a steady state.");
    assert!(
        events[3].starts_with("(service mon-web) has started 2 tasks: (task "),
        "{events:?}"
    );
    assert!(st.problems.is_empty(), "{:?}", st.problems);
    assert_eq!(st.verdict, "starting", "{}", st.reason);

    task_failed(&f).await;
    let st = ecs.status_with(&f.client, None).await.unwrap();
    assert_eq!(st.verdict, "unhealthy", "{}", st.reason);
    assert!(
        st.reason
            .starts_with("failing: 1 task(s) of the deployment of web:2"),
        "{}",
        st.reason
    );
    let text = crate::deploy::render_status(&st);
    assert!(
        text.contains(&format!(
            "PRIMARY  web:2  release {NEW_RELEASE}  1/2 running, 1 pending, 1 failed  rollout IN_PROGRESS"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "ACTIVE   web:1  release {OLD_RELEASE}  1/2 running"
        )),
        "{text}"
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn status_names_the_stopped_task_of_the_new_revision_with_its_reason_and_exit_code() {
    let (f, ecs) = mid_rollout("prob-web", 0.2).await;
    task_failed(&f).await;
    let st = ecs.status_with(&f.client, None).await.unwrap();
    assert!(st.notes.is_empty(), "{:?}", st.notes);
    assert_eq!(st.problems.len(), 1, "{:?}", st.problems);
    let problem = &st.problems[0];
    assert!(problem.starts_with("task "), "{problem}");
    assert!(
        problem.ends_with("stopped: Essential container in task exited; app exit 1"),
        "{problem}"
    );
    let text = crate::deploy::render_status(&st);
    assert!(text.contains("  problems\n    task "), "{text}");
}
