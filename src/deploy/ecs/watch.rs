//! Watching the deployment devloop started until a verdict or the deadline, keeping why ECS failed
//! or rolled it back from every read (the deployment's reason, its events, the service
//! deployment's reason), since the failed deployment itself soon disappears.

use std::collections::HashSet;
use std::time::Instant;

use aws_sdk_ecs::types::{
    DeploymentRolloutState, Service, ServiceDeploymentBrief, ServiceDeploymentStatus,
};
use aws_sdk_ecs::Client;
use aws_smithy_types::DateTime;

use super::deployments::latest_service_deployment;
use super::verdict::{backoff, judge, next_poll, Progress, POLL_MIN};
use super::Ecs;
use crate::deploy::remaining;
use crate::engine::StepCtx;
use crate::error::Result;

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
            event_reasons(said, &mut reasons);
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
                self.service_deployment(client, since, &mut api, ctx).await
            } else {
                None
            };
            deployment_reasons(sd.as_ref(), &svc, ours_id.as_deref(), &mut reasons);
            match judge(&svc, ours, previous, &mut ours_id) {
                Progress::Changing(what) => {
                    let what = match with_service_deployment(what, sd.as_ref()) {
                        Ok(what) => what,
                        Err(ended) => return Ok(ended),
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

    /// The newest service deployment since `since`; `None` when the read got no answer, or when
    /// the endpoint has no such API (then `api` is cleared, and it is not asked again).
    async fn service_deployment(
        &self,
        client: &Client,
        since: DateTime,
        api: &mut bool,
        ctx: &StepCtx,
    ) -> Option<ServiceDeploymentBrief> {
        match latest_service_deployment(client, &self.settings, since).await {
            Ok(sd) => sd,
            Err(e) if e.transient => None,
            Err(why) => {
                *api = false;
                ctx.log(format!(
                    "the service deployments API is not available here ({}); judging by the service's deployments",
                    why.message
                ));
                None
            }
        }
    }
}

/// Keep the reasons in what a read printed: the service's events that say a deployment failed or
/// is rolling back.
fn event_reasons(said: Vec<String>, reasons: &mut Vec<String>) {
    for line in said {
        let failure = line.contains("failed") || line.contains("rolling back");
        let message = line.strip_prefix("event: ").unwrap_or(&line);
        if failure && line.starts_with("event: ") {
            remember(reasons, message);
        }
    }
}

/// Keep why the service deployment was rolled back or stopped, and why our deployment failed.
fn deployment_reasons(
    sd: Option<&ServiceDeploymentBrief>,
    svc: &Service,
    ours_id: Option<&str>,
    reasons: &mut Vec<String>,
) {
    if let Some(r) = sd.and_then(|d| d.status_reason()) {
        if sd.and_then(|d| d.status()).is_some_and(|st| {
            st.as_str().starts_with("ROLLBACK") || *st == ServiceDeploymentStatus::Stopped
        }) {
            remember(reasons, r);
        }
    }
    if let Some(mine) = ours_id.and_then(|id| svc.deployments().iter().find(|d| d.id() == Some(id)))
    {
        if let Some(r) = mine
            .rollout_state_reason()
            .filter(|_| mine.rollout_state() == Some(&DeploymentRolloutState::Failed))
        {
            remember(reasons, r);
        }
    }
}

/// What is changing, with the service deployment's status; `Err` with the verdict when the
/// service deployment ended without success (its rollback failed, or it was stopped).
fn with_service_deployment(
    what: String,
    sd: Option<&ServiceDeploymentBrief>,
) -> std::result::Result<String, Progress> {
    match sd {
        Some(d)
            if matches!(
                d.status(),
                Some(ServiceDeploymentStatus::RollbackFailed | ServiceDeploymentStatus::Stopped)
            ) =>
        {
            Err(Progress::Failed(format!(
                "the service deployment ended {}: {}",
                d.status().map(|s| s.as_str()).unwrap_or("?"),
                d.status_reason().unwrap_or("no reason given")
            )))
        }
        Some(d) => Ok(format!(
            "{what} (service deployment {}{})",
            d.status().map(|s| s.as_str()).unwrap_or("?"),
            d.status_reason()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        )),
        None => Ok(what),
    }
}
