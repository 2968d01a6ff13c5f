//! Deploy targets behind one trait, so a new target is one module plus one line in [`open`].
//!
//! A target rolls a release out and says, as a typed [`Outcome`], whether it now runs that release
//! healthily; it reports what it runs now, its status with the same health verdict the deploy gate
//! uses, and its logs. Outcomes become exit codes in one place ([`Outcome::into_done`]).

pub mod beanstalk;
pub mod daemon_lock;
mod docker;
pub use docker::SLOW_STOP;
mod ecs;
pub mod health;
mod logs;
mod metrics;
pub mod set;
mod status;
mod swarm;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

pub use crate::applog::{LogLine, LogQuery};
pub use health::Health;
pub use metrics::Metric;
pub use status::{render as render_status, Status};

/// The image a plan shows for a release that does not exist yet (`plan ship`).
pub const IMAGE_TO_COME: &str = "<the image this run releases>";

use crate::config::TargetKind;
use crate::engine::{Done, StepCtx};
use crate::error::{Error, ExitKind, Result};
use crate::release::{Record, RegistryKind};
use crate::session::Session;

pub const LABEL_APP: &str = "devloop.app";
pub const LABEL_ENV: &str = "devloop.env";
pub const LABEL_RELEASE: &str = "devloop.release";
/// The service of a set a container or swarm service runs.
pub const LABEL_SERVICE: &str = "devloop.service";
/// A digest of what the deployment was made from besides the image (settings, health probe).
pub const LABEL_SPEC: &str = "devloop.spec";

/// How a rollout ended. Every path of every target ends in exactly one of these.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The target runs this release and it is healthy.
    Deployed(String),
    /// The target already ran this image with the same settings: nothing was changed.
    Unchanged(String),
    /// The release failed and the target is back on the previous release, verified running.
    RolledBack(Failure),
    /// The release failed; the message says what runs now and what to do.
    Failed(Failure),
    /// No verdict within the deadline; the target may still be changing.
    TimedOut(Failure),
}

/// Why a rollout did not succeed, with what to do and supporting lines (the new release's logs).
#[derive(Debug, Default, Clone)]
pub struct Failure {
    pub message: String,
    pub hint: Option<String>,
    pub detail: Vec<String>,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            ..Default::default()
        }
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }
    pub fn detail(mut self, detail: Vec<String>) -> Failure {
        self.detail = detail;
        self
    }
}

impl Outcome {
    /// The verdict's name in JSON results.
    pub fn verdict(&self) -> &'static str {
        match self {
            Outcome::Deployed(_) => "deployed",
            Outcome::Unchanged(_) => "unchanged",
            Outcome::RolledBack(_) => "rolled_back",
            Outcome::Failed(_) => "failed",
            Outcome::TimedOut(_) => "timed_out",
        }
    }

    /// The one mapping from verdicts to step results and exit codes (0, 0, 3, 1, 4).
    pub fn into_done(self, mut result: Deployment) -> Result<Done> {
        result.verdict = self.verdict();
        let (kind, f) = match self {
            Outcome::Deployed(m) => return Ok(Done::new(m).with_result(result)),
            Outcome::Unchanged(m) => return Ok(Done::skipped(m).with_result(result)),
            Outcome::RolledBack(f) => (ExitKind::RolledBack, f),
            Outcome::Failed(f) => (ExitKind::StepFailed, f),
            Outcome::TimedOut(f) => (ExitKind::Timeout, f),
        };
        let mut err = Error::new(kind, f.message).with_detail(f.detail);
        err.hint = f.hint;
        err.result = Some(Box::new(
            serde_json::to_value(&result).unwrap_or(serde_json::Value::Null),
        ));
        Err(err)
    }
}

/// What a deploy (or rollback) did: where, which release, and the verdict.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Deployment {
    pub env: String,
    pub target: Option<&'static str>,
    /// The service of a set this is (`None` for an app of one service).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The deployment's name on the target (container, service, environment).
    pub name: String,
    pub release: String,
    pub image: String,
    /// `deployed`, `unchanged`, `rolled_back`, `failed` or `timed_out`.
    pub verdict: &'static str,
}

/// What a deploy would change on a target with live state, read with read-only calls (`plan`).
#[derive(Debug, Clone)]
pub struct Diff {
    /// Whether deploying would change anything.
    pub changes: bool,
    /// A unified diff of the live configuration against what devloop would set, and the other
    /// changes in words; empty when nothing would change.
    pub text: String,
    pub details: serde_json::Value,
}

/// How a rollout may proceed: until when, and what to do about the deploy lock.
#[derive(Debug, Clone, Copy)]
pub struct Rollout {
    pub deadline: Instant,
    pub lock: Locking,
}

impl Rollout {
    /// A rollout of `project` within its deploy timeout from now.
    pub fn within_timeout(project: &Session, lock: Locking) -> Rollout {
        Rollout {
            deadline: crate::config::duration::deadline_in(project.settings.deploy_timeout),
            lock,
        }
    }
}

/// The deploy lock, as the command line asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locking {
    /// Take it; refuse when another deploy holds it.
    #[default]
    Take,
    /// Take it even when another deploy holds it (`--force-unlock`), for a deploy that is gone.
    Force,
    /// Deploy without it (`--no-lock`), said in the output: for services that cannot carry one.
    Skip,
    /// Wait for a lock someone else holds, until the deploy's deadline (`--wait-lock`).
    Wait,
    /// The caller holds it already: a set's deploy takes every service's lock up front, so its
    /// members (and the put-back after a failure) deploy under it without taking it again.
    Held,
}

impl Locking {
    pub fn from_flags(force_unlock: bool, no_lock: bool, wait_lock: bool) -> Locking {
        match (no_lock, force_unlock, wait_lock) {
            (true, _, _) => Locking::Skip,
            (false, true, _) => Locking::Force,
            (false, false, true) => Locking::Wait,
            (false, false, false) => Locking::Take,
        }
    }
}

/// Exactly what a service ran before a deploy, read from the target, so a failed set can put it
/// back on that and nothing else (ECS: the task definition revision and the desired count).
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// What it is, in words (`web:41`).
    pub label: String,
    pub data: serde_json::Value,
}

/// One deploy target. Opened once per command by [`open`].
#[async_trait]
pub trait Target: Send + Sync {
    /// The name the deployment has on the target (container or service).
    fn name(&self) -> String;
    /// What a deploy does, in one line, for `plan`.
    fn describe(&self) -> String;
    /// Roll `record` out and wait, at most until the rollout's deadline, for a verdict.
    async fn deploy(&self, record: &Record, ctx: &StepCtx, how: &Rollout) -> Result<Outcome>;
    /// Put `record` (an earlier release) back through the same path and verdict.
    async fn rollback(&self, record: &Record, ctx: &StepCtx, how: &Rollout) -> Result<Outcome> {
        self.deploy(record, ctx, how).await
    }
    /// What deploying `record` (or, with `None`, the release being made) would change, from
    /// read-only calls. `None` for targets whose change `describe` says in full.
    async fn diff(&self, _record: Option<&Record>) -> Result<Option<Diff>> {
        Ok(None)
    }
    /// The release the target runs now, if devloop deployed it.
    async fn running(&self) -> Result<Option<String>>;
    /// Exactly what runs now, for [`Target::restore_to`]; `None` for targets that put an earlier
    /// release back through [`Target::rollback`].
    async fn checkpoint(&self) -> Result<Option<Checkpoint>> {
        Ok(None)
    }
    /// Go back to `checkpoint` (taken before a deploy) and wait for it to serve, registering
    /// nothing new.
    async fn restore_to(
        &self,
        _checkpoint: &Checkpoint,
        _ctx: &StepCtx,
        _how: &Rollout,
    ) -> Result<Outcome> {
        Err(Error::not_available(&format!(
            "going back to a checkpoint on {}",
            self.name()
        )))
    }
    /// What runs now, with the deploy gate's health verdict; with a window, CPU and memory
    /// (and what else the target measures) over it, or the daemon's latest sample.
    async fn status(&self, metrics: Option<Duration>) -> Result<Status>;
    /// The app's logs, each line handed to `out`, until the source ends (or forever with `follow`).
    async fn logs(&self, q: &LogQuery, out: &mut (dyn FnMut(LogLine) + Send)) -> Result<()>;
    /// Remove the deployment if it runs `release` (what `devloop dev` started); anything else is
    /// left alone. Returns whether something was removed. Local targets only.
    async fn remove(&self, _release: &str) -> Result<bool> {
        Err(Error::not_available(&format!(
            "removing a deployment on {}",
            self.name()
        )))
    }
}

/// Open the environment's target. The only place that matches on the kind of target.
pub fn open(project: &Arc<Session>) -> Result<Box<dyn Target>> {
    let cfg = &project.config;
    let env = cfg.require_env()?;
    match cfg.target() {
        Some(TargetKind::Docker) => Ok(Box::new(docker::Docker::new(project.clone()))),
        Some(TargetKind::Swarm) => Ok(Box::new(swarm::Swarm::new(project.clone()))),
        Some(TargetKind::Ecs) => Ok(Box::new(ecs::Ecs::new(project.clone())?)),
        Some(TargetKind::Beanstalk) => Ok(Box::new(beanstalk::Beanstalk::new(project.clone())?)),
        None => Err(cfg.source.error(
            None,
            format!("environment \"{env}\" has no deploy target: set deploy.target (docker, swarm, ecs or beanstalk)"),
        )),
    }
}

/// The labels every deployed container or service carries: app, environment, release.
pub fn labels(project: &Session, record: &Record) -> std::collections::HashMap<String, String> {
    let mut l = std::collections::HashMap::from([
        (LABEL_APP.to_string(), project.config.app().to_string()),
        (LABEL_ENV.to_string(), project.config.env_name().to_string()),
        (LABEL_RELEASE.to_string(), record.id.clone()),
    ]);
    if let (true, Some(svc)) = (project.config.multi, &project.config.service) {
        l.insert(LABEL_SERVICE.to_string(), svc.clone());
    }
    l
}

/// A short digest of a deployment's settings, to tell "same image, same settings" from a change.
pub fn spec_digest(value: &impl serde::Serialize) -> String {
    use sha2::Digest;
    let text = serde_json::to_string(value).unwrap_or_default();
    hex::encode(&sha2::Sha256::digest(text.as_bytes())[..8])
}

/// Deploy `record` through the target and turn the outcome into the step's result.
pub async fn deploy_step(
    target: &dyn Target,
    project: &Session,
    record: &Record,
    ctx: &StepCtx,
    lock: Locking,
    rollback: bool,
) -> Result<Done> {
    let how = Rollout::within_timeout(project, lock);
    let outcome = if rollback {
        target.rollback(record, ctx, &how).await?
    } else {
        target.deploy(record, ctx, &how).await?
    };
    outcome.into_done(Deployment {
        env: project.config.env_name().to_string(),
        target: project.config.target().map(TargetKind::as_str),
        service: project
            .config
            .service
            .clone()
            .filter(|_| project.config.multi),
        name: target.name(),
        release: record.id.clone(),
        image: record.image.clone(),
        verdict: "",
    })
}

/// Time left until `deadline` (zero once past it).
pub fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

/// Make sure the daemon has the release's image, pulling it from its registry when this machine
/// did not build it (a CI job deploying what another job released). A release that exists only
/// in another machine's daemon is refused with what to do.
pub async fn ensure_image(project: &Session, record: &Record, ctx: &StepCtx) -> Result<()> {
    let daemon = project.daemon().await?;
    if daemon.client.inspect_image(&record.image_id).await.is_ok() {
        return Ok(());
    }
    let Some(registry) = &record.registry else {
        return Err(Error::usage(format!(
            "release {} was only tagged in the Docker daemon of the machine that made it, and this daemon does not have its image {}",
            record.id, record.image_id
        ))
        .with_hint("set release.registry so releases are pushed where any machine can pull them, or deploy from the machine that released it"));
    };
    let host = record.repository.split('/').next().unwrap_or_default();
    let auth = if RegistryKind::of_record(record) == Some(RegistryKind::Ecr) {
        let sdk = project.aws().await?;
        let login = crate::aws::ecr::login(sdk, &project.config.doc.release.ecr).await?;
        ctx.add_secrets([login.token.clone(), login.auth.password.clone()]);
        Some(login.auth)
    } else {
        let auth = crate::registry::credentials(&project.ambient, host).await?;
        if let Some(a) = &auth {
            ctx.add_secrets([a.password.clone()]);
        }
        auth
    };
    ctx.log(format!("pulling {} from {registry}", record.image));
    crate::docker::push::pull(daemon, ctx, &record.image, auth.as_ref()).await
}
