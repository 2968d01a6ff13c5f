//! Building an image through the daemon, with the classic builder or BuildKit, streaming its output
//! into step events. Both receive the context devloop wrote as a tar stream.

use std::collections::{BTreeMap, HashMap, VecDeque};

use std::collections::HashSet;

use bollard::moby::buildkit::v1::StatusResponse;
use bollard::models::{BuildInfoAux, ImageId};
use bollard::query_parameters::{BuildImageOptionsBuilder, BuilderVersion, TagImageOptionsBuilder};
use futures_util::StreamExt;

use super::connect::{api_error, describe, Daemon};
use crate::engine::StepCtx;
use crate::error::{Error, Result};

/// Lines of build output shown under a failure.
const FAILURE_TAIL: usize = 15;

pub struct BuildRequest {
    /// Dockerfile path inside the tar.
    pub dockerfile: String,
    /// The first reference the daemon tags the result with (`repo:tag`).
    pub reference: String,
    pub args: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub target: Option<String>,
    pub platform: Option<String>,
    pub cache_from: Vec<String>,
    pub no_cache: bool,
    /// Build with BuildKit (the daemon's `version=2` builder, with a bollard session).
    pub buildkit: bool,
}

/// Run the build; returns the image ID. The context arrives as a stream of tar chunks.
pub async fn build(
    daemon: &Daemon,
    ctx: &StepCtx,
    req: BuildRequest,
    tar: tokio::sync::mpsc::Receiver<std::io::Result<bytes::Bytes>>,
) -> Result<String> {
    let args: HashMap<String, String> = req.args.into_iter().collect();
    let labels: HashMap<String, String> = req.labels.into_iter().collect();
    let mut opts = BuildImageOptionsBuilder::default()
        .dockerfile(&req.dockerfile)
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
    let session = super::container::unique_name("devloop-build");
    if req.buildkit {
        opts = opts
            .version(BuilderVersion::BuilderBuildKit)
            .session(&session);
    }
    let body = bollard::body_try_stream(tokio_stream_from(tar));
    let mut stream = daemon.client.build_image(opts.build(), None, Some(body));

    let mut tail: VecDeque<String> = VecDeque::new();
    let mut current_step = String::new();
    let mut image_id: Option<String> = None;
    let mut vertices = Vertices::default();
    loop {
        let item = tokio::select! {
            item = stream.next() => item,
            _ = ctx.cancel.cancelled() => {
                // Dropping the stream closes the connection; the daemon abandons the build.
                return Err(Error::interrupted());
            }
        };
        let Some(item) = item else { break };
        match item {
            Ok(info) => {
                if let Some(text) = info.stream {
                    for line in text.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
                        if line.starts_with("Step ") {
                            current_step = line.to_string();
                            ctx.log_status(line);
                        } else {
                            ctx.log(line);
                        }
                        tail.push_back(line.to_string());
                        if tail.len() > FAILURE_TAIL {
                            tail.pop_front();
                        }
                    }
                }
                if let Some(status) = info.status.filter(|s| !s.is_empty()) {
                    ctx.progress(status);
                }
                match info.aux {
                    Some(BuildInfoAux::Default(ImageId { id: Some(id) })) => image_id = Some(id),
                    Some(BuildInfoAux::BuildKit(status)) => {
                        for line in vertices.absorb(&status) {
                            match line {
                                VertexLine::Started(name) => {
                                    current_step = name.clone();
                                    ctx.log_status(name);
                                }
                                VertexLine::Output(text) => {
                                    ctx.log(text.clone());
                                    tail.push_back(text);
                                    if tail.len() > FAILURE_TAIL {
                                        tail.pop_front();
                                    }
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            Err(bollard::errors::Error::DockerStreamError { error }) => {
                let at = if current_step.is_empty() {
                    String::new()
                } else {
                    format!(" at `{current_step}`")
                };
                return Err(Error::failed(format!("build failed{at}: {}", error.trim()))
                    .with_detail(tail.into_iter().collect()));
            }
            Err(e) => return Err(api_error("build failed", e)),
        }
    }
    match image_id {
        Some(id) => Ok(id),
        // Old daemons do not send aux; the reference we asked for names the result.
        None => daemon
            .client
            .inspect_image(&req.reference)
            .await
            .map_err(|e| {
                Error::failed(format!(
                    "the build finished but {} cannot be found: {}",
                    req.reference,
                    describe(&e)
                ))
            })?
            .id
            .ok_or_else(|| Error::failed("the daemon reported no image ID for the build")),
    }
}

/// What a BuildKit status message adds to the step's output.
enum VertexLine {
    /// A build step (vertex) started: `[2/3] COPY a /a`.
    Started(String),
    /// A line the step printed.
    Output(String),
}

/// BuildKit reports the same vertex many times; this turns the stream into lines shown once.
#[derive(Default)]
struct Vertices {
    names: std::collections::HashMap<String, String>,
    announced: HashSet<String>,
}

impl Vertices {
    fn absorb(&mut self, status: &StatusResponse) -> Vec<VertexLine> {
        let mut out = Vec::new();
        for v in &status.vertexes {
            self.names.insert(v.digest.clone(), v.name.clone());
            if v.started.is_some() && self.announced.insert(v.digest.clone()) {
                let cached = if v.cached { " (cached)" } else { "" };
                out.push(VertexLine::Started(format!("{}{cached}", v.name)));
            }
            if !v.error.is_empty() {
                out.push(VertexLine::Output(format!("{}: {}", v.name, v.error)));
            }
        }
        for log in &status.logs {
            let text = String::from_utf8_lossy(&log.msg);
            for line in text.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
                out.push(VertexLine::Output(line.to_string()));
            }
        }
        out
    }
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<std::io::Result<bytes::Bytes>>,
) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
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
mod tests {
    use super::split_reference;

    #[test]
    fn splits_references_with_registry_ports() {
        assert_eq!(split_reference("hello:abc"), ("hello", "abc"));
        assert_eq!(
            split_reference("localhost:5000/team/hello:v1"),
            ("localhost:5000/team/hello", "v1")
        );
        assert_eq!(
            split_reference("localhost:5000/hello"),
            ("localhost:5000/hello", "latest")
        );
    }
}
