//! `target = "swarm"`: the release as a Docker Swarm service, rolled out by swarm's own update
//! machinery and watched through the service's UpdateStatus and its tasks.
//!
//! A swarm rollback is exit 3, never success; an update that has not settled by the timeout is exit 4.
//! Ports are published in host mode: the ingress routing mesh needs IPVS, which some kernels lack.
//! Two tasks cannot hold the same host port on one node, so with published ports updates are
//! stop-first.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum,
    EndpointSpec, HealthConfig, Limit, ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated,
    ServiceSpecRollbackConfig, ServiceSpecRollbackConfigFailureActionEnum,
    ServiceSpecRollbackConfigOrderEnum, ServiceSpecUpdateConfig,
    ServiceSpecUpdateConfigFailureActionEnum, ServiceSpecUpdateConfigOrderEnum,
    ServiceUpdateStatusStateEnum, TaskSpec, TaskSpecContainerSpec, TaskSpecResources,
    TaskSpecRestartPolicy, TaskSpecRestartPolicyConditionEnum, TaskState,
};
use bollard::query_parameters::{ListTasksOptionsBuilder, UpdateServiceOptionsBuilder};

use super::spec;
use super::LABEL_RELEASE;
use crate::config::schema::SwarmTarget;
use crate::docker::connect::{api_error, is_not_found};
use crate::docker::Daemon;
use crate::engine::{Done, StepCtx};
use crate::error::{Error, ExitKind, Result};
use crate::pipeline::Project;
use crate::release::Record;

fn settings(project: &Project) -> SwarmTarget {
    project.config.doc.deploy.swarm.clone().unwrap_or_default()
}

pub fn service_name(project: &Project) -> String {
    settings(project)
        .service
        .unwrap_or_else(|| project.config.deployment_name())
}

/// The image reference a swarm task runs: the pinned registry image, or the release tag locally.
fn image(record: &Record) -> String {
    match (&record.registry, record.tags.first()) {
        (None, Some(tag)) => format!("{}:{tag}", record.repository),
        _ => record.image.clone(),
    }
}

fn nanos(d: Duration) -> i64 {
    d.as_nanos().min(i64::MAX as u128) as i64
}

/// Whether the daemon is a swarm manager; the error says how to make it one.
pub async fn ensure_manager(daemon: &Daemon) -> Result<()> {
    daemon
        .client
        .inspect_swarm()
        .await
        .map(|_| ())
        .map_err(|e| {
            Error::unreachable(format!(
                "the Docker daemon at {} is not a swarm manager ({})",
                daemon.endpoint.host,
                crate::docker::connect::describe(&e)
            ))
            .with_hint(
                "make it one with `docker swarm init --advertise-addr 127.0.0.1` (single node)",
            )
        })
}

fn service_spec(project: &Project, record: &Record, ctx: &StepCtx) -> Result<ServiceSpec> {
    let s = settings(project);
    let labels = super::labels(project, record);
    let mut ports = Vec::new();
    for text in &s.ports {
        let p = spec::parse_port(text)?;
        ports.push(EndpointPortConfig {
            protocol: Some(if p.protocol == "udp" {
                EndpointPortConfigProtocolEnum::UDP
            } else {
                EndpointPortConfigProtocolEnum::TCP
            }),
            target_port: Some(p.container_port.into()),
            published_port: p.host_port.map(i64::from),
            publish_mode: Some(EndpointPortConfigPublishModeEnum::HOST),
            ..Default::default()
        });
    }
    let health = &project.config.doc.deploy.health;
    let health_check = health.command.as_ref().map(|cmd| HealthConfig {
        test: Some(vec!["CMD-SHELL".into(), cmd.clone()]),
        interval: health.interval.map(|d| nanos(d.get())),
        retries: health.retries.map(i64::from),
        start_period: health.start_period.map(|d| nanos(d.get())),
        ..Default::default()
    });
    let u = &s.update;
    let order = match u.order.as_deref() {
        None if !ports.is_empty() => ServiceSpecUpdateConfigOrderEnum::STOP_FIRST,
        None => ServiceSpecUpdateConfigOrderEnum::START_FIRST,
        Some("start-first") if !ports.is_empty() => {
            ctx.log("update.order = \"start-first\" with host-mode ports: a new task cannot bind a port the old one holds on the same node; using stop-first");
            ServiceSpecUpdateConfigOrderEnum::STOP_FIRST
        }
        Some("start-first") => ServiceSpecUpdateConfigOrderEnum::START_FIRST,
        Some("stop-first") => ServiceSpecUpdateConfigOrderEnum::STOP_FIRST,
        Some(other) => {
            return Err(Error::usage(format!(
                "deploy.swarm.update.order \"{other}\" must be start-first or stop-first"
            )))
        }
    };
    let failure_action = match u.failure_action.as_deref().unwrap_or("rollback") {
        "rollback" => ServiceSpecUpdateConfigFailureActionEnum::ROLLBACK,
        "pause" => ServiceSpecUpdateConfigFailureActionEnum::PAUSE,
        "continue" => ServiceSpecUpdateConfigFailureActionEnum::CONTINUE,
        other => {
            return Err(Error::usage(format!(
            "deploy.swarm.update.failure_action \"{other}\" must be rollback, pause or continue"
        )))
        }
    };
    let monitor = u.monitor.map(|d| d.get()).unwrap_or(Duration::from_secs(5));
    let rollback_order = if order == ServiceSpecUpdateConfigOrderEnum::STOP_FIRST {
        ServiceSpecRollbackConfigOrderEnum::STOP_FIRST
    } else {
        ServiceSpecRollbackConfigOrderEnum::START_FIRST
    };
    Ok(ServiceSpec {
        name: Some(service_name(project)),
        labels: Some(labels.clone()),
        task_template: Some(TaskSpec {
            container_spec: Some(TaskSpecContainerSpec {
                image: Some(image(record)),
                labels: Some(labels),
                env: Some(
                    s.env
                        .iter()
                        .map(|(k, v)| format!("{k}={}", v.value()))
                        .collect(),
                ),
                health_check,
                ..Default::default()
            }),
            resources: Some(TaskSpecResources {
                limits: Some(Limit {
                    nano_cpus: s.cpus.map(spec::nano_cpus).transpose()?,
                    memory_bytes: s.memory.as_deref().map(spec::parse_memory).transpose()?,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            restart_policy: Some(TaskSpecRestartPolicy {
                condition: Some(TaskSpecRestartPolicyConditionEnum::ANY),
                delay: Some(nanos(Duration::from_secs(1))),
                ..Default::default()
            }),
            ..Default::default()
        }),
        mode: Some(ServiceSpecMode {
            replicated: Some(ServiceSpecModeReplicated {
                replicas: Some(s.replicas.unwrap_or(1) as i64),
            }),
            ..Default::default()
        }),
        update_config: Some(ServiceSpecUpdateConfig {
            parallelism: Some(u.parallelism.unwrap_or(1) as i64),
            delay: u.delay.map(|d| nanos(d.get())),
            failure_action: Some(failure_action),
            monitor: Some(nanos(monitor)),
            max_failure_ratio: Some(0.0),
            order: Some(order),
        }),
        rollback_config: Some(ServiceSpecRollbackConfig {
            parallelism: Some(0),
            failure_action: Some(ServiceSpecRollbackConfigFailureActionEnum::PAUSE),
            monitor: Some(nanos(monitor)),
            order: Some(rollback_order),
            ..Default::default()
        }),
        endpoint_spec: Some(EndpointSpec {
            ports: (!ports.is_empty()).then_some(ports),
            ..Default::default()
        }),
        ..Default::default()
    })
}

/// Tasks of the service that swarm wants running, with their states.
pub async fn tasks(daemon: &Daemon, service: &str) -> Result<Vec<bollard::models::Task>> {
    let filters = HashMap::from([("service".to_string(), vec![service.to_string()])]);
    let opts = ListTasksOptionsBuilder::default().filters(&filters).build();
    daemon
        .client
        .list_tasks(Some(opts))
        .await
        .map_err(|e| api_error("cannot list the service's tasks", e))
}

fn task_release(t: &bollard::models::Task) -> Option<&str> {
    t.spec
        .as_ref()?
        .container_spec
        .as_ref()?
        .labels
        .as_ref()?
        .get(LABEL_RELEASE)
        .map(String::as_str)
}

/// Running tasks of `release`, and the latest error of a failed task of it.
async fn progress(
    daemon: &Daemon,
    service: &str,
    release: &str,
) -> Result<(usize, usize, Option<String>)> {
    let all = tasks(daemon, service).await?;
    let ours: Vec<_> = all
        .iter()
        .filter(|t| task_release(t) == Some(release))
        .collect();
    let running = ours
        .iter()
        .filter(|t| t.status.as_ref().and_then(|s| s.state) == Some(TaskState::RUNNING))
        .count();
    let failed: Vec<_> = ours
        .iter()
        .filter(|t| {
            matches!(
                t.status.as_ref().and_then(|s| s.state),
                Some(TaskState::FAILED | TaskState::REJECTED)
            )
        })
        .collect();
    // The latest reason a task of this release is failing or not running yet
    // (for example "no suitable node (host-mode port already in use on 1 node)").
    let mut waiting = ours.iter().filter(|t| {
        t.desired_state == Some(TaskState::RUNNING)
            && t.status.as_ref().and_then(|s| s.state) != Some(TaskState::RUNNING)
    });
    let error = failed
        .last()
        .copied()
        .or(waiting.next_back())
        .and_then(|t| {
            let s = t.status.as_ref()?;
            s.err
                .clone()
                .or(s.message.clone())
                .filter(|m| !m.is_empty())
        });
    Ok((running, failed.len(), error))
}

pub async fn deploy(
    project: &Project,
    record: &Record,
    ctx: &StepCtx,
    timeout: Duration,
) -> Result<Done> {
    let daemon = Daemon::connect(&project.ambient).await?;
    ensure_manager(&daemon).await?;
    let name = service_name(project);
    let spec = service_spec(project, record, ctx)?;
    let replicas = settings(project).replicas.unwrap_or(1) as usize;
    let started = Instant::now();
    let existing = find_service(&daemon, &name).await?;
    let Some(svc) = existing else {
        daemon
            .client
            .create_service(spec, None)
            .await
            .map_err(|e| api_error(&format!("cannot create service {name}"), e))?;
        return wait_created(&daemon, &name, record, replicas, ctx, started, timeout).await;
    };
    let current = svc
        .spec
        .as_ref()
        .and_then(|s| s.labels.as_ref())
        .and_then(|l| l.get(LABEL_RELEASE))
        .cloned();
    if current.as_deref() == Some(record.id.as_str()) {
        let (running, _, _) = progress(&daemon, &name, &record.id).await?;
        if running >= replicas {
            return Ok(Done::Skipped(format!(
                "service {name} already runs release {}",
                record.id
            )));
        }
    }
    let before = format!("{:?}", svc.update_status);
    let version = svc.version.and_then(|v| v.index).unwrap_or(0);
    let opts = UpdateServiceOptionsBuilder::default()
        .version(version as i32)
        .build();
    daemon
        .client
        .update_service(&name, spec, opts, None)
        .await
        .map_err(|e| api_error(&format!("cannot update service {name}"), e))?;
    let was = current.unwrap_or_else(|| "the previous release".into());
    loop {
        ctx.check_cancelled()?;
        let svc = daemon
            .client
            .inspect_service(&name, None)
            .await
            .map_err(|e| api_error(&format!("cannot inspect service {name}"), e))?;
        let status = svc.update_status.clone();
        // Until swarm reports on this update, the status is the previous update's.
        let fresh = format!("{status:?}") != before;
        let state = status.as_ref().and_then(|s| s.state).filter(|_| fresh);
        let message = status
            .as_ref()
            .and_then(|s| s.message.clone())
            .unwrap_or_default();
        let (running, failed, error) = progress(&daemon, &name, &record.id).await?;
        match state {
            Some(ServiceUpdateStatusStateEnum::COMPLETED) if running >= replicas => {
                return Ok(Done::Done(format!(
                    "service {name} runs release {} on {running}/{replicas} tasks (was {was})",
                    record.id
                )));
            }
            Some(ServiceUpdateStatusStateEnum::ROLLBACK_COMPLETED) => {
                let why = error.as_ref().map(|e| format!(": {e}")).unwrap_or_default();
                // "Back on the previous release" must be true, not just reported: wait for its tasks.
                let (back, _, _) = progress(&daemon, &name, &was).await?;
                if back >= replicas {
                    return Err(Error::new(
                        ExitKind::RolledBack,
                        format!("swarm rolled service {name} back to {was}: {message}{why}"),
                    ));
                }
                ctx.progress(format!(
                    "rolled back; waiting for {was}: {back}/{replicas} tasks running"
                ));
            }
            Some(ServiceUpdateStatusStateEnum::PAUSED)
            | Some(ServiceUpdateStatusStateEnum::ROLLBACK_PAUSED) => {
                return Err(Error::failed(format!(
                    "the update of service {name} is paused: {message}{}",
                    error.map(|e| format!(" (task error: {e})")).unwrap_or_default()
                ))
                .with_hint("inspect it with `docker service ps`; `devloop rollback` puts the previous release back"));
            }
            Some(ServiceUpdateStatusStateEnum::ROLLBACK_STARTED) => {
                ctx.progress(format!("swarm is rolling back: {message}"))
            }
            _ => ctx.progress(format!(
                "updating: {running}/{replicas} tasks of {} running{}",
                record.id,
                if failed > 0 {
                    format!(", {failed} failed")
                } else {
                    String::new()
                }
            )),
        }
        if started.elapsed() >= timeout {
            return Err(Error::new(
                ExitKind::Timeout,
                format!(
                    "the update of service {name} did not settle within {} ({running}/{replicas} tasks of {} running{}); swarm may still be changing it",
                    humantime::format_duration(timeout),
                    record.id,
                    error.map(|e| format!("; latest task: {e}")).unwrap_or_default()
                ),
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn wait_created(
    daemon: &Daemon,
    name: &str,
    record: &Record,
    replicas: usize,
    ctx: &StepCtx,
    started: Instant,
    timeout: Duration,
) -> Result<Done> {
    loop {
        ctx.check_cancelled()?;
        let (running, failed, error) = progress(daemon, name, &record.id).await?;
        if running >= replicas {
            return Ok(Done::Done(format!(
                "service {name} created with release {} on {running}/{replicas} tasks",
                record.id
            )));
        }
        if failed >= replicas * 3 {
            return Err(Error::failed(format!(
                "the tasks of new service {name} keep failing ({failed} failed): {}",
                error.unwrap_or_default()
            ))
            .with_hint(
                "there is no previous release to go back to; fix the release or remove the service",
            ));
        }
        if started.elapsed() >= timeout {
            return Err(Error::new(
                ExitKind::Timeout,
                format!(
                    "service {name} did not reach {replicas} running tasks within {} ({running} running{}); swarm may still be trying",
                    humantime::format_duration(timeout),
                    error.as_ref().map(|e| format!("; latest task: {e}")).unwrap_or_default()
                ),
            ));
        }
        ctx.progress(format!(
            "starting: {running}/{replicas} tasks running{}",
            error.map(|e| format!(" ({e})")).unwrap_or_default()
        ));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The service, or `None` when it does not exist.
pub async fn find_service(daemon: &Daemon, name: &str) -> Result<Option<bollard::models::Service>> {
    match daemon.client.inspect_service(name, None).await {
        Ok(s) => Ok(Some(s)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(api_error(&format!("cannot inspect service {name}"), e)),
    }
}

/// The release the service is set to run.
pub async fn current_release(daemon: &Daemon, name: &str) -> Result<Option<String>> {
    Ok(find_service(daemon, name)
        .await?
        .and_then(|s| s.spec)
        .and_then(|s| s.labels)
        .and_then(|l| l.get(LABEL_RELEASE).cloned()))
}
