//! One deploy of a set at a time on ECS: every service's own `devloop.lock` is taken before
//! anything is read or changed, in the order of the services' ARNs, and given back on every path.
//!
//! The fixed order makes two racing deploys of the same set meet at the first service they share:
//! the later one is refused there, having taken nothing it keeps, instead of each winning some
//! locks and both failing. The per-service lock is the same one a deploy of one service takes, so
//! a set and a single-service deploy of one of its services exclude each other too.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_ecs::Client;

use super::{lock, Ecs};
use crate::deploy::{remaining, Locking, Rollout};
use crate::engine::StepCtx;
use crate::error::Result;
use crate::session::Session;

/// Run `run` holding the lock of every ECS service of the set (`members` sessions). `run` must
/// deploy with [`Locking::Held`]. With `--no-lock` nothing is taken, which is said.
pub async fn holding<T>(
    members: &[Arc<Session>],
    how: &Rollout,
    ctx: &StepCtx,
    ttl_extra: Duration,
    run: impl Future<Output = Result<T>>,
) -> Result<T> {
    match how.lock {
        Locking::Held => return run.await,
        Locking::Skip => {
            ctx.warn("deploying the set without the deploy locks (--no-lock): nothing stops another deploy of its services meanwhile");
            return run.await;
        }
        Locking::Take | Locking::Force | Locking::Wait => {}
    }
    let mut services: Vec<(String, Client)> = Vec::new();
    for s in members {
        let ecs = Ecs::new(s.clone())?;
        let client = ecs.client().await?;
        let arn = ecs
            .service(&client)
            .await?
            .service_arn()
            .unwrap_or_default()
            .to_string();
        if !services.iter().any(|(a, _)| *a == arn) {
            services.push((arn, client));
        }
    }
    services.sort_by(|a, b| a.0.cmp(&b.0));
    let owner = members
        .first()
        .map(|s| format!("{} pid {}", s.ambient.user(), std::process::id()))
        .unwrap_or_default();
    // Held through the whole walk and the put-back after a failure; given back at the end.
    let ttl = remaining(how.deadline) + ttl_extra + Duration::from_secs(600);
    let mut held = Vec::new();
    for (arn, client) in &services {
        match lock::acquire(client, arn, &owner, ttl, how.lock == Locking::Force).await {
            Ok(l) => held.push(l),
            Err(e) => {
                release(held, ctx).await;
                return Err(e);
            }
        }
    }
    let out = run.await;
    release(held, ctx).await;
    out
}

/// Give the locks back, the last taken first; a failure to is a warning, never the verdict.
async fn release(held: Vec<lock::Lock>, ctx: &StepCtx) {
    for l in held.into_iter().rev() {
        super::unlock(Some(l), ctx).await;
    }
}
