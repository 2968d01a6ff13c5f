//! The ECS verdict on service states shaped as DescribeServices documents them: a rollout that
//! completes, a circuit-breaker rollback, a failure without rollback, another deployment taking
//! over, and moto's picture (the PRIMARY deployment never names the new revision).

use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState, Service};

use super::verdict::{judge, Progress};

const OLD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1";
const NEW: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2";

fn dep(
    id: &str,
    status: &str,
    td: &str,
    (desired, running): (i32, i32),
    rollout: Option<DeploymentRolloutState>,
) -> Deployment {
    Deployment::builder()
        .id(id)
        .status(status)
        .task_definition(td)
        .desired_count(desired)
        .running_count(running)
        .pending_count(desired - running)
        .failed_tasks(0)
        .set_rollout_state(rollout)
        .rollout_state_reason("ECS deployment circuit breaker: tasks failed to start.")
        .build()
}

fn service(deps: Vec<Deployment>) -> Service {
    Service::builder()
        .status("ACTIVE")
        .set_deployments(Some(deps))
        .build()
}

use DeploymentRolloutState::{Completed, Failed, InProgress};

#[test]
fn a_rollout_succeeds_only_once_it_completes_with_the_desired_count_running() {
    let mut ours = None;
    let sequence = [
        vec![
            dep("ecs-svc/2", "PRIMARY", NEW, (2, 0), Some(InProgress)),
            dep("ecs-svc/1", "ACTIVE", OLD, (2, 2), Some(Completed)),
        ],
        vec![
            dep("ecs-svc/2", "PRIMARY", NEW, (2, 2), Some(InProgress)),
            dep("ecs-svc/1", "ACTIVE", OLD, (0, 1), Some(Completed)),
        ],
        vec![dep("ecs-svc/2", "PRIMARY", NEW, (2, 2), Some(InProgress))],
    ];
    for deps in sequence {
        assert!(matches!(
            judge(&service(deps), NEW, OLD, &mut ours),
            Progress::Changing(_)
        ));
    }
    let done = vec![dep("ecs-svc/2", "PRIMARY", NEW, (2, 2), Some(Completed))];
    assert_eq!(judge(&service(done), NEW, OLD, &mut ours), Progress::Done);
}

#[test]
fn a_circuit_breaker_rollback_is_rolled_back_once_the_old_revision_runs_again() {
    let mut ours = None;
    let start = vec![
        dep("ecs-svc/2", "PRIMARY", NEW, (2, 0), Some(InProgress)),
        dep("ecs-svc/1", "ACTIVE", OLD, (2, 2), Some(Completed)),
    ];
    assert!(matches!(
        judge(&service(start), NEW, OLD, &mut ours),
        Progress::Changing(_)
    ));
    // ECS promotes the old deployment back to PRIMARY; ours is FAILED and draining.
    let rolling = vec![
        dep("ecs-svc/1", "PRIMARY", OLD, (2, 1), Some(InProgress)),
        dep("ecs-svc/2", "ACTIVE", NEW, (0, 0), Some(Failed)),
    ];
    assert!(matches!(
        judge(&service(rolling), NEW, OLD, &mut ours),
        Progress::Changing(what) if what.contains("rolling back")
    ));
    let back = vec![dep("ecs-svc/1", "PRIMARY", OLD, (2, 2), Some(Completed))];
    match judge(&service(back), NEW, OLD, &mut ours) {
        Progress::RolledBack(why) => assert!(why.contains("web:1"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_failed_deployment_without_rollback_is_a_failure() {
    let mut ours = None;
    let failed = vec![dep("ecs-svc/2", "PRIMARY", NEW, (2, 0), Some(Failed))];
    match judge(&service(failed), NEW, OLD, &mut ours) {
        Progress::Failed(why) => assert!(why.contains("circuit breaker"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn another_deployment_during_ours_is_never_taken_for_it() {
    let mut ours = None;
    let start = vec![
        dep("ecs-svc/2", "PRIMARY", NEW, (2, 1), Some(InProgress)),
        dep("ecs-svc/1", "ACTIVE", OLD, (2, 2), Some(Completed)),
    ];
    assert!(matches!(
        judge(&service(start), NEW, OLD, &mut ours),
        Progress::Changing(_)
    ));
    let theirs = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3";
    let other = vec![
        dep("ecs-svc/3", "PRIMARY", theirs, (2, 2), Some(Completed)),
        dep("ecs-svc/2", "ACTIVE", NEW, (0, 1), Some(InProgress)),
    ];
    assert!(matches!(
        judge(&service(other), NEW, OLD, &mut ours),
        Progress::Superseded(why) if why.contains("web:3")
    ));
}

#[test]
fn polling_adapts_and_never_waits_longer_than_its_maximum() {
    use super::verdict::{next_poll, POLL_MAX, POLL_MIN};
    let mut poll = POLL_MIN;
    for _ in 0..20 {
        poll = next_poll(poll, false);
        assert!(poll <= POLL_MAX);
    }
    assert_eq!(poll, POLL_MAX);
    assert_eq!(next_poll(poll, true), POLL_MIN);
    assert!(POLL_MAX < std::time::Duration::from_secs(2));
}

#[test]
fn moto_s_picture_never_succeeds() {
    // After UpdateService, moto keeps one COMPLETED PRIMARY deployment naming the old revision.
    let mut ours = None;
    let deps = vec![dep("ecs-svc/1", "PRIMARY", OLD, (1, 1), Some(Completed))];
    for _ in 0..3 {
        assert!(matches!(
            judge(&service(deps.clone()), NEW, OLD, &mut ours),
            Progress::Changing(what) if what.contains("has not started a deployment")
        ));
    }
}

mod fixture;
mod lock;
mod monitor;
mod reports;
mod revision;
mod rollout;
mod template;
