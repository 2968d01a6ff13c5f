//! The build step: what it would build (for `plan`) and the build itself, which scans the context
//! ([`scan`]), skips an identical build ([`cache`]) or builds the image ([`image`]).

mod cache;
mod dockerfile;
mod image;
mod scan;
mod secrets;

use std::sync::Arc;

use serde_json::json;

use crate::docker::context;
use crate::engine::{Done, Slot, Step, StepCtx, StepPlan};
use crate::error::{Error, Result};
use crate::session::Session;

pub const NAME: &str = "build";
pub const AVAILABLE: bool = true;

fn plan(project: &Session) -> StepPlan {
    let cfg = &project.config;
    let b = &cfg.doc.build;
    let rel = |p: &std::path::Path| {
        p.strip_prefix(&cfg.root)
            .map(|r| r.display().to_string())
            .unwrap_or_else(|_| p.display().to_string())
    };
    let dockerfile = rel(&cfg.dockerfile());
    let git_note = if git_in_context(project) {
        format!("; {GIT_IN_CONTEXT}")
    } else {
        String::new()
    };
    let (action, tags, error) = match project.image_refs(None) {
        Ok(refs) => (
            format!(
                "build {} from {dockerfile} (context {}){git_note}",
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
            "buildkit": project.settings.buildkit,
            "secrets": b.secrets.keys().collect::<Vec<_>>(),
            "no_cache": project.settings.no_cache,
        }),
    }
}

/// Said by `plan` and `build` when the repository itself is sent with every build.
const GIT_IN_CONTEXT: &str = "note: .git is in the build context, so every commit changes the image (add .git to .dockerignore)";

/// Whether the build context holds the git directory and the ignore file the builder reads does
/// not leave it out.
fn git_in_context(project: &Session) -> bool {
    let cfg = &project.config;
    let context = cfg.context_dir();
    if !context.join(".git").exists() {
        return false;
    }
    let buildkit = project.settings.buildkit.unwrap_or(true);
    let file = context::ignore_file(&context, &cfg.dockerfile(), buildkit);
    let rules = std::fs::read_to_string(file).unwrap_or_default();
    crate::docker::ignore::Ignore::parse(&rules).map_or(true, |i| !i.excludes(".git"))
}

/// What a build hands the steps after it: the image, by ID and by the references it was tagged
/// with, and the content digest it was built from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Built {
    pub image: String,
    pub refs: Vec<String>,
    pub image_id: String,
    pub digest: String,
    /// `buildkit` or `classic`; `None` when an identical build was found.
    pub builder: Option<&'static str>,
    /// Whether an image was built (`false`: an identical build existed).
    pub built: bool,
}

impl Built {
    /// The reference tests run and releases are made from.
    pub fn first_ref(&self) -> &str {
        self.refs.first().map_or(&self.image_id, String::as_str)
    }
    /// The short digest the `{digest}` tag placeholder stands for.
    pub fn short_digest(&self) -> &str {
        self.digest.get(..12).unwrap_or(&self.digest)
    }
}

/// The build step; its result goes into `built` for the steps after it.
pub fn step(project: &Arc<Session>, built: &Slot<Built>) -> Step {
    let timeout = project.config.doc.build.timeout.map(|d| d.get());
    let project = project.clone();
    let built = built.clone();
    Step::new(NAME, plan(&project), move |ctx| async move {
        let done = run(&project, &ctx).await?;
        if let Some(b) = done
            .result
            .as_ref()
            .and_then(|r| r.as_any().downcast_ref::<Built>())
        {
            built.fill(b.clone());
        }
        Ok(done)
    })
    .timeout(timeout)
}

/// The image references to build, or why the image cannot be named.
fn refs(project: &Session, digest: &str) -> Result<Vec<String>> {
    let refs = project
        .image_refs(Some(digest.get(..12).unwrap_or(digest)))
        .map_err(|why| Error::usage_because("cannot name the image", why))?;
    if refs.is_empty() {
        return Err(Error::usage("build.tags is empty"));
    }
    Ok(refs)
}

async fn run(project: &Session, ctx: &StepCtx) -> Result<Done> {
    // The build caches live in devloop's state directory, which keeps itself out of git.
    if let Err(e) = crate::state::dir(&project.config.root) {
        ctx.warn(format!("cannot create .devloop/ for the build caches: {e}"));
    }
    if git_in_context(project) {
        ctx.warn(GIT_IN_CONTEXT);
    }
    // Fail on a tag that cannot be rendered here before any work.
    project
        .check_build_tags()
        .map_err(|why| Error::usage_because("cannot name the image", why))?;
    let (scanned, cache_write) = scan::scan_context(project, ctx).await?;
    let result = image::build_scanned(project, ctx, scanned).await;
    // The stat cache was written while the daemon worked.
    let _ = tokio::task::spawn_blocking(move || cache_write.finish()).await;
    result
}
