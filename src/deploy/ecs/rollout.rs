//! A rollout on ECS over time: updating the service, watching the deployment devloop started
//! until a verdict (printing new events and stopped tasks once), devloop's own rollback, and
//! stopping a deployment in progress.

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_ecs::types::{
    CreatedAt, DeploymentRolloutState, DesiredStatus, Service, ServiceDeploymentBrief,
    ServiceDeploymentStatus, StopServiceDeploymentStopType,
};
use aws_sdk_ecs::Client;
use aws_smithy_types::DateTime;

use super::verdict::{backoff, judge, next_poll, revision, steady, Progress, POLL_MIN};
use super::{Ecs, Live};
use crate::aws::sdk_error;
use crate::config::schema::{EcsTarget, RollbackMode};
use crate::deploy::{remaining, Failure, Outcome, Target};
use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::release::Record;

/// The service deployments of the service, every page followed (ECS returns at most 20 a page,
/// in no documented order, over 90 days), created after `since` when given (less a few seconds
/// for clocks that differ), with one of `statuses` when any are given. `Err` says why the endpoint
/// has no such API (moto) or refused it.
pub(super) async fn service_deployments(
    client: &Client,
    s: &EcsTarget,
    since: Option<DateTime>,
    statuses: &[ServiceDeploymentStatus],
) -> std::result::Result<Vec<ServiceDeploymentBrief>, crate::error::Error> {
    let after = since.map(|t| DateTime::from_secs(t.secs() - 5));
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    // A bound on pages, so an endpoint that repeats its token cannot keep devloop here.
    for _ in 0..100 {
        let mut q = client
            .list_service_deployments()
            .cluster(&s.cluster)
            .service(&s.service)
            .set_next_token(token.take());
        if let Some(after) = after {
            q = q.created_at(CreatedAt::builder().after(after).build());
        }
        for st in statuses {
            q = q.status(st.clone());
        }
        let out = q
            .send()
            .await
            .map_err(|e| sdk_error("ListServiceDeployments", e))?;
        found.extend(out.service_deployments().iter().cloned());
        match out.next_token().filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    // Some endpoints ignore the filter: apply it here too.
    if let Some(after) = after {
        found.retain(|d| d.created_at().is_none_or(|t| t.secs() >= after.secs()));
    }
    Ok(found)
}

/// The newest service deployment created since `since`, or `Err` (with why) when the endpoint has
/// no service deployments API (moto) or refuses it.
pub(super) async fn latest_service_deployment(
    client: &Client,
    s: &EcsTarget,
    since: DateTime,
) -> std::result::Result<Option<ServiceDeploymentBrief>, crate::error::Error> {
    Ok(service_deployments(client, s, Some(since), &[])
        .await?
        .into_iter()
        .max_by_key(|d| d.created_at().map(|t| (t.secs(), t.subsec_nanos()))))
}

/// Keep `reason` once, in the order first seen.
fn remember(reasons: &mut Vec<String>, reason: &str) {
    let reason = reason.trim();
    if !reason.is_empty() && !reasons.iter().any(|r| r == reason) {
        reasons.push(reason.to_string());
    }
}

/// The verdict's words with what ECS said about it, in place of "no reason given".
fn with_reasons(why: String, reasons: &[String]) -> String {
    if reasons.is_empty() {
        return why;
    }
    if why.contains("no reason given") {
        return why.replace("no reason given", &reasons.join("; "));
    }
    // Only what the verdict does not say already.
    let more: Vec<&str> = reasons
        .iter()
        .map(String::as_str)
        .filter(|r| !why.contains(r))
        .collect();
    if more.is_empty() {
        why
    } else {
        format!("{why}; ECS said: {}", more.join("; "))
    }
}

impl Ecs {
    pub(super) async fn update(&self, client: &Client, task_def: &str) -> Result<()> {
        let s = &self.settings;
        client
            .update_service()
            .cluster(&s.cluster)
            .service(&s.service)
            .task_definition(task_def)
            .set_desired_count(s.desired_count)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("cannot update ECS service {}", s.service), e))?;
        Ok(())
    }

    /// Print service events and stopped tasks of `ours` that were not printed before; returns
    /// the lines printed, and why the stopped tasks could not be read if they could not. The
    /// events are printed either way: they say why ECS failed or rolled back a deployment.
    pub(super) async fn report(
        &self,
        client: &Client,
        svc: &Service,
        ours: &str,
        events: &mut HashSet<String>,
        stopped: &mut HashSet<String>,
        ctx: &StepCtx,
    ) -> (Vec<String>, Option<Error>) {
        let mut said = Vec::new();
        let mut fresh: Vec<_> = svc
            .events()
            .iter()
            .filter(|e| e.id().is_some_and(|id| events.insert(id.to_string())))
            .collect();
        // DescribeServices lists events newest first, often several within one second.
        fresh.reverse();
        fresh.sort_by_key(|e| e.created_at().map(|t| (t.secs(), t.subsec_nanos())));
        for e in fresh {
            said.push(format!("event: {}", e.message().unwrap_or_default()));
        }
        let unread = match self.stopped_tasks(client, ours, stopped).await {
            Ok(tasks) => {
                said.extend(tasks);
                None
            }
            Err(e) => Some(e),
        };
        said.iter().for_each(|l| ctx.log(l.clone()));
        (said, unread)
    }

    /// Tasks of revision `ours` that stopped and are not in `skip` (each added to it), with the
    /// stopped reason and every container's exit code.
    pub(super) async fn stopped_tasks(
        &self,
        client: &Client,
        ours: &str,
        skip: &mut HashSet<String>,
    ) -> Result<Vec<String>> {
        let s = &self.settings;
        let arns = client
            .list_tasks()
            .cluster(&s.cluster)
            .service_name(&s.service)
            .desired_status(DesiredStatus::Stopped)
            .send()
            .await
            .map_err(|e| sdk_error("cannot list stopped tasks", e))?
            .task_arns
            .unwrap_or_default();
        let new: Vec<String> = arns.into_iter().filter(|a| !skip.contains(a)).collect();
        if new.is_empty() {
            return Ok(Vec::new());
        }
        let tasks = client
            .describe_tasks()
            .cluster(&s.cluster)
            .set_tasks(Some(new))
            .send()
            .await
            .map_err(|e| sdk_error("cannot describe stopped tasks", e))?;
        let mut said = Vec::new();
        for t in tasks.tasks() {
            let arn = t.task_arn().unwrap_or_default().to_string();
            skip.insert(arn.clone());
            if t.task_definition_arn() != Some(ours) {
                continue;
            }
            let exits: Vec<String> = t
                .containers()
                .iter()
                .map(|c| {
                    format!(
                        "{} exit {}{}",
                        c.name().unwrap_or("?"),
                        c.exit_code()
                            .map(|x| x.to_string())
                            .unwrap_or_else(|| "-".into()),
                        c.reason().map(|r| format!(" ({r})")).unwrap_or_default()
                    )
                })
                .collect();
            said.push(format!(
                "task {} stopped: {}{}",
                revision(&arn),
                t.stopped_reason().unwrap_or("no reason given"),
                if exits.is_empty() {
                    String::new()
                } else {
                    format!("; {}", exits.join(", "))
                }
            ));
        }
        Ok(said)
    }

    /// Watch the deployment of `ours` (replacing `previous`) until a verdict or the deadline.
    /// A throttled or failed read is no news (the pace slows); why ECS failed or rolled the
    /// deployment back is kept from every read (the deployment's reason, its events, the service
    /// deployment's reason), since the failed deployment itself soon disappears.
    pub(super) async fn watch(
        &self,
        client: &Client,
        ours: &str,
        previous: &str,
        since: DateTime,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<Progress> {
        let mut ours_id = None;
        let (mut events, mut stopped) = (HashSet::new(), HashSet::new());
        let mut reasons: Vec<String> = Vec::new();
        let (mut api, mut tasks_unread) = (true, false);
        let (mut poll, mut last) = (POLL_MIN, String::from("not read yet"));
        loop {
            ctx.check_cancelled()?;
            let svc = match self.service(client).await {
                Ok(svc) => svc,
                Err(e) if e.transient => {
                    if Instant::now() >= deadline {
                        return Ok(Progress::Changing(format!(
                            "{last}; the last read got no answer ({})",
                            e.message
                        )));
                    }
                    poll = backoff(poll);
                    ctx.progress(format!("no news from ECS ({}); asking again", e.message));
                    tokio::time::sleep(poll.min(remaining(deadline))).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            // Events from before the update were printed by nobody: they are not this deploy's.
            let old: Vec<String> = svc
                .events()
                .iter()
                .filter(|e| e.created_at().is_some_and(|t| t.secs() < since.secs()))
                .filter_map(|e| e.id().map(str::to_string))
                .collect();
            events.extend(old);
            let (said, unread) = self
                .report(client, &svc, ours, &mut events, &mut stopped, ctx)
                .await;
            for line in said {
                let failure = line.contains("failed") || line.contains("rolling back");
                let message = line.strip_prefix("event: ").unwrap_or(&line);
                if failure && line.starts_with("event: ") {
                    remember(&mut reasons, message);
                }
            }
            // Stopped tasks only explain a verdict: if they cannot be read, say so once and go on.
            match unread {
                Some(e) if e.transient => poll = backoff(poll),
                Some(e) if !tasks_unread => {
                    tasks_unread = true;
                    ctx.warn(format!(
                        "{}; the deploy is judged without the stopped tasks' reasons",
                        e.message
                    ));
                }
                _ => {}
            }
            // The service deployments API, where the endpoint has it, adds reasons and ends a
            // deployment that failed outright; success still needs deployments[] to agree.
            let sd = if api {
                match latest_service_deployment(client, &self.settings, since).await {
                    Ok(sd) => sd,
                    Err(e) if e.transient => None,
                    Err(why) => {
                        api = false;
                        ctx.log(format!(
                            "the service deployments API is not available here ({}); judging by the service's deployments",
                            why.message
                        ));
                        None
                    }
                }
            } else {
                None
            };
            if let Some(r) = sd.as_ref().and_then(|d| d.status_reason()) {
                if sd.as_ref().and_then(|d| d.status()).is_some_and(|st| {
                    st.as_str().starts_with("ROLLBACK") || *st == ServiceDeploymentStatus::Stopped
                }) {
                    remember(&mut reasons, r);
                }
            }
            if let Some(mine) = ours_id
                .as_deref()
                .and_then(|id| svc.deployments().iter().find(|d| d.id() == Some(id)))
            {
                if let Some(r) = mine
                    .rollout_state_reason()
                    .filter(|_| mine.rollout_state() == Some(&DeploymentRolloutState::Failed))
                {
                    remember(&mut reasons, r);
                }
            }
            match judge(&svc, ours, previous, &mut ours_id) {
                Progress::Changing(what) => {
                    let what = match &sd {
                        Some(d)
                            if matches!(
                                d.status(),
                                Some(
                                    ServiceDeploymentStatus::RollbackFailed
                                        | ServiceDeploymentStatus::Stopped
                                )
                            ) =>
                        {
                            return Ok(Progress::Failed(format!(
                                "the service deployment ended {}: {}",
                                d.status().map(|s| s.as_str()).unwrap_or("?"),
                                d.status_reason().unwrap_or("no reason given")
                            )))
                        }
                        Some(d) => format!(
                            "{what} (service deployment {}{})",
                            d.status().map(|s| s.as_str()).unwrap_or("?"),
                            d.status_reason()
                                .map(|r| format!(": {r}"))
                                .unwrap_or_default()
                        ),
                        None => what,
                    };
                    if Instant::now() >= deadline {
                        return Ok(Progress::Changing(what));
                    }
                    poll = next_poll(poll, what != last);
                    ctx.progress(what.clone());
                    last = what;
                }
                Progress::RolledBack(why) => {
                    return Ok(Progress::RolledBack(with_reasons(why, &reasons)))
                }
                Progress::Failed(why) => return Ok(Progress::Failed(with_reasons(why, &reasons))),
                verdict => return Ok(verdict),
            }
            tokio::time::sleep(poll.min(remaining(deadline))).await;
        }
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
        let ours = if self.same_as_live(&live.task_def, &proposed) {
            let mut probe = None;
            let steady = judge(&live.service, &previous, &previous, &mut probe) == Progress::Done;
            let count_ok = self
                .settings
                .desired_count
                .is_none_or(|n| n == live.service.desired_count());
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
            let arn = self.register(client, &proposed, record).await?;
            ctx.log(format!("registered {}", revision(&arn)));
            arn
        };
        // What the service ran before: the live revision read above, the one a rollback restores.
        let was = previous.clone();
        let since = DateTime::from(SystemTime::now());
        self.update(client, &ours).await?;
        ctx.progress(format!("updated {name} to {}", revision(&ours)));
        let verdict = self
            .watch(client, &ours, &was, since, ctx, deadline)
            .await?;
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
                ctx.warn(format!("{why}; rolling back to {}", revision(&was)));
                let since = DateTime::from(SystemTime::now());
                self.update(client, &was).await?;
                let back = deadline.max(crate::config::duration::deadline_in(Duration::from_secs(300)));
                match self.watch(client, &was, &ours, since, ctx, back).await? {
                    Progress::Done => Outcome::RolledBack(Failure::new(format!(
                        "{why}; devloop rolled ECS service {name} back to {}",
                        revision(&was)
                    ))),
                    other => Outcome::Failed(
                        Failure::new(format!(
                            "{why}; devloop rolled ECS service {name} back to {}, but that deployment has not settled: {other:?}",
                            revision(&was)
                        ))
                        .hint("check the service in the ECS console or with `devloop monitor`"),
                    ),
                }
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
            let svc = self.service(client).await?;
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
