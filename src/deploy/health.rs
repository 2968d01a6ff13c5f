//! The one definition of "healthy" for local targets, used by the deploy gate and by `monitor`.
//!
//! A probe from `[deploy.health]` (HTTP or TCP against the container's own address, or a command run
//! inside it) decides when configured; otherwise the image HEALTHCHECK; otherwise "running and
//! stable". A failing probe within the start period (counted from the container's start) is
//! "starting"; after it, more than `retries` consecutive failures are "unhealthy". The deploy gate
//! waits on this until its deadline; `monitor` asks the same question with a short budget.

use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::config::schema::Health as HealthSettings;
use crate::docker::container::{self, Container};
use crate::engine::StepCtx;
use crate::error::Result;

/// How long a container without any health check must stay up to count as healthy.
const STABLE: Duration = Duration::from_secs(2);
/// The first polls come quickly, so a verdict is printed soon after the app is ready.
const FIRST_POLL: Duration = Duration::from_millis(50);
const STARTING_POLL: Duration = Duration::from_millis(250);

#[derive(Debug, Clone)]
pub struct Gate {
    pub http: Option<String>,
    pub port: Option<u16>,
    pub command: Option<String>,
    pub interval: Duration,
    pub retries: u32,
    pub start_period: Duration,
}

/// The verdict on what runs, the same for the deploy gate and `monitor --check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum Health {
    Healthy(String),
    /// Not yet known: within the start period, or the HEALTHCHECK has not run yet.
    Starting(String),
    Unhealthy(String),
}

impl Health {
    pub fn label(&self) -> &'static str {
        match self {
            Health::Healthy(_) => "healthy",
            Health::Starting(_) => "starting",
            Health::Unhealthy(_) => "unhealthy",
        }
    }
    pub fn reason(&self) -> &str {
        match self {
            Health::Healthy(r) | Health::Starting(r) | Health::Unhealthy(r) => r,
        }
    }
}

impl Gate {
    pub fn new(h: &HealthSettings) -> Gate {
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
        }
    }

    pub fn has_probe(&self) -> bool {
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

    /// The budget `monitor` gives a verdict: long enough for the gate's retries to run out.
    pub fn monitor_budget(&self) -> Duration {
        if self.has_probe() {
            (self.interval.saturating_mul(self.retries.saturating_add(1)))
                .saturating_add(Duration::from_secs(2))
        } else {
            Duration::ZERO
        }
    }
}

/// One probe; `Err(why)` when it failed. Each probe is bounded in time.
async fn probe(
    c: &Container,
    gate: &Gate,
    limit: Duration,
) -> Result<std::result::Result<(), String>> {
    let limit = limit.clamp(Duration::from_millis(200), Duration::from_secs(5));
    if let Some(cmd) = &gate.command {
        return Ok(match tokio::time::timeout(limit, c.exec(cmd)).await {
            Ok(Ok(0)) => Ok(()),
            Ok(Ok(code)) => Err(format!("`{cmd}` exited with {code}")),
            Ok(Err(e)) => Err(e.message),
            Err(_) => Err(format!(
                "`{cmd}` did not finish within {}",
                humantime::format_duration(limit)
            )),
        });
    }
    let port = gate.port.unwrap_or(80);
    let Some(ip) = c.ip().await? else {
        return Ok(Err("the container has no network address".into()));
    };
    if let Some(path) = &gate.http {
        return Ok(
            match container::http_status_at(ip, port, path, limit).await {
                Some(s) if (200..400).contains(&s) => Ok(()),
                Some(s) => Err(format!("HTTP {path} answered {s}")),
                None => Err(format!("HTTP {path} on {ip}:{port} did not answer")),
            },
        );
    }
    let connected = tokio::time::timeout(limit, tokio::net::TcpStream::connect((ip, port)))
        .await
        .is_ok_and(|r| r.is_ok());
    Ok(if connected {
        Ok(())
    } else {
        Err(format!("nothing accepts connections on {ip}:{port}"))
    })
}

/// How long the container has been up, from the daemon's own start time.
fn uptime(started_at: Option<&str>) -> Duration {
    started_at
        .and_then(|t| humantime::parse_rfc3339_weak(t.split('.').next().unwrap_or(t)).ok())
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .unwrap_or(Duration::ZERO)
}

/// `f`, unless the step is cancelled first: Ctrl-C reaches inside a probe (a health command that
/// takes seconds) and a wait, so an interrupted gate never goes on to pass.
async fn unless_cancelled<F: std::future::Future>(
    ctx: Option<&StepCtx>,
    f: F,
) -> Result<F::Output> {
    match ctx {
        Some(ctx) => tokio::select! {
            biased;
            _ = ctx.cancel.cancelled() => Err(crate::error::Error::interrupted()),
            out = f => Ok(out),
        },
        None => Ok(f.await),
    }
}

/// Judge `c` until there is a verdict or `deadline` passes (then the last "starting" reason).
/// `ctx`, when given, receives progress lines and the cancellation signal.
pub async fn judge(
    c: &Container,
    gate: &Gate,
    deadline: Instant,
    ctx: Option<&StepCtx>,
) -> Result<Health> {
    let started = Instant::now();
    let mut failures = 0;
    let mut poll = FIRST_POLL;
    let mut said: Option<String> = None;
    loop {
        let mut spaced = false;
        if let Some(ctx) = ctx {
            ctx.check_cancelled()?;
        }
        let st = unless_cancelled(ctx, c.state()).await??;
        if !st.running {
            let code = st
                .exit_code
                .map(|e| e.to_string())
                .unwrap_or_else(|| "?".into());
            let oom = if st.oom_killed {
                ", killed: out of memory"
            } else {
                ""
            };
            return Ok(Health::Unhealthy(format!(
                "the container exited (code {code}{oom})"
            )));
        }
        let up = uptime(st.started_at.as_deref());
        let starting = if gate.has_probe() {
            let limit =
                crate::deploy::remaining(deadline).min(gate.interval.max(Duration::from_secs(2)));
            match unless_cancelled(ctx, probe(c, gate, limit)).await?? {
                Ok(()) => return Ok(Health::Healthy(gate.describe())),
                Err(why) if up < gate.start_period => why,
                Err(why) => {
                    failures += 1;
                    if failures > gate.retries {
                        return Ok(Health::Unhealthy(format!(
                            "{} failed {failures} times in a row: {why}",
                            gate.describe()
                        )));
                    }
                    // Past the start period, probes are spaced by the interval, as Docker's are.
                    spaced = true;
                    why
                }
            }
        } else {
            match st.health.as_deref() {
                Some("healthy") => return Ok(Health::Healthy("the image HEALTHCHECK".into())),
                Some("unhealthy") => {
                    return Ok(Health::Unhealthy(
                        "the image HEALTHCHECK reports unhealthy".into(),
                    ))
                }
                Some(_) => "the image HEALTHCHECK has not passed yet".into(),
                None if up >= STABLE => {
                    return Ok(Health::Healthy(
                        "running (no health check configured)".into(),
                    ))
                }
                None => format!(
                    "no health check configured: it must stay up {}s",
                    STABLE.as_secs()
                ),
            }
        };
        if Instant::now() >= deadline {
            return Ok(Health::Starting(starting));
        }
        // One line per change of what it waits for, never the same reason again and again.
        if let Some(ctx) = ctx.filter(|_| said.as_deref() != Some(starting.as_str())) {
            ctx.progress(format!(
                "waiting for {} ({:.0}s): {starting}",
                gate.describe(),
                started.elapsed().as_secs_f64()
            ));
            said = Some(starting.clone());
        }
        // Failures past the start period are spaced by the interval; while starting, look again
        // soon (50 ms, doubling to at most STARTING_POLL) so the verdict follows the app closely.
        if spaced {
            poll = gate.interval;
        }
        unless_cancelled(
            ctx,
            tokio::time::sleep(poll.min(crate::deploy::remaining(deadline))),
        )
        .await?;
        if !spaced {
            poll = (poll * 2).min(gate.interval).min(STARTING_POLL);
        }
    }
}
