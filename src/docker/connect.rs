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

/// Whether the address is one devloop can dial, checked before dialling: a malformed address is a
/// configuration mistake (exit 2, with the reason), not an unreachable daemon.
fn check_address(endpoint: &Endpoint) -> Result<()> {
    let host = endpoint.host.as_str();
    let bad = |why: String| {
        Error::usage(format!(
            "the Docker host \"{host}\" (from {}) is not a valid address: {why}",
            endpoint.source
        ))
        .with_hint("write it as unix:///path/to/docker.sock or tcp://HOST:PORT")
    };
    if let Some(path) = host.strip_prefix("unix://") {
        if path.is_empty() {
            return Err(bad("it names no socket path".into()));
        }
        return Ok(());
    }
    let Some(rest) = ["tcp://", "http://", "https://"]
        .iter()
        .find_map(|scheme| host.strip_prefix(scheme))
    else {
        return Err(Error::usage(format!(
            "unsupported Docker host \"{host}\" (from {}): use unix:// or tcp://",
            endpoint.source
        )));
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let port = if let Some(v6) = authority.strip_prefix('[') {
        let Some((addr, after)) = v6.split_once(']') else {
            return Err(bad("the IPv6 address has no closing \"]\"".into()));
        };
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad(format!("\"{addr}\" is not an IPv6 address")));
        }
        match after {
            "" => None,
            p => match p.strip_prefix(':') {
                Some(p) => Some(p),
                None => return Err(bad(format!("unexpected \"{p}\" after the IPv6 address"))),
            },
        }
    } else {
        let (name, port) = match authority.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (authority, None),
        };
        if name.is_empty() {
            return Err(bad("it names no host".into()));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            return Err(bad(format!("\"{name}\" is not a host name or IP address")));
        }
        port
    };
    if let Some(p) = port {
        if !p.parse::<u16>().is_ok_and(|p| p > 0) {
            return Err(bad(format!("port \"{p}\" is not a number from 1 to 65535")));
        }
    }
    Ok(())
}

/// `tcp://HOST` with no port means the Docker port, as for the docker CLI: 2376 with TLS, else 2375.
fn with_default_port(host: &str, tls: bool) -> String {
    let Some(rest) = host.strip_prefix("tcp://") else {
        return host.to_string();
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let has_port = match authority.rfind(']') {
        Some(i) => authority[i..].contains(':'),
        None => authority.contains(':'),
    };
    if has_port {
        host.to_string()
    } else {
        let port = if tls { 2376 } else { 2375 };
        format!("tcp://{authority}:{port}{path}")
    }
}

/// Why a `unix://` address cannot be a daemon's socket, when something that is not a socket is
/// there (a missing path is a daemon that is not running, and is left to the dial to report).
fn not_a_socket(path: &str) -> Option<String> {
    use std::os::unix::fs::FileTypeExt;
    let meta = std::fs::metadata(path).ok()?;
    let ft = meta.file_type();
    if ft.is_socket() {
        return None;
    }
    let what = if ft.is_dir() {
        "a directory"
    } else if ft.is_file() {
        "a regular file"
    } else {
        "not a socket"
    };
    Some(format!("{path} is {what}, not a socket"))
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
            if let Some(why) = not_a_socket(path) {
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

/// A short description of a bollard error in plain words, without its Debug noise or the names
/// of the HTTP client's layers ("Error in the hyper legacy client: client error (Connect)").
pub fn describe(e: &bollard::errors::Error) -> String {
    use bollard::errors::Error as B;
    match e {
        B::SocketNotFoundError(path) if path.is_empty() => "no socket path was given".into(),
        B::SocketNotFoundError(path) => format!("socket {path} does not exist"),
        B::DockerResponseServerError {
            status_code,
            message,
        } => format!("{message} (HTTP {status_code})"),
        B::DockerStreamError { error } => error.clone(),
        B::RequestTimeoutError => "the daemon did not answer in time".into(),
        B::HyperLegacyError { err } => transport(err),
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

/// What went wrong on the way to the daemon, from the innermost cause: the operating system's
/// error when there is one, else the last words of the chain.
fn transport(err: &(dyn std::error::Error + 'static)) -> String {
    use std::io::ErrorKind as K;
    let mut innermost = err.to_string();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let mut dns = false;
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            let os = io.to_string();
            if dns {
                return format!("cannot resolve the host name ({os})");
            }
            return match io.kind() {
                K::ConnectionRefused => {
                    "connection refused: nothing is listening at that address".into()
                }
                K::NotFound => "no such socket".into(),
                K::PermissionDenied => format!(
                    "permission denied ({os}): this user may not use the daemon's socket (the `docker` group, or sudo)"
                ),
                K::TimedOut => "the connection timed out".into(),
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                    "the daemon closed the connection".into()
                }
                _ => os,
            };
        }
        innermost = s.to_string();
        dns |= innermost == "dns error";
        source = s.source();
    }
    match innermost.as_str() {
        "connection closed before message completed" => {
            "the daemon closed the connection before it answered".into()
        }
        _ => innermost,
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
    Error::new(kind, format!("{what}: {}", describe(&e))).caused_by(e)
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

    fn from_host(host: &str) -> Result<Endpoint> {
        endpoint(&Ambient::from_pairs([("DOCKER_HOST", host)]))
    }

    #[test]
    fn a_malformed_docker_host_is_a_usage_error_with_the_reason() {
        for (host, why) in [
            ("tcp://[::1", "the IPv6 address has no closing \"]\""),
            ("tcp://[zz::1]:2375", "\"zz::1\" is not an IPv6 address"),
            ("tcp://", "it names no host"),
            ("tcp://:2375", "it names no host"),
            ("tcp://host:notaport", "port \"notaport\" is not a number"),
            ("tcp://host:0", "port \"0\" is not a number"),
            ("tcp://host:99999", "port \"99999\" is not a number"),
            ("tcp://bad host:2375", "\"bad host\" is not a host name"),
            ("unix://", "it names no socket path"),
            ("garbage://x", "unsupported Docker host"),
        ] {
            let e = from_host(host).unwrap_err();
            assert_eq!(e.kind, ExitKind::Usage, "{host}: {}", e.message);
            assert!(e.message.contains(why), "{host}: {}", e.message);
            assert!(e.message.contains(host), "{host}: {}", e.message);
        }
        for host in [
            "tcp://127.0.0.1:2375",
            "tcp://[::1]:2375",
            "tcp://[::1]",
            "tcp://docker.example.com",
            "tcp://my_host-1.local:2376/",
            "https://10.0.0.5:2376",
            "unix:///var/run/docker.sock",
        ] {
            assert!(from_host(host).is_ok(), "{host}");
        }
    }

    #[test]
    fn tcp_without_a_port_means_the_docker_port() {
        assert_eq!(from_host("tcp://h").unwrap().host, "tcp://h:2375");
        let tls = Ambient::from_pairs([
            ("DOCKER_HOST", "tcp://h"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", "/certs"),
        ]);
        assert_eq!(endpoint(&tls).unwrap().host, "tcp://h:2376");
        assert_eq!(with_default_port("tcp://h", false), "tcp://h:2375");
        assert_eq!(with_default_port("tcp://h", true), "tcp://h:2376");
        assert_eq!(with_default_port("tcp://[::1]", false), "tcp://[::1]:2375");
        assert_eq!(with_default_port("tcp://[::1]:9", false), "tcp://[::1]:9");
        assert_eq!(with_default_port("tcp://h:9/x", false), "tcp://h:9/x");
        assert_eq!(with_default_port("tcp://h/x", false), "tcp://h:2375/x");
        assert_eq!(with_default_port("unix:///s", false), "unix:///s");
    }

    #[tokio::test]
    async fn a_unix_path_that_is_not_a_socket_says_so_and_is_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("docker.sock");
        std::fs::write(&file, "not a socket").unwrap();
        for (path, what) in [
            (file.display().to_string(), "a regular file"),
            (dir.path().display().to_string(), "a directory"),
        ] {
            let host = format!("unix://{path}");
            let e = match Daemon::connect(&Ambient::from_pairs([("DOCKER_HOST", host.as_str())]))
                .await
            {
                Ok(_) => panic!("{host} connected"),
                Err(e) => e,
            };
            assert_eq!(e.kind, ExitKind::Usage, "{}", e.message);
            assert!(
                e.message
                    .contains(&format!("{path} is {what}, not a socket")),
                "{}",
                e.message
            );
            assert!(!e.message.contains("refused"), "{}", e.message);
            assert!(!e.hint.unwrap_or_default().contains("start Docker"));
        }
    }

    #[tokio::test]
    async fn transport_failures_are_said_in_plain_words() {
        // A socket nobody listens on: left behind by a daemon that stopped.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stale.sock");
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        for host in [
            format!("unix://{}", path.display()),
            format!("tcp://127.0.0.1:{port}"),
        ] {
            let e = match Daemon::connect(&Ambient::from_pairs([("DOCKER_HOST", host.as_str())]))
                .await
            {
                Ok(_) => panic!("{host} connected"),
                Err(e) => e,
            };
            assert_eq!(e.kind, ExitKind::Unreachable, "{}", e.message);
            assert!(
                e.message
                    .ends_with("connection refused: nothing is listening at that address"),
                "{}",
                e.message
            );
            assert!(!e.message.contains("hyper"), "{}", e.message);
            assert!(!e.message.contains("client error"), "{}", e.message);
        }
    }
}
