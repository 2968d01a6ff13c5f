//! What `devloop monitor` shows of the service: its release and image, each task's state, the
//! ports, resource use when asked, and the same health verdict the deploy gate gives.

use bollard::models::TaskState;

use super::progress::{running, task_release};
use super::{find_service, tasks, Swarm};
use crate::deploy::{status, Health, Status, Target, LABEL_RELEASE};
use crate::error::Result;

impl Swarm {
    /// The service's status; `window` asks for resource use too.
    pub(super) async fn service_status(
        &self,
        window: Option<std::time::Duration>,
    ) -> Result<Status> {
        let stats = window.is_some();
        let daemon = self.daemon().await?;
        let name = self.name();
        let mut status = Status::empty(&self.project, "swarm", &name);
        let Some(svc) = find_service(daemon, &name).await? else {
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
        let all = tasks(daemon, &name).await?;
        let release = status.release.clone().unwrap_or_default();
        let mut running_ours = 0;
        for t in all
            .iter()
            .filter(|t| t.desired_state == Some(TaskState::RUNNING))
        {
            let st = t.status.clone().unwrap_or_default();
            let state = st.state.map(|s| s.to_string()).unwrap_or_default();
            let r = task_release(t).unwrap_or_default();
            if running(t) && r == release {
                running_ours += 1;
            }
            let detail = st.err.or(st.message).unwrap_or_default();
            status.tasks.push(format!(
                "{name}.{}: {state} ({detail}) {r}",
                t.slot.unwrap_or(0)
            ));
        }
        status.tasks.sort();
        status.state = if running_ours > 0 {
            "running"
        } else {
            "not running"
        }
        .into();
        status.replicas_running = Some(running_ours);
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
        let containers = self.task_containers(&release).await.unwrap_or_default();
        if stats {
            let (mut cpu, mut mem) = (None::<f64>, None::<u64>);
            for c in &containers {
                if let Some((c_cpu, c_mem, _)) = status::stats(daemon, &c.id).await {
                    cpu = Some(cpu.unwrap_or(0.0) + c_cpu.unwrap_or(0.0));
                    mem = Some(mem.unwrap_or(0) + c_mem.unwrap_or(0));
                }
            }
            status.cpu_percent = cpu;
            status.memory_bytes = mem;
        }
        let health = if desired == 0 {
            Health::Unhealthy("the service is scaled to 0 replicas".into())
        } else if running_ours < desired {
            match status.update_state.as_deref() {
                Some("updating" | "rollback_started") => Health::Starting(format!(
                    "{running_ours}/{desired} tasks of {release} running; swarm is updating"
                )),
                _ => Health::Unhealthy(format!(
                    "{running_ours}/{desired} tasks of {release} running"
                )),
            }
        } else if self.probes_tasks() || self.gate.command.is_some() {
            let budget = crate::config::duration::deadline_in(self.gate.monitor_budget());
            self.judge(&release, budget, None).await?
        } else {
            Health::Healthy(format!("{running_ours}/{desired} tasks running"))
        };
        status.set_health(health);
        Ok(status)
    }
}
