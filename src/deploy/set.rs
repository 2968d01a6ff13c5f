//! A set of services deployed along its graph: a service starts once everything it needs is
//! healthy on this release, independent ones roll out together, and each passes its own health
//! gate. When one fails, every service this deploy switched goes back to what it ran before, in
//! reverse order, and the verdict is the set's: exit 3 once all of them serve again, 1 naming any
//! that could not be restored, 4 when one did not settle in time.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio_util::sync::CancellationToken;

use super::{Checkpoint, Deployment, Failure, Locking, Outcome, Rollout, Target};
use crate::config::TargetKind;
use crate::engine::{Done, Outcome as StepOutcome, StepCtx, StepResult};
use crate::error::{Error, ExitKind, Result};
use crate::release::Record;
use crate::session::Session;

/// One service of the set, ready to roll out.
pub struct Member {
    pub session: Arc<Session>,
    pub target: Box<dyn Target>,
    /// The service's release: its image in the set's record, or its dependency image.
    pub record: Record,
    /// What it runs now, to go back to: `None` when it runs nothing devloop deployed.
    pub previous: Option<Record>,
    /// The release id it runs now, whether or not the ledger knows it.
    pub ran: Option<String>,
    /// Exactly what it runs now, on targets that can go back to it (an ECS revision): what a
    /// failure puts back, before `previous`.
    pub checkpoint: Option<Checkpoint>,
    /// The members it waits for.
    pub needs: Vec<String>,
    pub dependency: bool,
}

impl Member {
    fn name(&self) -> String {
        self.session.config.service.clone().unwrap_or_default()
    }
}

/// What the deploy of a set did: the release and each service's part.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SetDeployment {
    pub env: String,
    pub release: String,
    /// `deployed`, `unchanged`, `rolled_back`, `failed` or `timed_out`: the set's verdict.
    pub verdict: &'static str,
    pub services: Vec<Deployment>,
    /// Services put back on their previous release after the failure.
    pub restored: Vec<String>,
    /// Services that could not be put back, with what serves there now.
    pub not_restored: Vec<String>,
}

/// How one member's rollout ended.
struct Ended {
    name: String,
    outcome: Result<Outcome>,
    at: Instant,
}

/// Deploy (or, with `rollback`, move back) every member along the graph, under one lock for the
/// set on the local targets. `members` is read under the lock, so what each service runs now
/// (what a failure puts back) cannot change between the read and the rollout.
pub async fn deploy_set(
    project: &Arc<Session>,
    members: impl std::future::Future<Output = Result<Vec<Member>>>,
    release: &str,
    ctx: &StepCtx,
    lock: Locking,
    rollback: bool,
) -> Result<Done> {
    let how = Rollout::within_timeout(project, lock);
    match project.config.target() {
        Some(TargetKind::Docker | TargetKind::Swarm) => {
            let set = project.config.deployment_name();
            let run = async {
                let members = members.await?;
                walk(project, members, release, ctx, &how, rollback).await
            };
            super::daemon_lock::holding(project, &set, &how, ctx, run).await
        }
        Some(TargetKind::Ecs) => {
            // Every service's own lock, taken up front; the members deploy under them.
            let sessions = project.services();
            let held = Rollout {
                lock: if how.lock == Locking::Skip {
                    Locking::Skip
                } else {
                    Locking::Held
                },
                ..how
            };
            let run = async {
                let members = members.await?;
                walk(project, members, release, ctx, &held, rollback).await
            };
            let extra = walk_budget(&sessions);
            super::ecs::set_lock::holding(&sessions, &how, ctx, extra, run).await
        }
        _ => {
            let members = members.await?;
            walk(project, members, release, ctx, &how, rollback).await
        }
    }
}

/// How long a walk may take past the first service's deadline: each service after it within
/// its own deploy timeout, and a put-back for each.
fn walk_budget(sessions: &[Arc<Session>]) -> Duration {
    sessions
        .iter()
        .skip(1)
        .map(|s| s.settings.deploy_timeout)
        .sum::<Duration>()
        + RESTORE_BUDGET * sessions.len() as u32
}

async fn walk(
    project: &Arc<Session>,
    members: Vec<Member>,
    release: &str,
    ctx: &StepCtx,
    how: &Rollout,
    rollback: bool,
) -> Result<Done> {
    let names: Vec<String> = members.iter().map(Member::name).collect();
    let mut ended: BTreeMap<String, (Outcome, Instant)> = BTreeMap::new();
    let mut started: Vec<String> = Vec::new();
    let mut failure: Option<(String, Outcome)> = None;
    let mut error: Option<Error> = None;
    // Members whose rollout ended in an error, not a verdict: what they run is read again.
    let mut errored: Vec<(String, Instant)> = Vec::new();
    {
        let mut running = FuturesUnordered::new();
        loop {
            if failure.is_none() && error.is_none() && !ctx.cancel.is_cancelled() {
                for m in &members {
                    let name = m.name();
                    let ready = m
                        .needs
                        .iter()
                        .filter(|n| names.contains(n))
                        .all(|n| matches!(ended.get(n), Some((o, _)) if succeeded(o)));
                    if ready && !started.contains(&name) {
                        started.push(name.clone());
                        running.push(one(m, ctx, how, rollback));
                    }
                }
            }
            let Some(e) = running.next().await else { break };
            match e.outcome {
                Ok(o) if succeeded(&o) => {
                    ended.insert(e.name, (o, e.at));
                }
                Ok(o) => {
                    if failure.is_none() {
                        failure = Some((e.name.clone(), o.clone()));
                    }
                    ended.insert(e.name, (o, e.at));
                }
                Err(err) => {
                    errored.push((e.name, e.at));
                    if error.is_none() {
                        error = Some(err);
                    }
                }
            }
        }
    }
    let interrupted = ctx.cancel.is_cancelled();
    let env = project.config.env_name().to_string();
    let services: Vec<Deployment> = members
        .iter()
        .filter_map(|m| {
            let (o, _) = ended.get(&m.name())?;
            Some(deployment(m, o.verdict()))
        })
        .collect();
    if failure.is_none() && error.is_none() && !interrupted {
        let changed = ended
            .values()
            .any(|(o, _)| matches!(o, Outcome::Deployed(_)));
        let result = SetDeployment {
            env,
            release: release.to_string(),
            verdict: if changed { "deployed" } else { "unchanged" },
            services,
            restored: Vec::new(),
            not_restored: Vec::new(),
        };
        let verb = if rollback {
            "rolled back to"
        } else {
            "deployed"
        };
        let msg = format!(
            "{verb} {release}: {}",
            result
                .services
                .iter()
                .map(|d| format!("{} {}", d.name, d.verdict))
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(if changed {
            Done::new(msg).with_result(result)
        } else {
            Done::skipped(format!(
                "every service already runs {release}; nothing changed"
            ))
            .with_result(result)
        });
    }

    // Put back what this deploy switched, the last switched first. A dependency it started
    // where none ran stays: dependencies are never removed.
    let mut switched: Vec<(&Member, Instant)> = members
        .iter()
        .filter_map(|m| match ended.get(&m.name()) {
            Some((Outcome::Deployed(_), at)) if !(m.dependency && m.ran.is_none()) => {
                Some((m, *at))
            }
            // Where the target goes back to exactly what ran (ECS), every member that moved or
            // may have — the failing one too, whatever its own rollback did — goes back: going
            // back to what already runs changes nothing there.
            Some((o, at)) if m.checkpoint.is_some() && !matches!(o, Outcome::Unchanged(_)) => {
                Some((m, *at))
            }
            _ => None,
        })
        .collect();
    // A rollout that ended in an error may still have switched its service (a swarm update
    // interrupted after it was sent): what it runs now says.
    for (name, at) in &errored {
        let Some(m) = members.iter().find(|m| &m.name() == name) else {
            continue;
        };
        let moved = match &m.checkpoint {
            // What it runs cannot be known for sure (the read may fail too): go back anyway.
            Some(_) => true,
            None => {
                let now = m.target.running().await.ok().flatten();
                now.as_deref() == Some(m.record.id.as_str()) && m.ran != now
            }
        };
        if moved {
            switched.push((m, *at));
        }
    }
    switched.sort_by_key(|s| std::cmp::Reverse(s.1));
    let (restored, not_restored) = restore(&switched, ctx, how.lock).await;
    // The failing service itself is back on what it ran, with every other one: rolled back.
    let failure = match failure {
        Some((name, Outcome::Failed(f) | Outcome::TimedOut(f)))
            if not_restored.is_empty()
                && members
                    .iter()
                    .any(|m| m.name() == name && m.checkpoint.is_some()) =>
        {
            Some((name, Outcome::RolledBack(f)))
        }
        other => other,
    };
    let mut result = SetDeployment {
        env,
        release: release.to_string(),
        verdict: "",
        services,
        restored,
        not_restored,
    };
    verdict(&mut result, failure, error, interrupted)
}

/// Roll one member out, as a step of its own in the output (`deploy:<service>`).
async fn one(m: &Member, ctx: &StepCtx, how: &Rollout, rollback: bool) -> Ended {
    let name = m.name();
    let sub = StepCtx {
        name: format!("{}:{name}", ctx.name),
        events: ctx.events.clone(),
        cancel: ctx.cancel.clone(),
    };
    sub.events.step_started(&sub.name);
    let started = Instant::now();
    // Each service within its own deploy timeout, from when it starts.
    let how = &Rollout::within_timeout(&m.session, how.lock);
    let outcome = if rollback && !m.dependency {
        m.target.rollback(&m.record, &sub, how).await
    } else {
        m.target.deploy(&m.record, &sub, how).await
    };
    // The one mapping from verdicts to step results and exit codes.
    let (step_outcome, result) = StepOutcome::of(match &outcome {
        Ok(o) => o.clone().into_done(deployment(m, o.verdict())),
        Err(e) => Err(e.clone()),
    });
    sub.events.step_finished(&StepResult {
        name: sub.name.clone(),
        outcome: step_outcome,
        duration: started.elapsed(),
        result,
    });
    Ended {
        name,
        outcome,
        at: Instant::now(),
    }
}

fn succeeded(o: &Outcome) -> bool {
    matches!(o, Outcome::Deployed(_) | Outcome::Unchanged(_))
}

fn deployment(m: &Member, verdict: &'static str) -> Deployment {
    let cfg = &m.session.config;
    Deployment {
        env: cfg.env_name().to_string(),
        target: cfg.target().map(TargetKind::as_str),
        service: cfg.service.clone(),
        name: m.target.name(),
        release: m.record.id.clone(),
        image: m.record.image.clone(),
        verdict,
    }
}

/// How long putting one service back may take, even after the deploy's own deadline: a restore
/// is what makes the failure safe, so it gets time of its own.
const RESTORE_BUDGET: Duration = Duration::from_secs(120);

/// Put each switched member back on what it ran before: its checkpoint where the target keeps
/// one, else its previous release (or remove what this deploy started where nothing ran).
/// Returns the services restored and, for the others, why not. `lock` is the set's: `Held` when
/// it holds every service's lock, else each service's own lock is free again and taken anew.
async fn restore(
    switched: &[(&Member, Instant)],
    ctx: &StepCtx,
    lock: Locking,
) -> (Vec<String>, Vec<String>) {
    let mut restored = Vec::new();
    let mut not = Vec::new();
    // A fresh token: an interrupted deploy still puts back what it switched.
    let sub = StepCtx {
        name: format!("{}:restore", ctx.name),
        events: ctx.events.clone(),
        cancel: CancellationToken::new(),
    };
    for (m, _) in switched {
        let name = m.name();
        let how = Rollout {
            deadline: crate::config::duration::deadline_in(RESTORE_BUDGET),
            lock: if lock == Locking::Held {
                Locking::Held
            } else {
                Locking::Take
            },
        };
        let done = match (&m.checkpoint, &m.previous) {
            (Some(cp), _) => {
                sub.log(format!("putting {name} back on {}", cp.label));
                match m.target.restore_to(cp, &sub, &how).await {
                    Ok(o) if succeeded(&o) => Ok(format!("{name} (back on {})", cp.label)),
                    Ok(o) => Err(format!("{name}: {}", failure_text(&o))),
                    Err(e) => Err(format!("{name}: {}", e.message)),
                }
            }
            (None, Some(prev)) => {
                sub.log(format!("putting {name} back on {}", prev.id));
                match m.target.rollback(prev, &sub, &how).await {
                    Ok(o) if succeeded(&o) => Ok(format!("{name} (back on {})", prev.id)),
                    Ok(o) => Err(format!("{name}: {}", failure_text(&o))),
                    Err(e) => Err(format!("{name}: {}", e.message)),
                }
            }
            (None, None) if m.ran.is_some() => Err(format!(
                "{name}: it ran {} before, which is not in the release ledger, so devloop cannot put it back; it runs {} now",
                m.ran.as_deref().unwrap_or_default(),
                m.record.id
            )),
            (None, None) => {
                sub.log(format!(
                    "{name} ran nothing before this deploy: removing what it started"
                ));
                match m.target.remove(&m.record.id).await {
                    Ok(_) => Ok(format!("{name} (removed: it ran nothing before)")),
                    Err(e) => Err(format!("{name}: {}", e.message)),
                }
            }
        };
        match done {
            Ok(s) => restored.push(s),
            Err(s) => not.push(s),
        }
    }
    (restored, not)
}

fn failure_text(o: &Outcome) -> String {
    match o {
        Outcome::RolledBack(f) | Outcome::Failed(f) | Outcome::TimedOut(f) => f.message.clone(),
        Outcome::Deployed(m) | Outcome::Unchanged(m) => m.clone(),
    }
}

/// The set's verdict after a failure: 4 when a service did not settle, 1 when one could not be
/// put back (or the failing one itself serves nothing), else 3; interrupted stays 130.
fn verdict(
    result: &mut SetDeployment,
    failure: Option<(String, Outcome)>,
    error: Option<Error>,
    interrupted: bool,
) -> Result<Done> {
    let restored = if result.restored.is_empty() {
        String::new()
    } else {
        format!("; put back: {}", result.restored.join(", "))
    };
    let unrestored = if result.not_restored.is_empty() {
        String::new()
    } else {
        format!("; NOT put back: {}", result.not_restored.join("; "))
    };
    let (mut kind, mut message, hint, detail) = match (failure, error) {
        _ if interrupted => (
            ExitKind::Interrupted,
            format!("interrupted{restored}{unrestored}"),
            None,
            Vec::new(),
        ),
        (_, Some(e)) if e.kind == ExitKind::Interrupted => (
            ExitKind::Interrupted,
            format!("interrupted{restored}{unrestored}"),
            None,
            Vec::new(),
        ),
        (Some((name, o)), error) => {
            let (kind, f) = match o {
                Outcome::RolledBack(f) => (ExitKind::RolledBack, f),
                Outcome::TimedOut(f) => (ExitKind::Timeout, f),
                Outcome::Failed(f) => (ExitKind::StepFailed, f),
                Outcome::Deployed(m) | Outcome::Unchanged(m) => {
                    (ExitKind::StepFailed, Failure::new(m))
                }
            };
            // Another service's rollout ended in an error: its state is not a verdict.
            let (kind, also) = match &error {
                Some(e) => (ExitKind::StepFailed, format!("; also: {}", e.message)),
                None => (kind, String::new()),
            };
            (
                kind,
                format!("{name}: {}{also}{restored}{unrestored}", f.message),
                f.hint,
                f.detail,
            )
        }
        (None, Some(e)) => {
            // A usage error found mid-rollout (a host port taken) after others moved is not
            // "nothing changed".
            let kind = match e.kind {
                ExitKind::Usage if !result.restored.is_empty() => ExitKind::StepFailed,
                k => k,
            };
            (
                kind,
                format!("{}{restored}{unrestored}", e.message),
                e.hint.clone(),
                e.detail.clone(),
            )
        }
        (None, None) => (
            ExitKind::Interrupted,
            format!("interrupted{restored}{unrestored}"),
            None,
            Vec::new(),
        ),
    };
    if !result.not_restored.is_empty() && kind != ExitKind::Interrupted {
        kind = ExitKind::StepFailed;
    }
    if kind == ExitKind::RolledBack {
        message = format!("the set is back on its previous release: {message}");
    }
    result.verdict = match kind {
        ExitKind::RolledBack => "rolled_back",
        ExitKind::Timeout => "timed_out",
        _ => "failed",
    };
    let mut err = Error::new(kind, message).with_detail(detail);
    err.hint = hint;
    err.result = Some(Box::new(
        serde_json::to_value(&*result).unwrap_or(serde_json::Value::Null),
    ));
    Err(err)
}

/// The release a dependency runs: its image as the daemon has it (pulled when missing), named by
/// its reference, so the same image is recognised as unchanged on every deploy.
pub async fn dependency_record(project: &Session, image: &str, ctx: &StepCtx) -> Result<Record> {
    let daemon = project.daemon().await?;
    let id = match daemon.client.inspect_image(image).await {
        Ok(info) => info.id,
        Err(_) => None,
    };
    let id = match id {
        Some(id) => id,
        None => {
            let host = image.split('/').next().unwrap_or_default();
            let auth = if image.contains('/') && (host.contains('.') || host.contains(':')) {
                crate::registry::credentials(&project.ambient, host).await?
            } else {
                None
            };
            ctx.log(format!("pulling {image}"));
            crate::docker::push::pull(daemon, ctx, image, auth.as_ref()).await?;
            daemon
                .client
                .inspect_image(image)
                .await
                .ok()
                .and_then(|i| i.id)
                .ok_or_else(|| {
                    Error::failed(format!("pulled {image}, but the daemon does not show it"))
                })?
        }
    };
    Ok(dependency(project, image, id, None))
}

/// The release a dependency runs on a target that pulls images itself (ECS): its reference, as
/// the target's registry will serve it; no local daemon is asked.
pub fn remote_dependency_record(project: &Session, image: &str) -> Record {
    let first = image.split('/').next().unwrap_or_default();
    let host = if image.contains('/') && (first.contains('.') || first.contains(':')) {
        first
    } else {
        "docker.io"
    };
    dependency(project, image, image.to_string(), Some(host.to_string()))
}

fn dependency(
    project: &Session,
    image: &str,
    image_id: String,
    registry: Option<String>,
) -> Record {
    Record {
        format: crate::release::FORMAT_ONE,
        id: image.to_string(),
        app: project.config.app().to_string(),
        image: image.to_string(),
        image_id,
        registry,
        repository: repository_of(image),
        tags: Vec::new(),
        moving_tags: Vec::new(),
        build_digest: None,
        git: None,
        created_at: String::new(),
        created_by: String::new(),
        config_digest: String::new(),
        devloop_version: env!("CARGO_PKG_VERSION").to_string(),
        services: Vec::new(),
    }
}

/// `host:5000/team/db:16@sha256:…` → `host:5000/team/db`.
fn repository_of(image: &str) -> String {
    let no_digest = image.split('@').next().unwrap_or(image);
    match no_digest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo.to_string(),
        _ => no_digest.to_string(),
    }
}
