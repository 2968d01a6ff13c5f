//! `devloop rollback`: put the release before the running one (or `--to ID`) back on the target,
//! through the same path and verdict as a deploy.

use std::sync::Arc;

use serde_json::json;

use super::{runtime, Context};
use crate::deploy::{self, Locking};
use crate::engine::{Runner, Step, StepPlan};
use crate::error::{Error, ExitStatus, Result};
use crate::release::{self, Record};
use crate::session::Session;

/// What `devloop rollback` is asked.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The release to go back to [default: the one before the running one].
    pub to: Option<String>,
    pub lock: Locking,
}

/// The release a rollback puts back (`to`, else the one recorded before the running one) and
/// what runs now; `plan rollback` asks the same question.
pub async fn select(
    project: &Session,
    target: &dyn deploy::Target,
    to: Option<&str>,
) -> Result<(Record, Option<String>)> {
    let env = project.config.require_env()?.to_string();
    let records = release::history(project).await?;
    let running = target.running().await?;
    let chosen = match (to, &running) {
        (Some(id), _) => release::choose(&records, Some(id))?.clone(),
        (None, None) => {
            return Err(Error::usage(format!(
                "nothing devloop deployed is running in \"{env}\"; nothing to roll back"
            ))
            .with_hint("use `devloop deploy --release ID` to deploy a recorded release"))
        }
        (None, Some(current)) => release::previous(&records, current)
            .ok_or_else(|| {
                Error::usage(format!(
                    "no release is recorded before {current}, the one running in \"{env}\"; nothing to roll back to"
                ))
                .with_hint("`devloop release --list` shows the recorded releases; deploy another with `devloop deploy --release ID`")
            })?
            .clone(),
    };
    Ok((chosen, running))
}

/// The release of the set a rollback puts back (`to`, else the set recorded before the newest
/// one the selected services run) and that newest one.
pub async fn select_set(
    project: &Arc<Session>,
    services: &[String],
    to: Option<&str>,
) -> Result<(Record, Option<String>)> {
    let env = project.config.require_env()?.to_string();
    let records = release::history(project).await?;
    let chosen = super::chosen::select(project, services, false)?;
    let mut running: Option<usize> = None;
    for s in project.services() {
        let built = s.config.this_service().is_some_and(|x| !x.is_dependency());
        if !built
            || !s
                .config
                .service
                .as_ref()
                .is_some_and(|n| chosen.contains(n))
        {
            continue;
        }
        if let Some(id) = deploy::open(&s)?.running().await? {
            let at = records.iter().position(|r| r.id == id);
            running = running.max(at);
        }
    }
    let current = running.map(|i| records[i].id.clone());
    let record = match (to, &current) {
        (Some(id), _) => release::choose(&records, Some(id))?.clone(),
        (None, None) => {
            return Err(Error::usage(format!(
                "nothing devloop deployed is running in \"{env}\"; nothing to roll back"
            ))
            .with_hint("use `devloop deploy --release ID` to deploy a recorded release"))
        }
        // The newest set recorded before what runs now (which may be a release of one image,
        // from before the file had services).
        (None, Some(current)) => records
            .iter()
            .take_while(|r| &r.id != current)
            .filter(|r| r.is_set())
            .last()
            .ok_or_else(|| {
                Error::usage(format!(
                    "no release of the set is recorded before {current}, the newest one running in \"{env}\"; nothing to roll back to"
                ))
                .with_hint("`devloop release --list` shows the recorded releases")
            })?
            .clone(),
    };
    Ok((record, current))
}

/// `devloop rollback` of a set: the whole set (or `-s`) goes back through the deploy's graph.
fn run_set(ctx: &Context, project: &Arc<Session>, args: &Request) -> Result<ExitStatus> {
    super::pipeline::set_target_ok(project)?;
    let env = project.config.require_env()?.to_string();
    let runtime = runtime()?;
    let (to, running) = runtime.block_on(select_set(project, &ctx.services, args.to.as_deref()))?;
    let from = running.unwrap_or_else(|| "nothing".into());
    let plan = StepPlan {
        action: format!("roll {env} back from {from} to {}", to.id),
        details: json!({ "env": env, "from": from, "to": to.id, "images": to.images() }),
    };
    let opts = super::Options {
        services: ctx.services.clone(),
        no_deps: true,
        lock: args.lock,
        ..Default::default()
    };
    let p = project.clone();
    let lock = args.lock;
    let step = Step::new("rollback", plan, move |sctx| async move {
        if p.config.eb_mode == Some(crate::config::EbMode::Bundle) {
            let services = &opts.services;
            return deploy::beanstalk::deploy_set_bundle(&p, &to, services, &sctx, lock, true)
                .await;
        }
        let records = release::history(&p).await?;
        let members = super::chosen::members(&p, &opts, &to, &records, &sctx);
        deploy::set::deploy_set(&p, members, &to.id, &sctx, lock, true).await
    });
    let report = runtime.block_on(Runner::new(1, ctx.printer.events()).run(vec![step]))?;
    ctx.printer.summary("rollback", &report);
    Ok(report.status())
}

pub fn run(ctx: &Context, args: &Request) -> Result<ExitStatus> {
    let project = ctx.session()?;
    if project.config.multi {
        return run_set(ctx, &project, args);
    }
    let env = project.config.require_env()?.to_string();
    let target = deploy::open(&project)?;
    let runtime = runtime()?;
    let (to, running) = runtime.block_on(select(&project, target.as_ref(), args.to.as_deref()))?;
    let from = running.unwrap_or_else(|| "nothing".into());
    let plan = StepPlan {
        action: format!("roll {env} back from {from} to {}", to.id),
        details: json!({ "env": env, "from": from, "to": to.id, "image": to.image }),
    };
    let p = project.clone();
    let lock = args.lock;
    let step = Step::new("rollback", plan, move |sctx| async move {
        deploy::deploy_step(target.as_ref(), &p, &to, &sctx, lock, true).await
    });
    let report = runtime.block_on(Runner::new(1, ctx.printer.events()).run(vec![step]))?;
    ctx.printer.summary("rollback", &report);
    Ok(report.status())
}
