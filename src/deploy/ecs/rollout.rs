//! A rollout on ECS over time: registering the revision (unless identical), updating the service,
//! the verdict of the watch as an outcome, devloop's own rollback, and stopping a deployment in
//! progress.

use std::time::{Duration, Instant, SystemTime};

use aws_sdk_ecs::types::{ServiceDeploymentStatus, StopServiceDeploymentStopType};
use aws_sdk_ecs::Client;
use aws_smithy_types::DateTime;

use super::deployments::latest_service_deployment;
use super::verdict::{backoff, judge, next_poll, revision, steady, Progress, POLL_MIN};
use super::{Ecs, Live};
use crate::aws::sdk_error;
use crate::config::schema::RollbackMode;
use crate::deploy::{remaining, Failure, Outcome, Target};
use crate::engine::StepCtx;
use crate::error::Result;
use crate::release::Record;

impl Ecs {
    pub(super) async fn update(&self, client: &Client, task_def: &str) -> Result<()> {
        self.update_to(client, task_def, self.settings.desired_count)
            .await
    }

    /// Update the service to `task_def` (and `desired`, when given).
    async fn update_to(&self, client: &Client, task_def: &str, desired: Option<i32>) -> Result<()> {
        let s = &self.settings;
        client
            .update_service()
            .cluster(&s.cluster)
            .service(&s.service)
            .task_definition(task_def)
            .set_desired_count(desired)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("cannot update ECS service {}", s.service), e))?;
        Ok(())
    }

    /// Put the service back on `arn` (the revision it ran before a set's deploy) with its
    /// desired count, registering nothing, and watch that deployment to a verdict. A service
    /// already steady on it (ECS rolled it back itself) is left as it is.
    pub(super) async fn go_back(
        &self,
        client: &Client,
        service: &aws_sdk_ecs::types::Service,
        arn: &str,
        desired: Option<i32>,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<Outcome> {
        let name = self.name();
        let current = service.task_definition().unwrap_or_default().to_string();
        let mut probe = None;
        let count_ok = desired.is_none_or(|n| n == service.desired_count());
        if current == arn && count_ok && judge(service, arn, arn, &mut probe) == Progress::Done {
            return Ok(Outcome::Deployed(format!(
                "ECS service {name} runs {} again",
                revision(arn)
            )));
        }
        let since = DateTime::from(SystemTime::now());
        self.update_to(client, arn, desired).await?;
        ctx.progress(format!("updated {name} back to {}", revision(arn)));
        Ok(
            match self
                .watch(client, arn, &current, since, ctx, deadline)
                .await?
            {
                Progress::Done => Outcome::Deployed(format!(
                    "ECS service {name} runs {} again on every desired task",
                    revision(arn)
                )),
                Progress::Changing(state) => Outcome::TimedOut(Failure::new(format!(
                    "ECS service {name} did not settle back on {} before the deadline: {state}",
                    revision(arn)
                ))),
                Progress::RolledBack(why) | Progress::Failed(why) | Progress::Superseded(why) => {
                    Outcome::Failed(Failure::new(format!(
                        "ECS service {name} did not get back on {}: {why}",
                        revision(arn)
                    )))
                }
            },
        )
    }
    /// Register (unless identical), update the service and watch the deployment to a verdict.
    pub(super) async fn rollout(
        &self,
        client: &Client,
        live: Live,
        record: &Record,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<Outcome> {
        let previous = live
            .task_def
            .task_definition_arn()
            .unwrap_or_default()
            .to_string();
        let proposed = self.proposed(&self.base(&live.task_def)?, &record.image);
        let name = self.name();
        // A service `devloop provision` made before the first release runs no task, from a
        // placeholder image: its first deploy starts one (unless the config says more), and a
        // failure puts it back to no task. A service someone scaled to 0 stays at 0.
        let first = live.service.desired_count() == 0
            && self
                .image_in(&live.task_def)
                .is_some_and(|i| i.ends_with(&format!(":{}", crate::release::NO_RELEASE_YET)));
        let desired = match self.settings.desired_count {
            None if first => {
                ctx.log(format!(
                    "{name} runs no task (desired count 0): starting 1 (set deploy.ecs.desired_count for more)"
                ));
                Some(1)
            }
            n => n,
        };
        let ours = if self.same_as_live(&live.task_def, &proposed) {
            let mut probe = None;
            let steady = judge(&live.service, &previous, &previous, &mut probe) == Progress::Done;
            let count_ok = desired.is_none_or(|n| n == live.service.desired_count());
            if steady && count_ok {
                return Ok(Outcome::Unchanged(format!(
                    "ECS service {name} already runs {} with this image and these settings; nothing registered, nothing updated",
                    revision(&previous)
                )));
            }
            ctx.log(format!(
                "{} already has this image and these settings; updating the service to it",
                revision(&previous)
            ));
            previous.clone()
        } else {
            let arn = self.register(client, &proposed, record, &live.tags).await?;
            ctx.log(format!("registered {}", revision(&arn)));
            arn
        };
        // What the service ran before: the live revision read above, the one a rollback restores.
        let was = previous.clone();
        let since = DateTime::from(SystemTime::now());
        self.update_to(client, &ours, desired).await?;
        ctx.progress(format!("updated {name} to {}", revision(&ours)));
        let verdict = self
            .watch(client, &ours, &was, since, ctx, deadline)
            .await?;
        if first && verdict != Progress::Done {
            return self
                .back_to_no_task(client, record, &verdict, &was, ctx, deadline)
                .await;
        }
        let rollback_hint = format!(
            "roll back with `devloop rollback -e {}`",
            self.project.config.env_name()
        );
        Ok(match verdict {
            Progress::Done => Outcome::Deployed(format!(
                "ECS service {name} runs {} (release {}) on every desired task",
                revision(&ours),
                record.id
            )),
            Progress::RolledBack(why) => Outcome::RolledBack(Failure::new(format!(
                "release {} did not deploy: {why}",
                record.id
            ))),
            Progress::Superseded(why) => Outcome::Failed(Failure::new(format!(
                "release {}: {why}; devloop does not know what the service will run",
                record.id
            ))),
            Progress::Failed(why) if self.settings.rollback == RollbackMode::Auto && ours != was => {
                self.roll_back(client, why, &ours, &was, ctx, deadline)
                    .await?
            }
            Progress::Failed(why) => Outcome::Failed(Failure::new(why).hint(rollback_hint)),
            Progress::Changing(state) => Outcome::TimedOut(
                Failure::new(format!(
                    "ECS service {name} did not settle on {} before the deadline: {state}; ECS may still be changing it",
                    revision(&ours)
                ))
                .hint(rollback_hint),
            ),
        })
    }

    /// A first release that did not get healthy on a service that ran no task: back to its
    /// placeholder revision with no task, as provisioned (exit 3), with time of its own.
    async fn back_to_no_task(
        &self,
        client: &Client,
        record: &Record,
        verdict: &Progress,
        was: &str,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<Outcome> {
        let name = self.name();
        let why = match verdict {
            Progress::RolledBack(w) | Progress::Failed(w) | Progress::Superseded(w) => w.clone(),
            Progress::Changing(state) => format!("it did not settle before the deadline: {state}"),
            Progress::Done => String::new(),
        };
        ctx.warn(format!(
            "{why}; putting {name} back to no task, as before its first release"
        ));
        let svc = self.service_patiently(client).await?;
        let back = deadline.max(crate::config::duration::deadline_in(Duration::from_secs(
            300,
        )));
        Ok(
            match self.go_back(client, &svc, was, Some(0), ctx, back).await? {
                Outcome::Deployed(_) => Outcome::RolledBack(Failure::new(format!(
                    "release {} did not deploy: {why}; ECS service {name} runs no task again, as before its first release",
                    record.id
                ))),
                other => Outcome::Failed(Failure::new(format!(
                    "release {} did not deploy: {why}; putting {name} back to no task did not settle: {}",
                    record.id,
                    match other {
                        Outcome::Failed(f) | Outcome::TimedOut(f) | Outcome::RolledBack(f) => f.message,
                        Outcome::Deployed(m) | Outcome::Unchanged(m) => m,
                    }
                ))),
            },
        )
    }

    /// devloop's rollback after `ours` failed: the service updated back to `was`, and that
    /// deployment watched (with time of its own: the release's deadline is spent).
    async fn roll_back(
        &self,
        client: &Client,
        why: String,
        ours: &str,
        was: &str,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<Outcome> {
        let name = self.name();
        ctx.warn(format!("{why}; rolling back to {}", revision(was)));
        let since = DateTime::from(SystemTime::now());
        self.update(client, was).await?;
        let back = deadline.max(crate::config::duration::deadline_in(Duration::from_secs(
            300,
        )));
        Ok(match self.watch(client, was, ours, since, ctx, back).await? {
            Progress::Done => Outcome::RolledBack(Failure::new(format!(
                "{why}; devloop rolled ECS service {name} back to {}",
                revision(was)
            ))),
            other => Outcome::Failed(
                Failure::new(format!(
                    "{why}; devloop rolled ECS service {name} back to {}, but that deployment has not settled: {other:?}",
                    revision(was)
                ))
                .hint("check the service in the ECS console or with `devloop monitor`"),
            ),
        })
    }

    /// Stop the in-progress service deployment `arn` with a rollback, and wait until the
    /// service is steady again on one deployment.
    pub(super) async fn stop_with_rollback(
        &self,
        client: &Client,
        arn: &str,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<Outcome> {
        let since = DateTime::from(SystemTime::now());
        client
            .stop_service_deployment()
            .service_deployment_arn(arn)
            .stop_type(StopServiceDeploymentStopType::Rollback)
            .send()
            .await
            .map_err(|e| sdk_error("cannot stop the service deployment in progress", e))?;
        ctx.log(format!(
            "stopped the deployment in progress ({}) with a rollback",
            revision(arn)
        ));
        let name = self.name();
        let (mut poll, mut last) = (POLL_MIN, 0);
        loop {
            ctx.check_cancelled()?;
            // A throttled or failed read is no news: the pace slows, the deadline still holds.
            let svc = match self.service(client).await {
                Ok(svc) => svc,
                Err(e) if e.transient => {
                    if Instant::now() >= deadline {
                        return Ok(Outcome::TimedOut(Failure::new(format!(
                            "ECS service {name} did not settle after the rollback before the deadline; the last read got no answer ({})",
                            e.message
                        ))));
                    }
                    ctx.progress(format!("no news from ECS ({}); asking again", e.message));
                    poll = backoff(poll);
                    tokio::time::sleep(poll.min(remaining(deadline))).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let deps = svc.deployments();
            if let [only] = deps {
                if only.status() == Some("PRIMARY") && steady(only) {
                    return Ok(Outcome::Deployed(format!(
                        "stopped the deployment in progress; ECS rolled {name} back to {}, which runs {} of {} tasks",
                        only.task_definition().map(revision).unwrap_or("?"),
                        only.running_count(),
                        only.desired_count()
                    )));
                }
            }
            if let Ok(Some(d)) = latest_service_deployment(client, &self.settings, since).await {
                if d.status() == Some(&ServiceDeploymentStatus::RollbackFailed) {
                    return Ok(Outcome::Failed(Failure::new(format!(
                        "ECS could not roll {name} back: {}",
                        d.status_reason().unwrap_or("no reason given")
                    ))));
                }
            }
            if Instant::now() >= deadline {
                return Ok(Outcome::TimedOut(Failure::new(format!(
                    "ECS service {name} did not settle after the rollback before the deadline ({} deployments)",
                    deps.len()
                ))));
            }
            ctx.progress(format!(
                "rolling back: {} deployment(s) on the service",
                deps.len()
            ));
            poll = next_poll(poll, deps.len() != last);
            last = deps.len();
            tokio::time::sleep(poll.min(remaining(deadline))).await;
        }
    }
}
