//! `[notify.<channel>]`: where a command's outcome is told (Slack, Microsoft Teams, Discord, or any
//! webhook) and on which verdicts. Each channel is a table of its own, so `[env.<name>.notify.<channel>]`
//! overrides it key by key like any other table.

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// Which service a channel posts to; it decides the message's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// A Slack incoming webhook: Block Kit.
    Slack,
    /// A Microsoft Teams incoming webhook (or a Workflows webhook): an Adaptive Card.
    Teams,
    /// A Discord webhook: an embed with a colour.
    Discord,
    /// Any HTTPS endpoint: devloop's own JSON object, optionally signed with HMAC-SHA256.
    Webhook,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Slack => "slack",
            ChannelKind::Teams => "teams",
            ChannelKind::Discord => "discord",
            ChannelKind::Webhook => "webhook",
        }
    }
}

/// A verdict a channel is told about (`on = [...]`). Each outcome has exactly one of the first
/// five; `failure` stands for all of them but `success`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum On {
    /// Exit 0: deployed (or unchanged), rolled back as asked, provisioned, a check that passes again.
    Success,
    /// Exit 1, 2 or 5: a step failed, the run was refused, a service was unreachable; a check that fails.
    Failed,
    /// Exit 3: the deploy failed and the target is back on the previous release.
    RolledBack,
    /// Exit 4: the deploy did not settle within its timeout.
    TimedOut,
    /// Exit 130: Ctrl-C or SIGTERM.
    Interrupted,
    /// Every verdict but `success`.
    Failure,
}

impl On {
    pub fn as_str(self) -> &'static str {
        match self {
            On::Success => "success",
            On::Failed => "failed",
            On::RolledBack => "rolled_back",
            On::TimedOut => "timed_out",
            On::Interrupted => "interrupted",
            On::Failure => "failure",
        }
    }

    /// Whether a channel that asked for `self` is told about `verdict`.
    pub fn matches(self, verdict: On) -> bool {
        self == verdict || (self == On::Failure && verdict != On::Success)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    pub kind: Spanned<ChannelKind>,
    /// The webhook URL: a credential, so it must come from a variable (`"${SLACK_WEBHOOK_URL}"`).
    #[serde(skip_serializing)]
    pub url: Spanned<String>,
    /// `webhook` only: the key of the `X-Devloop-Signature: sha256=<hex>` header over the body.
    #[serde(default, skip_serializing)]
    pub secret: Option<Spanned<String>>,
    /// The verdicts told [default: `["failure"]`].
    #[serde(default = "default_on")]
    pub on: Spanned<Vec<On>>,
    /// `false` turns the channel off (in one environment, say).
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn default_on() -> Spanned<Vec<On>> {
    Spanned::new(0..0, vec![On::Failure])
}

fn yes() -> bool {
    true
}
