//! `target = "beanstalk"`: an application version made from a content-addressed bundle, the
//! environment updated to it, and the update watched to a verdict decided by state.
//!
//! Before anything is uploaded or created, the application and the environment must exist, the
//! environment must be Ready (not busy with another update), and an `image` release must be in a
//! registry the instances can pull. Success is only Ready, Green (Ok) and running our version
//! label; an ERROR/FATAL event for our request, Red health, or an environment that settles on
//! another label is a failure, and Elastic Beanstalk putting the previous version back is exit 3.

mod bundle;
mod checkpoint;
pub(super) mod compose;
mod events;
mod monitor;
mod rollback;
mod rollout;
pub(super) mod set;
mod settings;
mod verdict;
mod version;
mod watch;

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_elasticbeanstalk::types::EnvironmentDescription;
use aws_sdk_elasticbeanstalk::Client;
use serde_json::json;

use super::{Checkpoint, Diff, LogLine, LogQuery, Outcome, Rollout, Status, Target};
use crate::aws::patience::{patiently, READ_PATIENCE};
use crate::aws::sdk_error;
use crate::config::schema::{BeanstalkTarget, BundleKind};
use crate::config::ENV_NAMESPACE;
use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::release::Record;
use crate::session::Session;
use bundle::Bundle;
pub use set::{deploy_set_bundle, diff_set_bundle};
use verdict::describe;

pub struct Beanstalk {
    project: Arc<Session>,
    settings: BeanstalkTarget,
}

/// The two AWS services a deploy talks to.
pub(super) struct Clients {
    pub eb: Client,
    pub s3: aws_sdk_s3::Client,
}

impl Beanstalk {
    pub fn new(project: Arc<Session>) -> Result<Beanstalk> {
        let settings = project.config.doc.deploy.beanstalk.clone().ok_or_else(|| {
            Error::usage(
                "target \"beanstalk\" needs [deploy.beanstalk] with application and environment",
            )
        })?;
        Ok(Beanstalk { project, settings })
    }

    async fn clients(&self) -> Result<Clients> {
        let sdk = self.project.aws().await?;
        Ok(Clients {
            eb: Client::new(sdk),
            s3: aws_sdk_s3::Client::new(sdk),
        })
    }

    /// The environment as it is now (any status but terminated); exit 2 when there is none.
    async fn environment(&self, eb: &Client) -> Result<EnvironmentDescription> {
        let (app, name) = (&self.settings.application, &self.settings.environment);
        let out = eb
            .describe_environments()
            .application_name(app)
            .environment_names(name)
            .include_deleted(false)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("cannot describe environment {name}"), e))?;
        // Some endpoints (moto) ignore the filters: match the names here, in any case, as
        // Elastic Beanstalk itself does.
        out.environments()
            .iter()
            .find(|e| {
                e.environment_name()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
                    && e.application_name()
                        .is_none_or(|a| a.eq_ignore_ascii_case(app))
                    && !verdict::status_is(e, "Terminated")
            })
            .cloned()
            .ok_or_else(|| {
                Error::usage(format!(
                    "Elastic Beanstalk environment \"{name}\" does not exist in application \"{app}\""
                ))
                .with_hint("create the environment first (devloop deploys to an existing one), or fix deploy.beanstalk.environment")
            })
    }

    /// The environment, read before anything changes (what runs, the preflight): a throttled or
    /// failed read is retried with backoff for a while, since several services' reads share the
    /// account's rate and none of them is a verdict.
    async fn environment_patiently(&self, eb: &Client) -> Result<EnvironmentDescription> {
        patiently(READ_PATIENCE, || self.environment(eb)).await
    }

    /// The application and environment, proven to exist, and the environment Ready: what must
    /// hold before anything is uploaded or created.
    async fn live(&self, eb: &Client) -> Result<EnvironmentDescription> {
        let app = &self.settings.application;
        let apps = patiently(READ_PATIENCE, || async {
            eb.describe_applications()
                .application_names(app)
                .send()
                .await
                .map_err(|e| sdk_error(&format!("cannot describe application {app}"), e))
        })
        .await?;
        if !apps.applications().iter().any(|a| {
            a.application_name()
                .is_some_and(|n| n.eq_ignore_ascii_case(app))
        }) {
            return Err(Error::usage(format!(
                "Elastic Beanstalk application \"{app}\" does not exist"
            ))
            .with_hint("create it first, or fix deploy.beanstalk.application"));
        }
        let env = self.environment_patiently(eb).await?;
        if !verdict::status_is(&env, "Ready") {
            return Err(self.busy(&env));
        }
        Ok(env)
    }

    /// The refusal for an environment that is not Ready (another update, a launch, an abort).
    fn busy(&self, env: &EnvironmentDescription) -> Error {
        let name = &self.settings.environment;
        let mut err = Error::usage(format!(
            "Elastic Beanstalk environment \"{name}\" is busy ({}); it must be Ready before devloop changes it. Nothing was uploaded or changed",
            describe(env)
        ));
        err.hint = Some(if env.abortable_operation_in_progress() == Some(true) {
            format!("wait for the operation to finish, or stop it with `aws elasticbeanstalk abort-environment-update --environment-name {name}`")
        } else {
            "wait for the operation to finish, then deploy again".to_string()
        });
        err
    }

    /// An `image` bundle needs a release the instances can pull.
    fn check_record(&self, record: &Record) -> Result<()> {
        if self.settings.bundle == BundleKind::Source {
            return Ok(());
        }
        if record.registry.is_none() {
            return Err(Error::usage(format!(
                "release {} is only tagged in a local Docker daemon, which Elastic Beanstalk instances cannot pull from",
                record.id
            ))
            .with_hint("set release.registry (\"ecr\" or a registry host) and run `devloop release`, or use bundle = \"source\""));
        }
        let host = record.repository.split('/').next().unwrap_or_default();
        let name = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
        if matches!(name, "localhost" | "[::1]") || name.starts_with("127.") {
            return Err(Error::usage(format!(
                "release {} was pushed to {host}, a registry on this machine that Elastic Beanstalk instances cannot reach",
                record.id
            ))
            .with_hint("set release.registry to ECR or a registry the instances can reach"));
        }
        Ok(())
    }

    /// Build the bundle for `image` off the async threads (a source tree may be large).
    async fn bundle(&self, image: &str) -> Result<Bundle> {
        let root = self.project.config.root.clone();
        let s = self.settings.clone();
        let app = self.project.config.app().to_string();
        let image = image.to_string();
        let env_file = !s.env.is_empty() || s.options.contains_key(ENV_NAMESPACE);
        tokio::task::spawn_blocking(move || bundle::build(&root, &s, &app, &image, env_file))
            .await
            .map_err(|e| Error::failed_because("building the bundle stopped", e))?
    }

    /// The release a version label was made from: labels are `<release id>-<bundle digest>`.
    async fn release_of(&self, label: Option<&str>) -> Result<Option<String>> {
        let Some(label) = label else { return Ok(None) };
        let records = crate::release::history(&self.project).await?;
        Ok(records
            .iter()
            .rev()
            .find(|r| {
                label
                    .strip_prefix(r.id.as_str())
                    .is_some_and(|rest| rest.starts_with('-'))
            })
            .map(|r| r.id.clone()))
    }

    /// The preflight, then the rollout.
    async fn deploy_with(
        &self,
        c: &Clients,
        record: &Record,
        ctx: &StepCtx,
        deadline: std::time::Instant,
    ) -> Result<Outcome> {
        let env = self.live(&c.eb).await?;
        self.rollout(c, env, record, ctx, deadline).await
    }

    /// What a deploy of `record` (None: the release being made) would change, read-only.
    async fn diff_with(&self, c: &Clients, record: Option<&Record>) -> Result<Diff> {
        let env = self.live(&c.eb).await?;
        let image = record
            .map(|r| r.image.as_str())
            .unwrap_or(super::IMAGE_TO_COME);
        let bundle = self.bundle(image).await?;
        self.diff_bundle(c, &env, &bundle, record).await
    }

    /// What updating the environment to `bundle` (made for `record`) would change: the version
    /// and the option settings.
    async fn diff_bundle(
        &self,
        c: &Clients,
        env: &EnvironmentDescription,
        bundle: &Bundle,
        record: Option<&Record>,
    ) -> Result<Diff> {
        let label = record.map(|r| bundle.label(&r.id));
        let wanted = settings::wanted(&self.settings);
        let live = settings::live_if_wanted(&c.eb, &self.settings, &wanted).await?;
        let changed = settings::changed(&wanted, &live);
        let current = env.version_label().unwrap_or("(none)").to_string();
        let exists = match &label {
            Some(l) => self.version(&c.eb, l).await?.is_some(),
            None => false,
        };
        let mut text = String::new();
        // As the rollout judges it: a set's service on the same bundle is no new version.
        let same_bundle =
            self.project.config.multi && current.ends_with(&format!("-{}", &bundle.digest[..12]));
        let new_version = label.as_deref() != Some(current.as_str()) && !same_bundle;
        if new_version {
            text.push_str(&format!(
                "environment {}: version {current} -> {}{}\n",
                self.name(),
                label
                    .as_deref()
                    .unwrap_or("(the version of the release being made)"),
                if exists {
                    " (the application version exists; nothing is uploaded or created)"
                } else {
                    " (a new application version)"
                }
            ));
        }
        text.push_str(&format!("bundle: {}\n", bundle.summary()));
        for (k, w) in &changed {
            text.push_str(&format!(
                "option setting {}\n",
                settings::describe_change(k, w, &live)
            ));
        }
        let changes = new_version || !changed.is_empty();
        if !changes {
            text.push_str(&format!(
                "no changes: environment {} already runs version {current} with these option settings\n",
                self.name()
            ));
        }
        let option_changes: Vec<String> = changed
            .iter()
            .map(|(k, w)| settings::describe_change(k, w, &live))
            .collect();
        Ok(Diff {
            changes,
            text,
            details: json!({
                "environment": describe(env),
                "live_version": current,
                "version_label": label,
                "version_exists": exists,
                "bundle": bundle.details(),
                "option_changes": option_changes,
            }),
        })
    }

    fn env_name(&self) -> &str {
        self.project.config.env_name()
    }
}

#[async_trait]
impl Target for Beanstalk {
    fn name(&self) -> String {
        format!(
            "{}/{}",
            self.settings.application, self.settings.environment
        )
    }

    fn describe(&self) -> String {
        format!(
            "create an application version from a {} bundle (named by its digest, uploaded once) and update Elastic Beanstalk environment {}, watched until it is Ready and Green on that version",
            match self.settings.bundle {
                BundleKind::Image => "image",
                BundleKind::Source => "source",
            },
            self.name()
        )
    }

    async fn deploy(&self, record: &Record, ctx: &StepCtx, how: &Rollout) -> Result<Outcome> {
        self.check_record(record)?;
        let c = self.clients().await?;
        self.deploy_with(&c, record, ctx, how.deadline).await
    }

    async fn diff(&self, record: Option<&Record>) -> Result<Option<Diff>> {
        if let Some(r) = record {
            self.check_record(r)?;
        }
        let c = self.clients().await?;
        self.diff_with(&c, record).await.map(Some)
    }

    async fn running(&self) -> Result<Option<String>> {
        let c = self.clients().await?;
        let env = self.environment_patiently(&c.eb).await?;
        self.release_of(env.version_label()).await
    }

    async fn checkpoint(&self) -> Result<Option<Checkpoint>> {
        let c = self.clients().await?;
        self.checkpoint_with(&c).await
    }

    async fn restore_to(
        &self,
        checkpoint: &Checkpoint,
        ctx: &StepCtx,
        how: &Rollout,
    ) -> Result<Outcome> {
        let c = self.clients().await?;
        self.restore_with(&c, checkpoint, ctx, how.deadline).await
    }

    async fn status(&self, window: Option<std::time::Duration>) -> Result<Status> {
        let sdk = self.project.aws().await?;
        let eb = Client::new(sdk);
        let cw = window.map(|w| (aws_sdk_cloudwatch::Client::new(sdk), w));
        self.status_with(&eb, cw.as_ref().map(|(c, w)| (c, *w)))
            .await
    }

    async fn logs(&self, q: &LogQuery, out: &mut (dyn FnMut(LogLine) + Send)) -> Result<()> {
        let sdk = self.project.aws().await?;
        let logs = aws_sdk_cloudwatchlogs::Client::new(sdk);
        self.logs_with(&Client::new(sdk), &logs, q, out).await
    }
}

#[cfg(test)]
mod tests;
