//! Building an image through the daemon, with the classic builder or BuildKit, streaming its output
//! into step events. The classic builder receives the context devloop wrote as a tar stream;
//! BuildKit reads it over devloop's own session.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use bollard::models::BuildInfo;
use bollard::query_parameters::{
    BuildImageOptions, BuildImageOptionsBuilder, BuilderVersion, TagImageOptionsBuilder,
};
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::connect::{api_error, describe, Daemon};
use super::session::{Offer, Session, Shared};
use crate::config::Ambient;
use crate::engine::StepCtx;
use crate::error::{Error, Result};

mod follow;
mod stream;

pub struct BuildRequest {
    /// The first reference the daemon tags the result with (`repo:tag`).
    pub reference: String,
    pub args: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub target: Option<String>,
    pub platform: Option<String>,
    pub cache_from: Vec<String>,
    pub no_cache: bool,
    pub input: Input,
}

/// How the daemon gets the context and the Dockerfile.
pub enum Input {
    /// For the classic builder: a tar stream devloop writes; `dockerfile` names the Dockerfile
    /// inside it.
    Tar {
        dockerfile: String,
        tar: mpsc::Receiver<std::io::Result<Bytes>>,
    },
    /// BuildKit reads the context and the Dockerfile's directory over devloop's own session,
    /// asking only for files that changed since its last build of the same directory.
    Session {
        context: PathBuf,
        dockerfile: PathBuf,
        /// Patterns excluded from the context beyond what the daemon asks to exclude.
        context_excludes: Vec<String>,
        ambient: Ambient,
        /// Build secrets by id.
        secrets: HashMap<String, Vec<u8>>,
    },
}

/// Why the build stream ended early.
enum StreamError {
    /// The daemon reported a build error (`errorDetail`).
    Build(String),
    /// The conversation with the daemon failed.
    Api(Error),
}

type InfoStream<'a> = BoxStream<'a, std::result::Result<BuildInfo, StreamError>>;

/// Run the build; returns the image ID.
pub async fn build(daemon: &Daemon, ctx: &StepCtx, req: BuildRequest) -> Result<String> {
    let args: HashMap<String, String> = req.args.into_iter().collect();
    let labels: HashMap<String, String> = req.labels.into_iter().collect();
    let mut opts = BuildImageOptionsBuilder::default()
        .t(&req.reference)
        .rm(true)
        .forcerm(true)
        .nocache(req.no_cache)
        .buildargs(&args)
        .labels(&labels);
    if let Some(t) = &req.target {
        opts = opts.target(t);
    }
    if let Some(p) = &req.platform {
        opts = opts.platform(p);
    }
    if !req.cache_from.is_empty() {
        opts = opts.cachefrom(&req.cache_from);
    }
    // Kept open until the build stream is done; the daemon reads files through it.
    let mut session = None;
    let stream: InfoStream<'_> = match req.input {
        Input::Tar { dockerfile, tar } => {
            opts = opts.dockerfile(&dockerfile);
            tar_build(daemon, opts.build(), tar)
        }
        Input::Session {
            context,
            dockerfile,
            context_excludes,
            ambient,
            secrets,
        } => {
            let (offer, name) = offer(context, &dockerfile, context_excludes, ambient, secrets)?;
            let opened = Session::open(daemon, offer).await?;
            opts = opts
                .dockerfile(&name)
                .version(BuilderVersion::BuilderBuildKit)
                .session(&opened.id)
                .remote("client-session");
            session = Some(opened);
            stream::session_build(daemon, &opts.build()).await?
        }
    };
    let mut result = follow::follow(ctx, stream).await;
    if let Some(s) = session {
        // A session that broke explains a build that failed while reading the context.
        if let (Err(e), Some(why)) = (&mut result, s.failure()) {
            e.message = format!(
                "{} (the build session with the daemon broke: {why})",
                e.message
            );
        }
        s.close().await;
    }
    match result? {
        Some(id) => Ok(id),
        // Old daemons do not send aux; the reference we asked for names the result.
        None => image_id_of(daemon, &req.reference).await,
    }
}

/// The classic builder: the tar devloop writes goes up as the request body.
fn tar_build(
    daemon: &Daemon,
    opts: BuildImageOptions,
    tar: mpsc::Receiver<std::io::Result<Bytes>>,
) -> InfoStream<'_> {
    let body = bollard::body_try_stream(tokio_stream_from(tar));
    daemon
        .client
        .build_image(opts, None, Some(body))
        .map(|item| match item {
            Ok(info) => Ok(info),
            Err(bollard::errors::Error::DockerStreamError { error }) => {
                Err(StreamError::Build(error))
            }
            Err(e) => Err(StreamError::Api(api_error("build failed", e))),
        })
        .boxed()
}

/// What a BuildKit session offers for a build: the context, and the Dockerfile's directory; with
/// the Dockerfile's name inside that directory.
fn offer(
    context: PathBuf,
    dockerfile: &Path,
    context_excludes: Vec<String>,
    ambient: Ambient,
    secrets: HashMap<String, Vec<u8>>,
) -> Result<(Offer, String)> {
    let (dir, name) = match (dockerfile.parent(), dockerfile.file_name()) {
        (Some(d), Some(n)) => (d.to_path_buf(), n.to_string_lossy().into_owned()),
        _ => {
            return Err(Error::usage(format!(
                "{} does not name a Dockerfile",
                dockerfile.display()
            )))
        }
    };
    let offer = Offer {
        shared_key: Offer::shared_key_for(&context),
        name: context
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        dirs: HashMap::from([
            (
                "context".to_string(),
                Shared {
                    path: context,
                    excludes: context_excludes,
                },
            ),
            (
                "dockerfile".into(),
                Shared {
                    path: dir,
                    excludes: Vec::new(),
                },
            ),
        ]),
        ambient,
        secrets,
    };
    Ok((offer, name))
}

/// The ID of the image `reference` names (old daemons do not report the ID a build made).
async fn image_id_of(daemon: &Daemon, reference: &str) -> Result<String> {
    daemon
        .client
        .inspect_image(reference)
        .await
        .map_err(|e| {
            Error::failed(format!(
                "the build finished but {reference} cannot be found: {}",
                describe(&e)
            ))
            .caused_by(e)
        })?
        .id
        .ok_or_else(|| Error::failed("the daemon reported no image ID for the build"))
}

fn tokio_stream_from(
    mut rx: mpsc::Receiver<std::io::Result<Bytes>>,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Tag an image with `repo:tag`.
pub async fn tag(daemon: &Daemon, image: &str, reference: &str) -> Result<()> {
    let (repo, tag) = split_reference(reference);
    let opts = TagImageOptionsBuilder::default()
        .repo(repo)
        .tag(tag)
        .build();
    daemon
        .client
        .tag_image(image, Some(opts))
        .await
        .map_err(|e| api_error(&format!("cannot tag {reference}"), e))
}

/// `host:5000/repo:tag` → (`host:5000/repo`, `tag`); no tag → `latest`.
pub fn split_reference(reference: &str) -> (&str, &str) {
    let last_slash = reference.rfind('/').map(|i| i + 1).unwrap_or(0);
    match reference[last_slash..].rfind(':') {
        Some(i) => (
            &reference[..last_slash + i],
            &reference[last_slash + i + 1..],
        ),
        None => (reference, "latest"),
    }
}
#[cfg(test)]
mod tests;
