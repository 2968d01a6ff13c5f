//! Creating what the account holds for the environment: the image repository, the ledger's
//! bucket, the log group, the roles and the cluster.

use crate::aws::sdk_error;
use crate::error::{Error, Result};
use crate::provision::Kind;

use super::super::Env;
use super::TASKS_TRUST;

pub(super) async fn repository(env: &Env, name: &str) -> Result<String> {
    let mut req = env.clients.ecr.create_repository().repository_name(name);
    for (k, v) in env.tags() {
        let tag = aws_sdk_ecr::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .map_err(|e| Error::failed(e.to_string()))?;
        req = req.tags(tag);
    }
    let out = req
        .send()
        .await
        .map_err(|e| sdk_error(&format!("cannot create ECR repository {name}"), e))?;
    Ok(out
        .repository()
        .and_then(|r| r.repository_uri())
        .unwrap_or(name)
        .to_string())
}

pub(super) async fn bucket(env: &Env, name: &str) -> Result<String> {
    let mut req = env.s3.create_bucket().bucket(name);
    // us-east-1 takes no location constraint; every other region needs its own.
    if env.region != "us-east-1" && !env.region.is_empty() {
        req = req.create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                    env.region.as_str(),
                ))
                .build(),
        );
    }
    req.send()
        .await
        .map_err(|e| sdk_error(&format!("cannot create S3 bucket {name}"), e))?;
    Ok(name.to_string())
}

pub(super) async fn log_group(env: &Env, name: &str) -> Result<String> {
    let c = &env.clients.logs;
    let mut req = c.create_log_group().log_group_name(name);
    for (k, v) in env.tags() {
        req = req.tags(k, v);
    }
    req.send()
        .await
        .map_err(|e| sdk_error(&format!("cannot create log group {name}"), e))?;
    Ok(name.to_string())
}

pub(super) async fn role(env: &Env, kind: Kind, name: &str) -> Result<String> {
    let c = &env.clients.iam;
    let mut req = c
        .create_role()
        .role_name(name)
        .assume_role_policy_document(TASKS_TRUST)
        .description(format!(
            "{} of {} (made by devloop provision)",
            kind.label(),
            env.base
        ));
    for (k, v) in env.tags() {
        let tag = aws_sdk_iam::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .map_err(|e| Error::failed(e.to_string()))?;
        req = req.tags(tag);
    }
    let out = req
        .send()
        .await
        .map_err(|e| sdk_error(&format!("cannot create IAM role {name}"), e))?;
    out.role()
        .map(|r| r.arn().to_string())
        .ok_or_else(|| Error::failed(format!("IAM created role {name} but returned no ARN")))
}

pub(super) async fn cluster(env: &Env, name: &str) -> Result<String> {
    // In an account that never ran ECS, the service-linked role ECS needs may not exist yet, and
    // CreateCluster/CreateService fail with "Unable to assume the service linked role" until it
    // does: ask for it first. It is the account's (shared by every cluster), never deleted; "has
    // been taken" means it is there.
    let _ = env
        .clients
        .iam
        .create_service_linked_role()
        .aws_service_name("ecs.amazonaws.com")
        .send()
        .await;
    let mut req = env.clients.ecs.create_cluster().cluster_name(name);
    for (k, v) in env.tags() {
        req = req.tags(aws_sdk_ecs::types::Tag::builder().key(k).value(v).build());
    }
    let out = req
        .send()
        .await
        .map_err(|e| sdk_error(&format!("cannot create ECS cluster {name}"), e))?;
    Ok(out
        .cluster()
        .and_then(|c| c.cluster_arn())
        .unwrap_or(name)
        .to_string())
}
