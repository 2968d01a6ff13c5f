//! Short-lived containers for tests: create, start, stream output, wait, and always remove.
//!
//! A [`Container`] made by [`Container::create`] removes itself: explicitly with [`Container::remove`]
//! on every normal path, and from `Drop` (on the runtime) if a step is abandoned, so no test container
//! is left behind. [`Container::keep`] hands it over to a deploy, after which it is left running;
//! [`Container::existing`] wraps a container devloop did not just create and never removes it on drop.
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bollard::models::{
    ContainerCreateBody, EndpointSettings, HostConfig, NetworkingConfig, PortBinding,
};
use bollard::query_parameters::{CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder};

use super::connect::{api_error, Daemon};
use crate::error::Result;

mod inspect;
mod output;
mod probe;

pub use probe::{http_status, http_status_at};

/// Label put on every container devloop creates for tests, so leftovers can be found.
pub const TEST_LABEL: &str = "devloop.test";

pub struct Container {
    daemon: Daemon,
    pub id: String,
    pub name: String,
    removed: bool,
}

/// A name no other test run will use: prefix, process id and a clock-derived suffix.
pub fn unique_name(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let clean: String = prefix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{clean}-{}-{:x}", std::process::id(), nanos & 0xffff_ffff)
}

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    pub image: String,
    pub name: String,
    pub cmd: Option<Vec<String>>,
    pub env: Vec<String>,
    pub labels: HashMap<String, String>,
    /// Container ports published on 127.0.0.1 at a free host port.
    pub publish: Vec<u16>,
    /// The network it joins (instead of the daemon's default), and the names it is reached by
    /// there.
    pub network: Option<String>,
    pub aliases: Vec<String>,
    /// Mounts, as `docker run -v` takes them (`volume:/path[:opts]`, `/host:/path`).
    pub binds: Vec<String>,
    /// An init process as PID 1 (`docker run --init`).
    pub init: bool,
    pub stop_signal: Option<String>,
}

impl Container {
    /// A container that already exists; dropping the handle leaves it alone.
    pub fn existing(daemon: &Daemon, id: &str, name: &str) -> Container {
        Container {
            daemon: daemon.clone(),
            id: id.to_string(),
            name: name.to_string(),
            removed: true,
        }
    }

    /// Stop removing this container on drop: it is now a deployed release.
    pub fn keep(mut self) -> Container {
        self.removed = true;
        self
    }

    /// Create a container from a full body (deploys), removed on drop until [`Container::keep`].
    pub async fn create_with(
        daemon: &Daemon,
        name: &str,
        body: ContainerCreateBody,
    ) -> Result<Container> {
        let opts = CreateContainerOptionsBuilder::default().name(name).build();
        let image = body.image.clone().unwrap_or_default();
        let created = daemon
            .client
            .create_container(Some(opts), body)
            .await
            .map_err(|e| api_error(&format!("cannot create container {name} from {image}"), e))?;
        Ok(Container {
            daemon: daemon.clone(),
            id: created.id,
            name: name.to_string(),
            removed: false,
        })
    }

    /// Stop with the container's stop signal, killing it after `grace`. Returns `true` when it had
    /// to be killed: it did not exit on the signal within the grace period.
    pub async fn stop(&self, grace: Duration) -> Result<bool> {
        let started = std::time::Instant::now();
        let opts = bollard::query_parameters::StopContainerOptionsBuilder::default()
            .t(grace.as_secs().min(i32::MAX as u64) as i32)
            .build();
        match self
            .daemon
            .client
            .stop_container(&self.id, Some(opts))
            .await
        {
            Ok(()) => {}
            // 304: already stopped.
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 304, ..
            }) => return Ok(false),
            Err(e) => {
                return Err(api_error(
                    &format!("cannot stop container {}", self.name),
                    e,
                ))
            }
        }
        let st = self.state().await?;
        Ok(st.exit_code == Some(137)
            && !st.oom_killed
            && started.elapsed() + Duration::from_millis(500) >= grace)
    }

    pub async fn rename(&mut self, name: &str) -> Result<()> {
        let opts = bollard::query_parameters::RenameContainerOptionsBuilder::default()
            .name(name)
            .build();
        self.daemon
            .client
            .rename_container(&self.id, opts)
            .await
            .map_err(|e| {
                api_error(
                    &format!("cannot rename container {} to {name}", self.name),
                    e,
                )
            })?;
        self.name = name.to_string();
        Ok(())
    }

    pub async fn create(daemon: &Daemon, spec: Spec) -> Result<Container> {
        let mut exposed = Vec::new();
        let mut bindings = HashMap::new();
        for p in &spec.publish {
            exposed.push(format!("{p}/tcp"));
            bindings.insert(
                format!("{p}/tcp"),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".into()),
                    host_port: Some(String::new()),
                }]),
            );
        }
        let networking_config = spec.network.as_ref().map(|net| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(
                net.clone(),
                EndpointSettings {
                    aliases: (!spec.aliases.is_empty()).then(|| spec.aliases.clone()),
                    ..Default::default()
                },
            )])),
        });
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            cmd: spec.cmd,
            env: Some(spec.env),
            labels: Some(spec.labels),
            exposed_ports: (!exposed.is_empty()).then_some(exposed),
            stop_signal: spec.stop_signal,
            host_config: Some(HostConfig {
                port_bindings: (!bindings.is_empty()).then_some(bindings),
                binds: (!spec.binds.is_empty()).then_some(spec.binds),
                network_mode: spec.network,
                init: spec.init.then_some(true),
                ..Default::default()
            }),
            networking_config,
            ..Default::default()
        };
        Container::create_with(daemon, &spec.name, body).await
    }

    pub async fn start(&self) -> Result<()> {
        self.daemon
            .client
            .start_container(&self.id, None)
            .await
            .map_err(|e| api_error(&format!("cannot start container {}", self.name), e))
    }

    /// Remove the container (and its anonymous volumes), whatever state it is in.
    pub async fn remove(mut self) -> Result<()> {
        self.removed = true;
        remove_now(&self.daemon, &self.id).await
    }
}

async fn remove_now(daemon: &Daemon, id: &str) -> Result<()> {
    let opts = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build();
    match daemon.client.remove_container(id, Some(opts)).await {
        Ok(()) => Ok(()),
        Err(e) if super::connect::is_not_found(&e) => Ok(()),
        Err(e) => Err(api_error("cannot remove the test container", e)),
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let daemon = self.daemon.clone();
            let id = self.id.clone();
            handle.spawn(async move {
                let _ = remove_now(&daemon, &id).await;
            });
        }
    }
}
