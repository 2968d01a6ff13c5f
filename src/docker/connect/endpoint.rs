//! Where the daemon is: `DOCKER_HOST` (with its TLS files), else the active docker context read
//! from docker's own config, else the default socket. Decided without connecting.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::address::{check_address, with_default_port};
use crate::config::Ambient;
use crate::error::{Error, Result};

pub(super) const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";

/// Where the daemon is, and how it was chosen (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub tls: Option<TlsFiles>,
    /// "DOCKER_HOST", "docker context NAME" or "default socket".
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

fn docker_config_dir(ambient: &Ambient) -> Option<PathBuf> {
    ambient
        .var("DOCKER_CONFIG")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| ambient.home().map(|h| h.join(".docker")))
}

/// Decide the endpoint from the environment and docker's own config, without connecting.
pub fn endpoint(ambient: &Ambient) -> Result<Endpoint> {
    if let Some(host) = ambient.var("DOCKER_HOST").filter(|h| !h.is_empty()) {
        let verify = ambient
            .var("DOCKER_TLS_VERIFY")
            .is_some_and(|v| !v.is_empty());
        let tls = if verify {
            let dir = ambient
                .var("DOCKER_CERT_PATH")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .or_else(|| docker_config_dir(ambient))
                .ok_or_else(|| {
                    Error::usage(
                        "DOCKER_TLS_VERIFY is set but neither DOCKER_CERT_PATH nor HOME is",
                    )
                })?;
            Some(tls_files(&dir))
        } else {
            None
        };
        let mut endpoint = Endpoint {
            host,
            tls,
            source: "DOCKER_HOST".into(),
        };
        check_address(&endpoint)?;
        endpoint.host = with_default_port(&endpoint.host, endpoint.tls.is_some());
        return Ok(endpoint);
    }
    let dir = docker_config_dir(ambient);
    let context = ambient
        .var("DOCKER_CONTEXT")
        .filter(|v| !v.is_empty())
        .or_else(|| {
            let cfg = std::fs::read_to_string(dir.as_ref()?.join("config.json")).ok()?;
            let v: serde_json::Value = serde_json::from_str(&cfg).ok()?;
            v.get("currentContext")?.as_str().map(str::to_string)
        });
    match (context, dir) {
        (Some(name), Some(dir)) if name != "default" => context_endpoint(&dir, &name),
        _ => Ok(Endpoint {
            host: DEFAULT_SOCKET.into(),
            tls: None,
            source: "the default socket".into(),
        }),
    }
}

fn tls_files(dir: &Path) -> TlsFiles {
    TlsFiles {
        ca: dir.join("ca.pem"),
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    }
}

/// Read a docker context's endpoint from `contexts/meta/<sha256(name)>/meta.json`.
fn context_endpoint(dir: &Path, name: &str) -> Result<Endpoint> {
    let id = hex::encode(Sha256::digest(name.as_bytes()));
    let meta_path = dir.join("contexts/meta").join(&id).join("meta.json");
    let text = std::fs::read_to_string(&meta_path).map_err(|e| {
        Error::usage_because(
            format!(
                "docker context \"{name}\" is selected but {} cannot be read",
                meta_path.display()
            ),
            e,
        )
        .with_hint("run `docker context use default`, or set DOCKER_HOST")
    })?;
    let meta: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Error::usage_because(format!("{} is not valid JSON", meta_path.display()), e)
    })?;
    let docker = &meta["Endpoints"]["docker"];
    let host = docker["Host"]
        .as_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Error::usage(format!("docker context \"{name}\" has no docker endpoint")))?
        .to_string();
    let tls_dir = dir.join("contexts/tls").join(&id).join("docker");
    let tls = (host.starts_with("tcp://") && tls_dir.join("ca.pem").is_file())
        .then(|| tls_files(&tls_dir));
    let mut endpoint = Endpoint {
        host,
        tls,
        source: format!("docker context \"{name}\""),
    };
    check_address(&endpoint)?;
    endpoint.host = with_default_port(&endpoint.host, endpoint.tls.is_some());
    Ok(endpoint)
}
