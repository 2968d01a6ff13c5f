//! A BuildKit session served by devloop, as the docker CLI serves one: `POST /session` is upgraded
//! to HTTP/2 and the daemon calls back into devloop over it for the build context and Dockerfile
//! (FileSync), registry credentials (Auth), build secrets (Secrets) and liveness (Health).
//!
//! bollard's own session has no FileSync, so with it every build uploads the whole context as a
//! tar. With this one the daemon keeps its copy of the context between builds (keyed by the
//! session's shared key, derived from the context directory) and asks only for what changed.
//!
//! The upgrade needs a raw connection, which bollard does not expose, so this module speaks
//! HTTP/1.1 to the daemon itself (hyper) over the unix socket, TCP, or TCP with TLS.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::Empty;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::service::TowerToHyperService;
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use super::connect::Daemon;
use crate::config::Ambient;
use crate::error::{Error, Result};

mod conn;
mod services;

pub use conn::{api_prefix, error_text, request};

/// The gRPC methods devloop serves, announced to the daemon when the session opens.
const METHODS: [&str; 4] = [
    "/grpc.health.v1.Health/Check",
    "/moby.filesync.v1.FileSync/DiffCopy",
    "/moby.filesync.v1.Auth/Credentials",
    "/moby.buildkit.secrets.v1.Secrets/GetSecret",
];
/// How long a closing session may take to say goodbye before it is cut.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

pub struct Shared {
    pub path: PathBuf,
    /// Excluded after the daemon's own exclude patterns, so no exception brings them back.
    pub excludes: Vec<String>,
}

/// What a session offers the daemon.
pub struct Offer {
    /// Directories by the name BuildKit asks for them ("context", "dockerfile").
    pub dirs: HashMap<String, Shared>,
    /// Names the daemon's cached copy of the directories; the same directory gets the same key.
    pub shared_key: String,
    /// Shown by the daemon (`docker buildx du` and logs).
    pub name: String,
    /// For registry credentials when the build pulls a base image.
    pub ambient: Ambient,
    /// Build secrets by id, for `RUN --mount=type=secret`.
    pub secrets: HashMap<String, Vec<u8>>,
}

impl Offer {
    /// The shared key for a context directory: stable across runs, distinct per directory.
    pub fn shared_key_for(context: &std::path::Path) -> String {
        let mut h = Sha256::new();
        h.update(b"devloop-session-v1\n");
        h.update(context.as_os_str().as_encoded_bytes());
        hex::encode(h.finalize())
    }
}

/// An open session; the daemon can call devloop until it is closed (or dropped).
pub struct Session {
    pub id: String,
    stop: Option<oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<()>,
    broken: Arc<Mutex<Option<String>>>,
}

impl Session {
    pub async fn open(daemon: &Daemon, offer: Offer) -> Result<Session> {
        let id = super::container::unique_name("devloop-session");
        let mut req = http::Request::post(format!("{}/session", api_prefix(daemon)))
            .header(http::header::HOST, "docker")
            .header(http::header::CONNECTION, "Upgrade")
            .header(http::header::UPGRADE, "h2c")
            .header("X-Docker-Expose-Session-Uuid", &id)
            .header("X-Docker-Expose-Session-Name", header_safe(&offer.name))
            .header("X-Docker-Expose-Session-Sharedkey", &offer.shared_key);
        for m in METHODS {
            req = req.header("X-Docker-Expose-Session-Grpc-Method", m);
        }
        let req = req
            .body(Empty::new())
            .map_err(|e| Error::failed_because("cannot form the session request", e))?;
        let res = request(&daemon.endpoint, req).await?;
        if res.status() != http::StatusCode::SWITCHING_PROTOCOLS {
            return Err(Error::failed(format!(
                "the daemon refused a build session: {}",
                error_text(res).await
            )));
        }
        let upgraded = hyper::upgrade::on(res)
            .await
            .map_err(|e| Error::failed_because("the build session did not start", e))?;
        let routes = services::routes(offer);
        // The daemon is the HTTP/2 client on this connection; devloop serves.
        let conn = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .serve_connection(upgraded, TowerToHyperService::new(routes));
        let (stop, stopped) = oneshot::channel::<()>();
        let broken: Arc<Mutex<Option<String>>> = Arc::default();
        let outcome = broken.clone();
        let server = tokio::spawn(async move {
            let mut conn = std::pin::pin!(conn);
            let result = tokio::select! {
                r = conn.as_mut() => r,
                _ = stopped => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let (Err(e), Ok(mut slot)) = (result, outcome.lock()) {
                *slot = Some(error_chain(&e));
            }
        });
        Ok(Session {
            id,
            stop: Some(stop),
            server,
            broken,
        })
    }

    /// Why the session's connection failed, if it did.
    pub fn failure(&self) -> Option<String> {
        self.broken.lock().ok().and_then(|s| s.clone())
    }

    /// Close the session: the daemon is told goodbye, and the connection is cut if it lingers.
    pub async fn close(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = tokio::time::timeout(CLOSE_GRACE, &mut self.server).await;
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// An error with its causes: hyper's own message is only "http2 error".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// Header values must be visible ASCII; anything else becomes `_`.
fn header_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
