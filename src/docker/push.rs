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
            Err(Failure::Transient(why, _)) if attempt < ATTEMPTS => {
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
            Err(Failure::Transient(why, cause)) => {
                return Err(Error::unreachable(format!(
                    "cannot push {reference} after {ATTEMPTS} attempts: {why}"
                ))
                .caused_by(cause))
            }
            Err(Failure::Final(e)) => return Err(e),
        }
    }
    Err(Error::failed(format!("cannot push {reference}")))
}

enum Failure {
    /// Worth another attempt: what went wrong in words, and the daemon's error it came from.
    Transient(String, bollard::errors::Error),
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

/// Whether `phrase` occurs in `text` as whole words: `500` matches "HTTP status: 500 Internal" but
/// not a digest whose hex happens to contain 500.
fn has_words(text: &str, phrase: &str) -> bool {
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    text.match_indices(phrase).any(|(i, m)| {
        !is_word(text[..i].chars().next_back()) && !is_word(text[i + m.len()..].chars().next())
    })
}

/// Sort a push error into "refused" (exit 5, final), "unreachable" (retried, then exit 5), or other.
/// The daemon's own HTTP status decides when there is one; otherwise the registry's error, read as
/// whole words.
fn classify(reference: &str, e: bollard::errors::Error) -> Failure {
    use bollard::errors::Error as B;
    let text = describe(&e);
    let lower = text.to_lowercase();
    let status = match &e {
        B::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    };
    let transport = matches!(
        e,
        B::HyperResponseError { .. } | B::IOError { .. } | B::RequestTimeoutError
    );
    let any = |words: &[&str]| words.iter().any(|w| has_words(&lower, w));
    let refused = matches!(status, Some(401 | 403))
        || any(&[
            "unauthorized",
            "authentication required",
            "denied",
            "forbidden",
            "401",
            "403",
        ]);
    let missing = status == Some(404)
        || any(&[
            "name unknown",
            "repository does not exist",
            "not found",
            "404",
        ]);
    let transient = transport
        || any(&[
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
        ]);
    if refused {
        Failure::Final(
            Error::unreachable(format!("the registry refused the push of {reference}: {text}"))
                .caused_by(e)
                .with_hint("check the registry credentials (DEVLOOP_REGISTRY_USERNAME/PASSWORD, `docker login`, or the AWS identity for ECR)"),
        )
    } else if missing {
        Failure::Final(
            Error::unreachable(format!(
                "the registry has no repository for {reference}: {text}"
            ))
            .caused_by(e)
            .with_hint(
                "create the repository, or for ECR set release.ecr.create_repository = true",
            ),
        )
    } else if transient {
        Failure::Transient(text, e)
    } else {
        Failure::Final(Error::failed(format!("push of {reference} failed: {text}")).caused_by(e))
    }
}

/// Pull a release's pinned image into the daemon (a deploy from a machine that did not build it).
pub async fn pull(daemon: &Daemon, ctx: &StepCtx, image: &str, auth: Option<&Auth>) -> Result<()> {
    let opts = bollard::query_parameters::CreateImageOptionsBuilder::default()
        .from_image(image)
        .build();
    let mut stream = daemon
        .client
        .create_image(Some(opts), None, auth.map(Auth::to_docker));
    loop {
        let item = tokio::select! {
            item = stream.next() => item,
            _ = ctx.cancel.cancelled() => return Err(Error::interrupted()),
        };
        match item {
            None => return Ok(()),
            Some(Ok(info)) => {
                if let Some(status) = info.status {
                    ctx.progress(format!("pulling {image}: {status}"));
                }
            }
            Some(Err(e)) => {
                return Err(match classify(image, e) {
                    Failure::Final(e) => e.context("pull"),
                    Failure::Transient(why, cause) => {
                        Error::unreachable(format!("cannot pull {image}: {why}")).caused_by(cause)
                    }
                })
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(error: &str) -> bollard::errors::Error {
        bollard::errors::Error::DockerStreamError {
            error: error.to_string(),
        }
    }

    #[test]
    fn push_errors_are_classified_by_whole_words() {
        let digest = "blob upload invalid: sha256:5005a1e8d3c500bb";
        assert!(
            matches!(classify("r:t", stream(digest)), Failure::Final(e) if e.kind == crate::error::ExitKind::StepFailed)
        );
        assert!(matches!(
            classify(
                "r:t",
                stream("received unexpected HTTP status: 500 Internal Server Error")
            ),
            Failure::Transient(..)
        ));
        assert!(matches!(
            classify("r:t", stream("unauthorized: authentication required")),
            Failure::Final(e) if e.kind == crate::error::ExitKind::Unreachable
        ));
        let denied = bollard::errors::Error::DockerResponseServerError {
            status_code: 403,
            message: "no".into(),
        };
        assert!(
            matches!(classify("r:t", denied), Failure::Final(e) if e.kind == crate::error::ExitKind::Unreachable)
        );
    }
}
