//! Short-lived containers for tests: create, start, stream output, wait, and always remove.
//!
//! A [`Container`] made by [`Container::create`] removes itself: explicitly with [`Container::remove`]
//! on every normal path, and from `Drop` (on the runtime) if a step is abandoned, so no test container
//! is left behind. [`Container::keep`] hands it over to a deploy, after which it is left running;
//! [`Container::existing`] wraps a container devloop did not just create and never removes it on drop.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
    WaitContainerOptions,
};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::connect::{api_error, Daemon};
use crate::error::{Error, Result};

/// Label put on every container devloop creates for tests, so leftovers can be found.
pub const TEST_LABEL: &str = "devloop.test";

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
pub struct Spec {
    pub image: String,
    pub name: String,
    pub cmd: Option<Vec<String>>,
    pub env: Vec<String>,
    pub labels: HashMap<String, String>,
    /// Container ports published on 127.0.0.1 at a free host port.
    pub publish: Vec<u16>,
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
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            cmd: spec.cmd,
            env: Some(spec.env),
            labels: Some(spec.labels),
            exposed_ports: (!exposed.is_empty()).then_some(exposed),
            host_config: Some(HostConfig {
                port_bindings: (!bindings.is_empty()).then_some(bindings),
                ..Default::default()
            }),
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

    /// Run the container's output to its end: each line live while it runs, then, once it has
    /// exited, whatever the live stream missed, including a last line without a newline. Returns
    /// the exit code.
    ///
    /// A followed log stream can end before the daemon has handed over the container's last
    /// output (the final write of a container that exits at once, a partial last line), so the
    /// live stream alone is never trusted to be complete: after the exit the whole log is read
    /// again, and every line after the ones already given is given too.
    pub async fn output_to_exit(&self, mut line: impl FnMut(String)) -> Result<i64> {
        let opts = LogsOptionsBuilder::default()
            .follow(true)
            .stdout(true)
            .stderr(true)
            .build();
        let mut lines = Lines::default();
        let mut logs = self.daemon.client.logs(&self.id, Some(opts));
        while let Some(chunk) = logs.next().await {
            match chunk {
                Ok(chunk) => lines.push(&chunk.into_bytes(), &mut line),
                // The rest is read again below, after the exit.
                Err(_) => break,
            }
        }
        drop(logs);
        let code = self.wait().await?;
        // The daemon has written all of the container's output once the wait has returned.
        let given = lines.complete;
        let mut again = Lines {
            skip: given,
            ..Lines::default()
        };
        let opts = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .build();
        let mut logs = self.daemon.client.logs(&self.id, Some(opts));
        while let Some(chunk) = logs.next().await {
            let chunk = chunk.map_err(|e| api_error("cannot read container output", e))?;
            again.push(&chunk.into_bytes(), &mut line);
        }
        again.finish(&mut line);
        Ok(code)
    }
    /// Wait for the container to exit and return its exit code.
    pub async fn wait(&self) -> Result<i64> {
        let mut s = self
            .daemon
            .client
            .wait_container(&self.id, None::<WaitContainerOptions>);
        match s.next().await {
            Some(Ok(r)) => Ok(r.status_code),
            // bollard reports a non-zero exit as an error carrying the code.
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(e)) => Err(api_error("cannot wait for the container", e)),
            None => Err(Error::failed(
                "the daemon ended the wait without an exit code",
            )),
        }
    }

    /// The last `n` lines of output.
    pub async fn tail(&self, n: usize) -> Vec<String> {
        let opts = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .tail(&n.to_string())
            .build();
        let mut out = String::new();
        let mut logs = self.daemon.client.logs(&self.id, Some(opts));
        while let Some(Ok(chunk)) = logs.next().await {
            out.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
        }
        out.lines().map(str::to_string).collect()
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

    /// Remove the container (and its anonymous volumes), whatever state it is in.
    pub async fn remove(mut self) -> Result<()> {
        self.removed = true;
        remove_now(&self.daemon, &self.id).await
    }
}

/// Bytes of output cut into lines: complete lines are given as they arrive (after the first
/// `skip`), and [`Lines::finish`] gives a last line that has no newline.
#[derive(Default)]
struct Lines {
    pending: Vec<u8>,
    /// Complete lines seen so far.
    complete: usize,
    /// Complete lines not to give again (already given by an earlier read of the same output).
    skip: usize,
}

impl Lines {
    fn push(&mut self, bytes: &[u8], line: &mut impl FnMut(String)) {
        self.pending.extend_from_slice(bytes);
        while let Some(i) = self.pending.iter().position(|b| *b == b'\n') {
            let l: Vec<u8> = self.pending.drain(..=i).collect();
            self.complete += 1;
            if self.complete > self.skip {
                line(String::from_utf8_lossy(&l).trim_end().to_string());
            }
        }
    }

    fn finish(&mut self, line: &mut impl FnMut(String)) {
        let rest = std::mem::take(&mut self.pending);
        let text = String::from_utf8_lossy(&rest);
        if !text.trim().is_empty() {
            line(text.trim_end().to_string());
        }
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

/// One HTTP GET on 127.0.0.1; returns the status code.
pub async fn http_status(port: u16, path: &str, timeout: Duration) -> Option<u16> {
    http_status_at(std::net::IpAddr::from([127, 0, 0, 1]), port, path, timeout).await
}

/// One HTTP GET to `ip:port`; returns the status code.
pub async fn http_status_at(
    ip: std::net::IpAddr,
    port: u16,
    path: &str,
    timeout: Duration,
) -> Option<u16> {
    let attempt = async {
        let mut s = tokio::net::TcpStream::connect((ip, port)).await.ok()?;
        let req =
            format!("GET {path} HTTP/1.0\r\nHost: {ip}:{port}\r\nUser-Agent: devloop\r\n\r\n");
        s.write_all(req.as_bytes()).await.ok()?;
        let mut buf = [0u8; 64];
        let mut n = 0;
        while n < 12 {
            let r = s.read(&mut buf[n..]).await.ok()?;
            if r == 0 {
                break;
            }
            n += r;
        }
        let head = String::from_utf8_lossy(&buf[..n]).into_owned();
        head.split_whitespace().nth(1)?.parse().ok()
    };
    tokio::time::timeout(timeout, attempt).await.ok().flatten()
}
