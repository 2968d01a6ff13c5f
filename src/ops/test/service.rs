//! `kind = "service"` tests: the image started as a service, probed until it is ready (HTTP, its
//! HEALTHCHECK, or a TCP connection), then checked with a host command against it.

use std::path::Path;
use std::time::{Duration, Instant};

use super::host::host_command;
use super::{exit_result, image_ref, spec, Transcripts};
use crate::config::schema::Test;
use crate::docker::container::{self, Container};
use crate::engine::{Done, Slot, StepCtx};
use crate::error::{Error, ExitKind, Result};
use crate::ops::build::Built;
use crate::session::Session;

/// Default wait for the service to be ready when a test sets none.
const DEFAULT_READY: Duration = Duration::from_secs(60);

/// Start the service, check it, and remove it; a failure shows the last lines of its output.
pub(super) async fn service_test(
    project: &Session,
    test: &Test,
    ctx: &StepCtx,
    built: &Slot<Built>,
    env: &[(String, String)],
    workdir: &Path,
    transcripts: &Transcripts,
) -> Result<Done> {
    let name = test.name.get_ref();
    let daemon = project.daemon().await?.clone();
    let image = image_ref(project, built)?;
    let port = test.port.unwrap_or(80);
    let c = Container::create(&daemon, spec(project, name, &image, None, env, Some(port))).await?;
    let result = service(project, test, ctx, &c, env, workdir, transcripts).await;
    let result = match result {
        Err(mut e) if e.kind != ExitKind::Interrupted => {
            let tail = c.tail(10).await;
            if !tail.is_empty() {
                e.detail.push("last lines of the service's output:".into());
                e.detail.extend(tail.into_iter().map(|l| format!("  {l}")));
            }
            Err(e)
        }
        other => other,
    };
    c.remove().await?;
    result
}

/// Wait until the service is ready, then run the check command against it.
async fn service(
    project: &Session,
    test: &Test,
    ctx: &StepCtx,
    c: &Container,
    env: &[(String, String)],
    workdir: &Path,
    transcripts: &Transcripts,
) -> Result<Done> {
    let name = test.name.get_ref();
    let port = test.port.unwrap_or(80);
    c.start().await?;
    let host_port = match c.host_port(port).await {
        Ok(p) => p,
        Err(e) => match c.state().await? {
            st if !st.running => return Err(exited_early(st.exit_code)),
            _ => return Err(e),
        },
    };
    let ready_in = wait_ready(project, test, ctx, c, host_port).await?;
    let Some(cmd) = test.run.as_deref().filter(|c| !c.trim().is_empty()) else {
        return Ok(Done::new(format!(
            "ready in {:.1}s",
            ready_in.as_secs_f64()
        )));
    };
    let url = format!("http://127.0.0.1:{host_port}");
    let mut env = env.to_vec();
    env.push(("DEVLOOP_SERVICE_URL".into(), url.clone()));
    env.push(("DEVLOOP_SERVICE_PORT".into(), host_port.to_string()));
    let code = host_command(transcripts, ctx, name, cmd, &env, workdir).await?;
    let st = c.state().await?;
    let (still_running, exit) = (st.running, st.exit_code);
    if code == 0 && !still_running {
        return Err(Error::failed(format!(
            "the checks passed but the service exited (code {}) while they ran",
            exit.map(|e| e.to_string()).unwrap_or_else(|| "?".into())
        )));
    }
    exit_result(code.into(), cmd, &format!(" against {url}")).map(|mut d| {
        d.message = format!("{} (ready in {:.1}s)", d.message, ready_in.as_secs_f64());
        d
    })
}

/// Probe the service until it is ready (how long that took), it exits, or the wait runs out.
async fn wait_ready(
    project: &Session,
    test: &Test,
    ctx: &StepCtx,
    c: &Container,
    host_port: u16,
) -> Result<Duration> {
    let port = test.port.unwrap_or(80);
    let limit = test.ready_timeout.map(|d| d.get()).unwrap_or(DEFAULT_READY);
    let started = Instant::now();
    let what = match &test.http {
        Some(path) => format!("HTTP {path} on 127.0.0.1:{host_port}"),
        None => "the container to report healthy".to_string(),
    };
    ctx.progress(format!("waiting for {what}"));
    // What the last attempt ran into, said when it changes and at the end.
    let mut last = String::new();
    loop {
        ctx.check_cancelled()?;
        let st = c.state().await?;
        if !st.running {
            return Err(exited_early(st.exit_code));
        }
        let why = match probe(test, c, host_port, st.health.as_deref()).await? {
            None => return Ok(started.elapsed()),
            Some(why) => why,
        };
        let said = why.to_string();
        if said != last {
            ctx.progress(format!("waiting for {what}: {said}"));
            last = said;
        }
        if started.elapsed() >= limit {
            let hint = not_ready_hint(&exposed_ports(project, c).await, port);
            return Err(Error::failed(format!(
                "the service was not ready within {}: waited for {what}; last: {last}",
                humantime::format_duration(limit)
            ))
            .with_hint(hint)
            .caused_by(why));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Why a service is not ready yet, as the wait says it.
#[derive(Debug)]
enum NotReady {
    /// The HTTP probe got an answer outside 2xx and 3xx.
    HttpStatus {
        path: String,
        status: u16,
    },
    /// Nothing answered the HTTP probe.
    NoHttpAnswer {
        host_port: u16,
        port: u16,
    },
    /// The image's HEALTHCHECK has not said healthy yet.
    Health(String),
    /// The container's port refused the connection.
    Connect {
        addr: String,
        cause: std::io::Error,
    },
    ConnectTimeout {
        addr: String,
    },
    NoAddress,
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotReady::HttpStatus { path, status } => write!(f, "HTTP {path} answered {status}"),
            NotReady::NoHttpAnswer { host_port, port } => write!(
                f,
                "nothing answered HTTP on 127.0.0.1:{host_port} (container port {port}): the connection was refused, reset or timed out"
            ),
            NotReady::Health(h) => write!(f, "the HEALTHCHECK says {h}"),
            NotReady::Connect { addr, cause } => write!(f, "connecting to {addr}: {cause}"),
            NotReady::ConnectTimeout { addr } => write!(f, "connecting to {addr} timed out"),
            NotReady::NoAddress => f.write_str("the container has no network address"),
        }
    }
}

impl std::error::Error for NotReady {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NotReady::Connect { cause, .. } => Some(cause),
            _ => None,
        }
    }
}

/// One probe of the service: `None` when it is ready, else why not. An unhealthy HEALTHCHECK
/// ends the wait at once.
async fn probe(
    test: &Test,
    c: &Container,
    host_port: u16,
    health: Option<&str>,
) -> Result<Option<NotReady>> {
    let port = test.port.unwrap_or(80);
    let not_ready = match (&test.http, health) {
        (Some(path), _) => {
            match container::http_status(host_port, path, Duration::from_secs(2)).await {
                Some(s) if (200..400).contains(&s) => None,
                Some(status) => Some(NotReady::HttpStatus {
                    path: path.clone(),
                    status,
                }),
                None => Some(NotReady::NoHttpAnswer { host_port, port }),
            }
        }
        (None, Some("healthy")) => None,
        (None, Some("unhealthy")) => {
            return Err(Error::failed("the service's HEALTHCHECK reports unhealthy"))
        }
        (None, Some(h)) => Some(NotReady::Health(h.to_string())),
        // The host port is held by docker-proxy whether or not the service listens, so the
        // container's own address is probed.
        (None, None) => match c.ip().await? {
            Some(ip) => {
                let addr = format!("{ip}:{port}");
                match tokio::time::timeout(
                    Duration::from_secs(2),
                    tokio::net::TcpStream::connect((ip, port)),
                )
                .await
                {
                    Ok(Ok(_)) => None,
                    Ok(Err(cause)) => Some(NotReady::Connect { addr, cause }),
                    Err(_) => Some(NotReady::ConnectTimeout { addr }),
                }
            }
            None => Some(NotReady::NoAddress),
        },
    };
    Ok(not_ready)
}

/// What to do about a service that was never ready, from the ports its image exposes.
fn not_ready_hint(exposed: &[String], port: u16) -> String {
    match exposed {
        [] => "the image exposes no port: set the test's port to the one the app listens on"
            .to_string(),
        ports
            if !ports
                .iter()
                .any(|p| p.split('/').next() == Some(&port.to_string())) =>
        {
            format!(
            "the image exposes {}, not {port}: set the test's port to the one the app listens on",
            ports.join(", ")
        )
        }
        ports => format!(
            "the image exposes {}; check that the app listens there and answers",
            ports.join(", ")
        ),
    }
}

/// The ports the service's image exposes (`3000/tcp`), for the message of a wait that failed.
async fn exposed_ports(project: &Session, c: &Container) -> Vec<String> {
    let Ok(daemon) = project.daemon().await else {
        return Vec::new();
    };
    // The image's own EXPOSE, not the container's (which also has the port the test publishes).
    let Some(image) = daemon
        .client
        .inspect_container(&c.id, None)
        .await
        .ok()
        .and_then(|i| i.image)
    else {
        return Vec::new();
    };
    let mut ports = daemon
        .client
        .inspect_image(&image)
        .await
        .ok()
        .and_then(|i| i.config)
        .and_then(|c| c.exposed_ports)
        .unwrap_or_default();
    ports.sort();
    ports
}

fn exited_early(exit: Option<i64>) -> Error {
    Error::failed(format!(
        "the service exited (code {}) before it was ready",
        exit.map(|e| e.to_string()).unwrap_or_else(|| "?".into())
    ))
}
