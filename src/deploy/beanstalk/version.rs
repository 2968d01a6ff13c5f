//! The application version a release deploys: reused when it exists, else the bundle uploaded
//! (once) and the version created, then waited on until Elastic Beanstalk has processed it.

use std::collections::HashSet;
use std::time::Instant;

use aws_sdk_elasticbeanstalk::types::{ApplicationVersionDescription, S3Location};
use aws_sdk_elasticbeanstalk::Client;
use aws_smithy_types::DateTime;

use super::bundle::{self, Bundle};
use super::events::Events;
use super::verdict::{backoff, next_poll, severe, version_state, VersionState, POLL_MIN};
use super::{Beanstalk, Clients};
use crate::aws::patience::jittered;
use crate::aws::sdk_error;
use crate::deploy::remaining;
use crate::engine::StepCtx;
use crate::error::{Error, ExitKind, Result};
use crate::release::Record;

impl Beanstalk {
    /// The application version `label`, if it exists.
    pub(super) async fn version(
        &self,
        eb: &Client,
        label: &str,
    ) -> Result<Option<ApplicationVersionDescription>> {
        let app = &self.settings.application;
        let out = eb
            .describe_application_versions()
            .application_name(app)
            .version_labels(label)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("cannot describe application version {label}"), e))?;
        Ok(out
            .application_versions()
            .iter()
            .find(|v| v.version_label() == Some(label))
            .cloned())
    }

    /// The bucket bundles go to: the configured one, else the account's Elastic Beanstalk bucket.
    async fn bucket(&self, eb: &Client) -> Result<String> {
        if let Some(b) = self.settings.bucket.as_deref().filter(|b| !b.is_empty()) {
            return Ok(b.to_string());
        }
        eb.create_storage_location()
            .send()
            .await
            .map_err(|e| sdk_error("cannot find the Elastic Beanstalk storage bucket", e))?
            .s3_bucket
            .ok_or_else(|| Error::failed("CreateStorageLocation named no bucket"))
    }
    /// Make sure the application version `label` exists and is processed: reuse it, or upload
    /// the bundle (unless its key exists) and create it with processing.
    pub(super) async fn ensure_version(
        &self,
        c: &Clients,
        bundle: &Bundle,
        label: &str,
        record: &Record,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<()> {
        let app = &self.settings.application;
        match self
            .version(&c.eb, label)
            .await?
            .as_ref()
            .map(version_state)
        {
            Some(VersionState::Failed) => {
                return Err(Error::failed(format!(
                    "application version {label} exists and failed processing earlier{}",
                    self.processing_errors(&c.eb, label).await
                ))
                .with_hint(format!("fix the bundle, or delete the version with `aws elasticbeanstalk delete-application-version --application-name {app} --version-label {label}`")));
            }
            Some(VersionState::Usable) => {
                ctx.log(format!(
                    "application version {label} exists (same release, same bundle); nothing uploaded or created"
                ));
                return Ok(());
            }
            Some(VersionState::Working(status) | VersionState::Unknown(status)) => {
                ctx.log(format!(
                    "application version {label} exists and is {status}; waiting for it to be processed"
                ));
            }
            None => {
                let bucket = self.bucket(&c.eb).await?;
                let key = bundle.key(app);
                if bundle::upload(&c.s3, &bucket, &key, bundle).await? {
                    ctx.log(format!("uploaded the bundle to s3://{bucket}/{key}"));
                } else {
                    ctx.log(format!(
                        "s3://{bucket}/{key} is already there; not uploaded again"
                    ));
                }
                let description: String =
                    format!("devloop release {} ({})", record.id, record.images())
                        .chars()
                        .take(200)
                        .collect();
                c.eb.create_application_version()
                    .application_name(app)
                    .version_label(label)
                    .description(description)
                    .source_bundle(
                        S3Location::builder()
                            .s3_bucket(&bucket)
                            .s3_key(&key)
                            .build(),
                    )
                    .process(true)
                    .auto_create_application(false)
                    .send()
                    .await
                    .map_err(|e| {
                        sdk_error(&format!("cannot create application version {label}"), e)
                    })?;
                ctx.log(format!("created application version {label}"));
            }
        }
        self.wait_processed(&c.eb, label, ctx, deadline).await
    }

    /// Wait until Elastic Beanstalk has validated the version's bundle. A throttled or failed
    /// read is no news; a status devloop does not know is named while it waits and at the end.
    async fn wait_processed(
        &self,
        eb: &Client,
        label: &str,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<()> {
        let mut poll = POLL_MIN;
        let mut last = String::from("not read yet");
        loop {
            ctx.check_cancelled()?;
            let state = match self.version(eb, label).await {
                Ok(v) => Some(v.as_ref().map(version_state)),
                Err(e) if e.transient => {
                    ctx.progress(format!("no news of version {label}: {}", e.message));
                    poll = backoff(poll);
                    None
                }
                Err(e) => return Err(e),
            };
            match state {
                Some(Some(VersionState::Usable)) => return Ok(()),
                Some(Some(VersionState::Failed)) => {
                    return Err(Error::failed(format!(
                        "Elastic Beanstalk could not process the bundle of version {label}{}",
                        self.processing_errors(eb, label).await
                    ))
                    .with_hint("the bundle must be one the platform accepts (see the reason above); nothing was deployed"));
                }
                Some(Some(VersionState::Working(status))) => {
                    last = status;
                    ctx.progress(format!(
                        "Elastic Beanstalk is processing version {label} ({last})"
                    ));
                    poll = next_poll(poll, false);
                }
                Some(Some(VersionState::Unknown(status))) => {
                    last = format!("{status} (a status devloop does not know)");
                    ctx.progress(format!("version {label} has status {last}; waiting"));
                    poll = next_poll(poll, false);
                }
                Some(None) => {
                    last = "not listed yet".into();
                    poll = next_poll(poll, false);
                }
                None => {}
            }
            if Instant::now() >= deadline {
                return Err(Error::new(
                    ExitKind::Timeout,
                    format!(
                        "application version {label} was still {last} at the deadline; the environment was not changed"
                    ),
                ));
            }
            tokio::time::sleep(jittered(poll).min(remaining(deadline))).await;
        }
    }

    /// ": reason; reason" from the version's ERROR/FATAL events, or nothing.
    async fn processing_errors(&self, eb: &Client, label: &str) -> String {
        let since = DateTime::from_secs(0);
        let mut seen = HashSet::new();
        let events = self
            .events(eb, Events::Version(label), since, &mut seen)
            .await
            .unwrap_or_default();
        let errors: Vec<String> = events
            .into_iter()
            .filter(|(s, _)| severe(s))
            .map(|(_, m)| m)
            .collect();
        if errors.is_empty() {
            String::new()
        } else {
            format!(": {}", errors.join("; "))
        }
    }
}
