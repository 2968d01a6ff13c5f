//! Typed values of the deploy target settings (ports, sizes, CPUs, restart policy, stop signal).
//!
//! Each parses from the string users write, so a bad value is refused when devloop.toml loads, with
//! its line and column, instead of in the middle of a deploy after a release was already pushed.

mod keys;
mod limits;
mod ports;
#[cfg(test)]
mod tests;

pub use keys::{container_name, http_path, nonzero_port};
pub use limits::{Cpus, MemorySize, Restart, StopSignal};
pub use ports::PortMap;

/// Why a value of a target setting was refused; its text is what the user reads at the value.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueError {
    /// A port mapping with a protocol other than tcp or udp.
    Protocol { mapping: String },
    /// A port mapping not shaped `[ip:]host:container[/proto]`.
    MappingShape { mapping: String },
    /// A port of a mapping that is not 1-65535.
    Port { mapping: String, port: String },
    /// An IPv4 host address in brackets.
    BracketedIpv4 { mapping: String, ip: String },
    /// A host address that is not an IP address.
    HostIp { mapping: String, ip: String },
    /// A memory size that does not parse.
    Memory { text: String },
    /// A memory size under the minimum Docker accepts.
    MemoryTooSmall { text: String },
    /// A CPU limit out of range.
    Cpus { cpus: f64 },
    /// A restart policy's retry count that is not a count.
    RetryCount { text: String },
    /// A restart policy Docker does not know.
    Restart { text: String },
    /// A stop signal Docker does not know.
    Signal { text: String },
}

impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ValueError::Protocol { mapping } => {
                write!(f, "port mapping \"{mapping}\": protocol must be tcp or udp")
            }
            ValueError::MappingShape { mapping } => write!(
                f,
                "port mapping \"{mapping}\" must be [ip:]host:container[/proto]"
            ),
            ValueError::Port { mapping, port } => write!(
                f,
                "port mapping \"{mapping}\": \"{port}\" is not a port number (1-65535)"
            ),
            ValueError::BracketedIpv4 { mapping, ip } => write!(
                f,
                "port mapping \"{mapping}\": brackets are for IPv6 addresses; write {ip}:… without them"
            ),
            ValueError::HostIp { mapping, ip } => write!(
                f,
                "port mapping \"{mapping}\": \"{ip}\" is not an IP address; write one such as 127.0.0.1 or [::1], or leave it out to publish on every interface"
            ),
            ValueError::Memory { text } => {
                write!(f, "memory \"{text}\" is not a size like 256m or 1g")
            }
            ValueError::MemoryTooSmall { text } => write!(
                f,
                "memory \"{text}\" is below the 6m minimum Docker accepts"
            ),
            ValueError::Cpus { cpus } => {
                write!(f, "cpus = {cpus} must be above 0 and at most 1024")
            }
            ValueError::RetryCount { text } => write!(f, "restart \"{text}\": bad retry count"),
            ValueError::Restart { text } => write!(
                f,
                "restart \"{text}\" must be one of no, always, unless-stopped, on-failure[:N]"
            ),
            ValueError::Signal { text } => f.write_str(&super::explain::about_the_key(&format!(
                "\"{text}\" is not a signal: write a name such as SIGTERM, SIGQUIT or SIGINT, a number from 1 to 64, or RTMIN+n / RTMAX-n"
            ))),
        }
    }
}

impl std::error::Error for ValueError {}
