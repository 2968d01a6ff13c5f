//! The ECS verdict: where the deployment devloop started stands, read from the service's
//! `deployments[]`, and how often to look. Pure functions over SDK types, so every rule is tested
//! on service states shaped as DescribeServices documents them.

use std::time::Duration;

use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState, Service};

/// How often the service is read while a deployment runs: soon after a change, less often while
/// nothing moves, never more than `POLL_MAX` apart, so a verdict is printed within that (plus one
/// DescribeServices call) of the service reaching it.
pub const POLL_MIN: Duration = Duration::from_millis(250);
pub const POLL_MAX: Duration = Duration::from_millis(1500);

/// The next wait: back to the minimum when what the service reports changed, else 1.5× longer.
pub fn next_poll(poll: Duration, changed: bool) -> Duration {
    if changed {
        POLL_MIN
    } else {
        poll.mul_f64(1.5).min(POLL_MAX)
    }
}

/// The wait after a throttled or failed read: twice as long, up to 10 s.
pub fn backoff(poll: Duration) -> Duration {
    (poll * 2).clamp(POLL_MIN, Duration::from_secs(10))
}

/// Where a deployment stands, read from the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Our deployment is PRIMARY, completed, and runs the desired count.
    Done,
    /// ECS put the previous revision back and it runs again.
    RolledBack(String),
    /// Our deployment failed and ECS did not roll it back.
    Failed(String),
    /// Another deployment (not ours, not the previous revision) took over.
    Superseded(String),
    /// Still changing: what it is doing.
    Changing(String),
}

pub fn revision(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

pub fn steady(d: &Deployment) -> bool {
    d.rollout_state() != Some(&DeploymentRolloutState::InProgress)
        && d.running_count() == d.desired_count()
}

/// Judge the service against the deployment of `ours` (a task definition ARN) that replaced
/// `previous`. `ours_id` remembers which deployment is ours once it has been seen, so a
/// deployment someone else starts meanwhile is never taken for it.
pub fn judge(svc: &Service, ours: &str, previous: &str, ours_id: &mut Option<String>) -> Progress {
    let deps = svc.deployments();
    let Some(primary) = deps.iter().find(|d| d.status() == Some("PRIMARY")) else {
        return Progress::Changing("the service has no PRIMARY deployment yet".into());
    };
    if ours_id.is_none() && primary.task_definition() == Some(ours) {
        *ours_id = primary.id().map(str::to_string);
    }
    let mine = ours_id
        .as_deref()
        .and_then(|id| deps.iter().find(|d| d.id() == Some(id)));
    let counts = |d: &Deployment| {
        format!(
            "{} of {} running, {} pending, {} failed",
            d.running_count(),
            d.desired_count(),
            d.pending_count(),
            d.failed_tasks()
        )
    };
    let reason = |d: Option<&Deployment>| {
        d.and_then(|d| d.rollout_state_reason())
            .unwrap_or("no reason given")
            .to_string()
    };
    match mine {
        Some(m) if m.id() == primary.id() => match m.rollout_state() {
            Some(DeploymentRolloutState::Failed) => Progress::Failed(format!(
                "the deployment of {} failed: {}",
                revision(ours),
                reason(Some(m))
            )),
            Some(DeploymentRolloutState::Completed) | None
                if deps.len() == 1 && m.running_count() == m.desired_count() =>
            {
                Progress::Done
            }
            Some(st)
                if !matches!(
                    st,
                    DeploymentRolloutState::InProgress
                        | DeploymentRolloutState::Completed
                        | DeploymentRolloutState::Failed
                ) =>
            {
                Progress::Changing(format!(
                    "{}: rollout state \"{}\", which devloop does not know; {}",
                    revision(ours),
                    st.as_str(),
                    counts(m)
                ))
            }
            _ => Progress::Changing(format!(
                "{}: {}{}",
                revision(ours),
                counts(m),
                if deps.len() > 1 {
                    format!("; {} older deployment(s) draining", deps.len() - 1)
                } else {
                    String::new()
                }
            )),
        },
        // Ours was seen and is no longer PRIMARY (or gone): who took over?
        _ if ours_id.is_some() => {
            if primary.task_definition() == Some(previous) {
                if steady(primary) {
                    Progress::RolledBack(format!(
                        "ECS rolled the service back to {} ({})",
                        revision(previous),
                        reason(mine)
                    ))
                } else {
                    Progress::Changing(format!(
                        "ECS is rolling back to {}: {}",
                        revision(previous),
                        counts(primary)
                    ))
                }
            } else {
                Progress::Superseded(format!(
                    "another deployment ({}) started while devloop's ran",
                    primary.task_definition().map(revision).unwrap_or("unknown")
                ))
            }
        }
        _ => Progress::Changing(format!(
            "ECS has not started a deployment of {} yet; the PRIMARY deployment runs {} ({})",
            revision(ours),
            primary.task_definition().map(revision).unwrap_or("unknown"),
            counts(primary)
        )),
    }
}
