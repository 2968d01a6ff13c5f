//! Human durations in config (`90s`, `15m`, `1h30m`), parsed strictly so a typo is a located error.
//!
//! Every duration is bounded when it is read: a value no wait could sensibly need (`"100000000000y"`,
//! `--timeout 18446744073709551615s`) is refused up front instead of overflowing a deadline later.

use std::fmt;
use std::time::Instant;

use serde::{Deserialize, Deserializer};

/// The longest duration devloop.toml and the timeout flags accept: 7 days.
pub const MAX: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);
/// The longest look back `monitor --since` accepts: 365 days.
pub const MAX_SINCE: std::time::Duration = std::time::Duration::from_secs(365 * 24 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(pub std::time::Duration);

impl Duration {
    pub fn get(self) -> std::time::Duration {
        self.0
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl serde::Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_at_most(&text, MAX, "7 days (\"7d\")")
            .map(Duration)
            .map_err(|e| serde::de::Error::custom(super::explain::about_the_key(&e.to_string())))
    }
}

/// The shortest time between two health probes.
pub const MIN_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);

/// `deploy.health.interval`: a duration from 100ms to 7 days.
pub fn probe_interval<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(d)?;
    let about = |e: &str| serde::de::Error::custom(super::explain::about_the_key(e));
    let interval =
        parse_at_most(&text, MAX, "7 days (\"7d\")").map_err(|e| about(&e.to_string()))?;
    if interval < MIN_INTERVAL {
        return Err(about(&format!(
            "\"{}\" is too short: probes must be at least \"100ms\" apart",
            text.trim()
        )));
    }
    Ok(Some(Duration(interval)))
}

/// Why a duration was refused; its text is what the user reads.
#[derive(Debug, Clone)]
pub enum DurationError {
    /// A bare number: the unit is never guessed.
    NoUnit { text: String },
    /// Not a duration at all.
    Invalid {
        text: String,
        cause: humantime::DurationError,
    },
    /// Longer than devloop accepts there (`max` says the most, as the user would write it).
    TooLong { text: String, max: &'static str },
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::NoUnit { text: t } => write!(
                f,
                "\"{t}\" has no unit: write \"{t}s\" for seconds or \"{t}m\" for minutes"
            ),
            DurationError::Invalid { text: t, cause } => write!(
                f,
                "\"{t}\" is not a duration ({cause}): write something like \"90s\", \"15m\" or \"1h30m\""
            ),
            DurationError::TooLong { text, max } => write!(
                f,
                "\"{text}\" is too long: the most devloop accepts is {max}"
            ),
        }
    }
}

impl std::error::Error for DurationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DurationError::Invalid { cause, .. } => Some(cause),
            _ => None,
        }
    }
}

/// Parse `90s`, `15m`, `1h30m`, `500ms`. A bare number is refused: the unit is never guessed.
fn parse(text: &str) -> Result<std::time::Duration, DurationError> {
    let t = text.trim();
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
        return Err(DurationError::NoUnit {
            text: t.to_string(),
        });
    }
    humantime::parse_duration(t).map_err(|cause| DurationError::Invalid {
        text: t.to_string(),
        cause,
    })
}

/// [`parse`], refusing anything longer than `max` (described as `max_text` in the message).
fn parse_at_most(
    text: &str,
    max: std::time::Duration,
    max_text: &'static str,
) -> Result<std::time::Duration, DurationError> {
    let d = parse(text)?;
    if d > max {
        return Err(DurationError::TooLong {
            text: text.trim().to_string(),
            max: max_text,
        });
    }
    Ok(d)
}

/// A timeout flag (`--timeout`): at most [`MAX`].
pub fn parse_timeout(text: &str) -> Result<std::time::Duration, DurationError> {
    parse_at_most(text, MAX, "7 days (\"7d\")")
}

/// `monitor --since`: at most [`MAX_SINCE`].
pub fn parse_since(text: &str) -> Result<std::time::Duration, DurationError> {
    parse_at_most(text, MAX_SINCE, "365 days (\"365d\")")
}

/// The instant `d` from now, without overflow: a duration past what the clock can hold is a
/// deadline so far away it is never reached.
pub fn deadline_in(d: std::time::Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .or_else(|| now.checked_add(std::time::Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        assert_eq!(parse("90s").unwrap().as_secs(), 90);
        assert_eq!(parse("15m").unwrap().as_secs(), 900);
        assert_eq!(parse("1h30m").unwrap().as_secs(), 5400);
        assert_eq!(parse("500ms").unwrap().as_millis(), 500);
    }

    #[test]
    fn refuses_bare_numbers_and_garbage() {
        assert!(parse("90").unwrap_err().to_string().contains("no unit"));
        assert!(parse("soon")
            .unwrap_err()
            .to_string()
            .contains("write something like \"90s\""));
        assert!(parse("").is_err());
    }

    #[test]
    fn durations_are_bounded() {
        assert_eq!(parse_timeout("7d").unwrap(), MAX);
        assert_eq!(
            parse_timeout("18446744073709551615s")
                .unwrap_err()
                .to_string(),
            "\"18446744073709551615s\" is too long: the most devloop accepts is 7 days (\"7d\")"
        );
        assert!(parse_timeout("100000000000y").is_err());
        assert!(parse_timeout("7d 1s").is_err());
        assert_eq!(parse_since("365d").unwrap(), MAX_SINCE);
        assert!(parse_since("366d")
            .unwrap_err()
            .to_string()
            .contains("365 days"));
    }

    #[test]
    fn a_duration_that_does_not_parse_keeps_the_parser_error_as_its_cause() {
        let e = parse("soon").unwrap_err();
        let cause = std::error::Error::source(&e).expect("a cause");
        assert!(e.to_string().contains(&format!("({cause})")), "{e}");
    }

    #[test]
    fn deadlines_never_overflow() {
        let far = deadline_in(std::time::Duration::MAX);
        assert!(far > Instant::now() + std::time::Duration::from_secs(365 * 24 * 3600));
        let near = deadline_in(std::time::Duration::from_secs(1));
        assert!(near <= Instant::now() + std::time::Duration::from_secs(1));
    }
}
