//! The app's logs from the Docker daemon (a container's, or a swarm service's tasks'), each line
//! with the time the daemon recorded it, filtered, and followed without repeats.

use futures_util::StreamExt;

use bollard::query_parameters::LogsOptionsBuilder;

use super::{LogLine, LogQuery};
use crate::docker::connect::{api_error, is_not_found};
use crate::docker::Daemon;
use crate::error::{Error, Result};

/// Stream `name`'s logs (`service`: a swarm service) into `out`.
pub async fn stream(
    daemon: &Daemon,
    name: &str,
    service: bool,
    q: &LogQuery,
    out: &mut (dyn FnMut(LogLine) + Send),
) -> Result<()> {
    let mut opts = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .timestamps(true)
        .follow(q.follow);
    if let Some(n) = q.tail {
        opts = opts.tail(&n.to_string());
    }
    if let Some(since) = q.since {
        let from = std::time::SystemTime::now()
            .checked_sub(since)
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs() as i32)
            .unwrap_or(0);
        opts = opts.since(from);
    }
    let found = if service {
        daemon.client.inspect_service(name, None).await.map(|_| ())
    } else {
        daemon
            .client
            .inspect_container(name, None)
            .await
            .map(|_| ())
    };
    if let Err(e) = found {
        return Err(if is_not_found(&e) {
            Error::usage(format!("nothing is deployed as {name}"))
        } else {
            api_error(&format!("cannot inspect {name}"), e)
        });
    }
    let mut stream = if service {
        daemon.client.service_logs(name, Some(opts.build())).boxed()
    } else {
        daemon.client.logs(name, Some(opts.build())).boxed()
    };
    let mut pending = String::new();
    while let Some(item) = stream.next().await {
        let chunk = item.map_err(|e| api_error("cannot read logs", e))?;
        let stderr = matches!(chunk, bollard::container::LogOutput::StdErr { .. });
        pending.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
        while let Some(i) = pending.find('\n') {
            let raw: String = pending.drain(..=i).collect();
            if let Some(line) = parse(raw.trim_end_matches(['\n', '\r']), name, stderr) {
                if q.filter
                    .as_ref()
                    .is_none_or(|f| line.line.contains(f.as_str()))
                {
                    out(line);
                }
            }
        }
    }
    Ok(())
}

/// `2026-11-23T05:00:00.123456789Z text`, as the daemon writes lines with timestamps. Swarm
/// service logs carry the task's details before the text, which the daemon already strips.
fn parse(raw: &str, name: &str, stderr: bool) -> Option<LogLine> {
    if raw.is_empty() {
        return None;
    }
    let (time, line) = match raw.split_once(' ') {
        Some((t, rest)) if t.len() >= 20 && t.as_bytes().get(4) == Some(&b'-') => (t, rest),
        _ => ("", raw),
    };
    Some(LogLine {
        time: time.to_string(),
        source: name.to_string(),
        stderr,
        line: line.to_string(),
    })
}
