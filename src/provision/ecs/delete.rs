//! Deleting one resource devloop created, dependents first by the caller's order. A resource
//! still in use by one being deleted (a security group on a load balancer's interfaces, a cluster
//! with a draining service) is tried again until the deadline, each wait said.

use std::future::Future;
use std::time::Instant;

use super::Env;
use crate::aws::sdk_error;
use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::provision::wait::{self, Look};
use crate::provision::Kind;
use aws_sdk_servicediscovery::types::{FilterCondition, ServiceFilter, ServiceFilterName};

/// Codes of "still in use by something being deleted": worth another try.
const IN_USE: &[&str] = &[
    "DependencyViolation",
    "ResourceInUse",
    "ClusterContainsServicesException",
    "ClusterContainsTasksException",
    "DeleteConflict",
];

/// Delete the resource `kind` named `name` with id `id`. Gone already is done.
pub async fn delete(
    env: &Env,
    kind: Kind,
    name: &str,
    id: &str,
    ctx: &StepCtx,
    deadline: Instant,
) -> Result<()> {
    let c = &env.clients;
    match kind {
        Kind::Service => {
            let cluster = cluster_of(env, name);
            let _ = c
                .ecs
                .update_service()
                .cluster(&cluster)
                .service(name)
                .desired_count(0)
                .send()
                .await;
            match c
                .ecs
                .delete_service()
                .cluster(&cluster)
                .service(name)
                .force(true)
                .send()
                .await
            {
                Ok(_) => {}
                Err(e)
                    if e.as_service_error().is_some_and(|s| {
                        s.is_service_not_found_exception() || s.is_cluster_not_found_exception()
                    }) =>
                {
                    return Ok(())
                }
                Err(e) => return Err(sdk_error(&format!("cannot delete ECS service {name}"), e)),
            }
            // Draining: the cluster cannot go before the service has.
            retry(
                ctx,
                deadline,
                &format!("ECS service {name} to drain"),
                || async {
                    let out = c
                        .ecs
                        .describe_services()
                        .cluster(&cluster)
                        .services(name)
                        .send()
                        .await
                        .map_err(|e| sdk_error(&format!("cannot read ECS service {name}"), e))?;
                    let gone = out
                        .services()
                        .iter()
                        .all(|s| s.status() == Some("INACTIVE"));
                    if gone {
                        Ok(())
                    } else {
                        Err(Error::failed("ResourceInUse: draining"))
                    }
                },
            )
            .await
        }
        Kind::TaskDefinition => {
            let mut arns = Vec::new();
            let mut token = None;
            loop {
                let out = c
                    .ecs
                    .list_task_definitions()
                    .family_prefix(name)
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(|e| sdk_error(&format!("cannot list task definitions {name}"), e))?;
                arns.extend(out.task_definition_arns().iter().cloned());
                match out.next_token() {
                    Some(t) => token = Some(t.to_string()),
                    None => break,
                }
            }
            for arn in &arns {
                // Only this family, not one whose name starts with it.
                let family = arn
                    .rsplit('/')
                    .next()
                    .and_then(|r| r.rsplit_once(':'))
                    .map(|(f, _)| f);
                if family != Some(name) {
                    continue;
                }
                c.ecs
                    .deregister_task_definition()
                    .task_definition(arn)
                    .send()
                    .await
                    .map_err(|e| sdk_error(&format!("cannot deregister {arn}"), e))?;
            }
            Ok(())
        }
        Kind::Listener => match c.elb.delete_listener().listener_arn(id).send().await {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_listener_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(sdk_error(&format!("cannot delete listener {name}"), e)),
        },
        Kind::TargetGroup => {
            retry(
                ctx,
                deadline,
                &format!("target group {name} to be free"),
                || async {
                    c.elb
                        .delete_target_group()
                        .target_group_arn(id)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| sdk_error(&format!("cannot delete target group {name}"), e))
                },
            )
            .await
        }
        Kind::LoadBalancer => {
            match c
                .elb
                .delete_load_balancer()
                .load_balancer_arn(id)
                .send()
                .await
            {
                Ok(_) => {}
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_load_balancer_not_found_exception()) =>
                {
                    return Ok(())
                }
                Err(e) => return Err(sdk_error(&format!("cannot delete load balancer {name}"), e)),
            }
            retry(
                ctx,
                deadline,
                &format!("load balancer {name} to be gone"),
                || async {
                    match c
                        .elb
                        .describe_load_balancers()
                        .load_balancer_arns(id)
                        .send()
                        .await
                    {
                        Ok(out) if !out.load_balancers().is_empty() => {
                            Err(Error::failed("ResourceInUse: still deleting"))
                        }
                        _ => Ok(()),
                    }
                },
            )
            .await
        }
        Kind::LbSecurityGroup | Kind::TaskSecurityGroup => {
            retry(
                ctx,
                deadline,
                &format!("security group {name} to be free"),
                || async {
                    match c.ec2.delete_security_group().group_id(id).send().await {
                        Ok(_) => Ok(()),
                        Err(e) if crate::aws::service_code(&e) == Some("InvalidGroup.NotFound") => {
                            Ok(())
                        }
                        Err(e) => Err(sdk_error(
                            &format!("cannot delete security group {name}"),
                            e,
                        )),
                    }
                },
            )
            .await
        }
        Kind::Cluster => {
            retry(
                ctx,
                deadline,
                &format!("ECS cluster {name} to be empty"),
                || async {
                    match c.ecs.delete_cluster().cluster(name).send().await {
                        Ok(_) => Ok(()),
                        Err(e)
                            if e.as_service_error()
                                .is_some_and(|s| s.is_cluster_not_found_exception()) =>
                        {
                            Ok(())
                        }
                        Err(e) => Err(sdk_error(&format!("cannot delete ECS cluster {name}"), e)),
                    }
                },
            )
            .await
        }
        Kind::Namespace => {
            let ns = super::create::namespace_id(id).to_string();
            // ECS leaves behind the Cloud Map service Service Connect made for each service
            // (Copilot's users meet it as "SC service is already used"), and Cloud Map refuses
            // to delete a namespace that has one: they go first, each retried while in use.
            let names: Vec<&str> = env.services.iter().map(|s| s.name.as_str()).collect();
            retry(
                ctx,
                deadline,
                &format!("the Cloud Map services in {name} to be free"),
                || cloud_map_services_gone(env, &ns, &names),
            )
            .await?;
            let asked = retry(
                ctx,
                deadline,
                &format!("Cloud Map namespace {name} to be free of services"),
                || async {
                    match c.sd.delete_namespace().id(&ns).send().await {
                        Ok(out) => Ok(out.operation_id().map(str::to_string)),
                        Err(e)
                            if e.as_service_error()
                                .is_some_and(|s| s.is_namespace_not_found()) =>
                        {
                            Ok(None)
                        }
                        Err(e) => Err(sdk_error(
                            &format!("cannot delete Cloud Map namespace {name}"),
                            e,
                        )),
                    }
                },
            )
            .await?;
            if let Some(op) = asked {
                let what = format!("Cloud Map namespace {name} to be deleted");
                super::create::cloud_map_operation(env, &op, &what, ctx, deadline).await?;
            }
            Ok(())
        }
        Kind::ExecutionRole | Kind::TaskRole => env.account.delete_role(name).await,
        Kind::LogGroup => match c.logs.delete_log_group().log_group_name(name).send().await {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(sdk_error(&format!("cannot delete log group {name}"), e)),
        },
        Kind::LedgerBucket => env.account.delete_bucket(name).await,
        Kind::Repository => env.account.delete_repository(name).await,
        other => Err(Error::failed(format!(
            "{} is not one of the ECS services' resources",
            other.label()
        ))),
    }
}

/// Delete the Cloud Map services of the namespace `ns` named like the set's services (one
/// listing for all). Cloud Map may list services of other namespaces too (an endpoint that
/// ignores the filter): each is read back, and only one of `ns` is deleted.
async fn cloud_map_services_gone(env: &Env, ns: &str, names: &[&str]) -> Result<()> {
    let sd = &env.clients.sd;
    let filter = ServiceFilter::builder()
        .name(ServiceFilterName::NamespaceId)
        .values(ns)
        .condition(FilterCondition::Eq)
        .build()
        .map_err(|e| Error::failed(e.to_string()))?;
    let mut token = None;
    let mut ids = Vec::new();
    loop {
        let out = sd
            .list_services()
            .filters(filter.clone())
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| sdk_error(&format!("cannot list the Cloud Map services of {ns}"), e))?;
        ids.extend(
            out.services()
                .iter()
                .filter(|s| s.name().is_some_and(|n| names.contains(&n)))
                .filter_map(|s| Some((s.id()?.to_string(), s.name()?.to_string()))),
        );
        match out.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    for (id, name) in ids {
        let read = sd.get_service().id(&id).send().await;
        let in_ns = match &read {
            Ok(out) => out.service().and_then(|s| s.namespace_id()) == Some(ns),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_service_not_found()) =>
            {
                false
            }
            Err(_) => true,
        };
        if !in_ns {
            continue;
        }
        match sd.delete_service().id(&id).send().await {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_service_not_found()) => {}
            Err(e) => {
                return Err(sdk_error(
                    &format!("cannot delete Cloud Map service {name} ({id})"),
                    e,
                ))
            }
        }
    }
    Ok(())
}

/// The cluster of the service named `service` in devloop.toml.
fn cluster_of(env: &Env, service: &str) -> String {
    env.services
        .iter()
        .find(|s| s.service == service)
        .or(env.services.first())
        .map(|s| s.cluster.clone())
        .unwrap_or_default()
}

/// Run `attempt` until it succeeds, trying again while what it deletes is still in use, until
/// the deadline; any other error ends it at once.
async fn retry<T, F, Fut>(
    ctx: &StepCtx,
    deadline: Instant,
    waiting_for: &str,
    attempt: F,
) -> Result<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    wait::until(ctx, deadline, waiting_for, wait::PACE, || async {
        match attempt().await {
            Ok(t) => Ok(Look::Done(t)),
            Err(err) if IN_USE.iter().any(|c| err.message.contains(c)) => {
                Ok(Look::NotYet(Some(err.message)))
            }
            Err(err) => wait::unless_lasting(err),
        }
    })
    .await
}
