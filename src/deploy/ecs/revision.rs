//! The revision devloop would register: the template or the live task definition with the image,
//! environment and secrets of devloop's container and the configured task settings applied; how
//! it compares to the live one, how `plan` shows it, and registering it.

use aws_sdk_ecs::types::{
    ContainerDefinition, KeyValuePair, NetworkMode, Secret, Tag, TaskDefinition, TransportProtocol,
};
use aws_sdk_ecs::Client;
use serde_json::json;

use super::{template, Ecs};
use crate::aws::sdk_error;
use crate::error::{Error, Result};
use crate::release::Record;

/// `None` for an empty list: the API reads an absent list and an empty one differently.
fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

/// An absent list and an empty one read alike once registered: both become `None`.
fn no_empty<T>(v: &mut Option<Vec<T>>) {
    if v.as_ref().is_some_and(Vec::is_empty) {
        *v = None;
    }
}

/// Task-level `cpu` as ECS stores it: "1 vCPU" (any case, any spacing, fractions) is 1024 units.
fn cpu_units(cpu: &str) -> String {
    scaled(cpu, "vcpu").unwrap_or_else(|| cpu.trim().to_string())
}

/// Task-level `memory` as ECS stores it: "2 GB" (any case, any spacing, fractions) is 2048 MiB.
fn memory_mib(memory: &str) -> String {
    scaled(memory, "gb").unwrap_or_else(|| memory.trim().to_string())
}

/// "0.5 vCPU" with unit "vcpu" -> "512"; `None` when the text is not a number and that unit.
fn scaled(text: &str, unit: &str) -> Option<String> {
    let lower = text.trim().to_ascii_lowercase();
    let number = lower.strip_suffix(unit)?.trim();
    let value: f64 = number.parse().ok()?;
    let units = value * 1024.0;
    (value.is_finite() && value >= 0.0 && units.fract() == 0.0 && units <= f64::from(u32::MAX))
        .then(|| format!("{units:.0}"))
}

/// A task definition in the form ECS gives back after registering it, so a template (or a
/// revision devloop derived) and the live revision compare equal when registering one would
/// change nothing: "1 vCPU"/"2 GB" become "1024"/"2048"; containers get what ECS fills in (port
/// protocol tcp, hostPort = containerPort under awsvpc, essential true, health check timings);
/// environment and secrets are sorted; empty lists and absent ones read alike.
pub fn canonical(t: &TaskDefinition) -> TaskDefinition {
    let mut t = t.clone();
    t.cpu = t.cpu.as_deref().map(cpu_units);
    t.memory = t.memory.as_deref().map(memory_mib);
    let awsvpc = t.network_mode == Some(NetworkMode::Awsvpc);
    no_empty(&mut t.volumes);
    no_empty(&mut t.placement_constraints);
    no_empty(&mut t.requires_compatibilities);
    no_empty(&mut t.inference_accelerators);
    let defs = t.container_definitions.take().unwrap_or_default();
    t.container_definitions = Some(
        normalized(defs)
            .into_iter()
            .map(|c| canonical_container(c, awsvpc))
            .collect(),
    );
    t
}

fn canonical_container(mut c: ContainerDefinition, awsvpc: bool) -> ContainerDefinition {
    c.essential = Some(c.essential.unwrap_or(true));
    if let Some(ports) = c.port_mappings.as_mut() {
        for p in ports.iter_mut() {
            p.protocol = Some(p.protocol.clone().unwrap_or(TransportProtocol::Tcp));
            if awsvpc && p.host_port.is_none() {
                p.host_port = p.container_port;
            }
        }
    }
    if let Some(h) = c.health_check.as_mut() {
        h.interval = Some(h.interval.unwrap_or(30));
        h.timeout = Some(h.timeout.unwrap_or(5));
        h.retries = Some(h.retries.unwrap_or(3));
        if h.start_period == Some(0) {
            h.start_period = None;
        }
    }
    no_empty(&mut c.links);
    no_empty(&mut c.port_mappings);
    no_empty(&mut c.entry_point);
    no_empty(&mut c.command);
    no_empty(&mut c.environment);
    no_empty(&mut c.environment_files);
    no_empty(&mut c.mount_points);
    no_empty(&mut c.volumes_from);
    no_empty(&mut c.secrets);
    no_empty(&mut c.depends_on);
    no_empty(&mut c.dns_servers);
    no_empty(&mut c.dns_search_domains);
    no_empty(&mut c.extra_hosts);
    no_empty(&mut c.docker_security_options);
    no_empty(&mut c.ulimits);
    no_empty(&mut c.system_controls);
    no_empty(&mut c.resource_requirements);
    no_empty(&mut c.credential_specs);
    if c.docker_labels.as_ref().is_some_and(|l| l.is_empty()) {
        c.docker_labels = None;
    }
    c
}

/// Sort environment and secrets by name, so equal settings compare equal.
pub fn normalized(mut defs: Vec<ContainerDefinition>) -> Vec<ContainerDefinition> {
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

impl Ecs {
    /// What devloop starts from: the template file when configured, else the live revision.
    pub(super) fn base(&self, live: &TaskDefinition) -> Result<TaskDefinition> {
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
    pub(super) fn proposed(&self, base: &TaskDefinition, image: &str) -> TaskDefinition {
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

    /// Whether registering `proposed` would give a revision equal to the live one, both read in
    /// the form ECS stores (see [`canonical`]).
    pub(super) fn same_as_live(&self, live: &TaskDefinition, proposed: &TaskDefinition) -> bool {
        let (live, proposed) = (canonical(live), canonical(proposed));
        live.container_definitions() == proposed.container_definitions()
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
    pub(super) fn render(t: &TaskDefinition) -> serde_json::Value {
        let t = &canonical(t);
        let kv = |list: &[KeyValuePair]| -> serde_json::Value {
            list.iter()
                .map(|kv| json!({ "name": kv.name(), "value": kv.value() }))
                .collect()
        };
        let containers: Vec<serde_json::Value> = t
            .container_definitions()
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
                    "portMappings": c.port_mappings().iter().map(|p| {
                        let mut port = json!({
                            "containerPort": p.container_port(),
                            "hostPort": p.host_port(),
                            "protocol": p.protocol().map(|x| x.as_str()),
                        });
                        // The name Service Connect publishes the port by: a revision that
                        // drops it shows so in the plan.
                        if let Some(name) = p.name() {
                            port["name"] = json!(name);
                        }
                        port
                    }).collect::<Vec<_>>(),
                    "environment": kv(c.environment()),
                    "secrets": c.secrets().iter().map(|x| json!({ "name": x.name(), "valueFrom": x.value_from() })).collect::<Vec<_>>(),
                    "logConfiguration": c.log_configuration().map(|l| json!({
                        "logDriver": l.log_driver().as_str(),
                        "options": l.options(),
                    })),
                    "healthCheck": c.health_check().map(|h| json!({
                        "command": h.command(),
                        "interval": h.interval(),
                        "timeout": h.timeout(),
                        "retries": h.retries(),
                        "startPeriod": h.start_period(),
                    })),
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
    pub(super) async fn register(
        &self,
        client: &Client,
        t: &TaskDefinition,
        record: &Record,
        live_tags: &[Tag],
    ) -> Result<String> {
        let family = t.family().unwrap_or(&self.settings.service).to_string();
        // The tags `devloop provision` put on the family's first revision stay on every later one:
        // `destroy` knows the family by them.
        let kept: Vec<Tag> = live_tags
            .iter()
            .filter(|t| t.key().is_some_and(|k| k.starts_with("devloop:")))
            .cloned()
            .collect();
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
            .set_tags(Some(
                [
                    Tag::builder()
                        .key(crate::deploy::LABEL_RELEASE)
                        .value(&record.id)
                        .build(),
                    Tag::builder()
                        .key(crate::deploy::LABEL_APP)
                        .value(self.project.config.app())
                        .build(),
                ]
                .into_iter()
                .chain(kept)
                .collect(),
            ))
            .send()
            .await
            .map_err(|e| sdk_error(&format!("cannot register a revision of {family}"), e))?;
        out.task_definition()
            .and_then(|t| t.task_definition_arn())
            .map(str::to_string)
            .ok_or_else(|| Error::failed("ECS registered the task definition but returned no ARN"))
    }
}
