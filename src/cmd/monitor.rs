//! `devloop monitor`: status, logs and resource use of what the environment's target runs now.

use std::io::IsTerminal;
use std::time::Duration;

use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::StreamExt;

use super::Context;
use crate::cli::MonitorArgs;
use crate::config::TargetKind;
use crate::docker::connect::api_error;
use crate::docker::Daemon;
use crate::error::{Error, Result};
use crate::target::{docker, status, swarm};

pub fn run(ctx: &Context, args: &MonitorArgs) -> Result<i32> {
    let project = ctx.project()?;
    let env = project.config.require_env()?.to_string();
    match project.config.target() {
        Some(TargetKind::Docker | TargetKind::Swarm) => {}
        Some(other) => {
            return Err(Error::not_available(&format!(
                "devloop monitor on {}",
                other.as_str()
            )))
        }
        None => {
            return Err(Error::usage(format!(
                "environment \"{env}\" has no deploy target"
            )))
        }
    }
    let runtime = super::run::runtime()?;
    if args.logs {
        return runtime.block_on(logs(ctx, &project, args));
    }
    if args.watch {
        return runtime.block_on(async {
            let clear = std::io::stdout().is_terminal() && !ctx.printer.is_json();
            loop {
                let s = status::status(&project, true).await?;
                let text = status::render(&s);
                let text = if clear {
                    format!("\x1b[2J\x1b[H{text}\n(refreshing every 2s; Ctrl-C to stop)")
                } else {
                    text
                };
                ctx.printer
                    .document(&text, serde_json::to_value(&s).unwrap_or_default());
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                    _ = tokio::signal::ctrl_c() => return Ok(130),
                }
            }
        });
    }
    let s = runtime.block_on(status::status(&project, true))?;
    ctx.printer.document(
        &status::render(&s),
        serde_json::to_value(&s).unwrap_or_default(),
    );
    if args.check && !s.healthy {
        return Ok(1);
    }
    Ok(0)
}

async fn logs(
    ctx: &Context,
    project: &crate::pipeline::Project,
    args: &MonitorArgs,
) -> Result<i32> {
    let daemon = Daemon::connect(&project.ambient).await?;
    let swarm = project.config.target() == Some(TargetKind::Swarm);
    let name = if swarm {
        swarm::service_name(project)
    } else {
        docker::container_name(project)
    };
    let mut opts = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .follow(args.follow);
    if let Some(n) = args.tail {
        opts = opts.tail(&n.to_string());
    }
    if let Some(since) = args.since {
        let from = std::time::SystemTime::now()
            .checked_sub(since)
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs() as i32)
            .unwrap_or(0);
        opts = opts.since(from);
    }
    let found = if swarm {
        daemon.client.inspect_service(&name, None).await.map(|_| ())
    } else {
        daemon
            .client
            .inspect_container(&name, None)
            .await
            .map(|_| ())
    };
    if let Err(e) = found {
        return Err(if crate::docker::connect::is_not_found(&e) {
            Error::usage(format!("nothing is deployed as {name}"))
        } else {
            api_error(&format!("cannot inspect {name}"), e)
        });
    }
    let mut stream = if swarm {
        daemon
            .client
            .service_logs(&name, Some(opts.build()))
            .boxed()
    } else {
        daemon.client.logs(&name, Some(opts.build())).boxed()
    };
    loop {
        let item = tokio::select! {
            item = stream.next() => item,
            _ = tokio::signal::ctrl_c() => return Ok(130),
        };
        let Some(item) = item else { break };
        let chunk = item.map_err(|e| api_error("cannot read logs", e))?;
        let is_err = matches!(chunk, bollard::container::LogOutput::StdErr { .. });
        let text = String::from_utf8_lossy(&chunk.into_bytes()).into_owned();
        for line in text.lines() {
            ctx.printer.document(
                line,
                serde_json::json!({ "event": "log", "container": name, "stream": if is_err { "stderr" } else { "stdout" }, "line": line }),
            );
        }
    }
    Ok(0)
}
