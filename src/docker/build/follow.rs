//! The daemon's build messages as step events: the classic builder's lines and BuildKit's vertices
//! shown once each, with the last lines kept to explain a failure.

use std::collections::{HashSet, VecDeque};

use bollard::moby::buildkit::v1::StatusResponse;
use bollard::models::{BuildInfoAux, ImageId};
use futures_util::StreamExt;

use super::{InfoStream, StreamError};
use crate::engine::StepCtx;
use crate::error::{Error, Result};

/// Lines of build output shown under a failure.
const FAILURE_TAIL: usize = 15;

/// Turn the daemon's messages into step events; the image ID when the daemon names it.
pub(super) async fn follow(ctx: &StepCtx, mut stream: InfoStream<'_>) -> Result<Option<String>> {
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
pub(super) enum VertexLine {
    /// A build step (vertex) started: `[2/3] COPY a /a`.
    Started(String),
    /// A line the step printed.
    Output(String),
}

/// BuildKit reports the same vertex many times; this turns the stream into lines shown once.
#[derive(Default)]
pub(super) struct Vertices {
    names: std::collections::HashMap<String, String>,
    announced: HashSet<String>,
    transfers: HashSet<String>,
}

impl Vertices {
    pub(super) fn absorb(&mut self, status: &StatusResponse) -> Vec<VertexLine> {
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
