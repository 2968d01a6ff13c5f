//! A rollout on Elastic Beanstalk: the bundle and its application version, the option settings
//! that changed, the environment update, and the watch's verdict as an outcome (with devloop's own
//! rollback to the version that ran before, when asked for).

use std::collections::BTreeMap;
use std::time::Instant;

use aws_sdk_elasticbeanstalk::operation::RequestId;
use aws_sdk_elasticbeanstalk::types::{
    ConfigurationOptionSetting, EnvironmentDescription, OptionSpecification,
};
use aws_sdk_elasticbeanstalk::Client;

use super::bundle::Bundle;
use super::settings;
use super::verdict::{self, status_is, Progress};
use super::{Beanstalk, Clients};
use crate::aws::sdk_error;
use crate::config::schema::RollbackMode;
use crate::deploy::{Failure, Outcome};
use crate::engine::StepCtx;
use crate::error::Result;
use crate::release::Record;

impl Beanstalk {
    /// UpdateEnvironment; returns the request id its events carry. An environment that is not
    /// Ready (someone else's update won the race) is refused, exit 2. The answer's own Status is
    /// not taken as a sign the update began: the reads after it can still be from before it.
    pub(super) async fn update(
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
    /// Bundle, version, update and watch; on failure, devloop's rollback when asked for.
    pub(super) async fn rollout(
        &self,
        c: &Clients,
        env: EnvironmentDescription,
        record: &Record,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<Outcome> {
        let bundle = self.bundle(&record.image).await?;
        self.rollout_bundle(c, env, record, &bundle, ctx, deadline)
            .await
    }

    /// Version, update and watch for a bundle already built (one image's, or a set's compose
    /// bundle); on failure, devloop's rollback when asked for.
    pub(super) async fn rollout_bundle(
        &self,
        c: &Clients,
        env: EnvironmentDescription,
        record: &Record,
        bundle: &Bundle,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<Outcome> {
        let s = &self.settings;
        let name = &s.environment;
        let previous = env.version_label().map(str::to_string);
        let label = bundle.label(&record.id);
        ctx.log(bundle.summary());
        let wanted = settings::wanted(s);
        let live: BTreeMap<_, _> = if wanted.is_empty() {
            BTreeMap::new()
        } else {
            settings::live(&c.eb, &s.application, name).await?
        };
        let changes = settings::changed(&wanted, &live);
        // A service of a set whose image did not change between two releases of the set runs
        // the same bundle under the earlier release's label: that is no change either.
        let same_bundle = previous.as_deref().filter(|p| {
            *p == label
                || (self.project.config.multi && p.ends_with(&format!("-{}", &bundle.digest[..12])))
        });
        if let Some(running) = same_bundle
            .filter(|_| changes.is_empty() && verdict::health(&env) == verdict::Health::Ok)
        {
            return Ok(Outcome::Unchanged(format!(
                "environment {name} already runs version {running} (the bundle of release {}) with these option settings, Ready and Green; nothing uploaded, created or updated",
                record.id
            )));
        }
        self.ensure_version(c, bundle, &label, record, ctx, deadline)
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
}
