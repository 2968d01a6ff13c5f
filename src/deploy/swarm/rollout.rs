//! The phases of a swarm rollout after swarm has done its part: holding the new tasks to the gate,
//! devloop's own rollback, an identical spec (judged, never re-sent), a new service's first tasks,
//! and reporting tasks that had to be killed after their grace period.

use std::time::{Duration, Instant};

use bollard::models::TaskState;
use bollard::query_parameters::UpdateServiceOptionsBuilder;

use super::progress::task_release;
use super::{find_service, tasks, Swarm, POLL};
use crate::deploy::{remaining, Failure, Health, Outcome, Target};
use crate::docker::connect::api_error;
use crate::engine::StepCtx;
use crate::error::Result;
use crate::release::Record;

impl Swarm {
    /// Ask swarm to put the previous spec back, and wait until the previous release runs again.
    pub(super) async fn roll_back(
        &self,
        was: &str,
        why: String,
        deadline: Instant,
        ctx: &StepCtx,
    ) -> Result<Outcome> {
        let daemon = self.daemon().await?;
        let name = self.name();
        let Some(svc) = find_service(daemon, &name).await? else {
            return Ok(Outcome::Failed(Failure::new(format!(
                "{why}; service {name} disappeared"
            ))));
        };
        let spec = svc.spec.clone().unwrap_or_default();
        let version = svc.version.and_then(|v| v.index).unwrap_or(0);
        let opts = UpdateServiceOptionsBuilder::default()
            .version(version as i32)
            .rollback("previous")
            .build();
        ctx.progress(format!("{why}; rolling service {name} back to {was}"));
        daemon
            .client
            .update_service(&name, spec, opts, None)
            .await
            .map_err(|e| api_error(&format!("cannot roll service {name} back"), e))?;
        let deadline = deadline.max(crate::config::duration::deadline_in(Duration::from_secs(
            60,
        )));
        loop {
            ctx.check_cancelled()?;
            let p = self.progress(was).await?;
            if p.running >= self.replicas() {
                return Ok(Outcome::RolledBack(Failure::new(format!(
                    "{why}; devloop rolled service {name} back to {was}"
                ))));
            }
            if Instant::now() >= deadline {
                return Ok(Outcome::Failed(Failure::new(format!(
                    "{why}; devloop asked swarm to roll service {name} back to {was}, but only {}/{} of its tasks run",
                    p.running,
                    self.replicas()
                )).hint(format!("check `docker service ps {name}`"))));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Swarm reports the update done: hold the new tasks to the gate.
    pub(super) async fn gate_update(
        &self,
        record: &Record,
        was: Option<&str>,
        deadline: Instant,
        ctx: &StepCtx,
        done: String,
    ) -> Result<Outcome> {
        if !self.probes_tasks() {
            return Ok(Outcome::Deployed(done));
        }
        match self.judge(&record.id, deadline, Some(ctx)).await? {
            Health::Healthy(how) => Ok(Outcome::Deployed(format!("{done}, healthy by {how}"))),
            bad => {
                let why = format!(
                    "release {} is {} ({})",
                    record.id,
                    bad.label(),
                    bad.reason()
                );
                match was {
                    Some(was) => self.roll_back(was, why, deadline, ctx).await,
                    None => {
                        let name = self.name();
                        Ok(Outcome::Failed(
                            Failure::new(format!(
                                "{why}; there is no previous release, so service {name} runs an unhealthy release"
                            ))
                            .hint(format!(
                                "fix the release and deploy again, or remove the service with `docker service rm {name}`"
                            )),
                        ))
                    }
                }
            }
        }
    }

    /// Say so when tasks of the previous release ignored their stop signal and were killed after
    /// the grace period (exit code 137 without running out of memory).
    pub(super) async fn warn_killed(&self, release: &str, ctx: &StepCtx) -> Result<()> {
        let daemon = self.daemon().await?;
        let killed = tasks(daemon, &self.name())
            .await?
            .iter()
            .filter(|t| task_release(t) == Some(release))
            .filter(|t| t.desired_state == Some(TaskState::SHUTDOWN))
            .filter(|t| {
                t.status
                    .as_ref()
                    .and_then(|s| s.container_status.as_ref())
                    .and_then(|c| c.exit_code)
                    == Some(137)
            })
            .count();
        if killed > 0 {
            let grace = self
                .settings
                .stop_grace_period
                .map(|d| d.get())
                .unwrap_or(Duration::from_secs(10));
            ctx.warn(format!(
                "{killed} task(s) of {release} did not exit within {} of their stop signal and were killed: make the app's main process handle the signal (exec it from the entrypoint, or set STOPSIGNAL), or set deploy.swarm.stop_signal or deploy.swarm.stop_grace_period",
                humantime::format_duration(grace)
            ));
        }
        Ok(())
    }

    /// The service already has this image and these settings (as release `current`): wait for
    /// its tasks and hold them to the gate, changing nothing.
    pub(super) async fn settle_same(
        &self,
        current: &str,
        record: &Record,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<Outcome> {
        let name = self.name();
        let replicas = self.replicas();
        let same = if current == record.id {
            format!("release {current}")
        } else {
            format!("release {current}, the same image as {}", record.id)
        };
        loop {
            ctx.check_cancelled()?;
            let p = self.progress(current).await?;
            if p.running >= replicas {
                return Ok(match self.judge(current, deadline, Some(ctx)).await? {
                    Health::Healthy(how) => Outcome::Unchanged(format!(
                        "service {name} already runs {same} with the same settings on {}/{replicas} tasks, healthy by {how}; nothing changed",
                        p.running
                    )),
                    Health::Unhealthy(why) => Outcome::Failed(
                        Failure::new(format!(
                            "service {name} already runs {same} with the same settings, and it is unhealthy: {why}"
                        ))
                        .hint("deploy a fixed release, or put the previous one back with `devloop rollback`"),
                    ),
                    Health::Starting(why) => Outcome::TimedOut(Failure::new(format!(
                        "service {name} runs {same}, but it was not healthy before the deadline: {why}"
                    ))),
                });
            }
            if Instant::now() >= deadline {
                return Ok(Outcome::TimedOut(Failure::new(format!(
                    "service {name} already has {same} with the same settings, but only {}/{replicas} of its tasks run{}; swarm may still be starting them",
                    p.running,
                    p.error.map(|e| format!(" (latest task: {e})")).unwrap_or_default()
                ))));
            }
            ctx.progress(format!("{same}: {}/{replicas} tasks running", p.running));
            tokio::time::sleep(POLL.min(remaining(deadline))).await;
        }
    }

    pub(super) async fn wait_created(
        &self,
        record: &Record,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<Outcome> {
        let name = self.name();
        let replicas = self.replicas();
        loop {
            ctx.check_cancelled()?;
            let p = self.progress(&record.id).await?;
            if p.running >= replicas {
                let done = format!(
                    "service {name} created with release {} on {}/{replicas} tasks",
                    record.id, p.running
                );
                return self.gate_update(record, None, deadline, ctx, done).await;
            }
            if p.failed >= replicas * 3 {
                return Ok(Outcome::Failed(Failure::new(format!(
                    "the tasks of new service {name} keep failing ({} failed): {}",
                    p.failed,
                    p.error.unwrap_or_default()
                ))
                .hint("there is no previous release to go back to; fix the release or remove the service")));
            }
            if Instant::now() >= deadline {
                return Ok(Outcome::TimedOut(Failure::new(format!(
                    "service {name} did not reach {replicas} running tasks before the deadline ({} running{}); swarm may still be trying",
                    p.running,
                    p.error.as_ref().map(|e| format!("; latest task: {e}")).unwrap_or_default()
                ))));
            }
            ctx.progress(format!(
                "starting: {}/{replicas} tasks running{}",
                p.running,
                p.error.map(|e| format!(" ({e})")).unwrap_or_default()
            ));
            tokio::time::sleep(POLL.min(remaining(deadline))).await;
        }
    }
}
