//! `devloop monitor` over a set of services: every service's status with one verdict for the
//! set, `--check` naming each failing service, and `--logs` interleaving the services' lines by
//! time, each with its service's name.

use std::io::IsTerminal;
use std::sync::Arc;

use super::{frame, summary, Request, INTERRUPTED, REFRESH, WINDOW};
use crate::deploy::{self, LogLine, LogQuery, Status, Target};
use crate::error::{ExitStatus, Result};
use crate::ops::Context;
use crate::session::Session;

/// The targets of the services `-s` selects (all without it), each with its service's name.
fn targets(ctx: &Context, project: &Arc<Session>) -> Result<Vec<(String, Box<dyn Target>)>> {
    let chosen = crate::ops::chosen::select(project, &ctx.services, false)?;
    project
        .services()
        .into_iter()
        .filter_map(|s| {
            let name = s.config.service.clone()?;
            chosen.contains(&name).then_some((name, s))
        })
        .map(|(name, s)| Ok((name, deploy::open(&s)?)))
        .collect::<Result<Vec<_>>>()
        .map(one_each)
}

/// Services that share one deployment (a set in one Elastic Beanstalk environment) are shown
/// once, named together.
fn one_each(targets: Vec<(String, Box<dyn Target>)>) -> Vec<(String, Box<dyn Target>)> {
    let mut out: Vec<(String, Box<dyn Target>)> = Vec::new();
    for (name, t) in targets {
        match out.iter_mut().find(|(_, o)| o.name() == t.name()) {
            Some((names, _)) => *names = format!("{names}+{name}"),
            None => out.push((name, t)),
        }
    }
    out
}

pub fn run(ctx: &Context, project: &Arc<Session>, args: &Request) -> Result<ExitStatus> {
    let targets = targets(ctx, project)?;
    let runtime = super::runtime()?;
    if args.logs {
        return runtime.block_on(async {
            tokio::select! {
                r = logs(ctx, &targets, args) => r,
                _ = tokio::signal::ctrl_c() => Ok(INTERRUPTED),
            }
        });
    }
    let window = args.since.unwrap_or(WINDOW);
    if args.watch {
        return runtime.block_on(async {
            tokio::select! {
                r = watch(ctx, &targets, window) => r,
                _ = tokio::signal::ctrl_c() => Ok(INTERRUPTED),
            }
        });
    }
    let statuses = runtime.block_on(statuses(&targets, Some(window)))?;
    let failing: Vec<&Status> = statuses.iter().filter(|s| s.failing()).collect();
    let settling: Vec<&str> = statuses
        .iter()
        .filter(|s| !s.failing() && s.verdict != "healthy")
        .map(|s| s.name.as_str())
        .collect();
    // The set's verdict: unhealthy when one fails, starting while one still settles.
    let verdict = match (failing.is_empty(), settling.is_empty()) {
        (false, _) => "unhealthy",
        (true, false) => "starting",
        (true, true) => "healthy",
    };
    let mut text: String = statuses
        .iter()
        .map(|s| deploy::render_status(s).trim_end().to_string() + "\n\n")
        .collect();
    text.push_str(&match failing.as_slice() {
        [] if !settling.is_empty() => format!(
            "set: starting ({} of {} services still settling: {})\n",
            settling.len(),
            statuses.len(),
            settling.join(", ")
        ),
        [] => format!("set: healthy ({} services)\n", statuses.len()),
        f => format!(
            "set: unhealthy ({} of {} services failing: {})\n",
            f.len(),
            statuses.len(),
            f.iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    });
    let json = serde_json::json!({
        "verdict": verdict,
        "services": targets.iter().zip(&statuses).map(|((n, _), s)| {
            let mut v = serde_json::to_value(s).unwrap_or_default();
            v["service"] = n.clone().into();
            v
        }).collect::<Vec<_>>(),
    });
    ctx.printer.document(&text, json);
    if args.check && !failing.is_empty() {
        for s in &failing {
            ctx.printer.check_failed(&format!(
                "check failed: {} is {}: {}",
                s.name, s.verdict, s.reason
            ));
        }
        return Ok(ExitStatus::check(false));
    }
    Ok(ExitStatus::Success)
}

/// Every service's status, read together; daemon targets get one CPU and memory sample.
async fn statuses(
    targets: &[(String, Box<dyn Target>)],
    window: Option<std::time::Duration>,
) -> Result<Vec<Status>> {
    let reads = targets.iter().map(|(_, t)| t.status(window));
    let mut out = Vec::new();
    for r in futures_util::future::join_all(reads).await {
        let mut s = r?;
        if s.metrics.is_empty() {
            s.sample_metrics();
        }
        out.push(s);
    }
    Ok(out)
}

/// Every service's logs: followed, printed as they come; otherwise gathered and printed in time
/// order. Each line carries its service's name.
async fn logs(
    ctx: &Context,
    targets: &[(String, Box<dyn Target>)],
    args: &Request,
) -> Result<ExitStatus> {
    let q = LogQuery {
        follow: args.follow,
        since: args.since,
        tail: args.tail,
        filter: args.filter.clone(),
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, LogLine)>();
    let readers = targets.iter().map(|(name, t)| {
        let tx = tx.clone();
        let q = q.clone();
        async move {
            let mut out = |l: LogLine| {
                let _ = tx.send((name.clone(), l));
            };
            t.logs(&q, &mut out).await
        }
    });
    let readers: Vec<_> = readers.collect();
    drop(tx);
    let width = targets.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let print = |service: &str, l: &LogLine| {
        let time = l.time.get(..23).unwrap_or(&l.time).replace('T', " ");
        ctx.printer.document(
            &format!("{time} {service:width$} | {}", l.line),
            serde_json::json!({ "event": "log", "service": service, "time": l.time, "source": l.source, "stream": if l.stderr { "stderr" } else { "stdout" }, "line": l.line }),
        );
    };
    let mut seen = 0usize;
    if args.follow {
        let all = futures_util::future::join_all(readers);
        tokio::pin!(all);
        loop {
            tokio::select! {
                results = &mut all => {
                    while let Ok((s, l)) = rx.try_recv() { print(&s, &l); }
                    for r in results { r?; }
                    return Ok(ExitStatus::Success);
                }
                Some((s, l)) = rx.recv() => print(&s, &l),
            }
        }
    }
    for r in futures_util::future::join_all(readers).await {
        r?;
    }
    let mut lines = Vec::new();
    while let Ok(x) = rx.try_recv() {
        lines.push(x);
    }
    lines.sort_by(|a, b| a.1.time.cmp(&b.1.time));
    for (s, l) in &lines {
        seen += 1;
        print(s, l);
    }
    if seen == 0 {
        ctx.printer.info("no log lines from any service");
    }
    Ok(ExitStatus::Success)
}

/// Refresh every service until interrupted: one screen on a terminal, else a line per change.
async fn watch(
    ctx: &Context,
    targets: &[(String, Box<dyn Target>)],
    window: std::time::Duration,
) -> Result<ExitStatus> {
    let terminal = std::io::stdout().is_terminal() && !ctx.printer.is_json();
    let mut last: Vec<String> = vec![String::new(); targets.len()];
    let mut first = true;
    loop {
        let statuses = statuses(targets, first.then_some(window)).await?;
        if terminal {
            let body: String = statuses
                .iter()
                .map(|s| deploy::render_status(s).trim_end().to_string() + "\n\n")
                .collect();
            let body = format!(
                "{body}(refreshing every {}s; Ctrl-C to stop)",
                REFRESH.as_secs()
            );
            ctx.printer
                .document(&frame(&body, first), serde_json::Value::Null);
        } else {
            for (i, s) in statuses.iter().enumerate() {
                let now = summary(s);
                if now != last[i] {
                    ctx.printer.document(
                        &format!("{}  {} {now}", crate::units::clock(), s.name),
                        serde_json::to_value(s).unwrap_or_default(),
                    );
                    last[i] = now;
                }
            }
        }
        first = false;
        tokio::time::sleep(REFRESH).await;
    }
}
