//! `[deploy.docker]` and `[deploy.swarm]`: the targets on a Docker daemon.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::MaybeSecret;
use crate::config::duration::Duration;
use crate::config::values::{self, Cpus, MemorySize, PortMap, Restart, StopSignal};

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DockerTarget {
    /// Container name; defaults to `<app>-<env>`.
    #[serde(default, deserialize_with = "values::container_name")]
    pub name: Option<String>,
    #[serde(default)]
    pub ports: Vec<PortMap>,
    #[serde(default)]
    pub env: BTreeMap<String, MaybeSecret>,
    #[serde(default)]
    pub volumes: Vec<String>,
    /// The command the container runs instead of the image's CMD (a list: no shell is added).
    pub command: Option<Vec<String>>,
    pub restart: Option<Restart>,
    /// Memory limit such as `256m` or `1g`.
    pub memory: Option<MemorySize>,
    pub cpus: Option<Cpus>,
    pub network: Option<String>,
    /// Signal that asks the app to stop; defaults to the image's STOPSIGNAL, else SIGTERM.
    pub stop_signal: Option<StopSignal>,
    /// How long the app gets to stop before it is killed (default 10s).
    pub stop_grace_period: Option<Duration>,
    /// Run an init process as PID 1 that forwards signals and reaps children (`docker run --init`).
    #[serde(default)]
    pub init: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SwarmTarget {
    /// Service name; defaults to `<app>-<env>`.
    pub service: Option<String>,
    pub replicas: Option<u64>,
    #[serde(default)]
    pub ports: Vec<PortMap>,
    #[serde(default)]
    pub env: BTreeMap<String, MaybeSecret>,
    pub memory: Option<MemorySize>,
    pub cpus: Option<Cpus>,
    /// The command each task runs instead of the image's CMD (a list: no shell is added).
    pub command: Option<Vec<String>>,
    /// `volume:/path[:ro]` or `/host/path:/path[:ro]`, mounted into every task.
    #[serde(default)]
    pub volumes: Vec<String>,
    /// Signal that asks a task to stop; defaults to the image's STOPSIGNAL, else SIGTERM.
    pub stop_signal: Option<StopSignal>,
    /// How long a task gets to stop before it is killed (default 10s).
    pub stop_grace_period: Option<Duration>,
    #[serde(default)]
    pub update: SwarmUpdate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateOrder {
    StartFirst,
    StopFirst,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureAction {
    Rollback,
    Pause,
    Continue,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SwarmUpdate {
    pub parallelism: Option<u64>,
    pub delay: Option<Duration>,
    pub order: Option<UpdateOrder>,
    pub failure_action: Option<FailureAction>,
    pub monitor: Option<Duration>,
}
