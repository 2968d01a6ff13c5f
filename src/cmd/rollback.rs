//! `devloop rollback`: put the release before the running one (or `--to ID`) back on the target,
//! through the same path and verdict as a deploy.

use serde_json::json;

use super::Context;
use crate::cli::RollbackArgs;
use crate::deploy;
use crate::engine::{Runner, Step, StepPlan};
use crate::error::{Error, Result};
use crate::pipeline::{self, Project};
use crate::release::{self, Record};

/// The release a rollback puts back (`to`, else the one recorded before the running one) and
/// what runs now; `plan rollback` asks the same question.
pub(super) async fn select(
    project: &Project,
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

pub fn run(ctx: &Context, args: &RollbackArgs) -> Result<i32> {
    let project = ctx.project()?;
    let env = project.config.require_env()?.to_string();
    let target = deploy::open(&project)?;
    let runtime = super::run::runtime()?;
    let (to, running) = runtime.block_on(select(&project, target.as_ref(), args.to.as_deref()))?;
    let from = running.unwrap_or_else(|| "nothing".into());
    let plan = StepPlan {
        action: format!("roll {env} back from {from} to {}", to.id),
        details: json!({ "env": env, "from": from, "to": to.id, "image": to.image }),
    };
    let timeout = pipeline::deploy_timeout(&project, &pipeline::Options::default());
    let p = project.clone();
    let lock = deploy::Locking::from_flags(args.force_unlock, args.no_lock, args.wait_lock);
    let step = Step::new("rollback", plan, move |sctx| async move {
        deploy::deploy_step(target.as_ref(), &p, &to, &sctx, timeout, lock, true).await
    });
    let report = runtime.block_on(Runner::new(1, ctx.printer.events()).run(vec![step]))?;
    ctx.printer.summary("rollback", &report);
    Ok(report.exit_code())
}
