//! The ECS services' resources as CloudFormation: the VPC and subnets are parameters.

use serde_json::{json, Map, Value};

use super::{logical, pretty};
use crate::error::{Error, Result};
use crate::provision::ecs::{Env, Svc, EXECUTION_POLICY};

fn tags(env: &Env) -> Value {
    super::tags(&env.account)
}

/// The template, as pretty JSON.
pub fn render(env: &Env) -> Result<String> {
    let mut resources = Map::new();
    let mut outputs = Map::new();
    let tag_list = tags(env);
    for s in &env.services {
        if let Some(repo) = &s.repository {
            resources.insert(
                logical("Repository", &s.name),
                json!({
                    "Type": "AWS::ECR::Repository",
                    "Properties": { "RepositoryName": repo, "Tags": tag_list },
                }),
            );
        }
    }
    resources.insert(
        "LogGroup".into(),
        json!({
            "Type": "AWS::Logs::LogGroup",
            "Properties": { "LogGroupName": env.log_group, "RetentionInDays": 30, "Tags": tag_list },
        }),
    );
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Principal": { "Service": "ecs-tasks.amazonaws.com" }, "Action": "sts:AssumeRole" }],
    });
    // Roles only where a service names none of its own, as provision does.
    if env.services.iter().any(|s| s.execution_role_arn.is_none()) {
        resources.insert(
            "ExecutionRole".into(),
            json!({
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": env.execution_role,
                    "AssumeRolePolicyDocument": trust,
                    "ManagedPolicyArns": [EXECUTION_POLICY],
                    "Tags": tag_list,
                },
            }),
        );
    }
    if env.services.iter().any(|s| s.task_role_arn.is_none()) {
        resources.insert(
            "TaskRole".into(),
            json!({
                "Type": "AWS::IAM::Role",
                "Properties": { "RoleName": env.task_role, "AssumeRolePolicyDocument": trust, "Tags": tag_list },
            }),
        );
    }
    let mut clusters: Vec<&str> = env.services.iter().map(|s| s.cluster.as_str()).collect();
    clusters.sort();
    clusters.dedup();
    for c in &clusters {
        resources.insert(
            logical("Cluster", c),
            json!({
                "Type": "AWS::ECS::Cluster",
                "Properties": { "ClusterName": c, "Tags": tag_list },
            }),
        );
    }
    let public = env.public();
    let mut task_ingress = Vec::new();
    // As provision opens them: the public service's port from the load balancer, every other
    // service's port from the set's own tasks (the frontend reaching the API).
    let mut from_lb: Vec<u16> = Vec::new();
    let mut from_tasks: Vec<u16> = Vec::new();
    for s in &env.services {
        let ports = if s.load_balancer && public.is_some() {
            &mut from_lb
        } else {
            &mut from_tasks
        };
        if !ports.contains(&s.port) {
            ports.push(s.port);
        }
    }
    if public.is_some() {
        resources.insert(
            "LoadBalancerSecurityGroup".into(),
            json!({
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {
                    "GroupName": env.lb_group,
                    "GroupDescription": format!("the load balancer of {}", env.account.base),
                    "VpcId": { "Ref": "VpcId" },
                    "SecurityGroupIngress": [{ "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0" }],
                    "Tags": tag_list,
                },
            }),
        );
        for p in &from_lb {
            task_ingress.push(json!({ "IpProtocol": "tcp", "FromPort": p, "ToPort": p, "SourceSecurityGroupId": { "Ref": "LoadBalancerSecurityGroup" } }));
        }
    }
    resources.insert(
        "TaskSecurityGroup".into(),
        json!({
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupName": env.task_group,
                "GroupDescription": format!("the tasks of {}", env.account.base),
                "VpcId": { "Ref": "VpcId" },
                "SecurityGroupIngress": task_ingress,
                "Tags": tag_list,
            },
        }),
    );
    for p in &from_tasks {
        resources.insert(
            format!("TaskIngress{p}"),
            json!({
                "Type": "AWS::EC2::SecurityGroupIngress",
                "Properties": {
                    "GroupId": { "Ref": "TaskSecurityGroup" },
                    "IpProtocol": "tcp", "FromPort": p, "ToPort": p,
                    "SourceSecurityGroupId": { "Ref": "TaskSecurityGroup" },
                },
            }),
        );
    }
    if let Some(p) = public {
        resources.insert(
            "LoadBalancer".into(),
            json!({
                "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
                "Properties": {
                    "Name": env.load_balancer,
                    "Type": "application",
                    "Scheme": "internet-facing",
                    "Subnets": { "Ref": "Subnets" },
                    "SecurityGroups": [{ "Ref": "LoadBalancerSecurityGroup" }],
                    "Tags": tag_list,
                },
            }),
        );
        resources.insert(
            "TargetGroup".into(),
            json!({
                "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                "Properties": {
                    "Name": env.target_group(p),
                    "Protocol": "HTTP",
                    "Port": p.port,
                    "VpcId": { "Ref": "VpcId" },
                    "TargetType": "ip",
                    "HealthCheckPath": p.health_path,
                    "Matcher": { "HttpCode": "200-399" },
                    "HealthCheckIntervalSeconds": 10,
                    "HealthyThresholdCount": 2,
                    "UnhealthyThresholdCount": 3,
                    "TargetGroupAttributes": [{ "Key": "deregistration_delay.timeout_seconds", "Value": "30" }],
                    "Tags": tag_list,
                },
            }),
        );
        resources.insert(
            "Listener".into(),
            json!({
                "Type": "AWS::ElasticLoadBalancingV2::Listener",
                "Properties": {
                    "LoadBalancerArn": { "Ref": "LoadBalancer" },
                    "Protocol": "HTTP",
                    "Port": 80,
                    "DefaultActions": [{ "Type": "forward", "TargetGroupArn": { "Ref": "TargetGroup" } }],
                },
            }),
        );
        outputs.insert(
            "Url".into(),
            json!({ "Description": "the load balancer's URL", "Value": { "Fn::Sub": "http://${LoadBalancer.DNSName}/" } }),
        );
    }
    if let Some(ns) = &env.namespace {
        resources.insert(
            "Namespace".into(),
            json!({
                "Type": "AWS::ServiceDiscovery::HttpNamespace",
                "Properties": {
                    "Name": ns,
                    "Description": "ECS Service Connect names of the set's services",
                    "Tags": tag_list,
                },
            }),
        );
    }
    for s in &env.services {
        resources.insert(logical("TaskDefinition", &s.name), task_definition(env, s)?);
        let mut props = json!({
            "ServiceName": s.service,
            "Cluster": { "Ref": logical("Cluster", &s.cluster) },
            "TaskDefinition": { "Ref": logical("TaskDefinition", &s.name) },
            "DesiredCount": s.desired,
            "LaunchType": "FARGATE",
            "NetworkConfiguration": { "AwsvpcConfiguration": {
                "Subnets": { "Ref": "Subnets" },
                "SecurityGroups": [{ "Ref": "TaskSecurityGroup" }],
                "AssignPublicIp": "ENABLED",
            }},
            "DeploymentConfiguration": { "DeploymentCircuitBreaker": { "Enable": true, "Rollback": true } },
            "Tags": tag_list,
        });
        let mut service = json!({ "Type": "AWS::ECS::Service", "Properties": {} });
        if s.load_balancer {
            props["LoadBalancers"] = json!([{
                "TargetGroupArn": { "Ref": "TargetGroup" },
                "ContainerName": s.container,
                "ContainerPort": s.port,
            }]);
            service["DependsOn"] = json!(["Listener"]);
        }
        if env.namespace.is_some() {
            props["ServiceConnectConfiguration"] = json!({
                "Enabled": true,
                "Namespace": { "Fn::GetAtt": ["Namespace", "Arn"] },
                "Services": [{
                    "PortName": s.name,
                    "DiscoveryName": s.name,
                    "ClientAliases": [{ "Port": s.port, "DnsName": s.name }],
                }],
            });
        }
        service["Properties"] = props;
        resources.insert(logical("Service", &s.name), service);
    }
    let template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("{} on Amazon ECS (Fargate), as `devloop provision` makes it", env.account.base),
        "Parameters": {
            "VpcId": { "Type": "AWS::EC2::VPC::Id", "Description": "the VPC of the service and its load balancer" },
            "Subnets": { "Type": "List<AWS::EC2::Subnet::Id>", "Description": "subnets in at least two Availability Zones" },
        },
        "Resources": resources,
        "Outputs": outputs,
    });
    pretty(&template)
}

fn task_definition(env: &Env, s: &Svc) -> Result<Value> {
    let image = match (&s.image, &s.repository, &s.image_repository) {
        (Some(i), _, _) => json!(i),
        (None, Some(repo), _) => json!({
            "Fn::Sub": format!("${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.amazonaws.com/{repo}:{}", crate::provision::ecs::NO_RELEASE_YET)
        }),
        (None, None, Some(r)) => json!(format!("{r}:{}", crate::provision::ecs::NO_RELEASE_YET)),
        (None, None, None) => {
            return Err(Error::usage(format!(
                "service {} has no release and no registry to name an image in",
                s.name
            )))
        }
    };
    let execution = match &s.execution_role_arn {
        Some(a) => json!(a),
        None => json!({ "Fn::GetAtt": ["ExecutionRole", "Arn"] }),
    };
    let task = match &s.task_role_arn {
        Some(a) => json!(a),
        None => json!({ "Fn::GetAtt": ["TaskRole", "Arn"] }),
    };
    Ok(json!({
        "Type": "AWS::ECS::TaskDefinition",
        "Properties": {
            "Family": s.family,
            "RequiresCompatibilities": ["FARGATE"],
            "NetworkMode": "awsvpc",
            "Cpu": s.cpu,
            "Memory": s.memory,
            "ExecutionRoleArn": execution,
            "TaskRoleArn": task,
            "ContainerDefinitions": [{
                "Name": s.container,
                "Image": image,
                "Essential": true,
                "PortMappings": [port_mapping(env, s)],
                "Environment": s.env.iter().map(|(k, v)| json!({"Name": k, "Value": v})).collect::<Vec<_>>(),
                "Secrets": s.secrets.iter().map(|(k, v)| json!({"Name": k, "ValueFrom": v})).collect::<Vec<_>>(),
                "LogConfiguration": { "LogDriver": "awslogs", "Options": {
                    "awslogs-group": { "Ref": "LogGroup" },
                    "awslogs-region": { "Ref": "AWS::Region" },
                    "awslogs-stream-prefix": s.name,
                }},
            }],
            "Tags": tags(env),
        },
    }))
}

/// The container's port; in a set, named for Service Connect.
fn port_mapping(env: &Env, s: &Svc) -> Value {
    match env.namespace {
        Some(_) => json!({ "ContainerPort": s.port, "Name": s.name }),
        None => json!({ "ContainerPort": s.port }),
    }
}
