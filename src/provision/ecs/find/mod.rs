//! Read-only lookups: each resource the environment needs, found by its name (and whose it is,
//! by its tags), the way `plan` shows it and `provision` and `destroy` start from it.

mod network;

use network::{group, listener, load_balancer, target_group};
pub use network::{subnets, vpc};

use super::{resource, Env, Svc};
use crate::aws::sdk_error;
use crate::error::{Error, Result};
use crate::provision::{Kind, Purpose, Resource};
use aws_sdk_servicediscovery::types::{FilterCondition, NamespaceFilter, NamespaceFilterName};

/// Every resource, in the order of creation.
pub async fn all(env: &Env) -> Result<Vec<Resource>> {
    let mut out = Vec::new();
    for s in &env.services {
        if let Some(repo) = &s.repository {
            out.push(env.account.find_repository(repo).await?);
        }
    }
    if let Some(bucket) = &env.ledger_bucket {
        out.push(
            env.account
                .find_bucket(
                    Kind::LedgerBucket,
                    bucket,
                    vec![("public access".into(), "blocked".into())],
                )
                .await?,
        );
    }
    out.push(log_group(env).await?);
    if env.services.iter().any(|s| s.execution_role_arn.is_none()) {
        let settings = vec![
            ("trust".into(), "ecs-tasks.amazonaws.com".into()),
            ("policy".into(), "AmazonECSTaskExecutionRolePolicy".into()),
        ];
        out.push(
            env.account
                .find_role(Kind::ExecutionRole, &env.execution_role, settings)
                .await?,
        );
    }
    if env.services.iter().any(|s| s.task_role_arn.is_none()) {
        let settings = vec![("trust".into(), "ecs-tasks.amazonaws.com".into())];
        out.push(
            env.account
                .find_role(Kind::TaskRole, &env.task_role, settings)
                .await?,
        );
    }
    let mut clusters: Vec<&str> = env.services.iter().map(|s| s.cluster.as_str()).collect();
    clusters.sort();
    clusters.dedup();
    for c in clusters {
        out.push(cluster(env, c).await?);
    }
    if let Some(ns) = &env.namespace {
        out.push(namespace(env, ns).await?);
    }
    let creating = env.purpose == Purpose::Create;
    let vpc = vpc(env).await?;
    // Checked here too, so `plan` says what a provision would refuse.
    if creating {
        subnets(env, &vpc).await?;
    }
    let ports: Vec<String> = env.services.iter().map(|s| s.port.to_string()).collect();
    if env.public().is_some() {
        let settings = vec![
            ("vpc".into(), vpc.clone()),
            ("ingress".into(), "tcp/80 from 0.0.0.0/0".into()),
        ];
        out.push(group(env, Kind::LbSecurityGroup, &env.lb_group, &vpc, settings).await?);
    }
    let from = if env.public().is_some() {
        format!("from {}", env.lb_group)
    } else {
        "from the tasks' own group".to_string()
    };
    let settings = vec![
        ("vpc".into(), vpc.clone()),
        ("ingress".into(), format!("tcp/{} {from}", ports.join(","))),
    ];
    out.push(
        group(
            env,
            Kind::TaskSecurityGroup,
            &env.task_group,
            &vpc,
            settings,
        )
        .await?,
    );
    if let Some(public) = env.public() {
        let lb = load_balancer(env).await?;
        if let (true, crate::provision::Exists::Theirs(_)) = (creating, &lb.exists) {
            // devloop would add its listener to it: never change what is not devloop's.
            return Err(Error::usage(format!(
                "a load balancer named {} exists and was not made by devloop: devloop adds a listener to the load balancer it makes, and never changes one it did not",
                env.load_balancer
            ))
            .with_hint("delete or rename that load balancer, or set deploy.ecs.load_balancer = false and put the service behind it yourself"));
        }
        let lb_arn = lb.id().map(str::to_string);
        let lb_ours = matches!(lb.exists, crate::provision::Exists::Ours(_));
        out.push(lb);
        out.push(target_group(env, public, &vpc).await?);
        out.push(listener(env, public, lb_arn.as_deref(), lb_ours).await?);
    }
    for s in &env.services {
        out.push(task_definition(env, s).await?);
        out.push(service(env, s).await?);
    }
    Ok(out)
}

#[allow(deprecated)] // ListTagsLogGroup: what moto and every region answer
async fn log_group(env: &Env) -> Result<Resource> {
    let c = &env.clients.logs;
    let name = &env.log_group;
    let out = c
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .map_err(|e| sdk_error(&format!("cannot look up log group {name}"), e))?;
    let found = match out
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name.as_str()))
    {
        Some(g) => {
            let tags = c
                .list_tags_log_group()
                .log_group_name(name)
                .send()
                .await
                .map_err(|e| sdk_error(&format!("cannot read the tags of {name}"), e))?
                .tags
                .unwrap_or_default();
            let ours = env.ours(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            Some((g.arn().unwrap_or(name).to_string(), ours))
        }
        None => None,
    };
    Ok(resource(
        Kind::LogGroup,
        name,
        vec![("retention".into(), "30 days".into())],
        found,
    ))
}

async fn cluster(env: &Env, name: &str) -> Result<Resource> {
    let out = env
        .clients
        .ecs
        .describe_clusters()
        .clusters(name)
        .include(aws_sdk_ecs::types::ClusterField::Tags)
        .send()
        .await
        .map_err(|e| sdk_error(&format!("cannot look up ECS cluster {name}"), e))?;
    let found = out
        .clusters()
        .iter()
        .find(|c| c.status() == Some("ACTIVE"))
        .map(|c| {
            let ours = env.ours(
                c.tags()
                    .iter()
                    .map(|t| (t.key().unwrap_or(""), t.value().unwrap_or(""))),
            );
            (c.cluster_arn().unwrap_or(name).to_string(), ours)
        });
    Ok(resource(Kind::Cluster, name, Vec::new(), found))
}

/// The Cloud Map namespace `name` (HTTP, as Service Connect uses), by its ARN.
pub(in crate::provision::ecs) async fn namespace_arn(
    env: &Env,
    name: &str,
) -> Result<Option<String>> {
    let mut token = None;
    loop {
        let out = env
            .clients
            .sd
            .list_namespaces()
            .filters(
                NamespaceFilter::builder()
                    .name(NamespaceFilterName::Name)
                    .values(name)
                    .condition(FilterCondition::Eq)
                    .build()
                    .map_err(|e| Error::failed(e.to_string()))?,
            )
            .filters(
                NamespaceFilter::builder()
                    .name(NamespaceFilterName::Type)
                    .values("HTTP")
                    .condition(FilterCondition::Eq)
                    .build()
                    .map_err(|e| Error::failed(e.to_string()))?,
            )
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| sdk_error(&format!("cannot look up Cloud Map namespace {name}"), e))?;
        if let Some(ns) = out.namespaces().iter().find(|n| n.name() == Some(name)) {
            return Ok(ns.arn().map(str::to_string));
        }
        match out.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => return Ok(None),
        }
    }
}

pub(in crate::provision::ecs) async fn namespace(env: &Env, name: &str) -> Result<Resource> {
    let found = match namespace_arn(env, name).await? {
        Some(arn) => {
            let tags = env
                .clients
                .sd
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .map_err(|e| sdk_error(&format!("cannot read the tags of {arn}"), e))?;
            let ours = env.ours(tags.tags().iter().map(|t| (t.key(), t.value())));
            Some((arn, ours))
        }
        None => None,
    };
    let names: Vec<String> = env
        .services
        .iter()
        .map(|s| format!("{}:{}", s.name, s.port))
        .collect();
    Ok(resource(
        Kind::Namespace,
        name,
        vec![
            ("type".into(), "HTTP (ECS Service Connect)".into()),
            ("names".into(), names.join(" ")),
        ],
        found,
    ))
}

async fn task_definition(env: &Env, svc: &Svc) -> Result<Resource> {
    let found = match env
        .clients
        .ecs
        .describe_task_definition()
        .task_definition(&svc.family)
        .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
        .send()
        .await
    {
        // A family whose revisions are all deregistered (INACTIVE) has none to build on.
        Ok(out) => out
            .task_definition()
            .filter(|t| t.status() != Some(&aws_sdk_ecs::types::TaskDefinitionStatus::Inactive))
            .map(|t| {
                let ours = env.ours(
                    out.tags()
                        .iter()
                        .map(|t| (t.key().unwrap_or(""), t.value().unwrap_or(""))),
                );
                (
                    t.task_definition_arn().unwrap_or_default().to_string(),
                    ours,
                )
            }),
        // ECS answers ClientException for a family with no revision.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_client_exception()) =>
        {
            None
        }
        Err(e) => {
            return Err(sdk_error(
                &format!("cannot look up task definition {}", svc.family),
                e,
            ))
        }
    };
    let image = svc
        .image
        .clone()
        .unwrap_or_else(|| "no release yet (desired count 0)".to_string());
    Ok(resource(
        Kind::TaskDefinition,
        &svc.family,
        vec![
            ("launch".into(), "FARGATE".into()),
            ("cpu".into(), svc.cpu.clone()),
            ("memory".into(), svc.memory.clone()),
            (
                "container".into(),
                format!("{}:{}", svc.container, svc.port),
            ),
            ("image".into(), image),
        ],
        found,
    ))
}

async fn service(env: &Env, svc: &Svc) -> Result<Resource> {
    let mut connected = false;
    let found = match env
        .clients
        .ecs
        .describe_services()
        .cluster(&svc.cluster)
        .services(&svc.service)
        .include(aws_sdk_ecs::types::ServiceField::Tags)
        .send()
        .await
    {
        Ok(out) if out.services().iter().any(|s| s.status() == Some("DRAINING")) => {
            return Err(Error::failed(format!(
                "ECS service {} is still draining (deleted a moment ago): a new one of that name cannot be made yet",
                svc.service
            ))
            .with_hint("try again in a few minutes"))
        }
        Ok(out) => out
            .services()
            .iter()
            .find(|s| s.status() == Some("ACTIVE"))
            .map(|s| {
                let ours = env.ours(
                    s.tags()
                        .iter()
                        .map(|t| (t.key().unwrap_or(""), t.value().unwrap_or(""))),
                );
                connected = s
                    .deployments()
                    .first()
                    .and_then(|d| d.service_connect_configuration())
                    .is_some_and(|c| c.enabled());
                (s.service_arn().unwrap_or_default().to_string(), ours)
            }),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_cluster_not_found_exception()) =>
        {
            None
        }
        Err(e) => {
            return Err(sdk_error(
                &format!("cannot look up ECS service {}", svc.service),
                e,
            ))
        }
    };
    let mut settings = vec![
        ("cluster".into(), svc.cluster.clone()),
        ("desired".into(), svc.desired.to_string()),
        ("circuit breaker".into(), "on, with rollback".into()),
    ];
    if svc.load_balancer {
        settings.push(("target group".into(), env.target_group(svc)));
    }
    if env.namespace.is_some() {
        // What the live service does, not what devloop would make: one made before (or by
        // hand) is kept as it is.
        let value = match &found {
            None => format!("http://{}:{}", svc.name, svc.port),
            Some(_) if connected => format!("http://{}:{}", svc.name, svc.port),
            Some((_, true)) => "off: devloop made this service before it used Service Connect, and keeps it as it is (`devloop destroy` then `provision` makes it with it; or point the others at it through deploy.ecs.env)".to_string(),
            Some((_, false)) => "off: this service was made without it, not by devloop, and is kept as it is (give it Service Connect in the namespace, or point the others at it through deploy.ecs.env)".to_string(),
        };
        settings.push(("service connect".into(), value));
    }
    Ok(resource(Kind::Service, &svc.service, settings, found))
}
