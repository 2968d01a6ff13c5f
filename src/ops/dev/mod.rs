//! `devloop dev`: edit → build → run → look, on the environment's local target. The same build
//! (content-addressed: a change the build does not see costs nothing), the same tests and the
//! same deploy path and health gate as `ship`; on every save one line says what changed, how long
//! each part took and where it serves. A failed build or health check leaves the previous version
//! serving; the next save tries again. Ctrl-C removes what `dev` started unless `--keep`.

mod cycle;
mod finish;
mod lock;
mod set;
#[cfg(test)]
mod tests;
mod watch;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;

use super::Context;
use crate::config::TargetKind;
use crate::deploy::{self, LogQuery, Target};
use crate::engine::Signals;
use crate::error::{Error, ExitKind, ExitStatus, Result};
use crate::output::{Options as PrinterOptions, Printer, Screen};
use crate::session::Session;
use cycle::{cycle, Cycle};
use lock::DevLock;
use watch::Watcher;

/// What `devloop dev` was asked for.
#[derive(Debug, Clone)]
pub struct DevOptions {
    /// Run the `host` and `image` tests before each redeploy.
    pub test: bool,
    /// Leave the last version running on exit.
    pub keep: bool,
}

pub fn run(ctx: &Context, opts: DevOptions) -> Result<ExitStatus> {
    let session = ctx.session()?;
    let printer = ctx.printer.clone();
    super::runtime()?.block_on(watch_loop(session, opts, printer, &ctx.services))
}

async fn watch_loop(
    project: Arc<Session>,
    opts: DevOptions,
    printer: Printer,
    services: &[String],
) -> Result<ExitStatus> {
    let env = project.config.require_env()?.to_string();
    if let Some(t @ (TargetKind::Ecs | TargetKind::Beanstalk)) = project.config.target() {
        return Err(Error::usage(format!(
            "devloop dev runs on a local target, and environment \"{env}\" deploys to {}",
            t.as_str()
        ))
        .with_hint("choose an environment whose deploy.target is docker or swarm with -e"));
    }
    if project.config.multi {
        return set::watch_set(project, opts, printer, &env, services).await;
    }
    let _lock = DevLock::take(&project, &env)?;
    let target: Arc<dyn Target> = Arc::from(deploy::open(&project)?);
    // dev takes the environment's deployment over for its session, explicitly: it holds the
    // deploy lock (a `deploy` or `ship` meanwhile is refused, naming dev), and on exit puts back
    // what ran before it.
    let daemon = project.daemon().await?;
    let session = deploy::Rollout {
        deadline: Instant::now() + Duration::from_secs(24 * 3600),
        lock: deploy::Locking::Take,
    };
    let owner = format!("devloop dev by {}", project.lock_owner());
    let held = deploy::daemon_lock::acquire(&daemon.client, &target.name(), &owner, &session, None)
        .await
        .map_err(|e| {
            e.context(format!(
                "devloop dev cannot take over environment \"{env}\""
            ))
        })?;
    let before = target.running().await?.filter(|r| !r.starts_with("dev-"));
    if let Some(r) = &before {
        printer.info(&format!(
            "{} runs release {r}; dev replaces it while it runs and puts it back when it stops",
            target.name()
        ));
    }
    let screen = Arc::new(Screen::new(printer.clone()));
    // Watching starts before the first build, so a save during it is not lost.
    let mut watcher = Watcher::start(&project)?;
    let quiet = quiet_printer(&project, &printer);
    let logs = tokio::spawn(follow_logs(target.clone(), screen.clone()));
    // Ctrl-C and SIGTERM: during a rebuild the engine stops it; between rebuilds, this does.
    let mut signals = Signals::new();
    let (code, ours) = rebuild_on_save(
        &project,
        &target,
        &opts,
        &quiet,
        &screen,
        &mut watcher,
        &mut signals,
    )
    .await;
    logs.abort();
    screen.finish();
    let ended = finish::finish(&project, &target, &opts, &quiet, &screen, before, &ours).await;
    if let Some(lock) = held {
        lock.release(None).await;
    }
    ended.map(|()| code)
}

/// Rebuild now and on every batch of saves until Ctrl-C, SIGTERM or the watch ends: how it
/// ended, and the dev releases that served meanwhile.
async fn rebuild_on_save(
    project: &Arc<Session>,
    target: &Arc<dyn Target>,
    opts: &DevOptions,
    quiet: &Printer,
    screen: &Screen,
    watcher: &mut Watcher,
    signals: &mut Signals,
) -> (ExitStatus, Vec<String>) {
    let context = project.config.context_dir();
    let mut ours: Vec<String> = Vec::new();
    let mut serving: Option<String> = None;
    let mut changed: Vec<String> = Vec::new();
    let code = loop {
        screen.status(&format!("building{}…", changes(&changed)));
        // An error of the loop itself (not of the build or the app) is said, and the watch goes on.
        let c = match cycle(project, target, opts, quiet, &changed).await {
            Ok(c) => c,
            Err(e) => Cycle {
                line: format!("{} error: {}", crate::units::clock(), e.message),
                event: json!({ "event": "rebuild", "changed": changed, "error": { "message": e.message } }),
                release: None,
                url: None,
                interrupted: false,
            },
        };
        if let Some(r) = &c.release {
            if !ours.contains(r) {
                ours.push(r.clone());
            }
        }
        serving = c.url.clone().or(serving);
        screen.line(&c.line, c.event);
        if c.interrupted {
            break ExitStatus::Failure(ExitKind::Interrupted);
        }
        screen.status(&format!(
            "{} · watching {} (Ctrl-C to stop)",
            serving
                .as_deref()
                .map(|u| format!("serving {u}"))
                .unwrap_or_else(|| "nothing serving yet".into()),
            context.display()
        ));
        changed = tokio::select! {
            batch = watcher.next_batch() => match batch {
                Some(b) => b,
                None => break ExitStatus::Failure(ExitKind::StepFailed),
            },
            _ = signals.recv() => break ExitStatus::Failure(ExitKind::Interrupted),
        };
    };
    (code, ours)
}

/// The engine's own output is replaced by one line per rebuild: a printer that says nothing
/// (failures come from the report), masking the same secrets. With `-v` the steps speak too.
fn quiet_printer(project: &Session, printer: &Printer) -> Printer {
    let verbosity = if printer.verbosity() > 0 && !printer.is_json() {
        printer.verbosity()
    } else {
        crate::output::SILENT
    };
    let quiet = Printer::new(PrinterOptions {
        verbosity,
        ..Default::default()
    });
    quiet.add_secrets(project.config.secrets.iter().cloned());
    quiet
}

/// " (www/index.html changed)", " (3 files changed)", or nothing for the first build.
fn changes(changed: &[String]) -> String {
    match changed {
        [] => String::new(),
        [one] => format!(" ({one} changed)"),
        [a, b] => format!(" ({a}, {b} changed)"),
        [a, rest @ ..] => format!(" ({a} and {} more changed)", rest.len()),
    }
}

/// The app's logs, prefixed and timestamped, followed across redeploys (a new container is
/// picked up when the old one goes away); a line is never shown twice.
async fn follow_logs(target: Arc<dyn Target>, screen: Arc<Screen>) {
    let mut last: std::collections::HashMap<String, SystemTime> = Default::default();
    loop {
        let q = LogQuery {
            follow: true,
            ..Default::default()
        };
        let screen = screen.clone();
        let last = &mut last;
        let _ = target
            .logs(&q, &mut move |l| {
                let at = humantime::parse_rfc3339_weak(l.time.trim_end_matches('Z'))
                    .unwrap_or(SystemTime::UNIX_EPOCH);
                if last.get(&l.source).is_some_and(|t| *t >= at) {
                    return;
                }
                last.insert(l.source.clone(), at);
                let time = l.time.get(11..23).unwrap_or(&l.time);
                screen.line(
                    &format!("{time} {} | {}", l.source, l.line),
                    json!({ "event": "log", "time": l.time, "source": l.source, "line": l.line }),
                );
            })
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
