//! One deploy at a time per deployment on a Docker daemon (the docker and swarm targets): a lock
//! every runner that talks to the daemon sees, with no other store.
//!
//! The lock is a labelled volume, `devloop-lock-<deployment>`. Creating a volume the daemon
//! already has returns the existing one unchanged, so of two runners that create it at once one
//! gets its own labels back (it holds the lock) and the other the winner's (it is refused, naming
//! the holder) — a test-and-set in one call. The labels name the holder and when the lock expires;
//! an expired lock is taken over, `--force-unlock` takes a live one, `--wait-lock` waits for it,
//! `--no-lock` goes without. It is released on every exit path; if a deploy is abandoned mid-call
//! the release is still sent from `Drop`.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use bollard::models::VolumeCreateRequest;
use bollard::Docker;

use super::{remaining, Locking, Rollout};
use crate::docker::connect::{api_error, is_not_found};
use crate::engine::StepCtx;
use crate::error::{Error, Result};

const HOLDER: &str = "devloop.lock.holder";
const NONCE: &str = "devloop.lock.nonce";
const UNTIL: &str = "devloop.lock.until";
/// The holder's host and process: a lock whose process is gone from this host is stale.
const HOST: &str = "devloop.lock.host";
const PID: &str = "devloop.lock.pid";

/// This machine's name, as a lock records it.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// Whether the lock's holder ran on this host and its process is gone (Ctrl-C'd hard, killed).
fn holder_gone(labels: &HashMap<String, String>) -> bool {
    let here = hostname();
    let pid: i32 = labels.get(PID).and_then(|p| p.parse().ok()).unwrap_or(0);
    !here.is_empty()
        && labels.get(HOST) == Some(&here)
        && pid > 0
        // Signal 0 asks only whether the process exists.
        && unsafe { libc::kill(pid, 0) } != 0
}

pub struct DaemonLock {
    client: Docker,
    volume: String,
    nonce: String,
    released: bool,
}

/// The volume that locks `deployment` (a container or service name).
pub fn volume_name(deployment: &str) -> String {
    format!("devloop-lock-{deployment}")
}

/// Who holds a lock, and until when, from its labels.
fn holder(labels: &HashMap<String, String>) -> (String, Option<SystemTime>) {
    let who = labels
        .get(HOLDER)
        .cloned()
        .unwrap_or_else(|| "an unknown deploy".into());
    let until = labels
        .get(UNTIL)
        .and_then(|t| humantime::parse_rfc3339(t).ok());
    (who, until)
}

/// Take the lock on `deployment` as `how` asks; `None` with `--no-lock` (said in the output).
/// `ctx` receives what is said meanwhile (none for `dev`, which holds the lock for its session).
pub async fn acquire(
    client: &Docker,
    deployment: &str,
    owner: &str,
    how: &Rollout,
    ctx: Option<&StepCtx>,
) -> Result<Option<DaemonLock>> {
    let warn = |m: String| {
        if let Some(ctx) = ctx {
            ctx.warn(m)
        }
    };
    if how.lock == Locking::Held {
        return Ok(None);
    }
    if how.lock == Locking::Skip {
        warn(format!(
            "deploying {deployment} without the deploy lock (--no-lock): nothing stops another deploy of it meanwhile"
        ));
        return Ok(None);
    }
    let volume = volume_name(deployment);
    let ttl = remaining(how.deadline) + Duration::from_secs(600);
    let mut waited = false;
    loop {
        if let Some(ctx) = ctx {
            ctx.check_cancelled()?;
        }
        let now = SystemTime::now();
        let nonce = format!(
            "{}-{:x}",
            std::process::id(),
            now.duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
        let labels = HashMap::from([
            (HOLDER.to_string(), owner.to_string()),
            (NONCE.to_string(), nonce.clone()),
            (
                UNTIL.to_string(),
                humantime::format_rfc3339_seconds(now + ttl).to_string(),
            ),
            (HOST.to_string(), hostname()),
            (PID.to_string(), std::process::id().to_string()),
        ]);
        let got = client
            .create_volume(VolumeCreateRequest {
                name: Some(volume.clone()),
                driver: Some("local".into()),
                labels: Some(labels),
                ..Default::default()
            })
            .await
            .map_err(|e| api_error(&format!("cannot take the deploy lock ({volume})"), e))?;
        if got.labels.get(NONCE) == Some(&nonce) {
            return Ok(Some(DaemonLock {
                client: client.clone(),
                volume,
                nonce,
                released: false,
            }));
        }
        let (who, until) = holder(&got.labels);
        let gone = holder_gone(&got.labels);
        let expired = until.is_some_and(|u| u <= now);
        if expired || gone || how.lock == Locking::Force {
            warn(format!(
                "taking over the deploy lock on {deployment} from {who} ({})",
                if gone {
                    "its process is gone"
                } else if expired {
                    "expired"
                } else {
                    "--force-unlock"
                }
            ));
            remove(client, &volume).await?;
            continue;
        }
        if how.lock == Locking::Wait && Instant::now() < how.deadline {
            if let Some(ctx) = ctx {
                if !waited {
                    ctx.log(format!(
                        "another deploy of {deployment} holds the lock ({who}); waiting for it (--wait-lock)"
                    ));
                    waited = true;
                }
                ctx.progress(format!("waiting for the deploy lock held by {who}"));
            }
            tokio::time::sleep(Duration::from_millis(500).min(remaining(how.deadline))).await;
            continue;
        }
        let until = until
            .map(|u| humantime::format_rfc3339_seconds(u).to_string())
            .unwrap_or_else(|| "no expiry".into());
        return Err(Error::usage(format!(
            "another deploy of {deployment} is running: {who} holds the deploy lock (until {until}); nothing was changed"
        ))
        .with_hint(format!(
            "wait for it to finish, run again with --wait-lock, or if that deploy is gone, --force-unlock (or `docker volume rm {volume}`)"
        )));
    }
}

/// Run `rollout` under the lock on `deployment`: taken before anything is touched, held until
/// the verdict, released on every path. The docker and swarm targets deploy through this.
pub async fn holding<T>(
    project: &crate::session::Session,
    deployment: &str,
    how: &Rollout,
    ctx: &StepCtx,
    rollout: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    let daemon = project.daemon().await?;
    let lock = acquire(
        &daemon.client,
        deployment,
        &project.lock_owner(),
        how,
        Some(ctx),
    )
    .await?;
    let result = rollout.await;
    if let Some(lock) = lock {
        lock.release(Some(ctx)).await;
    }
    result
}

async fn remove(client: &Docker, volume: &str) -> Result<()> {
    match client
        .remove_volume(
            volume,
            None::<bollard::query_parameters::RemoveVolumeOptions>,
        )
        .await
    {
        Ok(()) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(api_error(
            &format!("cannot release the deploy lock ({volume})"),
            e,
        )),
    }
}

/// Remove the lock volume if it still carries `nonce` (ours).
async fn release(client: &Docker, volume: &str, nonce: &str) -> Result<()> {
    match client.inspect_volume(volume).await {
        Ok(v) if v.labels.get(NONCE).map(String::as_str) == Some(nonce) => {
            remove(client, volume).await
        }
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(api_error(
            &format!("cannot read the deploy lock ({volume})"),
            e,
        )),
    }
}

impl DaemonLock {
    /// Give the lock up; a failure to is a warning, never the verdict.
    pub async fn release(mut self, ctx: Option<&StepCtx>) {
        self.released = true;
        if let Err(e) = release(&self.client, &self.volume, &self.nonce).await {
            if let Some(ctx) = ctx {
                ctx.warn(format!(
                    "the deploy lock could not be released: {}",
                    e.message
                ));
            }
        }
    }
}

impl Drop for DaemonLock {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let (client, volume, nonce) =
                (self.client.clone(), self.volume.clone(), self.nonce.clone());
            handle.spawn(async move {
                let _ = release(&client, &volume, &nonce).await;
            });
        }
    }
}
