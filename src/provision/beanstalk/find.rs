//! Read-only lookups for an Elastic Beanstalk environment's resources: each found by its name,
//! whose it is by its tags, the way `plan` shows it and `provision` and `destroy` start from it.

use super::{Env, Environment};
use crate::aws::sdk_error;
use crate::error::{Error, Result};
use crate::provision::account::resource;
use crate::provision::{Kind, Purpose, Resource};

/// Every resource, in the order of creation.
pub async fn all(env: &Env) -> Result<Vec<Resource>> {
    let a = &env.account;
    let mut out = Vec::new();
    for repo in &env.repositories {
        out.push(a.find_repository(repo).await?);
    }
    if let Some(bucket) = &env.ledger_bucket {
        let settings = vec![("public access".into(), "blocked".into())];
        out.push(a.find_bucket(Kind::LedgerBucket, bucket, settings).await?);
    }
    if let Some((kind, bucket)) = &env.bundle_bucket {
        let settings = match kind {
            Kind::StorageBucket => vec![(
                "made by".into(),
                "Elastic Beanstalk (CreateStorageLocation), shared by the account".into(),
            )],
            _ => vec![("public access".into(), "blocked".into())],
        };
        let mut found = a.find_bucket(*kind, bucket, settings).await?;
        if *kind == Kind::StorageBucket {
            // The account's, whatever its tags say: never devloop's to delete.
            if let crate::provision::Exists::Ours(id) = &found.exists {
                found.exists = crate::provision::Exists::Theirs(id.clone());
            }
        }
        out.push(found);
    }
    if let Some(role) = &env.instance_role {
        let mut policies: Vec<&str> = super::INSTANCE_POLICIES
            .iter()
            .map(|p| p.rsplit('/').next().unwrap_or(p))
            .collect();
        if env.ecr {
            policies.push("AmazonEC2ContainerRegistryReadOnly");
        }
        let settings = vec![
            ("trust".into(), "ec2.amazonaws.com".into()),
            ("policies".into(), policies.join(" ")),
        ];
        out.push(a.find_role(Kind::InstanceRole, role, settings).await?);
    }
    let profile = instance_profile(env).await?;
    let creating = env.purpose == Purpose::Create;
    if creating
        && env.instance_role.is_none()
        && profile.exists == crate::provision::Exists::Missing
    {
        return Err(Error::usage(format!(
            "deploy.beanstalk.instance_profile names {}, and no such instance profile exists",
            env.instance_profile
        ))
        .with_hint("leave instance_profile out and devloop makes one, or create it first"));
    }
    out.push(profile);
    match &env.service_role {
        Some(role) => {
            let settings = vec![
                ("trust".into(), "elasticbeanstalk.amazonaws.com".into()),
                (
                    "policies".into(),
                    "AWSElasticBeanstalkEnhancedHealth AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy".into(),
                ),
            ];
            out.push(a.find_role(Kind::ServiceRole, role, settings).await?);
        }
        None => {
            let r = a
                .find_role(Kind::ServiceRole, &env.service_role_name, Vec::new())
                .await?;
            if creating && r.exists == crate::provision::Exists::Missing {
                return Err(Error::usage(format!(
                    "deploy.beanstalk.service_role names {}, and no such IAM role exists",
                    env.service_role_name
                ))
                .with_hint("leave service_role out and devloop makes one, or create it first"));
            }
            out.push(r);
        }
    }
    for app in &env.applications {
        out.push(application(env, app).await?);
    }
    for e in &env.environments {
        out.push(environment(env, e).await?);
    }
    Ok(out)
}

async fn instance_profile(env: &Env) -> Result<Resource> {
    let name = &env.instance_profile;
    let iam = &env.account.iam;
    let found = match iam
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
    {
        Ok(out) => match out.instance_profile() {
            Some(p) => {
                let tags = iam
                    .list_instance_profile_tags()
                    .instance_profile_name(name)
                    .send()
                    .await
                    .map(|t| t.tags().to_vec())
                    .map_err(|e| sdk_error(&format!("cannot read the tags of {name}"), e))?;
                let ours = env.account.ours(tags.iter().map(|t| (t.key(), t.value())));
                Some((p.arn().to_string(), ours))
            }
            None => None,
        },
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception()) =>
        {
            None
        }
        Err(e) => {
            return Err(sdk_error(
                &format!("cannot look up instance profile {name}"),
                e,
            ))
        }
    };
    let settings = match &env.instance_role {
        Some(role) => vec![("role".into(), role.clone())],
        None => Vec::new(),
    };
    Ok(resource(Kind::InstanceProfile, name, settings, found))
}

/// Whether tags on an Elastic Beanstalk resource say it is devloop's; a tag read that fails is
/// no news, never "not devloop's".
pub(super) async fn tagged_ours(env: &Env, arn: &str, what: &str) -> Result<bool> {
    let out = env
        .eb
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| sdk_error(&format!("cannot read the tags of {what}"), e))?;
    Ok(env.account.ours(
        out.resource_tags()
            .iter()
            .map(|t| (t.key().unwrap_or(""), t.value().unwrap_or(""))),
    ))
}

async fn application(env: &Env, name: &str) -> Result<Resource> {
    let out = env
        .eb
        .describe_applications()
        .application_names(name)
        .send()
        .await
        .map_err(|e| sdk_error(&format!("cannot look up application {name}"), e))?;
    let found = match out.applications().iter().find(|a| {
        a.application_name()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    }) {
        Some(a) => {
            let arn = a.application_arn().unwrap_or_default().to_string();
            let ours = tagged_ours(env, &arn, &format!("application {name}")).await?;
            Some((arn, ours))
        }
        None => None,
    };
    Ok(resource(Kind::Application, name, Vec::new(), found))
}

/// An environment not terminated (or terminating) of that name in its application.
pub(super) async fn live_environment(
    env: &Env,
    e: &Environment,
) -> Result<Option<aws_sdk_elasticbeanstalk::types::EnvironmentDescription>> {
    let out = env
        .eb
        .describe_environments()
        .application_name(&e.application)
        .environment_names(&e.name)
        .include_deleted(false)
        .send()
        .await;
    let out = match out {
        Ok(out) => out,
        // No application yet: no environment either.
        Err(err)
            if crate::aws::service_message(&err)
                .is_some_and(|m| m.contains("No Application named")) =>
        {
            return Ok(None)
        }
        Err(err) => {
            return Err(sdk_error(
                &format!("cannot look up environment {}", e.name),
                err,
            ))
        }
    };
    Ok(out
        .environments()
        .iter()
        .find(|d| {
            d.environment_name()
                .is_some_and(|n| n.eq_ignore_ascii_case(&e.name))
                && d.status().map(|s| s.as_str()) != Some("Terminated")
        })
        .cloned())
}

async fn environment(env: &Env, e: &Environment) -> Result<Resource> {
    let live = live_environment(env, e).await?;
    if let Some(d) = &live {
        // Destroy goes on waiting for a termination under way (an interrupted destroy's).
        if env.purpose == Purpose::Create && d.status().map(|s| s.as_str()) == Some("Terminating") {
            return Err(Error::failed(format!(
                "environment {} is still terminating: a new one of that name cannot be made yet",
                e.name
            ))
            .with_hint("try again in a few minutes"));
        }
    }
    let found = match live {
        Some(d) => {
            let arn = d.environment_arn().unwrap_or_default().to_string();
            let ours = tagged_ours(env, &arn, &format!("environment {}", e.name)).await?;
            Some((arn, ours))
        }
        None => None,
    };
    let mut settings = vec![("application".into(), e.application.clone())];
    if let Some(platform) = &env.platform {
        settings.push(("platform".into(), platform.clone()));
    }
    settings.extend([
        (
            "type".into(),
            if e.load_balanced {
                "load balanced (application load balancer)".into()
            } else {
                "single instance".into()
            },
        ),
        ("instance profile".into(), env.instance_profile.clone()),
    ]);
    if let Some(path) = &e.health_path {
        settings.push(("health".into(), path.clone()));
    }
    if e.services.len() > 1 {
        settings.push(("services".into(), e.services.join(" ")));
    }
    Ok(resource(Kind::Environment, &e.name, settings, found))
}

/// The environment `id` as Elastic Beanstalk lists it, terminated ones included (a torn-down
/// launch is listed as Terminated for a while). The waits that read it take a transient failure
/// as no news (`wait::unless_lasting`).
pub(super) async fn by_id(
    env: &Env,
    id: &str,
    name: &str,
) -> Result<Option<aws_sdk_elasticbeanstalk::types::EnvironmentDescription>> {
    match env
        .eb
        .describe_environments()
        .environment_ids(id)
        .include_deleted(true)
        .send()
        .await
    {
        Ok(o) => Ok(o.environments().first().cloned()),
        Err(err) => Err(sdk_error(&format!("cannot read environment {name}"), err)),
    }
}
