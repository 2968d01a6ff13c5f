//! What an environment's target needs from the AWS account before a first deploy: found where it
//! exists, created where it does not, tagged and recorded, and deleted again by `destroy`.
//!
//! Every resource is a [`Resource`] of a [`Kind`], listed in the order it is created; `plan`
//! shows the list, `provision` creates what is missing in that order, and a failure deletes what
//! this run created in the reverse order. Only what carries devloop's tags for this app and
//! environment is ever deleted: a resource of the same name made by hand is used and kept.

pub mod account;
pub mod beanstalk;
pub mod ecs;
mod names;
mod state;
pub mod template;
pub mod wait;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use state::{Entry, Provisioned};

use crate::config::TargetKind;
use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::session::Session;

/// The tag naming the app a resource was created for.
pub const TAG_APP: &str = "devloop:app";
/// The tag naming the environment a resource was created for.
pub const TAG_ENV: &str = "devloop:env";

/// A kind of resource, in the order of creation (deletion goes the other way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Repository,
    LedgerBucket,
    BundleBucket,
    StorageBucket,
    LogGroup,
    ExecutionRole,
    TaskRole,
    InstanceRole,
    InstanceProfile,
    ServiceRole,
    Application,
    Cluster,
    Namespace,
    LbSecurityGroup,
    TaskSecurityGroup,
    LoadBalancer,
    TargetGroup,
    Listener,
    TaskDefinition,
    Service,
    Environment,
}

impl Kind {
    /// What it is, in words.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Repository => "ECR repository",
            Kind::LedgerBucket => "S3 bucket (release ledger)",
            Kind::BundleBucket => "S3 bucket (bundles)",
            Kind::StorageBucket => "S3 bucket (Elastic Beanstalk's own)",
            Kind::LogGroup => "CloudWatch log group",
            Kind::ExecutionRole => "IAM task execution role",
            Kind::TaskRole => "IAM task role",
            Kind::InstanceRole => "IAM instance role",
            Kind::InstanceProfile => "EC2 instance profile",
            Kind::ServiceRole => "IAM service role",
            Kind::Application => "Beanstalk application",
            Kind::Cluster => "ECS cluster",
            Kind::Namespace => "Cloud Map namespace",
            Kind::LbSecurityGroup => "security group (load balancer)",
            Kind::TaskSecurityGroup => "security group (tasks)",
            Kind::LoadBalancer => "Application Load Balancer",
            Kind::TargetGroup => "target group",
            Kind::Listener => "listener",
            Kind::TaskDefinition => "task definition",
            Kind::Service => "ECS service",
            Kind::Environment => "Beanstalk environment",
        }
    }

    /// The account's own, shared by everything in it (Elastic Beanstalk's storage bucket): made
    /// when missing, never recorded as devloop's, never deleted.
    pub fn shared(self) -> bool {
        self == Kind::StorageBucket
    }
}

/// Whether a resource exists, and whose it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "id", rename_all = "snake_case")]
pub enum Exists {
    /// Not there: `provision` creates it.
    Missing,
    /// devloop created it for this app and environment (its tags say so).
    Ours(String),
    /// There, not devloop's (made by hand or by another tool): used, never changed or deleted.
    Theirs(String),
}

/// One resource the environment needs.
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    pub kind: Kind,
    pub name: String,
    /// Its key settings, as `plan` shows them.
    pub settings: Vec<(String, String)>,
    pub exists: Exists,
}

impl Resource {
    pub fn id(&self) -> Option<&str> {
        match &self.exists {
            Exists::Missing => None,
            Exists::Ours(id) | Exists::Theirs(id) => Some(id),
        }
    }
}

/// The list as `plan` and `provision` print it: one line a resource, what happens to it.
pub fn render(resources: &[Resource]) -> String {
    let width = resources
        .iter()
        .map(|r| r.kind.label().len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for r in resources {
        let what = match &r.exists {
            Exists::Missing => "create",
            Exists::Ours(_) => "keep (devloop's)",
            Exists::Theirs(_) => "keep (not devloop's: used, never changed)",
        };
        let settings = r
            .settings
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let settings = if settings.is_empty() {
            String::new()
        } else {
            format!(" ({settings})")
        };
        out.push_str(&format!(
            "  {:<7} {:<width$}  {}{settings}\n",
            what.split(' ').next().unwrap_or(what),
            r.kind.label(),
            r.name
        ));
        if let Exists::Theirs(_) = &r.exists {
            out.push_str(&format!(
                "  {:<7} {:<width$}  (exists, not made by devloop: used as it is, never deleted)\n",
                "", ""
            ));
        }
    }
    out
}

/// Ids of what exists (found or made by this run), and the network the resources go in (ECS).
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub ids: HashMap<(Kind, String), String>,
    pub vpc: String,
    pub subnets: Vec<String>,
}

impl Known {
    pub fn id(&self, kind: Kind, name: &str) -> Result<&str> {
        self.ids
            .get(&(kind, name.to_string()))
            .map(String::as_str)
            .ok_or_else(|| Error::failed(format!("{} {name} is not there yet", kind.label())))
    }

    fn with(mut self, resources: &[Resource]) -> Known {
        for r in resources {
            if let Some(id) = r.id() {
                self.ids.insert((r.kind, r.name.clone()), id.to_string());
            }
        }
        self
    }
}

/// What a site is opened for: what only creating needs (the platform to launch on, a resource
/// named in devloop.toml that must exist, the releases to start services with, subnets in two
/// zones, one public service) is looked up and checked only for `Create`, so `destroy` never
/// fails on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Create,
    Delete,
}

/// Where an environment's target lives in the account: the one seam `provision`, `destroy`
/// and `plan` go through, whatever the target.
pub enum Site {
    Ecs(ecs::Env),
    Beanstalk(beanstalk::Env),
}

impl Site {
    /// The site of `project`'s environment, read from devloop.toml and the account.
    pub async fn open(project: &Arc<Session>, purpose: Purpose) -> Result<Site> {
        let env = project.config.require_env()?;
        match project.config.target() {
            Some(TargetKind::Ecs) => Ok(Site::Ecs(ecs::Env::open(project, purpose).await?)),
            Some(TargetKind::Beanstalk) => {
                Ok(Site::Beanstalk(beanstalk::Env::open(project, purpose).await?))
            }
            Some(t) => Err(Error::usage(format!(
                "environment \"{env}\" deploys to {}, which needs nothing made in an AWS account",
                t.as_str()
            ))
            .with_hint("provision and destroy are for the AWS targets (ecs, beanstalk)")),
            None => Err(Error::usage(format!(
                "environment \"{env}\" has no deploy target: set deploy.target = \"ecs\" or \"beanstalk\""
            ))),
        }
    }

    pub fn account(&self) -> &account::Account {
        match self {
            Site::Ecs(e) => &e.account,
            Site::Beanstalk(e) => &e.account,
        }
    }

    /// What is provisioned, in words ("the ECS services").
    pub fn what(&self) -> &'static str {
        match self {
            Site::Ecs(_) => "the ECS services",
            Site::Beanstalk(_) => "the Elastic Beanstalk environment",
        }
    }

    /// Every resource the environment needs, in the order of creation, each found or not.
    pub async fn resources(&self) -> Result<Vec<Resource>> {
        match self {
            Site::Ecs(e) => e.resources().await,
            Site::Beanstalk(e) => e.resources().await,
        }
    }

    /// What exists of `resources` (their ids), and the network, for creating the rest.
    pub async fn known(&self, resources: &[Resource]) -> Result<Known> {
        Ok(match self {
            Site::Ecs(e) => e.network().await?,
            Site::Beanstalk(_) => Known::default(),
        }
        .with(resources))
    }

    /// Create `r` (which is missing) and return its id; a failure after the resource itself
    /// was made returns its id with the error, so the caller deletes it with the rest.
    pub async fn create(
        &self,
        r: &Resource,
        known: &Known,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> std::result::Result<String, (Option<String>, Error)> {
        match self {
            Site::Ecs(e) => ecs::create(e, r, known, ctx, deadline).await,
            Site::Beanstalk(e) => beanstalk::create(e, r, known, ctx, deadline).await,
        }
    }

    /// Make ready a resource devloop made earlier (an interrupted run's), idempotently.
    pub async fn ready(
        &self,
        r: &Resource,
        id: &str,
        known: &Known,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<()> {
        match self {
            Site::Ecs(e) => ecs::ready(e, r, id, known, ctx, deadline).await,
            Site::Beanstalk(e) => beanstalk::ready(e, r, id, known, ctx, deadline).await,
        }
    }

    /// Delete one resource devloop made; gone already is done.
    pub async fn delete(
        &self,
        kind: Kind,
        name: &str,
        id: &str,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<()> {
        match self {
            Site::Ecs(e) => ecs::delete(e, kind, name, id, ctx, deadline).await,
            Site::Beanstalk(e) => beanstalk::delete(e, kind, name, id, ctx, deadline).await,
        }
    }

    /// The resources as a CloudFormation template.
    pub fn template(&self) -> Result<String> {
        match self {
            Site::Ecs(e) => template::render(e),
            Site::Beanstalk(e) => template::render_beanstalk(e),
        }
    }
}
