//! `[release]`: where a release is pushed and recorded, and the tags it gets.

use serde::{Deserialize, Serialize};
use toml::Spanned;

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// `ecr`, or `host[:port]/namespace` of any registry. Unset: the release is a tag in the local daemon.
    pub registry: Option<Spanned<String>>,
    /// Repository name in the registry; defaults to the image name.
    pub repository: Option<String>,
    /// Immutable tags pushed with the release; defaults to the build tags.
    pub tags: Option<Vec<Spanned<String>>>,
    /// Tags that move to every new release, such as `latest` or `{branch}`.
    #[serde(default)]
    pub moving_tags: Vec<Spanned<String>>,
    /// Where release records are kept besides `.devloop/releases/`: `s3://bucket/prefix`.
    pub ledger: Option<Spanned<String>>,
    #[serde(default)]
    pub allow_dirty: bool,
    #[serde(default)]
    pub ecr: Ecr,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Ecr {
    #[serde(default)]
    pub create_repository: bool,
    #[serde(default)]
    pub scan_on_push: bool,
    #[serde(default)]
    pub immutable_tags: bool,
    /// Registry endpoint override, e.g. a local registry standing in for ECR in tests.
    pub registry_endpoint: Option<String>,
}
