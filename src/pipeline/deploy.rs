//! The deploy step: roll the release out to the environment's target.

use std::sync::Arc;

use serde_json::json;

use super::{Options, Project};
use crate::config::TargetKind;
use crate::engine::{Done, Step, StepCtx, StepPlan};
use crate::error::Result;
use crate::target;

pub const NAME: &str = "deploy";

pub fn plan(project: &Project, opts: &Options) -> Result<StepPlan> {
    let cfg = &project.config;
    let env = cfg.require_env()?;
    let d = &cfg.doc.deploy;
    let Some(target) = cfg.target() else {
        return Err(cfg.source.error(
            None,
            format!("environment \"{env}\" has no deploy target: set deploy.target (docker, swarm, ecs or beanstalk)"),
        ));
    };
    let settings = match target {
        TargetKind::Docker => serde_json::to_value(d.docker.clone().unwrap_or_default()),
        TargetKind::Swarm => serde_json::to_value(d.swarm.clone().unwrap_or_default()),
        TargetKind::Ecs => serde_json::to_value(&d.ecs),
        TargetKind::Beanstalk => serde_json::to_value(&d.beanstalk),
    }
    .unwrap_or(json!(null));
    let timeout = opts.deploy.timeout.or(d.timeout.map(|t| t.get()));
    let name = cfg.deployment_name();
    let what = match target {
        TargetKind::Docker => {
            format!("replace container {name} with the new release after it is healthy")
        }
        TargetKind::Swarm => format!("update swarm service {name} and watch the rollout"),
        TargetKind::Ecs => {
            "register a task definition revision and update the ECS service".to_string()
        }
        TargetKind::Beanstalk => {
            "create an application version and update the Beanstalk environment".to_string()
        }
    };
    Ok(StepPlan {
        action: format!("deploy to {env} ({}): {what}", target.as_str()),
        details: json!({
            "env": env,
            "target": target.as_str(),
            "name": name,
            "release": opts.deploy.release.clone().unwrap_or_else(|| "latest".into()),
            "timeout": timeout.map(|t| humantime::format_duration(t).to_string()),
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

/// How long the deploy may take to become healthy.
pub fn timeout(project: &Project, opts: &Options) -> std::time::Duration {
    opts.deploy
        .timeout
        .or(project.config.doc.deploy.timeout.map(|t| t.get()))
        .unwrap_or(target::DEFAULT_TIMEOUT)
}

async fn run(project: &Project, opts: &Options, ctx: &StepCtx) -> Result<Done> {
    project.config.require_env()?;
    let records = target::releases(project)?;
    let record = target::choose(&records, opts.deploy.release.as_deref())?;
    target::deploy(project, record, ctx, timeout(project, opts)).await
}
