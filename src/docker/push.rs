//! Pushing an image through the daemon, with progress, retries for transient failures, and clear
//! messages (exit 5) when the registry refuses us or cannot be reached.

use std::time::Duration;

use bollard::query_parameters::PushImageOptionsBuilder;
use futures_util::StreamExt;

use super::build::split_reference;
use super::connect::{describe, Daemon};
use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::registry::Auth;

/// Attempts for a push that fails in a way worth retrying.
const ATTEMPTS: u32 = 4;

/// Push `reference` (`host/repo:tag`); returns the manifest digest the registry reported.
pub async fn push(
    daemon: &Daemon,
    ctx: &StepCtx,
    reference: &str,
    auth: Option<&Auth>,
) -> Result<String> {
    let mut delay = Duration::from_secs(1);
    for attempt in 1..=ATTEMPTS {
        match push_once(daemon, ctx, reference, auth).await {
            Ok(digest) => return Ok(digest),
            Err(Failure::Transient(why)) if attempt < ATTEMPTS => {
                ctx.progress(format!(
                    "push of {reference} failed ({why}); retrying in {}s",
                    delay.as_secs()
                ));
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = ctx.cancel.cancelled() => return Err(Error::interrupted()),
                }
                delay *= 2;
            }
            Err(Failure::Transient(why)) => {
                return Err(Error::unreachable(format!(
                    "cannot push {reference} after {ATTEMPTS} attempts: {why}"
                )))
            }
            Err(Failure::Final(e)) => return Err(e),
        }
    }
    Err(Error::failed(format!("cannot push {reference}")))
}

enum Failure {
    Transient(String),
    Final(Error),
}

async fn push_once(
    daemon: &Daemon,
    ctx: &StepCtx,
    reference: &str,
    auth: Option<&Auth>,
) -> std::result::Result<String, Failure> {
    let (repo, tag) = split_reference(reference);
    let opts = PushImageOptionsBuilder::default().tag(tag).build();
    let mut stream = daemon
        .client
        .push_image(repo, Some(opts), auth.map(Auth::to_docker));
    let (mut done_layers, mut present_layers) = (0u32, 0u32);
    let mut digest = None;
    loop {
        let item = tokio::select! {
            item = stream.next() => item,
            _ = ctx.cancel.cancelled() => return Err(Failure::Final(Error::interrupted())),
        };
        let Some(item) = item else { break };
        match item {
            Ok(info) => {
                let status = info.status.unwrap_or_default();
                if status == "Pushed" {
                    done_layers += 1;
                } else if status == "Layer already exists" {
                    present_layers += 1;
                } else if let Some(d) = status.split("digest: ").nth(1) {
                    digest = d.split_whitespace().next().map(str::to_string);
                }
                let bytes = info
                    .progress_detail
                    .and_then(|p| Some((p.current?, p.total?)))
                    .filter(|(_, t)| *t > 0)
                    .map(|(c, t)| format!(", {} of {}", mib(c), mib(t)))
                    .unwrap_or_default();
                ctx.progress(format!(
                    "{reference}: {done_layers} layers pushed, {present_layers} already there{bytes}"
                ));
            }
            Err(e) => return Err(classify(reference, e)),
        }
    }
    digest.ok_or_else(|| {
        Failure::Final(Error::failed(format!(
            "the registry did not report a digest for {reference}"
        )))
    })
}

fn mib(bytes: i64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1_048_576.0)
}

/// Sort a push error into "refused" (exit 5, final), "unreachable" (retried, then exit 5), or other.
fn classify(reference: &str, e: bollard::errors::Error) -> Failure {
    let text = describe(&e);
    let lower = text.to_lowercase();
    let refused = [
        "unauthorized",
        "authentication required",
        "denied",
        "forbidden",
        "401",
        "403",
    ];
    let missing = [
        "name unknown",
        "repository does not exist",
        "not found",
        "404",
    ];
    let transient = [
        "connection refused",
        "connection reset",
        "no such host",
        "timeout",
        "i/o timeout",
        "eof",
        "500",
        "502",
        "503",
        "504",
        "temporarily",
    ];
    if refused.iter().any(|p| lower.contains(p)) {
        Failure::Final(
            Error::unreachable(format!("the registry refused the push of {reference}: {text}"))
                .with_hint("check the registry credentials (DEVLOOP_REGISTRY_USERNAME/PASSWORD, `docker login`, or the AWS identity for ECR)"),
        )
    } else if missing.iter().any(|p| lower.contains(p)) {
        Failure::Final(
            Error::unreachable(format!(
                "the registry has no repository for {reference}: {text}"
            ))
            .with_hint(
                "create the repository, or for ECR set release.ecr.create_repository = true",
            ),
        )
    } else if transient.iter().any(|p| lower.contains(p)) {
        Failure::Transient(text)
    } else {
        Failure::Final(Error::failed(format!("push of {reference} failed: {text}")))
    }
}

/// The digest the registry holds for `reference`, or `None` when it has no such tag.
pub async fn remote_digest(
    daemon: &Daemon,
    reference: &str,
    auth: Option<&Auth>,
) -> Option<String> {
    daemon
        .client
        .inspect_registry_image(reference, auth.map(Auth::to_docker))
        .await
        .ok()
        .and_then(|d| d.descriptor.digest)
}
