//! What a rollout prints as it goes, against the AWS peer: each service event once, in the order
//! it happened, even when stopped tasks cannot be read; each stopped task of the new revision once,
//! with its reason and exit codes.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use aws_sdk_ecs::types::Service;
use serde_json::json;

use super::fixture::{ctx, Fixture, NEW_IMAGE, SCALE};
use crate::deploy::ecs::Ecs;

/// A service whose update to web:2 has tripped the circuit breaker: three tasks of web:2 stopped.
/// Returns the service as DescribeServices shows it then, and web:2's ARN.
async fn breaker_tripped(f: &Fixture, ecs: &Ecs) -> (Service, String) {
    f.script(json!(["circuit_breaker"]), SCALE);
    let new = f.register(NEW_IMAGE).await;
    ecs.update(&f.client, &new).await.unwrap();
    let until = Instant::now() + Duration::from_secs(10);
    while f.state()["deployments"]
        .as_array()
        .is_none_or(|d| !d.iter().any(|d| d["failedTasks"] == 3))
    {
        assert!(Instant::now() < until, "{}", f.state());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (ecs.service(&f.client).await.unwrap(), new)
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn events_print_once_each() {
    let f = Fixture::new("events-web", "", &[]).await;
    let ecs = f.ecs();
    let (svc, new) = breaker_tripped(&f, &ecs).await;
    let ctx = ctx("deploy");
    // The stopped tasks cannot be read this time (ListTasks throttled past the SDK's retries):
    // the events are printed all the same, never lost.
    f.peer.throttle("ecs", "ListTasks", 3);
    let (mut events, mut stopped) = (HashSet::new(), HashSet::new());
    let (first, unread) = ecs
        .report(&f.client, &svc, &new, &mut events, &mut stopped, &ctx)
        .await;
    assert!(unread.is_some_and(|e| e.transient));
    // Every event once, oldest first as they happened (DescribeServices lists them newest
    // first, several within the same second).
    let printed: Vec<&str> = first
        .iter()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    let happened: Vec<&str> = svc
        .events()
        .iter()
        .rev()
        .map(|e| e.message().unwrap_or_default())
        .collect();
    assert_eq!(printed, happened);
    assert!(
        printed.contains(&"(service events-web) has reached a steady state."),
        "{printed:?}"
    );
    assert_eq!(
        printed
            .iter()
            .filter(|l| l.starts_with("(service events-web) has started 1 tasks: (task "))
            .count(),
        3,
        "a replacement task per failure: {printed:?}"
    );
    // The same events on the next poll: none is printed twice; the stopped tasks the throttled
    // read missed come now, once.
    let (second, _) = ecs
        .report(&f.client, &svc, &new, &mut events, &mut stopped, &ctx)
        .await;
    assert!(second.iter().all(|l| l.starts_with("task ")), "{second:?}");
    let (third, _) = ecs
        .report(&f.client, &svc, &new, &mut events, &mut stopped, &ctx)
        .await;
    assert!(third.is_empty(), "{third:?}");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn stopped_tasks_of_the_new_revision_say_why_once() {
    let f = Fixture::new("tasks-web", "", &[]).await;
    let ecs = f.ecs();
    let (svc, new) = breaker_tripped(&f, &ecs).await;
    let ctx = ctx("deploy");
    // Tasks of another revision are not this deploy's.
    let (mut events, mut stopped) = (HashSet::new(), HashSet::new());
    let (old, unread) = ecs
        .report(&f.client, &svc, &f.old, &mut events, &mut stopped, &ctx)
        .await;
    assert!(unread.is_none(), "{unread:?}");
    assert!(!old.iter().any(|l| l.starts_with("task ")), "{old:?}");
    let (mut events, mut stopped) = (HashSet::new(), HashSet::new());
    let (first, unread) = ecs
        .report(&f.client, &svc, &new, &mut events, &mut stopped, &ctx)
        .await;
    assert!(unread.is_none(), "{unread:?}");
    let tasks: Vec<&String> = first.iter().filter(|l| l.starts_with("task ")).collect();
    assert_eq!(tasks.len(), 3, "{first:?}");
    for t in tasks {
        assert!(
            t.ends_with("stopped: Essential container in task exited; app exit 1"),
            "{t}"
        );
    }
    // The same tasks on the next poll: nothing is printed twice, nothing is described again.
    let (second, unread) = ecs
        .report(&f.client, &svc, &new, &mut events, &mut stopped, &ctx)
        .await;
    assert!(unread.is_none(), "{unread:?}");
    assert!(second.is_empty(), "{second:?}");
    assert_eq!(
        f.count("DescribeTasks"),
        2,
        "once per set of tasks not seen before"
    );
}
