//! `[aws]`, `[deploy.ecs]` and `[deploy.beanstalk]`: the AWS account and the targets on it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::MaybeSecret;
use crate::config::duration::Duration;
use crate::config::values;

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Aws {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EcsTarget {
    pub cluster: String,
    /// The ECS service. Required in a file of one service; in a set each service defaults to
    /// `<app>-<env>-<service>` (filled in when the file is loaded).
    #[serde(default)]
    pub service: String,
    /// Task definition family; defaults to the service name.
    pub task_family: Option<String>,
    /// Container in the task definition that runs the image; defaults to the app name (in a set,
    /// the service's name).
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
    /// `devloop provision`: the container port the tasks listen on (the load balancer's target
    /// and the security group's one opening); default `deploy.health.port`, else 80.
    #[serde(default, deserialize_with = "values::nonzero_port")]
    pub port: Option<u16>,
    /// `devloop provision`: an Application Load Balancer in front of the service (a stable URL);
    /// `false` for workers. Default: true for one service; in a set, for the service nothing needs.
    pub load_balancer: Option<bool>,
    /// `devloop provision`: the VPC the service and its load balancer go in (default: the
    /// account's default VPC).
    pub vpc: Option<String>,
    /// `devloop provision`: the subnets, one per Availability Zone (default: one subnet of the
    /// VPC in each of its zones).
    #[serde(default)]
    pub subnets: Vec<String>,
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
    /// Required for an app of one service; in a set, the shared value (one environment for the
    /// whole set, as a compose bundle) or each service's own (one environment per service).
    #[serde(default)]
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
    /// For `devloop provision`: a load-balanced environment (the default), or `false` for one
    /// instance with no load balancer (`aws:elasticbeanstalk:environment` EnvironmentType).
    pub load_balancer: Option<bool>,
    /// For `devloop provision`: the EC2 instance profile the instances run with, when it exists
    /// already (default: devloop makes `<app>-<env>-eb-ec2`).
    pub instance_profile: Option<String>,
    /// For `devloop provision`: the service role Elastic Beanstalk acts with, when it exists
    /// already (default: devloop makes `<app>-<env>-eb-service`).
    pub service_role: Option<String>,
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
