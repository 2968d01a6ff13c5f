//! The container a release runs as: its create body from `[deploy.docker]`, and the digest of
//! everything in it but the release, so an unchanged deploy can be told apart.

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, EndpointSettings, HostConfig, NetworkingConfig, PortBinding,
    RestartPolicy, RestartPolicyNameEnum,
};

use super::{image_of, Docker};
use crate::deploy::{labels, LABEL_SPEC};
use crate::release::Record;

impl Docker {
    /// The network a service of a set joins: one per app and environment, unless it names one.
    pub(super) fn set_network(&self) -> Option<String> {
        let cfg = &self.project.config;
        (cfg.multi && self.settings.network.is_none())
            .then(|| format!("{}-{}", cfg.app(), cfg.env_name()))
    }

    /// The network the container runs in: the set's, the configured one, or the daemon's default.
    fn network(&self) -> Option<String> {
        self.set_network().or_else(|| self.settings.network.clone())
    }

    /// The container body for a release, and the digest of everything in it but the release.
    pub(super) fn body(&self, record: &Record) -> (ContainerCreateBody, String) {
        let s = &self.settings;
        let mut exposed = Vec::new();
        let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
        for p in &s.ports {
            exposed.push(p.key());
            bindings
                .entry(p.key())
                .or_insert_with(|| Some(Vec::new()))
                .get_or_insert_with(Vec::new)
                .push(PortBinding {
                    host_ip: p.host_ip.clone(),
                    host_port: p.host_port.map(|h| h.to_string()),
                });
        }
        let restart = s.restart.as_ref().map(|r| RestartPolicy {
            name: Some(match r.name.as_str() {
                "always" => RestartPolicyNameEnum::ALWAYS,
                "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
                "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
                _ => RestartPolicyNameEnum::NO,
            }),
            maximum_retry_count: r.max_retries,
        });
        let mut body = ContainerCreateBody {
            image: Some(image_of(record)),
            env: Some(
                s.env
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.value()))
                    .collect(),
            ),
            cmd: s.command.clone(),
            exposed_ports: (!exposed.is_empty()).then_some(exposed),
            stop_signal: s.stop_signal.as_ref().map(|v| v.as_str().to_string()),
            stop_timeout: Some(self.grace().as_secs() as i64),
            host_config: Some(HostConfig {
                port_bindings: (!bindings.is_empty()).then_some(bindings),
                binds: (!s.volumes.is_empty()).then(|| s.volumes.clone()),
                restart_policy: restart,
                memory: s.memory.as_ref().map(|m| m.bytes),
                nano_cpus: s.cpus.map(|c| c.nano()),
                network_mode: self.network(),
                init: s.init.then_some(true),
                ..Default::default()
            }),
            ..Default::default()
        };
        // A service of a set is reachable from the others by its name, as in compose.
        if let (Some(net), Some(svc)) = (self.set_network(), &self.project.config.service) {
            body.networking_config = Some(NetworkingConfig {
                endpoints_config: Some(HashMap::from([(
                    net,
                    EndpointSettings {
                        aliases: Some(vec![svc.clone()]),
                        ..Default::default()
                    },
                )])),
            });
        }
        // The spec covers the settings and the health probe, not the image or the release.
        let spec = crate::deploy::spec_digest(&(
            &body.env,
            &body.exposed_ports,
            &body.host_config,
            &body.stop_signal,
            &body.stop_timeout,
            format!("{:?}", self.gate),
        ));
        // Settings newer than the digest's first form count only when set, so an existing
        // deployment is not redeployed for what it never had.
        let spec = if body.cmd.is_some() || body.networking_config.is_some() {
            crate::deploy::spec_digest(&(spec, &body.cmd, &body.networking_config))
        } else {
            spec
        };
        let mut l = labels(&self.project, record);
        l.insert(LABEL_SPEC.into(), spec.clone());
        body.labels = Some(l);
        (body, spec)
    }
}
