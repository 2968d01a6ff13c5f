//! One [`Event`] in each service's own format: Slack Block Kit, a Microsoft Teams Adaptive Card in
//! its message envelope, a Discord embed, and devloop's own JSON object for a generic webhook.
//! Each reads in one glance: a coloured title saying what happened, the facts in a grid, the
//! reason (on failure) as preformatted text, and a link to the CI run.

use serde_json::{json, Value};

use super::Event;
use crate::config::schema::{ChannelKind, On};

/// The body posted to a channel of `kind`.
pub fn body(kind: ChannelKind, e: &Event) -> Vec<u8> {
    let v = match kind {
        ChannelKind::Slack => slack(e),
        ChannelKind::Teams => teams(e),
        ChannelKind::Discord => discord(e),
        ChannelKind::Webhook => serde_json::to_value(e).unwrap_or(Value::Null),
    };
    serde_json::to_vec(&v).unwrap_or_default()
}

/// The verdict's mark and colour (RGB).
fn look(v: On) -> (&'static str, u32) {
    match v {
        On::Success => ("✅", 0x2EB67D),
        On::Failed | On::Failure => ("❌", 0xE01E5A),
        On::RolledBack => ("↩️", 0xE8912D),
        On::TimedOut => ("⏱️", 0xECB22E),
        On::Interrupted => ("⏹️", 0x9E9E9E),
    }
}

/// The facts, in the order people look for them; absent ones left out.
fn facts(e: &Event) -> Vec<(&'static str, String)> {
    let mut out = vec![("Environment", e.env.clone())];
    if !e.services.is_empty() {
        out.push(("Services", e.services.join(", ")));
    }
    if let Some(r) = &e.release {
        out.push(("Release", r.clone()));
    }
    if let Some(c) = &e.commit {
        out.push(("Commit", c.chars().take(12).collect()));
    }
    out.push((
        "Verdict",
        format!("{} (exit {})", e.verdict.as_str(), e.exit_code),
    ));
    if e.command != super::Command::Test {
        out.push((
            "Duration",
            crate::units::short_duration(std::time::Duration::from_millis(e.duration_ms)),
        ));
    }
    if let Some(t) = &e.target {
        out.push(("Target", t.clone()));
    }
    if let Some(a) = &e.actor {
        out.push(("By", a.clone()));
    }
    out
}

/// At most `max` characters, cut at a character boundary and said so.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(2)).collect();
    out.push_str(" …");
    out
}

fn slack(e: &Event) -> Value {
    let (mark, colour) = look(e.verdict);
    let title = format!("{mark} {}", e.summary);
    let fields: Vec<Value> = facts(e)
        .into_iter()
        .map(|(k, v)| json!({ "type": "mrkdwn", "text": format!("*{k}*\n{}", slack_escape(&v)) }))
        .collect();
    let mut blocks = vec![
        json!({ "type": "header", "text": { "type": "plain_text", "text": cut(&title, 150), "emoji": true } }),
        // A section holds at most ten fields.
        json!({ "type": "section", "fields": fields.into_iter().take(10).collect::<Vec<_>>() }),
    ];
    if let Some(reason) = &e.reason {
        blocks.push(json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": format!("```{}```", cut(&slack_escape(reason), 2900)) }
        }));
    }
    if let Some(url) = &e.run_url {
        blocks.push(json!({
            "type": "context",
            "elements": [{ "type": "mrkdwn", "text": format!("<{url}|Open the CI run>") }]
        }));
    }
    json!({
        "text": title,
        "attachments": [{ "color": format!("#{colour:06X}"), "blocks": blocks }]
    })
}

/// Slack's three control characters in mrkdwn.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn teams(e: &Event) -> Value {
    let (mark, _) = look(e.verdict);
    let color = match e.verdict {
        On::Success => "Good",
        On::RolledBack | On::TimedOut => "Warning",
        On::Interrupted => "Default",
        On::Failed | On::Failure => "Attention",
    };
    let facts: Vec<Value> = facts(e)
        .into_iter()
        .map(|(k, v)| json!({ "title": k, "value": v }))
        .collect();
    let mut body = vec![
        json!({ "type": "TextBlock", "text": format!("{mark} {}", e.summary), "weight": "Bolder", "size": "Medium", "color": color, "wrap": true }),
        json!({ "type": "FactSet", "facts": facts }),
    ];
    if let Some(reason) = &e.reason {
        body.push(json!({ "type": "TextBlock", "text": cut(reason, 4000), "fontType": "Monospace", "wrap": true }));
    }
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": { "width": "Full" },
        "body": body,
    });
    if let Some(url) = &e.run_url {
        card["actions"] =
            json!([{ "type": "Action.OpenUrl", "title": "Open the CI run", "url": url }]);
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }]
    })
}

fn discord(e: &Event) -> Value {
    let (mark, colour) = look(e.verdict);
    let fields: Vec<Value> = facts(e)
        .into_iter()
        .map(|(k, v)| json!({ "name": k, "value": cut(&v, 1024), "inline": true }))
        .collect();
    let mut embed = json!({
        "title": cut(&format!("{mark} {}", e.summary), 256),
        "color": colour,
        "fields": fields,
        "timestamp": e.sent_at,
    });
    if let Some(reason) = &e.reason {
        embed["description"] = json!(format!(
            "```\n{}\n```",
            cut(&reason.replace("```", "'''"), 4000)
        ));
    }
    if let Some(url) = &e.run_url {
        embed["url"] = json!(url);
    }
    json!({
        "username": "devloop",
        "content": null,
        "allowed_mentions": { "parse": [] },
        "embeds": [embed],
    })
}
