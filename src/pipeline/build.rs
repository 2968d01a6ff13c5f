//! The build step: what it would build (for `plan`) and the build itself.

use std::sync::Arc;

use serde_json::json;

use super::{Options, Project};
use crate::engine::{Step, StepPlan};
use crate::error::Error;

pub const NAME: &str = "build";
pub const AVAILABLE: bool = false;

pub fn plan(project: &Project, opts: &Options) -> StepPlan {
    let cfg = &project.config;
    let b = &cfg.doc.build;
    let rel = |p: &std::path::Path| {
        p.strip_prefix(&cfg.root)
            .map(|r| r.display().to_string())
            .unwrap_or_else(|_| p.display().to_string())
    };
    let dockerfile = rel(&cfg.dockerfile());
    let (action, tags, error) = match project.image_refs() {
        Ok(refs) => (
            format!(
                "build {} from {dockerfile} (context {})",
                refs.join(", "),
                b.context
            ),
            json!(refs),
            None,
        ),
        Err(why) => (
            format!("build {} from {dockerfile}", cfg.image_name()),
            json!(null),
            Some(why),
        ),
    };
    StepPlan {
        action,
        details: json!({
            "image": cfg.image_name(),
            "tags": tags,
            "tags_error": error,
            "context": b.context,
            "dockerfile": dockerfile,
            "target": b.target,
            "platform": b.platform,
            "args": b.args,
            "labels": b.labels,
            "cache_from": b.cache_from,
            "buildkit": b.buildkit || opts.build.buildkit,
            "no_cache": opts.build.no_cache,
        }),
    }
}

pub fn step(project: &Arc<Project>, opts: &Options) -> Step {
    let timeout = project.config.doc.build.timeout.map(|d| d.get());
    Step::new(NAME, plan(project, opts), |_ctx| async move {
        Err(Error::not_available("the build step"))
    })
    .timeout(timeout)
}
