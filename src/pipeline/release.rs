//! The release step: push the image and record the release.

use std::sync::Arc;
use std::time::SystemTime;

use sha2::Digest;

use serde_json::json;

use super::{Options, Project};
use crate::aws::{self, ecr};
use crate::docker::build::tag as tag_image;
use crate::docker::push;
use crate::engine::{Done, Step, StepCtx, StepPlan};
use crate::error::{Error, Result};
use crate::registry::{self, Auth};
use crate::release::{GitRecord, LocalLedger, Record};

pub const NAME: &str = "release";
pub const AVAILABLE: bool = true;

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
    // What the preflight will say, said here first: a dirty tree refuses the release.
    let allowed = r.allow_dirty || opts.allow_dirty;
    let action = match &project.git {
        Ok(g) if g.dirty && !allowed => format!(
            "REFUSED: tracked files have uncommitted changes ({}); {} (would {action})",
            crate::git::name_files(&g.dirty_files),
            super::dirty_hint(&g.dirty_files)
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
            "allow_dirty": r.allow_dirty || opts.allow_dirty,
            "git_dirty": project.git.as_ref().map(|g| g.dirty).ok(),
            "ecr": r.ecr,
        }),
    }
}

pub fn step(project: &Arc<Project>, opts: &Options) -> Step {
    let p = project.clone();
    Step::new(NAME, plan(project, opts), move |ctx| async move {
        run(&p, &ctx).await
    })
}

/// Where the release goes.
enum Destination {
    /// A tag in the local daemon.
    Local,
    /// A registry repository (`host/ns/name`) and the credentials to push to it.
    Registry {
        label: String,
        repository: String,
        auth: Option<Auth>,
        ecr: Option<Box<ecr::Login>>,
    },
}

async fn destination(project: &Project, ctx: &StepCtx, name: &str) -> Result<Destination> {
    let r = &project.config.doc.release;
    let Some(registry) = r.registry.as_ref().map(|s| s.get_ref().clone()) else {
        return Ok(Destination::Local);
    };
    if registry == "ecr" {
        let sdk = project.aws().await?;
        if ecr::ensure_repository(sdk, name, &r.ecr).await? {
            ctx.log(format!("created ECR repository {name}"));
        }
        let login = ecr::login(sdk, &r.ecr).await?;
        ctx.add_secrets([login.token.clone(), login.auth.password.clone()]);
        return Ok(Destination::Registry {
            label: format!("ECR ({})", login.host),
            repository: format!("{}/{name}", login.host),
            auth: Some(login.auth.clone()),
            ecr: Some(Box::new(login)),
        });
    }
    let (host, namespace) = registry::split_registry(&registry);
    let auth = registry::credentials(&project.ambient, host).await?;
    if let Some(a) = &auth {
        ctx.add_secrets([a.password.clone()]);
    }
    let repository = if namespace.is_empty() {
        format!("{host}/{name}")
    } else {
        format!("{host}/{namespace}/{name}")
    };
    Ok(Destination::Registry {
        label: host.to_string(),
        repository,
        auth,
        ecr: None,
    })
}

/// Fail (nothing changed) when the ledger under `root` cannot take a new record: the record is
/// written after the release's tags, and a moving tag must never point at an unrecorded release.
fn writable(root: &std::path::Path) -> Result<()> {
    let dir = root.join(".devloop/releases");
    let probe = dir.join(format!(".write-check-{}", std::process::id()));
    let tried = crate::state::dir(root)
        .and_then(|_| std::fs::create_dir_all(&dir))
        .and_then(|()| std::fs::write(&probe, b""));
    let _ = std::fs::remove_file(&probe);
    tried.map_err(|e| {
        Error::failed(format!(
            "cannot write the release ledger {}: {e}; nothing was tagged or pushed",
            dir.display()
        ))
        .with_hint("make .devloop/ writable (it holds devloop's state), or run from a checkout you can write")
    })
}

/// Point `tag` at the image: a local tag, or tagged and pushed to the registry (skipped when the
/// registry already has this image under that tag). Returns the pushed digest (when known) and
/// whether anything was pushed.
async fn put_tag(
    project: &Project,
    ctx: &StepCtx,
    dest: &mut Destination,
    image_id: &str,
    name: &str,
    t: &str,
) -> Result<(Option<String>, bool)> {
    let daemon = project.daemon().await?;
    let Destination::Registry {
        repository,
        auth,
        ecr: login,
        ..
    } = dest
    else {
        tag_image(daemon, image_id, &format!("{name}:{t}")).await?;
        return Ok((None, false));
    };
    let reference = format!("{repository}:{t}");
    tag_image(daemon, image_id, &reference).await?;
    if login.as_ref().is_some_and(|l| l.expiring()) {
        ctx.progress("renewing the ECR login");
        let fresh = ecr::login(project.aws().await?, &project.config.doc.release.ecr).await?;
        ctx.add_secrets([fresh.token.clone(), fresh.auth.password.clone()]);
        *auth = Some(fresh.auth.clone());
        *login = Some(Box::new(fresh));
    }
    let local_digests = daemon
        .client
        .inspect_image(image_id)
        .await
        .ok()
        .and_then(|i| i.repo_digests)
        .unwrap_or_default();
    let remote = push::remote_digest(daemon, &reference, auth.as_ref()).await;
    let present = remote
        .as_ref()
        .is_some_and(|d| local_digests.contains(&format!("{repository}@{d}")));
    if present {
        ctx.log(format!(
            "{reference} is already in the registry with this image; not pushed"
        ));
        return Ok((remote, false));
    }
    ctx.log_status(format!("pushing {reference}"));
    let d = push::push(daemon, ctx, &reference, auth.as_ref()).await?;
    Ok((Some(d), true))
}

async fn run(project: &Project, ctx: &StepCtx) -> Result<Done> {
    let cfg = &project.config;
    let r = &cfg.doc.release;
    let local_ref = project
        .image_refs()
        .map_err(|why| Error::usage(format!("cannot name the image to release: {why}")))?
        .into_iter()
        .next()
        .ok_or_else(|| Error::usage("build.tags is empty"))?;
    let templates = r.tags.as_ref().unwrap_or(&cfg.doc.build.tags);
    let tags = project.render(templates).map_err(Error::usage)?;
    let moving = project.render(&r.moving_tags).map_err(Error::usage)?;
    let name = r
        .repository
        .clone()
        .unwrap_or_else(|| cfg.image_name().to_string());

    let daemon = project.daemon().await?;
    let local = daemon.client.inspect_image(&local_ref).await.map_err(|e| {
        Error::failed(format!(
            "image {local_ref} is not in the daemon ({}); build it first",
            crate::docker::connect::describe(&e)
        ))
    })?;
    let image_id = local
        .id
        .clone()
        .ok_or_else(|| Error::failed("the daemon reported no image ID"))?;
    let build_digest = local
        .config
        .as_ref()
        .and_then(|c| c.labels.as_ref())
        .and_then(|l| l.get(super::build::DIGEST_LABEL))
        .cloned();

    // Nothing moves before the release can be recorded: a ledger devloop cannot write is found
    // before any tag is touched.
    let ledger = LocalLedger::new(&cfg.root);
    writable(&cfg.root)?;
    let mut dest = destination(project, ctx, &name).await?;
    // The release's own tags first; the moving tags (`latest` …) only once it is recorded, so a
    // failure in between leaves them where they were.
    let mut digest = None;
    let mut pushed = 0;
    for t in &tags {
        let (d, p) = put_tag(project, ctx, &mut dest, &image_id, &name, t).await?;
        digest = digest.or(d);
        pushed += p as usize;
    }
    let (repository, registry_label, pinned) = match &dest {
        Destination::Local => (name.clone(), None, format!("{name}@{image_id}")),
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
    };

    // The same image with the same tags already released: nothing new to record.
    let history = crate::release::history(project).await?;
    if let Some(last) = history.iter().rev().find(|h| h.app == cfg.app()) {
        if last.image == pinned && last.tags == tags && pushed == 0 {
            for t in &moving {
                put_tag(project, ctx, &mut dest, &image_id, &name, t).await?;
            }
            return Ok(Done::skipped(format!(
                "{pinned} is already released as {} with tags {}; nothing pushed",
                last.id,
                tags.join(", ")
            ))
            .with_result(json!({
                "release": last.id,
                "image": pinned,
                "registry": registry_label,
                "repository": repository,
                "tags": tags,
                "moving_tags": moving,
                "pushed": 0,
                "recorded": false,
            })));
        }
    }

    let short = match &project.git {
        Ok(g) => g.short_sha.clone(),
        Err(_) => pinned
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
    let record = Record {
        format: 1,
        id: format!("{compact}-{short}"),
        app: cfg.app().to_string(),
        image: pinned.clone(),
        image_id,
        registry: registry_label.clone(),
        repository,
        tags: tags.clone(),
        moving_tags: moving,
        build_digest,
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
    };
    let body = serde_json::to_vec_pretty(&record).map_err(|e| Error::failed(e.to_string()))?;
    if let Some((bucket, prefix)) = crate::release::s3_location(cfg)? {
        let sdk = project.aws().await?;
        aws::s3::put_new(sdk, &bucket, &prefix, &format!("{}.json", record.id), body).await?;
    }
    let path = ledger.write(&record)?;
    for t in &record.moving_tags {
        let (_, p) = put_tag(project, ctx, &mut dest, &record.image_id, &name, t).await?;
        pushed += p as usize;
    }
    let what = match registry_label {
        Some(reg) => format!("pushed {pushed} tag(s) to {reg}"),
        None => "tagged in the local daemon".to_string(),
    };
    Ok(Done::new(format!(
        "released {pinned} as {} ({what}; record {})",
        record.id,
        path.strip_prefix(&cfg.root).unwrap_or(&path).display()
    ))
    .with_result(json!({
        "release": record.id,
        "image": record.image,
        "registry": record.registry,
        "repository": record.repository,
        "tags": record.tags,
        "moving_tags": record.moving_tags,
        "pushed": pushed,
        "recorded": true,
    })))
}
