//! Creating one resource, tagged, from what exists already (`Known`): each returns its id (an ARN,
//! an AWS id or a repository URI) for the resources made after it. Waits say what they wait for
//! and end at the deadline.

mod account;
mod namespace;
mod network;
mod service;

use std::time::Instant;

use aws_sdk_ec2::types::{IpPermission, IpRange, UserIdGroupPair};

use account::{cluster, log_group};
use network::{active, group, ingress, listener, load_balancer, target_group};
use service::{service, steady, task_definition};

use super::{Env, Svc, EXECUTION_POLICY};
use crate::aws::sdk_error;
use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::provision::{Kind, Known, Resource};

/// The trust policy of a role ECS tasks assume.
const TASKS_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

pub use crate::release::NO_RELEASE_YET;
pub(super) use namespace::{id_of as namespace_id, operation as cloud_map_operation};

/// Create `r` (which is missing) and return its id. A failure after the resource itself was
/// made (a policy not attached, a port not opened, a load balancer that never became active)
/// returns its id with the error, so the caller deletes it with the rest.
pub async fn create(
    env: &Env,
    r: &Resource,
    known: &Known,
    ctx: &StepCtx,
    deadline: Instant,
) -> std::result::Result<String, (Option<String>, Error)> {
    if r.kind == Kind::Namespace {
        // Made asynchronously by Cloud Map: its id is known once the operation succeeds.
        return namespace::create(env, &r.name, ctx, deadline).await;
    }
    let id = make(env, r, known).await.map_err(|e| (None, e))?;
    finish(env, r, &id, known, ctx, deadline)
        .await
        .map_err(|e| (Some(id.clone()), e))?;
    Ok(id)
}

/// Make a resource devloop made earlier ready, as a run interrupted after making it would have:
/// its policy attached, its ports opened, its retention and draining time set (each idempotent).
pub async fn ready(
    env: &Env,
    r: &Resource,
    id: &str,
    known: &Known,
    ctx: &StepCtx,
    deadline: Instant,
) -> Result<()> {
    match r.kind {
        Kind::Service | Kind::TaskDefinition | Kind::LoadBalancer | Kind::Namespace => Ok(()),
        _ => finish(env, r, id, known, ctx, deadline).await,
    }
}

/// The call that makes the resource exist.
async fn make(env: &Env, r: &Resource, known: &Known) -> Result<String> {
    let name = r.name.as_str();
    match r.kind {
        Kind::Repository => env.account.create_repository(name).await,
        Kind::LedgerBucket => env.account.create_bucket(name).await,
        Kind::LogGroup => log_group(env, name).await,
        Kind::ExecutionRole | Kind::TaskRole => {
            env.account.create_role(r.kind, name, TASKS_TRUST).await
        }
        Kind::Cluster => cluster(env, name).await,
        Kind::LbSecurityGroup => group(env, name, known, "the load balancer of").await,
        Kind::TaskSecurityGroup => group(env, name, known, "the tasks of").await,
        Kind::LoadBalancer => load_balancer(env, name, known).await,
        Kind::TargetGroup => {
            let svc = env
                .public()
                .ok_or_else(|| Error::failed("no public service"))?;
            target_group(env, name, svc, known).await
        }
        Kind::Listener => {
            let svc = env
                .public()
                .ok_or_else(|| Error::failed("no public service"))?;
            let lb = known.id(Kind::LoadBalancer, &env.load_balancer)?;
            let tg = known.id(Kind::TargetGroup, &env.target_group(svc))?;
            listener(env, lb, tg).await
        }
        Kind::TaskDefinition => {
            let svc = service_named(env, |s| s.family == name)?;
            task_definition(env, svc, known).await
        }
        Kind::Service => {
            let svc = service_named(env, |s| s.service == name)?;
            service(env, svc, known).await
        }
        other => Err(Error::failed(format!(
            "{} is not one of the ECS services' resources",
            other.label()
        ))),
    }
}

/// What makes a made resource ready: its policy, its openings, its wait.
async fn finish(
    env: &Env,
    r: &Resource,
    id: &str,
    known: &Known,
    ctx: &StepCtx,
    deadline: Instant,
) -> Result<()> {
    let name = r.name.as_str();
    match r.kind {
        Kind::LedgerBucket => env.account.finish_bucket(name).await,
        Kind::LogGroup => env
            .clients
            .logs
            .put_retention_policy()
            .log_group_name(name)
            .retention_in_days(30)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(&format!("cannot set the retention of log group {name}"), e)),
        Kind::ExecutionRole => env.account.attach(name, &[EXECUTION_POLICY]).await,
        Kind::LbSecurityGroup => {
            let open = IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(80)
                .to_port(80)
                .ip_ranges(
                    IpRange::builder()
                        .cidr_ip("0.0.0.0/0")
                        .description("HTTP from anywhere")
                        .build(),
                )
                .build();
            ingress(env, id, open).await
        }
        Kind::TaskSecurityGroup => {
            // The public service's port from the load balancer; every other service's port from
            // the set's own tasks (the frontend reaching the API).
            let mut openings: Vec<(u16, String)> = Vec::new();
            for s in &env.services {
                let from = if s.load_balancer {
                    known.id(Kind::LbSecurityGroup, &env.lb_group)?.to_string()
                } else {
                    id.to_string()
                };
                if !openings.contains(&(s.port, from.clone())) {
                    openings.push((s.port, from));
                }
            }
            for (port, from) in openings {
                let open = IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(i32::from(port))
                    .to_port(i32::from(port))
                    .user_id_group_pairs(UserIdGroupPair::builder().group_id(&from).build())
                    .build();
                ingress(env, id, open).await?;
            }
            Ok(())
        }
        Kind::LoadBalancer => active(env, name, id, ctx, deadline).await,
        // Old tasks drain in 30 s, not the default 300 s that every deploy would wait out.
        Kind::TargetGroup => env
            .clients
            .elb
            .modify_target_group_attributes()
            .target_group_arn(id)
            .attributes(
                aws_sdk_elasticloadbalancingv2::types::TargetGroupAttribute::builder()
                    .key("deregistration_delay.timeout_seconds")
                    .value("30")
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(&format!("cannot set the draining time of {name}"), e)),
        Kind::Service => {
            let svc = service_named(env, |s| s.service == name)?;
            if svc.desired > 0 {
                steady(env, svc, ctx, deadline).await?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn service_named(env: &Env, by: impl Fn(&Svc) -> bool) -> Result<&Svc> {
    env.services
        .iter()
        .find(|s| by(s))
        .ok_or_else(|| Error::failed("no such service in devloop.toml"))
}
