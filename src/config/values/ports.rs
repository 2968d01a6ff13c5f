//! Port mappings (`[ip:]host:container[/proto]`) as the Docker targets publish them, and whether
//! two of them take the same host port.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ValueError;

/// `[ip:]host:container[/proto]`, or a bare container port (a random host port).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct PortMap {
    pub host_ip: Option<String>,
    pub host_port: Option<u16>,
    pub container_port: u16,
    pub protocol: String,
}

impl PortMap {
    /// `80/tcp`: how the Docker API names the container side.
    pub fn key(&self) -> String {
        format!("{}/{}", self.container_port, self.protocol)
    }
}

fn port(text: &str, whole: &str) -> Result<u16, ValueError> {
    text.parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| ValueError::Port {
            mapping: whole.to_string(),
            port: text.to_string(),
        })
}

impl TryFrom<String> for PortMap {
    type Error = ValueError;
    fn try_from(text: String) -> Result<Self, ValueError> {
        let (spec, protocol) = match text.rsplit_once('/') {
            Some((s, p)) if p == "tcp" || p == "udp" => (s, p.to_string()),
            Some(_) => return Err(ValueError::Protocol { mapping: text }),
            None => (text.as_str(), "tcp".to_string()),
        };
        let shape = || ValueError::MappingShape {
            mapping: text.clone(),
        };
        // An IPv6 host address goes in brackets: [::1]:8080:80.
        let (bracketed, rest) = match spec.strip_prefix('[') {
            Some(after) => {
                let (ip, rest) = after.split_once(']').ok_or_else(shape)?;
                (Some(ip), rest.strip_prefix(':').ok_or_else(shape)?)
            }
            None => (None, spec),
        };
        let parts: Vec<&str> = rest.split(':').collect();
        let (ip, host, container) = match (bracketed, parts.as_slice()) {
            (None, [c]) => (None, None, *c),
            (None, [h, c]) => (None, Some(*h), *c),
            (None, [ip, h, c]) => (Some(*ip), Some(*h), *c),
            (Some(ip), [h, c]) => (Some(ip), Some(*h), *c),
            _ => return Err(shape()),
        };
        let host_ip = match ip {
            Some(ip) => Some(host_ip(ip, bracketed.is_some(), &text)?),
            None => None,
        };
        let host_port = match host {
            Some("") if host_ip.is_some() => None,
            Some(h) => Some(port(h, &text)?),
            None => None,
        };
        Ok(PortMap {
            host_ip,
            host_port,
            container_port: port(container, &text)?,
            protocol,
        })
    }
}

/// The host address of a mapping: an IPv4 address, or IPv6 in brackets. Anything else is refused,
/// since Docker would publish it on every interface.
fn host_ip(ip: &str, bracketed: bool, whole: &str) -> Result<String, ValueError> {
    let parsed = ip.parse::<std::net::IpAddr>().ok();
    match parsed {
        Some(std::net::IpAddr::V4(a)) if !bracketed => Ok(a.to_string()),
        Some(std::net::IpAddr::V6(a)) if bracketed => Ok(a.to_string()),
        Some(std::net::IpAddr::V4(_)) => Err(ValueError::BracketedIpv4 {
            mapping: whole.to_string(),
            ip: ip.to_string(),
        }),
        _ => Err(ValueError::HostIp {
            mapping: whole.to_string(),
            ip: ip.to_string(),
        }),
    }
}

impl PortMap {
    /// Whether two mappings publish the same host port: same port and protocol, on the same
    /// address or where one of them takes every address.
    pub fn clashes_with(&self, other: &PortMap) -> bool {
        let (Some(a), Some(b)) = (self.host_port, other.host_port) else {
            return false;
        };
        if a != b || self.protocol != other.protocol {
            return false;
        }
        let parse = |ip: &Option<String>| {
            ip.as_deref()
                .and_then(|i| i.parse::<std::net::IpAddr>().ok())
        };
        match (parse(&self.host_ip), parse(&other.host_ip)) {
            (None, _) | (_, None) => true,
            (Some(x), Some(y)) => {
                x == y
                    || (x.is_unspecified() && x.is_ipv4() == y.is_ipv4())
                    || (y.is_unspecified() && x.is_ipv4() == y.is_ipv4())
            }
        }
    }
}

impl fmt::Display for PortMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.host_ip, self.host_port) {
            (Some(ip), h) => {
                let h = h.map(|h| h.to_string()).unwrap_or_default();
                if ip.contains(':') {
                    write!(f, "[{ip}]:{h}:")?
                } else {
                    write!(f, "{ip}:{h}:")?
                }
            }
            (None, Some(h)) => write!(f, "{h}:")?,
            (None, None) => {}
        }
        write!(f, "{}", self.container_port)?;
        if self.protocol != "tcp" {
            write!(f, "/{}", self.protocol)?;
        }
        Ok(())
    }
}

impl From<PortMap> for String {
    fn from(p: PortMap) -> String {
        p.to_string()
    }
}
