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

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use aws_sdk_ecs::types::{
    ContainerDefinition, Deployment, DeploymentRolloutState, DesiredStatus, KeyValuePair, Secret,
    Service, Tag, TaskDefinition, TaskDefinitionField,
};
use aws_sdk_ecs::types::{
    ServiceDeploymentBrief, ServiceDeploymentStatus, StopServiceDeploymentStopType,
};
use aws_sdk_ecs::Client;
use aws_smithy_types::DateTime;

use serde_json::json;

use super::{
    remaining, Diff, Failure, Health, LogLine, LogQuery, Outcome, Rollout, Status, Target,
};
use crate::aws::sdk_error;
use crate::config::schema::{EcsTarget, RollbackMode};
use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::pipeline::Project;
use crate::release::Record;

/// How often the service is read while a deployment runs: soon after a change, less often while
/// nothing moves, never more than `POLL_MAX` apart, so a verdict is printed within that (plus one
/// DescribeServices call) of the service reaching it.
const POLL_MIN: Duration = Duration::from_millis(250);
const POLL_MAX: Duration = Duration::from_millis(1500);

/// The next wait: back to the minimum when what the service reports changed, else 1.5× longer.
fn next_poll(poll: Duration, changed: bool) -> Duration {
    if changed {
        POLL_MIN
    } else {
        poll.mul_f64(1.5).min(POLL_MAX)
    }
}

pub struct Ecs {
    project: Arc<Project>,
    settings: EcsTarget,
}

/// What ECS runs now: the service and its task definition.
struct Live {
    service: Service,
    task_def: TaskDefinition,
}

/// Where a deployment stands, read from the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Our deployment is PRIMARY, completed, and runs the desired count.
    Done,
    /// ECS put the previous revision back and it runs again.
    RolledBack(String),
    /// Our deployment failed and ECS did not roll it back.
    Failed(String),
    /// Another deployment (not ours, not the previous revision) took over.
    Superseded(String),
    /// Still changing: what it is doing.
    Changing(String),
}

/// `None` for an empty list: the API reads an absent list and an empty one differently.
fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

fn revision(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn steady(d: &Deployment) -> bool {
    d.rollout_state() != Some(&DeploymentRolloutState::InProgress)
        && d.running_count() == d.desired_count()
}

/// Judge the service against the deployment of `ours` (a task definition ARN) that replaced
/// `previous`. `ours_id` remembers which deployment is ours once it has been seen, so a
/// deployment someone else starts meanwhile is never taken for it.
pub fn judge(svc: &Service, ours: &str, previous: &str, ours_id: &mut Option<String>) -> Progress {
    let deps = svc.deployments();
    let Some(primary) = deps.iter().find(|d| d.status() == Some("PRIMARY")) else {
        return Progress::Changing("the service has no PRIMARY deployment yet".into());
    };
    if ours_id.is_none() && primary.task_definition() == Some(ours) {
        *ours_id = primary.id().map(str::to_string);
    }
    let mine = ours_id
        .as_deref()
        .and_then(|id| deps.iter().find(|d| d.id() == Some(id)));
    let counts = |d: &Deployment| {
        format!(
            "{} of {} running, {} pending, {} failed",
            d.running_count(),
            d.desired_count(),
            d.pending_count(),
            d.failed_tasks()
        )
    };
    let reason = |d: Option<&Deployment>| {
        d.and_then(|d| d.rollout_state_reason())
            .unwrap_or("no reason given")
            .to_string()
    };
    match mine {
        Some(m) if m.id() == primary.id() => match m.rollout_state() {
            Some(DeploymentRolloutState::Failed) => Progress::Failed(format!(
                "the deployment of {} failed: {}",
                revision(ours),
                reason(Some(m))
            )),
            Some(DeploymentRolloutState::Completed) | None
                if deps.len() == 1 && m.running_count() == m.desired_count() =>
            {
                Progress::Done
            }
            _ => Progress::Changing(format!(
                "{}: {}{}",
                revision(ours),
                counts(m),
                if deps.len() > 1 {
                    format!("; {} older deployment(s) draining", deps.len() - 1)
                } else {
                    String::new()
                }
            )),
        },
        // Ours was seen and is no longer PRIMARY (or gone): who took over?
        _ if ours_id.is_some() => {
            if primary.task_definition() == Some(previous) {
                if steady(primary) {
                    Progress::RolledBack(format!(
                        "ECS rolled the service back to {} ({})",
                        revision(previous),
                        reason(mine)
                    ))
                } else {
                    Progress::Changing(format!(
                        "ECS is rolling back to {}: {}",
                        revision(previous),
                        counts(primary)
                    ))
                }
            } else {
                Progress::Superseded(format!(
                    "another deployment ({}) started while devloop's ran",
                    primary.task_definition().map(revision).unwrap_or("unknown")
                ))
            }
        }
        _ => Progress::Changing(format!(
            "ECS has not started a deployment of {} yet; the PRIMARY deployment runs {} ({})",
            revision(ours),
            primary.task_definition().map(revision).unwrap_or("unknown"),
            counts(primary)
        )),
    }
}

/// Sort environment and secrets by name, so equal settings compare equal.
fn normalized(mut defs: Vec<ContainerDefinition>) -> Vec<ContainerDefinition> {
    for c in &mut defs {
        if let Some(env) = c.environment.as_mut() {
            env.sort_by(|a, b| a.name.cmp(&b.name));
        }
        if let Some(secrets) = c.secrets.as_mut() {
            secrets.sort_by(|a, b| a.name.cmp(&b.name));
        }
    }
    defs
}

/// The newest service deployment created since `since`, or `Err` (with why) when the endpoint has
/// no service deployments API (moto) or refuses it.
async fn latest_service_deployment(
    client: &Client,
    s: &EcsTarget,
    since: DateTime,
) -> std::result::Result<Option<ServiceDeploymentBrief>, String> {
    let out = client
        .list_service_deployments()
        .cluster(&s.cluster)
        .service(&s.service)
        .send()
        .await
        .map_err(|e| sdk_error("ListServiceDeployments", e).message)?;
    Ok(out
        .service_deployments()
        .iter()
        .filter(|d| d.created_at().is_none_or(|t| t.secs() >= since.secs() - 5))
        .max_by_key(|d| d.created_at().map(|t| t.secs()))
        .cloned())
}

impl Ecs {
    pub fn new(project: Arc<Project>) -> Result<Ecs> {
        let settings = project.config.doc.deploy.ecs.clone().ok_or_else(|| {
            Error::usage("target \"ecs\" needs [deploy.ecs] with cluster and service")
        })?;
        Ok(Ecs { project, settings })
    }

    fn container(&self) -> String {
        self.settings
            .container
            .clone()
            .unwrap_or_else(|| self.project.config.app().to_string())
    }

    async fn client(&self) -> Result<Client> {
        Ok(Client::new(self.project.aws().await?))
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
            .with_hint("create the service first (devloop deploys to an existing service), or fix deploy.ecs.service")),
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
        let task_def = client
            .describe_task_definition()
            .task_definition(&arn)
            .include(TaskDefinitionField::Tags)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("cannot describe task definition {arn}"), e))?
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
        Ok(Live { service, task_def })
    }

    /// What devloop starts from: the template file when configured, else the live revision.
    fn base(&self, live: &TaskDefinition) -> Result<TaskDefinition> {
        let Some(file) = &self.settings.task_definition else {
            return Ok(live.clone());
        };
        let path = self.project.config.root.join(file);
        let base = template::load(&path, file)?;
        let container = self.container();
        if !base
            .container_definitions()
            .iter()
            .any(|c| c.name() == Some(container.as_str()))
        {
            return Err(Error::usage(format!(
                "the task definition template {file} has no container \"{container}\""
            ))
            .with_hint("set deploy.ecs.container to the container that runs the image"));
        }
        Ok(base)
    }

    /// The revision devloop would register: `base` with the image, the environment and the
    /// secrets of devloop's container replaced, and the task settings of devloop.toml applied.
    fn proposed(&self, base: &TaskDefinition, image: &str) -> TaskDefinition {
        let s = &self.settings;
        let container = self.container();
        let defs =
            base.container_definitions()
                .iter()
                .cloned()
                .map(|mut c| {
                    if c.name() == Some(container.as_str()) {
                        c.image = Some(image.to_string());
                        let mut env: Vec<KeyValuePair> = c
                            .environment()
                            .iter()
                            .filter(|kv| kv.name().is_none_or(|n| !s.env.contains_key(n)))
                            .cloned()
                            .collect();
                        env.extend(s.env.iter().map(|(k, v)| {
                            KeyValuePair::builder().name(k).value(v.value()).build()
                        }));
                        c.environment = Some(env);
                        let mut secrets: Vec<Secret> = c
                            .secrets()
                            .iter()
                            .filter(|x| !s.secrets.contains_key(x.name()))
                            .cloned()
                            .collect();
                        secrets.extend(s.secrets.iter().filter_map(|(k, v)| {
                            Secret::builder().name(k).value_from(v).build().ok()
                        }));
                        c.secrets = (!secrets.is_empty()).then_some(secrets);
                    }
                    c
                })
                .collect();
        let mut t = base.clone();
        t.container_definitions = Some(normalized(defs));
        t.family = s
            .task_family
            .clone()
            .or(t.family)
            .or(Some(s.service.clone()));
        t.task_role_arn = s.task_role_arn.clone().or(t.task_role_arn);
        t.execution_role_arn = s.execution_role_arn.clone().or(t.execution_role_arn);
        t.cpu = s.cpu.clone().or(t.cpu);
        t.memory = s.memory.clone().or(t.memory);
        t
    }

    /// Whether registering `proposed` would give a revision equal to the live one.
    fn same_as_live(&self, live: &TaskDefinition, proposed: &TaskDefinition) -> bool {
        normalized(live.container_definitions().to_vec()) == proposed.container_definitions()
            && live.family() == proposed.family()
            && live.task_role_arn() == proposed.task_role_arn()
            && live.execution_role_arn() == proposed.execution_role_arn()
            && live.cpu() == proposed.cpu()
            && live.memory() == proposed.memory()
            && live.network_mode() == proposed.network_mode()
            && live.volumes() == proposed.volumes()
            && live.requires_compatibilities() == proposed.requires_compatibilities()
            && live.placement_constraints() == proposed.placement_constraints()
            && live.runtime_platform() == proposed.runtime_platform()
            && live.pid_mode() == proposed.pid_mode()
            && live.ipc_mode() == proposed.ipc_mode()
            && live.ephemeral_storage() == proposed.ephemeral_storage()
            && live.proxy_configuration() == proposed.proxy_configuration()
    }

    /// A task definition as `plan` shows it: the fields a revision is made of, as JSON.
    fn render(t: &TaskDefinition) -> serde_json::Value {
        let kv = |list: &[KeyValuePair]| -> serde_json::Value {
            list.iter()
                .map(|kv| json!({ "name": kv.name(), "value": kv.value() }))
                .collect()
        };
        let containers: Vec<serde_json::Value> = normalized(t.container_definitions().to_vec())
            .iter()
            .map(|c| {
                json!({
                    "name": c.name(),
                    "image": c.image(),
                    "essential": c.essential(),
                    "cpu": c.cpu(),
                    "memory": c.memory(),
                    "memoryReservation": c.memory_reservation(),
                    "command": c.command(),
                    "entryPoint": c.entry_point(),
                    "portMappings": c.port_mappings().iter().map(|p| json!({
                        "containerPort": p.container_port(),
                        "hostPort": p.host_port(),
                        "protocol": p.protocol().map(|x| x.as_str()),
                    })).collect::<Vec<_>>(),
                    "environment": kv(c.environment()),
                    "secrets": c.secrets().iter().map(|x| json!({ "name": x.name(), "valueFrom": x.value_from() })).collect::<Vec<_>>(),
                    "logConfiguration": c.log_configuration().map(|l| json!({
                        "logDriver": l.log_driver().as_str(),
                        "options": l.options(),
                    })),
                    "healthCheck": c.health_check().map(|h| json!({ "command": h.command() })),
                    "mountPoints": c.mount_points().iter().map(|m| json!({
                        "sourceVolume": m.source_volume(),
                        "containerPath": m.container_path(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "family": t.family(),
            "taskRoleArn": t.task_role_arn(),
            "executionRoleArn": t.execution_role_arn(),
            "networkMode": t.network_mode().map(|n| n.as_str()),
            "requiresCompatibilities": t.requires_compatibilities().iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            "cpu": t.cpu(),
            "memory": t.memory(),
            "volumes": t.volumes().iter().map(|v| v.name()).collect::<Vec<_>>(),
            "containerDefinitions": containers,
        })
    }

    /// Register `proposed`; returns its ARN.
    async fn register(
        &self,
        client: &Client,
        t: &TaskDefinition,
        record: &Record,
    ) -> Result<String> {
        let family = t.family().unwrap_or(&self.settings.service).to_string();
        let out = client
            .register_task_definition()
            .family(&family)
            .set_container_definitions(t.container_definitions.clone())
            .set_task_role_arn(t.task_role_arn.clone())
            .set_execution_role_arn(t.execution_role_arn.clone())
            .set_network_mode(t.network_mode.clone())
            .set_volumes(non_empty(t.volumes().to_vec()))
            .set_placement_constraints(non_empty(t.placement_constraints().to_vec()))
            .set_requires_compatibilities(non_empty(t.requires_compatibilities().to_vec()))
            .set_cpu(t.cpu.clone())
            .set_memory(t.memory.clone())
            .set_pid_mode(t.pid_mode.clone())
            .set_ipc_mode(t.ipc_mode.clone())
            .set_proxy_configuration(t.proxy_configuration.clone())
            .set_ephemeral_storage(t.ephemeral_storage.clone())
            .set_runtime_platform(t.runtime_platform.clone())
            .tags(
                Tag::builder()
                    .key(super::LABEL_RELEASE)
                    .value(&record.id)
                    .build(),
            )
            .tags(
                Tag::builder()
                    .key(super::LABEL_APP)
                    .value(self.project.config.app())
                    .build(),
            )
            .send()
            .await
            .map_err(|e| sdk_error(&format!("cannot register a revision of {family}"), e))?;
        out.task_definition()
            .and_then(|t| t.task_definition_arn())
            .map(str::to_string)
            .ok_or_else(|| Error::failed("ECS registered the task definition but returned no ARN"))
    }

    async fn update(&self, client: &Client, task_def: &str) -> Result<()> {
        let s = &self.settings;
        client
            .update_service()
            .cluster(&s.cluster)
            .service(&s.service)
            .task_definition(task_def)
            .set_desired_count(s.desired_count)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("cannot update ECS service {}", s.service), e))?;
        Ok(())
    }

    /// Print service events and stopped tasks of `ours` that were not printed before; returns
    /// the lines printed.
    async fn report(
        &self,
        client: &Client,
        svc: &Service,
        ours: &str,
        events: &mut HashSet<String>,
        stopped: &mut HashSet<String>,
        ctx: &StepCtx,
    ) -> Result<Vec<String>> {
        let mut said = Vec::new();
        let mut fresh: Vec<_> = svc
            .events()
            .iter()
            .filter(|e| e.id().is_some_and(|id| events.insert(id.to_string())))
            .collect();
        fresh.sort_by_key(|e| e.created_at().map(|t| t.secs()));
        for e in fresh {
            said.push(format!("event: {}", e.message().unwrap_or_default()));
        }
        let s = &self.settings;
        let arns = client
            .list_tasks()
            .cluster(&s.cluster)
            .service_name(&s.service)
            .desired_status(DesiredStatus::Stopped)
            .send()
            .await
            .map_err(|e| sdk_error("cannot list stopped tasks", e))?
            .task_arns
            .unwrap_or_default();
        let new: Vec<String> = arns.into_iter().filter(|a| !stopped.contains(a)).collect();
        if new.is_empty() {
            said.iter().for_each(|l| ctx.log(l.clone()));
            return Ok(said);
        }
        let tasks = client
            .describe_tasks()
            .cluster(&s.cluster)
            .set_tasks(Some(new))
            .send()
            .await
            .map_err(|e| sdk_error("cannot describe stopped tasks", e))?;
        for t in tasks.tasks() {
            let arn = t.task_arn().unwrap_or_default().to_string();
            stopped.insert(arn.clone());
            if t.task_definition_arn() != Some(ours) {
                continue;
            }
            let exits: Vec<String> = t
                .containers()
                .iter()
                .map(|c| {
                    format!(
                        "{} exit {}{}",
                        c.name().unwrap_or("?"),
                        c.exit_code()
                            .map(|x| x.to_string())
                            .unwrap_or_else(|| "-".into()),
                        c.reason().map(|r| format!(" ({r})")).unwrap_or_default()
                    )
                })
                .collect();
            said.push(format!(
                "task {} stopped: {}{}",
                revision(&arn),
                t.stopped_reason().unwrap_or("no reason given"),
                if exits.is_empty() {
                    String::new()
                } else {
                    format!("; {}", exits.join(", "))
                }
            ));
        }
        said.iter().for_each(|l| ctx.log(l.clone()));
        Ok(said)
    }

    /// Watch the deployment of `ours` (replacing `previous`) until a verdict or the deadline.
    async fn watch(
        &self,
        client: &Client,
        ours: &str,
        previous: &str,
        since: DateTime,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<Progress> {
        let mut ours_id = None;
        let (mut events, mut stopped) = (HashSet::new(), HashSet::new());
        let mut api = true;
        let (mut poll, mut last) = (POLL_MIN, String::new());
        loop {
            ctx.check_cancelled()?;
            let svc = self.service(client).await?;
            // Events from before the update were printed by nobody: they are not this deploy's.
            let old: Vec<String> = svc
                .events()
                .iter()
                .filter(|e| e.created_at().is_some_and(|t| t.secs() < since.secs()))
                .filter_map(|e| e.id().map(str::to_string))
                .collect();
            events.extend(old);
            self.report(client, &svc, ours, &mut events, &mut stopped, ctx)
                .await?;
            // The service deployments API, where the endpoint has it, adds reasons and ends a
            // deployment that failed outright; success still needs deployments[] to agree.
            let sd = if api {
                match latest_service_deployment(client, &self.settings, since).await {
                    Ok(sd) => sd,
                    Err(why) => {
                        api = false;
                        ctx.log(format!(
                            "the service deployments API is not available here ({why}); judging by the service's deployments"
                        ));
                        None
                    }
                }
            } else {
                None
            };
            match judge(&svc, ours, previous, &mut ours_id) {
                Progress::Changing(what) => {
                    let what = match &sd {
                        Some(d)
                            if matches!(
                                d.status(),
                                Some(
                                    ServiceDeploymentStatus::RollbackFailed
                                        | ServiceDeploymentStatus::Stopped
                                )
                            ) =>
                        {
                            return Ok(Progress::Failed(format!(
                                "the service deployment ended {}: {}",
                                d.status().map(|s| s.as_str()).unwrap_or("?"),
                                d.status_reason().unwrap_or("no reason given")
                            )))
                        }
                        Some(d) => format!(
                            "{what} (service deployment {}{})",
                            d.status().map(|s| s.as_str()).unwrap_or("?"),
                            d.status_reason()
                                .map(|r| format!(": {r}"))
                                .unwrap_or_default()
                        ),
                        None => what,
                    };
                    if Instant::now() >= deadline {
                        return Ok(Progress::Changing(what));
                    }
                    poll = next_poll(poll, what != last);
                    ctx.progress(what.clone());
                    last = what;
                }
                verdict => return Ok(verdict),
            }
            tokio::time::sleep(poll.min(remaining(deadline))).await;
        }
    }

    /// Register (unless identical), update the service and watch the deployment to a verdict.
    async fn rollout(
        &self,
        client: &Client,
        live: Live,
        record: &Record,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<Outcome> {
        let previous = live
            .task_def
            .task_definition_arn()
            .unwrap_or_default()
            .to_string();
        let proposed = self.proposed(&self.base(&live.task_def)?, &record.image);
        let name = self.name();
        let ours = if self.same_as_live(&live.task_def, &proposed) {
            let mut probe = None;
            let steady = judge(&live.service, &previous, &previous, &mut probe) == Progress::Done;
            let count_ok = self
                .settings
                .desired_count
                .is_none_or(|n| n == live.service.desired_count());
            if steady && count_ok {
                return Ok(Outcome::Unchanged(format!(
                    "ECS service {name} already runs {} with this image and these settings; nothing registered, nothing updated",
                    revision(&previous)
                )));
            }
            ctx.log(format!(
                "{} already has this image and these settings; updating the service to it",
                revision(&previous)
            ));
            previous.clone()
        } else {
            let arn = self.register(client, &proposed, record).await?;
            ctx.log(format!("registered {}", revision(&arn)));
            arn
        };
        // What the service ran before: the live revision read above, the one a rollback restores.
        let was = previous.clone();
        let since = DateTime::from(SystemTime::now());
        self.update(client, &ours).await?;
        ctx.progress(format!("updated {name} to {}", revision(&ours)));
        let verdict = self
            .watch(client, &ours, &was, since, ctx, deadline)
            .await?;
        let rollback_hint = format!(
            "roll back with `devloop rollback -e {}`",
            self.project.config.env.as_deref().unwrap_or("default")
        );
        Ok(match verdict {
            Progress::Done => Outcome::Deployed(format!(
                "ECS service {name} runs {} (release {}) on every desired task",
                revision(&ours),
                record.id
            )),
            Progress::RolledBack(why) => Outcome::RolledBack(Failure::new(format!(
                "release {} did not deploy: {why}",
                record.id
            ))),
            Progress::Superseded(why) => Outcome::Failed(Failure::new(format!(
                "release {}: {why}; devloop does not know what the service will run",
                record.id
            ))),
            Progress::Failed(why) if self.settings.rollback == RollbackMode::Auto && ours != was => {
                ctx.warn(format!("{why}; rolling back to {}", revision(&was)));
                let since = DateTime::from(SystemTime::now());
                self.update(client, &was).await?;
                let back = deadline.max(Instant::now() + Duration::from_secs(300));
                match self.watch(client, &was, &ours, since, ctx, back).await? {
                    Progress::Done => Outcome::RolledBack(Failure::new(format!(
                        "{why}; devloop rolled ECS service {name} back to {}",
                        revision(&was)
                    ))),
                    other => Outcome::Failed(
                        Failure::new(format!(
                            "{why}; devloop rolled ECS service {name} back to {}, but that deployment has not settled: {other:?}",
                            revision(&was)
                        ))
                        .hint("check the service in the ECS console or with `devloop monitor`"),
                    ),
                }
            }
            Progress::Failed(why) => Outcome::Failed(Failure::new(why).hint(rollback_hint)),
            Progress::Changing(state) => Outcome::TimedOut(
                Failure::new(format!(
                    "ECS service {name} did not settle on {} before the deadline: {state}; ECS may still be changing it",
                    revision(&ours)
                ))
                .hint(rollback_hint),
            ),
        })
    }

    /// Stop the in-progress service deployment `arn` with a rollback, and wait until the
    /// service is steady again on one deployment.
    async fn stop_with_rollback(
        &self,
        client: &Client,
        arn: &str,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<Outcome> {
        let since = DateTime::from(SystemTime::now());
        client
            .stop_service_deployment()
            .service_deployment_arn(arn)
            .stop_type(StopServiceDeploymentStopType::Rollback)
            .send()
            .await
            .map_err(|e| sdk_error("cannot stop the service deployment in progress", e))?;
        ctx.log(format!(
            "stopped the deployment in progress ({}) with a rollback",
            revision(arn)
        ));
        let name = self.name();
        let (mut poll, mut last) = (POLL_MIN, 0);
        loop {
            ctx.check_cancelled()?;
            let svc = self.service(client).await?;
            let deps = svc.deployments();
            if let [only] = deps {
                if only.status() == Some("PRIMARY") && steady(only) {
                    return Ok(Outcome::Deployed(format!(
                        "stopped the deployment in progress; ECS rolled {name} back to {}, which runs {} of {} tasks",
                        only.task_definition().map(revision).unwrap_or("?"),
                        only.running_count(),
                        only.desired_count()
                    )));
                }
            }
            if let Ok(Some(d)) = latest_service_deployment(client, &self.settings, since).await {
                if d.status() == Some(&ServiceDeploymentStatus::RollbackFailed) {
                    return Ok(Outcome::Failed(Failure::new(format!(
                        "ECS could not roll {name} back: {}",
                        d.status_reason().unwrap_or("no reason given")
                    ))));
                }
            }
            if Instant::now() >= deadline {
                return Ok(Outcome::TimedOut(Failure::new(format!(
                    "ECS service {name} did not settle after the rollback before the deadline ({} deployments)",
                    deps.len()
                ))));
            }
            ctx.progress(format!(
                "rolling back: {} deployment(s) on the service",
                deps.len()
            ));
            poll = next_poll(poll, deps.len() != last);
            last = deps.len();
            tokio::time::sleep(poll.min(remaining(deadline))).await;
        }
    }

    /// The ledger's release whose image a task definition runs.
    async fn release_of(&self, task_def: &TaskDefinition) -> Result<Option<String>> {
        let container = self.container();
        let image = task_def
            .container_definitions()
            .iter()
            .find(|c| c.name() == Some(container.as_str()))
            .and_then(|c| c.image());
        let Some(image) = image else { return Ok(None) };
        let records = crate::release::history(&self.project).await?;
        Ok(records
            .iter()
            .rev()
            .find(|r| r.image == image)
            .map(|r| r.id.clone()))
    }
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
        let live = self.live(&client).await?;
        // One deploy at a time: held until the verdict, released on every path.
        let arn = live.service.service_arn().unwrap_or_default().to_string();
        let owner = format!("{} pid {}", self.project.ambient.user(), std::process::id());
        let ttl = remaining(how.deadline) + Duration::from_secs(600);
        let lock = lock::acquire(&client, &arn, &owner, ttl, how.force_unlock).await?;
        let result = self.rollout(&client, live, record, ctx, how.deadline).await;
        if let Err(e) = lock.release().await {
            ctx.warn(format!(
                "the deploy lock could not be released: {}",
                e.message
            ));
        }
        result
    }

    /// A deployment still in progress is stopped with ECS's own rollback (where the endpoint has
    /// the service deployments API); otherwise the release is deployed through the same path.
    async fn rollback(&self, record: &Record, ctx: &StepCtx, how: &Rollout) -> Result<Outcome> {
        let client = self.client().await?;
        let live = self.live(&client).await?;
        let running = client
            .list_service_deployments()
            .cluster(&self.settings.cluster)
            .service(&self.settings.service)
            .status(ServiceDeploymentStatus::InProgress)
            .status(ServiceDeploymentStatus::Pending)
            .send()
            .await
            .ok()
            .and_then(|out| {
                out.service_deployments()
                    .iter()
                    .find_map(|d| d.service_deployment_arn().map(str::to_string))
            });
        let Some(arn) = running else {
            return self.deploy(record, ctx, how).await;
        };
        let service_arn = live.service.service_arn().unwrap_or_default().to_string();
        let owner = format!("{} pid {}", self.project.ambient.user(), std::process::id());
        let ttl = remaining(how.deadline) + Duration::from_secs(600);
        let lock = lock::acquire(&client, &service_arn, &owner, ttl, how.force_unlock).await?;
        let result = self
            .stop_with_rollback(&client, &arn, ctx, how.deadline)
            .await;
        if let Err(e) = lock.release().await {
            ctx.warn(format!(
                "the deploy lock could not be released: {}",
                e.message
            ));
        }
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
        let live = self.live(&client).await?;
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

    async fn running(&self) -> Result<Option<String>> {
        let client = self.client().await?;
        let live = self.live(&client).await?;
        self.release_of(&live.task_def).await
    }

    async fn status(&self, _stats: bool) -> Result<Status> {
        let client = self.client().await?;
        let live = self.live(&client).await?;
        let svc = &live.service;
        let mut st = Status::empty(&self.project, "ecs", &self.name());
        st.state = svc.status().unwrap_or("unknown").to_lowercase();
        st.release = self.release_of(&live.task_def).await?;
        st.image = live
            .task_def
            .container_definitions()
            .iter()
            .find(|c| c.name() == Some(self.container().as_str()))
            .and_then(|c| c.image())
            .map(str::to_string);
        st.replicas_running = Some(svc.running_count().max(0) as usize);
        st.replicas_desired = Some(svc.desired_count().max(0) as usize);
        st.tasks = svc
            .deployments()
            .iter()
            .map(|d| {
                format!(
                    "{} {}: {}/{} running, {} pending, {} failed{}",
                    d.status().unwrap_or("?"),
                    d.task_definition().map(revision).unwrap_or("?"),
                    d.running_count(),
                    d.desired_count(),
                    d.pending_count(),
                    d.failed_tasks(),
                    d.rollout_state()
                        .map(|r| format!(", rollout {}", r.as_str()))
                        .unwrap_or_default()
                )
            })
            .collect();
        let primary = svc
            .deployments()
            .iter()
            .find(|d| d.status() == Some("PRIMARY"));
        st.update_state = primary
            .and_then(|d| d.rollout_state())
            .map(|r| r.as_str().to_lowercase());
        let current = svc.task_definition().unwrap_or_default();
        let mut probe = None;
        let health = match judge(svc, current, current, &mut probe) {
            Progress::Done => Health::Healthy(format!(
                "{} runs {} of {} desired tasks",
                revision(current),
                svc.running_count(),
                svc.desired_count()
            )),
            Progress::Failed(why) => Health::Unhealthy(why),
            Progress::Changing(what)
                if primary.is_some_and(|p| {
                    p.rollout_state() == Some(&DeploymentRolloutState::InProgress)
                }) =>
            {
                Health::Starting(what)
            }
            Progress::Changing(what) | Progress::RolledBack(what) | Progress::Superseded(what) => {
                Health::Unhealthy(what)
            }
        };
        st.set_health(health);
        Ok(st)
    }

    async fn logs(&self, _q: &LogQuery, _out: &mut (dyn FnMut(LogLine) + Send)) -> Result<()> {
        Err(Error::not_available("`devloop monitor --logs` on ECS"))
    }
}

mod lock;
mod template;

#[cfg(test)]
mod tests;
