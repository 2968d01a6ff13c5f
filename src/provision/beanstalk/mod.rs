//! `provision` for `target = "beanstalk"`: the application, the instances' role and instance
//! profile, Elastic Beanstalk's service role, the bucket bundles go to, and each environment on
//! the newest Docker platform the region lists — found by name, or created and tagged.
//!
//! Names: `<app>-<env>` is the base (`<base>-eb-ec2` for the instance role and its profile,
//! `<base>-eb-service` for the service role) unless `deploy.beanstalk.instance_profile` /
//! `service_role` name existing ones. An environment is created running Elastic Beanstalk's
//! sample application; the first deploy puts the release on it.

mod create;
mod delete;
mod find;

use std::sync::Arc;

pub use create::{create, ready};
pub use delete::delete;

use super::account::Account;
use super::names::short;
use super::{Kind, Purpose, Resource};
use crate::aws::sdk_error;
use crate::config::schema::BeanstalkTarget;
use crate::error::{Error, Result};
use crate::session::Session;

/// The policies of the instances' role, as the EB console's default `aws-elasticbeanstalk-ec2-role`
/// has them (web tier, Docker, worker tier).
pub const INSTANCE_POLICIES: &[&str] = &[
    "arn:aws:iam::aws:policy/AWSElasticBeanstalkWebTier",
    "arn:aws:iam::aws:policy/AWSElasticBeanstalkMulticontainerDocker",
    "arn:aws:iam::aws:policy/AWSElasticBeanstalkWorkerTier",
];

/// What the instances also need to pull releases from ECR.
pub const ECR_PULL_POLICY: &str = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly";

/// The policies of Elastic Beanstalk's service role (enhanced health, managed updates).
pub const SERVICE_POLICIES: &[&str] = &[
    "arn:aws:iam::aws:policy/service-role/AWSElasticBeanstalkEnhancedHealth",
    "arn:aws:iam::aws:policy/AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy",
];

/// Trust of the instances' role.
pub const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// Trust of Elastic Beanstalk's service role.
pub const SERVICE_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"elasticbeanstalk.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"elasticbeanstalk"}}}]}"#;

/// One Elastic Beanstalk environment to provision.
#[derive(Debug, Clone)]
pub struct Environment {
    pub name: String,
    pub application: String,
    /// The services it runs (one, or a set's compose bundle).
    pub services: Vec<String>,
    pub load_balanced: bool,
    pub health_path: Option<String>,
    pub instance_type: Option<String>,
    /// `deploy.beanstalk.options`, as namespace, option, value.
    pub options: Vec<(String, String, String)>,
}

/// The environment on Elastic Beanstalk: shared names and what it runs.
pub struct Env {
    pub account: Account,
    pub eb: aws_sdk_elasticbeanstalk::Client,
    /// What it was opened for: only creating looks up the platform and the account's storage
    /// bucket, and insists that a profile or role named in devloop.toml exists.
    pub purpose: Purpose,
    /// The solution stack environments are created on: the newest Amazon Linux 2023 Docker
    /// platform the region lists (`None` when opened to delete).
    pub platform: Option<String>,
    pub applications: Vec<String>,
    pub environments: Vec<Environment>,
    /// ECR repositories of the built services, when releases go to ECR.
    pub repositories: Vec<String>,
    pub ledger_bucket: Option<String>,
    /// The bucket bundles go to: `deploy.beanstalk.bucket` (devloop's), else Elastic
    /// Beanstalk's own storage bucket of the account (not looked up when opened to delete: it
    /// is never devloop's to delete).
    pub bundle_bucket: Option<(Kind, String)>,
    /// Devloop's instance role and profile (`None`: `instance_profile` names an existing one).
    pub instance_role: Option<String>,
    pub instance_profile: String,
    /// Devloop's service role (`None`: `service_role` names an existing one).
    pub service_role: Option<String>,
    pub service_role_name: String,
    /// Whether the instances pull from ECR.
    pub ecr: bool,
}

impl Env {
    pub async fn open(project: &Arc<Session>, purpose: Purpose) -> Result<Env> {
        let sdk = project.aws().await?;
        let account = Account::open(project).await?;
        let eb = aws_sdk_elasticbeanstalk::Client::new(sdk);
        let cfg = &project.config;
        let base = account.base.clone();
        let registry = cfg
            .doc
            .release
            .registry
            .as_ref()
            .map(|r| r.get_ref().clone());
        let ecr = registry.as_deref() == Some("ecr");
        let mut environments: Vec<Environment> = Vec::new();
        let mut repositories = Vec::new();
        let mut first: Option<(String, BeanstalkTarget)> = None;
        for s in project.services() {
            let c = &s.config;
            // A dependency runs from its image inside a set's bundle; it has no environment of
            // its own (per-service sets with dependencies are refused at deploy).
            if c.this_service().is_some_and(|t| t.image.is_some()) {
                continue;
            }
            let settings: BeanstalkTarget = c.doc.deploy.beanstalk.clone().ok_or_else(|| {
                Error::usage("target \"beanstalk\" needs [deploy.beanstalk] with application and environment")
            })?;
            if settings.environment.is_empty() {
                return Err(Error::usage(
                    "deploy.beanstalk.environment is not set: provision needs the environment's name",
                ));
            }
            let name = c.service.clone().unwrap_or_else(|| c.app().to_string());
            if ecr {
                repositories.push(c.release_repository());
            }
            match environments
                .iter_mut()
                .find(|e| e.name.eq_ignore_ascii_case(&settings.environment))
            {
                Some(e) => e.services.push(name.clone()),
                None => environments.push(Environment {
                    name: settings.environment.clone(),
                    application: settings.application.clone(),
                    services: vec![name.clone()],
                    load_balanced: settings.load_balancer.unwrap_or(true),
                    health_path: c.doc.deploy.health.http.clone(),
                    instance_type: settings.instance_type.clone(),
                    options: settings
                        .options
                        .iter()
                        .flat_map(|(ns, o)| {
                            o.iter()
                                .map(move |(k, v)| (ns.clone(), k.clone(), v.clone()))
                        })
                        .collect(),
                }),
            }
            match &first {
                None => first = Some((name, settings)),
                Some((other, f)) => {
                    // One bucket, instance profile and service role for the environment.
                    let differs = [
                        ("bucket", &f.bucket, &settings.bucket),
                        (
                            "instance_profile",
                            &f.instance_profile,
                            &settings.instance_profile,
                        ),
                        ("service_role", &f.service_role, &settings.service_role),
                    ]
                    .into_iter()
                    .find(|(_, a, b)| a != b);
                    if let Some((key, _, _)) = differs {
                        return Err(Error::usage(format!(
                            "services \"{other}\" and \"{name}\" set deploy.beanstalk.{key} differently; provision makes one for the whole environment"
                        ))
                        .with_hint(format!("set deploy.beanstalk.{key} once, in the shared [deploy.beanstalk]")));
                    }
                }
            }
        }
        let Some((_, first)) = first else {
            return Err(Error::usage(
                "no service of this environment is built, so there is no Elastic Beanstalk environment to provision",
            ));
        };
        let mut applications: Vec<String> = Vec::new();
        for e in &environments {
            if !applications.contains(&e.application) {
                applications.push(e.application.clone());
            }
        }
        let bundle_bucket = match first.bucket.as_deref().filter(|b| !b.is_empty()) {
            Some(b) => Some((Kind::BundleBucket, b.to_string())),
            None if purpose == Purpose::Delete => None,
            None => {
                let who = aws_sdk_sts::Client::new(sdk)
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| sdk_error("cannot tell which AWS account this is", e))?;
                let id = who.account().unwrap_or_default();
                Some((
                    Kind::StorageBucket,
                    format!("elasticbeanstalk-{}-{id}", account.region),
                ))
            }
        };
        let platform = match purpose {
            Purpose::Create => Some(platform(&eb, &account.region).await?),
            Purpose::Delete => None,
        };
        let instance_role = first
            .instance_profile
            .is_none()
            .then(|| short(&format!("{base}-eb-ec2"), 64));
        let instance_profile = first
            .instance_profile
            .clone()
            .unwrap_or_else(|| short(&format!("{base}-eb-ec2"), 128));
        let service_role = first
            .service_role
            .is_none()
            .then(|| short(&format!("{base}-eb-service"), 64));
        let service_role_name = first
            .service_role
            .clone()
            .unwrap_or_else(|| short(&format!("{base}-eb-service"), 64));
        Ok(Env {
            ledger_bucket: account.ledger_bucket()?,
            account,
            eb,
            purpose,
            platform,
            applications,
            environments,
            repositories,
            bundle_bucket,
            instance_role,
            instance_profile,
            service_role,
            service_role_name,
            ecr,
        })
    }

    /// The platform environments are created on; only an environment opened to create has
    /// looked it up.
    pub fn solution_stack(&self) -> Result<&str> {
        self.platform.as_deref().ok_or_else(|| {
            Error::failed("no Elastic Beanstalk platform was looked up: this environment was opened to delete, not to create")
        })
    }

    /// Every resource, in the order of creation.
    pub async fn resources(&self) -> Result<Vec<Resource>> {
        find::all(self).await
    }

    /// The option settings an environment is created with.
    pub fn option_settings(&self, e: &Environment) -> Vec<(String, String, String)> {
        let mut out = vec![
            o(
                "aws:autoscaling:launchconfiguration",
                "IamInstanceProfile",
                &self.instance_profile,
            ),
            o(
                "aws:elasticbeanstalk:environment",
                "ServiceRole",
                &self.service_role_name,
            ),
            o(
                "aws:elasticbeanstalk:environment",
                "EnvironmentType",
                if e.load_balanced {
                    "LoadBalanced"
                } else {
                    "SingleInstance"
                },
            ),
            o(
                "aws:elasticbeanstalk:healthreporting:system",
                "SystemType",
                "enhanced",
            ),
        ];
        if e.load_balanced {
            out.push(o(
                "aws:elasticbeanstalk:environment",
                "LoadBalancerType",
                "application",
            ));
        }
        if let Some(path) = &e.health_path {
            out.push(if e.load_balanced {
                o(
                    "aws:elasticbeanstalk:environment:process:default",
                    "HealthCheckPath",
                    path,
                )
            } else {
                o(
                    "aws:elasticbeanstalk:application",
                    "Application Healthcheck URL",
                    path,
                )
            });
        }
        if let Some(t) = &e.instance_type {
            out.push(o("aws:autoscaling:launchconfiguration", "InstanceType", t));
        }
        out.extend(e.options.iter().cloned());
        out
    }
}

fn o(namespace: &str, option: &str, value: &str) -> (String, String, String) {
    (namespace.into(), option.into(), value.into())
}

/// The newest "64bit Amazon Linux 2023 vX.Y.Z running Docker" the region lists (by version, not
/// by text: 4.10 is newer than 4.9).
async fn platform(eb: &aws_sdk_elasticbeanstalk::Client, region: &str) -> Result<String> {
    let out = eb
        .list_available_solution_stacks()
        .send()
        .await
        .map_err(|e| sdk_error("cannot list Elastic Beanstalk's platforms", e))?;
    newest_docker(out.solution_stacks()).ok_or_else(|| {
        Error::failed(format!(
            "Elastic Beanstalk in {region} lists no \"64bit Amazon Linux 2023 … running Docker\" platform"
        ))
        .with_hint("check the region (aws.region), or that Elastic Beanstalk is offered there")
    })
}

/// The newest Amazon Linux 2023 Docker solution stack of `stacks`.
pub fn newest_docker(stacks: &[String]) -> Option<String> {
    stacks
        .iter()
        .filter_map(|s| {
            let version = s
                .strip_prefix("64bit Amazon Linux 2023 v")?
                .strip_suffix(" running Docker")?;
            let parts: Vec<u32> = version
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            Some((parts, s))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, s)| s.clone())
}

#[cfg(test)]
mod tests {
    use super::newest_docker;

    #[test]
    fn the_newest_docker_platform_is_chosen_by_version_not_by_text() {
        let stacks: Vec<String> = [
            "64bit Amazon Linux 2023 v4.4.0 running Docker",
            "64bit Amazon Linux 2 v4.0.0 running Docker",
            "64bit Amazon Linux 2023 v4.10.2 running Docker",
            "64bit Amazon Linux 2023 v4.3.1 running ECS",
            "64bit Amazon Linux 2023 v6.6.3 running Node.js 22",
            "64bit Amazon Linux 2023 v4.9.0 running Docker",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            newest_docker(&stacks).as_deref(),
            Some("64bit Amazon Linux 2023 v4.10.2 running Docker")
        );
        assert_eq!(newest_docker(&stacks[1..2]), None);
    }
}
