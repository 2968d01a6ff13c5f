//! `[notify.<channel>]`: per-environment overrides through `[env.<name>.notify.<channel>]`, a
//! channel whose variable is unset is off (not an error), URLs and secrets are masked, and the
//! rules that keep credentials out of the file.

use super::*;
use crate::config::schema::{ChannelKind, On};

const NOTIFY: &str = r#"
[app]
name = "web"

[notify.team]
kind = "slack"
url = "${SLACK_URL}"
on = ["failure"]

[notify.audit]
kind = "webhook"
url = "https://audit.example.com/hooks/${AUDIT_TOKEN}"
secret = "${AUDIT_SECRET}"
on = ["success", "failed"]

[env.prod.notify.team]
on = ["failure", "success"]

[env.dev.notify.audit]
enabled = false
"#;

const VARS: &[(&str, &str)] = &[
    (
        "SLACK_URL",
        "https://hooks.slack.com/services/T1/B2/slack-token-xyz",
    ),
    ("AUDIT_TOKEN", "audit-token-abc"),
    ("AUDIT_SECRET", "audit-signing-secret"),
];

#[test]
fn an_environment_overrides_a_channel_key_by_key() {
    let c = load(NOTIFY, Some("prod"), VARS).unwrap();
    let team = &c.doc.notify["team"];
    assert_eq!(*team.kind.get_ref(), ChannelKind::Slack);
    assert_eq!(team.on.get_ref(), &[On::Failure, On::Success]);
    assert_eq!(team.url.get_ref(), VARS[0].1);
    let c = load(NOTIFY, Some("dev"), VARS).unwrap();
    assert_eq!(c.doc.notify["team"].on.get_ref(), &[On::Failure]);
    assert!(!c.doc.notify["audit"].enabled);
    assert!(c.doc.notify["team"].enabled);
}

#[test]
fn urls_their_paths_and_signing_secrets_are_masked() {
    let c = load(NOTIFY, Some("prod"), VARS).unwrap();
    for s in [
        VARS[0].1,
        "/services/T1/B2/slack-token-xyz",
        "https://audit.example.com/hooks/audit-token-abc",
        "/hooks/audit-token-abc",
        "audit-signing-secret",
    ] {
        assert!(
            c.secrets.iter().any(|x| x == s),
            "{s} not in {:?}",
            c.secrets
        );
    }
}

#[test]
fn an_unset_variable_turns_the_channel_off_instead_of_failing_every_command() {
    let c = load(NOTIFY, Some("prod"), &VARS[1..]).unwrap();
    assert!(!crate::config::is_expanded(
        c.doc.notify["team"].url.get_ref()
    ));
    assert!(
        c.secrets.iter().all(|s| !s.contains("${")),
        "{:?}",
        c.secrets
    );
}

#[test]
fn on_defaults_to_failure_and_failure_stands_for_every_verdict_but_success() {
    let c = load(
        "[app]\nname = \"w\"\n[notify.t]\nkind = \"discord\"\nurl = \"${U}\"\n",
        None,
        &[("U", "https://discord.com/api/webhooks/1/abc")],
    )
    .unwrap();
    assert_eq!(c.doc.notify["t"].on.get_ref(), &[On::Failure]);
    for v in [On::Failed, On::RolledBack, On::TimedOut, On::Interrupted] {
        assert!(On::Failure.matches(v), "{v:?}");
    }
    assert!(!On::Failure.matches(On::Success));
    assert!(!On::RolledBack.matches(On::Failed));
}

#[test]
fn credentials_written_in_the_file_are_refused_where_they_are() {
    let head = "[app]\nname = \"w\"\n[notify.team]\nkind = \"slack\"\n";
    let cases = [
        (
            "url = \"https://hooks.slack.com/services/T/B/literal\"\n",
            "devloop.toml:5:7: notify.team.url: a webhook URL is a credential (anyone who has it can post to the channel), and it is written in the file; give it from the environment, like url = \"${TEAM_URL}\"",
        ),
        (
            "url = \"${U:-https://hooks.slack.com/services/T/B/x}\"\n",
            "devloop.toml:5:7: notify.team.url: a webhook URL is a credential (anyone who has it can post to the channel), and a variable with a default still writes it in the file",
        ),
        (
            "url = \"${U}\"\nsecret = \"${S}\"\n",
            "devloop.toml:6:10: notify.team.secret signs the body for a receiver that checks it: only kind = \"webhook\" takes one",
        ),
        (
            "url = \"${U}\"\non = []\n",
            "devloop.toml:6:6: notify.team.on is empty",
        ),
        (
            "url = \"${PLAIN}\"\n",
            "devloop.toml:5:7: notify.team.url (the value of PLAIN) is plain HTTP to another machine",
        ),
    ];
    let vars = [
        ("U", "https://hooks.slack.com/services/T/B/tok"),
        ("S", "signing-secret"),
        ("PLAIN", "http://hooks.example.com/x"),
    ];
    for (tail, want) in cases {
        let e = load(&format!("{head}{tail}"), None, &vars).unwrap_err();
        assert!(e.message.starts_with(want), "{tail}: {}", e.message);
        assert!(e.location.is_some(), "{tail}: {e:?}");
        assert_eq!(e.kind, crate::error::ExitKind::Usage);
        // The credential is never repeated in the message or its detail.
        assert!(
            !format!("{} {:?}", e.message, e.detail).contains("literal"),
            "{e:?}"
        );
    }
}
