//! What an environment's target needs from the AWS account before a first deploy: found where it
//! exists, created where it does not, tagged and recorded, and deleted again by `destroy`.
//!
//! Every resource is a [`Resource`] of a [`Kind`], listed in the order it is created; `plan`
//! shows the list, `provision` creates what is missing in that order, and a failure deletes what
//! this run created in the reverse order. Only what carries devloop's tags for this app and
//! environment is ever deleted: a resource of the same name made by hand is used and kept.

pub mod ecs;
mod names;
mod state;
pub mod template;

use serde::{Deserialize, Serialize};

pub use state::{Entry, Provisioned};

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
    LogGroup,
    ExecutionRole,
    TaskRole,
    Cluster,
    LbSecurityGroup,
    TaskSecurityGroup,
    LoadBalancer,
    TargetGroup,
    Listener,
    TaskDefinition,
    Service,
}

impl Kind {
    /// What it is, in words.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Repository => "ECR repository",
            Kind::LedgerBucket => "S3 bucket (release ledger)",
            Kind::LogGroup => "CloudWatch log group",
            Kind::ExecutionRole => "IAM task execution role",
            Kind::TaskRole => "IAM task role",
            Kind::Cluster => "ECS cluster",
            Kind::LbSecurityGroup => "security group (load balancer)",
            Kind::TaskSecurityGroup => "security group (tasks)",
            Kind::LoadBalancer => "Application Load Balancer",
            Kind::TargetGroup => "target group",
            Kind::Listener => "listener",
            Kind::TaskDefinition => "task definition",
            Kind::Service => "ECS service",
        }
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
