//! Connecting to the Docker daemon the way the docker CLI does: `DOCKER_HOST` (unix, tcp, and TLS
//! with `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`), else the active docker context, else the local
//! socket; then API version negotiation. Failures are exit 5 and name the address tried.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::{Docker, API_DEFAULT_VERSION};
use sha2::{Digest, Sha256};

use crate::config::Ambient;
use crate::error::{Error, ExitKind, Result};

const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";
/// Per-request limit given to bollard; long builds stream within one request, so it is generous.
const REQUEST_TIMEOUT_SECS: u64 = 6 * 3600;
/// How long the first contact may take before the daemon counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

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

/// A connected daemon: the client, the address it answers on, and the negotiated API version.
#[derive(Clone)]
pub struct Daemon {
    pub client: Docker,
    pub endpoint: Endpoint,
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
        return Ok(Endpoint {
            host,
            tls,
            source: "DOCKER_HOST".into(),
        });
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
        Error::usage(format!(
            "docker context \"{name}\" is selected but {} cannot be read: {e}",
            meta_path.display()
        ))
        .with_hint("run `docker context use default`, or set DOCKER_HOST")
    })?;
    let meta: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::usage(format!("{} is not valid JSON: {e}", meta_path.display())))?;
    let docker = &meta["Endpoints"]["docker"];
    let host = docker["Host"]
        .as_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Error::usage(format!("docker context \"{name}\" has no docker endpoint")))?
        .to_string();
    let tls_dir = dir.join("contexts/tls").join(&id).join("docker");
    let tls = (host.starts_with("tcp://") && tls_dir.join("ca.pem").is_file())
        .then(|| tls_files(&tls_dir));
    Ok(Endpoint {
        host,
        tls,
        source: format!("docker context \"{name}\""),
    })
}

impl Daemon {
    /// Connect and negotiate the API version; exit 5 with the address and what to do on failure.
    pub async fn connect(ambient: &Ambient) -> Result<Daemon> {
        let endpoint = endpoint(ambient)?;
        let unreachable = |why: String| {
            Error::unreachable(format!(
                "cannot reach the Docker daemon at {} (from {}): {why}",
                endpoint.host, endpoint.source
            ))
            .with_hint("start Docker (`sudo systemctl start docker`, or `sudo dockerd &`), or point DOCKER_HOST at a running daemon")
        };
        let host = endpoint.host.as_str();
        let client = if let Some(path) = host.strip_prefix("unix://") {
            Docker::connect_with_unix(path, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
        } else if host.starts_with("tcp://")
            || host.starts_with("http://")
            || host.starts_with("https://")
        {
            match &endpoint.tls {
                Some(t) => Docker::connect_with_ssl(
                    host,
                    &t.key,
                    &t.cert,
                    &t.ca,
                    REQUEST_TIMEOUT_SECS,
                    API_DEFAULT_VERSION,
                ),
                None => Docker::connect_with_http(host, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION),
            }
        } else {
            return Err(Error::usage(format!(
                "unsupported Docker host \"{host}\" (from {}): use unix:// or tcp://",
                endpoint.source
            )));
        }
        .map_err(|e| unreachable(describe(&e)))?;
        let client = tokio::time::timeout(CONNECT_TIMEOUT, client.negotiate_version())
            .await
            .map_err(|_| unreachable(format!("no answer within {}s", CONNECT_TIMEOUT.as_secs())))?
            .map_err(|e| unreachable(describe(&e)))?;
        Ok(Daemon { client, endpoint })
    }
}

impl Daemon {
    /// BuildKit through the Engine API needs API 1.39 or later (the negotiated version).
    pub fn supports_buildkit(&self) -> bool {
        let v = self.client.client_version();
        (v.major_version, v.minor_version) >= (1, 39)
    }
}

/// A short description of a bollard error without its Debug noise.
pub fn describe(e: &bollard::errors::Error) -> String {
    use bollard::errors::Error as B;
    match e {
        B::SocketNotFoundError(path) => format!("socket {path} does not exist"),
        B::DockerResponseServerError {
            status_code,
            message,
        } => format!("{message} (HTTP {status_code})"),
        B::DockerStreamError { error } => error.clone(),
        other => {
            let mut msg = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                let s_text = s.to_string();
                if !msg.contains(&s_text) {
                    msg.push_str(": ");
                    msg.push_str(&s_text);
                }
                source = s.source();
            }
            msg
        }
    }
}

/// Map a bollard error from an API call: transport failures are exit 5, the rest step failures.
pub fn api_error(what: &str, e: bollard::errors::Error) -> Error {
    use bollard::errors::Error as B;
    let kind = match &e {
        B::DockerResponseServerError { status_code, .. } if *status_code < 500 => {
            ExitKind::StepFailed
        }
        B::DockerResponseServerError { .. } | B::DockerStreamError { .. } => ExitKind::StepFailed,
        B::HyperLegacyError { .. } | B::SocketNotFoundError(_) | B::RequestTimeoutError => {
            ExitKind::Unreachable
        }
        _ => ExitKind::StepFailed,
    };
    Error::new(kind, format!("{what}: {}", describe(&e)))
}

/// Whether an error is the daemon saying "no such thing" (HTTP 404).
pub fn is_not_found(e: &bollard::errors::Error) -> bool {
    matches!(
        e,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_host_with_tls() {
        let a = Ambient::from_pairs([
            ("DOCKER_HOST", "tcp://10.0.0.5:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", "/certs"),
        ]);
        let e = endpoint(&a).unwrap();
        assert_eq!(e.host, "tcp://10.0.0.5:2376");
        assert_eq!(e.tls.unwrap().ca, PathBuf::from("/certs/ca.pem"));
    }

    #[test]
    fn active_context_is_read_from_docker_config() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"currentContext":"remote"}"#,
        )
        .unwrap();
        let id = hex::encode(Sha256::digest(b"remote"));
        let meta = dir.path().join("contexts/meta").join(id);
        std::fs::create_dir_all(&meta).unwrap();
        std::fs::write(
            meta.join("meta.json"),
            r#"{"Name":"remote","Endpoints":{"docker":{"Host":"unix:///run/other.sock","SkipTLSVerify":false}}}"#,
        )
        .unwrap();
        let a = Ambient::from_pairs([("DOCKER_CONFIG", dir.path().to_str().unwrap())]);
        let e = endpoint(&a).unwrap();
        assert_eq!(e.host, "unix:///run/other.sock");
        assert_eq!(e.source, "docker context \"remote\"");
        let none = Ambient::from_pairs([("HOME", "/nonexistent")]);
        assert_eq!(endpoint(&none).unwrap().host, DEFAULT_SOCKET);
    }
}
