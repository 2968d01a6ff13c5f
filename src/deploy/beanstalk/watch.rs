//! Watching the environment after an update until a verdict or the deadline: events of our
//! request, the environment's status and health, and the health grace after the update completes.

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_elasticbeanstalk::types::EnvironmentDescription;
use aws_sdk_elasticbeanstalk::Client;
use aws_smithy_types::DateTime;

use super::events::Events;
use super::verdict::{backoff, describe, judge, next_poll, severe, status_is, Progress, POLL_MIN};
use super::Beanstalk;
use crate::aws::patience::jittered;
use crate::deploy::remaining;
use crate::engine::StepCtx;
use crate::error::Result;

impl Beanstalk {
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
            if !request.is_empty()
                && !self
                    .read_events(eb, request, since, &mut seen, &mut error, ctx)
                    .await?
            {
                poll = backoff(poll);
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
                    if let Some(verdict) = self.unhealthy(&why, &what, waited, late, ctx) {
                        return Ok(verdict);
                    }
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

    /// Our request's new events, each logged; ERROR and FATAL ones are added to `error`. Events
    /// may arrive before the reads catch up: they say nothing of where the environment is, only
    /// whether our request failed. `false` when the read got no answer (no news: back off).
    async fn read_events(
        &self,
        eb: &Client,
        request: &str,
        since: DateTime,
        seen: &mut HashSet<String>,
        error: &mut Option<String>,
        ctx: &StepCtx,
    ) -> Result<bool> {
        match self.events(eb, Events::Request(request), since, seen).await {
            Ok(events) => {
                for (severity, message) in events {
                    ctx.log(format!("event: {severity} {message}"));
                    if severe(&severity) {
                        *error = Some(match error.take() {
                            Some(before) => format!("{before}; {message}"),
                            None => message,
                        });
                    }
                }
                Ok(true)
            }
            Err(e) if e.transient => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Ready but unhealthy on our version, `waited` after the update completed: a failure once the
    /// health grace is over, "changing" at the deadline, else no verdict yet (said as progress).
    fn unhealthy(
        &self,
        why: &str,
        what: &str,
        waited: Duration,
        late: bool,
        ctx: &StepCtx,
    ) -> Option<Progress> {
        let grace = self.settings.health_grace();
        if waited >= grace {
            return Some(Progress::Failed(format!(
                "{why}, still {}s after the update completed (health_grace {}s)",
                waited.as_secs(),
                grace.as_secs()
            )));
        }
        if late {
            return Some(Progress::Changing(format!(
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
        None
    }
}
