//! The swarm service spec for a release: image, labels, env, health check, limits, stop signal,
//! update and rollback policy, host-mode ports; and the digest of everything in it but the image
//! and the release, so an identical deploy is recognised.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum,
    EndpointSpec, EndpointSpecModeEnum, HealthConfig, Limit, Mount, MountType,
    NetworkAttachmentConfig, ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated,
    ServiceSpecRollbackConfig, ServiceSpecRollbackConfigFailureActionEnum,
    ServiceSpecRollbackConfigOrderEnum, ServiceSpecUpdateConfig,
    ServiceSpecUpdateConfigFailureActionEnum, ServiceSpecUpdateConfigOrderEnum, TaskSpec,
    TaskSpecContainerSpec, TaskSpecResources, TaskSpecRestartPolicy,
    TaskSpecRestartPolicyConditionEnum,
};

use super::{Swarm, LABEL_IMAGE_ID};
use crate::config::schema::{FailureAction, UpdateOrder};
use crate::deploy::{labels, Target, LABEL_SPEC};
use crate::engine::StepCtx;
use crate::release::Record;

pub fn nanos(d: Duration) -> i64 {
    d.as_nanos().min(i64::MAX as u128) as i64
}

/// The image reference a swarm task runs: the pinned registry image, or the release tag locally.
pub fn image(record: &Record) -> String {
    match (&record.registry, record.tags.first()) {
        (None, Some(tag)) => format!("{}:{tag}", record.repository),
        _ => record.image.clone(),
    }
}

/// `name:/path[:ro]` (a volume) or `/host:/path[:ro]` (a bind mount) as a swarm mount.
fn mount(spec: &str) -> Mount {
    let mut parts = spec.splitn(3, ':');
    let source = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let read_only = parts
        .next()
        .is_some_and(|o| o.split(',').any(|x| x == "ro"));
    Mount {
        typ: Some(if source.starts_with('/') {
            MountType::BIND
        } else {
            MountType::VOLUME
        }),
        source: Some(source),
        target: Some(target),
        read_only: read_only.then_some(true),
        ..Default::default()
    }
}

impl Swarm {
    /// The overlay network a service of a set joins: one per app and environment.
    pub(super) fn set_network(&self) -> Option<String> {
        let cfg = &self.project.config;
        cfg.multi
            .then(|| format!("{}-{}", cfg.app(), cfg.env_name()))
    }

    pub(super) fn service_spec(&self, record: &Record, ctx: &StepCtx) -> (ServiceSpec, String) {
        let mut labels = labels(&self.project, record);
        let ports = self.ports();
        let (update_config, rollback_config) = self.update_policy(!ports.is_empty(), ctx);
        let mut spec = ServiceSpec {
            name: Some(self.name()),
            task_template: Some(self.task_template(record, &labels)),
            mode: Some(ServiceSpecMode {
                replicated: Some(ServiceSpecModeReplicated {
                    replicas: Some(self.replicas() as i64),
                }),
                ..Default::default()
            }),
            update_config: Some(update_config),
            rollback_config: Some(rollback_config),
            endpoint_spec: Some(EndpointSpec {
                ports: (!ports.is_empty()).then_some(ports),
                // A set's services find each other by name through DNS round-robin: it needs no
                // virtual IP (IPVS), and host-mode ports allow it.
                mode: self.set_network().map(|_| EndpointSpecModeEnum::DNSRR),
            }),
            ..Default::default()
        };
        // Everything but the image and the release: settings, probe, update policy.
        let mut without_image = spec.clone();
        if let Some(c) = without_image
            .task_template
            .as_mut()
            .and_then(|t| t.container_spec.as_mut())
        {
            c.image = None;
            c.labels = None;
        }
        let digest = crate::deploy::spec_digest(&(without_image, format!("{:?}", self.gate)));
        labels.insert(LABEL_SPEC.into(), digest.clone());
        labels.insert(LABEL_IMAGE_ID.into(), record.image_id.clone());
        spec.labels = Some(labels);
        (spec, digest)
    }

    /// The published ports, host mode (a task binds its node's port).
    fn ports(&self) -> Vec<EndpointPortConfig> {
        self.settings
            .ports
            .iter()
            .map(|p| EndpointPortConfig {
                protocol: Some(if p.protocol == "udp" {
                    EndpointPortConfigProtocolEnum::UDP
                } else {
                    EndpointPortConfigProtocolEnum::TCP
                }),
                target_port: Some(p.container_port.into()),
                published_port: p.host_port.map(i64::from),
                publish_mode: Some(EndpointPortConfigPublishModeEnum::HOST),
                ..Default::default()
            })
            .collect()
    }

    /// The container, its health check, limits and restart policy.
    fn task_template(&self, record: &Record, labels: &HashMap<String, String>) -> TaskSpec {
        let s = &self.settings;
        let health = &self.project.config.doc.deploy.health;
        let health_check = health.command.as_ref().map(|cmd| HealthConfig {
            test: Some(vec!["CMD-SHELL".into(), cmd.clone()]),
            interval: Some(nanos(self.gate.interval)),
            retries: Some(i64::from(self.gate.retries)),
            start_period: Some(nanos(self.gate.start_period)),
            ..Default::default()
        });
        TaskSpec {
            container_spec: Some(TaskSpecContainerSpec {
                image: Some(image(record)),
                labels: Some(labels.clone()),
                env: Some(
                    s.env
                        .iter()
                        .map(|(k, v)| format!("{k}={}", v.value()))
                        .collect(),
                ),
                health_check,
                stop_signal: s.stop_signal.as_ref().map(|v| v.as_str().to_string()),
                stop_grace_period: s.stop_grace_period.map(|d| nanos(d.get())),
                args: s.command.clone(),
                mounts: (!s.volumes.is_empty())
                    .then(|| s.volumes.iter().map(|v| mount(v)).collect()),
                ..Default::default()
            }),
            networks: self.set_network().map(|net| {
                vec![NetworkAttachmentConfig {
                    target: Some(net),
                    aliases: self.project.config.service.clone().map(|s| vec![s]),
                    ..Default::default()
                }]
            }),
            resources: Some(TaskSpecResources {
                limits: Some(Limit {
                    nano_cpus: s.cpus.map(|c| c.nano()),
                    memory_bytes: s.memory.as_ref().map(|m| m.bytes),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            restart_policy: Some(TaskSpecRestartPolicy {
                condition: Some(TaskSpecRestartPolicyConditionEnum::ANY),
                delay: Some(nanos(Duration::from_secs(1))),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// How swarm rolls an update out and back: stop-first when host ports are published (a new
    /// task cannot bind a port the old one holds), else as configured.
    fn update_policy(
        &self,
        has_ports: bool,
        ctx: &StepCtx,
    ) -> (ServiceSpecUpdateConfig, ServiceSpecRollbackConfig) {
        let u = &self.settings.update;
        let order = match u.order {
            None if has_ports => ServiceSpecUpdateConfigOrderEnum::STOP_FIRST,
            None => ServiceSpecUpdateConfigOrderEnum::START_FIRST,
            Some(UpdateOrder::StartFirst) if has_ports => {
                ctx.warn("update.order = \"start-first\" with host-mode ports: a new task cannot bind a port the old one holds on the same node; using stop-first");
                ServiceSpecUpdateConfigOrderEnum::STOP_FIRST
            }
            Some(UpdateOrder::StartFirst) => ServiceSpecUpdateConfigOrderEnum::START_FIRST,
            Some(UpdateOrder::StopFirst) => ServiceSpecUpdateConfigOrderEnum::STOP_FIRST,
        };
        let failure_action = match u.failure_action.unwrap_or(FailureAction::Rollback) {
            FailureAction::Rollback => ServiceSpecUpdateConfigFailureActionEnum::ROLLBACK,
            FailureAction::Pause => ServiceSpecUpdateConfigFailureActionEnum::PAUSE,
            FailureAction::Continue => ServiceSpecUpdateConfigFailureActionEnum::CONTINUE,
        };
        let monitor = u.monitor.map(|d| d.get()).unwrap_or(Duration::from_secs(5));
        let rollback_order = if order == ServiceSpecUpdateConfigOrderEnum::STOP_FIRST {
            ServiceSpecRollbackConfigOrderEnum::STOP_FIRST
        } else {
            ServiceSpecRollbackConfigOrderEnum::START_FIRST
        };
        let update = ServiceSpecUpdateConfig {
            parallelism: Some(u.parallelism.unwrap_or(1) as i64),
            delay: u.delay.map(|d| nanos(d.get())),
            failure_action: Some(failure_action),
            monitor: Some(nanos(monitor)),
            max_failure_ratio: Some(0.0),
            order: Some(order),
        };
        let rollback = ServiceSpecRollbackConfig {
            parallelism: Some(0),
            failure_action: Some(ServiceSpecRollbackConfigFailureActionEnum::PAUSE),
            monitor: Some(nanos(monitor)),
            order: Some(rollback_order),
            ..Default::default()
        };
        (update, rollback)
    }
}
