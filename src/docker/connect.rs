//! Connecting to the Docker daemon the way the docker CLI does: `DOCKER_HOST` (unix, tcp, and TLS
//! with `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`), else the active docker context, else the local
//! socket; then API version negotiation. Failures are exit 5 and name the address tried.

use std::time::Duration;

use bollard::{Docker, API_DEFAULT_VERSION};

use crate::config::Ambient;
use crate::error::{Error, Result};

mod address;
mod endpoint;
mod errors;

pub use endpoint::{endpoint, Endpoint, TlsFiles};
pub use errors::{api_error, describe, is_not_found};

/// Per-request limit given to bollard; long builds stream within one request, so it is generous.
const REQUEST_TIMEOUT_SECS: u64 = 6 * 3600;
/// How long the first contact may take before the daemon counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// A connected daemon: the client, the address it answers on, and the negotiated API version.
#[derive(Clone)]
pub struct Daemon {
    pub client: Docker,
    pub endpoint: Endpoint,
}

impl Daemon {
    /// Connect and negotiate the API version; exit 5 with the address and what to do on failure,
    /// exit 2 when the address itself is wrong (malformed, or a path that is not a socket).
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
            if let Some(why) = address::not_a_socket(path) {
                return Err(Error::usage(format!(
                    "the Docker host \"{host}\" (from {}) is not a daemon's socket: {why}",
                    endpoint.source
                ))
                .with_hint("point DOCKER_HOST at the Docker daemon's socket (usually unix:///var/run/docker.sock), or unset it"));
            }
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
        .map_err(|e| unreachable(describe(&e)).caused_by(e))?;
        let client = tokio::time::timeout(CONNECT_TIMEOUT, client.negotiate_version())
            .await
            .map_err(|_| unreachable(format!("no answer within {}s", CONNECT_TIMEOUT.as_secs())))?
            .map_err(|e| unreachable(describe(&e)).caused_by(e))?;
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

#[cfg(test)]
mod tests;
