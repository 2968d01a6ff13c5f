//! The release step: push the image and record the release.

use std::sync::Arc;

use serde_json::json;

use super::{Options, Project};
use crate::engine::{Step, StepPlan};
use crate::error::Error;

pub const NAME: &str = "release";
pub const AVAILABLE: bool = false;

pub fn plan(project: &Project, opts: &Options) -> StepPlan {
    let r = &project.config.doc.release;
    let repository = r
        .repository
        .clone()
        .unwrap_or_else(|| project.config.image_name().to_string());
    let templates = r.tags.as_ref().unwrap_or(&project.config.doc.build.tags);
    let tags = project.render(templates);
    let moving = project.render(&r.moving_tags);
    let registry = r.registry.as_ref().map(|s| s.get_ref().clone());
    let action = match (&registry, &tags) {
        (Some(reg), Ok(t)) => format!(
            "push {repository}:{} to {reg} and record the release",
            t.join(",")
        ),
        (Some(reg), Err(_)) => format!("push {repository} to {reg} and record the release"),
        (None, _) => format!("tag {repository} in the local Docker daemon and record the release"),
    };
    StepPlan {
        action,
        details: json!({
            "registry": registry,
            "repository": repository,
            "tags": tags.as_ref().ok(),
            "tags_error": tags.as_ref().err(),
            "moving_tags": moving.as_ref().ok(),
            "ledger": r.ledger.as_ref().map(|l| l.get_ref()),
            "local_ledger": ".devloop/releases",
            "allow_dirty": r.allow_dirty || opts.allow_dirty,
            "git_dirty": project.git.as_ref().map(|g| g.dirty).ok(),
            "ecr": r.ecr,
        }),
    }
}

pub fn step(project: &Arc<Project>, opts: &Options) -> Step {
    Step::new(NAME, plan(project, opts), |_ctx| async move {
        Err(Error::not_available("the release step"))
    })
}
