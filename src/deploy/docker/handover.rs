//! Handing over between releases: the healthy new container takes the name and the old one is
//! retired (stopped, noting a slow stop, and removed), or after a failure the previous release is
//! put back and proven to serve again.

use super::{Deployed, Docker, RESTORE_BUDGET, SLOW_STOP};
use crate::deploy::health::{self, Health};
use crate::deploy::{Failure, Outcome, Target};
use crate::docker::container::Container;
use crate::engine::StepCtx;
use crate::error::Result;

impl Docker {
    /// Stop a container, saying so when it ignored its stop signal and had to be killed.
    pub(super) async fn stop(&self, c: &Container, ctx: &StepCtx) -> Result<()> {
        if c.stop(self.grace()).await? {
            let note = self.slow_stop(&c.name);
            ctx.warn(&note);
            self.slow.lock().map(|mut s| *s = Some(note)).ok();
        }
        Ok(())
    }

    /// What to say about a container killed after its grace period, with the fix.
    fn slow_stop(&self, container: &str) -> String {
        let signal = self
            .settings
            .stop_signal
            .as_ref()
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "its stop signal".into());
        format!(
            "{SLOW_STOP}container {container} did not exit within {} of {signal} and was killed: make its main process handle the signal (exec it from the entrypoint, or set STOPSIGNAL), or set deploy.docker.init = true, deploy.docker.stop_signal or deploy.docker.stop_grace_period",
            humantime::format_duration(self.grace())
        )
    }

    /// Put the previous release back after the new one failed, and prove it serves again.
    /// Returns the failure to report: rolled back, or "nothing serves" with what to run.
    pub(super) async fn restore(
        &self,
        old: &Deployed,
        stopped: bool,
        why: String,
        detail: Vec<String>,
    ) -> Outcome {
        let name = self.name();
        let was = old
            .release
            .clone()
            .unwrap_or_else(|| "the previous release".into());
        if stopped {
            if let Err(e) = old.container.start().await {
                return Outcome::Failed(
                    Failure::new(format!(
                        "{why}; the previous container {name} ({was}) could not be restarted ({}): nothing is serving",
                        e.message
                    ))
                    .hint(format!("start it with `docker start {name}`, then check `devloop monitor`"))
                    .detail(detail),
                );
            }
        }
        let deadline = crate::config::duration::deadline_in(
            RESTORE_BUDGET.max(self.gate.start_period.saturating_mul(2)),
        );
        match health::judge(&old.container, &self.gate, deadline, None).await {
            Ok(Health::Healthy(_)) => Outcome::RolledBack(
                Failure::new(format!("{why}; {name} is back on {was}")).detail(detail),
            ),
            Ok(h) => Outcome::Failed(
                Failure::new(format!(
                    "{why}; the previous release {was} runs again in {name} but is {}: {}",
                    h.label(),
                    h.reason()
                ))
                .hint("check it with `devloop monitor`")
                .detail(detail),
            ),
            Err(e) => Outcome::Failed(
                Failure::new(format!(
                    "{why}; whether the previous release {was} serves again is unknown: {}",
                    e.message
                ))
                .hint("check it with `devloop monitor`")
                .detail(detail),
            ),
        }
    }

    /// The new container is healthy: give it the name and retire the old one.
    pub(super) async fn switch_over(
        &self,
        new: &mut Container,
        old: Option<Deployed>,
        ctx: &StepCtx,
    ) -> std::result::Result<(), Failure> {
        let name = self.name();
        let prev = format!("{name}-prev");
        if let Some(old) = old {
            let mut c = old.container;
            if let Err(e) = c.rename(&prev).await {
                return Err(Failure::new(format!(
                    "the new release is healthy as {name}-next, but the previous container could not be renamed to make way: {}",
                    e.message
                ))
                .hint(format!("it still serves; run `docker rm -f {name}-next` or deploy again")));
            }
            if let Err(e) = new.rename(&name).await {
                let back = c.rename(&name).await;
                return Err(Failure::new(format!(
                    "the new release is healthy and serving as {name}-next, but could not be renamed to {name}: {}{}",
                    e.message,
                    if back.is_err() { format!("; the previous container is left as {prev}") } else { String::new() }
                ))
                .hint(format!("run `docker rename {name}-next {name}` (and `docker rm -f {prev}` if it exists)")));
            }
            self.stop(&c, ctx)
                .await
                .map_err(|e| Failure::new(format!("the new release serves as {name}, but the previous container {prev} could not be stopped: {}", e.message)))?;
            if let Err(e) = c.remove().await {
                ctx.warn(format!(
                    "the previous container {prev} is stopped but could not be removed ({}); the next deploy removes it",
                    e.message
                ));
            }
        } else if let Err(e) = new.rename(&name).await {
            return Err(Failure::new(format!(
                "the new release is healthy and serving as {name}-next, but could not be renamed to {name}: {}",
                e.message
            ))
            .hint(format!("run `docker rename {name}-next {name}`")));
        }
        Ok(())
    }
}
