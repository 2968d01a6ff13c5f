//! `POST /build` on devloop's own connection to the daemon (bollard would open a second session of
//! its own), and the daemon's JSON messages read from it as they arrive.

use bollard::models::BuildInfo;
use futures_util::StreamExt;
use http_body_util::BodyExt;

use super::{InfoStream, StreamError};
use crate::docker::connect::Daemon;
use crate::docker::session;
use crate::error::{Error, Result};

/// `POST /build` on devloop's own connection (bollard would open a second session of its own),
/// returning the daemon's JSON messages as they arrive.
pub(super) async fn session_build(
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
