//! Creating one resource, tagged, from what exists already (`Known`): each returns its id (an ARN,
//! an AWS id or a repository URI) for the resources made after it. Waits say what they wait for
//! and end at the deadline.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType, TagSpecification, UserIdGroupPair};
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition,
    DeploymentCircuitBreaker, DeploymentConfiguration, KeyValuePair, LaunchType, LoadBalancer,
    LogConfiguration, LogDriver, NetworkConfiguration, NetworkMode, PortMapping, Secret,
};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, LoadBalancerSchemeEnum, LoadBalancerStateEnum, LoadBalancerTypeEnum,
    Matcher, ProtocolEnum, TargetTypeEnum,
};

use super::{Env, Svc, EXECUTION_POLICY};
use crate::aws::sdk_error;
use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::provision::{Kind, Resource};

/// Ids of what exists (found or made by this run), and the network the service goes in.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub ids: HashMap<(Kind, String), String>,
    pub vpc: String,
    pub subnets: Vec<String>,
}

impl Known {
    fn id(&self, kind: Kind, name: &str) -> Result<&str> {
        self.ids
            .get(&(kind, name.to_string()))
            .map(String::as_str)
            .ok_or_else(|| Error::failed(format!("{} {name} is not there yet", kind.label())))
    }
}

/// The trust policy of a role ECS tasks assume.
const TASKS_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

pub use crate::release::NO_RELEASE_YET;

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
        Kind::Service | Kind::TaskDefinition | Kind::LoadBalancer => Ok(()),
        _ => finish(env, r, id, known, ctx, deadline).await,
    }
}

/// The call that makes the resource exist.
async fn make(env: &Env, r: &Resource, known: &Known) -> Result<String> {
    let name = r.name.as_str();
    match r.kind {
        Kind::Repository => repository(env, name).await,
        Kind::LedgerBucket => bucket(env, name).await,
        Kind::LogGroup => log_group(env, name).await,
        Kind::ExecutionRole | Kind::TaskRole => role(env, r.kind, name).await,
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
        Kind::LedgerBucket => {
            let tags = env
                .tags()
                .into_iter()
                .map(|(k, v)| aws_sdk_s3::types::Tag::builder().key(k).value(v).build())
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| Error::failed(e.to_string()))?;
            let tagging = aws_sdk_s3::types::Tagging::builder()
                .set_tag_set(Some(tags))
                .build()
                .map_err(|e| Error::failed(e.to_string()))?;
            env.s3
                .put_bucket_tagging()
                .bucket(name)
                .tagging(tagging)
                .send()
                .await
                .map_err(|e| sdk_error(&format!("cannot tag S3 bucket {name}"), e))?;
            env.s3
                .put_public_access_block()
                .bucket(name)
                .public_access_block_configuration(
                    aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
                        .block_public_acls(true)
                        .ignore_public_acls(true)
                        .block_public_policy(true)
                        .restrict_public_buckets(true)
                        .build(),
                )
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error(&format!("cannot block public access to {name}"), e))
        }
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
        Kind::ExecutionRole => env
            .clients
            .iam
            .attach_role_policy()
            .role_name(name)
            .policy_arn(EXECUTION_POLICY)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(&format!("cannot attach the execution policy to {name}"), e)),
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

async fn repository(env: &Env, name: &str) -> Result<String> {
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

async fn bucket(env: &Env, name: &str) -> Result<String> {
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

async fn log_group(env: &Env, name: &str) -> Result<String> {
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

async fn role(env: &Env, kind: Kind, name: &str) -> Result<String> {
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

async fn cluster(env: &Env, name: &str) -> Result<String> {
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

async fn group(env: &Env, name: &str, known: &Known, what: &str) -> Result<String> {
    let mut spec = TagSpecification::builder().resource_type(ResourceType::SecurityGroup);
    for (k, v) in env.tags() {
        spec = spec.tags(aws_sdk_ec2::types::Tag::builder().key(k).value(v).build());
    }
    let out = env
        .clients
        .ec2
        .create_security_group()
        .group_name(name)
        .description(format!("{what} {} (made by devloop provision)", env.base))
        .vpc_id(&known.vpc)
        .tag_specifications(spec.build())
        .send()
        .await
        .map_err(|e| sdk_error(&format!("cannot create security group {name}"), e))?;
    out.group_id()
        .map(str::to_string)
        .ok_or_else(|| Error::failed(format!("EC2 created {name} but returned no group id")))
}

/// Open `group` as `open` says; an opening that is there already is fine (a re-run).
async fn ingress(env: &Env, group: &str, open: IpPermission) -> Result<()> {
    match env
        .clients
        .ec2
        .authorize_security_group_ingress()
        .group_id(group)
        .ip_permissions(open)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .and_then(|s| aws_smithy_types::error::metadata::ProvideErrorMetadata::code(s))
                == Some("InvalidPermission.Duplicate") =>
        {
            Ok(())
        }
        Err(e) => Err(sdk_error(&format!("cannot open security group {group}"), e)),
    }
}

fn elb_tags(env: &Env) -> Vec<aws_sdk_elasticloadbalancingv2::types::Tag> {
    env.tags()
        .into_iter()
        .map(|(k, v)| {
            aws_sdk_elasticloadbalancingv2::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
        })
        .collect()
}

async fn load_balancer(env: &Env, name: &str, known: &Known) -> Result<String> {
    let group = known.id(Kind::LbSecurityGroup, &env.lb_group)?;
    let out = env
        .clients
        .elb
        .create_load_balancer()
        .name(name)
        .set_subnets(Some(known.subnets.clone()))
        .security_groups(group)
        .scheme(LoadBalancerSchemeEnum::InternetFacing)
        .r#type(LoadBalancerTypeEnum::Application)
        .set_tags(Some(elb_tags(env)))
        .send()
        .await
        .map_err(|e| sdk_error(&format!("cannot create load balancer {name}"), e))?;
    out.load_balancers()
        .first()
        .and_then(|l| l.load_balancer_arn())
        .map(str::to_string)
        .ok_or_else(|| Error::failed(format!("ELB created {name} but returned no ARN")))
}

/// Wait until the load balancer is active: serving only then.
async fn active(env: &Env, name: &str, arn: &str, ctx: &StepCtx, deadline: Instant) -> Result<()> {
    let mut poll = Duration::from_secs(2);
    loop {
        ctx.check_cancelled()?;
        // A throttled or failed read is no news.
        let state = env
            .clients
            .elb
            .describe_load_balancers()
            .load_balancer_arns(arn)
            .send()
            .await
            .ok()
            .and_then(|o| o.load_balancers().first().and_then(|l| l.state().cloned()));
        match state.as_ref().and_then(|s| s.code()) {
            Some(LoadBalancerStateEnum::Active) => return Ok(()),
            Some(LoadBalancerStateEnum::Failed) => {
                return Err(Error::failed(format!(
                    "load balancer {name} did not become active: {}",
                    state
                        .as_ref()
                        .and_then(|s| s.reason())
                        .unwrap_or("no reason given")
                )))
            }
            _ => {}
        }
        if Instant::now() >= deadline {
            return Err(Error::new(
                crate::error::ExitKind::Timeout,
                format!("load balancer {name} was still provisioning at the deadline"),
            ));
        }
        ctx.progress(format!("waiting for load balancer {name} to become active"));
        tokio::time::sleep(poll.min(deadline.saturating_duration_since(Instant::now()))).await;
        poll = (poll * 2).min(Duration::from_secs(15));
    }
}

async fn target_group(env: &Env, name: &str, svc: &Svc, known: &Known) -> Result<String> {
    let out = env
        .clients
        .elb
        .create_target_group()
        .name(name)
        .protocol(ProtocolEnum::Http)
        .port(i32::from(svc.port))
        .vpc_id(&known.vpc)
        .target_type(TargetTypeEnum::Ip)
        .health_check_path(&svc.health_path)
        .matcher(Matcher::builder().http_code("200-399").build())
        // A new task is healthy in ~20 s (not the API's 150 s), so a deploy's verdict comes soon.
        .health_check_interval_seconds(10)
        .healthy_threshold_count(2)
        .unhealthy_threshold_count(3)
        .set_tags(Some(elb_tags(env)))
        .send()
        .await
        .map_err(|e| sdk_error(&format!("cannot create target group {name}"), e))?;
    out.target_groups()
        .first()
        .and_then(|t| t.target_group_arn())
        .map(str::to_string)
        .ok_or_else(|| Error::failed(format!("ELB created {name} but returned no ARN")))
}

async fn listener(env: &Env, lb: &str, tg: &str) -> Result<String> {
    let out = env
        .clients
        .elb
        .create_listener()
        .load_balancer_arn(lb)
        .protocol(ProtocolEnum::Http)
        .port(80)
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn(tg)
                .build(),
        )
        .set_tags(Some(elb_tags(env)))
        .send()
        .await
        .map_err(|e| sdk_error("cannot create the load balancer's listener", e))?;
    out.listeners()
        .first()
        .and_then(|l| l.listener_arn())
        .map(str::to_string)
        .ok_or_else(|| Error::failed("ELB created the listener but returned no ARN"))
}

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

async fn task_definition(env: &Env, svc: &Svc, known: &Known) -> Result<String> {
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
        .options("awslogs-region", &env.region)
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

async fn service(env: &Env, svc: &Svc, known: &Known) -> Result<String> {
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

/// Wait until the new service runs its desired count on one completed deployment.
async fn steady(env: &Env, svc: &Svc, ctx: &StepCtx, deadline: Instant) -> Result<()> {
    let mut poll = Duration::from_secs(2);
    loop {
        ctx.check_cancelled()?;
        let read = env
            .clients
            .ecs
            .describe_services()
            .cluster(&svc.cluster)
            .services(&svc.service)
            .send()
            .await;
        // A throttled or failed read is no news.
        if let Some(s) = read.ok().and_then(|o| o.services().first().cloned()) {
            let deps = s.deployments();
            if let [d] = deps {
                let done = d.rollout_state()
                    == Some(&aws_sdk_ecs::types::DeploymentRolloutState::Completed);
                if done && d.running_count() == d.desired_count() {
                    return Ok(());
                }
                if d.rollout_state() == Some(&aws_sdk_ecs::types::DeploymentRolloutState::Failed) {
                    return Err(Error::failed(format!(
                        "ECS service {} did not start: {}",
                        svc.service,
                        d.rollout_state_reason().unwrap_or("its deployment failed")
                    )));
                }
            }
            ctx.progress(format!(
                "waiting for ECS service {} to run {} task(s): {} running",
                svc.service,
                svc.desired,
                s.running_count()
            ));
        }
        if Instant::now() >= deadline {
            return Err(Error::new(
                crate::error::ExitKind::Timeout,
                format!(
                    "ECS service {} did not reach a steady state before the deadline",
                    svc.service
                ),
            ));
        }
        tokio::time::sleep(poll.min(deadline.saturating_duration_since(Instant::now()))).await;
        poll = (poll * 2).min(Duration::from_secs(15));
    }
}
