//! What the daemon says of a container: its state, its address and published ports, and the
//! exit code of a command run inside it (the health gate's `command` probe).

use std::time::Duration;

use super::Container;
use crate::docker::connect::api_error;
use crate::error::{Error, Result};

/// A container's state, as the deploy gate and the tests read it.
#[derive(Debug, Clone)]
pub struct State {
    pub running: bool,
    /// The image HEALTHCHECK status (`starting`, `healthy`, `unhealthy`), when it has one.
    pub health: Option<String>,
    /// The exit code, once stopped.
    pub exit_code: Option<i64>,
    pub oom_killed: bool,
    /// RFC 3339 time of the last start.
    pub started_at: Option<String>,
}

impl Container {
    /// Run `sh -c cmd` inside the running container and return its exit code.
    pub async fn exec(&self, cmd: &str) -> Result<i64> {
        let config = bollard::models::ExecConfig {
            cmd: Some(vec!["sh".into(), "-c".into(), cmd.into()]),
            attach_stdout: Some(false),
            attach_stderr: Some(false),
            ..Default::default()
        };
        let exec = self
            .daemon
            .client
            .create_exec(&self.id, config)
            .await
            .map_err(|e| api_error("cannot run the health command", e))?;
        let opts = bollard::exec::StartExecOptions {
            detach: true,
            ..Default::default()
        };
        self.daemon
            .client
            .start_exec(&exec.id, Some(opts))
            .await
            .map_err(|e| api_error("cannot start the health command", e))?;
        loop {
            let info = self
                .daemon
                .client
                .inspect_exec(&exec.id)
                .await
                .map_err(|e| api_error("cannot inspect the health command", e))?;
            if info.running != Some(true) {
                return Ok(info.exit_code.unwrap_or(-1));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn inspect(&self) -> Result<bollard::models::ContainerInspectResponse> {
        self.daemon
            .client
            .inspect_container(&self.id, None)
            .await
            .map_err(|e| api_error("cannot inspect the container", e))
    }

    /// The host port a published container port landed on.
    pub async fn host_port(&self, port: u16) -> Result<u16> {
        let info = self.inspect().await?;
        info.network_settings
            .and_then(|n| n.ports)
            .and_then(|mut p| p.remove(&format!("{port}/tcp")))
            .flatten()
            .and_then(|b| b.into_iter().find_map(|b| b.host_port))
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| Error::failed(format!("container port {port} was not published")))
    }

    /// The container's address on its first network (reachable from the host on Linux).
    pub async fn ip(&self) -> Result<Option<std::net::IpAddr>> {
        let info = self.inspect().await?;
        // A swarm task on an overlay network (a set's) is reachable from this host only through
        // its gateway bridge, which its own inspect does not list.
        let on_swarm = info
            .config
            .as_ref()
            .and_then(|c| c.labels.as_ref())
            .is_some_and(|l| l.contains_key("com.docker.swarm.task.id"));
        if on_swarm {
            if let Some(ip) = self
                .gateway_ip(info.id.as_deref().unwrap_or(&self.id))
                .await
            {
                return Ok(Some(ip));
            }
        }
        Ok(info
            .network_settings
            .and_then(|n| n.networks)
            .and_then(|nets| {
                nets.into_values()
                    .filter_map(|n| n.ip_address)
                    .find(|ip| !ip.is_empty())
            })
            .and_then(|ip| ip.parse().ok()))
    }

    /// The container's address on `docker_gwbridge`, where swarm connects overlay tasks to the
    /// host; `None` when it has none.
    async fn gateway_ip(&self, id: &str) -> Option<std::net::IpAddr> {
        let net = self
            .daemon
            .client
            .inspect_network("docker_gwbridge", None)
            .await
            .ok()?;
        let endpoint = net.containers?.remove(id)?;
        let cidr = endpoint.ipv4_address?;
        cidr.split('/').next()?.parse().ok()
    }

    /// What the daemon says of the container's state now.
    pub async fn state(&self) -> Result<State> {
        let info = self.inspect().await?;
        let state = info.state.unwrap_or_default();
        let running = state.running.unwrap_or(false);
        Ok(State {
            running,
            health: state
                .health
                .and_then(|h| h.status)
                .map(|s| s.to_string())
                .filter(|s| !s.is_empty() && s != "none"),
            exit_code: if running { None } else { state.exit_code },
            oom_killed: state.oom_killed.unwrap_or(false),
            started_at: state.started_at,
        })
    }
}
