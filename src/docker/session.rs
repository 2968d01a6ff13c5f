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
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::fsutil::types::Packet;
use bollard::health::health_check_response::ServingStatus;
use bollard::health::health_server::{Health, HealthServer};
use bollard::health::{
    HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse,
};
use bollard::moby::buildkit::secrets::v1::secrets_server::{
    Secrets as SecretsService, SecretsServer,
};
use bollard::moby::buildkit::secrets::v1::{GetSecretRequest, GetSecretResponse};
use bollard::moby::filesync::packet::file_sync_server::{FileSync, FileSyncServer};
use bollard::moby::filesync::v1::auth_server::{Auth, AuthServer};
use bollard::moby::filesync::v1::{
    CredentialsRequest, CredentialsResponse, FetchTokenRequest, FetchTokenResponse,
    GetTokenAuthorityRequest, GetTokenAuthorityResponse, VerifyTokenAuthorityRequest,
    VerifyTokenAuthorityResponse,
};
use bytes::Bytes;
use futures_util::Stream;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};
use tonic::{Request, Response, Status, Streaming};

use super::connect::{Daemon, Endpoint, TlsFiles};
use super::filesync;
use crate::config::Ambient;
use crate::error::{Error, Result};

/// The gRPC methods devloop serves, announced to the daemon when the session opens.
const METHODS: [&str; 4] = [
    "/grpc.health.v1.Health/Check",
    "/moby.filesync.v1.FileSync/DiffCopy",
    "/moby.filesync.v1.Auth/Credentials",
    "/moby.buildkit.secrets.v1.Secrets/GetSecret",
];
/// How long a closing session may take to say goodbye before it is cut.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// A byte stream to the daemon.
trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

async fn dial(endpoint: &Endpoint) -> io::Result<Box<dyn Io>> {
    let host = endpoint.host.as_str();
    if let Some(path) = host.strip_prefix("unix://") {
        return Ok(Box::new(tokio::net::UnixStream::connect(path).await?));
    }
    let addr = ["tcp://", "http://", "https://"]
        .iter()
        .find_map(|s| host.strip_prefix(s))
        .map(|a| a.trim_end_matches('/'))
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::Unsupported,
                format!("devloop cannot open its own connection to {host}"),
            )
        })?;
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let Some(files) = &endpoint.tls else {
        return Ok(Box::new(stream));
    };
    // As the docker CLI with DOCKER_TLS_VERIFY: the daemon's certificate must chain to the CA
    // and name the host; devloop presents the client certificate.
    let config = tls_config(files)?;
    let name = addr
        .rsplit_once(':')
        .map(|(h, _)| h)
        .unwrap_or(addr)
        .trim_start_matches('[')
        .trim_end_matches(']');
    let name = rustls_pki_types::ServerName::try_from(name.to_string())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{name}: {e}")))?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, stream)
        .await?;
    Ok(Box::new(tls))
}

/// The TLS client configuration from `ca.pem`, `cert.pem` and `key.pem`.
fn tls_config(files: &TlsFiles) -> io::Result<rustls::ClientConfig> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |path: &std::path::Path, e: &dyn std::fmt::Display| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&files.ca).map_err(|e| bad(&files.ca, &e))? {
        roots
            .add(cert.map_err(|e| bad(&files.ca, &e))?)
            .map_err(|e| bad(&files.ca, &e))?;
    }
    let chain = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| bad(&files.cert, &e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| bad(&files.cert, &e))?;
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| bad(&files.key, &e))?;
    rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|e| bad(&files.cert, &e))
}

/// The API path prefix for the negotiated version (`/v1.41`).
pub fn api_prefix(daemon: &Daemon) -> String {
    let v = daemon.client.client_version();
    format!("/v{}.{}", v.major_version, v.minor_version)
}

/// Send one request on a fresh HTTP/1.1 connection (upgrades allowed).
pub async fn request(
    endpoint: &Endpoint,
    req: http::Request<Empty<Bytes>>,
) -> Result<http::Response<Incoming>> {
    let what = format!(
        "cannot reach the Docker daemon at {} (from {})",
        endpoint.host, endpoint.source
    );
    let io = dial(endpoint)
        .await
        .map_err(|e| Error::unreachable_because(&what, e))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| Error::unreachable_because(&what, e))?;
    tokio::spawn(async move {
        // Ends with the response (or the upgraded stream); its errors surface on the request.
        let _ = conn.with_upgrades().await;
    });
    sender
        .send_request(req)
        .await
        .map_err(|e| Error::unreachable_because(&what, e))
}

/// The text of an error response: the daemon's `{"message": …}`, else the body as it is.
pub async fn error_text(res: http::Response<Incoming>) -> String {
    let status = res.status();
    let body = res
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let message = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(&body).trim().to_string());
    format!("{status}: {message}")
}

/// A directory the daemon may read.
#[derive(Debug, Clone)]
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
        let routes = tonic::service::Routes::new(HealthServer::new(Alive))
            .add_service(FileSyncServer::new(Files { dirs: offer.dirs }))
            .add_service(AuthServer::new(Credentials {
                ambient: offer.ambient,
            }))
            .add_service(SecretsServer::new(Secrets {
                values: offer.secrets,
            }))
            .prepare();
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

/// The daemon checks the session is alive while the build runs.
struct Alive;

#[tonic::async_trait]
impl Health for Alive {
    async fn check(
        &self,
        _: Request<HealthCheckRequest>,
    ) -> std::result::Result<Response<HealthCheckResponse>, Status> {
        Ok(Response::new(HealthCheckResponse {
            status: ServingStatus::Serving as i32,
        }))
    }

    async fn list(
        &self,
        _: Request<HealthListRequest>,
    ) -> std::result::Result<Response<HealthListResponse>, Status> {
        Err(Status::unimplemented("list is not served"))
    }

    type WatchStream =
        futures_util::stream::Empty<std::result::Result<HealthCheckResponse, Status>>;

    async fn watch(
        &self,
        _: Request<HealthCheckRequest>,
    ) -> std::result::Result<Response<Self::WatchStream>, Status> {
        Err(Status::unimplemented("watch is not served"))
    }
}

/// Packets out of a DiffCopy call.
type PacketStream = Pin<Box<dyn Stream<Item = std::result::Result<Packet, Status>> + Send>>;

/// Packets in flight per call; with 64 KiB data packets this bounds memory to a few MiB.
const PACKETS_IN_FLIGHT: usize = 32;

struct Files {
    dirs: HashMap<String, Shared>,
}

#[tonic::async_trait]
impl FileSync for Files {
    type DiffCopyStream = PacketStream;

    async fn diff_copy(
        &self,
        request: Request<Streaming<Packet>>,
    ) -> std::result::Result<Response<PacketStream>, Status> {
        let mut req = filesync::Request::from_metadata(request.metadata());
        let shared = self.dirs.get(&req.dir).ok_or_else(|| {
            Status::not_found(format!("devloop offers no directory named {:?}", req.dir))
        })?;
        req.excludes.extend(shared.excludes.iter().cloned());
        let root = shared.path.clone();
        let (tx, mut rx) = mpsc::channel(PACKETS_IN_FLIGHT);
        tokio::spawn(filesync::serve(root, req, request.into_inner(), tx));
        let out = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
        Ok(Response::new(Box::pin(out)))
    }

    type TarStreamStream = PacketStream;

    async fn tar_stream(
        &self,
        _: Request<Streaming<Packet>>,
    ) -> std::result::Result<Response<PacketStream>, Status> {
        Err(Status::unimplemented(
            "devloop serves the context with DiffCopy",
        ))
    }
}

/// Registry credentials for base images, from the Docker config as the docker CLI reads it.
struct Credentials {
    ambient: Ambient,
}

#[tonic::async_trait]
impl Auth for Credentials {
    async fn credentials(
        &self,
        request: Request<CredentialsRequest>,
    ) -> std::result::Result<Response<CredentialsResponse>, Status> {
        let host = request.into_inner().host;
        let ambient = self.ambient.clone();
        let found = crate::registry::config_credentials(&ambient, docker_config_key(&host))
            .await
            .map_err(|e| Status::unavailable(e.message))?;
        Ok(Response::new(match found {
            Some(a) => CredentialsResponse {
                username: a.username,
                secret: a.password,
            },
            None => CredentialsResponse::default(),
        }))
    }

    async fn fetch_token(
        &self,
        _: Request<FetchTokenRequest>,
    ) -> std::result::Result<Response<FetchTokenResponse>, Status> {
        Err(Status::unimplemented(
            "devloop hands out credentials, not tokens",
        ))
    }

    async fn get_token_authority(
        &self,
        _: Request<GetTokenAuthorityRequest>,
    ) -> std::result::Result<Response<GetTokenAuthorityResponse>, Status> {
        Err(Status::unimplemented("no token authority"))
    }

    async fn verify_token_authority(
        &self,
        _: Request<VerifyTokenAuthorityRequest>,
    ) -> std::result::Result<Response<VerifyTokenAuthorityResponse>, Status> {
        Err(Status::unimplemented("no token authority"))
    }
}

/// Build secrets, handed to the daemon only when a `RUN --mount=type=secret` step asks.
struct Secrets {
    values: HashMap<String, Vec<u8>>,
}

#[tonic::async_trait]
impl SecretsService for Secrets {
    async fn get_secret(
        &self,
        request: Request<GetSecretRequest>,
    ) -> std::result::Result<Response<GetSecretResponse>, Status> {
        let id = request.into_inner().id;
        match self.values.get(&id) {
            Some(data) => Ok(Response::new(GetSecretResponse { data: data.clone() })),
            // NotFound is what BuildKit expects for a missing secret (`required=false` mounts).
            None => Err(Status::not_found(format!(
                "secret \"{id}\" is not in [build.secrets]"
            ))),
        }
    }
}

/// BuildKit asks for Docker Hub as `registry-1.docker.io`; the Docker config files it under the
/// index (`https://index.docker.io/v1/`).
fn docker_config_key(host: &str) -> &str {
    match host {
        "registry-1.docker.io" | "docker.io" => "index.docker.io",
        other => other,
    }
}
