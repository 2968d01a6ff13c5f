//! Creating each service's first task definition and its ECS service, and waiting until a
//! service that runs tasks is steady.

use std::time::Instant;

use crate::aws::sdk_error;
use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::provision::wait::{self, Look};
use crate::provision::Kind;

use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition,
    DeploymentCircuitBreaker, DeploymentConfiguration, KeyValuePair, LaunchType, LoadBalancer,
    LogConfiguration, LogDriver, NetworkConfiguration, NetworkMode, PortMapping, Secret,
    ServiceConnectClientAlias, ServiceConnectConfiguration, ServiceConnectService,
};

use super::super::{Env, Svc};
use super::{Known, NO_RELEASE_YET};

/// The image of a service's first revision: its newest release, else its repository's
/// `no-release-yet` reference (no task runs it: the service starts with desired count 0).
pub fn first_image(svc: &Svc, known: &Known) -> Result<String> {
    if let Some(image) = &svc.image {
        return Ok(image.clone());
    }
    let repo = match (&svc.repository, &svc.image_repository) {
        (Some(name), _) => known.id(Kind::Repository, name)?.to_string(),
        (None, Some(r)) => r.clone(),
        (None, None) => {
            return Err(Error::usage(format!(
                "service {} has no release and no registry to name an image in",
                svc.name
            )))
        }
    };
    Ok(format!("{repo}:{NO_RELEASE_YET}"))
}

pub(super) async fn task_definition(env: &Env, svc: &Svc, known: &Known) -> Result<String> {
    let execution = match &svc.execution_role_arn {
        Some(a) => a.clone(),
        None => known
            .id(Kind::ExecutionRole, &env.execution_role)?
            .to_string(),
    };
    let task = match &svc.task_role_arn {
        Some(a) => a.clone(),
        None => known.id(Kind::TaskRole, &env.task_role)?.to_string(),
    };
    let logs = LogConfiguration::builder()
        .log_driver(LogDriver::Awslogs)
        .options("awslogs-group", &env.log_group)
        .options("awslogs-region", &env.account.region)
        .options("awslogs-stream-prefix", &svc.name)
        .build()
        .map_err(|e| Error::failed(e.to_string()))?;
    let container = ContainerDefinition::builder()
        .name(&svc.container)
        .image(first_image(svc, known)?)
        .essential(true)
        .port_mappings(
            PortMapping::builder()
                .container_port(i32::from(svc.port))
                // Service Connect publishes the port by this name (service names are already
                // lower-case letters, digits and `-`, as port names must be).
                .set_name(env.namespace.as_ref().map(|_| svc.name.clone()))
                .build(),
        )
        .set_environment(Some(
            svc.env
                .iter()
                .map(|(k, v)| KeyValuePair::builder().name(k).value(v).build())
                .collect(),
        ))
        .set_secrets(Some(
            svc.secrets
                .iter()
                .map(|(k, v)| Secret::builder().name(k).value_from(v).build())
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| Error::failed(e.to_string()))?,
        ))
        .log_configuration(logs)
        .build();
    let mut req = env
        .clients
        .ecs
        .register_task_definition()
        .family(&svc.family)
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .cpu(&svc.cpu)
        .memory(&svc.memory)
        .execution_role_arn(execution)
        .task_role_arn(task)
        .container_definitions(container);
    for (k, v) in env.tags() {
        req = req.tags(aws_sdk_ecs::types::Tag::builder().key(k).value(v).build());
    }
    let out = req.send().await.map_err(|e| {
        sdk_error(
            &format!("cannot register task definition {}", svc.family),
            e,
        )
    })?;
    out.task_definition()
        .and_then(|t| t.task_definition_arn())
        .map(str::to_string)
        .ok_or_else(|| Error::failed("ECS registered the task definition but returned no ARN"))
}

pub(super) async fn service(env: &Env, svc: &Svc, known: &Known) -> Result<String> {
    let c = &env.clients.ecs;
    let td = known.id(Kind::TaskDefinition, &svc.family)?;
    let group = known.id(Kind::TaskSecurityGroup, &env.task_group)?;
    let network = AwsVpcConfiguration::builder()
        .set_subnets(Some(known.subnets.clone()))
        .security_groups(group)
        .assign_public_ip(AssignPublicIp::Enabled)
        .build()
        .map_err(|e| Error::failed(e.to_string()))?;
    let mut req = c
        .create_service()
        .cluster(&svc.cluster)
        .service_name(&svc.service)
        .task_definition(td)
        .desired_count(svc.desired)
        .launch_type(LaunchType::Fargate)
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(network)
                .build(),
        )
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .deployment_circuit_breaker(
                    DeploymentCircuitBreaker::builder()
                        .enable(true)
                        .rollback(true)
                        .build(),
                )
                .build(),
        );
    if svc.load_balancer {
        let tg = known.id(Kind::TargetGroup, &env.target_group(svc))?;
        req = req.load_balancers(
            LoadBalancer::builder()
                .target_group_arn(tg)
                .container_name(&svc.container)
                .container_port(i32::from(svc.port))
                .build(),
        );
    }
    if let Some(ns) = &env.namespace {
        req = req
            .service_connect_configuration(service_connect(svc, known.id(Kind::Namespace, ns)?)?);
    }
    for (k, v) in env.tags() {
        req = req.tags(aws_sdk_ecs::types::Tag::builder().key(k).value(v).build());
    }
    let out = req
        .send()
        .await
        .map_err(|e| sdk_error(&format!("cannot create ECS service {}", svc.service), e))?;
    Ok(out
        .service()
        .and_then(|s| s.service_arn())
        .unwrap_or(&svc.service)
        .to_string())
}

/// Service Connect for a service of a set: its port published in the namespace under its own
/// name, so the others reach it as `http://<name>:<port>` (as on the local targets), and the
/// others' names resolved for it.
fn service_connect(svc: &Svc, namespace: &str) -> Result<ServiceConnectConfiguration> {
    let alias = ServiceConnectClientAlias::builder()
        .port(i32::from(svc.port))
        .dns_name(&svc.name)
        .build()
        .map_err(|e| Error::failed(e.to_string()))?;
    let published = ServiceConnectService::builder()
        .port_name(&svc.name)
        .discovery_name(&svc.name)
        .client_aliases(alias)
        .build()
        .map_err(|e| Error::failed(e.to_string()))?;
    Ok(ServiceConnectConfiguration::builder()
        .enabled(true)
        .namespace(namespace)
        .services(published)
        .build())
}

/// Wait until the new service runs its desired count on one completed deployment.
pub(super) async fn steady(env: &Env, svc: &Svc, ctx: &StepCtx, deadline: Instant) -> Result<()> {
    let what = format!("ECS service {} to run {} task(s)", svc.service, svc.desired);
    wait::until(ctx, deadline, &what, wait::PACE, || async {
        let read = env
            .clients
            .ecs
            .describe_services()
            .cluster(&svc.cluster)
            .services(&svc.service)
            .send()
            .await;
        let out = match read {
            Ok(out) => out,
            Err(e) => {
                return wait::unless_lasting(sdk_error(
                    &format!("cannot read ECS service {}", svc.service),
                    e,
                ))
            }
        };
        let Some(s) = out.services().first().cloned() else {
            return Ok(Look::NotYet(None));
        };
        if let [d] = s.deployments() {
            let done =
                d.rollout_state() == Some(&aws_sdk_ecs::types::DeploymentRolloutState::Completed);
            if done && d.running_count() == d.desired_count() {
                return Ok(Look::Done(()));
            }
            if d.rollout_state() == Some(&aws_sdk_ecs::types::DeploymentRolloutState::Failed) {
                return Err(Error::failed(format!(
                    "ECS service {} did not start: {}",
                    svc.service,
                    d.rollout_state_reason().unwrap_or("its deployment failed")
                )));
            }
        }
        Ok(Look::NotYet(Some(format!("{} running", s.running_count()))))
    })
    .await
}
