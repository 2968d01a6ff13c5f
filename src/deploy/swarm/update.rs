//! Swarm's part of a rollout: the service created or updated (an identical spec is judged, never
//! re-sent), then the update watched through the service's UpdateStatus and its tasks until swarm
//! completes it, rolls it back, pauses it, or the deadline passes.

use std::time::Instant;

use bollard::models::ServiceUpdateStatusStateEnum;
use bollard::query_parameters::UpdateServiceOptionsBuilder;

use super::{find_service, Swarm, LABEL_IMAGE_ID, POLL};
use crate::deploy::{remaining, Failure, Outcome, Rollout, Target, LABEL_RELEASE, LABEL_SPEC};
use crate::docker::connect::api_error;
use crate::docker::Daemon;
use crate::engine::StepCtx;
use crate::error::Result;
use crate::release::Record;

impl Swarm {
    /// The service created or updated (under the lock) and watched to a verdict.
    pub(super) async fn update(
        &self,
        record: &Record,
        ctx: &StepCtx,
        how: &Rollout,
    ) -> Result<Outcome> {
        let deadline = how.deadline;
        let daemon = self.daemon().await?;
        let name = self.name();
        crate::deploy::ensure_image(&self.project, record, ctx).await?;
        let (spec, digest) = self.service_spec(record, ctx);
        let Some(svc) = find_service(daemon, &name).await? else {
            daemon
                .client
                .create_service(spec, None)
                .await
                .map_err(|e| api_error(&format!("cannot create service {name}"), e))?;
            return self.wait_created(record, ctx, deadline).await;
        };
        let current = svc
            .spec
            .as_ref()
            .and_then(|s| s.labels.clone())
            .unwrap_or_default();
        let current_release = current.get(LABEL_RELEASE).cloned();
        let same = current.get(LABEL_SPEC) == Some(&digest)
            && current.get(LABEL_IMAGE_ID) == Some(&record.image_id);
        if let (true, Some(r)) = (same, &current_release) {
            // An update to an identical spec starts nothing in swarm: judge what runs instead.
            return self.settle_same(r, record, ctx, deadline).await;
        }
        let before = format!("{:?}", svc.update_status);
        let version = svc.version.and_then(|v| v.index).unwrap_or(0);
        let opts = UpdateServiceOptionsBuilder::default()
            .version(version as i32)
            .build();
        daemon
            .client
            .update_service(&name, spec, opts, None)
            .await
            .map_err(|e| api_error(&format!("cannot update service {name}"), e))?;
        let was = current_release.unwrap_or_else(|| "the previous release".into());
        self.watch_update(daemon, record, &was, &before, ctx, deadline)
            .await
    }

    /// Watch swarm's update of the service from `was` to `record` until a verdict or the
    /// deadline. `before` is the UpdateStatus read before the update: until it changes, what
    /// swarm reports is the previous update's.
    async fn watch_update(
        &self,
        daemon: &Daemon,
        record: &Record,
        was: &str,
        before: &str,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<Outcome> {
        let name = self.name();
        let replicas = self.replicas();
        loop {
            ctx.check_cancelled()?;
            let svc = daemon
                .client
                .inspect_service(&name, None)
                .await
                .map_err(|e| api_error(&format!("cannot inspect service {name}"), e))?;
            let status = svc.update_status.clone();
            // Until swarm reports on this update, the status is the previous update's.
            let fresh = format!("{status:?}") != before;
            let state = status.as_ref().and_then(|s| s.state).filter(|_| fresh);
            let message = status
                .as_ref()
                .and_then(|s| s.message.clone())
                .unwrap_or_default();
            let p = self.progress(&record.id).await?;
            match state {
                Some(ServiceUpdateStatusStateEnum::COMPLETED) if p.running >= replicas => {
                    self.warn_killed(was, ctx).await?;
                    let done = format!(
                        "service {name} runs release {} on {}/{replicas} tasks (was {was})",
                        record.id, p.running
                    );
                    return self
                        .gate_update(record, Some(was), deadline, ctx, done)
                        .await;
                }
                Some(ServiceUpdateStatusStateEnum::ROLLBACK_COMPLETED) => {
                    let why = p
                        .error
                        .as_ref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default();
                    // "Back on the previous release" must be true, not just reported: wait for its tasks.
                    let back = self.progress(was).await?;
                    if back.running >= replicas {
                        return Ok(Outcome::RolledBack(Failure::new(format!(
                            "swarm rolled service {name} back to {was}: {message}{why}"
                        ))));
                    }
                    ctx.progress(format!(
                        "rolled back; waiting for {was}: {}/{replicas} tasks running",
                        back.running
                    ));
                }
                Some(ServiceUpdateStatusStateEnum::PAUSED)
                | Some(ServiceUpdateStatusStateEnum::ROLLBACK_PAUSED) => {
                    return Ok(Outcome::Failed(Failure::new(format!(
                        "the update of service {name} is paused: {message}{}",
                        p.error.map(|e| format!(" (task error: {e})")).unwrap_or_default()
                    ))
                    .hint("inspect it with `docker service ps`; `devloop rollback` puts the previous release back")));
                }
                Some(ServiceUpdateStatusStateEnum::ROLLBACK_STARTED) => {
                    ctx.progress(format!("swarm is rolling back: {message}"))
                }
                _ => ctx.progress(format!(
                    "updating: {}/{replicas} tasks of {} running{}",
                    p.running,
                    record.id,
                    if p.failed > 0 {
                        format!(", {} failed", p.failed)
                    } else {
                        String::new()
                    }
                )),
            }
            if Instant::now() >= deadline {
                return Ok(Outcome::TimedOut(Failure::new(format!(
                    "the update of service {name} did not settle before the deadline ({}/{replicas} tasks of {} running{}); swarm may still be changing it",
                    p.running,
                    record.id,
                    p.error.map(|e| format!("; latest task: {e}")).unwrap_or_default()
                ))));
            }
            tokio::time::sleep(POLL.min(remaining(deadline))).await;
        }
    }
}
