//! Where a release goes (the local daemon, ECR, any other registry) and putting a tag there:
//! tagged, pushed unless the registry already has it, with an expiring ECR login renewed.

use crate::aws::ecr;
use crate::docker::build::tag as tag_image;
use crate::docker::push;
use crate::engine::StepCtx;
use crate::error::Result;
use crate::registry::{self, Auth};
use crate::session::Session;

use super::Record;

/// The kind of registry a release setting or a record names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryKind {
    /// Amazon ECR: logins come from the AWS credentials and expire after 12 hours.
    Ecr,
    /// Any other registry: credentials from the Docker config and its helpers.
    Other,
}

/// How a record labels ECR (`ECR (<host>)`), so a record says where it went in words.
const ECR_LABEL: &str = "ECR";

impl RegistryKind {
    /// The kind `release.registry` names (`"ecr"`, or a host).
    pub fn of_setting(registry: &str) -> RegistryKind {
        if registry == "ecr" {
            RegistryKind::Ecr
        } else {
            RegistryKind::Other
        }
    }
    /// The kind of registry a release was pushed to; `None` for a release only in a daemon.
    pub fn of_record(record: &Record) -> Option<RegistryKind> {
        let label = record.registry.as_deref()?;
        Some(if label.starts_with(ECR_LABEL) {
            RegistryKind::Ecr
        } else {
            RegistryKind::Other
        })
    }
}

/// Where a release goes, with what pushing there takes: the one place that tells ECR from any
/// other registry.
pub enum Destination {
    /// A tag in the local daemon.
    Local,
    /// A registry repository (`host/ns/name`) and the credentials to push to it.
    Registry {
        label: String,
        repository: String,
        auth: Option<Auth>,
        ecr: Option<Box<ecr::Login>>,
    },
}

impl Destination {
    /// Where `name` is released under the project's `release` settings; logs in (and, on ECR, makes
    /// the repository) as needed, and masks the credentials.
    pub async fn open(project: &Session, ctx: &StepCtx, name: &str) -> Result<Destination> {
        let r = &project.config.doc.release;
        let Some(registry) = r.registry.as_ref().map(|s| s.get_ref().clone()) else {
            return Ok(Destination::Local);
        };
        if RegistryKind::of_setting(&registry) == RegistryKind::Ecr {
            let sdk = project.aws().await?;
            if ecr::ensure_repository(sdk, name, &r.ecr).await? {
                ctx.log(format!("created ECR repository {name}"));
            }
            let login = ecr::login(sdk, &r.ecr).await?;
            ctx.add_secrets([login.token.clone(), login.auth.password.clone()]);
            return Ok(Destination::Registry {
                label: format!("{ECR_LABEL} ({})", login.host),
                repository: format!("{}/{name}", login.host),
                auth: Some(login.auth.clone()),
                ecr: Some(Box::new(login)),
            });
        }
        let (host, namespace) = registry::split_registry(&registry);
        let auth = registry::credentials(&project.ambient, host).await?;
        if let Some(a) = &auth {
            ctx.add_secrets([a.password.clone()]);
        }
        let repository = if namespace.is_empty() {
            format!("{host}/{name}")
        } else {
            format!("{host}/{namespace}/{name}")
        };
        Ok(Destination::Registry {
            label: host.to_string(),
            repository,
            auth,
            ecr: None,
        })
    }

    /// Point `tag` at the image: a local tag, or tagged and pushed to the registry (skipped when the
    /// registry already has this image under that tag). Returns the pushed digest (when known) and
    /// whether anything was pushed.
    pub async fn put_tag(
        &mut self,
        project: &Session,
        ctx: &StepCtx,
        image_id: &str,
        name: &str,
        t: &str,
    ) -> Result<(Option<String>, bool)> {
        let daemon = project.daemon().await?;
        let Destination::Registry {
            repository,
            auth,
            ecr: login,
            ..
        } = self
        else {
            tag_image(daemon, image_id, &format!("{name}:{t}")).await?;
            return Ok((None, false));
        };
        let reference = format!("{repository}:{t}");
        tag_image(daemon, image_id, &reference).await?;
        if login.as_ref().is_some_and(|l| l.expiring()) {
            ctx.progress("renewing the ECR login");
            let fresh = ecr::login(project.aws().await?, &project.config.doc.release.ecr).await?;
            ctx.add_secrets([fresh.token.clone(), fresh.auth.password.clone()]);
            *auth = Some(fresh.auth.clone());
            *login = Some(Box::new(fresh));
        }
        let local_digests = daemon
            .client
            .inspect_image(image_id)
            .await
            .ok()
            .and_then(|i| i.repo_digests)
            .unwrap_or_default();
        let remote = push::remote_digest(daemon, &reference, auth.as_ref()).await;
        let present = remote
            .as_ref()
            .is_some_and(|d| local_digests.contains(&format!("{repository}@{d}")));
        if present {
            ctx.log(format!(
                "{reference} is already in the registry with this image; not pushed"
            ));
            return Ok((remote, false));
        }
        ctx.log_status(format!("pushing {reference}"));
        let d = push::push(daemon, ctx, &reference, auth.as_ref()).await?;
        Ok((Some(d), true))
    }
}
