//! `target = "docker"`: the release as one container on the local daemon, replaced safely.
//!
//! The new container starts as `<name>-next` next to the old one and must pass the health gate
//! before it takes the name and the old one is stopped. When both cannot hold the same host port,
//! devloop says so and stops the old one first, restarting it if the new one fails. Every path ends
//! with one healthy release serving, or says plainly that nothing serves and what to run.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bollard::models::{
    ContainerCreateBody, HostConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};

mod ports;

use super::daemon_lock;
use super::health::{self, Gate, Health};
use super::{
    labels, logs, status, Failure, LogLine, LogQuery, Outcome, Rollout, Status, Target,
    LABEL_RELEASE, LABEL_SPEC,
};
use crate::config::schema::DockerTarget;
use crate::docker::connect::{api_error, is_not_found};
use crate::docker::container::Container;
use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::release::Record;
use crate::session::Session;

/// How long a container gets to stop before it is killed, unless configured.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// Begins the note on a container killed after its grace period (so `dev` can say it too).
pub const SLOW_STOP: &str = "slow stop: ";
/// Marks a health verdict that is the daemon refusing to start the container.
const START_FAILED: &str = "start failed: ";
/// How long a previous release restarted after a failure gets to prove it serves again.
const RESTORE_BUDGET: Duration = Duration::from_secs(30);

pub struct Docker {
    project: Arc<Session>,
    settings: DockerTarget,
    gate: Gate,
    /// The slow-stop note of this deploy, if the previous container had to be killed.
    slow: std::sync::Mutex<Option<String>>,
}

/// The deployed container as found on the daemon.
struct Deployed {
    container: Container,
    release: Option<String>,
    running: bool,
    image_id: String,
    spec: Option<String>,
    /// The host ports it publishes.
    host_ports: Vec<u16>,
}

impl Docker {
    pub fn new(project: Arc<Session>) -> Docker {
        let settings = project.config.doc.deploy.docker.clone().unwrap_or_default();
        let gate = Gate::new(&project.config.doc.deploy.health);
        Docker {
            project,
            settings,
            gate,
            slow: std::sync::Mutex::new(None),
        }
    }

    fn grace(&self) -> Duration {
        self.settings
            .stop_grace_period
            .map(|d| d.get())
            .unwrap_or(STOP_GRACE)
    }

    /// The container body for a release, and the digest of everything in it but the release.
    fn body(&self, record: &Record) -> (ContainerCreateBody, String) {
        let s = &self.settings;
        let mut exposed = Vec::new();
        let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
        for p in &s.ports {
            exposed.push(p.key());
            bindings
                .entry(p.key())
                .or_insert_with(|| Some(Vec::new()))
                .get_or_insert_with(Vec::new)
                .push(PortBinding {
                    host_ip: p.host_ip.clone(),
                    host_port: p.host_port.map(|h| h.to_string()),
                });
        }
        let restart = s.restart.as_ref().map(|r| RestartPolicy {
            name: Some(match r.name.as_str() {
                "always" => RestartPolicyNameEnum::ALWAYS,
                "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
                "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
                _ => RestartPolicyNameEnum::NO,
            }),
            maximum_retry_count: r.max_retries,
        });
        let mut body = ContainerCreateBody {
            image: Some(image_of(record)),
            env: Some(
                s.env
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.value()))
                    .collect(),
            ),
            exposed_ports: (!exposed.is_empty()).then_some(exposed),
            stop_signal: s.stop_signal.as_ref().map(|v| v.as_str().to_string()),
            stop_timeout: Some(self.grace().as_secs() as i64),
            host_config: Some(HostConfig {
                port_bindings: (!bindings.is_empty()).then_some(bindings),
                binds: (!s.volumes.is_empty()).then(|| s.volumes.clone()),
                restart_policy: restart,
                memory: s.memory.as_ref().map(|m| m.bytes),
                nano_cpus: s.cpus.map(|c| c.nano()),
                network_mode: s.network.clone(),
                init: s.init.then_some(true),
                ..Default::default()
            }),
            ..Default::default()
        };
        // The spec covers the settings and the health probe, not the image or the release.
        let spec = super::spec_digest(&(
            &body.env,
            &body.exposed_ports,
            &body.host_config,
            &body.stop_signal,
            &body.stop_timeout,
            format!("{:?}", self.gate),
        ));
        let mut l = labels(&self.project, record);
        l.insert(LABEL_SPEC.into(), spec.clone());
        body.labels = Some(l);
        (body, spec)
    }

    /// Stop a container, saying so when it ignored its stop signal and had to be killed.
    async fn stop(&self, c: &Container, ctx: &StepCtx) -> Result<()> {
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
    async fn restore(
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
    async fn switch_over(
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

    /// The container deployed under `name`.
    async fn find(&self, name: &str) -> Result<Option<Deployed>> {
        let daemon = self.project.daemon().await?;
        match daemon.client.inspect_container(name, None).await {
            Ok(info) => {
                let labels = info
                    .config
                    .as_ref()
                    .and_then(|c| c.labels.clone())
                    .unwrap_or_default();
                Ok(Some(Deployed {
                    container: Container::existing(
                        daemon,
                        info.id.as_deref().unwrap_or(name),
                        name,
                    ),
                    release: labels.get(LABEL_RELEASE).cloned(),
                    running: info.state.as_ref().and_then(|s| s.running).unwrap_or(false),
                    image_id: info.image.clone().unwrap_or_default(),
                    spec: labels.get(LABEL_SPEC).cloned(),
                    host_ports: info
                        .host_config
                        .as_ref()
                        .and_then(|h| h.port_bindings.as_ref())
                        .into_iter()
                        .flat_map(|b| b.values())
                        .flatten()
                        .flatten()
                        .filter_map(|b| b.host_port.as_deref().and_then(|p| p.parse().ok()))
                        .collect(),
                }))
            }
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(api_error(&format!("cannot inspect container {name}"), e)),
        }
    }

    /// The replacement itself (under the lock): the new container beside the old one, the gate,
    /// the switch, or the old one put back.
    async fn replace(&self, record: &Record, ctx: &StepCtx, how: &Rollout) -> Result<Outcome> {
        let deadline = how.deadline;
        let name = self.name();
        let daemon = self.project.daemon().await?;
        self.clear_leftovers().await?;
        let (body, spec) = self.body(record);
        let old = self.find(&name).await?;
        super::ensure_image(&self.project, record, ctx).await?;

        // The same image with the same settings, running and healthy: nothing to change.
        if let Some(o) = old
            .as_ref()
            .filter(|o| o.running && o.spec.as_deref() == Some(spec.as_str()))
        {
            if o.image_id == record.image_id {
                let check = crate::config::duration::deadline_in(self.gate.monitor_budget());
                if let Health::Healthy(how) =
                    health::judge(&o.container, &self.gate, check, Some(ctx)).await?
                {
                    let same = match &o.release {
                        Some(r) if *r == record.id => format!("release {r}"),
                        Some(r) => format!("release {r}, the same image as {}", record.id),
                        None => "this image".into(),
                    };
                    return Ok(Outcome::Unchanged(format!(
                        "container {name} already runs {same} with the same settings, healthy by {how}; nothing changed"
                    )));
                }
            }
        }

        // Host ports another container or process holds: refused before anything is touched.
        self.check_host_ports(old.as_ref()).await?;
        self.warn_unexposed(record, ctx).await;
        let mut new = Container::create_with(daemon, &format!("{name}-next"), body).await?;
        let old_running = old.as_ref().is_some_and(|o| o.running);
        // Stop first only when the running container holds a host port the new one needs.
        let shared: Vec<String> = old
            .as_ref()
            .filter(|o| o.running)
            .map(|o| {
                self.settings
                    .ports
                    .iter()
                    .filter(|p| p.host_port.is_some_and(|h| o.host_ports.contains(&h)))
                    .map(|p| p.to_string())
                    .collect()
            })
            .unwrap_or_default();
        let stop_first = !shared.is_empty();
        if stop_first {
            ctx.log(format!(
                "host port(s) {} are held by the running release, and two containers cannot hold them at once: replacing it with a short stop-then-start",
                shared.join(", ")
            ));
            if let Some(o) = &old {
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
                    Some(r) => r?,
                    None => {
                        // Interrupted while the old one stops: it was going down anyway, so
                        // end that at once and start it again rather than wait out its grace.
                        let _ = o.container.stop(Duration::ZERO).await;
                        let _ = new.remove().await;
                        return Err(self.interrupted(record, Some(o), true).await);
                    }
                }
            }
        }
        if ctx.cancel.is_cancelled() {
            let _ = new.remove().await;
            return Err(self.interrupted(record, old.as_ref(), stop_first).await);
        }
        ctx.progress(format!("starting release {}", record.id));
        let judged = match new.start().await {
            Ok(()) => match health::judge(&new, &self.gate, deadline, Some(ctx)).await {
                // Healthy just as Ctrl-C came: the interrupt wins, nothing switches over.
                Ok(_) if ctx.cancel.is_cancelled() => Err(Error::interrupted()),
                other => other,
            },
            Err(e) => Ok(Health::Unhealthy(format!("{START_FAILED}{}", e.message))),
        };
        let health = match judged {
            Ok(h) => h,
            Err(e) => {
                // Interrupted, or the daemon went away mid-wait: put the previous release back.
                let _ = new.remove().await;
                if e.kind == crate::error::ExitKind::Interrupted {
                    return Err(self.interrupted(record, old.as_ref(), stop_first).await);
                }
                if let (true, Some(o)) = (stop_first, &old) {
                    if let Err(restart) = o.container.start().await {
                        return Err(e.context(format!(
                            "the previous container {name} could not be restarted ({}), so nothing is serving; run `docker start {name}`",
                            restart.message
                        )));
                    }
                }
                return Err(e);
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
        match old {
            Some(o) if old_running => Ok(self.restore(&o, stop_first, why, detail).await),
            _ => Ok(Outcome::Failed(
                Failure::new(format!("{why}; nothing ran before it, so nothing runs now"))
                    .detail(detail),
            )),
        }
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

    /// Remove what an interrupted deploy left (`<name>-next`, `<name>-prev`).
    async fn clear_leftovers(&self) -> Result<()> {
        let name = self.name();
        for leftover in [format!("{name}-next"), format!("{name}-prev")] {
            if let Some(d) = self.find(&leftover).await? {
                d.container.remove().await?;
            }
        }
        Ok(())
    }
}

/// What to run: the pinned registry image, or the local image ID for a local release.
fn image_of(record: &Record) -> String {
    if record.registry.is_none() {
        record.image_id.clone()
    } else {
        record.image.clone()
    }
}

#[async_trait]
impl Target for Docker {
    fn name(&self) -> String {
        self.settings
            .name
            .clone()
            .unwrap_or_else(|| self.project.config.deployment_name())
    }

    fn describe(&self) -> String {
        let risk = if self.gate.has_probe() {
            ""
        } else {
            " (risk: no [deploy.health] probe, so a release that never answers still counts as healthy once it stays up)"
        };
        format!(
            "replace container {} once the new release is healthy by {}{risk}",
            self.name(),
            self.gate.describe()
        )
    }

    /// One deploy at a time: under the daemon lock, from before anything is touched until the
    /// verdict.
    async fn deploy(&self, record: &Record, ctx: &StepCtx, how: &Rollout) -> Result<Outcome> {
        let name = self.name();
        daemon_lock::holding(
            &self.project,
            &name,
            how,
            ctx,
            self.replace(record, ctx, how),
        )
        .await
    }

    async fn running(&self) -> Result<Option<String>> {
        Ok(self.find(&self.name()).await?.and_then(|d| d.release))
    }

    async fn status(&self, window: Option<std::time::Duration>) -> Result<Status> {
        let stats = window.is_some();
        let name = self.name();
        let mut st = Status::empty(&self.project, "docker", &name);
        let Some(d) = self.find(&name).await? else {
            return Ok(st);
        };
        let daemon = self.project.daemon().await?;
        status::fill_container(&mut st, daemon, &name, stats).await?;
        st.release = d.release;
        let budget = crate::config::duration::deadline_in(self.gate.monitor_budget());
        st.set_health(health::judge(&d.container, &self.gate, budget, None).await?);
        Ok(st)
    }

    async fn remove(&self, release: &str) -> Result<bool> {
        let name = self.name();
        let mut removed = false;
        for n in [name.clone(), format!("{name}-next"), format!("{name}-prev")] {
            if let Some(d) = self.find(&n).await? {
                if d.release.as_deref() == Some(release) {
                    d.container.remove().await?;
                    removed = true;
                }
            }
        }
        Ok(removed)
    }

    async fn logs(&self, q: &LogQuery, out: &mut (dyn FnMut(LogLine) + Send)) -> Result<()> {
        let daemon = self.project.daemon().await?;
        logs::stream(daemon, &self.name(), false, q, out).await
    }
}
