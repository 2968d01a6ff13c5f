//! The typed schema of `devloop.toml`, as serde reads it.
//!
//! Every table denies unknown keys so a typo is an error with a location, never a silently ignored
//! setting. Defaults live here; cross-field rules live in `resolve`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, Serializer};
use toml::Spanned;

use super::duration::Duration;
use super::values::{self, Cpus, MemorySize, PortMap, Restart, StopSignal};

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

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Aws {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
}

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
    #[serde(default, deserialize_with = "super::duration::probe_interval")]
    pub interval: Option<Duration>,
    pub retries: Option<u32>,
    pub start_period: Option<Duration>,
}

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

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EcsTarget {
    pub cluster: String,
    pub service: String,
    /// Task definition family; defaults to the service name.
    pub task_family: Option<String>,
    /// Container in the task definition that runs the image; defaults to the app name.
    pub container: Option<String>,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
    pub desired_count: Option<i32>,
    #[serde(default)]
    pub env: BTreeMap<String, MaybeSecret>,
    /// A task definition template (JSON, as `aws ecs register-task-definition --cli-input-json`
    /// takes), relative to devloop.toml; devloop fills in the image, environment and secrets.
    /// Without it the new revision is derived from the live one.
    pub task_definition: Option<String>,
    /// Environment variables the tasks read from Secrets Manager or SSM Parameter Store:
    /// `NAME = "arn:aws:secretsmanager:…"` (ECS `valueFrom`); the values never pass through devloop.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// What happens when ECS does not get the new revision healthy: `auto` puts the previous
    /// revision back (exit 3), `manual` leaves the service as it is (exit 1, with the command).
    #[serde(default)]
    pub rollback: RollbackMode,
    /// CloudWatch Logs group of the app's logs (`monitor --logs`); default: the container's
    /// `awslogs-group` in the live task definition.
    pub log_group: Option<String>,
    /// Stream name prefix before `/<container>/<task id>`; default: its `awslogs-stream-prefix`.
    pub log_stream_prefix: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RollbackMode {
    #[default]
    Auto,
    Manual,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BeanstalkTarget {
    pub application: String,
    pub environment: String,
    /// S3 bucket that receives application version bundles; defaults to the account's Elastic
    /// Beanstalk storage bucket (CreateStorageLocation).
    pub bucket: Option<String>,
    /// Container port the platform routes to (image bundles; default: the image's EXPOSE).
    #[serde(default, deserialize_with = "values::nonzero_port")]
    pub port: Option<u16>,
    /// What the bundle holds: `image` runs the released image pinned by digest; `source` is the
    /// project's files, built on the instances.
    #[serde(default)]
    pub bundle: BundleKind,
    /// How an `image` bundle names the image: `dockerrun` (Dockerrun.aws.json v1) or `compose`
    /// (docker-compose.yml, for the Amazon Linux 2023 Docker platform).
    #[serde(default)]
    pub manifest: Manifest,
    /// Where instances find credentials for a private registry that is not ECR:
    /// `s3://bucket/key` of a Docker `config.json` (Dockerrun `Authentication`).
    pub registry_auth: Option<String>,
    /// Environment properties (`aws:elasticbeanstalk:application:environment`).
    #[serde(default)]
    pub env: BTreeMap<String, MaybeSecret>,
    /// EC2 instance type (`aws:autoscaling:launchconfiguration` InstanceType).
    pub instance_type: Option<String>,
    /// Any option setting: `[deploy.beanstalk.options."aws:autoscaling:asg"] MinSize = "2"`.
    #[serde(default)]
    pub options: BTreeMap<String, BTreeMap<String, String>>,
    /// What happens when the new version does not get healthy: `auto` deploys the previous
    /// version label again (exit 3), `manual` leaves the environment as it is (exit 1).
    #[serde(default)]
    pub rollback: RollbackMode,
    /// How long a deploy may take before exit 4 (default 20m; overrides deploy.timeout).
    pub timeout: Option<Duration>,
    /// After an update completes, how long Red/Degraded health on the new version counts as
    /// still settling (health lags the status) before it is a failure (default 2m). An ERROR or
    /// FATAL event of the update fails it at once.
    pub health_grace: Option<Duration>,
}

impl BeanstalkTarget {
    pub const DEFAULT_HEALTH_GRACE: std::time::Duration = std::time::Duration::from_secs(120);

    pub fn health_grace(&self) -> std::time::Duration {
        self.health_grace
            .map(|d| d.get())
            .unwrap_or(Self::DEFAULT_HEALTH_GRACE)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BundleKind {
    #[default]
    Image,
    Source,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Manifest {
    #[default]
    Dockerrun,
    Compose,
}
