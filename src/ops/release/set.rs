//! The release of a set of services: each built service's image is pushed by a step of its own,
//! then one record names them all. The record is written only once every push has succeeded, so
//! no record ever points at half a set.

use std::sync::Arc;

use serde_json::json;

use super::{move_tags, new_record, plan, push, Pushed};
use crate::engine::{Done, Slot, Step, StepCtx, StepPlan};
use crate::error::{Error, Result};
use crate::ops::build::Built;
use crate::release::{self, Record, ServiceImage};
use crate::session::Session;

/// One service's push: its tags put where the release goes, its moving tags left for the record.
pub fn push_step(project: &Arc<Session>, built: &Slot<Built>, out: &Slot<Pushed>) -> Step {
    let mut p = plan(project);
    p.action = p
        .action
        .replace(" and record the release", " (recorded with the set)");
    let (project, built, out) = (project.clone(), built.clone(), out.clone());
    Step::new(super::NAME, p, move |ctx| async move {
        let pushed = push(&project, built.get()?, &ctx).await?;
        let said = match &pushed.registry {
            Some(reg) => format!(
                "pushed {} as {} ({} tag(s) to {reg})",
                pushed.pinned,
                pushed.tags.join(", "),
                pushed.pushed
            ),
            None => format!("tagged {} in the local daemon", pushed.pinned),
        };
        out.fill(pushed);
        Ok(Done::new(said))
    })
}

/// What the release of a set did, for the summary and `--output json`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReleasedSet {
    pub release: String,
    pub services: Vec<ServiceImage>,
    /// How many tags were pushed, every service's together.
    pub pushed: usize,
    /// Whether a new record was written (`false`: this set was already released so).
    pub recorded: bool,
}

/// The set's record, once every service's push is done: services not released this time
/// (`-s`) keep the image of the set's last release.
pub fn set_step(project: &Arc<Session>, pushes: Vec<(Arc<Session>, Slot<Pushed>)>) -> Step {
    let names: Vec<String> = pushes
        .iter()
        .filter_map(|(s, _)| s.config.service.clone())
        .collect();
    let plan = StepPlan {
        action: format!(
            "record one release of the set ({}) once every push succeeded",
            names.join(", ")
        ),
        details: json!({ "services": names, "local_ledger": ".devloop/releases" }),
    };
    let project = project.clone();
    Step::new(super::NAME, plan, move |ctx| async move {
        record_set(&project, &pushes, &ctx).await
    })
}

async fn record_set(
    project: &Session,
    pushes: &[(Arc<Session>, Slot<Pushed>)],
    ctx: &StepCtx,
) -> Result<Done> {
    let cfg = &project.config;
    let history = release::history(project).await?;
    let last = history
        .iter()
        .rev()
        .find(|h| h.app == cfg.app() && h.is_set());
    let mut images = Vec::new();
    let mut pushed = 0;
    for svc in cfg.services.iter().filter(|s| !s.is_dependency()) {
        let this = pushes
            .iter()
            .find(|(s, _)| s.config.service.as_deref() == Some(svc.name.as_str()));
        match this {
            Some((_, slot)) => {
                let p = slot.get()?;
                pushed += p.pushed;
                images.push(service_image(&svc.name, p));
            }
            None => images.push(carried(last, &svc.name)?),
        }
    }
    let by_service = |v: &[ServiceImage]| {
        let mut v = v.to_vec();
        v.sort_by(|a, b| a.service.cmp(&b.service));
        v
    };
    let same = |l: &&Record| by_service(&l.services) == by_service(&images);
    if let Some(last) = last.filter(|l| same(l) && pushed == 0) {
        for (s, slot) in pushes {
            move_tags(s, ctx, slot.get()?).await?;
        }
        return Ok(Done::skipped(format!(
            "this set is already released as {}; nothing pushed",
            last.id
        ))
        .with_result(ReleasedSet {
            release: last.id.clone(),
            services: images,
            pushed: 0,
            recorded: false,
        }));
    }
    let record = set_record(project, pushes, images)?;
    let path = release::record(project, &record).await?;
    for (s, slot) in pushes {
        pushed += move_tags(s, ctx, slot.get()?).await?;
    }
    Ok(Done::new(format!(
        "released {} service(s) as {} (record {})",
        record.services.len(),
        record.id,
        path.strip_prefix(&cfg.root).unwrap_or(&path).display()
    ))
    .with_result(ReleasedSet {
        release: record.id.clone(),
        services: record.services.clone(),
        pushed,
        recorded: true,
    }))
}

fn service_image(service: &str, p: &Pushed) -> ServiceImage {
    ServiceImage {
        service: service.to_string(),
        image: p.pinned.clone(),
        image_id: p.image_id.clone(),
        registry: p.registry.clone(),
        repository: p.repository.clone(),
        tags: p.tags.clone(),
        moving_tags: p.moving.clone(),
        build_digest: Some(p.build_digest.clone()),
    }
}

/// A service not released this time keeps its image from the set's last release.
fn carried(last: Option<&Record>, service: &str) -> Result<ServiceImage> {
    last.and_then(|l| l.services.iter().find(|s| s.service == service))
        .cloned()
        .ok_or_else(|| {
            Error::usage(format!(
                "service \"{service}\" has no released image yet, so a release of part of the set cannot name one for it"
            ))
            .with_hint("release the whole set once (`devloop release` without -s)")
        })
}

/// The set's record: the run's id and provenance, and every service's image.
fn set_record(
    project: &Session,
    pushes: &[(Arc<Session>, Slot<Pushed>)],
    services: Vec<ServiceImage>,
) -> Result<Record> {
    let (_, first) = pushes
        .first()
        .ok_or_else(|| Error::failed("no service was pushed"))?;
    let mut record = new_record(project, first.get()?);
    record.format = release::FORMAT_SET;
    record.image = String::new();
    record.image_id = String::new();
    record.registry = None;
    record.repository = String::new();
    // The set is named by this run's tags (`--release <sha>` finds the set made from it).
    record.tags = first.get()?.tags.clone();
    record.moving_tags = Vec::new();
    record.build_digest = None;
    record.services = services;
    Ok(record)
}
