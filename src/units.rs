//! How devloop writes sizes, durations and clock times for people, the same way everywhere.

use std::time::{Duration, SystemTime};

/// A byte count for people: `617 B`, `2.0 KiB`, `394.1 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// A step's duration: `350ms`, `1.2s`, `2m03s`.
pub fn short_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        let s = d.as_secs();
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// A duration in seconds with two decimals: `0.42s`.
pub fn secs(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}

/// The wall-clock time of day in UTC, `HH:MM:SS`, for lines a person follows live.
pub fn clock() -> String {
    let now = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    now.get(11..19).unwrap_or(&now).to_string()
}

/// Epoch seconds (as AWS reports times) in RFC 3339.
pub fn rfc3339(secs: i64) -> String {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(secs.max(0) as u64);
    humantime::format_rfc3339_seconds(at).to_string()
}
