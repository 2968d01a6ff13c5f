//! `devloop notify test`: a sample message to every channel of the environment, each channel's
//! result said, so a webhook is known to work before the first deploy needs it.

use super::{runtime, Context};
use crate::error::{Error, ExitStatus, Result};
use crate::notifications::{self, Event};

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
