//! `devloop monitor`: status, metrics and logs of what the environment's target runs now, judged
//! by the same health gate as a deploy. `--watch` redraws in place on a terminal and prints a line
//! per change elsewhere; `--check` exits 1, saying why, when the target is unhealthy, missing, or
//! a deployment is failing or stuck.

use std::io::IsTerminal;
use std::time::{Duration, Instant, SystemTime};

mod set;

use super::{runtime, Context};
use crate::deploy::{self, LogQuery, Status, Target};
use crate::error::{ExitKind, ExitStatus, Result};

/// What `devloop monitor` is asked.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Show logs instead of the status.
    pub logs: bool,
    /// Keep following the logs.
    pub follow: bool,
    /// Logs since this long ago; otherwise the metrics window.
    pub since: Option<Duration>,
    /// The last N log lines.
    pub tail: Option<usize>,
    /// Only log lines containing this text.
    pub filter: Option<String>,
    /// Refresh the view until interrupted.
    pub watch: bool,
    /// Fail (exit 1) when the target is unhealthy, missing, or a deployment fails or is stuck.
    pub check: bool,
}

const INTERRUPTED: ExitStatus = ExitStatus::Failure(ExitKind::Interrupted);

/// The metrics window when `--since` does not say.
const WINDOW: Duration = Duration::from_secs(3600);
/// How often `--watch` looks again, and how often it reads CloudWatch metrics again.
const REFRESH: Duration = Duration::from_secs(2);
const METRICS_REFRESH: Duration = Duration::from_secs(60);
/// Daemon samples `--watch` keeps for a sparkline.
const SAMPLES: usize = 60;

pub fn run(ctx: &Context, args: &Request) -> Result<ExitStatus> {
    let project = ctx.session()?;
    if project.config.multi {
        return set::run(ctx, &project, args);
    }
    if let Some(other) = ctx.services.iter().find(|s| *s != project.config.app()) {
        return Err(crate::error::Error::usage(format!(
            "-s/--service \"{other}\": {} defines no [services]",
            project.config.source.display
        )));
    }
    let target = deploy::open(&project)?;
    let runtime = runtime()?;
    if args.logs {
        let q = LogQuery {
            follow: args.follow,
            since: args.since,
            tail: args.tail,
            filter: args.filter.clone(),
        };
        let printer = ctx.printer.clone();
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = seen.clone();
        let mut out = move |l: deploy::LogLine| {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let time = l.time.get(..23).unwrap_or(&l.time).replace('T', " ");
            printer.document(
                &format!("{time} {} | {}", l.source, l.line),
                serde_json::json!({ "event": "log", "time": l.time, "source": l.source, "stream": if l.stderr { "stderr" } else { "stdout" }, "line": l.line }),
            );
        };
        let code = runtime.block_on(async {
            tokio::select! {
                r = target.logs(&q, &mut out) => r.map(|()| ExitStatus::Success),
                _ = tokio::signal::ctrl_c() => Ok(INTERRUPTED),
            }
        })?;
        // An empty answer is said, never a silent exit.
        if code == ExitStatus::Success && seen.load(std::sync::atomic::Ordering::Relaxed) == 0 {
            let mut what = format!("no log lines from {}", target.name());
            if let Some(since) = args.since {
                what.push_str(&format!(
                    " in the last {}",
                    humantime::format_duration(since)
                ));
            }
            if let Some(f) = &args.filter {
                what.push_str(&format!(" matching \"{f}\""));
            }
            ctx.printer.info(&what);
        }
        return Ok(code);
    }
    let window = args.since.unwrap_or(WINDOW);
    if args.watch {
        return runtime.block_on(async {
            tokio::select! {
                r = watch(ctx, target.as_ref(), window) => r,
                _ = tokio::signal::ctrl_c() => Ok(INTERRUPTED),
            }
        });
    }
    let mut s = runtime.block_on(target.status(Some(window)))?;
    if s.metrics.is_empty() {
        s.sample_metrics();
    }
    ctx.printer.document(
        &deploy::render_status(&s),
        serde_json::to_value(&s).unwrap_or_default(),
    );
    if args.check && s.failing() {
        ctx.printer.check_failed(&format!(
            "check failed: {} is {}: {}",
            s.name, s.verdict, s.reason
        ));
        return Ok(ExitStatus::check(false));
    }
    Ok(ExitStatus::Success)
}

/// What a change is made of, for the line-per-change view.
fn summary(s: &Status) -> String {
    let mut parts = vec![
        format!("{} ({})", s.verdict, s.reason),
        format!("state {}", s.state),
    ];
    if let Some(r) = &s.release {
        parts.push(format!("release {r}"));
    }
    if let Some(v) = &s.version {
        parts.push(format!("version {v}"));
    }
    if let (Some(run), Some(want)) = (s.replicas_running, s.replicas_desired) {
        parts.push(format!("{run}/{want} running"));
    }
    for d in &s.deployments {
        parts.push(format!(
            "{} {} {}/{}{}",
            d.status,
            d.revision,
            d.running,
            d.desired,
            d.rollout
                .as_deref()
                .map(|r| format!(" {r}"))
                .unwrap_or_default()
        ));
    }
    parts.join(", ")
}

/// One screen of `--watch` on a terminal: the screen is cleared once; after that the cursor
/// goes home, each line is written over the old one and erased to its end, and what is left
/// below is erased, so there is never a blank frame.
fn frame(body: &str, first: bool) -> String {
    let mut out = String::from(if first { "\x1b[2J\x1b[H" } else { "\x1b[H" });
    for line in body.lines() {
        out.push_str(line);
        out.push_str("\x1b[K\n");
    }
    out.push_str("\x1b[J");
    out
}

/// Refresh until interrupted. CloudWatch metrics are read again once a minute; daemon samples
/// are gathered into a series.
async fn watch(ctx: &Context, target: &dyn Target, window: Duration) -> Result<ExitStatus> {
    let terminal = std::io::stdout().is_terminal() && !ctx.printer.is_json();
    let mut history: Vec<deploy::Metric> = Vec::new();
    let mut metrics_at: Option<Instant> = None;
    let mut last = String::new();
    let mut first = true;
    loop {
        let due = metrics_at.is_none_or(|t| t.elapsed() >= METRICS_REFRESH);
        let mut s = target.status(Some(window).filter(|_| due)).await?;
        if !s.metrics.is_empty() {
            history = s.metrics.clone();
            metrics_at = Some(Instant::now());
        } else if s.cpu_percent.is_some() || s.memory_bytes.is_some() {
            // Daemon targets: one sample per look, gathered into the series.
            s.sample_metrics();
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            for m in &s.metrics {
                match history.iter_mut().find(|h| h.name == m.name) {
                    Some(h) => h.push(now, m.latest.unwrap_or(0.0), SAMPLES),
                    None => history.push(m.clone()),
                }
            }
            metrics_at = None;
        }
        s.metrics = history.clone();
        if terminal {
            // Home, each line then erase to its end, then erase below: no blank frame.
            let body = format!(
                "{}\n(refreshing every {}s; Ctrl-C to stop)",
                deploy::render_status(&s).trim_end(),
                REFRESH.as_secs()
            );
            ctx.printer
                .document(&frame(&body, first), serde_json::Value::Null);
        } else {
            let now = summary(&s);
            if now != last {
                ctx.printer.document(
                    &format!("{}  {} {now}", crate::units::clock(), s.name),
                    serde_json::to_value(&s).unwrap_or_default(),
                );
                last = now;
            }
        }
        first = false;
        tokio::time::sleep(REFRESH).await;
    }
}

#[cfg(test)]
mod tests {
    use super::frame;

    #[test]
    fn a_redraw_overwrites_in_place_and_clears_the_screen_only_once() {
        assert_eq!(frame("a\nb", true), "\x1b[2J\x1b[Ha\x1b[K\nb\x1b[K\n\x1b[J");
        let next = frame("a\nb", false);
        assert!(!next.contains("\x1b[2J"), "{next:?}");
        assert_eq!(next, "\x1b[Ha\x1b[K\nb\x1b[K\n\x1b[J");
    }
}
