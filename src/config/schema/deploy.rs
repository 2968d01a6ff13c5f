//! `[deploy]`: which target an environment deploys to, how long it may take, and the health gate
//! a new release must pass.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{BeanstalkTarget, DockerTarget, EcsTarget, SwarmTarget};
use crate::config::duration::Duration;
use crate::config::values;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Docker,
    Swarm,
    Ecs,
    Beanstalk,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Docker => "docker",
            TargetKind::Swarm => "swarm",
            TargetKind::Ecs => "ecs",
            TargetKind::Beanstalk => "beanstalk",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    pub target: Option<Spanned<TargetKind>>,
    /// How long a deploy may take to settle before exit 4.
    pub timeout: Option<Duration>,
    #[serde(default)]
    pub health: Health,
    pub docker: Option<DockerTarget>,
    pub swarm: Option<SwarmTarget>,
    pub ecs: Option<EcsTarget>,
    pub beanstalk: Option<BeanstalkTarget>,
}

/// How a new release proves it is healthy before it takes over.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Health {
    /// HTTP path probed on `port`; a 2xx/3xx answer is healthy.
    #[serde(default, deserialize_with = "values::http_path")]
    pub http: Option<String>,
    /// TCP port probed for a connection (also the port `http` probes).
    #[serde(default, deserialize_with = "values::nonzero_port")]
    pub port: Option<u16>,
    /// Command run inside the container; exit 0 is healthy.
    pub command: Option<String>,
    /// Time between probes: at least 100ms.
    #[serde(default, deserialize_with = "crate::config::duration::probe_interval")]
    pub interval: Option<Duration>,
    pub retries: Option<u32>,
    pub start_period: Option<Duration>,
}
