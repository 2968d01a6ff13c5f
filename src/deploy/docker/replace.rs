//! The replacement itself, in its steps: nothing to do when the same release already runs healthy;
//! the new container beside the old one (or after it, when they need the same host port); the
//! health gate; then the switch, or the old one put back. An interrupt says what serves now.

use std::time::{Duration, Instant};

use super::{Deployed, Docker, START_FAILED};
use crate::deploy::health::{self, Health};
use crate::deploy::{Failure, Outcome, Rollout, Target};
use crate::docker::container::Container;
use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::release::Record;

impl Docker {
    /// The replacement itself (under the lock): the new container beside the old one, the gate,
    /// the switch, or the old one put back.
    pub(super) async fn replace(
        &self,
        record: &Record,
        ctx: &StepCtx,
        how: &Rollout,
    ) -> Result<Outcome> {
        let deadline = how.deadline;
        let name = self.name();
        let daemon = self.project.daemon().await?;
        self.clear_leftovers().await?;
        let (body, spec) = self.body(record);
        let old = self.find(&name).await?;
        crate::deploy::ensure_image(&self.project, record, ctx).await?;

        // The same image with the same settings, running and healthy: nothing to change.
        if let Some(unchanged) = self.unchanged(old.as_ref(), &spec, record, ctx).await? {
            return Ok(unchanged);
        }

        // Host ports another container or process holds: refused before anything is touched.
        self.check_host_ports(old.as_ref()).await?;
        self.warn_unexposed(record, ctx).await;
        let mut new = Container::create_with(daemon, &format!("{name}-next"), body).await?;
        let old_running = old.as_ref().is_some_and(|o| o.running);
        // Stop first only when the running container holds a host port the new one needs.
        let shared = self.shared_host_ports(old.as_ref());
        let stop_first = !shared.is_empty();
        if stop_first && !self.stop_old_first(&shared, old.as_ref(), ctx).await? {
            // Interrupted while the old one stopped (it was then stopped at once): start it again.
            let _ = new.remove().await;
            return Err(self.interrupted(record, old.as_ref(), true).await);
        }
        if ctx.cancel.is_cancelled() {
            let _ = new.remove().await;
            return Err(self.interrupted(record, old.as_ref(), stop_first).await);
        }
        let health = match self.start_and_judge(&new, record, ctx, deadline).await {
            Ok(h) => h,
            Err(e) => {
                // Interrupted, or the daemon went away mid-wait: put the previous release back.
                let _ = new.remove().await;
                return Err(self.put_back(e, record, old.as_ref(), stop_first).await);
            }
        };
        let why = match health {
            Health::Healthy(how) => {
                let before = old
                    .as_ref()
                    .and_then(|o| o.release.clone())
                    .map(|r| format!(", replacing {r}"))
                    .unwrap_or_default();
                let switched = self.switch_over(&mut new, old, ctx).await;
                let _serving = new.keep();
                if let Err(f) = switched {
                    return Ok(Outcome::Failed(f));
                }
                let slow = self
                    .slow
                    .lock()
                    .ok()
                    .and_then(|mut s| s.take())
                    .map(|n| format!("; {n}"))
                    .unwrap_or_default();
                return Ok(Outcome::Deployed(format!(
                    "release {} runs as container {name}, healthy by {how}{before}{slow}",
                    record.id
                )));
            }
            Health::Unhealthy(why) => match why.strip_prefix(START_FAILED) {
                Some(daemon_said) => format!(
                    "release {} could not start: the Docker daemon refused to start its container ({daemon_said})",
                    record.id
                ),
                None => format!("release {} never became healthy ({why})", record.id),
            },
            Health::Starting(why) => format!(
                "release {} was not healthy within the deploy timeout ({why})",
                record.id
            ),
        };
        let detail = self.discard_failed(new, record, ctx).await;
        match old {
            Some(o) if old_running => Ok(self.restore(&o, stop_first, why, detail).await),
            _ => Ok(Outcome::Failed(
                Failure::new(format!("{why}; nothing ran before it, so nothing runs now"))
                    .detail(detail),
            )),
        }
    }

    /// `Some(Unchanged)` when the running container already has this image and these settings and
    /// is healthy.
    async fn unchanged(
        &self,
        old: Option<&Deployed>,
        spec: &str,
        record: &Record,
        ctx: &StepCtx,
    ) -> Result<Option<Outcome>> {
        let name = self.name();
        let Some(o) = old else {
            return Ok(None);
        };
        // Why the running container is replaced, said before it is.
        let why = if !o.running {
            Some("it is not running".to_string())
        } else if o.image_id != record.image_id {
            Some(format!(
                "the image changed ({} → {})",
                short(&o.image_id),
                short(&record.image_id)
            ))
        } else if o.spec.as_deref() != Some(spec) {
            Some("its settings changed".to_string())
        } else {
            None
        };
        if let Some(why) = why {
            ctx.log(format!("replacing {name}: {why}"));
            return Ok(None);
        }
        let check = crate::config::duration::deadline_in(self.gate.monitor_budget());
        let how = match health::judge(&o.container, &self.gate, check, Some(ctx)).await? {
            Health::Healthy(how) => how,
            Health::Unhealthy(why) | Health::Starting(why) => {
                ctx.log(format!(
                    "replacing {name}: it runs this release but is not healthy ({why})"
                ));
                return Ok(None);
            }
        };
        let same = match &o.release {
            Some(r) if *r == record.id => format!("release {r}"),
            Some(r) => format!("release {r}, the same image as {}", record.id),
            None => "this image".into(),
        };
        Ok(Some(Outcome::Unchanged(format!(
            "container {name} already runs {same} with the same settings, healthy by {how}; nothing changed"
        ))))
    }

    /// The configured host ports the running container holds (two containers cannot hold them).
    fn shared_host_ports(&self, old: Option<&Deployed>) -> Vec<String> {
        old.filter(|o| o.running)
            .map(|o| {
                self.settings
                    .ports
                    .iter()
                    .filter(|p| p.host_port.is_some_and(|h| o.host_ports.contains(&h)))
                    .map(|p| p.to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Stop the running release before the new one starts, because they need the same host
    /// ports. False when interrupted while it stops: then it is stopped at once, not waited out.
    async fn stop_old_first(
        &self,
        shared: &[String],
        old: Option<&Deployed>,
        ctx: &StepCtx,
    ) -> Result<bool> {
        let name = self.name();
        ctx.log(format!(
            "host port(s) {} are held by the running release, and two containers cannot hold them at once: replacing it with a short stop-then-start",
            shared.join(", ")
        ));
        let Some(o) = old else {
            return Ok(true);
        };
        ctx.progress(format!(
            "stopping {name} ({})",
            o.release.as_deref().unwrap_or("unknown release")
        ));
        let stopped = tokio::select! {
            biased;
            _ = ctx.cancel.cancelled() => None,
            r = self.stop(&o.container, ctx) => Some(r),
        };
        match stopped {
            Some(r) => r.map(|()| true),
            None => {
                // Interrupted while the old one stops: it was going down anyway, so
                // end that at once and start it again rather than wait out its grace.
                let _ = o.container.stop(Duration::ZERO).await;
                Ok(false)
            }
        }
    }

    /// Start the new container and hold it to the health gate; a start the daemon refuses is an
    /// unhealthy verdict.
    async fn start_and_judge(
        &self,
        new: &Container,
        record: &Record,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<Health> {
        ctx.progress(format!("starting release {}", record.id));
        match new.start().await {
            Ok(()) => match health::judge(new, &self.gate, deadline, Some(ctx)).await {
                // Healthy just as Ctrl-C came: the interrupt wins, nothing switches over.
                Ok(_) if ctx.cancel.is_cancelled() => Err(Error::interrupted()),
                other => other,
            },
            Err(e) => Ok(Health::Unhealthy(format!("{START_FAILED}{}", e.message))),
        }
    }

    /// The error of a gate that did not reach a verdict (the new container is gone): the
    /// previous release restarted if it had been stopped, and the error says what serves now.
    async fn put_back(
        &self,
        e: Error,
        record: &Record,
        old: Option<&Deployed>,
        stop_first: bool,
    ) -> Error {
        let name = self.name();
        if e.kind == crate::error::ExitKind::Interrupted {
            return self.interrupted(record, old, stop_first).await;
        }
        if let (true, Some(o)) = (stop_first, old) {
            if let Err(restart) = o.container.start().await {
                return e.context(format!(
                    "the previous container {name} could not be restarted ({}), so nothing is serving; run `docker start {name}`",
                    restart.message
                ));
            }
        }
        e
    }

    /// Remove the new container that failed, keeping its last lines to explain why.
    async fn discard_failed(&self, new: Container, record: &Record, ctx: &StepCtx) -> Vec<String> {
        let name = self.name();
        let tail = new.tail(15).await;
        let mut detail = Vec::new();
        if !tail.is_empty() {
            detail.push(format!("last lines of release {}:", record.id));
            detail.extend(tail.into_iter().map(|l| format!("  {l}")));
        }
        if let Err(e) = new.remove().await {
            ctx.warn(format!(
                "the failed container {name}-next could not be removed: {}",
                e.message
            ));
        }
        detail
    }

    /// The error for a deploy interrupted before the switch, saying what serves now: the
    /// previous release (restarted if it had been stopped), or nothing.
    async fn interrupted(&self, record: &Record, old: Option<&Deployed>, stopped: bool) -> Error {
        let name = self.name();
        let state = match old {
            Some(o) if o.running || stopped => {
                let was = o
                    .release
                    .clone()
                    .unwrap_or_else(|| "the previous release".into());
                if stopped {
                    match o.container.start().await {
                        Ok(()) => format!("the previous release {was} was started again in {name} and is serving"),
                        Err(e) => format!(
                            "the previous release {was} was stopped and could not be started again ({}): nothing is serving; run `docker start {name}`",
                            e.message
                        ),
                    }
                } else {
                    format!("the previous release {was} is still serving in {name}")
                }
            }
            _ => format!("nothing ran in {name} before, and nothing runs now"),
        };
        Error::new(
            crate::error::ExitKind::Interrupted,
            format!(
                "interrupted: release {} was not deployed; {state}",
                record.id
            ),
        )
    }
}

/// `sha256:0123456789ab…` → `0123456789ab`.
fn short(image_id: &str) -> &str {
    let hex = image_id.strip_prefix("sha256:").unwrap_or(image_id);
    hex.get(..12).unwrap_or(hex)
}
