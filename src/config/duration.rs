//! Human durations in config (`90s`, `15m`, `1h30m`), parsed strictly so a typo is a located error.

use std::fmt;

use serde::{Deserialize, Deserializer};

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
        parse(&text).map(Duration).map_err(serde::de::Error::custom)
    }
}

/// Parse `90s`, `15m`, `1h30m`, `500ms`. A bare number is refused: the unit is never guessed.
pub fn parse(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "duration \"{text}\" has no unit: write \"{t}s\" for seconds or \"{t}m\" for minutes"
        ));
    }
    humantime::parse_duration(t).map_err(|e| {
        format!("invalid duration \"{text}\" ({e}): expected something like 90s, 15m or 1h30m")
    })
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
        assert!(parse("90").unwrap_err().contains("no unit"));
        assert!(parse("soon")
            .unwrap_err()
            .contains("expected something like"));
        assert!(parse("").is_err());
    }
}
