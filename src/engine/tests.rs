//! The engine on synthetic steps: ordering, failure propagation, concurrency, timeouts, cycles.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::error::{Error, ExitKind};
/// Events nobody reads: the engine's own behaviour is what these tests judge.
fn events() -> Arc<dyn Events> {
    Arc::new(heard::Heard::default())
}

fn plan() -> StepPlan {
    StepPlan {
        action: "test".into(),
        details: serde_json::Value::Null,
    }
}

fn recording(name: &str, log: &Arc<Mutex<Vec<String>>>, fail: bool) -> Step {
    let log = log.clone();
    let n = name.to_string();
    Step::new(name, plan(), move |_ctx| async move {
        tokio::time::sleep(Duration::from_millis(10)).await;
        log.lock().unwrap().push(n.clone());
        if fail {
            Err(Error::failed(format!("{n} broke")))
        } else {
            Ok(Done::new(format!("{n} ok")))
        }
    })
}

#[tokio::test]
async fn dependencies_run_first_and_failures_stop_dependents() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let steps = vec![
        recording("build", &log, false),
        recording("test:a", &log, true).needs(["build".to_string()]),
        recording("test:b", &log, false).needs(["build".to_string()]),
        recording("release", &log, false).needs(["test:a".to_string(), "test:b".to_string()]),
    ];
    let report = Runner::new(4, events()).run(steps).await.unwrap();
    let order = log.lock().unwrap().clone();
    assert_eq!(order[0], "build");
    assert!(!order.contains(&"release".to_string()));
    let outcomes: Vec<&str> = report.results.iter().map(|r| r.outcome.label()).collect();
    assert_eq!(outcomes, vec!["done", "failed", "done", "not run"]);
    assert_eq!(report.status().code(), 1);
    assert!(report.results[3]
        .outcome
        .message()
        .contains("test:a did not succeed"));
}

#[tokio::test]
async fn concurrency_is_bounded() {
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let steps: Vec<Step> = (0..6)
        .map(|i| {
            let running = running.clone();
            let peak = peak.clone();
            Step::new(format!("s{i}"), plan(), move |_ctx| async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(30)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(Done::new(String::new()))
            })
        })
        .collect();
    let report = Runner::new(2, events()).run(steps).await.unwrap();
    assert_eq!(report.status().code(), 0);
    assert_eq!(peak.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_timed_out_step_is_cancelled_and_cleans_up() {
    let cleaned = Arc::new(AtomicUsize::new(0));
    let c = cleaned.clone();
    let step = Step::new("slow", plan(), move |ctx| async move {
        ctx.cancel.cancelled().await;
        c.fetch_add(1, Ordering::SeqCst);
        Err(Error::interrupted())
    })
    .timeout(Some(Duration::from_millis(50)));
    let report = Runner::new(1, events()).run(vec![step]).await.unwrap();
    assert_eq!(cleaned.load(Ordering::SeqCst), 1);
    match &report.results[0].outcome {
        Outcome::Failed(e) => {
            assert_eq!(e.kind, ExitKind::StepFailed);
            assert!(e.message.contains("timed out after 50ms"), "{}", e.message);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn skipped_steps_satisfy_dependents() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let skip = Step::new("build", plan(), |_ctx| async {
        Ok(Done::skipped("image exists"))
    });
    let steps = vec![
        skip,
        recording("test", &log, false).needs(["build".to_string()]),
    ];
    let report = Runner::new(1, events()).run(steps).await.unwrap();
    assert_eq!(report.status().code(), 0);
    assert_eq!(report.results[0].outcome.label(), "skipped");
    assert_eq!(log.lock().unwrap().as_slice(), ["test"]);
}

#[test]
fn cycles_and_unknown_dependencies_are_usage_errors() {
    let a =
        Step::new("a", plan(), |_| async { Ok(Done::new(String::new())) }).needs(["b".to_string()]);
    let b =
        Step::new("b", plan(), |_| async { Ok(Done::new(String::new())) }).needs(["a".to_string()]);
    let e = Runner::validate(&[a, b]).unwrap_err();
    assert_eq!(e.kind, ExitKind::Usage);
    assert!(e.message.contains("cycle"));
    let c = Step::new("c", plan(), |_| async { Ok(Done::new(String::new())) })
        .needs(["zz".to_string()]);
    assert!(Runner::validate(&[c])
        .unwrap_err()
        .message
        .contains("unknown step \"zz\""));
}
