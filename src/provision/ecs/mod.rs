//! `provision` for `target = "ecs"` (Fargate): what each service of the environment needs — its
//! image repository, logs, roles, cluster, security groups, load balancer, first task definition
//! and service — found by name, or created and tagged.
//!
//! Names: `<app>-<env>` is the base of what the environment shares (log group
//! `/devloop/<app>/<env>`, roles `<base>-execution` / `<base>-task`, security groups `<base>-lb` /
//! `<base>-tasks`, the load balancer); each service has its own task definition family, service
//! and (when public) target group. A set's services share a Cloud Map namespace and find each
//! other by name through ECS Service Connect. A service is created with its newest release's image; before
//! any release it is created with desired count 0 (nothing runs), and the first deploy starts it.

mod create;
mod delete;
mod find;

use std::sync::Arc;

pub(super) use super::account::resource;
use super::account::Account;
use super::names::short;
use super::{Known, Purpose, Resource};
use crate::config::schema::EcsTarget;
use crate::error::{Error, Result};
use crate::session::Session;

/// The managed policy a task execution role needs (pull images, write logs).
pub const EXECUTION_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

/// The AWS clients provisioning uses.
pub struct Clients {
    pub ecs: aws_sdk_ecs::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// Cloud Map, for the namespace a set's services find each other in.
    pub sd: aws_sdk_servicediscovery::Client,
}

/// One service of the environment, as provisioning sees it.
#[derive(Debug, Clone)]
pub struct Svc {
    /// The service of a set (or the app's name).
    pub name: String,
    pub cluster: String,
    pub service: String,
    pub family: String,
    pub container: String,
    pub port: u16,
    pub health_path: String,
    pub load_balancer: bool,
    /// The ECR repository to create, when releases go to ECR.
    pub repository: Option<String>,
    /// The image its first task definition names: the newest release's, else a reference to
    /// the repository that no task runs (desired count 0).
    pub image: Option<String>,
    /// Where its images are pushed (`host/namespace/name`), for the reference before a release.
    pub image_repository: Option<String>,
    pub desired: i32,
    pub cpu: String,
    pub memory: String,
    pub env: Pairs,
    pub secrets: Pairs,
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
}

/// The environment on ECS: its shared names and its services.
pub struct Env {
    /// The region, the base of the names, IAM, ECR and S3.
    pub account: Account,
    pub clients: Clients,
    pub log_group: String,
    pub execution_role: String,
    pub task_role: String,
    pub lb_group: String,
    pub task_group: String,
    pub load_balancer: String,
    pub services: Vec<Svc>,
    pub vpc: Option<String>,
    pub subnets: Vec<String>,
    /// The bucket `release.ledger` names, if any.
    pub ledger_bucket: Option<String>,
    /// A set's Cloud Map namespace (`<app>-<env>`): its services reach each other by name
    /// through ECS Service Connect (`http://api:8080`, as on the local targets). `None` for one
    /// service.
    pub namespace: Option<String>,
    /// What it was opened for: only creating checks what creating needs.
    pub purpose: Purpose,
}

impl Env {
    /// The environment of `project` (its services read from devloop.toml), with clients.
    /// Opened to delete, it reads no release and refuses nothing only creating needs (a
    /// registry to name images in, one public service).
    pub async fn open(project: &Arc<Session>, purpose: Purpose) -> Result<Env> {
        let sdk = project.aws().await?;
        let clients = Clients {
            ecs: aws_sdk_ecs::Client::new(sdk),
            ec2: aws_sdk_ec2::Client::new(sdk),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(sdk),
            logs: aws_sdk_cloudwatchlogs::Client::new(sdk),
            sd: aws_sdk_servicediscovery::Client::new(sdk),
        };
        let account = Account::open(project).await?;
        let cfg = &project.config;
        let base = account.base.clone();
        // A ledger bucket provisioning is about to make holds no release yet.
        let creating = purpose == Purpose::Create;
        let records = if !creating || account.ledger_missing().await? {
            Vec::new()
        } else {
            crate::release::history(project).await?
        };
        let newest_set = records.iter().rev().find(|r| r.is_set());
        let newest = records.last();
        let sessions = project.services();
        let mut services = Vec::new();
        let needed: Vec<String> = cfg.services.iter().flat_map(|s| s.needs.clone()).collect();
        for s in &sessions {
            let c = &s.config;
            let settings: EcsTarget = c.doc.deploy.ecs.clone().ok_or_else(|| {
                Error::usage("target \"ecs\" needs [deploy.ecs] with cluster (and service)")
            })?;
            let name = c.service.clone().unwrap_or_else(|| c.app().to_string());
            let this = c.this_service().cloned();
            let dependency = this.as_ref().and_then(|t| t.image.clone());
            let health = &c.doc.deploy.health;
            let port = settings.port.or(health.port).unwrap_or(80);
            let public_default = !c.multi || !needed.contains(&name);
            let registry = c.doc.release.registry.as_ref().map(|r| r.get_ref().clone());
            let image_name = c.release_repository();
            let ecr = registry.as_deref() == Some("ecr");
            let image = match &dependency {
                Some(image) => Some(image.clone()),
                None => {
                    let record = if c.multi {
                        newest_set.and_then(|r| r.for_service(&name))
                    } else {
                        newest.cloned()
                    };
                    record.filter(|r| r.registry.is_some()).map(|r| r.image)
                }
            };
            let image_repository = match registry.as_deref() {
                Some("ecr") | None => None,
                Some(r) => Some(format!("{}/{image_name}", r.trim_end_matches('/'))),
            };
            if creating && image.is_none() && !ecr && image_repository.is_none() {
                return Err(Error::usage(format!(
                    "service \"{name}\": ECS tasks pull their image from a registry, and release.registry is not set"
                ))
                .with_hint("set release.registry = \"ecr\" (devloop creates the repository) or a registry host the tasks can reach"));
            }
            let desired = if image.is_some() {
                settings.desired_count.unwrap_or(1)
            } else {
                0
            };
            let family = settings
                .task_family
                .clone()
                .unwrap_or_else(|| settings.service.clone());
            let container = settings.container.clone().unwrap_or_else(|| {
                if c.multi {
                    name.clone()
                } else {
                    c.app().to_string()
                }
            });
            let (env, secrets) = env_of(&settings);
            services.push(Svc {
                cluster: settings.cluster.clone(),
                service: settings.service.clone(),
                family,
                container,
                port,
                health_path: health.http.clone().unwrap_or_else(|| "/".to_string()),
                load_balancer: settings.load_balancer.unwrap_or(public_default),
                repository: (ecr && dependency.is_none()).then(|| image_name.clone()),
                image,
                image_repository,
                desired,
                cpu: settings.cpu.clone().unwrap_or_else(|| "256".into()),
                memory: settings.memory.clone().unwrap_or_else(|| "512".into()),
                env,
                secrets,
                execution_role_arn: settings.execution_role_arn.clone(),
                task_role_arn: settings.task_role_arn.clone(),
                name,
            });
        }
        let public: Vec<&str> = services
            .iter()
            .filter(|s| s.load_balancer)
            .map(|s| s.name.as_str())
            .collect();
        if creating && public.len() > 1 {
            return Err(Error::usage(format!(
                "services {} all ask for the load balancer; devloop provisions one listener, in front of one service",
                public.join(", ")
            ))
            .with_hint("set deploy.ecs.load_balancer = false on all but the public one"));
        }
        // Where the services go: every service read its `[deploy.ecs]` above, so the first has one.
        let (vpc, subnets) = sessions
            .first()
            .and_then(|s| s.config.doc.deploy.ecs.as_ref())
            .map(|e| (e.vpc.clone(), e.subnets.clone()))
            .unwrap_or_default();
        Ok(Env {
            ledger_bucket: account.ledger_bucket()?,
            clients,
            log_group: format!("/devloop/{}/{}", cfg.app(), cfg.env_name()),
            execution_role: short(&format!("{base}-execution"), 64),
            task_role: short(&format!("{base}-task"), 64),
            lb_group: format!("{base}-lb"),
            task_group: format!("{base}-tasks"),
            load_balancer: short(&base, 32),
            namespace: (services.len() > 1).then(|| short(&base, 1024)),
            purpose,
            vpc,
            subnets,
            account,
            services,
        })
    }

    /// Whether any service is behind the load balancer.
    pub fn public(&self) -> Option<&Svc> {
        self.services.iter().find(|s| s.load_balancer)
    }

    /// The target group of a public service.
    pub fn target_group(&self, svc: &Svc) -> String {
        let base = &self.account.base;
        if self.services.len() == 1 {
            short(base, 32)
        } else {
            short(&format!("{base}-{}", svc.name), 32)
        }
    }

    /// The tags every resource devloop creates carries.
    pub fn tags(&self) -> [(String, String); 2] {
        self.account.tags()
    }

    /// Whether `tags` say devloop created the resource for this app and environment.
    pub fn ours<'a>(&self, tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> bool {
        self.account.ours(tags)
    }

    /// Every resource the environment needs, in the order of creation, each found or not.
    pub async fn resources(&self) -> Result<Vec<Resource>> {
        find::all(self).await
    }
}

/// The container's environment (as a deploy sets it) and its secrets (`valueFrom` ARNs).
/// Name and value pairs, in order.
type Pairs = Vec<(String, String)>;

fn env_of(settings: &EcsTarget) -> (Pairs, Pairs) {
    let env = settings
        .env
        .iter()
        .map(|(k, v)| (k.clone(), v.value().to_string()))
        .collect();
    let secrets = settings
        .secrets
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (env, secrets)
}

pub use create::{create, ready, NO_RELEASE_YET};
pub use delete::delete;

impl Env {
    /// The VPC and subnets the services go in.
    pub async fn network(&self) -> Result<Known> {
        let vpc = find::vpc(self).await?;
        let subnets = find::subnets(self, &vpc).await?;
        Ok(Known {
            vpc,
            subnets,
            ..Default::default()
        })
    }
}
