//! The docker target's checks of what a release publishes, before anything is touched: host
//! ports another container or a process already holds (refused, naming the holder and the config
//! line), and mapped container ports the image does not expose (a warning).

use super::{image_of, Deployed, Docker};
use crate::deploy::Target;
use crate::docker::connect::api_error;
use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::release::Record;

impl Docker {
    /// Warn about a mapped container port the image does not expose: the app most likely
    /// listens elsewhere, and a probe-less gate would call it healthy anyway.
    pub(super) async fn warn_unexposed(&self, record: &Record, ctx: &StepCtx) {
        let Ok(daemon) = self.project.daemon().await else {
            return;
        };
        let Ok(image) = daemon.client.inspect_image(&image_of(record)).await else {
            return;
        };
        let exposed: Vec<String> = image
            .config
            .and_then(|c| c.exposed_ports)
            .unwrap_or_default();
        if exposed.is_empty() {
            return;
        }
        for p in &self.settings.ports {
            if !exposed.contains(&p.key()) {
                ctx.warn(format!(
                    "deploy.docker.ports \"{p}\" maps container port {}, which the image does not expose (it exposes {}): the app may not answer there",
                    p.key(),
                    exposed.join(", ")
                ));
            }
        }
    }

    /// Refuse (exit 2, nothing touched) when a host port this config publishes is held by
    /// another container, or by a process on this machine, naming the holder and the config line.
    pub(super) async fn check_host_ports(&self, ours: Option<&Deployed>) -> Result<()> {
        let wanted: Vec<_> = self
            .settings
            .ports
            .iter()
            .filter(|p| p.host_port.is_some())
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let daemon = self.project.daemon().await?;
        let containers = daemon
            .client
            .list_containers(None::<bollard::query_parameters::ListContainersOptions>)
            .await
            .map_err(|e| api_error("cannot list containers", e))?;
        let ours_id = ours.map(|o| o.container.id.clone());
        let name = self.name();
        for p in wanted {
            let host = p.host_port.unwrap_or_default();
            let holder = containers.iter().find(|c| {
                let mine = c.id.is_some() && c.id == ours_id;
                let ours_by_name = c.names.iter().flatten().any(|n| {
                    let n = n.trim_start_matches('/');
                    n == format!("{name}-next") || n == format!("{name}-prev")
                });
                !mine
                    && !ours_by_name
                    && c.ports.iter().flatten().any(|cp| {
                        cp.public_port == Some(host)
                            && cp.typ.as_ref().is_none_or(|t| t.to_string() == p.protocol)
                            && overlaps(cp.ip.as_deref(), p.host_ip.as_deref())
                    })
            });
            let by = match holder {
                Some(c) => Some(format!(
                    "container {} ({})",
                    c.names
                        .iter()
                        .flatten()
                        .next()
                        .map(|n| n.trim_start_matches('/').to_string())
                        .unwrap_or_else(|| c.id.clone().unwrap_or_default()),
                    c.image.clone().unwrap_or_default()
                )),
                None if ours.is_some_and(|o| o.host_ports.contains(&host)) => None,
                None if daemon.endpoint.host.starts_with("unix://") => {
                    let ip = p.host_ip.as_deref().unwrap_or("0.0.0.0");
                    let taken = ip
                        .trim_matches(|c| c == '[' || c == ']')
                        .parse::<std::net::IpAddr>()
                        .ok()
                        .is_some_and(|ip| {
                            std::net::TcpListener::bind((ip, host))
                                .is_err_and(|e| e.kind() == std::io::ErrorKind::AddrInUse)
                        });
                    taken.then(|| "a process on this machine (not a container)".to_string())
                }
                None => None,
            };
            if let Some(by) = by {
                let spec = p.to_string();
                let src = &self.project.config.source;
                let at = src
                    .text
                    .find(&format!("\"{spec}\""))
                    .map(|o| src.locate(Some(o..o + spec.len() + 2)))
                    .unwrap_or_else(|| src.display.clone());
                return Err(Error::usage(format!(
                    "{at}: host port {host} (deploy.docker.ports \"{spec}\") is already held by {by}; nothing was changed{}",
                    ours.and_then(|o| o.release.as_ref()).map(|r| format!(", and {name} still runs {r}")).unwrap_or_default()
                ))
                .with_hint("stop what holds the port, or publish another host port in devloop.toml"));
            }
        }
        Ok(())
    }
}

/// Whether a published address (`0.0.0.0`, `::`, or one IP) takes the host IP devloop asks for.
fn overlaps(published: Option<&str>, wanted: Option<&str>) -> bool {
    let any = |ip: &str| ip.is_empty() || ip == "0.0.0.0" || ip == "::";
    match (published, wanted) {
        (None, _) | (_, None) => true,
        (Some(a), Some(b)) => {
            any(a) || any(b) || a.trim_matches(['[', ']']) == b.trim_matches(['[', ']'])
        }
    }
}
