//! What a target runs now, in one shape for every target: release, the deploy gate's health
//! verdict, uptime, restarts, ports, CPU and memory; and its rendering for `monitor`.

use std::time::{Duration, SystemTime};

use bollard::query_parameters::StatsOptionsBuilder;
use futures_util::StreamExt;
use serde::Serialize;

use super::metrics::Metric;
use super::Health;
use crate::docker::connect::api_error;
use crate::docker::Daemon;
use crate::error::Result;
use crate::session::Session;

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub env: String,
    pub target: String,
    pub name: String,
    /// `running`, `exited`, `restarting`, … or `missing` when nothing is deployed.
    pub state: String,
    pub release: Option<String>,
    pub image: Option<String>,
    /// The container's own HEALTHCHECK status, when the image has one.
    pub healthcheck: Option<String>,
    /// The deploy gate's verdict on what runs: `healthy`, `starting`, `unhealthy`, or `missing`.
    pub verdict: String,
    /// Why: the probe that passed, or what is failing.
    pub reason: String,
    pub started_at: Option<String>,
    pub uptime_secs: Option<u64>,
    pub restarts: Option<i64>,
    pub ports: Vec<String>,
    pub cpu_percent: Option<f64>,
    pub memory_bytes: Option<u64>,
    pub memory_limit_bytes: Option<u64>,
    /// Swarm: tasks running the current release, and how many are wanted.
    pub replicas_running: Option<usize>,
    pub replicas_desired: Option<usize>,
    /// Swarm: `slot: state (message)` for each task swarm wants running.
    pub tasks: Vec<String>,
    /// Swarm: the state of the last update (`completed`, `rollback_completed`, …).
    pub update_state: Option<String>,
    /// The verdict is `healthy`.
    pub healthy: bool,
    /// Beanstalk: the application version label the environment runs.
    pub version: Option<String>,
    /// Where it serves from outside: ECS, the load balancer in front of the service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// ECS: each deployment of the service, newest first.
    pub deployments: Vec<Deployment>,
    /// The latest events of the service (ECS) or environment (Beanstalk), oldest first.
    pub events: Vec<EventLine>,
    /// What is wrong in detail: stopped tasks of the newest revision with reasons and exit codes
    /// (ECS), health causes (Beanstalk).
    pub problems: Vec<String>,
    /// CPU and memory (and environment health) over the window, or the daemon's latest sample.
    pub metrics: Vec<Metric>,
    /// What could not be read, and why (a call the endpoint lacks, a setting that is off).
    pub notes: Vec<String>,
}

/// One deployment of an ECS service.
#[derive(Debug, Clone, Serialize)]
pub struct Deployment {
    pub id: String,
    /// `PRIMARY`, `ACTIVE`, `INACTIVE`.
    pub status: String,
    /// The task definition revision, `family:N`.
    pub revision: String,
    /// The ledger's release whose image the revision runs.
    pub release: Option<String>,
    /// `IN_PROGRESS`, `COMPLETED`, `FAILED`.
    pub rollout: Option<String>,
    pub rollout_reason: Option<String>,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    pub failed: i32,
    /// RFC 3339.
    pub updated_at: Option<String>,
}

/// A service or environment event.
#[derive(Debug, Clone, Serialize)]
pub struct EventLine {
    /// RFC 3339.
    pub time: String,
    pub message: String,
}

impl Status {
    pub fn empty(project: &Session, target: &str, name: &str) -> Status {
        Status {
            env: project.config.env_name().to_string(),
            target: target.into(),
            name: name.into(),
            state: "missing".into(),
            release: None,
            image: None,
            healthcheck: None,
            verdict: "missing".into(),
            reason: "nothing is deployed".into(),
            started_at: None,
            uptime_secs: None,
            restarts: None,
            ports: Vec::new(),
            cpu_percent: None,
            memory_bytes: None,
            memory_limit_bytes: None,
            replicas_running: None,
            replicas_desired: None,
            tasks: Vec::new(),
            update_state: None,
            healthy: false,
            version: None,
            url: None,
            deployments: Vec::new(),
            events: Vec::new(),
            problems: Vec::new(),
            metrics: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn set_health(&mut self, h: Health) {
        self.healthy = matches!(h, Health::Healthy(_));
        self.verdict = h.label().into();
        self.reason = h.reason().into();
    }

    /// The daemon's CPU and memory sample as metrics (one point each), for docker and swarm.
    pub fn sample_metrics(&mut self) {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        if let Some(cpu) = self.cpu_percent {
            let m = Metric::new("cpu", "Docker daemon stats", "%", vec![(now, cpu)]);
            self.metrics.push(m);
        }
        if let Some(mem) = self.memory_bytes {
            let m = Metric::new(
                "memory",
                "Docker daemon stats",
                "bytes",
                vec![(now, mem as f64)],
            );
            self.metrics.push(m);
        }
    }

    /// For `monitor --check`: unhealthy or missing fails; starting is reported, not failed.
    pub fn failing(&self) -> bool {
        matches!(self.verdict.as_str(), "unhealthy" | "missing")
    }
}

/// Fill in what the daemon says of a container: state, image, uptime, restarts, ports, and with
/// `stats` its CPU and memory.
pub async fn fill_container(
    status: &mut Status,
    daemon: &Daemon,
    name: &str,
    with_stats: bool,
) -> Result<()> {
    let info = match daemon.client.inspect_container(name, None).await {
        Ok(i) => i,
        Err(e) if crate::docker::connect::is_not_found(&e) => return Ok(()),
        Err(e) => return Err(api_error(&format!("cannot inspect {name}"), e)),
    };
    let state = info.state.clone().unwrap_or_default();
    let running = state.running.unwrap_or(false);
    status.state = state
        .status
        .map(|s| s.to_string())
        .unwrap_or_else(|| "unknown".into());
    status.image = info.config.as_ref().and_then(|c| c.image.clone());
    status.healthcheck = state
        .health
        .and_then(|h| h.status)
        .map(|s| s.to_string())
        .filter(|s| s != "none" && !s.is_empty());
    status.started_at = state.started_at.clone();
    status.uptime_secs = state
        .started_at
        .as_deref()
        .filter(|_| running)
        .and_then(|t| humantime::parse_rfc3339_weak(t.split('.').next().unwrap_or(t)).ok())
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .map(|d| d.as_secs());
    status.restarts = info.restart_count;
    if let Some(ports) = info.network_settings.and_then(|n| n.ports) {
        let mut list: Vec<String> = ports
            .into_iter()
            .flat_map(|(k, v)| {
                v.unwrap_or_default().into_iter().map(move |b| {
                    format!(
                        "{}:{}->{k}",
                        b.host_ip.unwrap_or_default(),
                        b.host_port.unwrap_or_default()
                    )
                })
            })
            .collect();
        list.sort();
        status.ports = list;
    }
    if with_stats && running {
        if let Some((cpu, mem, limit)) = stats(daemon, name).await {
            status.cpu_percent = cpu;
            status.memory_bytes = mem;
            status.memory_limit_bytes = limit;
        }
    }
    Ok(())
}

/// CPU share and memory use of a running container (the daemon samples twice for the CPU share).
pub async fn stats(daemon: &Daemon, name: &str) -> Option<(Option<f64>, Option<u64>, Option<u64>)> {
    let opts = StatsOptionsBuilder::default().stream(false).build();
    let mut stats = daemon.client.stats(name, Some(opts));
    let Ok(Some(Ok(s))) = tokio::time::timeout(Duration::from_secs(5), stats.next()).await else {
        return None;
    };
    let (cpu, pre) = (
        s.cpu_stats.unwrap_or_default(),
        s.precpu_stats.unwrap_or_default(),
    );
    let total = |c: &bollard::models::ContainerCpuStats| {
        c.cpu_usage
            .as_ref()
            .and_then(|u| u.total_usage)
            .unwrap_or(0)
    };
    let cpu_delta = total(&cpu).saturating_sub(total(&pre)) as f64;
    let sys_delta = cpu
        .system_cpu_usage
        .unwrap_or(0)
        .saturating_sub(pre.system_cpu_usage.unwrap_or(0)) as f64;
    let cpus = cpu.online_cpus.unwrap_or(1).max(1) as f64;
    let cpu_percent =
        (sys_delta > 0.0).then(|| (cpu_delta / sys_delta * cpus * 100.0 * 100.0).round() / 100.0);
    let (mem, limit) = match s.memory_stats {
        Some(m) => {
            let cache = m
                .stats
                .as_ref()
                .and_then(|st| st.get("inactive_file").or(st.get("cache")).copied())
                .unwrap_or(0);
            (m.usage.map(|u| u.saturating_sub(cache)), m.limit)
        }
        None => (None, None),
    };
    Some((cpu_percent, mem, limit))
}

/// A change that began at `since` (epoch seconds) and is still going is *starting* until the
/// deploy timeout has passed, then *stuck* ("stuck: {doing} for 12m (the deploy timeout is 2m)").
pub fn starting_or_stuck(
    project: &Session,
    since: Option<i64>,
    doing: &str,
    state: String,
) -> Health {
    let limit = project.settings.deploy_timeout;
    let age = since.and_then(|s| {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(s.max(0) as u64);
        SystemTime::now().duration_since(at).ok()
    });
    match age.filter(|a| *a > limit) {
        Some(a) => Health::Unhealthy(format!(
            "stuck: {doing} for {} (the deploy timeout is {}): {state}",
            humantime::format_duration(Duration::from_secs(a.as_secs())),
            humantime::format_duration(limit)
        )),
        None => Health::Starting(state),
    }
}

pub fn render(s: &Status) -> String {
    let mut out = format!("{} ({} target, env {})\n", s.name, s.target, s.env);
    if s.state == "missing" {
        out.push_str("  nothing deployed\n");
        return out;
    }
    let uptime = s
        .uptime_secs
        .map(|u| humantime::format_duration(Duration::from_secs(u)).to_string())
        .unwrap_or_else(|| "-".into());
    out.push_str(&format!(
        "  release   {}\n",
        s.release.as_deref().unwrap_or("(not deployed by devloop)")
    ));
    out.push_str(&format!(
        "  state     {}{}\n",
        s.state,
        s.healthcheck
            .as_ref()
            .map(|h| format!(", HEALTHCHECK {h}"))
            .unwrap_or_default()
    ));
    let verdict = match s.verdict.as_str() {
        "unhealthy" => "UNHEALTHY",
        other => other,
    };
    out.push_str(&format!("  verdict   {verdict} ({})\n", s.reason));
    if s.uptime_secs.is_some() {
        out.push_str(&format!("  uptime    {uptime}\n"));
    }
    if let Some(r) = s.restarts {
        out.push_str(&format!("  restarts  {r}\n"));
    }
    out.push_str(&format!(
        "  image     {}\n",
        s.image.as_deref().unwrap_or("-")
    ));
    if !s.ports.is_empty() {
        out.push_str(&format!("  ports     {}\n", s.ports.join(", ")));
    }
    if let Some(v) = &s.version {
        out.push_str(&format!("  version   {v}\n"));
    }
    if let Some(u) = &s.url {
        out.push_str(&format!("  url       {u}\n"));
    }
    if let (Some(run), Some(want)) = (s.replicas_running, s.replicas_desired) {
        out.push_str(&format!("  replicas  {run}/{want} running\n"));
    }
    if let Some(u) = &s.update_state {
        out.push_str(&format!("  update    {u}\n"));
    }
    section(&mut out, "tasks", &s.tasks);
    let deployments: Vec<String> = s.deployments.iter().map(render_deployment).collect();
    section(&mut out, "deployments", &deployments);
    section(&mut out, "problems", &s.problems);
    let events: Vec<String> = s
        .events
        .iter()
        .map(|e| {
            format!(
                "{}  {}",
                e.time.get(..19).unwrap_or(&e.time).replace('T', " "),
                e.message
            )
        })
        .collect();
    section(&mut out, "events", &events);
    if let Some(limit) = s
        .memory_limit_bytes
        .filter(|_| s.metrics.iter().any(|m| m.name == "memory"))
    {
        out.push_str(&format!(
            "  limit     {} of memory\n",
            crate::units::human_bytes(limit)
        ));
    }
    let metrics: Vec<String> = s.metrics.iter().map(|m| m.render(40)).collect();
    section(&mut out, "metrics", &metrics);
    section(&mut out, "notes", &s.notes);
    out
}

/// `  name\n    line\n …`, nothing when empty.
fn section(out: &mut String, name: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    out.push_str(&format!("  {name}\n"));
    for l in lines {
        out.push_str(&format!("    {l}\n"));
    }
}

fn render_deployment(d: &Deployment) -> String {
    format!(
        "{:<8} {}  release {}  {}/{} running, {} pending, {} failed{}{}",
        d.status,
        d.revision,
        d.release.as_deref().unwrap_or("(unknown)"),
        d.running,
        d.desired,
        d.pending,
        d.failed,
        d.rollout
            .as_deref()
            .map(|r| format!("  rollout {r}"))
            .unwrap_or_default(),
        d.rollout_reason
            .as_deref()
            .filter(|r| !r.is_empty())
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    )
}
