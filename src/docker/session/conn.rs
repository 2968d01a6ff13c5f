//! devloop's own HTTP/1.1 connection to the daemon (hyper, over the unix socket, TCP, or TCP with
//! TLS as the docker CLI checks it): bollard does not expose the raw connection a session upgrades.

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::docker::connect::{Daemon, Endpoint, TlsFiles};
use crate::error::{Error, Result};

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
