//! `deploy.ecs.task_definition`: a task definition template file, in the shape
//! `aws ecs register-task-definition --cli-input-json` takes. devloop fills in the image (pinned by
//! digest), the environment and the secrets of its container, and registers the result instead of
//! deriving the revision from the live one.
//!
//! The fields below are the ones read; any other key is refused with its line and column, so a
//! setting is never silently dropped.

use std::collections::HashMap;
use std::path::Path;

use aws_sdk_ecs::types::{
    Compatibility, ContainerCondition, ContainerDefinition, ContainerDependency, CpuArchitecture,
    HealthCheck, HostVolumeProperties, KeyValuePair, LogConfiguration, LogDriver, MountPoint,
    NetworkMode, OsFamily, PortMapping, RuntimePlatform, Secret, TaskDefinition, TransportProtocol,
    Volume,
};
use aws_smithy_types::error::operation::BuildError;
use serde::Deserialize;

use crate::error::{Error, Result};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Template {
    family: Option<String>,
    task_role_arn: Option<String>,
    execution_role_arn: Option<String>,
    network_mode: Option<String>,
    #[serde(default)]
    requires_compatibilities: Vec<String>,
    cpu: Option<String>,
    memory: Option<String>,
    runtime_platform: Option<Platform>,
    #[serde(default)]
    volumes: Vec<TVolume>,
    container_definitions: Vec<Container>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Platform {
    cpu_architecture: Option<String>,
    operating_system_family: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TVolume {
    name: String,
    host: Option<HostPath>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct HostPath {
    source_path: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Container {
    name: String,
    image: Option<String>,
    cpu: Option<i32>,
    memory: Option<i32>,
    memory_reservation: Option<i32>,
    essential: Option<bool>,
    #[serde(default)]
    port_mappings: Vec<Port>,
    #[serde(default)]
    environment: Vec<NameValue>,
    #[serde(default)]
    secrets: Vec<NameValueFrom>,
    command: Option<Vec<String>>,
    entry_point: Option<Vec<String>>,
    working_directory: Option<String>,
    user: Option<String>,
    log_configuration: Option<Log>,
    health_check: Option<Health>,
    #[serde(default)]
    mount_points: Vec<Mount>,
    #[serde(default)]
    depends_on: Vec<Depends>,
    stop_timeout: Option<i32>,
    start_timeout: Option<i32>,
    readonly_root_filesystem: Option<bool>,
    docker_labels: Option<HashMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Port {
    container_port: i32,
    host_port: Option<i32>,
    protocol: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameValue {
    name: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NameValueFrom {
    name: String,
    value_from: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Log {
    log_driver: String,
    options: Option<HashMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Health {
    command: Vec<String>,
    interval: Option<i32>,
    timeout: Option<i32>,
    retries: Option<i32>,
    start_period: Option<i32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Mount {
    source_volume: String,
    container_path: String,
    read_only: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Depends {
    container_name: String,
    condition: String,
}

fn container(c: Container) -> std::result::Result<ContainerDefinition, BuildError> {
    let ports = c
        .port_mappings
        .into_iter()
        .map(|p| {
            PortMapping::builder()
                .container_port(p.container_port)
                .set_host_port(p.host_port)
                .set_protocol(p.protocol.map(|x| TransportProtocol::from(x.as_str())))
                .set_name(p.name)
                .build()
        })
        .collect();
    let secrets = c
        .secrets
        .into_iter()
        .map(|s| {
            Secret::builder()
                .name(s.name)
                .value_from(s.value_from)
                .build()
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let log = c
        .log_configuration
        .map(|l| {
            LogConfiguration::builder()
                .log_driver(LogDriver::from(l.log_driver.as_str()))
                .set_options(l.options)
                .build()
        })
        .transpose()?;
    let health = c
        .health_check
        .map(|h| {
            HealthCheck::builder()
                .set_command(Some(h.command))
                .set_interval(h.interval)
                .set_timeout(h.timeout)
                .set_retries(h.retries)
                .set_start_period(h.start_period)
                .build()
        })
        .transpose()?;
    let depends = c
        .depends_on
        .into_iter()
        .map(|d| {
            ContainerDependency::builder()
                .container_name(d.container_name)
                .condition(ContainerCondition::from(d.condition.as_str()))
                .build()
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(ContainerDefinition::builder()
        .name(c.name)
        .set_image(c.image)
        .set_cpu(c.cpu)
        .set_memory(c.memory)
        .set_memory_reservation(c.memory_reservation)
        .set_essential(c.essential)
        .set_port_mappings(Some(ports))
        .set_environment(Some(
            c.environment
                .into_iter()
                .map(|kv| {
                    KeyValuePair::builder()
                        .name(kv.name)
                        .value(kv.value)
                        .build()
                })
                .collect(),
        ))
        .set_secrets((!secrets.is_empty()).then_some(secrets))
        .set_command(c.command)
        .set_entry_point(c.entry_point)
        .set_working_directory(c.working_directory)
        .set_user(c.user)
        .set_log_configuration(log)
        .set_health_check(health)
        .set_mount_points(Some(
            c.mount_points
                .into_iter()
                .map(|m| {
                    MountPoint::builder()
                        .source_volume(m.source_volume)
                        .container_path(m.container_path)
                        .set_read_only(m.read_only)
                        .build()
                })
                .collect(),
        ))
        .set_depends_on((!depends.is_empty()).then_some(depends))
        .set_stop_timeout(c.stop_timeout)
        .set_start_timeout(c.start_timeout)
        .set_readonly_root_filesystem(c.readonly_root_filesystem)
        .set_docker_labels(c.docker_labels)
        .build())
}

/// Read the template at `path` (shown as `display` in errors) as a task definition.
pub fn load(path: &Path, display: &str) -> Result<TaskDefinition> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::usage_because(
            format!("cannot read the task definition template {display}"),
            e,
        )
    })?;
    let t: Template = serde_json::from_str(&text).map_err(|e| {
        Error::usage_because(format!("{display}:{}:{}", e.line(), e.column()), e)
            .with_hint("the template takes the fields of `aws ecs register-task-definition --cli-input-json` that devloop reads: see the README")
    })?;
    let located = |e: BuildError| Error::usage_because(display, e);
    let containers = t
        .container_definitions
        .into_iter()
        .map(container)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(located)?;
    Ok(TaskDefinition::builder()
        .set_family(t.family)
        .set_task_role_arn(t.task_role_arn)
        .set_execution_role_arn(t.execution_role_arn)
        .set_network_mode(t.network_mode.map(|m| NetworkMode::from(m.as_str())))
        .set_requires_compatibilities(Some(
            t.requires_compatibilities
                .iter()
                .map(|c| Compatibility::from(c.as_str()))
                .collect(),
        ))
        .set_cpu(t.cpu)
        .set_memory(t.memory)
        .set_runtime_platform(t.runtime_platform.map(|p| {
            RuntimePlatform::builder()
                .set_cpu_architecture(
                    p.cpu_architecture
                        .map(|a| CpuArchitecture::from(a.as_str())),
                )
                .set_operating_system_family(
                    p.operating_system_family
                        .map(|o| OsFamily::from(o.as_str())),
                )
                .build()
        }))
        .set_volumes(Some(
            t.volumes
                .into_iter()
                .map(|v| {
                    Volume::builder()
                        .name(v.name)
                        .set_host(v.host.map(|h| {
                            HostVolumeProperties::builder()
                                .set_source_path(h.source_path)
                                .build()
                        }))
                        .build()
                })
                .collect(),
        ))
        .set_container_definitions(Some(containers))
        .build())
}
