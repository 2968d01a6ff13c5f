//! `[[test]]`: one entry per test, run on the host, inside the image, or against it as a service.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::MaybeSecret;
use crate::config::duration::Duration;
use crate::config::values;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TestKind {
    /// A shell command on the host.
    #[default]
    Host,
    /// A command run inside the built image.
    Image,
    /// The image started as a service, probed, then checked with host commands.
    Service,
    /// The whole set of services brought up on a private network, every health gate awaited, then
    /// a host command run with each service's URL (files with `[services]` only).
    Stack,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Test {
    pub name: Spanned<String>,
    #[serde(default)]
    pub kind: TestKind,
    /// Shell command (host, image) or check command run on the host against the service.
    pub run: Option<String>,
    #[serde(default)]
    pub env: BTreeMap<String, MaybeSecret>,
    /// Working directory for host commands, relative to devloop.toml.
    pub workdir: Option<String>,
    pub timeout: Option<Duration>,
    /// Names of tests that must pass first.
    #[serde(default)]
    pub needs: Vec<String>,
    /// Service tests: container port to publish and probe.
    #[serde(default, deserialize_with = "values::nonzero_port")]
    pub port: Option<u16>,
    /// Service tests: HTTP path probed until it answers 2xx; without it the image HEALTHCHECK is awaited.
    #[serde(default, deserialize_with = "values::http_path")]
    pub http: Option<String>,
    /// Service tests: how long to wait for the service to become ready.
    pub ready_timeout: Option<Duration>,
}
