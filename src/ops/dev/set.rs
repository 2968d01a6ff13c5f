//! `devloop dev` over a set of services: every service started in the order of its needs, then
//! each built service's context watched on its own. A save rebuilds and redeploys only the
//! service whose files changed; what needs it stays up, and a failing rebuild leaves that
//! service's previous version serving. Ctrl-C leaves every service as dev found it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::{select_all, FutureExt};
use serde_json::json;

use super::cycle::{cycle, Cycle};
use super::lock::DevLock;
use super::watch::Watcher;
use super::{finish, follow_logs, quiet_printer, DevOptions};
use crate::deploy::daemon_lock::{self, DaemonLock};
use crate::deploy::{self, Locking, Rollout, Target};
use crate::engine::{Signals, StepCtx};
use crate::error::{ExitKind, ExitStatus, Result};
use crate::output::{Printer, Screen};
use crate::session::Session;

/// One service of the set, as dev runs it.
struct Member {
    name: String,
    session: Arc<Session>,
    target: Arc<dyn Target>,
    /// What ran before dev (not one of dev's own releases), put back when it stops.
    before: Option<String>,
    /// A dependency's image: started once, never rebuilt.
    image: Option<String>,
    watcher: Option<Watcher>,
    /// The releases dev deployed here.
    ours: Vec<String>,
}

pub(super) async fn watch_set(
    project: Arc<Session>,
    opts: DevOptions,
    printer: Printer,
    env: &str,
    services: &[String],
) -> Result<ExitStatus> {
    let _lock = DevLock::take(&project, env)?;
    let daemon = project.daemon().await?;
    let session = Rollout {
        deadline: Instant::now() + Duration::from_secs(24 * 3600),
        lock: Locking::Take,
    };
    let owner = format!("devloop dev by {}", project.lock_owner());
    // The set's lock and each service's: a deploy of any of them meanwhile is refused, naming dev.
    let mut held: Vec<DaemonLock> = Vec::new();
    let taken = take_over(
        &project,
        services,
        &daemon.client,
        &owner,
        &session,
        &mut held,
    )
    .await;
    let mut members = match taken {
        Ok(m) => m,
        Err(e) => {
            release(held).await;
            return Err(e.context(format!(
                "devloop dev cannot take over environment \"{env}\""
            )));
        }
    };
    let screen = Arc::new(Screen::new(printer.clone()));
    let quiet = quiet_printer(&project, &printer);
    let logs: Vec<_> = members
        .iter()
        .map(|m| tokio::spawn(follow_logs(m.target.clone(), screen.clone())))
        .collect();
    let mut signals = Signals::new();
    let code = run(&mut members, &opts, &quiet, &screen, &mut signals).await;
    for l in logs {
        l.abort();
    }
    screen.finish();
    let mut ended = Ok(());
    // What needs a service goes before it.
    for m in members.iter().rev() {
        let done = finish::finish(
            &m.session,
            &m.target,
            &opts,
            &quiet,
            &screen,
            m.before.clone(),
            &m.ours,
        )
        .await;
        ended = ended.and(done);
    }
    release(held).await;
    ended.map(|()| code)
}

/// Take the set's lock and every service's, and open each service's target and watcher.
async fn take_over(
    project: &Arc<Session>,
    services: &[String],
    client: &bollard::Docker,
    owner: &str,
    session: &Rollout,
    held: &mut Vec<DaemonLock>,
) -> Result<Vec<Member>> {
    let set = project.config.deployment_name();
    held.extend(daemon_lock::acquire(client, &set, owner, session, None).await?);
    let chosen = crate::ops::chosen::select(project, services, true)?;
    let mut members = Vec::new();
    for s in project.services() {
        let Some(svc) = s.config.this_service().cloned() else {
            continue;
        };
        if !chosen.contains(&svc.name) {
            continue;
        }
        let target: Arc<dyn Target> = Arc::from(deploy::open(&s)?);
        held.extend(daemon_lock::acquire(client, &target.name(), owner, session, None).await?);
        let before = target.running().await?.filter(|r| !r.starts_with("dev-"));
        let watcher = match svc.image {
            Some(_) => None,
            // Watching starts before the first build, so a save during it is not lost.
            None => Some(Watcher::start(&s)?),
        };
        members.push(Member {
            name: svc.name.clone(),
            session: s,
            target,
            before,
            image: svc.image.clone(),
            watcher,
            ours: Vec::new(),
        });
    }
    Ok(members)
}

async fn release(held: Vec<DaemonLock>) {
    for lock in held {
        lock.release(None).await;
    }
}

/// Start every service in the order of its needs, then rebuild the one whose files changed,
/// until Ctrl-C, SIGTERM or a watch ends.
async fn run(
    members: &mut [Member],
    opts: &DevOptions,
    quiet: &Printer,
    screen: &Screen,
    signals: &mut Signals,
) -> ExitStatus {
    for m in members.iter_mut() {
        screen.status(&format!("starting {}…", m.name));
        let c = tokio::select! {
            c = start(m, opts, quiet) => c,
            _ = signals.recv() => return ExitStatus::Failure(ExitKind::Interrupted),
        };
        if said(m, c, screen) {
            return ExitStatus::Failure(ExitKind::Interrupted);
        }
    }
    let watched: Vec<String> = members
        .iter()
        .filter(|m| m.watcher.is_some())
        .map(|m| m.name.clone())
        .collect();
    loop {
        screen.status(&format!("watching {} (Ctrl-C to stop)", watched.join(", ")));
        let (i, changed) = {
            let batches: Vec<_> = members
                .iter_mut()
                .enumerate()
                .filter_map(|(i, m)| {
                    let w = m.watcher.as_mut()?;
                    Some(async move { (i, w.next_batch().await) }.boxed())
                })
                .collect();
            if batches.is_empty() {
                return ExitStatus::Failure(ExitKind::StepFailed);
            }
            tokio::select! {
                ((i, batch), _, _) = select_all(batches) => match batch {
                    Some(b) => (i, b),
                    None => return ExitStatus::Failure(ExitKind::StepFailed),
                },
                _ = signals.recv() => return ExitStatus::Failure(ExitKind::Interrupted),
            }
        };
        let m = &members[i];
        screen.status(&format!(
            "rebuilding {}{}…",
            m.name,
            super::changes(&changed)
        ));
        let c = tokio::select! {
            c = cycle(&m.session, &m.target, opts, quiet, &changed) => c,
            _ = signals.recv() => return ExitStatus::Failure(ExitKind::Interrupted),
        };
        if said(&mut members[i], c, screen) {
            return ExitStatus::Failure(ExitKind::Interrupted);
        }
    }
}

/// The first start of a service: a built one goes through a rebuild, a dependency is started
/// from its image through the same deploy path.
async fn start(m: &Member, opts: &DevOptions, quiet: &Printer) -> Result<Cycle> {
    let Some(image) = &m.image else {
        return cycle(&m.session, &m.target, opts, quiet, &[]).await;
    };
    let ctx = StepCtx {
        name: "deploy".into(),
        events: quiet.events(),
        cancel: tokio_util::sync::CancellationToken::new(),
    };
    let record = deploy::set::dependency_record(&m.session, image, &ctx).await?;
    let done = deploy::deploy_step(
        m.target.as_ref(),
        &m.session,
        &record,
        &ctx,
        Locking::Skip,
        false,
    )
    .await;
    let (line, release) = match done {
        Ok(d) => (d.message, Some(record.id.clone())),
        Err(e) => (format!("{} failed: {}", record.id, e.message), None),
    };
    Ok(Cycle {
        line: format!("{} started: {line}", crate::units::clock()),
        event: json!({ "event": "rebuild", "release": release }),
        release,
        url: None,
        interrupted: false,
    })
}

/// Say how a rebuild of `m` went, on its own line with its service's name; remember the dev
/// release it deployed. Returns whether it was interrupted.
fn said(m: &mut Member, c: Result<Cycle>, screen: &Screen) -> bool {
    let c = c.unwrap_or_else(|e| Cycle {
        line: format!("{} error: {}", crate::units::clock(), e.message),
        event: json!({ "event": "rebuild", "error": { "message": e.message } }),
        release: None,
        url: None,
        interrupted: false,
    });
    if let Some(r) = &c.release {
        // A dependency's release is its image, which dev started only where nothing ran.
        let dev_started = m.image.is_none() || m.before.is_none();
        if dev_started && !m.ours.contains(r) {
            m.ours.push(r.clone());
        }
    }
    let mut event = c.event;
    event["service"] = json!(m.name);
    // `12:00:01 api: started: …`: the clock first, as on every other line.
    let line = match c.line.split_once(' ') {
        Some((clock, rest)) => format!("{clock} {}: {rest}", m.name),
        None => format!("{}: {}", m.name, c.line),
    };
    screen.line(&line, event);
    c.interrupted
}
