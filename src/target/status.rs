//! What a local target runs now: release, health, uptime, restarts, ports, CPU and memory.

use std::time::{Duration, SystemTime};

use bollard::query_parameters::StatsOptionsBuilder;
use futures_util::StreamExt;
use serde::Serialize;

use super::{docker, LABEL_RELEASE};
use crate::docker::connect::api_error;
use crate::docker::Daemon;
use crate::error::Result;
use crate::pipeline::Project;

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub env: String,
    pub target: String,
    pub name: String,
    /// `running`, `exited`, `restarting`, … or `missing` when nothing is deployed.
    pub state: String,
    pub release: Option<String>,
    pub image: Option<String>,
    /// The image HEALTHCHECK status, when it has one.
    pub health: Option<String>,
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
    /// Running (all replicas, for swarm), and healthy if it has a HEALTHCHECK.
    pub healthy: bool,
}

impl Status {
    fn empty(project: &Project, target: &str, name: &str) -> Status {
        Status {
            env: project
                .config
                .env
                .clone()
                .unwrap_or_else(|| "default".into()),
            target: target.into(),
            name: name.into(),
            state: "missing".into(),
            release: None,
            image: None,
            health: None,
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
        }
    }
}

/// Status of whatever target the environment uses.
pub async fn status(project: &Project, with_stats: bool) -> Result<Status> {
    match project.config.target() {
        Some(crate::config::TargetKind::Swarm) => swarm_status(project).await,
        _ => docker_status(project, with_stats).await,
    }
}

pub async fn swarm_status(project: &Project) -> Result<Status> {
    let daemon = Daemon::connect(&project.ambient).await?;
    super::swarm::ensure_manager(&daemon).await?;
    let name = super::swarm::service_name(project);
    let mut status = Status::empty(project, "swarm", &name);
    let Some(svc) = super::swarm::find_service(&daemon, &name).await? else {
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
    let tasks = super::swarm::tasks(&daemon, &name).await?;
    let mut running = 0;
    for t in tasks
        .iter()
        .filter(|t| t.desired_state == Some(bollard::models::TaskState::RUNNING))
    {
        let st = t.status.clone().unwrap_or_default();
        let state = st.state.map(|s| s.to_string()).unwrap_or_default();
        let release = t
            .spec
            .as_ref()
            .and_then(|s| s.container_spec.as_ref())
            .and_then(|c| c.labels.as_ref())
            .and_then(|l| l.get(LABEL_RELEASE))
            .cloned()
            .unwrap_or_default();
        if state == "running" && status.release.as_deref() == Some(release.as_str()) {
            running += 1;
        }
        let detail = st.err.or(st.message).unwrap_or_default();
        status.tasks.push(format!(
            "{}.{}: {state} ({detail}) {release}",
            name,
            t.slot.unwrap_or(0)
        ));
    }
    status.tasks.sort();
    status.state = if running > 0 {
        "running".into()
    } else {
        "not running".into()
    };
    status.replicas_running = Some(running);
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
    status.healthy = desired > 0 && running >= desired;
    Ok(status)
}

pub async fn docker_status(project: &Project, with_stats: bool) -> Result<Status> {
    let daemon = Daemon::connect(&project.ambient).await?;
    let name = docker::container_name(project);
    let mut status = Status::empty(project, "docker", &name);
    let info = match daemon.client.inspect_container(&name, None).await {
        Ok(i) => i,
        Err(e) if crate::docker::connect::is_not_found(&e) => return Ok(status),
        Err(e) => return Err(api_error(&format!("cannot inspect {name}"), e)),
    };
    let state = info.state.clone().unwrap_or_default();
    let running = state.running.unwrap_or(false);
    status.state = state
        .status
        .map(|s| s.to_string())
        .unwrap_or_else(|| "unknown".into());
    status.release = info
        .config
        .as_ref()
        .and_then(|c| c.labels.as_ref())
        .and_then(|l| l.get(LABEL_RELEASE))
        .cloned();
    status.image = info.config.as_ref().and_then(|c| c.image.clone());
    status.health = state
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
    status.healthy = running && status.health.as_deref().is_none_or(|h| h == "healthy");
    if with_stats && running {
        // Not one-shot: the daemon samples twice, so the CPU share can be computed.
        let opts = StatsOptionsBuilder::default().stream(false).build();
        let mut stats = daemon.client.stats(&name, Some(opts));
        if let Ok(Some(Ok(s))) = tokio::time::timeout(Duration::from_secs(5), stats.next()).await {
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
            let sys_delta =
                cpu.system_cpu_usage
                    .unwrap_or(0)
                    .saturating_sub(pre.system_cpu_usage.unwrap_or(0)) as f64;
            let cpus = cpu.online_cpus.unwrap_or(1).max(1) as f64;
            if sys_delta > 0.0 {
                status.cpu_percent =
                    Some((cpu_delta / sys_delta * cpus * 100.0 * 100.0).round() / 100.0);
            }
            if let Some(m) = s.memory_stats {
                let cache = m
                    .stats
                    .as_ref()
                    .and_then(|st| st.get("inactive_file").or(st.get("cache")).copied())
                    .unwrap_or(0);
                status.memory_bytes = m.usage.map(|u| u.saturating_sub(cache));
                status.memory_limit_bytes = m.limit;
            }
        }
    }
    Ok(status)
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
        s.health
            .as_ref()
            .map(|h| format!(", {h}"))
            .unwrap_or_default()
    ));
    out.push_str(&format!(
        "  verdict   {}\n",
        if s.healthy { "healthy" } else { "UNHEALTHY" }
    ));
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
    if let Some(cpu) = s.cpu_percent {
        out.push_str(&format!("  cpu       {cpu:.2}%\n"));
    }
    if let Some(m) = s.memory_bytes {
        let limit = s
            .memory_limit_bytes
            .map(|l| format!(" of {}", crate::output::human_bytes(l)))
            .unwrap_or_default();
        out.push_str(&format!(
            "  memory    {}{limit}\n",
            crate::output::human_bytes(m)
        ));
    }
    out
}
