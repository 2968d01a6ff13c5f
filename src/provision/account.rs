//! What every AWS target needs from the account, found, made and deleted the same way for ECS
//! and Elastic Beanstalk: image repositories, S3 buckets and IAM roles, tagged as devloop's.

use std::sync::Arc;

use super::{Exists, Kind, Resource, TAG_APP, TAG_ENV};
use crate::aws::sdk_error;
use crate::error::{Error, Result};
use crate::session::Session;

/// The account of an environment: its region, the base of its names, and the clients every
/// target's provisioning uses.
pub struct Account {
    pub project: Arc<Session>,
    pub region: String,
    /// `<app>-<env>`: the base of what the environment owns.
    pub base: String,
    pub iam: aws_sdk_iam::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub s3: aws_sdk_s3::Client,
}

impl Account {
    pub async fn open(project: &Arc<Session>) -> Result<Account> {
        let sdk = project.aws().await?;
        let cfg = &project.config;
        Ok(Account {
            project: project.clone(),
            region: sdk.region().map(|r| r.to_string()).unwrap_or_default(),
            base: format!("{}-{}", cfg.app(), cfg.env_name()),
            iam: aws_sdk_iam::Client::new(sdk),
            ecr: aws_sdk_ecr::Client::new(sdk),
            s3: aws_sdk_s3::Client::new(sdk),
        })
    }

    /// The tags every resource devloop creates carries.
    pub fn tags(&self) -> [(String, String); 2] {
        let cfg = &self.project.config;
        [
            (TAG_APP.to_string(), cfg.app().to_string()),
            (TAG_ENV.to_string(), cfg.env_name().to_string()),
        ]
    }

    /// Whether `tags` say devloop created the resource for this app and environment.
    pub fn ours<'a>(&self, tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> bool {
        let want = self.tags();
        let tags: Vec<(&str, &str)> = tags.into_iter().collect();
        want.iter()
            .all(|(k, v)| tags.iter().any(|(tk, tv)| tk == k && tv == v))
    }

    /// The bucket `release.ledger` names, if any.
    pub fn ledger_bucket(&self) -> Result<Option<String>> {
        match &self.project.config.doc.release.ledger {
            Some(l) => Ok(Some(crate::aws::s3::parse_location(l.get_ref())?.0)),
            None => Ok(None),
        }
    }

    /// Whether the ledger's bucket is missing (a provision is about to make it, so it holds no
    /// release yet).
    pub async fn ledger_missing(&self) -> Result<bool> {
        Ok(match self.ledger_bucket()? {
            Some(bucket) => self
                .s3
                .head_bucket()
                .bucket(&bucket)
                .send()
                .await
                .is_err_and(|e| e.raw_response().is_some_and(|r| r.status().as_u16() == 404)),
            None => false,
        })
    }

    // ------------------------------------------------------------------------------ finding

    pub async fn find_repository(&self, name: &str) -> Result<Resource> {
        let found = match self
            .ecr
            .describe_repositories()
            .repository_names(name)
            .send()
            .await
        {
            Ok(out) => match out.repositories().first() {
                Some(r) => {
                    let arn = r.repository_arn().unwrap_or_default().to_string();
                    // A tag read that fails is no news: never "not devloop's".
                    let tags = self
                        .ecr
                        .list_tags_for_resource()
                        .resource_arn(&arn)
                        .send()
                        .await
                        .map(|t| t.tags().to_vec())
                        .map_err(|e| sdk_error(&format!("cannot read the tags of {name}"), e))?;
                    let ours = self.ours(tags.iter().map(|t| (t.key(), t.value())));
                    Some((r.repository_uri().unwrap_or(&arn).to_string(), ours))
                }
                None => None,
            },
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_repository_not_found_exception()) =>
            {
                None
            }
            Err(e) => {
                return Err(sdk_error(
                    &format!("cannot look up ECR repository {name}"),
                    e,
                ))
            }
        };
        Ok(resource(Kind::Repository, name, Vec::new(), found))
    }

    /// A bucket (the ledger's, or the one bundles go to), found by name.
    pub async fn find_bucket(
        &self,
        kind: Kind,
        name: &str,
        settings: Vec<(String, String)>,
    ) -> Result<Resource> {
        let found = match self.s3.head_bucket().bucket(name).send().await {
            Ok(_) => {
                let tags = match self.s3.get_bucket_tagging().bucket(name).send().await {
                    Ok(t) => t.tag_set().to_vec(),
                    // A bucket without tags answers NoSuchTagSet.
                    Err(e) if crate::aws::service_code(&e) == Some("NoSuchTagSet") => Vec::new(),
                    Err(e) => {
                        return Err(sdk_error(
                            &format!("cannot read the tags of bucket {name}"),
                            e,
                        ))
                    }
                };
                let ours = self.ours(tags.iter().map(|t| (t.key(), t.value())));
                Some((name.to_string(), ours))
            }
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => None,
            Err(e) => {
                return Err(crate::aws::sdk_error_needing(
                    &format!("cannot look up S3 bucket {name}"),
                    Some("s3:ListBucket on the bucket"),
                    e,
                ))
            }
        };
        Ok(resource(kind, name, settings, found))
    }

    pub async fn find_role(
        &self,
        kind: Kind,
        name: &str,
        settings: Vec<(String, String)>,
    ) -> Result<Resource> {
        let c = &self.iam;
        let found = match c.get_role().role_name(name).send().await {
            Ok(out) => match out.role() {
                Some(r) => {
                    let tags = c
                        .list_role_tags()
                        .role_name(name)
                        .send()
                        .await
                        .map(|t| t.tags().to_vec())
                        .map_err(|e| sdk_error(&format!("cannot read the tags of {name}"), e))?;
                    let ours = self.ours(tags.iter().map(|t| (t.key(), t.value())));
                    Some((r.arn().to_string(), ours))
                }
                None => None,
            },
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) =>
            {
                None
            }
            Err(e) => return Err(sdk_error(&format!("cannot look up IAM role {name}"), e)),
        };
        Ok(resource(kind, name, settings, found))
    }

    // ----------------------------------------------------------------------------- creating

    pub async fn create_repository(&self, name: &str) -> Result<String> {
        let mut req = self.ecr.create_repository().repository_name(name);
        for (k, v) in self.tags() {
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

    pub async fn create_bucket(&self, name: &str) -> Result<String> {
        let mut req = self.s3.create_bucket().bucket(name);
        // us-east-1 takes no location constraint; every other region needs its own.
        if self.region != "us-east-1" && !self.region.is_empty() {
            req = req.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                        self.region.as_str(),
                    ))
                    .build(),
            );
        }
        req.send()
            .await
            .map_err(|e| sdk_error(&format!("cannot create S3 bucket {name}"), e))?;
        Ok(name.to_string())
    }

    /// A bucket devloop made: tagged, and closed to the public.
    pub async fn finish_bucket(&self, name: &str) -> Result<()> {
        let tags = self
            .tags()
            .into_iter()
            .map(|(k, v)| aws_sdk_s3::types::Tag::builder().key(k).value(v).build())
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::failed(e.to_string()))?;
        let tagging = aws_sdk_s3::types::Tagging::builder()
            .set_tag_set(Some(tags))
            .build()
            .map_err(|e| Error::failed(e.to_string()))?;
        self.s3
            .put_bucket_tagging()
            .bucket(name)
            .tagging(tagging)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("cannot tag S3 bucket {name}"), e))?;
        self.s3
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

    /// A role `principal` (`ecs-tasks.amazonaws.com`, `ec2.amazonaws.com` …) assumes.
    pub async fn create_role(&self, kind: Kind, name: &str, trust: &str) -> Result<String> {
        let mut req = self
            .iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(trust)
            .description(format!(
                "{} of {} (made by devloop provision)",
                kind.label(),
                self.base
            ));
        for (k, v) in self.tags() {
            req = req.tags(iam_tag(k, v)?);
        }
        let out = req
            .send()
            .await
            .map_err(|e| sdk_error(&format!("cannot create IAM role {name}"), e))?;
        out.role()
            .map(|r| r.arn().to_string())
            .ok_or_else(|| Error::failed(format!("IAM created role {name} but returned no ARN")))
    }

    /// Attach managed policies to a role (attaching one already attached changes nothing).
    pub async fn attach(&self, role: &str, policies: &[&str]) -> Result<()> {
        for policy in policies {
            self.iam
                .attach_role_policy()
                .role_name(role)
                .policy_arn(*policy)
                .send()
                .await
                .map_err(|e| sdk_error(&format!("cannot attach {policy} to {role}"), e))?;
        }
        Ok(())
    }

    // ----------------------------------------------------------------------------- deleting

    /// Delete a repository with every image in it. Gone already is done.
    pub async fn delete_repository(&self, name: &str) -> Result<()> {
        match self
            .ecr
            .delete_repository()
            .repository_name(name)
            .force(true)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_repository_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(sdk_error(
                &format!("cannot delete ECR repository {name}"),
                e,
            )),
        }
    }

    /// Delete a bucket with every object (and every version of it) in it. Gone already is done.
    pub async fn delete_bucket(&self, name: &str) -> Result<()> {
        let s3 = &self.s3;
        let mut token = None;
        loop {
            let page = match s3
                .list_object_versions()
                .bucket(name)
                .set_key_marker(token.take())
                .send()
                .await
            {
                Ok(p) => p,
                Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {
                    return Ok(())
                }
                Err(e) => return Err(sdk_error(&format!("cannot list S3 bucket {name}"), e)),
            };
            let mut ids = Vec::new();
            for v in page.versions() {
                ids.push((
                    v.key().unwrap_or_default().to_string(),
                    v.version_id().map(str::to_string),
                ));
            }
            for m in page.delete_markers() {
                ids.push((
                    m.key().unwrap_or_default().to_string(),
                    m.version_id().map(str::to_string),
                ));
            }
            for (key, version) in ids {
                s3.delete_object()
                    .bucket(name)
                    .key(&key)
                    .set_version_id(version)
                    .send()
                    .await
                    .map_err(|e| sdk_error(&format!("cannot delete s3://{name}/{key}"), e))?;
            }
            match page.next_key_marker() {
                Some(k) if page.is_truncated() == Some(true) => token = Some(k.to_string()),
                _ => break,
            }
        }
        s3.delete_bucket()
            .bucket(name)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(&format!("cannot delete S3 bucket {name}"), e))
    }

    /// Delete a role with its policies (inline ones a user added go with it). Gone is done.
    pub async fn delete_role(&self, name: &str) -> Result<()> {
        let c = &self.iam;
        let attached = match c.list_attached_role_policies().role_name(name).send().await {
            Ok(out) => out.attached_policies().to_vec(),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) =>
            {
                return Ok(())
            }
            Err(e) => return Err(sdk_error(&format!("cannot read IAM role {name}"), e)),
        };
        let inline = c
            .list_role_policies()
            .role_name(name)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("cannot read IAM role {name}"), e))?;
        for policy in inline.policy_names() {
            c.delete_role_policy()
                .role_name(name)
                .policy_name(policy)
                .send()
                .await
                .map_err(|e| sdk_error(&format!("cannot delete {policy} of {name}"), e))?;
        }
        for p in attached {
            if let Some(arn) = p.policy_arn() {
                c.detach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(|e| sdk_error(&format!("cannot detach {arn} from {name}"), e))?;
            }
        }
        c.delete_role()
            .role_name(name)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(&format!("cannot delete IAM role {name}"), e))
    }
}

/// An IAM tag.
pub fn iam_tag(key: String, value: String) -> Result<aws_sdk_iam::types::Tag> {
    aws_sdk_iam::types::Tag::builder()
        .key(key)
        .value(value)
        .build()
        .map_err(|e| Error::failed(e.to_string()))
}

/// A resource and whether it exists, from a lookup's answer: `Some((id, ours))` when found.
pub fn resource(
    kind: Kind,
    name: &str,
    settings: Vec<(String, String)>,
    found: Option<(String, bool)>,
) -> Resource {
    Resource {
        kind,
        name: name.to_string(),
        settings,
        exists: match found {
            None => Exists::Missing,
            Some((id, true)) => Exists::Ours(id),
            Some((id, false)) => Exists::Theirs(id),
        },
    }
}
