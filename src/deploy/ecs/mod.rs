//! `target = "ecs"`: a new task definition revision derived from the live one, the service
//! updated to it, and the deployment devloop started watched to a verdict.
//!
//! Before anything changes the cluster, the service and the container must exist and the release
//! must be in a registry the tasks can pull; a failure registers nothing. The new revision keeps
//! everything of the live one (containers, ports, logging, roles, sizes) but the image (pinned by
//! digest), the environment and secrets, and what devloop.toml sets. The verdict is read from the
//! service's `deployments[]`: success only when the deployment devloop started is PRIMARY, names
//! the new revision, has completed and runs the desired count; ECS putting the previous revision
//! back is exit 3; with `rollback = "auto"` devloop rolls back a failed deployment itself.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecs::types::ServiceDeploymentStatus;
use aws_sdk_ecs::types::{Service, TaskDefinition, TaskDefinitionField};
use aws_sdk_ecs::Client;

use serde_json::json;

use verdict::revision;

use super::{
    remaining, Checkpoint, Diff, Locking, LogLine, LogQuery, Outcome, Rollout, Status, Target,
};
use crate::aws::patience::{patiently, READ_PATIENCE};
use crate::aws::sdk_error;
use crate::config::schema::EcsTarget;
use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::release::Record;
use crate::session::Session;

pub struct Ecs {
    project: Arc<Session>,
    settings: EcsTarget,
}

/// What ECS runs now: the service and its task definition.
struct Live {
    service: Service,
    task_def: TaskDefinition,
    /// The task definition's tags: `devloop.release` names the release devloop registered it for.
    tags: Vec<aws_sdk_ecs::types::Tag>,
}

impl Ecs {
    pub fn new(project: Arc<Session>) -> Result<Ecs> {
        let settings = project.config.doc.deploy.ecs.clone().ok_or_else(|| {
            Error::usage("target \"ecs\" needs [deploy.ecs] with cluster and service")
        })?;
        Ok(Ecs { project, settings })
    }

    fn container(&self) -> String {
        let cfg = &self.project.config;
        self.settings
            .container
            .clone()
            .unwrap_or_else(|| match (&cfg.service, cfg.multi) {
                (Some(svc), true) => svc.clone(),
                _ => cfg.app().to_string(),
            })
    }

    async fn client(&self) -> Result<Client> {
        Ok(Client::new(self.project.aws().await?))
    }

    /// The service, read before anything changes: a throttled read is asked again for a while,
    /// since a set's reads share the account's rate. (Watches read once a poll: a throttled read
    /// there is no news, and the deadline bounds them.)
    async fn service_patiently(&self, client: &Client) -> Result<Service> {
        patiently(READ_PATIENCE, || self.service(client)).await
    }

    async fn service(&self, client: &Client) -> Result<Service> {
        let (cluster, name) = (&self.settings.cluster, &self.settings.service);
        let out = client
            .describe_services()
            .cluster(cluster)
            .services(name)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("cannot describe ECS service {name}"), e))?;
        match out.services().iter().find(|s| s.status() == Some("ACTIVE")) {
            Some(s) => Ok(s.clone()),
            None => Err(Error::usage(format!(
                "ECS service \"{name}\" does not exist in cluster \"{cluster}\"{}",
                out.failures()
                    .first()
                    .and_then(|f| f.reason())
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ))
            .with_hint(format!("`devloop provision -e {}` creates it (and what it needs), or fix deploy.ecs.service", self.project.config.env_name()))),
        }
    }

    /// The cluster, the service and its task definition, each proven to exist, and the container
    /// devloop deploys into found in it. Nothing is changed.
    async fn live(&self, client: &Client) -> Result<Live> {
        let cluster = &self.settings.cluster;
        let out = client
            .describe_clusters()
            .clusters(cluster)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("cannot describe ECS cluster {cluster}"), e))?;
        if !out.clusters().iter().any(|c| c.status() == Some("ACTIVE")) {
            return Err(Error::usage(format!(
                "ECS cluster \"{cluster}\" does not exist (or is not ACTIVE)"
            ))
            .with_hint("fix deploy.ecs.cluster"));
        }
        let service = self.service(client).await?;
        let arn = service.task_definition().unwrap_or_default().to_string();
        let described = client
            .describe_task_definition()
            .task_definition(&arn)
            .include(TaskDefinitionField::Tags)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("cannot describe task definition {arn}"), e))?;
        let tags = described.tags().to_vec();
        let task_def = described
            .task_definition
            .ok_or_else(|| Error::failed(format!("ECS returned no task definition for {arn}")))?;
        let container = self.container();
        // With a template, the container must be in the template (checked where it is read).
        if self.settings.task_definition.is_none()
            && !task_def
                .container_definitions()
                .iter()
                .any(|c| c.name() == Some(container.as_str()))
        {
            let names: Vec<&str> = task_def
                .container_definitions()
                .iter()
                .filter_map(|c| c.name())
                .collect();
            return Err(Error::usage(format!(
                "task definition {} has no container \"{container}\" (it has: {})",
                revision(&arn),
                names.join(", ")
            ))
            .with_hint("set deploy.ecs.container to the container that runs the image"));
        }
        Ok(Live {
            service,
            task_def,
            tags,
        })
    }

    /// [`Self::live`] before anything changes: a throttled read is asked again for a while.
    async fn live_patiently(&self, client: &Client) -> Result<Live> {
        patiently(READ_PATIENCE, || self.live(client)).await
    }

    /// The ledger's release whose image a task definition runs.
    async fn release_of(&self, task_def: &TaskDefinition) -> Result<Option<String>> {
        let records = crate::release::history(&self.project).await?;
        Ok(self.release_by_image(&records, self.image_in(task_def)))
    }

    /// The service of a set this target deploys (`None` for an app of one service).
    fn set_service(&self) -> Option<&str> {
        let cfg = &self.project.config;
        cfg.service.as_deref().filter(|_| cfg.multi)
    }

    /// The newest release in the ledger with this image (in a set, as this service's image).
    fn release_by_image(&self, records: &[Record], image: Option<&str>) -> Option<String> {
        release_by_image(records, self.set_service(), image)
    }

    /// One deploy at a time: the lock on the service, held until the verdict (none with
    /// `--no-lock`, which is said).
    async fn lock(
        &self,
        client: &Client,
        arn: &str,
        how: &Rollout,
        ctx: &StepCtx,
    ) -> Result<Option<lock::Lock>> {
        if how.lock == Locking::Held {
            return Ok(None);
        }
        if how.lock == Locking::Skip {
            ctx.warn(format!(
                "deploying {} without the deploy lock (--no-lock): nothing stops another deploy of this service meanwhile",
                self.name()
            ));
            return Ok(None);
        }
        let owner = format!("{} pid {}", self.project.ambient.user(), std::process::id());
        let ttl = remaining(how.deadline) + Duration::from_secs(600);
        lock::acquire(client, arn, &owner, ttl, how.lock == Locking::Force)
            .await
            .map(Some)
    }

    /// The image `container` runs in a task definition.
    fn image_in<'a>(&self, td: &'a TaskDefinition) -> Option<&'a str> {
        let container = self.container();
        td.container_definitions()
            .iter()
            .find(|c| c.name() == Some(container.as_str()))
            .and_then(|c| c.image())
    }
}

/// Give the deploy lock back, if one was taken; a failure to is a warning, never the verdict.
async fn unlock(lock: Option<lock::Lock>, ctx: &StepCtx) {
    if let Some(lock) = lock {
        if let Err(e) = lock.release().await {
            ctx.warn(format!(
                "the deploy lock could not be released: {}",
                e.message
            ));
        }
    }
}

/// The newest release in the ledger with this image: a set's, when it is `service`'s image there.
fn release_by_image(
    records: &[Record],
    service: Option<&str>,
    image: Option<&str>,
) -> Option<String> {
    let image = image?;
    records
        .iter()
        .rev()
        .find(|r| match service {
            Some(svc) if r.is_set() => r
                .services
                .iter()
                .any(|s| s.service == svc && s.image == image),
            _ => r.image == image,
        })
        .map(|r| r.id.clone())
}

#[async_trait]
impl Target for Ecs {
    fn name(&self) -> String {
        format!("{}/{}", self.settings.cluster, self.settings.service)
    }

    fn describe(&self) -> String {
        format!(
            "register a task definition revision derived from the live one (image pinned by digest) and update ECS service {}, watched until its deployment completes",
            self.name()
        )
    }

    async fn deploy(&self, record: &Record, ctx: &StepCtx, how: &Rollout) -> Result<Outcome> {
        if record.registry.is_none() {
            return Err(Error::usage(format!(
                "release {} is only tagged in a local Docker daemon, which ECS tasks cannot pull from",
                record.id
            ))
            .with_hint("set release.registry (\"ecr\" or a registry host) and run `devloop release`"));
        }
        let client = self.client().await?;
        let live = self.live_patiently(&client).await?;
        // One deploy at a time: held until the verdict, released on every path.
        let arn = live.service.service_arn().unwrap_or_default().to_string();
        let lock = self.lock(&client, &arn, how, ctx).await?;
        let result = self.rollout(&client, live, record, ctx, how.deadline).await;
        unlock(lock, ctx).await;
        result
    }

    /// A deployment still in progress is stopped with ECS's own rollback (where the endpoint has
    /// the service deployments API); otherwise the release is deployed through the same path.
    async fn rollback(&self, record: &Record, ctx: &StepCtx, how: &Rollout) -> Result<Outcome> {
        let client = self.client().await?;
        let live = self.live_patiently(&client).await?;
        let running = deployments::service_deployments(
            &client,
            &self.settings,
            None,
            &[
                ServiceDeploymentStatus::InProgress,
                ServiceDeploymentStatus::Pending,
            ],
        )
        .await
        .ok()
        .and_then(|found| {
            found
                .iter()
                .find_map(|d| d.service_deployment_arn().map(str::to_string))
        });
        let Some(arn) = running else {
            return self.deploy(record, ctx, how).await;
        };
        let service_arn = live.service.service_arn().unwrap_or_default().to_string();
        let lock = self.lock(&client, &service_arn, how, ctx).await?;
        let result = self
            .stop_with_rollback(&client, &arn, ctx, how.deadline)
            .await;
        unlock(lock, ctx).await;
        result
    }

    async fn diff(&self, record: Option<&Record>) -> Result<Option<Diff>> {
        if let Some(r) = record.filter(|r| r.registry.is_none()) {
            return Err(Error::usage(format!(
                "release {} is only tagged in a local Docker daemon, which ECS tasks cannot pull from",
                r.id
            ))
            .with_hint("set release.registry (\"ecr\" or a registry host) and run `devloop release`"));
        }
        let client = self.client().await?;
        let live = self.live_patiently(&client).await?;
        let image = record
            .map(|r| r.image.as_str())
            .unwrap_or(super::IMAGE_TO_COME);
        let proposed = self.proposed(&self.base(&live.task_def)?, image);
        let same = self.same_as_live(&live.task_def, &proposed);
        let current = live.task_def.task_definition_arn().unwrap_or_default();
        let before = Self::render(&live.task_def);
        let after = Self::render(&proposed);
        let pretty =
            |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
        let (before_text, after_text) = (pretty(&before), pretty(&after));
        let mut text = String::new();
        if !same {
            text.push_str(
                &similar::TextDiff::from_lines(&before_text, &after_text)
                    .unified_diff()
                    .context_radius(3)
                    .header(
                        &format!("{} (live)", revision(current)),
                        "the revision devloop would register",
                    )
                    .to_string(),
            );
            if before_text == after_text {
                // A field `plan` does not draw differs: say which containers, never an empty diff.
                text.push_str(&format!(
                    "the revision devloop would register differs from {} in settings not shown above (for example ulimits, linuxParameters or dockerLabels)\n",
                    revision(current)
                ));
            }
        }
        let svc = &live.service;
        let mut service_changes = Vec::new();
        if !same {
            service_changes.push(format!(
                "taskDefinition: {} -> the new revision",
                revision(current)
            ));
        } else if svc.task_definition() != Some(current) {
            service_changes.push(format!("taskDefinition: -> {}", revision(current)));
        }
        if let Some(n) = self
            .settings
            .desired_count
            .filter(|n| *n != svc.desired_count())
        {
            service_changes.push(format!("desiredCount: {} -> {n}", svc.desired_count()));
        }
        for c in &service_changes {
            text.push_str(&format!("service {}: {c}\n", self.name()));
        }
        let changes = !service_changes.is_empty();
        if !changes {
            text.push_str(&format!(
                "no changes: ECS service {} already runs {} with this image and these settings\n",
                self.name(),
                revision(current)
            ));
        }
        Ok(Some(Diff {
            changes,
            text,
            details: json!({
                "live_task_definition": current,
                "register": !same,
                "service_changes": service_changes,
                "live": before,
                "proposed": after,
            }),
        }))
    }

    /// The release by the image the container runs; a revision devloop registered for a
    /// release the ledger does not hold names it in its `devloop.release` tag. A dependency of a
    /// set runs its image reference, not a release.
    async fn running(&self) -> Result<Option<String>> {
        let client = self.client().await?;
        let live = self.live_patiently(&client).await?;
        let cfg = &self.project.config;
        if cfg.this_service().is_some_and(|s| s.is_dependency()) && cfg.multi {
            return Ok(self.image_in(&live.task_def).map(str::to_string));
        }
        if let Some(id) = self.release_of(&live.task_def).await? {
            return Ok(Some(id));
        }
        Ok(live
            .tags
            .iter()
            .find(|t| t.key() == Some(super::LABEL_RELEASE))
            .and_then(|t| t.value())
            .map(str::to_string))
    }

    async fn checkpoint(&self) -> Result<Option<Checkpoint>> {
        let client = self.client().await?;
        let svc = self.service_patiently(&client).await?;
        let arn = svc.task_definition().unwrap_or_default();
        Ok(Some(Checkpoint {
            label: revision(arn).to_string(),
            data: json!({
                "task_definition": arn,
                "desired_count": svc.desired_count(),
            }),
        }))
    }

    async fn restore_to(&self, cp: &Checkpoint, ctx: &StepCtx, how: &Rollout) -> Result<Outcome> {
        let arn = cp.data["task_definition"].as_str().unwrap_or_default();
        let desired = cp.data["desired_count"]
            .as_i64()
            .and_then(|n| i32::try_from(n).ok());
        if arn.is_empty() {
            return Err(Error::failed(format!(
                "no task definition to put ECS service {} back on",
                self.name()
            )));
        }
        let client = self.client().await?;
        let service = self.service_patiently(&client).await?;
        let service_arn = service.service_arn().unwrap_or_default().to_string();
        let lock = self.lock(&client, &service_arn, how, ctx).await?;
        let result = self
            .go_back(&client, &service, arn, desired, ctx, how.deadline)
            .await;
        unlock(lock, ctx).await;
        result
    }

    async fn status(&self, window: Option<Duration>) -> Result<Status> {
        let client = self.client().await?;
        let cw = match window {
            Some(w) => Some((
                aws_sdk_cloudwatch::Client::new(self.project.aws().await?),
                w,
            )),
            None => None,
        };
        self.status_with(&client, cw.as_ref().map(|(c, w)| (c, *w)))
            .await
    }

    async fn logs(&self, q: &LogQuery, out: &mut (dyn FnMut(LogLine) + Send)) -> Result<()> {
        let client = self.client().await?;
        let logs = aws_sdk_cloudwatchlogs::Client::new(self.project.aws().await?);
        self.logs_with(&client, &logs, q, out).await
    }
}

mod deployments;
mod lock;
mod monitor;
mod report;
mod revision;
mod rollout;
pub(super) mod set_lock;
mod template;
mod verdict;
mod watch;

#[cfg(test)]
mod tests;
