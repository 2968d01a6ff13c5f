//! Notifications: a command's outcome told to the team's chat (Slack, Microsoft Teams, Discord) or
//! any webhook, per `[notify.<channel>]`, after `deploy`, `rollback`, `ship`, `provision` and
//! `monitor --check` (the last only when its verdict changes).
//!
//! What is told is one [`Event`], built from what the command printed; each channel renders it in
//! its service's own format ([`render`]) and it is posted to every matching channel at once, bounded
//! in time, with a few retries ([`post`]). A channel that cannot be told is a warning: it never
//! changes the command's exit code or verdict.

pub mod event;
mod last;
mod post;
mod render;

use std::time::{Duration, Instant};

use crate::config::schema::{Channel, ChannelKind, On};
use crate::config::{is_expanded, Config};
use crate::output::Printer;

pub use event::{Command, Event};
pub use last::{changed_channels, Last};

/// How long telling every channel may take, all of them together.
pub const BUDGET: Duration = Duration::from_secs(5);

/// One channel of the config, by name.
#[derive(Debug, Clone)]
pub struct Named {
    pub name: String,
    pub channel: Channel,
}

/// How telling one channel went.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub name: String,
    pub kind: ChannelKind,
    /// Where it went, with the credential part hidden (`https://hooks.slack.com/***`).
    pub shown_url: String,
    /// `Ok(attempts)`, or why it was not delivered.
    pub result: Result<u32, String>,
}

/// The channels of the selected environment that are on (`enabled`), by name.
pub fn channels(config: &Config) -> Vec<Named> {
    config
        .doc
        .notify
        .iter()
        .filter(|(_, ch)| ch.enabled)
        .map(|(name, ch)| Named {
            name: name.clone(),
            channel: ch.clone(),
        })
        .collect()
}

/// What `plan` says of the channels: `notify: team (slack) on failure; audit (webhook) on
/// success, failure`, with those turned off in this environment; `None` without channels.
pub fn plan_line(config: &Config) -> Option<String> {
    if config.doc.notify.is_empty() {
        return None;
    }
    let parts: Vec<String> = config
        .doc
        .notify
        .iter()
        .map(|(name, ch)| {
            let kind = ch.kind.get_ref().as_str();
            if !ch.enabled {
                return format!("{name} ({kind}) off");
            }
            let on: Vec<&str> = ch.on.get_ref().iter().map(|o| o.as_str()).collect();
            let unset = unset(ch)
                .map(|var| format!(", off this run: {var} is not set"))
                .unwrap_or_default();
            format!("{name} ({kind}) on {}{unset}", on.join(", "))
        })
        .collect();
    Some(format!("notify: {}\n", parts.join("; ")))
}

/// The channels told about `verdict`.
pub fn matching(all: Vec<Named>, verdict: On) -> Vec<Named> {
    all.into_iter()
        .filter(|n| n.channel.on.get_ref().iter().any(|on| on.matches(verdict)))
        .collect()
}

/// Tell each channel about `event`, all at once, within [`BUDGET`]; every text of the event is
/// masked first, so a secret in a reason never leaves this machine.
pub async fn send(channels: &[Named], event: &Event, printer: &Printer) -> Vec<Delivery> {
    let event = event.masked(&|s| printer.mask(s));
    let deadline = Instant::now() + BUDGET;
    let sends = channels.iter().map(|n| {
        let event = &event;
        async move {
            let ch = &n.channel;
            let kind = *ch.kind.get_ref();
            let url = ch.url.get_ref();
            let missing = unset(ch);
            let shown_url = match &missing {
                Some(_) => "no URL".to_string(),
                None => post::shown(url),
            };
            let result = match missing {
                Some(var) => Err(format!("{var} is not set, so this channel is off")),
                None => {
                    let body = render::body(kind, event);
                    let signature = ch
                        .secret
                        .as_ref()
                        .map(|s| post::sign(s.get_ref().as_bytes(), &body));
                    post::post(url, &body, event.command.as_str(), signature, deadline).await
                }
            };
            Delivery {
                name: n.name.clone(),
                kind,
                shown_url,
                result,
            }
        }
    });
    futures_util::future::join_all(sends).await
}

/// The variable a channel needs and does not have in this run.
fn unset(ch: &Channel) -> Option<String> {
    std::iter::once(ch.url.get_ref())
        .chain(ch.secret.as_ref().map(|s| s.get_ref()))
        .find(|v| !is_expanded(v))
        .map(|v| {
            crate::config::first_var_name(v)
                .unwrap_or("its variable")
                .to_string()
        })
}

/// One warning per channel that was not told: who, where (masked), and why.
pub fn warn_undelivered(deliveries: &[Delivery], printer: &Printer) {
    for d in deliveries {
        if let Err(why) = &d.result {
            printer.warn(&format!(
                "notification to {} ({}, {}) not delivered: {why}",
                d.name,
                d.kind.as_str(),
                d.shown_url
            ));
        }
    }
}

#[cfg(test)]
mod tests;
