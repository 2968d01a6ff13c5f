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
use std::time::Duration;

use async_trait::async_trait;
use bollard::query_parameters::ListTasksOptionsBuilder;

mod progress;
mod report;
mod rollout;
mod spec;
mod update;

use super::daemon_lock;
use super::health::Gate;
use super::{logs, LogLine, LogQuery, Outcome, Rollout, Status, Target, LABEL_RELEASE};
use crate::config::schema::SwarmTarget;
use crate::docker::connect::{api_error, is_not_found};
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

impl Swarm {
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
        if let Some(net) = self.set_network() {
            let daemon = self.daemon().await?;
            let cfg = &self.project.config;
            let labels = std::collections::HashMap::from([
                (super::LABEL_APP.to_string(), cfg.app().to_string()),
                (super::LABEL_ENV.to_string(), cfg.env_name().to_string()),
            ]);
            crate::docker::network::ensure(daemon, &net, &labels, true).await?;
        }
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
        self.service_status(window).await
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
