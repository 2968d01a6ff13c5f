//! The typed schema of `devloop.toml`, as serde reads it.
//!
//! Every table denies unknown keys so a typo is an error with a location, never a silently ignored
//! setting. Defaults live here; cross-field rules live in `resolve`. One module per section of the
//! file; the whole document and the values any section may mark secret are here.

mod aws;
mod build;
mod deploy;
mod local;
mod notify;
mod release;
mod test;

use serde::{Deserialize, Serialize, Serializer};
use toml::Spanned;

pub use aws::{Aws, BeanstalkTarget, BundleKind, EcsTarget, Manifest, RollbackMode};
pub use build::{Build, BuildSecret};
pub use deploy::{Deploy, Health, TargetKind};
pub use local::{DockerTarget, FailureAction, SwarmTarget, UpdateOrder};
pub use notify::{Channel, ChannelKind, On};
pub use release::{Ecr, Release};
pub use test::{Test, TestKind};

/// The whole file, after the selected `[env.<name>]` table has been merged over it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub app: App,
    #[serde(default)]
    pub build: Build,
    #[serde(default, rename = "test")]
    pub tests: Vec<Test>,
    #[serde(default)]
    pub release: Release,
    #[serde(default)]
    pub deploy: Deploy,
    #[serde(default)]
    pub aws: Aws,
    /// Where outcomes are told, by channel name.
    #[serde(default)]
    pub notify: std::collections::BTreeMap<String, Channel>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct App {
    /// Application name: names images, containers and services.
    pub name: Spanned<String>,
    /// Environment used when `-e/--env` is not given.
    pub default_env: Option<Spanned<String>>,
}

/// A value that may be marked secret: `KEY = "v"` or `KEY = { value = "v", secret = true }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "a string, or a table { value = \"...\", secret = true }"
)]
pub enum MaybeSecret {
    Plain(String),
    Detailed(DetailedValue),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DetailedValue {
    pub value: String,
    #[serde(default)]
    pub secret: bool,
}

/// Secrets serialize as `***`: the resolved config can be shown without leaking them.
impl Serialize for MaybeSecret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.is_secret() {
            s.serialize_str("***")
        } else {
            s.serialize_str(self.value())
        }
    }
}

impl MaybeSecret {
    pub fn value(&self) -> &str {
        match self {
            MaybeSecret::Plain(v) => v,
            MaybeSecret::Detailed(d) => &d.value,
        }
    }
    pub fn is_secret(&self) -> bool {
        matches!(
            self,
            MaybeSecret::Detailed(DetailedValue { secret: true, .. })
        )
    }
}
