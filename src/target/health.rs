//! The health gate a new release must pass before it takes over.
//!
//! A probe from `[deploy.health]` (HTTP or TCP against the container's own address, or a command run
//! inside it) decides when configured; otherwise the image HEALTHCHECK; otherwise "running and stable".

use std::time::{Duration, Instant};

use crate::config::schema::Health;
use crate::docker::container::{self, Container};
use crate::engine::StepCtx;
use crate::error::Result;

/// How long a container without any health check must stay up to count as healthy.
const STABLE: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct Gate {
    pub http: Option<String>,
    pub port: Option<u16>,
    pub command: Option<String>,
    pub interval: Duration,
    pub retries: u32,
    pub start_period: Duration,
    /// Give up after this long.
    pub timeout: Duration,
}

impl Gate {
    pub fn new(h: &Health, timeout: Duration) -> Gate {
        Gate {
            http: h.http.clone(),
            port: h.port,
            command: h.command.clone(),
            interval: h
                .interval
                .map(|d| d.get())
                .unwrap_or(Duration::from_secs(1)),
            retries: h.retries.unwrap_or(5),
            start_period: h
                .start_period
                .map(|d| d.get())
                .unwrap_or(Duration::from_secs(5)),
            timeout,
        }
    }

    fn has_probe(&self) -> bool {
        self.http.is_some() || self.port.is_some() || self.command.is_some()
    }

    pub fn describe(&self) -> String {
        match (&self.http, self.port, &self.command) {
            (Some(path), p, _) => format!("HTTP {path} on port {}", p.unwrap_or(80)),
            (None, Some(p), _) => format!("TCP port {p}"),
            (None, None, Some(c)) => format!("`{c}` inside the container"),
            _ => "the image HEALTHCHECK, or the container staying up".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Healthy(String),
    Unhealthy(String),
    TimedOut(String),
}

async fn probe(c: &Container, gate: &Gate) -> Result<std::result::Result<(), String>> {
    if let Some(cmd) = &gate.command {
        let code = c.exec(cmd).await?;
        return Ok(if code == 0 {
            Ok(())
        } else {
            Err(format!("`{cmd}` exited with {code}"))
        });
    }
    let port = gate.port.unwrap_or(80);
    let Some(ip) = c.ip().await? else {
        return Ok(Err("the container has no network address".into()));
    };
    if let Some(path) = &gate.http {
        return Ok(
            match container::http_status_at(ip, port, path, Duration::from_secs(2)).await {
                Some(s) if (200..400).contains(&s) => Ok(()),
                Some(s) => Err(format!("HTTP {path} answered {s}")),
                None => Err(format!("HTTP {path} on {ip}:{port} did not answer")),
            },
        );
    }
    let connected = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::TcpStream::connect((ip, port)),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    Ok(if connected {
        Ok(())
    } else {
        Err(format!("nothing accepts connections on {ip}:{port}"))
    })
}

/// Wait for a verdict on `c`.
pub async fn wait(c: &Container, gate: &Gate, ctx: &StepCtx) -> Result<Verdict> {
    let started = Instant::now();
    let mut failures = 0;
    let mut last_error = String::new();
    let mut up_since: Option<Instant> = None;
    loop {
        ctx.check_cancelled()?;
        let (running, health, exit) = c.state().await?;
        if !running {
            let code = exit.map(|e| e.to_string()).unwrap_or_else(|| "?".into());
            return Ok(Verdict::Unhealthy(format!(
                "the container exited (code {code})"
            )));
        }
        if gate.has_probe() {
            match probe(c, gate).await? {
                Ok(()) => return Ok(Verdict::Healthy(gate.describe())),
                Err(why) => {
                    last_error = why;
                    if started.elapsed() >= gate.start_period {
                        failures += 1;
                        if failures > gate.retries {
                            return Ok(Verdict::Unhealthy(format!(
                                "{} failed {failures} times: {last_error}",
                                gate.describe()
                            )));
                        }
                    }
                }
            }
        } else {
            match health.as_deref() {
                Some("healthy") => return Ok(Verdict::Healthy("the image HEALTHCHECK".into())),
                Some("unhealthy") => {
                    return Ok(Verdict::Unhealthy(
                        "the image HEALTHCHECK reports unhealthy".into(),
                    ))
                }
                Some(_) => last_error = "the image HEALTHCHECK has not passed yet".into(),
                None => {
                    let since = *up_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= STABLE {
                        return Ok(Verdict::Healthy(
                            "running (no health check configured)".into(),
                        ));
                    }
                }
            }
        }
        if started.elapsed() >= gate.timeout {
            return Ok(Verdict::TimedOut(format!(
                "not healthy within {} ({})",
                humantime::format_duration(gate.timeout),
                if last_error.is_empty() {
                    gate.describe()
                } else {
                    last_error
                }
            )));
        }
        ctx.progress(format!(
            "waiting for {} ({:.0}s)",
            gate.describe(),
            started.elapsed().as_secs_f64()
        ));
        tokio::time::sleep(gate.interval.min(Duration::from_secs(2))).await;
    }
}
