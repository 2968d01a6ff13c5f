//! `target = "docker"`: the release as one container on the local daemon, replaced safely.
//!
//! The new container starts next to the old one and must pass the health gate before the old one is
//! stopped. When both cannot hold the same host port, devloop says so and does a short stop-then-start
//! with the same gate, restarting the old container if the new one fails. A failed deploy with the
//! previous release back in service is exit 3, with the new container's last log lines.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{ContainerCreateBody, HostConfig, PortBinding, RestartPolicy};
use bollard::query_parameters::ListContainersOptionsBuilder;

use super::health::{self, Gate, Verdict};
use super::spec;
use super::{image_of, LABEL_APP, LABEL_RELEASE};
use crate::config::schema::DockerTarget;
use crate::docker::connect::api_error;
use crate::docker::container::Container;
use crate::docker::Daemon;
use crate::engine::{Done, StepCtx};
use crate::error::{Error, ExitKind, Result};
use crate::pipeline::Project;
use crate::release::Record;

/// How long a container gets to stop before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

pub fn settings(project: &Project) -> DockerTarget {
    project.config.doc.deploy.docker.clone().unwrap_or_default()
}

pub fn container_name(project: &Project) -> String {
    settings(project)
        .name
        .unwrap_or_else(|| project.config.deployment_name())
}

/// The container body for a release.
fn body(project: &Project, s: &DockerTarget, record: &Record) -> Result<ContainerCreateBody> {
    let mut exposed = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for text in &s.ports {
        let p = spec::parse_port(text)?;
        exposed.push(p.key());
        bindings
            .entry(p.key())
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: p.host_ip.clone(),
                host_port: p.host_port.map(|h| h.to_string()),
            });
    }
    let restart = match &s.restart {
        Some(r) => {
            let (name, count) = spec::parse_restart(r)?;
            Some(RestartPolicy {
                name: Some(name),
                maximum_retry_count: count,
            })
        }
        None => None,
    };
    let labels = super::labels(project, record);
    Ok(ContainerCreateBody {
        image: Some(image_of(record)),
        env: Some(
            s.env
                .iter()
                .map(|(k, v)| format!("{k}={}", v.value()))
                .collect(),
        ),
        labels: Some(labels),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        host_config: Some(HostConfig {
            port_bindings: (!bindings.is_empty()).then_some(bindings),
            binds: (!s.volumes.is_empty()).then(|| s.volumes.clone()),
            restart_policy: restart,
            memory: s.memory.as_deref().map(spec::parse_memory).transpose()?,
            nano_cpus: s.cpus.map(spec::nano_cpus).transpose()?,
            network_mode: s.network.clone(),
            ..Default::default()
        }),
        ..Default::default()
    })
}

/// The container currently deployed under `name`, and the release it runs.
pub async fn current(
    daemon: &Daemon,
    name: &str,
) -> Result<Option<(Container, Option<String>, bool)>> {
    match daemon.client.inspect_container(name, None).await {
        Ok(info) => {
            let id = info.id.clone().unwrap_or_default();
            let release = info
                .config
                .as_ref()
                .and_then(|c| c.labels.as_ref())
                .and_then(|l| l.get(LABEL_RELEASE))
                .cloned();
            let running = info.state.as_ref().and_then(|s| s.running).unwrap_or(false);
            Ok(Some((
                Container::existing(daemon, &id, name),
                release,
                running,
            )))
        }
        Err(e) if crate::docker::connect::is_not_found(&e) => Ok(None),
        Err(e) => Err(api_error(&format!("cannot inspect container {name}"), e)),
    }
}

/// Remove leftovers of an interrupted deploy (`<name>-next`).
async fn clear_leftover(daemon: &Daemon, name: &str) -> Result<()> {
    let next = format!("{name}-next");
    if let Some((c, _, _)) = current(daemon, &next).await? {
        Container::existing(daemon, &c.id, &next).keep();
        let opts = bollard::query_parameters::RemoveContainerOptionsBuilder::default()
            .force(true)
            .build();
        daemon
            .client
            .remove_container(&c.id, Some(opts))
            .await
            .map_err(|e| api_error(&format!("cannot remove leftover container {next}"), e))?;
    }
    Ok(())
}

pub async fn deploy(
    project: &Project,
    record: &Record,
    ctx: &StepCtx,
    timeout: Duration,
) -> Result<Done> {
    let s = settings(project);
    let name = container_name(project);
    let daemon = Daemon::connect(&project.ambient).await?;
    let gate = Gate::new(&project.config.doc.deploy.health, timeout);
    clear_leftover(&daemon, &name).await?;
    let old = current(&daemon, &name).await?;
    if let Some((_, Some(release), true)) = &old {
        if *release == record.id {
            return Ok(Done::Skipped(format!(
                "container {name} already runs release {}",
                record.id
            )));
        }
    }
    let old_release = old.as_ref().and_then(|(_, r, _)| r.clone());
    let body = body(project, &s, record)?;
    let holds_ports = s
        .ports
        .iter()
        .any(|p| spec::parse_port(p).is_ok_and(|p| p.host_port.is_some()));
    let old_running = old.as_ref().is_some_and(|(_, _, running)| *running);
    let mut new = Container::create_with(&daemon, &format!("{name}-next"), body).await?;

    let stop_first = old_running && holds_ports;
    if stop_first {
        ctx.log(format!(
            "host port(s) {} are held by the running release, and two containers cannot hold them at once: replacing it with a short stop-then-start",
            s.ports.join(", ")
        ));
        if let Some((old_c, _, _)) = &old {
            ctx.progress(format!(
                "stopping {name} ({})",
                old_release.as_deref().unwrap_or("unknown release")
            ));
            old_c.stop(STOP_GRACE).await?;
        }
    }
    ctx.progress(format!("starting release {}", record.id));
    let verdict = match new.start().await {
        Ok(()) => health::wait(&new, &gate, ctx).await,
        Err(e) => Ok(Verdict::Unhealthy(e.message)),
    };
    let verdict = match verdict {
        Ok(v) => v,
        Err(e) => {
            // Interrupted or the daemon went away mid-wait: put things back as far as we can.
            let _ = new.remove().await;
            if stop_first {
                if let Some((old_c, _, _)) = &old {
                    let _ = old_c.start().await;
                }
            }
            return Err(e);
        }
    };
    match verdict {
        Verdict::Healthy(how) => {
            if let Some((old_c, _, _)) = old {
                old_c.stop(STOP_GRACE).await?;
                let opts = bollard::query_parameters::RemoveContainerOptionsBuilder::default()
                    .force(true)
                    .build();
                daemon
                    .client
                    .remove_container(&old_c.id, Some(opts))
                    .await
                    .map_err(|e| {
                        api_error(&format!("cannot remove the previous container {name}"), e)
                    })?;
            }
            new.rename(&name).await?;
            let _kept = new.keep();
            let before = old_release
                .map(|r| format!(", replacing {r}"))
                .unwrap_or_default();
            Ok(Done::Done(format!(
                "release {} runs as container {name}, healthy by {how}{before}",
                record.id
            )))
        }
        Verdict::Unhealthy(why) | Verdict::TimedOut(why) => {
            let tail = new.tail(15).await;
            new.remove().await?;
            let mut detail = vec![format!("last lines of release {}:", record.id)];
            detail.extend(tail.into_iter().map(|l| format!("  {l}")));
            match old {
                Some((old_c, _, _)) if old_running => {
                    if stop_first {
                        old_c.start().await.map_err(|e| {
                            Error::failed(format!(
                                "release {} failed ({why}) and the previous container {name} could not be restarted: {}",
                                record.id, e.message
                            ))
                        })?;
                    }
                    let was = old_release.unwrap_or_else(|| "the previous release".into());
                    Err(Error::new(
                        ExitKind::RolledBack,
                        format!("release {} never became healthy ({why}); {name} is back on {was}", record.id),
                    )
                    .with_detail(detail))
                }
                _ => Err(Error::failed(format!(
                    "release {} never became healthy ({why}); nothing ran before it, so nothing runs now",
                    record.id
                ))
                .with_detail(detail)),
            }
        }
    }
}

/// Containers devloop deployed for this app (any environment), for status views.
pub async fn list(daemon: &Daemon, app: &str) -> Result<Vec<bollard::models::ContainerSummary>> {
    let filters = HashMap::from([("label".to_string(), vec![format!("{LABEL_APP}={app}")])]);
    let opts = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    daemon
        .client
        .list_containers(Some(opts))
        .await
        .map_err(|e| api_error("cannot list containers", e))
}
