//! Parsing the container settings of the local targets: ports, memory, CPUs, volumes, restart.

use crate::error::{Error, Result};

/// `[ip:]host:container[/proto]`, or a bare container port (random host port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortMap {
    pub host_ip: Option<String>,
    pub host_port: Option<u16>,
    pub container_port: u16,
    pub protocol: String,
}

impl PortMap {
    pub fn key(&self) -> String {
        format!("{}/{}", self.container_port, self.protocol)
    }
}

fn port(text: &str, whole: &str) -> Result<u16> {
    text.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
        Error::usage(format!(
            "port mapping \"{whole}\": \"{text}\" is not a port number (1-65535)"
        ))
    })
}

pub fn parse_port(text: &str) -> Result<PortMap> {
    let (spec, protocol) = match text.rsplit_once('/') {
        Some((s, p)) if p == "tcp" || p == "udp" => (s, p.to_string()),
        Some(_) => {
            return Err(Error::usage(format!(
                "port mapping \"{text}\": protocol must be tcp or udp"
            )))
        }
        None => (text, "tcp".to_string()),
    };
    let parts: Vec<&str> = spec.split(':').collect();
    let (host_ip, host_port, container) = match parts.as_slice() {
        [c] => (None, None, *c),
        [h, c] => (None, Some(port(h, text)?), *c),
        [ip, h, c] => (
            Some(ip.to_string()),
            if h.is_empty() {
                None
            } else {
                Some(port(h, text)?)
            },
            *c,
        ),
        _ => {
            return Err(Error::usage(format!(
                "port mapping \"{text}\" must be [ip:]host:container[/proto]"
            )))
        }
    };
    Ok(PortMap {
        host_ip,
        host_port,
        container_port: port(container, text)?,
        protocol,
    })
}

/// `256m`, `1g`, `512k`, or bytes.
pub fn parse_memory(text: &str) -> Result<i64> {
    let t = text.trim().to_ascii_lowercase();
    let t = t.trim_end_matches('b');
    let (num, mult) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1i64 << 10),
        Some('m') => (&t[..t.len() - 1], 1 << 20),
        Some('g') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    num.trim()
        .parse::<f64>()
        .ok()
        .filter(|n| *n > 0.0)
        .map(|n| (n * mult as f64) as i64)
        .ok_or_else(|| Error::usage(format!("memory \"{text}\" is not a size like 256m or 1g")))
}

/// CPUs as nano-CPUs (`0.5` → 500,000,000).
pub fn nano_cpus(cpus: f64) -> Result<i64> {
    if !(cpus > 0.0 && cpus <= 1024.0) {
        return Err(Error::usage(format!("cpus = {cpus} must be above 0")));
    }
    Ok((cpus * 1e9) as i64)
}

/// `no`, `always`, `unless-stopped`, `on-failure[:N]`.
pub fn parse_restart(text: &str) -> Result<(bollard::models::RestartPolicyNameEnum, Option<i64>)> {
    use bollard::models::RestartPolicyNameEnum as R;
    let (name, count) = match text.split_once(':') {
        Some((n, c)) => (
            n,
            Some(
                c.parse::<i64>()
                    .map_err(|_| Error::usage(format!("restart \"{text}\": bad retry count")))?,
            ),
        ),
        None => (text, None),
    };
    let policy = match name {
        "no" => R::NO,
        "always" => R::ALWAYS,
        "unless-stopped" => R::UNLESS_STOPPED,
        "on-failure" => R::ON_FAILURE,
        other => {
            return Err(Error::usage(format!(
                "restart \"{other}\" must be one of no, always, unless-stopped, on-failure[:N]"
            )))
        }
    };
    Ok((policy, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        let p = parse_port("8080:80").unwrap();
        assert_eq!(
            (p.host_port, p.container_port, p.protocol.as_str()),
            (Some(8080), 80, "tcp")
        );
        let p = parse_port("127.0.0.1:53:53/udp").unwrap();
        assert_eq!(p.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(p.key(), "53/udp");
        assert_eq!(parse_port("80").unwrap().host_port, None);
        assert!(parse_port("80:http").is_err());
        assert!(parse_port("1:2:3:4").is_err());
    }

    #[test]
    fn sizes_cpus_restart() {
        assert_eq!(parse_memory("256m").unwrap(), 256 << 20);
        assert_eq!(parse_memory("1g").unwrap(), 1 << 30);
        assert_eq!(parse_memory("1024").unwrap(), 1024);
        assert!(parse_memory("lots").is_err());
        assert_eq!(nano_cpus(0.5).unwrap(), 500_000_000);
        assert!(nano_cpus(0.0).is_err());
        assert!(parse_restart("on-failure:3").is_ok());
        assert!(parse_restart("sometimes").is_err());
    }
}
