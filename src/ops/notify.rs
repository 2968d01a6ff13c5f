//! The `[notify]` channels told of a command's outcome (after it ended, whatever path it ended
//! by, with `monitor --check`'s rule: only a change of verdict is news, and a failed read of the
//! target or a target still starting is none), and `devloop notify test`: a sample message to
//! every channel, each channel's result said, so a webhook is known to work before a deploy needs
//! it. What is sent and how is `notifications`.

use std::time::Duration;

use super::{runtime, Context};
use crate::error::{Error, ExitStatus, Result};
use crate::notifications::{self, event, Event, Last};

pub fn test(ctx: &Context) -> Result<ExitStatus> {
    let config = ctx.load_config()?;
    let env = config.require_env()?.to_string();
    if config.doc.notify.is_empty() {
        return Err(Error::usage(format!(
            "{} defines no [notify.<channel>] for \"{env}\": nothing to test",
            config.source.display
        ))
        .with_hint("add a channel such as [notify.team] with kind = \"slack\" and url = \"${SLACK_WEBHOOK_URL}\" (see the README, Notifications)"));
    }
    let off: Vec<&String> = config
        .doc
        .notify
        .iter()
        .filter(|(_, ch)| !ch.enabled)
        .map(|(name, _)| name)
        .collect();
    let channels = notifications::channels(&config);
    if channels.is_empty() {
        return Err(Error::usage(format!(
            "every [notify] channel is off in \"{env}\" (enabled = false): nothing to test"
        )));
    }
    let event = Event::sample(&config, &ctx.ambient);
    let deliveries = runtime()?.block_on(notifications::send(&channels, &event, &ctx.printer));
    let mut lines = Vec::new();
    let mut json = Vec::new();
    for d in &deliveries {
        let said = match &d.result {
            Ok(_) => "delivered".to_string(),
            Err(why) => format!("not delivered: {why}"),
        };
        let mark = if d.result.is_ok() { "ok  " } else { "FAIL" };
        lines.push(format!(
            "{mark} {} ({}, {}): {said}",
            d.name,
            d.kind.as_str(),
            d.shown_url
        ));
        json.push(serde_json::json!({
            "channel": d.name,
            "kind": d.kind.as_str(),
            "url": d.shown_url,
            "delivered": d.result.is_ok(),
            "error": d.result.as_ref().err(),
        }));
    }
    for name in &off {
        lines.push(format!("off  {name}: enabled = false in \"{env}\""));
    }
    let delivered = deliveries.iter().filter(|d| d.result.is_ok()).count();
    lines.push(format!(
        "{delivered} of {} channel(s) of \"{env}\" told",
        deliveries.len()
    ));
    ctx.printer.document(
        &(lines.join("\n") + "\n"),
        serde_json::json!({ "env": env, "channels": json, "off": off }),
    );
    Ok(ExitStatus::check(delivered == deliveries.len()))
}

/// Tell the channels of the config the command loaded. Nothing here changes the command's exit
/// code: a channel not told is one warning.
pub fn after(
    ctx: &Context,
    command: notifications::Command,
    result: &Result<ExitStatus>,
    duration: Duration,
) {
    let Some(config) = ctx.loaded_config() else {
        return;
    };
    let all = notifications::channels(&config);
    if all.is_empty() {
        return;
    }
    let status = match result {
        Ok(s) => *s,
        // A failed read of the target is no news for a check, never a verdict.
        Err(_) if command == notifications::Command::Monitor => return,
        Err(e) => ExitStatus::Failure(e.kind),
    };
    // A check that passes while the target is still starting (an update under way, health in its
    // grace) is no news: "healthy again" is said only of a healthy target.
    if command == notifications::Command::Monitor && status == ExitStatus::Success {
        let said = ctx.printer.said();
        let seen = said
            .document
            .as_ref()
            .and_then(|d| d.get("verdict"))
            .and_then(|v| v.as_str());
        if seen != Some("healthy") {
            return;
        }
    }
    let verdict = event::verdict_of(status);
    let error = result.as_ref().err().map(|e| e.message.clone());
    let run = event::Run {
        command,
        config: &config,
        ambient: &ctx.ambient,
        status,
        error: error.as_deref(),
        duration,
        services: &ctx.services,
    };
    let event = Event::of(&run, &ctx.printer.said());
    let runtime = match runtime() {
        Ok(r) => r,
        Err(e) => {
            ctx.printer
                .warn(&format!("notifications not sent: {}", e.message));
            return;
        }
    };
    let env = config.env_name().to_string();
    let deliveries = if command == notifications::Command::Monitor {
        let mut last = Last::load(&config.root);
        let changed = notifications::changed_channels(&last, all, &env, &ctx.services, verdict);
        let (tell, quiet): (Vec<_>, Vec<_>) = changed
            .into_iter()
            .partition(|(_, n)| n.channel.on.get_ref().iter().any(|on| on.matches(verdict)));
        for (key, _) in quiet {
            last.set(key, verdict);
        }
        let (keys, named): (Vec<_>, Vec<_>) = tell.into_iter().unzip();
        let deliveries = send(&runtime, &named, &event, ctx);
        // A channel not told keeps its old verdict, so the next check tries again.
        for (key, d) in keys.into_iter().zip(&deliveries) {
            if d.result.is_ok() {
                last.set(key, verdict);
            }
        }
        if let Err(e) = last.save() {
            ctx.printer.warn(&format!(
                "cannot keep the last verdict in .devloop/: {e}; the next check may tell the channels again"
            ));
        }
        deliveries
    } else {
        let named = notifications::matching(all, verdict);
        send(&runtime, &named, &event, ctx)
    };
    // A send that ended at its time bound may leave a name lookup running on a blocking
    // thread: the command does not wait for it.
    runtime.shutdown_background();
    notifications::warn_undelivered(&deliveries, &ctx.printer);
    let told: Vec<&str> = deliveries
        .iter()
        .filter(|d| d.result.is_ok())
        .map(|d| d.name.as_str())
        .collect();
    if !told.is_empty() {
        ctx.printer.info(&format!("notified: {}", told.join(", ")));
    }
}

/// Send, unless Ctrl-C comes first (the command's own handler is still in place, so a second
/// Ctrl-C after an interrupted deploy must not wait out the send's budget).
fn send(
    runtime: &tokio::runtime::Runtime,
    named: &[notifications::Named],
    event: &Event,
    ctx: &Context,
) -> Vec<notifications::Delivery> {
    if named.is_empty() {
        return Vec::new();
    }
    runtime.block_on(async {
        tokio::select! {
            d = notifications::send(named, event, &ctx.printer) => d,
            _ = tokio::signal::ctrl_c() => {
                ctx.printer.warn("notifications not sent: interrupted");
                Vec::new()
            }
        }
    })
}
