//! The tasks of one release: how many run and fail (and the latest reason one is not running),
//! their containers, and the health gate's verdict on them.

use std::time::Instant;

use bollard::models::TaskState;

use super::{tasks, Swarm};
use crate::deploy::health::{self, Health};
use crate::deploy::{Target, LABEL_RELEASE};
use crate::docker::connect::{api_error, is_not_found};
use crate::docker::container::Container;
use crate::engine::StepCtx;
use crate::error::{Error, Result};

/// Tasks of one release: how many run, how many failed, the latest reason one is not running.
pub(super) struct Progress {
    pub(super) running: usize,
    pub(super) failed: usize,
    pub(super) error: Option<String>,
}

pub(super) fn task_release(t: &bollard::models::Task) -> Option<&str> {
    t.spec
        .as_ref()?
        .container_spec
        .as_ref()?
        .labels
        .as_ref()?
        .get(LABEL_RELEASE)
        .map(String::as_str)
}

pub(super) fn running(t: &bollard::models::Task) -> bool {
    t.status.as_ref().and_then(|s| s.state) == Some(TaskState::RUNNING)
}

impl Swarm {
    pub(super) async fn progress(&self, release: &str) -> Result<Progress> {
        let daemon = self.daemon().await?;
        let all = tasks(daemon, &self.name()).await?;
        let ours: Vec<_> = all
            .iter()
            .filter(|t| task_release(t) == Some(release))
            .collect();
        let failed: Vec<_> = ours
            .iter()
            .filter(|t| {
                matches!(
                    t.status.as_ref().and_then(|s| s.state),
                    Some(TaskState::FAILED | TaskState::REJECTED)
                )
            })
            .collect();
        // The latest reason a task of this release is failing or not running yet
        // (for example "no suitable node (host-mode port already in use on 1 node)").
        let mut waiting = ours
            .iter()
            .filter(|t| t.desired_state == Some(TaskState::RUNNING) && !running(t));
        let error = failed
            .last()
            .copied()
            .or(waiting.next_back())
            .and_then(|t| {
                let s = t.status.as_ref()?;
                s.err
                    .clone()
                    .or(s.message.clone())
                    .filter(|m| !m.is_empty())
            });
        Ok(Progress {
            running: ours
                .iter()
                .filter(|t| running(t) && t.desired_state == Some(TaskState::RUNNING))
                .count(),
            failed: failed.len(),
            error,
        })
    }

    /// The containers of the running tasks of `release`, on the daemon devloop talks to.
    pub(super) async fn task_containers(&self, release: &str) -> Result<Vec<Container>> {
        let daemon = self.daemon().await?;
        let mut out = Vec::new();
        for t in tasks(daemon, &self.name()).await? {
            if task_release(&t) != Some(release)
                || !running(&t)
                || t.desired_state != Some(TaskState::RUNNING)
            {
                continue;
            }
            let id = t
                .status
                .as_ref()
                .and_then(|s| s.container_status.as_ref())
                .and_then(|c| c.container_id.clone())
                .unwrap_or_default();
            match daemon.client.inspect_container(&id, None).await {
                Ok(_) => out.push(Container::existing(daemon, &id, &format!("{}.{}", self.name(), t.slot.unwrap_or(0)))),
                Err(e) if is_not_found(&e) => {
                    return Err(Error::usage(format!(
                        "task {}.{} runs on node {}, which devloop cannot reach to probe it over HTTP or TCP",
                        self.name(),
                        t.slot.unwrap_or(0),
                        t.node_id.clone().unwrap_or_default()
                    ))
                    .with_hint("point devloop at a daemon that runs the tasks, or use [deploy.health].command, which swarm runs inside every task"))
                }
                Err(e) => return Err(api_error("cannot inspect a task's container", e)),
            }
        }
        Ok(out)
    }

    /// The gate's verdict on every running task of `release` (worst wins; no task is unhealthy).
    pub(super) async fn judge(
        &self,
        release: &str,
        deadline: Instant,
        ctx: Option<&StepCtx>,
    ) -> Result<Health> {
        let containers = self.task_containers(release).await?;
        if containers.is_empty() {
            return Ok(Health::Unhealthy(format!(
                "no task of {release} is running"
            )));
        }
        let mut healthy = None;
        for c in &containers {
            match health::judge(c, &self.gate, deadline, ctx).await? {
                Health::Healthy(how) => healthy = Some(how),
                other => {
                    return Ok(match other {
                        Health::Unhealthy(why) => {
                            Health::Unhealthy(format!("task {}: {why}", c.name))
                        }
                        Health::Starting(why) => {
                            Health::Starting(format!("task {}: {why}", c.name))
                        }
                        h => h,
                    })
                }
            }
        }
        Ok(Health::Healthy(healthy.unwrap_or_default()))
    }
}
