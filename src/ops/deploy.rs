//! The deploy step: roll the release out to the environment's target.

use std::sync::Arc;

use serde_json::json;

use super::Options;
use crate::config::TargetKind;
use crate::deploy;
use crate::engine::{Done, Step, StepCtx, StepPlan};
use crate::error::Result;
use crate::release;
use crate::session::Session;

pub const NAME: &str = "deploy";

pub fn plan(project: &Arc<Session>, opts: &Options) -> Result<StepPlan> {
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
            "release": opts.release.clone().unwrap_or_else(|| "latest".into()),
            "timeout": humantime::format_duration(project.settings.deploy_timeout).to_string(),
            "health": d.health,
            "settings": settings,
        }),
    })
}

pub fn step(project: &Arc<Session>, opts: &Options) -> Result<Step> {
    let (p, o) = (project.clone(), opts.clone());
    Ok(Step::new(
        NAME,
        plan(project, opts)?,
        move |ctx| async move { run(&p, &o, &ctx).await },
    ))
}

async fn run(project: &Arc<Session>, opts: &Options, ctx: &StepCtx) -> Result<Done> {
    let target = deploy::open(project)?;
    let records = release::history(project).await?;
    let record = release::choose(&records, opts.release.as_deref())?;
    deploy::deploy_step(target.as_ref(), project, record, ctx, opts.lock, false).await
}

/// The deploy of a set: the chosen release's images rolled out along the graph.
pub fn set_step(project: &Arc<Session>, opts: &Options) -> Result<Step> {
    let (p, o) = (project.clone(), opts.clone());
    let mut plan = plan(project, opts)?;
    let order: Vec<String> = super::chosen::select(project, &opts.services, !opts.no_deps)?;
    let env = project.config.require_env()?;
    let kind = project
        .config
        .target()
        .map(TargetKind::as_str)
        .unwrap_or("none");
    plan.action = if project.config.eb_mode == Some(crate::config::EbMode::Bundle) {
        format!(
            "deploy to {env} ({kind}) as one bundle for {} in environment {}: one docker-compose.yml (each service pinned by digest, started in the order of its needs), one application version, one verdict; a failure puts the whole bundle back",
            order.join(", "),
            // Every service names the one environment; the first service's view says which.
            project
                .services()
                .first()
                .and_then(|s| deploy::open(s).ok())
                .map(|t| t.name())
                .unwrap_or_default()
        )
    } else {
        format!(
            "deploy to {env} ({kind}) along the graph: {}; each service passes its own health gate before what needs it starts, and if one fails every service this deploy switched goes back to what it ran before",
            order.join(" → ")
        )
    };
    plan.details["services"] = json!(order);
    Ok(Step::new(NAME, plan, move |ctx| async move {
        let records = release::history(&p).await?;
        let record = release::choose_set(&records, o.release.as_deref())?;
        if p.config.eb_mode == Some(crate::config::EbMode::Bundle) {
            let services = &o.services;
            return deploy::beanstalk::deploy_set_bundle(&p, record, services, &ctx, o.lock, false)
                .await;
        }
        let members = super::chosen::members(&p, &o, record, &records, &ctx);
        deploy::set::deploy_set(&p, members, &record.id, &ctx, o.lock, false).await
    }))
}
