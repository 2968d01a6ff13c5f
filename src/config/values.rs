//! Typed values of the deploy target settings (ports, sizes, CPUs, restart policy, stop signal).
//!
//! Each parses from the string users write, so a bad value is refused when devloop.toml loads, with
//! its line and column, instead of in the middle of a deploy after a release was already pushed.

use std::fmt;

use serde::{Deserialize, Serialize};

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
        let parts: Vec<&str> = spec.split(':').collect();
        let (host_ip, host_port, container) = match parts.as_slice() {
            [c] => (None, None, *c),
            [h, c] => (None, Some(port(h, &text)?), *c),
            [ip, h, c] => (
                Some(ip.to_string()),
                if h.is_empty() {
                    None
                } else {
                    Some(port(h, &text)?)
                },
                *c,
            ),
            _ => {
                return Err(format!(
                    "port mapping \"{text}\" must be [ip:]host:container[/proto]"
                ))
            }
        };
        Ok(PortMap {
            host_ip,
            host_port,
            container_port: port(container, &text)?,
            protocol,
        })
    }
}

impl fmt::Display for PortMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.host_ip, self.host_port) {
            (Some(ip), h) => write!(f, "{ip}:{}:", h.map(|h| h.to_string()).unwrap_or_default())?,
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
        if SIGNALS.contains(&bare) || bare.starts_with("RTMIN") || bare.starts_with("RTMAX") {
            return Ok(StopSignal(format!("SIG{bare}")));
        }
        Err(format!(
            "stop_signal \"{text}\" is not a signal name such as SIGTERM, SIGQUIT or SIGINT"
        ))
    }
}

impl From<StopSignal> for String {
    fn from(s: StopSignal) -> String {
        s.0
    }
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
    }
}
