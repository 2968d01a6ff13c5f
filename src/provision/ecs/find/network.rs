//! Looking up the network of the environment: its VPC and subnets (one per zone, two zones at
//! least), its security groups, and the load balancer with its target group and listener.

use aws_sdk_ec2::types::Filter;

use super::super::{resource, Env, Svc};
use crate::aws::sdk_error;
use crate::error::{Error, Result};
use crate::provision::{Kind, Resource};

/// The VPC: `deploy.ecs.vpc`, else the account's default one in the region.
pub async fn vpc(env: &Env) -> Result<String> {
    if let Some(v) = &env.vpc {
        return Ok(v.clone());
    }
    let out = env
        .clients
        .ec2
        .describe_vpcs()
        .filters(Filter::builder().name("isDefault").values("true").build())
        .send()
        .await
        .map_err(|e| sdk_error("cannot look up the default VPC", e))?;
    out.vpcs()
        .first()
        .and_then(|v| v.vpc_id())
        .map(str::to_string)
        .ok_or_else(|| {
            Error::usage(format!(
                "the region {} has no default VPC to put the service in",
                env.account.region
            ))
            .with_hint("set deploy.ecs.vpc and deploy.ecs.subnets")
        })
}

/// The subnets: `deploy.ecs.subnets`, else one subnet of the VPC in each Availability Zone (a
/// load balancer takes one per zone, and needs two zones at least: checked here, before anything
/// is made).
pub async fn subnets(env: &Env, vpc: &str) -> Result<Vec<String>> {
    let mut req = env.clients.ec2.describe_subnets();
    req = if env.subnets.is_empty() {
        req.filters(Filter::builder().name("vpc-id").values(vpc).build())
    } else {
        req.set_subnet_ids(Some(env.subnets.clone()))
    };
    let out = req
        .send()
        .await
        .map_err(|e| sdk_error(&format!("cannot look up the subnets of {vpc}"), e))?;
    let mut chosen: Vec<(String, String)> = Vec::new();
    for s in out.subnets() {
        let (Some(id), zone) = (s.subnet_id(), s.availability_zone().unwrap_or_default()) else {
            continue;
        };
        let same_zone = chosen.iter().any(|(_, z)| z == zone);
        if !env.subnets.is_empty() && same_zone {
            return Err(Error::usage(format!(
                "deploy.ecs.subnets has two subnets in {zone}; a load balancer takes one subnet per Availability Zone"
            )));
        }
        if !same_zone {
            chosen.push((id.to_string(), zone.to_string()));
        }
    }
    if chosen.is_empty() {
        return Err(
            Error::usage(format!("VPC {vpc} has no subnet")).with_hint("set deploy.ecs.subnets")
        );
    }
    if env.public().is_some() && chosen.len() < 2 {
        return Err(Error::usage(format!(
            "the load balancer needs subnets in two Availability Zones at least, and {} has only {}",
            if env.subnets.is_empty() { vpc } else { "deploy.ecs.subnets" },
            chosen[0].1
        ))
        .with_hint("set deploy.ecs.subnets to subnets in two zones, or deploy.ecs.load_balancer = false"));
    }
    Ok(chosen.into_iter().map(|(id, _)| id).collect())
}

/// A security group by name in `vpc`.
async fn group_id(env: &Env, name: &str, vpc: &str) -> Result<Option<(String, bool)>> {
    let out = env
        .clients
        .ec2
        .describe_security_groups()
        .filters(Filter::builder().name("group-name").values(name).build())
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .send()
        .await
        .map_err(|e| sdk_error(&format!("cannot look up security group {name}"), e))?;
    Ok(out.security_groups().first().map(|g| {
        let ours = env.ours(
            g.tags()
                .iter()
                .map(|t| (t.key().unwrap_or(""), t.value().unwrap_or(""))),
        );
        (g.group_id().unwrap_or_default().to_string(), ours)
    }))
}

pub(super) async fn group(
    env: &Env,
    kind: Kind,
    name: &str,
    vpc: &str,
    settings: Vec<(String, String)>,
) -> Result<Resource> {
    let found = group_id(env, name, vpc).await?;
    Ok(resource(kind, name, settings, found))
}

/// Whether an ELB resource carries devloop's tags (a failed read is an error, not "no").
pub(super) async fn elb_ours(env: &Env, arn: &str) -> Result<bool> {
    let out = env
        .clients
        .elb
        .describe_tags()
        .resource_arns(arn)
        .send()
        .await
        .map_err(|e| sdk_error(&format!("cannot read the tags of {arn}"), e))?;
    Ok(out.tag_descriptions().iter().any(|d| {
        env.ours(
            d.tags()
                .iter()
                .map(|t| (t.key().unwrap_or(""), t.value().unwrap_or(""))),
        )
    }))
}

pub(super) async fn load_balancer(env: &Env) -> Result<Resource> {
    let name = &env.load_balancer;
    let found = match env
        .clients
        .elb
        .describe_load_balancers()
        .names(name)
        .send()
        .await
    {
        Ok(out) => match out
            .load_balancers()
            .first()
            .and_then(|l| l.load_balancer_arn())
        {
            Some(arn) => Some((arn.to_string(), elb_ours(env, arn).await?)),
            None => None,
        },
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_load_balancer_not_found_exception()) =>
        {
            None
        }
        Err(e) => {
            return Err(sdk_error(
                &format!("cannot look up load balancer {name}"),
                e,
            ))
        }
    };
    Ok(resource(
        Kind::LoadBalancer,
        name,
        vec![
            ("type".into(), "application".into()),
            ("scheme".into(), "internet-facing".into()),
        ],
        found,
    ))
}

pub(super) async fn target_group(env: &Env, svc: &Svc, vpc: &str) -> Result<Resource> {
    let name = env.target_group(svc);
    let found = match env
        .clients
        .elb
        .describe_target_groups()
        .names(&name)
        .send()
        .await
    {
        Ok(out) => match out
            .target_groups()
            .first()
            .and_then(|t| t.target_group_arn())
        {
            Some(arn) => Some((arn.to_string(), elb_ours(env, arn).await?)),
            None => None,
        },
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_target_group_not_found_exception()) =>
        {
            None
        }
        Err(e) => return Err(sdk_error(&format!("cannot look up target group {name}"), e)),
    };
    Ok(resource(
        Kind::TargetGroup,
        &name,
        vec![
            ("port".into(), svc.port.to_string()),
            ("health".into(), svc.health_path.clone()),
            ("targets".into(), "ip".into()),
            ("vpc".into(), vpc.to_string()),
        ],
        found,
    ))
}

/// The HTTP listener on port 80 of the load balancer (devloop's when the load balancer is).
pub(super) async fn listener(
    env: &Env,
    svc: &Svc,
    lb: Option<&str>,
    lb_ours: bool,
) -> Result<Resource> {
    let name = format!("{}:80", env.load_balancer);
    let mut found = None;
    if let Some(arn) = lb {
        let out = env
            .clients
            .elb
            .describe_listeners()
            .load_balancer_arn(arn)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("cannot list the listeners of {arn}"), e))?;
        found = out
            .listeners()
            .iter()
            .find(|l| l.port() == Some(80))
            .and_then(|l| l.listener_arn())
            .map(|a| (a.to_string(), lb_ours));
    }
    Ok(resource(
        Kind::Listener,
        &name,
        vec![(
            "forward".into(),
            format!("HTTP:80 → {}", env.target_group(svc)),
        )],
        found,
    ))
}
