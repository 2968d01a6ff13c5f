//! The deploy step: roll the release out to the environment's target.

use std::sync::Arc;

use serde_json::json;

use super::{Options, Project};
use crate::config::TargetKind;
use crate::deploy;
use crate::engine::{Done, Step, StepCtx, StepPlan};
use crate::error::Result;
use crate::release;

pub const NAME: &str = "deploy";

pub fn plan(project: &Arc<Project>, opts: &Options) -> Result<StepPlan> {
    let cfg = &project.config;
    let env = cfg.require_env()?;
    let d = &cfg.doc.deploy;
    let target = cfg.target();
    // The target's own table (`[deploy.<target>]`), as resolved.
    let settings = target
        .and_then(|t| {
            serde_json::to_value(d)
                .ok()
                .and_then(|v| v.get(t.as_str()).cloned())
        })
        .unwrap_or(json!(null));
    let what = match deploy::open(project) {
        Ok(t) => t.describe(),
        Err(e) if target.is_some() => e.message,
        Err(e) => return Err(e),
    };
    let kind = target.map(TargetKind::as_str).unwrap_or("none");
    Ok(StepPlan {
        action: format!("deploy to {env} ({kind}): {what}"),
        details: json!({
            "env": env,
            "target": kind,
            "name": cfg.deployment_name(),
            "release": opts.deploy.release.clone().unwrap_or_else(|| "latest".into()),
            "timeout": humantime::format_duration(timeout(project, opts)).to_string(),
            "health": d.health,
            "settings": settings,
        }),
    })
}

pub fn step(project: &Arc<Project>, opts: &Options) -> Result<Step> {
    let (p, o) = (project.clone(), opts.clone());
    Ok(Step::new(
        NAME,
        plan(project, opts)?,
        move |ctx| async move { run(&p, &o, &ctx).await },
    ))
}

/// How long the deploy may take to become healthy: `--timeout`, the target's own `timeout`,
/// `deploy.timeout`, else the target's default.
pub fn timeout(project: &Project, opts: &Options) -> std::time::Duration {
    let d = &project.config.doc.deploy;
    let beanstalk = project.config.target() == Some(TargetKind::Beanstalk);
    let own = d
        .beanstalk
        .as_ref()
        .filter(|_| beanstalk)
        .and_then(|b| b.timeout.map(|t| t.get()));
    opts.deploy
        .timeout
        .or(own)
        .or(d.timeout.map(|t| t.get()))
        .unwrap_or(if beanstalk {
            deploy::BEANSTALK_TIMEOUT
        } else {
            deploy::DEFAULT_TIMEOUT
        })
}

async fn run(project: &Arc<Project>, opts: &Options, ctx: &StepCtx) -> Result<Done> {
    let target = deploy::open(project)?;
    let records = release::history(project).await?;
    let record = release::choose(&records, opts.deploy.release.as_deref())?;
    deploy::deploy_step(
        target.as_ref(),
        project,
        record,
        ctx,
        timeout(project, opts),
        deploy::Locking::from_flags(
            opts.deploy.force_unlock,
            opts.deploy.no_lock,
            opts.deploy.wait_lock,
        ),
        false,
    )
    .await
}
