//! Watching the environment after an update until a verdict or the deadline: events of our
//! request, the environment's status and health, and the health grace after the update completes.

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_elasticbeanstalk::types::EnvironmentDescription;
use aws_sdk_elasticbeanstalk::Client;
use aws_smithy_types::DateTime;

use super::events::Events;
use super::verdict::{
    backoff, describe, jittered, judge, next_poll, severe, status_is, Progress, POLL_MIN,
};
use super::Beanstalk;
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
}
