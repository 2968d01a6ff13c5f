//! `devloop monitor`: status, logs and resource use of what the environment's target runs now,
//! judged by the same health gate as a deploy.

use std::io::IsTerminal;
use std::time::Duration;

use super::Context;
use crate::cli::MonitorArgs;
use crate::deploy::{self, LogQuery, Status};
use crate::error::Result;

pub fn run(ctx: &Context, args: &MonitorArgs) -> Result<i32> {
    let project = ctx.project()?;
    let target = deploy::open(&project)?;
    let runtime = super::run::runtime()?;
    if args.logs {
        let q = LogQuery {
            follow: args.follow,
            since: args.since,
            tail: args.tail,
            filter: args.filter.clone(),
        };
        let printer = ctx.printer.clone();
        let mut out = move |l: deploy::LogLine| {
            let time = l.time.get(..23).unwrap_or(&l.time).replace('T', " ");
            printer.document(
                &format!("{time} {} | {}", l.source, l.line),
                serde_json::json!({ "event": "log", "time": l.time, "source": l.source, "stream": if l.stderr { "stderr" } else { "stdout" }, "line": l.line }),
            );
        };
        return runtime.block_on(async {
            tokio::select! {
                r = target.logs(&q, &mut out) => r.map(|()| 0),
                _ = tokio::signal::ctrl_c() => Ok(130),
            }
        });
    }
    let show = |s: &Status| {
        ctx.printer.document(
            &deploy::render_status(s),
            serde_json::to_value(s).unwrap_or_default(),
        )
    };
    if args.watch {
        return runtime.block_on(async {
            let clear = std::io::stdout().is_terminal() && !ctx.printer.is_json();
            loop {
                let s = target.status(true).await?;
                if clear {
                    let text = format!(
                        "\x1b[H\x1b[2J{}\n(refreshing every 2s; Ctrl-C to stop)",
                        deploy::render_status(&s)
                    );
                    ctx.printer.document(&text, serde_json::Value::Null);
                } else {
                    show(&s);
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                    _ = tokio::signal::ctrl_c() => return Ok(130),
                }
            }
        });
    }
    let s = runtime.block_on(target.status(true))?;
    show(&s);
    Ok(if args.check && s.failing() { 1 } else { 0 })
}
