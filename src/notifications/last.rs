//! `monitor --check` tells a channel only when its verdict changes: the last verdict each channel
//! was told (or had no need to be told) per environment is kept in `.devloop/notify-monitor.json`,
//! so a cron job running the check every minute does not flood the channel.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::Named;
use crate::config::schema::On;

const FILE: &str = "notify-monitor.json";

/// The last verdicts, by `<env>/<channel>` (and the services asked for, when `-s` narrowed it).
#[derive(Debug, Default)]
pub struct Last {
    path: Option<PathBuf>,
    verdicts: BTreeMap<String, String>,
}

/// The key of one channel's last verdict.
pub fn key(env: &str, services: &[String], channel: &str) -> String {
    if services.is_empty() {
        format!("{env}/{channel}")
    } else {
        let mut s = services.to_vec();
        s.sort();
        format!("{env}[{}]/{channel}", s.join(","))
    }
}

impl Last {
    /// The verdicts kept under `root` (none yet, or unreadable: every channel starts afresh).
    pub fn load(root: &Path) -> Last {
        let path = crate::state::dir(root).ok().map(|d| d.join(FILE));
        let verdicts = path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        Last { path, verdicts }
    }

    /// What the channel last had; a channel never told is taken to have heard "success", so the
    /// first check tells only when it fails.
    pub fn get(&self, key: &str) -> &str {
        self.verdicts
            .get(key)
            .map(String::as_str)
            .unwrap_or("success")
    }

    pub fn set(&mut self, key: String, verdict: On) {
        self.verdicts.insert(key, verdict.as_str().to_string());
    }

    /// Write the verdicts back (temp file, then rename: a crash leaves the old ones).
    pub fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
        let text = serde_json::to_string_pretty(&self.verdicts).unwrap_or_default();
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, path)
    }
}

/// The channels whose last verdict differs from `verdict`, with their keys.
pub fn changed_channels(
    last: &Last,
    all: Vec<Named>,
    env: &str,
    services: &[String],
    verdict: On,
) -> Vec<(String, Named)> {
    all.into_iter()
        .map(|n| (key(env, services, &n.name), n))
        .filter(|(k, _)| last.get(k) != verdict.as_str())
        .collect()
}
