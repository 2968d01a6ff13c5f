//! `target = "docker"`: the release as one container on the local daemon, replaced safely.
//!
//! The new container starts as `<name>-next` next to the old one and must pass the health gate
//! before it takes the name and the old one is stopped. When both cannot hold the same host port,
//! devloop says so and stops the old one first, restarting it if the new one fails. Every path ends
//! with one healthy release serving, or says plainly that nothing serves and what to run.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

mod body;
mod handover;
mod ports;
mod replace;

use super::daemon_lock;
use super::health::{self, Gate};
use super::{
    logs, status, LogLine, LogQuery, Outcome, Rollout, Status, Target, LABEL_RELEASE, LABEL_SPEC,
};
use crate::config::schema::DockerTarget;
use crate::docker::connect::{api_error, is_not_found};
use crate::docker::container::Container;
use crate::engine::StepCtx;
use crate::error::Result;
use crate::release::Record;
use crate::session::Session;

/// How long a container gets to stop before it is killed, unless configured.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// Begins the note on a container killed after its grace period (so `dev` can say it too).
pub const SLOW_STOP: &str = "slow stop: ";
/// Marks a health verdict that is the daemon refusing to start the container.
const START_FAILED: &str = "start failed: ";
/// How long a previous release restarted after a failure gets to prove it serves again.
const RESTORE_BUDGET: Duration = Duration::from_secs(30);

pub struct Docker {
    project: Arc<Session>,
    settings: DockerTarget,
    gate: Gate,
    /// The slow-stop note of this deploy, if the previous container had to be killed.
    slow: std::sync::Mutex<Option<String>>,
}

/// The deployed container as found on the daemon.
struct Deployed {
    container: Container,
    release: Option<String>,
    running: bool,
    image_id: String,
    spec: Option<String>,
    /// The host ports it publishes.
    host_ports: Vec<u16>,
}

impl Docker {
    pub fn new(project: Arc<Session>) -> Docker {
        let settings = project.config.doc.deploy.docker.clone().unwrap_or_default();
        let gate = Gate::new(&project.config.doc.deploy.health);
        Docker {
            project,
            settings,
            gate,
            slow: std::sync::Mutex::new(None),
        }
    }

    fn grace(&self) -> Duration {
        self.settings
            .stop_grace_period
            .map(|d| d.get())
            .unwrap_or(STOP_GRACE)
    }

    /// The container deployed under `name`.
    async fn find(&self, name: &str) -> Result<Option<Deployed>> {
        let daemon = self.project.daemon().await?;
        match daemon.client.inspect_container(name, None).await {
            Ok(info) => {
                let labels = info
                    .config
                    .as_ref()
                    .and_then(|c| c.labels.clone())
                    .unwrap_or_default();
                Ok(Some(Deployed {
                    container: Container::existing(
                        daemon,
                        info.id.as_deref().unwrap_or(name),
                        name,
                    ),
                    release: labels.get(LABEL_RELEASE).cloned(),
                    running: info.state.as_ref().and_then(|s| s.running).unwrap_or(false),
                    image_id: info.image.clone().unwrap_or_default(),
                    spec: labels.get(LABEL_SPEC).cloned(),
                    host_ports: info
                        .host_config
                        .as_ref()
                        .and_then(|h| h.port_bindings.as_ref())
                        .into_iter()
                        .flat_map(|b| b.values())
                        .flatten()
                        .flatten()
                        .filter_map(|b| b.host_port.as_deref().and_then(|p| p.parse().ok()))
                        .collect(),
                }))
            }
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(api_error(&format!("cannot inspect container {name}"), e)),
        }
    }

    /// Remove what an interrupted deploy left (`<name>-next`, `<name>-prev`).
    async fn clear_leftovers(&self) -> Result<()> {
        let name = self.name();
        for leftover in [format!("{name}-next"), format!("{name}-prev")] {
            if let Some(d) = self.find(&leftover).await? {
                d.container.remove().await?;
            }
        }
        Ok(())
    }
}

/// What to run: the pinned registry image, or the local image ID for a local release.
fn image_of(record: &Record) -> String {
    if record.registry.is_none() {
        record.image_id.clone()
    } else {
        record.image.clone()
    }
}

#[async_trait]
impl Target for Docker {
    fn name(&self) -> String {
        self.settings
            .name
            .clone()
            .unwrap_or_else(|| self.project.config.deployment_name())
    }

    fn describe(&self) -> String {
        let risk = if self.gate.has_probe() {
            ""
        } else {
            " (risk: no [deploy.health] probe, so a release that never answers still counts as healthy once it stays up)"
        };
        format!(
            "replace container {} once the new release is healthy by {}{risk}",
            self.name(),
            self.gate.describe()
        )
    }

    /// One deploy at a time: under the daemon lock, from before anything is touched until the
    /// verdict.
    async fn deploy(&self, record: &Record, ctx: &StepCtx, how: &Rollout) -> Result<Outcome> {
        let name = self.name();
        if let Some(net) = self.set_network() {
            let daemon = self.project.daemon().await?;
            let cfg = &self.project.config;
            let labels = std::collections::HashMap::from([
                (super::LABEL_APP.to_string(), cfg.app().to_string()),
                (super::LABEL_ENV.to_string(), cfg.env_name().to_string()),
            ]);
            crate::docker::network::ensure(daemon, &net, &labels, false).await?;
        }
        daemon_lock::holding(
            &self.project,
            &name,
            how,
            ctx,
            self.replace(record, ctx, how),
        )
        .await
    }

    async fn running(&self) -> Result<Option<String>> {
        Ok(self.find(&self.name()).await?.and_then(|d| d.release))
    }

    async fn status(&self, window: Option<std::time::Duration>) -> Result<Status> {
        let stats = window.is_some();
        let name = self.name();
        let mut st = Status::empty(&self.project, "docker", &name);
        let Some(d) = self.find(&name).await? else {
            return Ok(st);
        };
        let daemon = self.project.daemon().await?;
        status::fill_container(&mut st, daemon, &name, stats).await?;
        st.release = d.release;
        let budget = crate::config::duration::deadline_in(self.gate.monitor_budget());
        st.set_health(health::judge(&d.container, &self.gate, budget, None).await?);
        Ok(st)
    }

    async fn remove(&self, release: &str) -> Result<bool> {
        let name = self.name();
        let mut removed = false;
        for n in [name.clone(), format!("{name}-next"), format!("{name}-prev")] {
            if let Some(d) = self.find(&n).await? {
                if d.release.as_deref() == Some(release) {
                    d.container.remove().await?;
                    removed = true;
                }
            }
        }
        Ok(removed)
    }

    async fn logs(&self, q: &LogQuery, out: &mut (dyn FnMut(LogLine) + Send)) -> Result<()> {
        let daemon = self.project.daemon().await?;
        logs::stream(daemon, &self.name(), false, q, out).await
    }
}
