//! `devloop dev`: edit → build → run → look, on the environment's local target. The same build
//! (content-addressed: a change the build does not see costs nothing), the same tests and the
//! same deploy path and health gate as `ship`; on every save one line says what changed, how long
//! each part took and where it serves. A failed build or health check leaves the previous version
//! serving; the next save tries again. Ctrl-C removes what `dev` started unless `--keep`.

mod watch;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;

use super::build::{self, Built};
use super::{test, Context, Options};
use crate::config::schema::TestKind;
use crate::config::TargetKind;
use crate::deploy::{self, LogQuery, Target};
use crate::engine::{Outcome, Report, Runner, Signals, Slot, Step, StepPlan};
use crate::error::{Error, ExitKind, ExitStatus, Result};
use crate::output::{Options as PrinterOptions, Printer, Screen};
use crate::release::Record;
use crate::session::Session;
use watch::Watcher;

/// What `devloop dev` was asked for.
#[derive(Debug, Clone)]
pub struct DevOptions {
    /// Run the `host` and `image` tests before each redeploy.
    pub test: bool,
    /// Leave the last version running on exit.
    pub keep: bool,
}

/// How one rebuild ended.
struct Cycle {
    line: String,
    event: serde_json::Value,
    /// The dev release now serving, when this rebuild deployed one.
    release: Option<String>,
    url: Option<String>,
    interrupted: bool,
}

pub fn run(ctx: &Context, opts: DevOptions) -> Result<ExitStatus> {
    let session = ctx.session()?;
    super::runtime()?.block_on(watch_loop(session, opts, ctx.printer.clone()))
}

async fn watch_loop(
    project: Arc<Session>,
    opts: DevOptions,
    printer: Printer,
) -> Result<ExitStatus> {
    let env = project.config.require_env()?.to_string();
    if let Some(t @ (TargetKind::Ecs | TargetKind::Beanstalk)) = project.config.target() {
        return Err(Error::usage(format!(
            "devloop dev runs on a local target, and environment \"{env}\" deploys to {}",
            t.as_str()
        ))
        .with_hint("choose an environment whose deploy.target is docker or swarm with -e"));
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
    let context = project.config.context_dir();
    let mut ours: Vec<String> = Vec::new();
    let mut serving: Option<String> = None;
    let mut changed: Vec<String> = Vec::new();
    // Ctrl-C and SIGTERM: during a rebuild the engine stops it; between rebuilds, this does.
    let mut signals = Signals::new();
    let code = loop {
        screen.status(&format!("building{}…", changes(&changed)));
        // An error of the loop itself (not of the build or the app) is said, and the watch goes on.
        let c = match cycle(&project, &target, &opts, &quiet, &changed).await {
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
    logs.abort();
    screen.finish();
    let ended = finish(&project, &target, &opts, &quiet, &screen, before, &ours).await;
    if let Some(lock) = held {
        lock.release(None).await;
    }
    ended.map(|()| code)
}

/// Leave the environment as dev found it: put back the release that ran before (from the
/// ledger, through the deploy path and its gate), or remove what dev started; with `--keep`,
/// leave dev's version and say how to put the old one back.
async fn finish(
    project: &Arc<Session>,
    target: &Arc<dyn Target>,
    opts: &DevOptions,
    quiet: &Printer,
    screen: &Screen,
    before: Option<String>,
    ours: &[String],
) -> Result<()> {
    let name = target.name();
    if opts.keep {
        let back = before
            .as_deref()
            .map(|r| format!("; `devloop deploy --release {r}` puts back what ran before"))
            .unwrap_or_default();
        screen.line(
            &format!("left {name} running{back}"),
            json!({ "event": "dev_stopped", "kept": true, "name": name, "before": before }),
        );
        return Ok(());
    }
    let running = target.running().await?;
    if let Some(r) = before {
        if running.as_deref() == Some(r.as_str()) {
            screen.line(
                &format!("{name} still runs release {r}, as before dev"),
                json!({ "event": "dev_stopped", "kept": false, "name": name, "restored": r }),
            );
            return Ok(());
        }
        let records = crate::release::history(project).await?;
        let Some(record) = records.iter().find(|x| x.id == r).cloned() else {
            screen.line(
                &format!("{name} ran release {r} before dev, which is not in this project's ledger: dev's version is left running; put it back with `devloop deploy --release {r}` from where it was released"),
                json!({ "event": "dev_stopped", "kept": true, "name": name, "before": r }),
            );
            return Ok(());
        };
        // Not through a runner: the Ctrl-C that ended dev must not end the putting back too.
        let ctx = crate::engine::StepCtx {
            name: "deploy".into(),
            events: quiet.events(),
            cancel: tokio_util::sync::CancellationToken::new(),
        };
        let put_back = deploy::deploy_step(
            target.as_ref(),
            project,
            &record,
            &ctx,
            deploy::Locking::Skip,
            false,
        )
        .await;
        let said = match put_back {
            Ok(_) => format!("put back release {r} in {name}, as before dev"),
            Err(e) => format!(
                "could not put back release {r} in {name}: {}; run `devloop deploy --release {r}`",
                e.message
            ),
        };
        screen.line(
            &said,
            json!({ "event": "dev_stopped", "kept": false, "name": name, "restored": r }),
        );
        return Ok(());
    }
    let mut removed = false;
    for r in ours {
        removed |= target.remove(r).await?;
    }
    screen.line(
        &if removed {
            format!("removed {name}")
        } else {
            "nothing of dev's is running".to_string()
        },
        json!({ "event": "dev_stopped", "kept": false, "name": name, "removed": removed }),
    );
    Ok(())
}

/// One `dev` per project and environment (two would replace each other's containers):
/// `.devloop/dev-<env>.pid`, made with create-new and removed on every exit; a file left by a
/// process that is gone is taken over.
struct DevLock {
    path: std::path::PathBuf,
}

impl DevLock {
    fn take(project: &Session, env: &str) -> Result<DevLock> {
        let dir = project.config.root.join(".devloop");
        let path = dir.join(format!("dev-{env}.pid"));
        let io = |e: std::io::Error| {
            Error::failed_because(format!("cannot write {}", path.display()), e)
        };
        crate::state::dir(&project.config.root).map_err(io)?;
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    use std::io::Write;
                    write!(f, "{}", std::process::id()).map_err(io)?;
                    return Ok(DevLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let pid: i32 = std::fs::read_to_string(&path)
                        .ok()
                        .and_then(|s| s.trim().parse().ok())
                        .unwrap_or(0);
                    // Signal 0 asks only whether the process exists.
                    let alive = pid > 0 && unsafe { libc::kill(pid, 0) } == 0;
                    if alive {
                        return Err(Error::usage(format!(
                            "devloop dev is already running for environment \"{env}\" of this project (pid {pid})"
                        ))
                        .with_hint("stop it first (Ctrl-C in its terminal), or use another environment with -e"));
                    }
                    let _ = std::fs::remove_file(&path);
                }
                Err(e) => return Err(io(e)),
            }
        }
        Err(Error::failed(format!("cannot take {}", path.display())))
    }
}

impl Drop for DevLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
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

/// The last lines of a failure's output (build, test, or the new container's logs), indented
/// under the one-liner.
fn tail(err: &Error) -> String {
    let skip = err.detail.len().saturating_sub(8);
    err.detail[skip..]
        .iter()
        .map(|l| format!("\n    {l}"))
        .collect()
}

/// The first failed step of a report: its name and why.
fn failure(report: &Report) -> Option<(String, crate::error::Error)> {
    report.results.iter().find_map(|r| match &r.outcome {
        Outcome::Failed(e) => Some((r.name.clone(), e.clone())),
        _ => None,
    })
}

/// The release a dev build deploys: local (never pushed), never written to the ledger.
fn dev_record(project: &Session, built: &Built) -> Result<Record> {
    let (image_id, digest) = (built.image_id.clone(), built.digest.clone());
    if image_id.is_empty() || digest.len() < 12 {
        return Err(Error::failed("the build step reported no image"));
    }
    Ok(Record {
        format: 1,
        id: format!("dev-{}", &digest[..12]),
        app: project.config.app().to_string(),
        image: built.first_ref().to_string(),
        image_id,
        registry: None,
        repository: project.config.image_name().to_string(),
        tags: Vec::new(),
        moving_tags: Vec::new(),
        build_digest: Some(digest),
        git: None,
        created_at: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
        created_by: "devloop dev".into(),
        config_digest: String::new(),
        devloop_version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// `http://127.0.0.1:8080/` from a published port (`0.0.0.0:8080->80/tcp`, `8080->80`).
fn url(ports: &[String]) -> Option<String> {
    let host = ports.first()?.split("->").next()?;
    let port = host.rsplit(':').next()?;
    (!port.is_empty() && port != "0").then(|| format!("http://127.0.0.1:{port}/"))
}

/// Build (and test), then deploy through the gate; one line and one event say how it went.
async fn cycle(
    project: &Arc<Session>,
    target: &Arc<dyn Target>,
    opts: &DevOptions,
    quiet: &Printer,
    changed: &[String],
) -> Result<Cycle> {
    let what = if changed.is_empty() {
        "started".to_string()
    } else {
        changes(changed).trim().trim_matches(['(', ')']).to_string()
    };
    let slot: Slot<Built> = Slot::new(build::NAME);
    let mut steps = vec![build::step(project, &slot)];
    if opts.test {
        let o = Options {
            tests: project
                .config
                .doc
                .tests
                .iter()
                .filter(|t| t.kind != TestKind::Service)
                .map(|t| t.name.get_ref().clone())
                .collect(),
            ..Options::default()
        };
        if !o.tests.is_empty() {
            steps.extend(test::steps(project, &o, true, &slot, &Default::default())?);
        }
    }
    let built = Runner::new(project.settings.jobs, quiet.events())
        .run(steps)
        .await?;
    let took = |r: &Report, prefix: &str| {
        r.results
            .iter()
            .filter(|s| s.name.starts_with(prefix))
            .map(|s| s.duration)
            .max()
    };
    let (build_time, test_time) = (took(&built, "build"), took(&built, "test:"));
    let mut event = json!({
        "event": "rebuild",
        "changed": changed,
        "build_secs": build_time.map(|d| d.as_secs_f64()),
        "test_secs": test_time.map(|d| d.as_secs_f64()),
    });
    let mut parts = Vec::new();
    if let Some(d) = build_time {
        let skipped = built
            .results
            .iter()
            .any(|s| s.name == "build" && matches!(s.outcome, Outcome::Skipped(_)));
        parts.push(format!(
            "{} {}",
            if skipped { "build up to date" } else { "built" },
            crate::units::secs(d)
        ));
    }
    if let Some(d) = test_time {
        parts.push(format!("tested {}", crate::units::secs(d)));
    }
    let interrupted = |event: serde_json::Value| Cycle {
        line: format!("{} {what}: interrupted", crate::units::clock()),
        event,
        release: None,
        url: None,
        interrupted: true,
    };
    if built.interrupted {
        return Ok(interrupted(event));
    }
    if let Some((step, err)) = failure(&built) {
        event["error"] = json!({ "step": step, "message": err.message, "detail": err.detail });
        return Ok(Cycle {
            line: format!(
                "{} {what}: {step} failed: {}; the previous version keeps serving (save again to retry){}",
                crate::units::clock(),
                err.message,
                tail(&err)
            ),
            event,
            release: None,
            url: None,
            interrupted: false,
        });
    }
    let record = dev_record(project, slot.get()?)?;
    let deploy_started = Instant::now();
    let (t, p, r) = (target.clone(), project.clone(), record.clone());
    let step = Step::new(
        "deploy",
        StepPlan {
            action: format!("deploy {} to {}", record.id, target.name()),
            details: json!({}),
        },
        move |ctx| async move {
            // dev holds the environment's lock for its whole session.
            deploy::deploy_step(t.as_ref(), &p, &r, &ctx, deploy::Locking::Skip, false).await
        },
    );
    let deployed = Runner::new(1, quiet.events()).run(vec![step]).await?;
    let deploy_time = deploy_started.elapsed();
    event["deploy_secs"] = json!(deploy_time.as_secs_f64());
    event["release"] = json!(record.id);
    if deployed.interrupted {
        return Ok(interrupted(event));
    }
    let serving_url = target.status(None).await.ok().and_then(|s| url(&s.ports));
    event["url"] = json!(serving_url);
    let outcome = deployed.results.first().map(|s| s.outcome.clone());
    let (said, release) = match outcome {
        Some(Outcome::Done(said)) => {
            // A previous version that ignored its stop signal costs every redeploy its grace
            // period: say so, with the fix, as `ship` does.
            let slow = said
                .split_once(crate::deploy::SLOW_STOP)
                .map(|(_, note)| format!(" ({note})"))
                .unwrap_or_default();
            (
                format!("deployed {}{slow}", crate::units::secs(deploy_time)),
                Some(record.id),
            )
        }
        Some(Outcome::Skipped(_)) => ("nothing to redeploy".to_string(), Some(record.id)),
        Some(Outcome::Failed(e)) if e.kind == ExitKind::RolledBack => {
            event["error"] = json!({ "step": "deploy", "message": e.message, "detail": e.detail });
            (
                format!(
                    "not healthy: {}; the previous version keeps serving (save again to retry){}",
                    e.message,
                    tail(&e)
                ),
                None,
            )
        }
        Some(Outcome::Failed(e)) => {
            event["error"] = json!({ "step": "deploy", "message": e.message, "detail": e.detail });
            (format!("deploy failed: {}{}", e.message, tail(&e)), None)
        }
        _ => ("deploy did not run".to_string(), None),
    };
    parts.push(said);
    event["served"] = json!(release.is_some());
    let line = format!(
        "{} {what}: {}{}",
        crate::units::clock(),
        parts.join(", "),
        serving_url
            .as_deref()
            .filter(|_| release.is_some())
            .map(|u| format!(" → {u}"))
            .unwrap_or_default()
    );
    Ok(Cycle {
        line,
        event,
        release,
        url: serving_url,
        interrupted: false,
    })
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

#[cfg(test)]
mod tests {
    use super::{changes, url};

    #[test]
    fn a_change_is_said_in_few_words_and_the_url_comes_from_the_published_port() {
        assert_eq!(changes(&[]), "");
        assert_eq!(changes(&["a".into()]), " (a changed)");
        assert_eq!(
            changes(&["a".into(), "b".into(), "c".into()]),
            " (a and 2 more changed)"
        );
        assert_eq!(
            url(&["0.0.0.0:8080->80/tcp".into()]).as_deref(),
            Some("http://127.0.0.1:8080/")
        );
        assert_eq!(
            url(&["8081->80".into()]).as_deref(),
            Some("http://127.0.0.1:8081/")
        );
        assert_eq!(url(&[]), None);
    }
}
