//! Creating the network in front of the tasks: security groups and their openings, the load
//! balancer (waited until active), its target group and listener.

use std::time::Instant;

use crate::aws::sdk_error;
use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::provision::wait::{self, Look};
use crate::provision::Kind;

use aws_sdk_ec2::types::{IpPermission, ResourceType, TagSpecification};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, LoadBalancerSchemeEnum, LoadBalancerStateEnum, LoadBalancerTypeEnum,
    Matcher, ProtocolEnum, TargetTypeEnum,
};

use super::super::{Env, Svc};
use super::Known;

pub(super) async fn group(env: &Env, name: &str, known: &Known, what: &str) -> Result<String> {
    let mut spec = TagSpecification::builder().resource_type(ResourceType::SecurityGroup);
    for (k, v) in env.tags() {
        spec = spec.tags(aws_sdk_ec2::types::Tag::builder().key(k).value(v).build());
    }
    let out = env
        .clients
        .ec2
        .create_security_group()
        .group_name(name)
        .description(format!(
            "{what} {} (made by devloop provision)",
            env.account.base
        ))
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
pub(super) async fn ingress(env: &Env, group: &str, open: IpPermission) -> Result<()> {
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

pub(super) fn elb_tags(env: &Env) -> Vec<aws_sdk_elasticloadbalancingv2::types::Tag> {
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

pub(super) async fn load_balancer(env: &Env, name: &str, known: &Known) -> Result<String> {
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
pub(super) async fn active(
    env: &Env,
    name: &str,
    arn: &str,
    ctx: &StepCtx,
    deadline: Instant,
) -> Result<()> {
    let what = format!("load balancer {name} to become active");
    wait::until(ctx, deadline, &what, wait::PACE, || async {
        let out = match env
            .clients
            .elb
            .describe_load_balancers()
            .load_balancer_arns(arn)
            .send()
            .await
        {
            Ok(out) => out,
            // Made a moment ago: a read that does not list it yet lags the write.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_load_balancer_not_found_exception()) =>
            {
                return Ok(Look::NotYet(Some("not listed yet".into())))
            }
            Err(e) => {
                return wait::unless_lasting(sdk_error(
                    &format!("cannot read load balancer {name}"),
                    e,
                ))
            }
        };
        let state = out
            .load_balancers()
            .first()
            .and_then(|l| l.state().cloned());
        match state.as_ref().and_then(|s| s.code()) {
            Some(LoadBalancerStateEnum::Active) => Ok(Look::Done(())),
            Some(LoadBalancerStateEnum::Failed) => Err(Error::failed(format!(
                "load balancer {name} did not become active: {}",
                state
                    .as_ref()
                    .and_then(|s| s.reason())
                    .unwrap_or("no reason given")
            ))),
            Some(code) => Ok(Look::NotYet(Some(code.as_str().to_string()))),
            None => Ok(Look::NotYet(None)),
        }
    })
    .await
}

pub(super) async fn target_group(
    env: &Env,
    name: &str,
    svc: &Svc,
    known: &Known,
) -> Result<String> {
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

pub(super) async fn listener(env: &Env, lb: &str, tg: &str) -> Result<String> {
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
