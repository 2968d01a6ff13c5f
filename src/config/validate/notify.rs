//! `[notify.<channel>]` rules: a webhook URL and a signing secret are credentials, so each comes
//! from a variable, never from the file; a URL is HTTPS (plain HTTP only to this machine); a
//! signing secret only where the receiver can check it; `on` names at least one verdict.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use crate::config::schema::{Channel, ChannelKind, Document};
use crate::config::Source;
use crate::error::Result;

/// Every `[notify]` channel of the document, checked where the file has it.
pub fn check_notify(src: &Source, doc: &Document) -> Result<()> {
    for (name, ch) in &doc.notify {
        from_variable(src, name, "url", ch.url.span())?;
        if let Some(secret) = &ch.secret {
            from_variable(src, name, "secret", secret.span())?;
            if *ch.kind.get_ref() != ChannelKind::Webhook {
                return Err(src.error(
                    Some(secret.span()),
                    format!(
                        "notify.{name}.secret signs the body for a receiver that checks it: only kind = \"webhook\" takes one ({} does not check signatures)",
                        ch.kind.get_ref().as_str()
                    ),
                ));
            }
        }
        if is_set(ch.url.get_ref()) {
            check_url(src, name, ch)?;
        }
        if ch.on.get_ref().is_empty() {
            return Err(src.error(
                Some(ch.on.span()),
                format!("notify.{name}.on is empty, so the channel would never be told anything: name a verdict (\"failure\", \"success\", …) or set enabled = false"),
            ));
        }
    }
    Ok(())
}

/// Whether a value was expanded (a variable left unset keeps its `${…}`; the channel is then off).
pub fn is_set(value: &str) -> bool {
    !value.contains("${")
}

/// The value at `span` must be written as a variable reference with no default.
fn from_variable(src: &Source, channel: &str, key: &str, span: Range<usize>) -> Result<()> {
    let written = src.text.get(span.clone()).unwrap_or("");
    let vars = written.matches("${").count();
    let defaulted = written.contains(":-");
    if vars > 0 && !defaulted {
        return Ok(());
    }
    let what = if key == "url" {
        "a webhook URL is a credential (anyone who has it can post to the channel)"
    } else {
        "a signing secret is a credential"
    };
    let var = format!(
        "{}_{}",
        channel.to_uppercase().replace('-', "_"),
        key.to_uppercase()
    );
    let how = if defaulted {
        "a variable with a default still writes it in the file"
    } else {
        "it is written in the file"
    };
    let mut err = src
        .error(
            Some(span),
            format!("notify.{channel}.{key}: {what}, and {how}; give it from the environment, like {key} = \"${{{var}}}\""),
        )
        .with_hint(format!("set {var} in your CI's secrets (or your shell), and take the value out of the file and its history"));
    // The value is never repeated (a CI log would carry the credential): no quoted line.
    err.detail.clear();
    Err(err)
}

/// An http(s) URL; plain HTTP only to this machine, where nothing on the way can read it.
fn check_url(src: &Source, name: &str, ch: &Channel) -> Result<()> {
    let url = ch.url.get_ref();
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .rsplit('@')
        .next()
        .unwrap_or("");
    let host_name = host
        .strip_prefix('[')
        .and_then(|h| h.split_once(']'))
        .map(|(h, _)| h)
        .unwrap_or_else(|| host.split(':').next().unwrap_or(""));
    let local = matches!(host_name, "localhost" | "127.0.0.1" | "::1");
    let problem = match scheme {
        _ if host_name.is_empty() => Some("is not a URL such as https://hooks.slack.com/services/…"),
        "https" => None,
        "http" if local => None,
        "http" => Some("is plain HTTP to another machine, which would send the credential in clear: use https://"),
        _ => Some("is not an https:// URL"),
    };
    match problem {
        // The message names the variable's value only as "the value of …".
        Some(why) => Err(src.error(
            Some(ch.url.span()),
            format!(
                "notify.{name}.url (the value of {}) {why}",
                written_var(src, ch.url.span())
            ),
        )),
        None => Ok(()),
    }
}

/// `SLACK_URL` of a value written `"${SLACK_URL}"`, for messages that must not show the value.
fn written_var(src: &Source, span: Range<usize>) -> String {
    let written = src.text.get(span).unwrap_or("");
    crate::config::first_var_name(written)
        .unwrap_or("the variable")
        .to_string()
}

/// The spans of every `notify.<channel>.url` and `.secret` in the tree: an unset variable there
/// turns the channel off for this run instead of failing every command.
pub fn optional_spans(tree: &DeTable<'_>) -> Vec<Range<usize>> {
    let Some(channels) = tree.get("notify").and_then(|n| n.get_ref().as_table()) else {
        return Vec::new();
    };
    channels
        .iter()
        .filter_map(|(_, ch)| match ch.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => None,
        })
        .flat_map(|t| ["url", "secret"].into_iter().filter_map(|k| t.get(k)))
        .map(|v| v.span())
        .collect()
}

/// The URLs and secrets that must never be shown: each whole, and a URL's path (where Slack,
/// Teams and Discord keep the token) on its own.
pub fn secrets(doc: &Document) -> Vec<String> {
    let mut out = Vec::new();
    for ch in doc.notify.values() {
        let url = ch.url.get_ref();
        if is_set(url) && !url.is_empty() {
            out.push(url.clone());
            if let Some((_, rest)) = url.split_once("://") {
                if let Some(at) = rest.find(['/', '?']) {
                    let path = &rest[at..];
                    if path.len() > 8 {
                        out.push(path.to_string());
                    }
                }
            }
        }
        if let Some(s) = ch.secret.as_ref().map(|s| s.get_ref()) {
            if is_set(s) && !s.is_empty() {
                out.push(s.clone());
            }
        }
    }
    out
}
