//! The release step: push the image and record the release.

use std::sync::Arc;
use std::time::SystemTime;

use sha2::Digest;

use serde_json::json;

use super::build::Built;
use crate::engine::{Done, Slot, Step, StepCtx, StepPlan};
use crate::error::{Error, Result};
use crate::release::{self, Destination, GitRecord, Record};
use crate::session::Session;

mod set;

pub use set::{push_step, set_step};

pub const NAME: &str = "release";
pub const AVAILABLE: bool = true;

pub fn plan(project: &Session) -> StepPlan {
    let r = &project.config.doc.release;
    let repository = project.config.release_repository();
    let templates = r.tags.as_ref().unwrap_or(&project.config.doc.build.tags);
    let tags = project.render(templates, None);
    let moving = project.render(&r.moving_tags, None);
    let registry = r.registry.as_ref().map(|s| s.get_ref().clone());
    let action = match (&registry, &tags) {
        (Some(reg), Ok(t)) => format!(
            "push {repository}:{} to {reg} and record the release",
            t.join(",")
        ),
        (Some(reg), Err(_)) => format!("push {repository} to {reg} and record the release"),
        (None, _) => format!("tag {repository} in the local Docker daemon and record the release"),
    };
    // What the preflight will say, said here first: a dirty tree refuses the release.
    let allowed = project.settings.allow_dirty;
    let action = match &project.git {
        Ok(g) if g.dirty && !allowed => format!(
            "REFUSED: tracked files have uncommitted changes ({}); {} (would {action})",
            crate::git::name_files(&g.dirty_files),
            dirty_hint(&g.dirty_files)
        ),
        _ => action,
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
            "allow_dirty": allowed,
            "git_dirty": project.git.as_ref().map(|g| g.dirty).ok(),
            "ecr": r.ecr,
        }),
    }
}

/// The release step: it releases what the build step put into `built`.
pub fn step(project: &Arc<Session>, built: &Slot<Built>) -> Step {
    let (p, built) = (project.clone(), built.clone());
    Step::new(NAME, plan(project), move |ctx| async move {
        run(&p, built.get()?, &ctx).await
    })
}

/// What a release step did, for the summary and `--output json`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Released {
    pub release: String,
    /// The image pinned by digest.
    pub image: String,
    pub registry: Option<String>,
    pub repository: String,
    pub tags: Vec<String>,
    pub moving_tags: Vec<String>,
    /// How many tags were pushed.
    pub pushed: usize,
    /// Whether a new record was written (`false`: this image was already released so).
    pub recorded: bool,
}

/// What one image's push put where, before any record names it.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// The local repository name its tags were put under.
    pub name: String,
    pub pinned: String,
    pub image_id: String,
    pub registry: Option<String>,
    pub repository: String,
    pub tags: Vec<String>,
    pub moving: Vec<String>,
    pub pushed: usize,
    pub build_digest: String,
}

/// Put the image's immutable tags where the release goes (moving tags wait for the record).
async fn push(project: &Session, built: &Built, ctx: &StepCtx) -> Result<Pushed> {
    let cfg = &project.config;
    let r = &cfg.doc.release;
    let digest = Some(built.short_digest());
    let templates = r.tags.as_ref().unwrap_or(&cfg.doc.build.tags);
    let tags = project.render(templates, digest).map_err(Error::usage)?;
    let moving = project
        .render(&r.moving_tags, digest)
        .map_err(Error::usage)?;
    let name = cfg.release_repository();
    let image_id = built.image_id.clone();

    // Nothing moves before the release can be recorded: a ledger devloop cannot write is found
    // before any tag is touched.
    release::ensure_writable(&cfg.root)?;
    let mut dest = Destination::open(project, ctx, &name).await?;
    let mut digest = None;
    let mut pushed = 0;
    for t in &tags {
        let (d, p) = dest.put_tag(project, ctx, &image_id, &name, t).await?;
        digest = digest.or(d);
        pushed += p as usize;
    }
    let (repository, registry, pinned) = pinned(&dest, &name, &image_id, digest)?;
    Ok(Pushed {
        name,
        pinned,
        image_id,
        registry,
        repository,
        tags,
        moving,
        pushed,
        build_digest: built.digest.clone(),
    })
}

/// Move the moving tags (`latest` …) to a recorded release; returns how many were pushed.
async fn move_tags(project: &Session, ctx: &StepCtx, p: &Pushed) -> Result<usize> {
    if p.moving.is_empty() {
        return Ok(0);
    }
    let mut dest = Destination::open(project, ctx, &p.name).await?;
    let mut pushed = 0;
    for t in &p.moving {
        let (_, n) = dest.put_tag(project, ctx, &p.image_id, &p.name, t).await?;
        pushed += n as usize;
    }
    Ok(pushed)
}

/// Release what the build made: its tags first, then the record, then the moving tags (`latest`
/// …), so a failure in between never leaves a moving tag on an unrecorded release.
async fn run(project: &Session, built: &Built, ctx: &StepCtx) -> Result<Done> {
    let cfg = &project.config;
    let p = push(project, built, ctx).await?;

    // The same image with the same tags already released: nothing new to record.
    let history = release::history(project).await?;
    if let Some(last) = history.iter().rev().find(|h| h.app == cfg.app()) {
        if last.image == p.pinned && last.tags == p.tags && p.pushed == 0 {
            move_tags(project, ctx, &p).await?;
            let said = format!(
                "{} is already released as {} with tags {}; nothing pushed",
                p.pinned,
                last.id,
                p.tags.join(", ")
            );
            return Ok(Done::skipped(said).with_result(Released {
                release: last.id.clone(),
                image: p.pinned,
                registry: p.registry,
                repository: p.repository,
                tags: p.tags,
                moving_tags: p.moving,
                pushed: 0,
                recorded: false,
            }));
        }
    }

    let record = new_record(project, &p);
    let path = release::record(project, &record).await?;
    let pushed = p.pushed + move_tags(project, ctx, &p).await?;
    let what = match &record.registry {
        Some(reg) => format!("pushed {pushed} tag(s) to {reg}"),
        None => "tagged in the local daemon".to_string(),
    };
    Ok(Done::new(format!(
        "released {} as {} ({what}; record {})",
        record.image,
        record.id,
        path.strip_prefix(&cfg.root).unwrap_or(&path).display()
    ))
    .with_result(Released {
        release: record.id.clone(),
        image: record.image.clone(),
        registry: record.registry.clone(),
        repository: record.repository.clone(),
        tags: record.tags.clone(),
        moving_tags: record.moving_tags.clone(),
        pushed,
        recorded: true,
    }))
}

/// Where the release lives once its tags are put: the repository, the registry's label, and the
/// image pinned by ID (local) or by the digest the registry answered.
fn pinned(
    dest: &Destination,
    name: &str,
    image_id: &str,
    digest: Option<String>,
) -> Result<(String, Option<String>, String)> {
    Ok(match dest {
        Destination::Local => (name.to_string(), None, format!("{name}@{image_id}")),
        Destination::Registry {
            label, repository, ..
        } => {
            let digest = digest.ok_or_else(|| Error::failed("no tag was released"))?;
            (
                repository.clone(),
                Some(label.clone()),
                format!("{repository}@{digest}"),
            )
        }
    })
}

/// The record of a new release: id from the run's start time and the commit (or the digest).
fn new_record(project: &Session, p: &Pushed) -> Record {
    let cfg = &project.config;
    let short = match &project.git {
        Ok(g) => g.short_sha.clone(),
        Err(_) => p
            .pinned
            .rsplit(':')
            .next()
            .unwrap_or("")
            .chars()
            .take(12)
            .collect(),
    };
    let stamp = humantime::format_rfc3339_seconds(project.started).to_string();
    let compact: String = stamp
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    Record {
        format: release::FORMAT_ONE,
        id: format!("{compact}-{short}"),
        app: cfg.app().to_string(),
        image: p.pinned.clone(),
        image_id: p.image_id.clone(),
        registry: p.registry.clone(),
        repository: p.repository.clone(),
        tags: p.tags.clone(),
        moving_tags: p.moving.clone(),
        build_digest: Some(p.build_digest.clone()),
        git: project.git.as_ref().ok().map(|g| GitRecord {
            sha: g.sha.clone(),
            branch: g.branch.clone(),
            dirty: g.dirty,
        }),
        // Milliseconds: two releases made within one second must still be ordered.
        created_at: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
        created_by: project.ambient.user(),
        config_digest: hex::encode(sha2::Sha256::digest(cfg.source.text.as_bytes())),
        devloop_version: env!("CARGO_PKG_VERSION").to_string(),
        services: Vec::new(),
    }
}

/// What to do about a dirty tree; devloop's own state, tracked by mistake, gets its own fix.
pub fn dirty_hint(files: &[String]) -> String {
    if files.iter().any(|f| f.starts_with(".devloop/")) {
        "devloop's own state (.devloop/) is tracked by git: untrack it with `git rm -r --cached .devloop` and commit (devloop keeps a .gitignore in it so it stays out), or pass --allow-dirty".to_string()
    } else {
        "commit or stash them, or pass --allow-dirty (the release records dirty = true)".to_string()
    }
}
