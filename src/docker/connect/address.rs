//! Whether a daemon address is one devloop can dial, checked before dialling (a malformed address
//! is a usage error, not an unreachable daemon), and the docker CLI's default ports.

use super::Endpoint;
use crate::error::{Error, Result};

/// Whether the address is one devloop can dial, checked before dialling: a malformed address is a
/// configuration mistake (exit 2, with the reason), not an unreachable daemon.
pub(super) fn check_address(endpoint: &Endpoint) -> Result<()> {
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
pub(super) fn with_default_port(host: &str, tls: bool) -> String {
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
pub(super) fn not_a_socket(path: &str) -> Option<String> {
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
