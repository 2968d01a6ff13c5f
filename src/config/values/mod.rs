//! Typed values of the deploy target settings (ports, sizes, CPUs, restart policy, stop signal).
//!
//! Each parses from the string users write, so a bad value is refused when devloop.toml loads, with
//! its line and column, instead of in the middle of a deploy after a release was already pushed.

use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

use super::explain::about_the_key;

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

fn port(text: &str, whole: &str) -> Result<u16, String> {
    text.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
        format!("port mapping \"{whole}\": \"{text}\" is not a port number (1-65535)")
    })
}

impl TryFrom<String> for PortMap {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        let (spec, protocol) = match text.rsplit_once('/') {
            Some((s, p)) if p == "tcp" || p == "udp" => (s, p.to_string()),
            Some(_) => {
                return Err(format!(
                    "port mapping \"{text}\": protocol must be tcp or udp"
                ))
            }
            None => (text.as_str(), "tcp".to_string()),
        };
        let shape = || format!("port mapping \"{text}\" must be [ip:]host:container[/proto]");
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
fn host_ip(ip: &str, bracketed: bool, whole: &str) -> Result<String, String> {
    let parsed = ip.parse::<std::net::IpAddr>().ok();
    match parsed {
        Some(std::net::IpAddr::V4(a)) if !bracketed => Ok(a.to_string()),
        Some(std::net::IpAddr::V6(a)) if bracketed => Ok(a.to_string()),
        Some(std::net::IpAddr::V4(_)) => Err(format!(
            "port mapping \"{whole}\": brackets are for IPv6 addresses; write {ip}:… without them"
        )),
        _ => Err(format!(
            "port mapping \"{whole}\": \"{ip}\" is not an IP address; write one such as 127.0.0.1 or [::1], or leave it out to publish on every interface"
        )),
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

/// A size in bytes written as `256m`, `1g`, `512k` or a byte count.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct MemorySize {
    pub bytes: i64,
    text: String,
}

impl TryFrom<String> for MemorySize {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        let t = text.trim().to_ascii_lowercase();
        let t = t.trim_end_matches('b');
        let (num, mult) = match t.chars().last() {
            Some('k') => (&t[..t.len() - 1], 1i64 << 10),
            Some('m') => (&t[..t.len() - 1], 1 << 20),
            Some('g') => (&t[..t.len() - 1], 1 << 30),
            _ => (t, 1),
        };
        let bytes = num
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| *n > 0.0 && n.is_finite() && *n * (mult as f64) < 1e15)
            .map(|n| (n * mult as f64) as i64)
            .ok_or_else(|| format!("memory \"{text}\" is not a size like 256m or 1g"))?;
        // The daemon refuses limits under 6 MiB; say so now rather than mid-deploy.
        if bytes < 6 << 20 {
            return Err(format!(
                "memory \"{text}\" is below the 6m minimum Docker accepts"
            ));
        }
        Ok(MemorySize { bytes, text })
    }
}

impl From<MemorySize> for String {
    fn from(m: MemorySize) -> String {
        m.text
    }
}

/// A CPU limit (`0.5` is half a CPU), kept as nano-CPUs for the Docker API.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Cpus(f64);

impl Cpus {
    pub fn nano(self) -> i64 {
        (self.0 * 1e9) as i64
    }
}

impl TryFrom<f64> for Cpus {
    type Error = String;
    fn try_from(cpus: f64) -> Result<Self, String> {
        if cpus > 0.0 && cpus <= 1024.0 {
            Ok(Cpus(cpus))
        } else {
            Err(format!("cpus = {cpus} must be above 0 and at most 1024"))
        }
    }
}

impl From<Cpus> for f64 {
    fn from(c: Cpus) -> f64 {
        c.0
    }
}

/// `no`, `always`, `unless-stopped`, `on-failure[:N]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct Restart {
    pub name: String,
    pub max_retries: Option<i64>,
}

impl TryFrom<String> for Restart {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        let (name, count) = match text.split_once(':') {
            Some((n, c)) => (
                n,
                Some(
                    c.parse::<i64>()
                        .ok()
                        .filter(|c| *c >= 0)
                        .ok_or_else(|| format!("restart \"{text}\": bad retry count"))?,
                ),
            ),
            None => (text.as_str(), None),
        };
        match name {
            "no" | "always" | "unless-stopped" if count.is_none() => {}
            "on-failure" => {}
            _ => {
                return Err(format!(
                    "restart \"{text}\" must be one of no, always, unless-stopped, on-failure[:N]"
                ))
            }
        }
        Ok(Restart {
            name: name.to_string(),
            max_retries: count,
        })
    }
}

impl From<Restart> for String {
    fn from(r: Restart) -> String {
        match r.max_retries {
            Some(n) => format!("{}:{n}", r.name),
            None => r.name,
        }
    }
}

/// A stop signal: `SIGTERM`, `TERM`, `SIGQUIT`, or a number (`15`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct StopSignal(String);

const SIGNALS: &[&str] = &[
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];

impl StopSignal {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for StopSignal {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        let upper = text.trim().to_ascii_uppercase();
        if let Ok(n) = upper.parse::<u8>() {
            if (1..=64).contains(&n) {
                return Ok(StopSignal(n.to_string()));
            }
        }
        let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
        if SIGNALS.contains(&bare) || is_realtime(bare) {
            return Ok(StopSignal(format!("SIG{bare}")));
        }
        Err(about_the_key(&format!(
            "\"{text}\" is not a signal: write a name such as SIGTERM, SIGQUIT or SIGINT, a number from 1 to 64, or RTMIN+n / RTMAX-n"
        )))
    }
}

/// The real-time signals Docker knows by name: RTMIN, RTMIN+1 … RTMIN+15, RTMAX-14 … RTMAX-1, RTMAX.
fn is_realtime(bare: &str) -> bool {
    let offset = |rest: &str, sign: char, max: u8| {
        rest.is_empty()
            || rest.strip_prefix(sign).is_some_and(|n| {
                !n.is_empty()
                    && n.chars().all(|c| c.is_ascii_digit())
                    && n.parse::<u8>().is_ok_and(|n| (1..=max).contains(&n))
            })
    };
    if let Some(rest) = bare.strip_prefix("RTMIN") {
        offset(rest, '+', 15)
    } else if let Some(rest) = bare.strip_prefix("RTMAX") {
        offset(rest, '-', 14)
    } else {
        false
    }
}

impl From<StopSignal> for String {
    fn from(s: StopSignal) -> String {
        s.0
    }
}

/// `port = N`: a port from 1 to 65535 (0 would mean "any port" to the OS, never what is meant).
pub fn nonzero_port<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    match u16::deserialize(d)? {
        0 => Err(D::Error::custom(about_the_key(
            "must be a whole number from 1 to 65535 (0 is not a port), like port = 8080",
        ))),
        n => Ok(Some(n)),
    }
}

/// `http = "/healthz"`: the path of an HTTP probe.
pub fn http_path<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let path = String::deserialize(d)?;
    if path.starts_with('/') && !path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Ok(Some(path));
    }
    // "http://host/healthz" or "healthz": suggest the path part, with its slash.
    let after_host = path
        .split_once("://")
        .map(|(_, rest)| rest.find('/').map(|i| &rest[i..]).unwrap_or("/"))
        .unwrap_or(&path);
    let mut like: String = after_host
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    if !like.starts_with('/') {
        like.insert(0, '/');
    }
    Err(D::Error::custom(about_the_key(&format!(
        "must be a URL path starting with \"/\", without spaces, like http = {like:?}"
    ))))
}

/// `name = "…"` of a container: what Docker accepts, `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
pub fn container_name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let name = String::deserialize(d)?;
    if is_container_name(&name) {
        return Ok(Some(name));
    }
    let mut like: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    like = like
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string();
    if !is_container_name(&like) {
        like = "app-staging".to_string();
    }
    Err(D::Error::custom(about_the_key(&format!(
        "{name:?} is not a Docker container name: it must start with a letter or digit, then letters, digits, _ . or - (two characters at least), like name = {like:?}"
    ))))
}

pub fn is_container_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && name.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<PortMap, String> {
        PortMap::try_from(s.to_string())
    }

    #[test]
    fn ports() {
        let m = p("8080:80").unwrap();
        assert_eq!(
            (m.host_port, m.container_port, m.protocol.as_str()),
            (Some(8080), 80, "tcp")
        );
        let m = p("127.0.0.1:53:53/udp").unwrap();
        assert_eq!(m.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(m.key(), "53/udp");
        assert_eq!(m.to_string(), "127.0.0.1:53:53/udp");
        assert_eq!(p("80").unwrap().host_port, None);
        assert!(p("80:http")
            .unwrap_err()
            .contains("\"http\" is not a port number"));
        assert!(p("1:2:3:4").is_err());
        assert!(p("80/sctp").is_err());
        let m = p("[::1]:8080:80").unwrap();
        assert_eq!(m.host_ip.as_deref(), Some("::1"));
        assert_eq!(m.to_string(), "[::1]:8080:80");
        assert_eq!(p("[::]::80").unwrap().host_port, None);
        for bad in [
            "127.0.0.l:18931:80",
            "not-an-ip:8080:80",
            "999.999.999.999:8080:80",
            ":8080:80",
            "[127.0.0.1]:8080:80",
            "[::1:8080:80",
            "[::1]8080:80",
            "::1:8080:80",
        ] {
            assert!(p(bad).is_err(), "{bad} was accepted");
        }
        assert!(p("127.0.0.l:18931:80")
            .unwrap_err()
            .contains("\"127.0.0.l\" is not an IP address"));
    }

    #[test]
    fn clashing_host_ports() {
        let clash = |a: &str, b: &str| p(a).unwrap().clashes_with(&p(b).unwrap());
        assert!(clash("8080:80", "8080:81"));
        assert!(clash("127.0.0.1:8080:80", "8080:81"));
        assert!(clash("0.0.0.0:8080:80", "127.0.0.1:8080:81"));
        assert!(!clash("127.0.0.1:8080:80", "127.0.0.2:8080:80"));
        assert!(!clash("8080:80", "8080:80/udp"));
        assert!(!clash("8080:80", "8081:80"));
        assert!(!clash("80", "80"));
        assert!(!clash("0.0.0.0:8080:80", "[::1]:8080:80"));
    }

    #[test]
    fn sizes_cpus_restart_signals() {
        let m = |s: &str| MemorySize::try_from(s.to_string()).map(|m| m.bytes);
        assert_eq!(m("256m").unwrap(), 256 << 20);
        assert_eq!(m("1g").unwrap(), 1 << 30);
        assert!(m("1024").unwrap_err().contains("6m minimum"));
        assert!(m("lots").is_err());
        assert_eq!(Cpus::try_from(0.5).unwrap().nano(), 500_000_000);
        assert!(Cpus::try_from(0.0).is_err());
        assert!(Restart::try_from("on-failure:3".to_string()).is_ok());
        assert!(Restart::try_from("always:3".to_string()).is_err());
        assert!(Restart::try_from("sometimes".to_string()).is_err());
        let sig = |s: &str| StopSignal::try_from(s.to_string()).map(|s| s.0);
        assert_eq!(sig("term").unwrap(), "SIGTERM");
        assert_eq!(sig("SIGQUIT").unwrap(), "SIGQUIT");
        assert_eq!(sig("9").unwrap(), "9");
        assert!(sig("SIGNOPE").is_err());
        assert_eq!(sig("RTMIN").unwrap(), "SIGRTMIN");
        assert_eq!(sig("SIGRTMIN+3").unwrap(), "SIGRTMIN+3");
        assert_eq!(sig("rtmax-14").unwrap(), "SIGRTMAX-14");
        for bad in [
            "RTMINjunk",
            "RTMIN+",
            "RTMIN+16",
            "RTMAX-15",
            "RTMAX+1",
            "RTMIN-1",
            "0",
            "65",
        ] {
            assert!(sig(bad).is_err(), "{bad} was accepted");
        }
    }
}
