//! `devloop rollback`: put the release before the running one (or `--to ID`) back on the target,
//! through the same health gate as a deploy.

use std::sync::Arc;

use serde_json::json;

use super::Context;
use crate::cli::RollbackArgs;
use crate::engine::{Runner, Step, StepPlan};
use crate::error::{Error, Result};
use crate::pipeline::{self, Project};
use crate::target;

pub fn run(ctx: &Context, args: &RollbackArgs) -> Result<i32> {
    let project = ctx.project()?;
    let env = project.config.require_env()?.to_string();
    let kind = project
        .config
        .target()
        .ok_or_else(|| Error::usage(format!("environment \"{env}\" has no deploy target")))?;
    if !target::available(kind) {
        return Err(Error::not_available(&format!(
            "devloop rollback on {}",
            kind.as_str()
        )));
    }
    let runtime = super::run::runtime()?;
    let records = target::releases(&project)?;
    let running = runtime.block_on(target::running_release(&project))?;
    let to = match (&args.to, &running) {
        (Some(id), _) => target::choose(&records, Some(id))?.clone(),
        (None, None) => {
            return Err(Error::usage(format!(
                "nothing devloop deployed is running in \"{env}\"; nothing to roll back"
            ))
            .with_hint("use `devloop deploy --release ID` to deploy a recorded release"))
        }
        (None, Some(current)) => target::previous(&records, current)
            .ok_or_else(|| {
                Error::usage(format!(
                    "no release is recorded before {current}, the one running in \"{env}\""
                ))
            })?
            .clone(),
    };
    let from = running.unwrap_or_else(|| "nothing".into());
    let plan = StepPlan {
        action: format!("roll {env} back from {from} to {}", to.id),
        details: json!({ "env": env, "from": from, "to": to.id, "image": to.image }),
    };
    let project: Arc<Project> = project;
    let timeout = pipeline::deploy_timeout(&project, &pipeline::Options::default());
    let p = project.clone();
    let step = Step::new("rollback", plan, move |sctx| async move {
        target::deploy(&p, &to, &sctx, timeout).await
    });
    let report = runtime.block_on(Runner::new(1, ctx.printer.clone()).run(vec![step]))?;
    ctx.printer.summary("rollback", &report);
    Ok(report.exit_code())
}
