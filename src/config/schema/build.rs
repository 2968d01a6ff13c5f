//! `[build]`: how the image is built (context, Dockerfile, args, labels, tags, BuildKit secrets).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::MaybeSecret;
use crate::config::duration::Duration;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Build {
    /// Local image repository name; defaults to the app name.
    pub image: Option<Spanned<String>>,
    #[serde(default = "default_context")]
    pub context: String,
    /// Dockerfile path, relative to the directory of devloop.toml; defaults to `<context>/Dockerfile`.
    pub dockerfile: Option<String>,
    pub target: Option<String>,
    pub platform: Option<String>,
    #[serde(default)]
    pub args: BTreeMap<String, MaybeSecret>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default = "default_tags")]
    pub tags: Vec<Spanned<String>>,
    #[serde(default)]
    pub cache_from: Vec<String>,
    /// `true`: BuildKit; `false`: the classic builder; unset: BuildKit where the daemon supports it.
    pub buildkit: Option<bool>,
    /// Secrets for `RUN --mount=type=secret,id=<key>` (BuildKit), read when the build runs.
    #[serde(default)]
    pub secrets: BTreeMap<String, Spanned<BuildSecret>>,
    pub timeout: Option<Duration>,
}

/// Where a build secret's value comes from: exactly one of `env` or `file`. Only the source is
/// configured, never the value, so devloop.toml stays safe to commit.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BuildSecret {
    /// An environment variable of the build.
    pub env: Option<String>,
    /// A file, relative to devloop.toml (`~/` is the home directory).
    pub file: Option<String>,
}

impl Default for Build {
    fn default() -> Self {
        Build {
            image: None,
            context: default_context(),
            dockerfile: None,
            target: None,
            platform: None,
            args: BTreeMap::new(),
            labels: BTreeMap::new(),
            tags: default_tags(),
            cache_from: Vec::new(),
            buildkit: None,
            secrets: BTreeMap::new(),
            timeout: None,
        }
    }
}

fn default_context() -> String {
    ".".to_string()
}

fn default_tags() -> Vec<Spanned<String>> {
    vec![Spanned::new(0..0, "{short_sha}".to_string())]
}
