//! Deploy targets. Each knows how to roll a release out and wait until it is truly healthy,
//! how to find what it runs now, and how to report status, logs and resource use.
//!
//! Local targets (`docker`, `swarm`) are here; ECS and Elastic Beanstalk are not available yet and
//! refuse with exit 2 before anything changes.

pub mod docker;
pub mod health;
pub mod spec;
pub mod status;
pub mod swarm;

use std::time::Duration;

use crate::config::TargetKind;
use crate::engine::{Done, StepCtx};
use crate::error::{Error, Result};
use crate::pipeline::Project;
use crate::release::{LocalLedger, Record};

pub const LABEL_APP: &str = "devloop.app";
pub const LABEL_ENV: &str = "devloop.env";
pub const LABEL_RELEASE: &str = "devloop.release";

/// How long a deploy may take to become healthy when nothing says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// Whether this version can deploy to a target.
pub fn available(kind: TargetKind) -> bool {
    matches!(kind, TargetKind::Docker | TargetKind::Swarm)
}

/// The labels every deployed container or service carries: app, environment, release.
pub fn labels(project: &Project, record: &Record) -> std::collections::HashMap<String, String> {
    std::collections::HashMap::from([
        (LABEL_APP.to_string(), project.config.app().to_string()),
        (
            LABEL_ENV.to_string(),
            project
                .config
                .env
                .clone()
                .unwrap_or_else(|| "default".into()),
        ),
        (LABEL_RELEASE.to_string(), record.id.clone()),
    ])
}

/// This app's releases from the local ledger, oldest first.
pub fn releases(project: &Project) -> Result<Vec<Record>> {
    Ok(LocalLedger::new(&project.config.root)
        .list()?
        .into_iter()
        .filter(|r| r.app == project.config.app())
        .collect())
}

/// The release to deploy: by id or tag, else the latest.
pub fn choose<'a>(records: &'a [Record], wanted: Option<&str>) -> Result<&'a Record> {
    match wanted {
        None => records.last().ok_or_else(|| {
            Error::usage("no release recorded yet")
                .with_hint("run `devloop release` (or `devloop ship`) first")
        }),
        Some(w) => records
            .iter()
            .rev()
            .find(|r| r.id == w || r.tags.iter().any(|t| t == w) || r.image == w)
            .ok_or_else(|| {
                Error::usage(format!(
                    "no release \"{w}\" in the ledger (see `devloop release --list`)"
                ))
            }),
    }
}

/// The release recorded before `current`.
pub fn previous<'a>(records: &'a [Record], current: &str) -> Option<&'a Record> {
    let i = records.iter().position(|r| r.id == current)?;
    i.checked_sub(1).map(|j| &records[j])
}

/// What to run: the pinned registry image, or the local image ID for a local release.
pub fn image_of(record: &Record) -> String {
    if record.registry.is_none() {
        record.image_id.clone()
    } else {
        record.image.clone()
    }
}

/// Roll `record` out to the environment's target.
pub async fn deploy(
    project: &Project,
    record: &Record,
    ctx: &StepCtx,
    timeout: Duration,
) -> Result<Done> {
    match project.config.target() {
        Some(TargetKind::Docker) => docker::deploy(project, record, ctx, timeout).await,
        Some(TargetKind::Swarm) => swarm::deploy(project, record, ctx, timeout).await,
        Some(other) => Err(Error::not_available(&format!(
            "deploying to {}",
            other.as_str()
        ))),
        None => Err(Error::usage("no deploy target: set deploy.target")),
    }
}

/// The release the target runs now, if any.
pub async fn running_release(project: &Project) -> Result<Option<String>> {
    match project.config.target() {
        Some(TargetKind::Docker) => {
            let daemon = crate::docker::Daemon::connect(&project.ambient).await?;
            Ok(docker::current(&daemon, &docker::container_name(project))
                .await?
                .and_then(|(_, r, _)| r))
        }
        Some(TargetKind::Swarm) => {
            let daemon = crate::docker::Daemon::connect(&project.ambient).await?;
            swarm::current_release(&daemon, &swarm::service_name(project)).await
        }
        Some(other) => Err(Error::not_available(&format!("{} targets", other.as_str()))),
        None => Err(Error::usage("no deploy target: set deploy.target")),
    }
}
