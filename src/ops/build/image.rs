//! The image itself, once the context is scanned: skipped when an identical build exists,
//! otherwise built (BuildKit over devloop's session, or the classic builder from a tar) and tagged.

use std::collections::BTreeMap;

use crate::docker::build::{self as docker_build, BuildRequest, Input};
use crate::docker::context;
use crate::docker::Daemon;
use crate::engine::{Done, StepCtx};
use crate::error::Result;
use crate::session::Session;

use super::cache::{build_digest, built_with_digest, ClassicIndex, DIGEST_LABEL};
use super::dockerfile::at_dockerfile_line;
use super::scan::Scanned;
use super::secrets::read_secrets;
use super::{refs, Built};

/// What is being built: its digest, the references it gets, and the scan's one-line summary.
struct Planned {
    digest: String,
    refs: Vec<String>,
    summary: String,
}

/// Skip or build, once the context is scanned.
pub(super) async fn build_scanned(
    project: &Session,
    ctx: &StepCtx,
    scanned: Scanned,
) -> Result<Done> {
    let Scanned {
        daemon,
        scan,
        buildkit,
        state_exclude,
    } = scanned;
    ctx.check_cancelled()?;
    let args: BTreeMap<String, String> = project
        .config
        .doc
        .build
        .args
        .iter()
        .map(|(k, v)| (k.clone(), v.value().to_string()))
        .collect();
    let digest = build_digest(&scan.digest, project, &args);
    let planned = Planned {
        refs: refs(project, &digest)?,
        digest,
        summary: format!(
            "{} files, {} (read {} new or changed)",
            scan.files,
            crate::units::human_bytes(scan.bytes),
            scan.hashed
        ),
    };
    if !project.settings.no_cache {
        if let Some(done) = up_to_date(project, &daemon, &planned).await? {
            return Ok(done);
        }
    }
    // BuildKit reads the context over devloop's session (only changed files move); the classic
    // builder gets it as a tar.
    let cfg = &project.config;
    let input = if buildkit {
        ctx.progress(format!(
            "BuildKit is reading the context: {}",
            planned.summary
        ));
        Input::Session {
            context: std::fs::canonicalize(cfg.context_dir()).unwrap_or_else(|_| cfg.context_dir()),
            dockerfile: std::fs::canonicalize(cfg.dockerfile())
                .unwrap_or_else(|_| cfg.dockerfile()),
            // devloop's own state is never part of the context, as with the tar.
            context_excludes: state_exclude.into_iter().collect(),
            ambient: project.ambient.clone(),
            secrets: read_secrets(project, ctx)?,
        }
    } else {
        ctx.progress(format!("sending context: {}", planned.summary));
        Input::Tar {
            dockerfile: scan.dockerfile.clone(),
            tar: context::tar_stream(scan),
        }
    };
    build(project, ctx, &daemon, planned, args, input, buildkit).await
}

/// An identical build the daemon still has, tagged with this build's references: the step is
/// skipped.
async fn up_to_date(project: &Session, daemon: &Daemon, planned: &Planned) -> Result<Option<Done>> {
    let Planned {
        digest,
        refs,
        summary,
    } = planned;
    let first = refs.first().cloned().unwrap_or_default();
    let indexed = ClassicIndex::load(project).get(digest);
    let Some((id, tagged)) = built_with_digest(daemon, &first, digest, indexed).await else {
        return Ok(None);
    };
    for r in refs.iter().filter(|r| !tagged.contains(r)) {
        docker_build::tag(daemon, &id, r).await?;
    }
    Ok(Some(
        Done::skipped(format!(
            "{} is up to date: identical inputs already built (digest {}; {summary})",
            refs.join(", "),
            &digest[..12]
        ))
        .with_result(Built {
            image: project.config.image_name().to_string(),
            refs: refs.clone(),
            image_id: id,
            digest: digest.clone(),
            builder: None,
            built: false,
        }),
    ))
}

/// BuildKit writes labels into the image config for free. The classic builder turns each label
/// into a step of its own (a container created and committed), so it gets only the user's
/// labels, as `docker build --label` would, and devloop remembers its builds by digest in
/// `.devloop/cache/` instead. No label varies between builds of the same inputs.
fn labels(project: &Session, digest: &str, buildkit: bool) -> BTreeMap<String, String> {
    let cfg = &project.config;
    let mut labels = cfg.doc.build.labels.clone();
    if buildkit {
        labels.insert(DIGEST_LABEL.into(), digest.to_string());
        labels.insert("devloop.app".into(), cfg.app().to_string());
    }
    if let (true, Ok(g)) = (buildkit, &project.git) {
        labels.insert("org.opencontainers.image.revision".into(), g.sha.clone());
        if let Some(remote) = &g.remote {
            labels.insert("org.opencontainers.image.source".into(), remote.clone());
        }
    }
    labels
}

/// Build the image, tag it with every reference, and say what was built.
async fn build(
    project: &Session,
    ctx: &StepCtx,
    daemon: &Daemon,
    planned: Planned,
    args: BTreeMap<String, String>,
    input: Input,
    buildkit: bool,
) -> Result<Done> {
    let cfg = &project.config;
    let Planned {
        digest,
        refs,
        summary,
    } = planned;
    let request = BuildRequest {
        reference: refs.first().cloned().unwrap_or_default(),
        args,
        labels: labels(project, &digest, buildkit),
        target: cfg.doc.build.target.clone(),
        platform: cfg.doc.build.platform.clone(),
        cache_from: cfg.doc.build.cache_from.clone(),
        no_cache: project.settings.no_cache,
        input,
    };
    let id = docker_build::build(daemon, ctx, request)
        .await
        .map_err(|e| at_dockerfile_line(e, &cfg.dockerfile(), &cfg.root))?;
    if !buildkit {
        ClassicIndex::load(project).insert(&digest, &id);
    }
    for r in refs.iter().skip(1) {
        docker_build::tag(daemon, &id, r).await?;
    }
    let short_id = id
        .trim_start_matches("sha256:")
        .chars()
        .take(12)
        .collect::<String>();
    let builder = if buildkit {
        "BuildKit"
    } else {
        "classic builder"
    };
    Ok(Done::new(format!(
        "built {} with {builder} ({short_id}; {summary})",
        refs.join(", ")
    ))
    .with_result(Built {
        image: cfg.image_name().to_string(),
        refs,
        image_id: id,
        digest,
        builder: Some(if buildkit { "buildkit" } else { "classic" }),
        built: true,
    }))
}
