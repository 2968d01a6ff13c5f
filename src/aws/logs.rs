//! CloudWatch Logs for `monitor --logs`: the events of one or more log groups (and stream name
//! prefixes), interleaved by time, each handed out exactly once across polls (by event id), and
//! followed by polling, which picks up the streams of new tasks and instances as they start.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatchlogs::Client;

use super::sdk_error;
use crate::applog::{LogLine, LogQuery};
use crate::error::{Error, Result};

/// Where to read: a log group, and optionally only streams whose names start with a prefix.
#[derive(Debug, Clone)]
pub struct Source {
    pub group: String,
    pub stream_prefix: Option<String>,
}

#[derive(Debug)]
struct Event {
    id: String,
    ms: i64,
    stream: String,
    message: String,
}

/// How far back each poll looks again: CloudWatch may accept an event whose timestamp is
/// earlier than events already read.
const OVERLAP_MS: i64 = 30_000;
/// The window when neither `--since` nor `--tail` says otherwise.
const DEFAULT_SINCE: Duration = Duration::from_secs(3600);

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Read the sources as `q` asks, handing each line to `out`; `label` names a line's source from
/// its stream name (a short task id, an instance).
pub async fn read(
    client: &Client,
    sources: &[Source],
    q: &LogQuery,
    label: &(dyn Fn(&Source, &str) -> String + Sync),
    out: &mut (dyn FnMut(LogLine) + Send),
) -> Result<()> {
    let window = q.since.unwrap_or(if q.tail.is_some() {
        Duration::from_secs(24 * 3600)
    } else {
        DEFAULT_SINCE
    });
    let start = now_ms() - window.as_millis() as i64;
    let mut from = start;
    let mut seen: HashMap<String, i64> = HashMap::new();
    let mut high = start;
    let mut first = true;
    let mut poll = Duration::from_millis(500);
    loop {
        let mut batch = Vec::new();
        for s in sources {
            for e in fetch(client, s, from, q.filter.as_deref()).await? {
                if !seen.contains_key(&e.id) {
                    batch.push((s, e));
                }
            }
        }
        batch.sort_by(|a, b| (a.1.ms, &a.1.id).cmp(&(b.1.ms, &b.1.id)));
        batch.dedup_by(|a, b| a.1.id == b.1.id);
        for (_, e) in &batch {
            seen.insert(e.id.clone(), e.ms);
            high = high.max(e.ms);
        }
        if first {
            if let Some(n) = q.tail {
                let skip = batch.len().saturating_sub(n);
                batch.drain(..skip);
            }
        }
        let fresh = !batch.is_empty();
        for (s, e) in batch {
            let t = SystemTime::UNIX_EPOCH + Duration::from_millis(e.ms.max(0) as u64);
            out(LogLine {
                time: humantime::format_rfc3339_millis(t).to_string(),
                source: label(s, &e.stream),
                stderr: false,
                line: e.message.trim_end_matches(['\n', '\r']).to_string(),
            });
        }
        if !q.follow {
            return Ok(());
        }
        first = false;
        from = (high - OVERLAP_MS).max(start);
        seen.retain(|_, ms| *ms >= from);
        poll = if fresh {
            Duration::from_millis(500)
        } else {
            (poll * 2).min(Duration::from_secs(2))
        };
        tokio::time::sleep(poll).await;
    }
}

/// Every event of `s` from `from_ms` on (all pages), matching `pattern`.
async fn fetch(
    client: &Client,
    s: &Source,
    from_ms: i64,
    pattern: Option<&str>,
) -> Result<Vec<Event>> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .filter_log_events()
            .log_group_name(&s.group)
            .set_log_stream_name_prefix(s.stream_prefix.clone())
            .start_time(from_ms)
            .set_filter_pattern(pattern.map(str::to_string))
            .set_next_token(token)
            .send()
            .await;
        let page = match page {
            Ok(p) => p,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_resource_not_found_exception()) =>
            {
                return Err(Error::usage(format!(
                    "CloudWatch Logs group {} does not exist (nothing has logged to it yet, or it is named differently)",
                    s.group
                )))
            }
            Err(e) => return Err(sdk_error(&format!("cannot read log group {}", s.group), e)),
        };
        for e in page.events() {
            let stream = e.log_stream_name().unwrap_or_default().to_string();
            // Endpoints that ignore the prefix (moto) still get only the streams asked for.
            if s.stream_prefix
                .as_deref()
                .is_some_and(|p| !stream.starts_with(p))
            {
                continue;
            }
            let ms = e.timestamp().unwrap_or(0);
            let message = e.message().unwrap_or_default().to_string();
            let id = e
                .event_id()
                .map(str::to_string)
                .unwrap_or_else(|| format!("{stream}/{ms}/{message}"));
            out.push(Event {
                id,
                ms,
                stream,
                message,
            });
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}
