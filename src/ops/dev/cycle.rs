//! One rebuild of `devloop dev`: build (and test), then deploy through the gate; one line and one
//! event say how it went, with how long each part took and where it serves.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;

use super::{changes, DevOptions};
use crate::config::schema::TestKind;
use crate::deploy::{self, Target};
use crate::engine::{Outcome, Report, Runner, Slot, Step, StepPlan};
use crate::error::{Error, ExitKind, Result};
use crate::ops::build::{self, Built};
use crate::ops::{test, Options};
use crate::output::Printer;
use crate::release::Record;
use crate::session::Session;

/// How one rebuild ended.
pub(super) struct Cycle {
    pub(super) line: String,
    pub(super) event: serde_json::Value,
    /// The dev release now serving, when this rebuild deployed one.
    pub(super) release: Option<String>,
    pub(super) url: Option<String>,
    pub(super) interrupted: bool,
}

impl Cycle {
    /// A rebuild stopped by Ctrl-C or SIGTERM.
    fn interrupted(what: &str, event: serde_json::Value) -> Cycle {
        Cycle {
            line: format!("{} {what}: interrupted", crate::units::clock()),
            event,
            release: None,
            url: None,
            interrupted: true,
        }
    }

    /// A rebuild whose build or test failed: the previous version keeps serving.
    fn failed(what: &str, step: &str, err: &Error, mut event: serde_json::Value) -> Cycle {
        event["error"] = json!({ "step": step, "message": err.message, "detail": err.detail });
        Cycle {
            line: format!(
                "{} {what}: {step} failed: {}; the previous version keeps serving (save again to retry){}",
                crate::units::clock(),
                err.message,
                tail(err)
            ),
            event,
            release: None,
            url: None,
            interrupted: false,
        }
    }
}

/// Build (and test), then deploy through the gate; one line and one event say how it went.
pub(super) async fn cycle(
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
    let built = build_and_test(project, opts, quiet, &slot).await?;
    let (mut event, mut parts) = timing(&built, changed);
    if built.interrupted {
        return Ok(Cycle::interrupted(&what, event));
    }
    if let Some((step, err)) = failure(&built) {
        return Ok(Cycle::failed(&what, &step, &err, event));
    }
    let record = dev_record(project, slot.get()?)?;
    let (deployed, deploy_time) = deploy(project, target, quiet, &record).await?;
    event["deploy_secs"] = json!(deploy_time.as_secs_f64());
    event["release"] = json!(record.id);
    if deployed.interrupted {
        return Ok(Cycle::interrupted(&what, event));
    }
    let serving_url = target.status(None).await.ok().and_then(|s| url(&s.ports));
    event["url"] = json!(serving_url);
    let (said, release) = deploy_said(&deployed, record, deploy_time, &mut event);
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

/// Run the build step and, with `--test`, the tests that do not start a service.
async fn build_and_test(
    project: &Arc<Session>,
    opts: &DevOptions,
    quiet: &Printer,
    slot: &Slot<Built>,
) -> Result<Report> {
    let mut steps = vec![build::step(project, slot)];
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
            steps.extend(test::steps(
                project,
                &o,
                true,
                slot,
                &Default::default(),
                &Default::default(),
            )?);
        }
    }
    Runner::new(project.settings.jobs, quiet.events())
        .run(steps)
        .await
}

/// The rebuild event with the build and test times, and the line's first parts
/// ("built 2.1s", "tested 0.4s").
fn timing(built: &Report, changed: &[String]) -> (serde_json::Value, Vec<String>) {
    let took = |prefix: &str| {
        built
            .results
            .iter()
            .filter(|s| s.name.starts_with(prefix))
            .map(|s| s.duration)
            .max()
    };
    let (build_time, test_time) = (took("build"), took("test:"));
    let event = json!({
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
    (event, parts)
}

/// Deploy the dev release through the deploy path and its gate, and how long that took.
async fn deploy(
    project: &Arc<Session>,
    target: &Arc<dyn Target>,
    quiet: &Printer,
    record: &Record,
) -> Result<(Report, Duration)> {
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
    Ok((deployed, deploy_started.elapsed()))
}

/// What the deploy did, for the line, and the release now serving when it served.
fn deploy_said(
    deployed: &Report,
    record: Record,
    deploy_time: Duration,
    event: &mut serde_json::Value,
) -> (String, Option<String>) {
    let outcome = deployed.results.first().map(|s| s.outcome.clone());
    match outcome {
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
fn failure(report: &Report) -> Option<(String, Error)> {
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
        services: Vec::new(),
    })
}

/// `http://127.0.0.1:8080/` from a published port (`0.0.0.0:8080->80/tcp`, `8080->80`).
pub(super) fn url(ports: &[String]) -> Option<String> {
    let host = ports.first()?.split("->").next()?;
    let port = host.rsplit(':').next()?;
    (!port.is_empty() && port != "0").then(|| format!("http://127.0.0.1:{port}/"))
}
