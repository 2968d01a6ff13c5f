//! Container runtime settings of the Docker targets: memory size, CPU limit, restart policy and
//! stop signal, each checked as Docker would check it.

use serde::{Deserialize, Serialize};

use super::ValueError;

/// A size in bytes written as `256m`, `1g`, `512k` or a byte count.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct MemorySize {
    pub bytes: i64,
    text: String,
}

impl TryFrom<String> for MemorySize {
    type Error = ValueError;
    fn try_from(text: String) -> Result<Self, ValueError> {
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
            .ok_or_else(|| ValueError::Memory { text: text.clone() })?;
        // The daemon refuses limits under 6 MiB; say so now rather than mid-deploy.
        if bytes < 6 << 20 {
            return Err(ValueError::MemoryTooSmall { text });
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
    type Error = ValueError;
    fn try_from(cpus: f64) -> Result<Self, ValueError> {
        if cpus > 0.0 && cpus <= 1024.0 {
            Ok(Cpus(cpus))
        } else {
            Err(ValueError::Cpus { cpus })
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
    type Error = ValueError;
    fn try_from(text: String) -> Result<Self, ValueError> {
        let (name, count) = match text.split_once(':') {
            Some((n, c)) => (
                n,
                Some(
                    c.parse::<i64>()
                        .ok()
                        .filter(|c| *c >= 0)
                        .ok_or_else(|| ValueError::RetryCount { text: text.clone() })?,
                ),
            ),
            None => (text.as_str(), None),
        };
        match name {
            "no" | "always" | "unless-stopped" if count.is_none() => {}
            "on-failure" => {}
            _ => return Err(ValueError::Restart { text }),
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
    type Error = ValueError;
    fn try_from(text: String) -> Result<Self, ValueError> {
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
        Err(ValueError::Signal { text })
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
