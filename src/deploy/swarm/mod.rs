//! `target = "swarm"`: the release as a Docker Swarm service, rolled out by swarm's own update
//! machinery, watched through the service's UpdateStatus and its tasks, then held to the same
//! health gate as the docker target.
//!
//! `[deploy.health].command` runs inside each task as swarm's health check, so swarm itself rolls a
//! failing update back. `http` and `tcp` probes are run by devloop against each task of the new
//! release once swarm reports the update done; a task that fails them makes devloop ask swarm to
//! roll back. Either rollback is exit 3, reported only once the previous release runs again. An
//! update that has not settled by the deadline is exit 4. Ports are published in host mode: the
//! ingress routing mesh needs IPVS, which some kernels lack; two tasks cannot hold the same host
//! port on one node, so with published ports updates are stop-first.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bollard::models::{ServiceUpdateStatusStateEnum, TaskState};
use bollard::query_parameters::{ListTasksOptionsBuilder, UpdateServiceOptionsBuilder};

mod rollout;
mod spec;

use super::daemon_lock;
use super::health::{self, Gate, Health};
use super::{
    logs, remaining, status, Failure, LogLine, LogQuery, Outcome, Rollout, Status, Target,
    LABEL_RELEASE, LABEL_SPEC,
};
use crate::config::schema::SwarmTarget;
use crate::docker::connect::{api_error, is_not_found};
use crate::docker::container::Container;
use crate::docker::Daemon;
use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::release::Record;
use crate::session::Session;

/// The image ID a service was deployed from (a new release of the same image changes nothing).
const LABEL_IMAGE_ID: &str = "devloop.image-id";
const POLL: Duration = Duration::from_millis(250);

pub struct Swarm {
    project: Arc<Session>,
    settings: SwarmTarget,
    gate: Gate,
}

/// Tasks of one release: how many run, how many failed, the latest reason one is not running.
struct Progress {
    running: usize,
    failed: usize,
    error: Option<String>,
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

fn running(t: &bollard::models::Task) -> bool {
    t.status.as_ref().and_then(|s| s.state) == Some(TaskState::RUNNING)
}

impl Swarm {
    /// The service created or updated (under the lock) and watched to a verdict.
    async fn update(&self, record: &Record, ctx: &StepCtx, how: &Rollout) -> Result<Outcome> {
        let deadline = how.deadline;
        let daemon = self.daemon().await?;
        let name = self.name();
        super::ensure_image(&self.project, record, ctx).await?;
        let (spec, digest) = self.service_spec(record, ctx);
        let replicas = self.replicas();
        let Some(svc) = find_service(daemon, &name).await? else {
            daemon
                .client
                .create_service(spec, None)
                .await
                .map_err(|e| api_error(&format!("cannot create service {name}"), e))?;
            return self.wait_created(record, ctx, deadline).await;
        };
        let current = svc
            .spec
            .as_ref()
            .and_then(|s| s.labels.clone())
            .unwrap_or_default();
        let current_release = current.get(LABEL_RELEASE).cloned();
        let same = current.get(LABEL_SPEC) == Some(&digest)
            && current.get(LABEL_IMAGE_ID) == Some(&record.image_id);
        if let (true, Some(r)) = (same, &current_release) {
            // An update to an identical spec starts nothing in swarm: judge what runs instead.
            return self.settle_same(r, record, ctx, deadline).await;
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
        let was = current_release.unwrap_or_else(|| "the previous release".into());
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
            let p = self.progress(&record.id).await?;
            match state {
                Some(ServiceUpdateStatusStateEnum::COMPLETED) if p.running >= replicas => {
                    self.warn_killed(&was, ctx).await?;
                    let done = format!(
                        "service {name} runs release {} on {}/{replicas} tasks (was {was})",
                        record.id, p.running
                    );
                    return self
                        .gate_update(record, Some(&was), deadline, ctx, done)
                        .await;
                }
                Some(ServiceUpdateStatusStateEnum::ROLLBACK_COMPLETED) => {
                    let why = p
                        .error
                        .as_ref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default();
                    // "Back on the previous release" must be true, not just reported: wait for its tasks.
                    let back = self.progress(&was).await?;
                    if back.running >= replicas {
                        return Ok(Outcome::RolledBack(Failure::new(format!(
                            "swarm rolled service {name} back to {was}: {message}{why}"
                        ))));
                    }
                    ctx.progress(format!(
                        "rolled back; waiting for {was}: {}/{replicas} tasks running",
                        back.running
                    ));
                }
                Some(ServiceUpdateStatusStateEnum::PAUSED)
                | Some(ServiceUpdateStatusStateEnum::ROLLBACK_PAUSED) => {
                    return Ok(Outcome::Failed(Failure::new(format!(
                        "the update of service {name} is paused: {message}{}",
                        p.error.map(|e| format!(" (task error: {e})")).unwrap_or_default()
                    ))
                    .hint("inspect it with `docker service ps`; `devloop rollback` puts the previous release back")));
                }
                Some(ServiceUpdateStatusStateEnum::ROLLBACK_STARTED) => {
                    ctx.progress(format!("swarm is rolling back: {message}"))
                }
                _ => ctx.progress(format!(
                    "updating: {}/{replicas} tasks of {} running{}",
                    p.running,
                    record.id,
                    if p.failed > 0 {
                        format!(", {} failed", p.failed)
                    } else {
                        String::new()
                    }
                )),
            }
            if Instant::now() >= deadline {
                return Ok(Outcome::TimedOut(Failure::new(format!(
                    "the update of service {name} did not settle before the deadline ({}/{replicas} tasks of {} running{}); swarm may still be changing it",
                    p.running,
                    record.id,
                    p.error.map(|e| format!("; latest task: {e}")).unwrap_or_default()
                ))));
            }
            tokio::time::sleep(POLL.min(remaining(deadline))).await;
        }
    }

    pub fn new(project: Arc<Session>) -> Swarm {
        let settings = project.config.doc.deploy.swarm.clone().unwrap_or_default();
        let gate = Gate::new(&project.config.doc.deploy.health);
        Swarm {
            project,
            settings,
            gate,
        }
    }

    fn replicas(&self) -> usize {
        self.settings.replicas.unwrap_or(1) as usize
    }

    /// Whether devloop probes the tasks itself (HTTP or TCP); a command runs inside them as
    /// swarm's own health check.
    fn probes_tasks(&self) -> bool {
        self.gate.http.is_some() || self.gate.port.is_some()
    }

    async fn daemon(&self) -> Result<&Daemon> {
        let daemon = self.project.daemon().await?;
        ensure_manager(daemon).await?;
        Ok(daemon)
    }

    async fn progress(&self, release: &str) -> Result<Progress> {
        let daemon = self.daemon().await?;
        let all = tasks(daemon, &self.name()).await?;
        let ours: Vec<_> = all
            .iter()
            .filter(|t| task_release(t) == Some(release))
            .collect();
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
        let mut waiting = ours
            .iter()
            .filter(|t| t.desired_state == Some(TaskState::RUNNING) && !running(t));
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
        Ok(Progress {
            running: ours
                .iter()
                .filter(|t| running(t) && t.desired_state == Some(TaskState::RUNNING))
                .count(),
            failed: failed.len(),
            error,
        })
    }

    /// The containers of the running tasks of `release`, on the daemon devloop talks to.
    async fn task_containers(&self, release: &str) -> Result<Vec<Container>> {
        let daemon = self.daemon().await?;
        let mut out = Vec::new();
        for t in tasks(daemon, &self.name()).await? {
            if task_release(&t) != Some(release)
                || !running(&t)
                || t.desired_state != Some(TaskState::RUNNING)
            {
                continue;
            }
            let id = t
                .status
                .as_ref()
                .and_then(|s| s.container_status.as_ref())
                .and_then(|c| c.container_id.clone())
                .unwrap_or_default();
            match daemon.client.inspect_container(&id, None).await {
                Ok(_) => out.push(Container::existing(daemon, &id, &format!("{}.{}", self.name(), t.slot.unwrap_or(0)))),
                Err(e) if is_not_found(&e) => {
                    return Err(Error::usage(format!(
                        "task {}.{} runs on node {}, which devloop cannot reach to probe it over HTTP or TCP",
                        self.name(),
                        t.slot.unwrap_or(0),
                        t.node_id.clone().unwrap_or_default()
                    ))
                    .with_hint("point devloop at a daemon that runs the tasks, or use [deploy.health].command, which swarm runs inside every task"))
                }
                Err(e) => return Err(api_error("cannot inspect a task's container", e)),
            }
        }
        Ok(out)
    }

    /// The gate's verdict on every running task of `release` (worst wins; no task is unhealthy).
    async fn judge(
        &self,
        release: &str,
        deadline: Instant,
        ctx: Option<&StepCtx>,
    ) -> Result<Health> {
        let containers = self.task_containers(release).await?;
        if containers.is_empty() {
            return Ok(Health::Unhealthy(format!(
                "no task of {release} is running"
            )));
        }
        let mut healthy = None;
        for c in &containers {
            match health::judge(c, &self.gate, deadline, ctx).await? {
                Health::Healthy(how) => healthy = Some(how),
                other => {
                    return Ok(match other {
                        Health::Unhealthy(why) => {
                            Health::Unhealthy(format!("task {}: {why}", c.name))
                        }
                        Health::Starting(why) => {
                            Health::Starting(format!("task {}: {why}", c.name))
                        }
                        h => h,
                    })
                }
            }
        }
        Ok(Health::Healthy(healthy.unwrap_or_default()))
    }
}

#[async_trait]
impl Target for Swarm {
    fn name(&self) -> String {
        self.settings
            .service
            .clone()
            .unwrap_or_else(|| self.project.config.deployment_name())
    }

    fn describe(&self) -> String {
        format!(
            "update swarm service {} and watch the rollout, healthy by {}",
            self.name(),
            self.gate.describe()
        )
    }

    /// One deploy at a time: under the daemon lock, from before anything is touched until the
    /// verdict.
    async fn deploy(&self, record: &Record, ctx: &StepCtx, how: &Rollout) -> Result<Outcome> {
        let name = self.name();
        daemon_lock::holding(
            &self.project,
            &name,
            how,
            ctx,
            self.update(record, ctx, how),
        )
        .await
    }

    async fn running(&self) -> Result<Option<String>> {
        let daemon = self.daemon().await?;
        Ok(find_service(daemon, &self.name())
            .await?
            .and_then(|s| s.spec)
            .and_then(|s| s.labels)
            .and_then(|l| l.get(LABEL_RELEASE).cloned()))
    }

    async fn status(&self, window: Option<std::time::Duration>) -> Result<Status> {
        let stats = window.is_some();
        let daemon = self.daemon().await?;
        let name = self.name();
        let mut status = Status::empty(&self.project, "swarm", &name);
        let Some(svc) = find_service(daemon, &name).await? else {
            return Ok(status);
        };
        let spec = svc.spec.clone().unwrap_or_default();
        status.release = spec
            .labels
            .as_ref()
            .and_then(|l| l.get(LABEL_RELEASE))
            .cloned();
        status.image = spec
            .task_template
            .as_ref()
            .and_then(|t| t.container_spec.as_ref())
            .and_then(|c| c.image.clone());
        let desired = spec
            .mode
            .as_ref()
            .and_then(|m| m.replicated.as_ref())
            .and_then(|r| r.replicas)
            .unwrap_or(0) as usize;
        status.update_state = svc
            .update_status
            .as_ref()
            .and_then(|u| u.state)
            .map(|s| s.to_string())
            .filter(|s| !s.is_empty());
        let all = tasks(daemon, &name).await?;
        let release = status.release.clone().unwrap_or_default();
        let mut running_ours = 0;
        for t in all
            .iter()
            .filter(|t| t.desired_state == Some(TaskState::RUNNING))
        {
            let st = t.status.clone().unwrap_or_default();
            let state = st.state.map(|s| s.to_string()).unwrap_or_default();
            let r = task_release(t).unwrap_or_default();
            if running(t) && r == release {
                running_ours += 1;
            }
            let detail = st.err.or(st.message).unwrap_or_default();
            status.tasks.push(format!(
                "{name}.{}: {state} ({detail}) {r}",
                t.slot.unwrap_or(0)
            ));
        }
        status.tasks.sort();
        status.state = if running_ours > 0 {
            "running"
        } else {
            "not running"
        }
        .into();
        status.replicas_running = Some(running_ours);
        status.replicas_desired = Some(desired);
        if let Some(ports) = svc.endpoint.and_then(|e| e.ports) {
            status.ports = ports
                .into_iter()
                .map(|p| {
                    format!(
                        "{}->{}",
                        p.published_port.unwrap_or(0),
                        p.target_port.unwrap_or(0)
                    )
                })
                .collect();
        }
        let containers = self.task_containers(&release).await.unwrap_or_default();
        if stats {
            let (mut cpu, mut mem) = (None::<f64>, None::<u64>);
            for c in &containers {
                if let Some((c_cpu, c_mem, _)) = status::stats(daemon, &c.id).await {
                    cpu = Some(cpu.unwrap_or(0.0) + c_cpu.unwrap_or(0.0));
                    mem = Some(mem.unwrap_or(0) + c_mem.unwrap_or(0));
                }
            }
            status.cpu_percent = cpu;
            status.memory_bytes = mem;
        }
        let health = if desired == 0 {
            Health::Unhealthy("the service is scaled to 0 replicas".into())
        } else if running_ours < desired {
            match status.update_state.as_deref() {
                Some("updating" | "rollback_started") => Health::Starting(format!(
                    "{running_ours}/{desired} tasks of {release} running; swarm is updating"
                )),
                _ => Health::Unhealthy(format!(
                    "{running_ours}/{desired} tasks of {release} running"
                )),
            }
        } else if self.probes_tasks() || self.gate.command.is_some() {
            let budget = crate::config::duration::deadline_in(self.gate.monitor_budget());
            self.judge(&release, budget, None).await?
        } else {
            Health::Healthy(format!("{running_ours}/{desired} tasks running"))
        };
        status.set_health(health);
        Ok(status)
    }

    async fn logs(&self, q: &LogQuery, out: &mut (dyn FnMut(LogLine) + Send)) -> Result<()> {
        let daemon = self.daemon().await?;
        logs::stream(daemon, &self.name(), true, q, out).await
    }

    async fn remove(&self, release: &str) -> Result<bool> {
        let daemon = self.daemon().await?;
        let name = self.name();
        let Some(svc) = find_service(daemon, &name).await? else {
            return Ok(false);
        };
        let ours = svc
            .spec
            .and_then(|s| s.labels)
            .and_then(|l| l.get(LABEL_RELEASE).cloned());
        if ours.as_deref() != Some(release) {
            return Ok(false);
        }
        daemon
            .client
            .delete_service(&name)
            .await
            .map_err(|e| api_error(&format!("cannot remove service {name}"), e))?;
        Ok(true)
    }
}

/// Tasks of the service, with their states.
async fn tasks(daemon: &Daemon, service: &str) -> Result<Vec<bollard::models::Task>> {
    let filters = HashMap::from([("service".to_string(), vec![service.to_string()])]);
    let opts = ListTasksOptionsBuilder::default().filters(&filters).build();
    daemon
        .client
        .list_tasks(Some(opts))
        .await
        .map_err(|e| api_error("cannot list the service's tasks", e))
}

/// The service, or `None` when it does not exist.
async fn find_service(daemon: &Daemon, name: &str) -> Result<Option<bollard::models::Service>> {
    match daemon.client.inspect_service(name, None).await {
        Ok(s) => Ok(Some(s)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(api_error(&format!("cannot inspect service {name}"), e)),
    }
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
            .caused_by(e)
            .with_hint(
                "make it one with `docker swarm init --advertise-addr 127.0.0.1` (single node)",
            )
        })
}
