//! One JSON POST to a webhook, over HTTPS (rustls, the system's trusted roots) or plain HTTP to
//! this machine, bounded by the send's deadline, retried a few times when the receiver says to
//! (429, 5xx, `Retry-After`) or cannot be reached.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

/// Attempts after the first, on 429, 5xx or a connection that failed.
const RETRIES: u32 = 2;
/// The wait before a retry, doubled each time, when the receiver does not say.
const BACKOFF: Duration = Duration::from_millis(500);
/// The longest `Retry-After` honoured; a longer one ends the tries.
const RETRY_AFTER_CAP: Duration = Duration::from_secs(3);
/// How much of an error answer is quoted.
const QUOTED: usize = 200;

/// `HMAC-SHA256(secret, body)` as the signature header's value: `sha256=<hex>`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    format!(
        "sha256={}",
        hex::encode(ring::hmac::sign(&key, body).as_ref())
    )
}

/// The URL with everything after the host hidden: where it went, never the token.
pub fn shown(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = host.rsplit('@').next().unwrap_or(host);
            format!("{scheme}://{host}/***")
        }
        None => "***".to_string(),
    }
}

/// Why one attempt did not deliver, and whether another may.
struct Refused {
    why: String,
    retry: Option<Duration>,
}

/// POST `body` to `url` until delivered, out of tries, or past `deadline`. `Ok(attempts)`.
pub async fn post(
    url: &str,
    body: &[u8],
    event: &str,
    signature: Option<String>,
    deadline: Instant,
) -> Result<u32, String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|_| "its URL is not a valid URL".to_string())?;
    let body = Bytes::copy_from_slice(body);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let left = deadline.saturating_duration_since(Instant::now());
        let tried =
            tokio::time::timeout(left, once(&uri, body.clone(), event, signature.as_deref())).await;
        let refused = match tried {
            Ok(Ok(())) => return Ok(attempt),
            Ok(Err(r)) => r,
            Err(_) => {
                return Err(format!(
                    "no answer within {}s{}",
                    super::BUDGET.as_secs(),
                    tries(attempt)
                ))
            }
        };
        let wait = match refused.retry {
            Some(wait) if attempt <= RETRIES => wait.max(BACKOFF * 2u32.pow(attempt - 1)),
            _ => return Err(format!("{}{}", refused.why, tries(attempt))),
        };
        if Instant::now() + wait >= deadline {
            return Err(format!("{}{}", refused.why, tries(attempt)));
        }
        tokio::time::sleep(wait).await;
    }
}

fn tries(attempt: u32) -> String {
    if attempt > 1 {
        format!(" (after {attempt} attempts)")
    } else {
        String::new()
    }
}

/// One attempt: connect, send, read the answer's status.
async fn once(
    uri: &http::Uri,
    body: Bytes,
    event: &str,
    signature: Option<&str>,
) -> Result<(), Refused> {
    let connect_failed = |e: &dyn std::fmt::Display| Refused {
        why: format!("cannot connect: {e}"),
        retry: Some(BACKOFF),
    };
    let host = uri
        .host()
        .unwrap_or("")
        .trim_matches(['[', ']'])
        .to_string();
    let https = uri.scheme_str() == Some("https");
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| connect_failed(&e))?;
    let authority = uri
        .authority()
        .map(|a| a.as_str().rsplit('@').next().unwrap_or("").to_string())
        .unwrap_or_default();
    let request = http::Request::post(uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"))
        .header(http::header::HOST, authority)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(
            http::header::USER_AGENT,
            concat!("devloop/", env!("CARGO_PKG_VERSION")),
        )
        .header("X-Devloop-Event", event);
    let request = match signature {
        Some(s) => request.header("X-Devloop-Signature", s),
        None => request,
    }
    .body(Full::new(body))
    .map_err(|e| Refused {
        why: format!("cannot make the request: {e}"),
        retry: None,
    })?;
    let response = if https {
        let name = rustls_pki_types::ServerName::try_from(host.clone()).map_err(|e| Refused {
            why: format!("{host} is not a host name TLS can check: {e}"),
            retry: None,
        })?;
        let tls = tokio_rustls::TlsConnector::from(tls_config())
            .connect(name, tcp)
            .await
            .map_err(|e| Refused {
                why: format!("TLS with {host} failed: {e}"),
                retry: None,
            })?;
        exchange(tls, request).await?
    } else {
        exchange(tcp, request).await?
    };
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let retry_after = response
        .headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let text =
        match tokio::time::timeout(Duration::from_secs(1), response.into_body().collect()).await {
            Ok(Ok(b)) => String::from_utf8_lossy(&b.to_bytes()).trim().to_string(),
            _ => String::new(),
        };
    let mut why = format!("the server answered {status}");
    if !text.is_empty() {
        let quoted: String = text.chars().take(QUOTED).collect();
        why.push_str(&format!(": {}", quoted.replace('\n', " ")));
    }
    let retryable = status == http::StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
    let retry = match retry_after {
        Some(after) if after > RETRY_AFTER_CAP => None,
        Some(after) if retryable => Some(after),
        _ if retryable => Some(BACKOFF),
        _ => None,
    };
    Err(Refused { why, retry })
}

/// HTTP/1.1 on a connected stream: send the request, return the answer's head and body.
async fn exchange<S>(
    io: S,
    request: http::Request<Full<Bytes>>,
) -> Result<http::Response<hyper::body::Incoming>, Refused>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let failed = |e: hyper::Error| Refused {
        why: format!("the connection failed: {e}"),
        retry: Some(BACKOFF),
    };
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(failed)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    sender.send_request(request).await.map_err(failed)
}

/// The TLS client settings: the system's trusted roots (as the AWS SDK uses), HTTP/1.1.
fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: std::sync::OnceLock<Arc<rustls::ClientConfig>> = std::sync::OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let mut config = match rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
            {
                Ok(b) => b.with_root_certificates(roots).with_no_client_auth(),
                Err(_) => rustls::ClientConfig::builder()
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth(),
            };
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Arc::new(config)
        })
        .clone()
}
