//! Creating what the account holds for the ECS services alone: the log group and the cluster
//! (repositories, buckets and roles are `provision::account`'s).

use crate::aws::sdk_error;
use crate::error::Result;

use super::super::Env;

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

pub(super) async fn cluster(env: &Env, name: &str) -> Result<String> {
    // In an account that never ran ECS, the service-linked role ECS needs may not exist yet, and
    // CreateCluster/CreateService fail with "Unable to assume the service linked role" until it
    // does: ask for it first. It is the account's (shared by every cluster), never deleted; "has
    // been taken" means it is there.
    let _ = env
        .account
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
