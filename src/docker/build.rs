//! Building an image through the daemon, with the classic builder or BuildKit, streaming its output
//! into step events. The classic builder receives the context devloop wrote as a tar stream;
//! BuildKit reads it over devloop's own session.

use std::collections::{BTreeMap, HashMap, VecDeque};

use std::collections::HashSet;

use std::path::PathBuf;

use bollard::moby::buildkit::v1::StatusResponse;
use bollard::models::{BuildInfo, BuildInfoAux, ImageId};
use bollard::query_parameters::{BuildImageOptionsBuilder, BuilderVersion, TagImageOptionsBuilder};
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use http_body_util::BodyExt;
use tokio::sync::mpsc;

use super::connect::{api_error, describe, Daemon};
use super::session::{self, Offer, Session, Shared};
use crate::config::Ambient;
use crate::engine::StepCtx;
use crate::error::{Error, Result};

/// Lines of build output shown under a failure.
const FAILURE_TAIL: usize = 15;

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
            let body = bollard::body_try_stream(tokio_stream_from(tar));
            daemon
                .client
                .build_image(opts.build(), None, Some(body))
                .map(|item| match item {
                    Ok(info) => Ok(info),
                    Err(bollard::errors::Error::DockerStreamError { error }) => {
                        Err(StreamError::Build(error))
                    }
                    Err(e) => Err(StreamError::Api(api_error("build failed", e))),
                })
                .boxed()
        }
        Input::Session {
            context,
            dockerfile,
            context_excludes,
            ambient,
            secrets,
        } => {
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
            let opened = Session::open(daemon, offer).await?;
            opts = opts
                .dockerfile(&name)
                .version(BuilderVersion::BuilderBuildKit)
                .session(&opened.id)
                .remote("client-session");
            session = Some(opened);
            session_build(daemon, &opts.build()).await?
        }
    };
    let mut result = follow(ctx, stream).await;
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
                .caused_by(e)
            })?
            .id
            .ok_or_else(|| Error::failed("the daemon reported no image ID for the build")),
    }
}

/// `POST /build` on devloop's own connection (bollard would open a second session of its own),
/// returning the daemon's JSON messages as they arrive.
async fn session_build(
    daemon: &Daemon,
    opts: &bollard::query_parameters::BuildImageOptions,
) -> Result<InfoStream<'static>> {
    let query = serde_urlencoded::to_string(opts)
        .map_err(|e| Error::failed_because("cannot encode the build options", e))?;
    let req = http::Request::post(format!("{}/build?{query}", session::api_prefix(daemon)))
        .header(http::header::HOST, "docker")
        .header(http::header::CONTENT_TYPE, "application/x-tar")
        .body(http_body_util::Empty::new())
        .map_err(|e| Error::failed_because("cannot form the build request", e))?;
    let res = session::request(&daemon.endpoint, req).await?;
    if !res.status().is_success() {
        return Err(Error::failed(format!(
            "the daemon refused the build: {}",
            session::error_text(res).await
        )));
    }
    let body = res.into_body();
    let lines = futures_util::stream::unfold(
        (body, Vec::<u8>::new(), false),
        |(mut body, mut buf, mut done)| async move {
            loop {
                if let Some(end) = buf.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = buf.drain(..=end).collect();
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Some((decode_info(&line), (body, buf, done)));
                }
                if done {
                    if buf.iter().all(u8::is_ascii_whitespace) {
                        return None;
                    }
                    let line = std::mem::take(&mut buf);
                    return Some((decode_info(&line), (body, buf, done)));
                }
                match body.frame().await {
                    Some(Ok(frame)) => {
                        if let Some(data) = frame.data_ref() {
                            buf.extend_from_slice(data);
                        }
                    }
                    Some(Err(e)) => {
                        let err = StreamError::Api(Error::unreachable_because(
                            "the build output stream broke",
                            e,
                        ));
                        return Some((Err(err), (body, Vec::new(), true)));
                    }
                    None => done = true,
                }
            }
        },
    );
    Ok(lines.boxed())
}

/// One JSON message of the build stream.
fn decode_info(line: &[u8]) -> std::result::Result<BuildInfo, StreamError> {
    let info: BuildInfo = serde_json::from_slice(line).map_err(|e| {
        StreamError::Api(
            Error::failed(format!(
                "the daemon sent a build message devloop cannot read ({e}): {}",
                String::from_utf8_lossy(line).trim()
            ))
            .caused_by(e),
        )
    })?;
    match info.error_detail.as_ref().and_then(|d| d.message.clone()) {
        Some(message) => Err(StreamError::Build(message)),
        None => Ok(info),
    }
}

/// Turn the daemon's messages into step events; the image ID when the daemon names it.
async fn follow(ctx: &StepCtx, mut stream: InfoStream<'_>) -> Result<Option<String>> {
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
            Err(StreamError::Build(error)) => {
                let at = if current_step.is_empty() {
                    String::new()
                } else {
                    format!(" at `{current_step}`")
                };
                return Err(Error::failed(format!("build failed{at}: {}", error.trim()))
                    .with_detail(tail.into_iter().collect()));
            }
            Err(StreamError::Api(e)) => return Err(e),
        }
    }
    Ok(image_id)
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
    transfers: HashSet<String>,
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
        // How much of a local directory moved ("transferring context: 2.1 KiB"), once per transfer.
        for st in status
            .statuses
            .iter()
            .filter(|st| st.id.starts_with("transferring ") && st.completed.is_some())
        {
            if self.transfers.insert(format!("{} {}", st.vertex, st.id)) {
                let what = st.id.trim_end_matches(':');
                let bytes = u64::try_from(st.current).unwrap_or(0);
                out.push(VertexLine::Output(format!(
                    "{what}: {} sent",
                    crate::units::human_bytes(bytes)
                )));
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
mod tests {
    use super::{split_reference, VertexLine, Vertices};
    use bollard::moby::buildkit::v1::{StatusResponse, Vertex, VertexStatus};

    fn lines(v: &mut Vertices, status: &StatusResponse) -> Vec<String> {
        v.absorb(status)
            .into_iter()
            .map(|l| match l {
                VertexLine::Started(s) => format!("started {s}"),
                VertexLine::Output(s) => s,
            })
            .collect()
    }

    #[test]
    fn vertices_are_announced_once_and_transfers_reported_when_complete() {
        let mut v = Vertices::default();
        let vertex = Vertex {
            digest: "sha256:a".into(),
            name: "[internal] load build context".into(),
            started: Some(Default::default()),
            ..Default::default()
        };
        let transfer = |current, done: bool| VertexStatus {
            id: "transferring context:".into(),
            vertex: "sha256:a".into(),
            current,
            completed: done.then(Default::default),
            ..Default::default()
        };
        let first = StatusResponse {
            vertexes: vec![vertex.clone()],
            statuses: vec![transfer(1024, false)],
            ..Default::default()
        };
        assert_eq!(
            lines(&mut v, &first),
            ["started [internal] load build context"]
        );
        let done = StatusResponse {
            vertexes: vec![vertex],
            statuses: vec![transfer(20_787, true)],
            ..Default::default()
        };
        assert_eq!(
            lines(&mut v, &done),
            ["transferring context: 20.3 KiB sent"]
        );
        // BuildKit repeats finished statuses; they are not shown again.
        assert!(lines(&mut v, &done).is_empty());
    }

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
