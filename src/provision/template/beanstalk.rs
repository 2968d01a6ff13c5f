//! The Elastic Beanstalk environment's resources as CloudFormation: the application, the roles
//! and instance profile, the bundle bucket devloop would make, and each environment on the
//! platform the region lists today.

use serde_json::{json, Map, Value};

use super::{logical, pretty, tags};
use crate::error::Result;
use crate::provision::beanstalk::{
    Env, EC2_TRUST, ECR_PULL_POLICY, INSTANCE_POLICIES, SERVICE_POLICIES, SERVICE_TRUST,
};
use crate::provision::Kind;

fn trust(doc: &str) -> Value {
    serde_json::from_str(doc).unwrap_or(Value::Null)
}

/// The template, as pretty JSON.
pub fn render(env: &Env) -> Result<String> {
    let platform = env.solution_stack()?;
    let a = &env.account;
    let tag_list = tags(a);
    let mut resources = Map::new();
    let mut outputs = Map::new();
    for repo in &env.repositories {
        resources.insert(
            logical("Repository", repo),
            json!({
                "Type": "AWS::ECR::Repository",
                "Properties": { "RepositoryName": repo, "Tags": tag_list },
            }),
        );
    }
    if let Some((Kind::BundleBucket, bucket)) = &env.bundle_bucket {
        resources.insert(
            "BundleBucket".into(),
            json!({
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketName": bucket,
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": true, "IgnorePublicAcls": true,
                        "BlockPublicPolicy": true, "RestrictPublicBuckets": true,
                    },
                    "Tags": tag_list,
                },
            }),
        );
    }
    let profile = match &env.instance_role {
        Some(role) => {
            let mut policies = INSTANCE_POLICIES.to_vec();
            if env.ecr {
                policies.push(ECR_PULL_POLICY);
            }
            resources.insert(
                "InstanceRole".into(),
                json!({
                    "Type": "AWS::IAM::Role",
                    "Properties": {
                        "RoleName": role,
                        "AssumeRolePolicyDocument": trust(EC2_TRUST),
                        "ManagedPolicyArns": policies,
                        "Tags": tag_list,
                    },
                }),
            );
            resources.insert(
                "InstanceProfile".into(),
                json!({
                    "Type": "AWS::IAM::InstanceProfile",
                    "Properties": {
                        "InstanceProfileName": env.instance_profile,
                        "Roles": [{ "Ref": "InstanceRole" }],
                    },
                }),
            );
            json!({ "Ref": "InstanceProfile" })
        }
        None => json!(env.instance_profile),
    };
    let service_role = match &env.service_role {
        Some(role) => {
            resources.insert(
                "ServiceRole".into(),
                json!({
                    "Type": "AWS::IAM::Role",
                    "Properties": {
                        "RoleName": role,
                        "AssumeRolePolicyDocument": trust(SERVICE_TRUST),
                        "ManagedPolicyArns": SERVICE_POLICIES,
                        "Tags": tag_list,
                    },
                }),
            );
            json!({ "Ref": "ServiceRole" })
        }
        None => json!(env.service_role_name),
    };
    for app in &env.applications {
        resources.insert(
            logical("Application", app),
            json!({
                "Type": "AWS::ElasticBeanstalk::Application",
                "Properties": {
                    "ApplicationName": app,
                    "Description": format!("{} (made by devloop provision)", a.base),
                },
            }),
        );
    }
    for e in &env.environments {
        let settings: Vec<Value> = env
            .option_settings(e)
            .into_iter()
            .map(|(ns, option, value)| {
                let value = match (ns.as_str(), option.as_str()) {
                    ("aws:autoscaling:launchconfiguration", "IamInstanceProfile") => {
                        profile.clone()
                    }
                    ("aws:elasticbeanstalk:environment", "ServiceRole") => service_role.clone(),
                    _ => json!(value),
                };
                json!({ "Namespace": ns, "OptionName": option, "Value": value })
            })
            .collect();
        let id = logical("Environment", &e.name);
        resources.insert(
            id.clone(),
            json!({
                "Type": "AWS::ElasticBeanstalk::Environment",
                "Properties": {
                    "ApplicationName": { "Ref": logical("Application", &e.application) },
                    "EnvironmentName": e.name,
                    "SolutionStackName": platform,
                    "OptionSettings": settings,
                    "Tags": tag_list,
                },
            }),
        );
        outputs.insert(
            logical("Url", &e.name),
            json!({
                "Description": format!("the URL of environment {}", e.name),
                "Value": { "Fn::Join": ["", ["http://", { "Fn::GetAtt": [id, "EndpointURL"] }, "/"]] },
            }),
        );
    }
    pretty(&json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("{} on AWS Elastic Beanstalk ({}), as `devloop provision` makes it", a.base, platform),
        "Resources": resources,
        "Outputs": outputs,
    }))
}
