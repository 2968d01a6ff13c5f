//! `devloop rollback`: put the release before the running one (or `--to ID`) back on the target,
//! through the same path and verdict as a deploy.

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

pub fn run(ctx: &Context, args: &Request) -> Result<ExitStatus> {
    let project = ctx.session()?;
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
