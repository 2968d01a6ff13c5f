//! Checks of single keys (`port`, `http`, `name`) that serde runs as it reads them, so the error
//! names the key and says what to write.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use crate::config::explain::about_the_key;

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

fn is_container_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && name.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}
