//! devloop's own rollback on Elastic Beanstalk: once the environment is Ready again, version
//! `prev` and the option settings as they were are put back and watched to a verdict.

use std::time::{Duration, Instant};

use aws_sdk_elasticbeanstalk::types::{ConfigurationOptionSetting, OptionSpecification};

use super::verdict::{self, backoff, describe, next_poll, status_is, Progress, POLL_MIN};
use super::{Beanstalk, Clients};
use crate::aws::patience::jittered;
use crate::deploy::{remaining, Failure, Outcome};
use crate::engine::StepCtx;
use crate::error::Result;

impl Beanstalk {
    /// Put version `prev` (and the option settings as they were) back after `ours` failed.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn roll_back(
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
