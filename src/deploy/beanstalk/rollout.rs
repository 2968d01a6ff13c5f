//! A rollout on Elastic Beanstalk over time: the application version (uploaded once, processed,
//! reused when it exists), the environment update, the watch to a verdict (printing this
//! request's events once each), and devloop's own rollback to the version that ran before.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_elasticbeanstalk::operation::RequestId;
use aws_sdk_elasticbeanstalk::types::{
    ApplicationVersionDescription, ConfigurationOptionSetting, EnvironmentDescription,
    OptionSpecification, S3Location,
};
use aws_sdk_elasticbeanstalk::Client;
use aws_smithy_types::DateTime;

use super::bundle::{self, Bundle};
use super::settings;
use super::verdict::{
    self, backoff, describe, jittered, judge, next_poll, severe, status_is, version_state,
    Progress, VersionState, POLL_MIN,
};
use super::{Beanstalk, Clients};
use crate::aws::sdk_error;
use crate::config::schema::RollbackMode;
use crate::deploy::{remaining, Failure, Outcome};
use crate::engine::StepCtx;
use crate::error::{Error, ExitKind, Result};
use crate::release::Record;

/// Which events to read: those of one request (an update), or of one version (processing).
pub(super) enum Events<'a> {
    Request(&'a str),
    Version(&'a str),
}

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

    /// New events for `which` since `since`, oldest first, as (severity, message); each is
    /// returned once across calls. Severities are kept as sent (read them with [`severe`]).
    pub(super) async fn events(
        &self,
        eb: &Client,
        which: Events<'_>,
        since: DateTime,
        seen: &mut HashSet<String>,
    ) -> Result<Vec<(String, String)>> {
        let mut q = eb
            .describe_events()
            .application_name(&self.settings.application)
            .start_time(since);
        q = match which {
            Events::Request(id) => q
                .environment_name(&self.settings.environment)
                .request_id(id),
            Events::Version(label) => q.version_label(label),
        };
        let out = q
            .send()
            .await
            .map_err(|e| sdk_error("cannot read the environment's events", e))?;
        // Newest first as sent: reversed, then a stable sort keeps events of one instant in the
        // order they happened.
        let mut fresh: Vec<_> = out
            .events()
            .iter()
            .rev()
            .filter(|e| {
                let key = format!(
                    "{:?}|{}",
                    e.event_date().map(|d| (d.secs(), d.subsec_nanos())),
                    e.message().unwrap_or_default()
                );
                seen.insert(key)
            })
            .collect();
        fresh.sort_by_key(|e| e.event_date().map(|d| (d.secs(), d.subsec_nanos())));
        Ok(fresh
            .into_iter()
            .map(|e| {
                (
                    e.severity()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_else(|| "INFO".into()),
                    e.message().unwrap_or_default().to_string(),
                )
            })
            .collect())
    }

    /// Make sure the application version `label` exists and is processed: reuse it, or upload
    /// the bundle (unless its key exists) and create it with processing.
    async fn ensure_version(
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
                    format!("devloop release {} ({})", record.id, record.image)
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

    /// UpdateEnvironment; returns the request id its events carry. An environment that is not
    /// Ready (someone else's update won the race) is refused, exit 2. The answer's own Status is
    /// not taken as a sign the update began: the reads after it can still be from before it.
    async fn update(
        &self,
        eb: &Client,
        label: &str,
        set: Vec<ConfigurationOptionSetting>,
        remove: Vec<OptionSpecification>,
    ) -> Result<String> {
        let s = &self.settings;
        let sent = eb
            .update_environment()
            .application_name(&s.application)
            .environment_name(&s.environment)
            .version_label(label)
            .set_option_settings((!set.is_empty()).then_some(set))
            .set_options_to_remove((!remove.is_empty()).then_some(remove))
            .send()
            .await;
        match sent {
            Ok(out) => Ok(out.request_id().unwrap_or_default().to_string()),
            Err(e) => {
                let err = sdk_error(&format!("cannot update environment {}", s.environment), e);
                match self.environment(eb).await {
                    Ok(env) if !status_is(&env, "Ready") => Err(self.busy(&env)),
                    _ => Err(err),
                }
            }
        }
    }

    /// Watch the environment after an update to `ours` until a verdict or the deadline.
    ///
    /// `before` is the environment as read before the update: until a read shows the update
    /// has begun (a status other than Ready, or DateUpdated moved), what it shows may be from
    /// before the update and is no verdict; events of our request can arrive sooner. A throttled or failed read is no news and
    /// slows the pace. Red health on our version counts as settling for the health grace after
    /// the update completes, unless an ERROR or FATAL event of our request arrived.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn watch(
        &self,
        eb: &Client,
        ours: &str,
        previous: Option<&str>,
        request: &str,
        before: &EnvironmentDescription,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<Progress> {
        let since = before
            .date_updated()
            .copied()
            .unwrap_or_else(|| DateTime::from(SystemTime::now() - Duration::from_secs(60)));
        let grace = self.settings.health_grace();
        let mut seen = HashSet::new();
        let mut error: Option<String> = None;
        let mut started = false;
        let mut completed: Option<Instant> = None;
        let (mut poll, mut last) = (POLL_MIN, String::from("not read yet"));
        loop {
            tokio::time::sleep(jittered(poll).min(remaining(deadline))).await;
            ctx.check_cancelled()?;
            let late = Instant::now() >= deadline;
            let env = match self.environment(eb).await {
                Ok(env) => env,
                Err(e) if e.transient => {
                    if late {
                        return Ok(Progress::Changing(format!(
                            "{last}; the last read got no answer ({})",
                            e.message
                        )));
                    }
                    poll = backoff(poll);
                    ctx.progress(format!(
                        "no news from Elastic Beanstalk ({}); asking again in about {}s",
                        e.message,
                        poll.as_secs()
                    ));
                    continue;
                }
                Err(e) => return Err(e),
            };
            if !request.is_empty() {
                match self
                    .events(eb, Events::Request(request), since, &mut seen)
                    .await
                {
                    Ok(events) => {
                        // Events may arrive before the reads catch up: they say nothing of
                        // where the environment is, only whether our request failed.
                        for (severity, message) in events {
                            ctx.log(format!("event: {severity} {message}"));
                            if severe(&severity) {
                                error = Some(match error.take() {
                                    Some(before) => format!("{before}; {message}"),
                                    None => message,
                                });
                            }
                        }
                    }
                    Err(e) if e.transient => {
                        poll = backoff(poll);
                    }
                    Err(e) => return Err(e),
                }
            }
            let settled = status_is(&env, "Ready");
            started |= !settled
                || matches!((env.date_updated(), before.date_updated()), (Some(now), Some(then)) if now > then);
            if settled && started && env.version_label() == Some(ours) && completed.is_none() {
                completed = Some(Instant::now());
            }
            let progress = judge(&env, ours, previous, started);
            let what = describe(&env);
            match (&error, progress) {
                // An ERROR/FATAL event fails the update; where the environment settles decides
                // between "back on the previous version" and "failed".
                (Some(why), p) if (settled && started) || late => {
                    return Ok(match p {
                        Progress::Reverted(back) => Progress::Reverted(format!("{why}; {back}")),
                        _ => Progress::Failed(format!("{why} ({what})")),
                    })
                }
                (Some(_), _) => {}
                (None, Progress::Unhealthy(why)) => {
                    let waited = completed.map(|c| c.elapsed()).unwrap_or_default();
                    if waited >= grace {
                        return Ok(Progress::Failed(format!(
                            "{why}, still {}s after the update completed (health_grace {}s)",
                            waited.as_secs(),
                            grace.as_secs()
                        )));
                    }
                    if late {
                        return Ok(Progress::Changing(format!(
                            "{why}, {}s into the {}s health grace",
                            waited.as_secs(),
                            grace.as_secs()
                        )));
                    }
                    ctx.progress(format!(
                        "environment {}: {what}; health often lags an update, so this is not a verdict for another {}s",
                        self.settings.environment,
                        (grace - waited).as_secs()
                    ));
                }
                (None, Progress::Changing(state)) if late => return Ok(Progress::Changing(state)),
                (None, Progress::Changing(state)) => {
                    ctx.progress(format!(
                        "environment {}: {state}",
                        self.settings.environment
                    ));
                }
                (None, verdict) => return Ok(verdict),
            }
            poll = next_poll(poll, what != last);
            last = what;
        }
    }

    /// Bundle, version, update and watch; on failure, devloop's rollback when asked for.
    pub(super) async fn rollout(
        &self,
        c: &Clients,
        env: EnvironmentDescription,
        record: &Record,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<Outcome> {
        let s = &self.settings;
        let name = &s.environment;
        let previous = env.version_label().map(str::to_string);
        let bundle = self.bundle(&record.image).await?;
        let label = bundle.label(&record.id);
        ctx.log(bundle.summary());
        let wanted = settings::wanted(s);
        let live: BTreeMap<_, _> = if wanted.is_empty() {
            BTreeMap::new()
        } else {
            settings::live(&c.eb, &s.application, name).await?
        };
        let changes = settings::changed(&wanted, &live);
        if previous.as_deref() == Some(label.as_str())
            && changes.is_empty()
            && verdict::health(&env) == verdict::Health::Ok
        {
            return Ok(Outcome::Unchanged(format!(
                "environment {name} already runs version {label} (release {}) with these option settings, Ready and Green; nothing uploaded, created or updated",
                record.id
            )));
        }
        self.ensure_version(c, &bundle, &label, record, ctx, deadline)
            .await?;
        for (k, w) in &changes {
            ctx.log(format!(
                "option setting {}",
                settings::describe_change(k, w, &live)
            ));
        }
        let request = self
            .update(&c.eb, &label, settings::to_send(&changes), Vec::new())
            .await?;
        ctx.progress(format!("updating environment {name} to version {label}"));
        let verdict = self
            .watch(
                &c.eb,
                &label,
                previous.as_deref(),
                &request,
                &env,
                ctx,
                deadline,
            )
            .await?;
        let hint = format!("roll back with `devloop rollback -e {}`", self.env_name());
        Ok(match verdict {
            Progress::Done => Outcome::Deployed(format!(
                "environment {name} runs version {label} (release {}): Ready, health Green",
                record.id
            )),
            Progress::Reverted(why) => Outcome::RolledBack(Failure::new(format!(
                "release {} did not deploy: {why}; Elastic Beanstalk put the previous version back and it is healthy",
                record.id
            ))),
            Progress::Superseded(why) => Outcome::Failed(Failure::new(format!(
                "release {}: {why}",
                record.id
            ))),
            Progress::Failed(why) | Progress::Unhealthy(why) => match previous.filter(|p| *p != label) {
                Some(prev) if s.rollback == RollbackMode::Auto => {
                    let (set, remove) = settings::restore(&changes, &live);
                    self.roll_back(c, &prev, &label, set, remove, why, ctx, deadline)
                        .await?
                }
                _ => Outcome::Failed(Failure::new(format!("release {}: {why}", record.id)).hint(hint)),
            },
            Progress::Changing(state) => Outcome::TimedOut(
                Failure::new(format!(
                    "environment {name} did not settle on version {label} before the deadline: {state}; Elastic Beanstalk may still be changing it"
                ))
                .hint(hint),
            ),
        })
    }

    /// Put version `prev` (and the option settings as they were) back after `ours` failed.
    #[allow(clippy::too_many_arguments)]
    async fn roll_back(
        &self,
        c: &Clients,
        prev: &str,
        ours: &str,
        set: Vec<ConfigurationOptionSetting>,
        remove: Vec<OptionSpecification>,
        why: String,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<Outcome> {
        let name = &self.settings.environment;
        // The rollback gets time of its own: the release's deadline is spent.
        let back = deadline.max(crate::config::duration::deadline_in(Duration::from_secs(
            600,
        )));
        ctx.warn(format!("{why}; rolling back to version {prev}"));
        // Elastic Beanstalk may still be working (or reverting by itself): wait for Ready.
        let mut poll = POLL_MIN;
        let env = loop {
            ctx.check_cancelled()?;
            match self.environment(&c.eb).await {
                Ok(env) if status_is(&env, "Ready") || Instant::now() >= back => break env,
                Ok(env) => {
                    ctx.progress(format!(
                        "waiting for {name} to be Ready: {}",
                        describe(&env)
                    ));
                    poll = next_poll(poll, false);
                }
                Err(e) if e.transient && Instant::now() < back => poll = backoff(poll),
                Err(e) => return Err(e),
            }
            tokio::time::sleep(jittered(poll).min(remaining(back))).await;
        };
        if !status_is(&env, "Ready") {
            return Ok(Outcome::TimedOut(Failure::new(format!(
                "{why}; environment {name} never became Ready for the rollback ({})",
                describe(&env)
            ))));
        }
        if env.version_label() == Some(prev)
            && verdict::health(&env) == verdict::Health::Ok
            && set.is_empty()
            && remove.is_empty()
        {
            return Ok(Outcome::RolledBack(Failure::new(format!(
                "{why}; environment {name} is back on version {prev}, Ready and Green"
            ))));
        }
        let request = self.update(&c.eb, prev, set, remove).await?;
        let verdict = self
            .watch(&c.eb, prev, Some(ours), &request, &env, ctx, back)
            .await?;
        Ok(match verdict {
            Progress::Done => Outcome::RolledBack(Failure::new(format!(
                "{why}; devloop rolled environment {name} back to version {prev}, which is Ready and Green"
            ))),
            Progress::Changing(state) => Outcome::TimedOut(Failure::new(format!(
                "{why}; devloop rolled environment {name} back to version {prev}, but it has not settled: {state}"
            ))),
            Progress::Failed(w)
            | Progress::Unhealthy(w)
            | Progress::Reverted(w)
            | Progress::Superseded(w) => {
                Outcome::Failed(
                    Failure::new(format!(
                        "{why}; the rollback to version {prev} failed too: {w}"
                    ))
                    .hint("check the environment in the Elastic Beanstalk console or with `devloop monitor`"),
                )
            }
        })
    }
}
