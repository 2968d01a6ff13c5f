//! `[notify]` as a team meets it: local receivers stand in for Slack, Teams, Discord and a
//! webhook, and record what they get. A failing deploy tells the channels whose `on` matches (with
//! the reason) and no other; a channel that answers 500 or hangs is one warning and changes no exit
//! code; no URL token or signing secret appears anywhere; the webhook's signature verifies;
//! `monitor --check` tells only a change of verdict; `notify test` reaches every channel.

use std::time::{Duration, Instant};

use crate::support::webhook::{Answer, Received, Webhook};
use crate::support::*;

/// The secret part of every receiver's URL, and the signing secret: none may be seen anywhere.
const TOKENS: [&str; 4] = [
    "slackTOKEN0000aaaa",
    "teamsTOKEN1111bbbb",
    "discordTOKEN2222cc",
    "hookTOKEN3333dddd",
];
const SIGNING_SECRET: &str = "sign-me-4444-eeee-ffff";

/// One receiver per chat service, all answering `answer`.
struct Receivers {
    slack: Webhook,
    teams: Webhook,
    discord: Webhook,
    hook: Webhook,
}

impl Receivers {
    fn start(answer: Answer) -> Receivers {
        Receivers {
            slack: Webhook::start(answer),
            teams: Webhook::start(answer),
            discord: Webhook::start(answer),
            hook: Webhook::start(answer),
        }
    }

    /// The variables the channels' URLs and secret come from, a CI actor and a CI run's page.
    fn env(&self, ctx: TestContext) -> TestContext {
        ctx.with_env("NT_SLACK", self.slack.url(TOKENS[0]))
            .with_env("NT_TEAMS", self.teams.url(TOKENS[1]))
            .with_env("NT_DISCORD", self.discord.url(TOKENS[2]))
            .with_env("NT_HOOK", self.hook.url(TOKENS[3]))
            .with_env("NT_HOOK_SECRET", SIGNING_SECRET)
            .with_env("GITLAB_USER_LOGIN", "alice")
            .with_env(
                "CI_JOB_URL",
                "https://gitlab.example.com/team/app/-/jobs/42",
            )
    }

    fn all(&self) -> Vec<Received> {
        [&self.slack, &self.teams, &self.discord, &self.hook]
            .iter()
            .flat_map(|w| w.received())
            .collect()
    }
}

/// Four channels, each told of the verdicts in `on` (slack, teams, discord, webhook).
fn channels(on: [&str; 4]) -> String {
    format!(
        r#"
[notify.team]
kind = "slack"
url = "${{NT_SLACK}}"
on = {}

[notify.managers]
kind = "teams"
url = "${{NT_TEAMS}}"
on = {}

[notify.ops]
kind = "discord"
url = "${{NT_DISCORD}}"
on = {}

[notify.audit]
kind = "webhook"
url = "${{NT_HOOK}}"
secret = "${{NT_HOOK_SECRET}}"
on = {}
"#,
        on[0], on[1], on[2], on[3]
    )
}

/// No token or signing secret in any body received nor in what devloop printed.
#[track_caller]
fn no_secret_in(received: &[Received], printed: &str) {
    for secret in TOKENS.iter().chain([&SIGNING_SECRET]) {
        assert!(!printed.contains(secret), "{secret} printed:\n{printed}");
        for r in received {
            assert!(!r.body.contains(secret), "{secret} sent in {}", r.body);
        }
    }
}

/// HMAC-SHA256 as RFC 2104 defines it, written here apart from devloop's (which uses ring).
fn hmac_sha256(key: &[u8], message: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |b: u8| k.iter().map(|x| x ^ b).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

fn pretty(r: &Received) -> String {
    serde_json::to_string_pretty(&r.json()).unwrap()
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_failing_deploy_tells_the_channels_that_asked_with_the_reason_and_no_other() {
    let rx = Receivers::start(Answer::Status(200));
    let ctx = rx.env(TestContext::hello("dl-notify"));
    let toml = ctx.read("devloop.toml")
        + &channels([
            r#"["failure"]"#,
            r#"["timed_out"]"#,
            r#"["rolled_back"]"#,
            r#"["success"]"#,
        ]);
    ctx.write("devloop.toml", toml);
    ctx.commit("notify");
    let plan = ctx.run(["plan", "deploy"]);
    assert!(
        plan.stdout.contains("notify: audit (webhook) on success; managers (teams) on timed_out; ops (discord) on rolled_back; team (slack) on failure\n"),
        "{}",
        plan.all()
    );

    // A ship that works: only the channel on "success" hears of it, signed.
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("notified: audit"), "{}", r.stderr);
    let good = crate::deploy::wait_healthy(&ctx)["release"]
        .as_str()
        .unwrap()
        .to_string();
    let audit = rx.hook.received();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(rx.all().len(), 1);
    let signature = audit[0].headers.get("x-devloop-signature").expect("signed");
    assert_eq!(
        signature,
        &format!(
            "sha256={}",
            hmac_sha256(SIGNING_SECRET.as_bytes(), audit[0].body.as_bytes())
        )
    );
    assert_eq!(audit[0].headers["x-devloop-event"], "ship");
    let shipped = audit[0].json();
    assert_eq!(shipped["verdict"], "success");
    assert_eq!(shipped["exit_code"], 0);
    assert_eq!(shipped["release"], good.as_str());
    assert_eq!(shipped["commit"], ctx.head_sha().as_str());
    assert_eq!(shipped["actor"], "alice");
    assert_eq!(shipped["env"], "local");
    ctx.snapshot("notify_webhook_ship")
        .filter(r#""duration_ms": \d+"#, r#""duration_ms": [MS]"#)
        .assert(&pretty(&audit[0]));

    // A release whose health check fails: rolled back, exit 3.
    ctx.remove("www/healthz");
    ctx.commit("break health");
    assert_eq!(ctx.run(["release"]).code, 0);
    let r = ctx.run(["deploy", "--timeout", "20s"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let (slack, teams, discord) = (
        rx.slack.received(),
        rx.teams.received(),
        rx.discord.received(),
    );
    assert_eq!(slack.len(), 1, "failure matches rolled_back");
    assert_eq!(discord.len(), 1, "rolled_back matches");
    assert!(teams.is_empty(), "timed_out does not: {teams:?}");
    assert_eq!(rx.hook.received().len(), 1, "success does not");
    for body in [&slack[0].body, &discord[0].body] {
        assert!(body.contains("never became healthy"), "{body}");
        assert!(body.contains("rolled back (exit 3)"), "{body}");
        assert!(
            body.contains("https://gitlab.example.com/team/app/-/jobs/42"),
            "{body}"
        );
    }
    assert!(r.stderr.contains("notified: ops, team"), "{}", r.stderr);
    no_secret_in(&rx.all(), &r.all());
    // Slack's fields hold "*Name*\nvalue": the value follows a letter, not a word boundary.
    let snapshot = |name: &str| {
        ctx.snapshot(name)
            .filter(
                r#"(Duration\*\\n|"value": ")(\d+ms|\d+\.\d+s|\d+m\d{2}s)""#,
                "${1}[DURATION]\"",
            )
            .filter(r"(Release\*\\n)\d{8}T\d{6}Z", "${1}[STAMP]")
            .filter(r"(Commit\*\\n)[0-9a-f]{12}", "${1}[ID]")
            .filter(r"failed \d+ times in a row", "failed [N] times in a row")
    };
    snapshot("notify_slack_rolled_back").assert(&pretty(&slack[0]));
    snapshot("notify_discord_rolled_back").assert(&pretty(&discord[0]));
}

#[test]
fn a_channel_that_answers_500_or_hangs_is_one_warning_and_changes_no_exit_code() {
    let failing = Webhook::start(Answer::Status(500));
    let hanging = Webhook::start(Answer::Hang);
    let fine = Webhook::start(Answer::Status(200));
    let base = "[app]\nname = \"ntfail\"\n[deploy]\ntarget = \"docker\"\n";
    let ctx = TestContext::new()
        .with_env("NT_500", failing.url(TOKENS[0]))
        .with_env("NT_HANG", hanging.url(TOKENS[1]))
        .with_env("NT_OK", fine.url(TOKENS[2]))
        .with_files(&[("devloop.toml", base)]);
    // The same failing deploy (nothing released yet) without channels, then with them.
    let without = ctx.run(["deploy"]);
    assert_eq!(without.code, 2, "{}", without.stderr);
    ctx.write(
        "devloop.toml",
        format!(
            "{base}{}",
            r#"
[notify.broken]
kind = "slack"
url = "${NT_500}"
[notify.slow]
kind = "teams"
url = "${NT_HANG}"
[notify.fine]
kind = "discord"
url = "${NT_OK}"
"#
        ),
    );
    ctx.commit("notify");
    let started = Instant::now();
    let with = ctx.run(["deploy"]);
    let took = started.elapsed();
    assert_eq!(with.code, without.code, "{}", with.stderr);
    eprintln!("a deploy with a 500 and a hanging channel took {took:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    let warnings: Vec<&str> = with
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 2, "{}", with.stderr);
    assert!(
        warnings.iter().any(|w| w.contains("broken (slack")
            && w.contains("500")
            && w.contains("(after 3 attempts)")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("slow (teams") && w.contains("no answer within 5s")),
        "{warnings:?}"
    );
    assert!(with.stderr.contains("notified: fine"), "{}", with.stderr);
    // Retried on 500 (three tries), the hanging one asked once, the fine one once.
    assert_eq!(failing.received().len(), 3);
    assert_eq!(hanging.received().len(), 1);
    assert_eq!(fine.received().len(), 1);
    let told = fine.received()[0].json();
    let text = told.to_string();
    assert!(text.contains("no release recorded yet"), "{text}");
    assert!(text.contains("exit 2"), "{text}");
    let all: Vec<Received> = [&failing, &hanging, &fine]
        .iter()
        .flat_map(|w| w.received())
        .collect();
    no_secret_in(&all, &with.all());
    // The URLs are named by their host only.
    assert!(with
        .stderr
        .contains(&format!("http://127.0.0.1:{}/***", failing.port)));
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn monitor_check_tells_a_change_of_verdict_once() {
    let rx = Receivers::start(Answer::Status(200));
    let ctx = rx.env(TestContext::hello("dl-notify-mon"));
    let toml = ctx.read("devloop.toml")
        + &channels([
            r#"["failure", "success"]"#,
            r#"["failure"]"#,
            r#"["rolled_back"]"#,
            r#"["failed", "success"]"#,
        ]);
    ctx.write("devloop.toml", toml);
    ctx.commit("notify");
    let monitor = |rx: &Receivers| -> Vec<Received> {
        rx.all()
            .into_iter()
            .filter(|r| r.headers["x-devloop-event"] == "monitor")
            .collect()
    };

    // Everything devloop printed, checked for secrets at the end.
    let mut printed = String::new();
    // Nothing deployed: the check fails, and the channels on failure hear it once.
    let r = ctx.run(["monitor", "--check"]);
    printed.push_str(&r.all());
    assert_eq!(r.code, 1, "{}", r.stderr);
    let told = monitor(&rx);
    assert_eq!(told.len(), 3, "slack, teams and the webhook: {told:?}");
    assert!(
        told.iter().all(|t| t.body.contains("is unhealthy")),
        "{told:?}"
    );
    let r = ctx.run(["monitor", "--check"]);
    printed.push_str(&r.all());
    assert_eq!(r.code, 1);
    assert_eq!(monitor(&rx).len(), 3, "the same verdict again is no news");
    assert!(!r.stderr.contains("notified"), "{}", r.stderr);

    // Deployed and healthy: the channels on success hear it once.
    assert_eq!(ctx.run(["ship"]).code, 0);
    crate::deploy::wait_healthy(&ctx);
    let r = ctx.run(["monitor", "--check"]);
    printed.push_str(&r.all());
    assert_eq!(r.code, 0, "{}", r.stdout);
    let told = monitor(&rx);
    assert_eq!(told.len(), 5, "slack and the webhook: {told:?}");
    let again = told.iter().filter(|t| t.body.contains("healthy again"));
    assert_eq!(again.count(), 2, "{told:?}");
    let hook = rx.hook.received();
    let last = hook.last().unwrap().json();
    assert_eq!(last["verdict"], "success");
    assert!(last["release"].as_str().is_some(), "{last}");
    let r = ctx.run(["monitor", "--check"]);
    printed.push_str(&r.all());
    assert_eq!(r.code, 0);
    assert_eq!(monitor(&rx).len(), 5);
    no_secret_in(&rx.all(), &printed);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[test]
fn a_check_while_the_target_is_still_starting_is_no_news() {
    let hook = Webhook::start(Answer::Status(200));
    let ctx = TestContext::new()
        .with_name("dl-notify-start")
        .with_aws_peer()
        .with_env("NT_HOOK", hook.url("hookTOKEN3333dddd"));
    let peer = ctx.aws_peer();
    let app = ctx.app().to_string();
    let toml = format!(
        "[app]\nname = \"{app}\"\n[aws]\nendpoint_url = \"{}\"\n[deploy]\ntarget = \"beanstalk\"\n[deploy.beanstalk]\napplication = \"web\"\nenvironment = \"web-prod\"\nhealth_grace = \"1s\"\n[notify.ops]\nkind = \"webhook\"\nurl = \"${{NT_HOOK}}\"\non = [\"failure\", \"success\"]\n",
        peer.url()
    );
    ctx.add_files(&[("devloop.toml", toml.as_str())]);
    let env = |extra: serde_json::Value| {
        let mut body = serde_json::json!({"application": "web", "environment": "web-prod"});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        peer.control("eb/environment", body);
    };
    env(
        serde_json::json!({"health": "Red", "health_status": "Severe",
        "causes": ["100.0 % of the requests are failing with HTTP 5xx."]}),
    );
    // Red past the health grace (1 s here) is a failure.
    std::thread::sleep(Duration::from_millis(1500));
    let r = ctx.run(["monitor", "--check"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(hook.received().len(), 1, "the failure is news");
    // An update under way: the check passes, and nothing is said of it.
    env(serde_json::json!({"status": "Updating", "health": "Grey", "health_status": "Info"}));
    let r = ctx.run(["monitor", "--check"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(hook.received().len(), 1, "starting is no news");
    env(serde_json::json!({}));
    let r = ctx.run(["monitor", "--check"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let got = hook.received();
    assert_eq!(got.len(), 2, "healthy again is news");
    assert_eq!(got[1].json()["verdict"], "success");
}

#[test]
fn notify_test_reaches_every_channel_and_says_how_each_went() {
    let rx = Receivers::start(Answer::Status(200));
    let ctx = rx
        .env(TestContext::new().with_name("dl-notify-test"))
        .with_env("NT_BROKEN", Webhook::start(Answer::Status(404)).url("gone"));
    let app = ctx.app().to_string();
    let base = format!("[app]\nname = \"{app}\"\ndefault_env = \"prod\"\n[deploy]\ntarget = \"docker\"\n[env.prod]\n[env.dev]\nnotify.managers.enabled = false\n");
    let toml = format!(
        "{base}{}",
        channels([
            r#"["failure"]"#,
            r#"["success"]"#,
            r#"["rolled_back"]"#,
            r#"["success"]"#,
        ])
    );
    ctx.add_files(&[("devloop.toml", toml.as_str())]);
    let r = ctx.run(["notify", "test", "-e", "prod"]);
    assert_eq!(r.code, 0, "{}", r.all());
    for (w, name) in [
        (&rx.slack, "slack"),
        (&rx.teams, "teams"),
        (&rx.discord, "discord"),
        (&rx.hook, "webhook"),
    ] {
        let got = w.received();
        assert_eq!(got.len(), 1, "{name}: {got:?}");
        assert_eq!(got[0].headers["x-devloop-event"], "test");
        ctx.snapshot(&format!("notify_test_{name}"))
            .assert(&pretty(&got[0]));
    }
    no_secret_in(&rx.all(), &r.all());
    ctx.snapshot("notify_test_report")
        .filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]")
        .assert(&r.stdout);

    // An environment that turns a channel off; a channel that answers 404 fails the test.
    let r = ctx.run(["notify", "test", "-e", "dev"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("off  managers"), "{}", r.stdout);
    assert_eq!(rx.teams.received().len(), 1);
    ctx.write(
        "devloop.toml",
        format!(
            "{}\n[notify.gone]\nkind = \"slack\"\nurl = \"${{NT_BROKEN}}\"\n",
            ctx.read("devloop.toml")
        ),
    );
    let r = ctx.run(["notify", "test", "-e", "prod"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stdout.contains("FAIL gone (slack, http://127.0.0.1:"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("404"), "{}", r.stdout);
    assert!(r.stdout.contains("4 of 5 channel(s)"), "{}", r.stdout);
}

#[cfg_attr(
    devloop_no_openssl,
    ignore = "no openssl CLI to make certificates: run scripts/services.sh"
)]
#[test]
fn https_receivers_are_reached_and_their_certificate_is_checked() {
    let certs = tempfile::tempdir().unwrap();
    crate::support::tls::tls_certs(certs.path(), "dl-notify");
    let rx = Webhook::start_tls(Answer::Status(200), certs.path());
    let url = format!("https://localhost:{}/services/T1/B1/{}", rx.port, TOKENS[0]);
    let ctx = TestContext::new()
        .with_name("dl-notify-tls")
        .with_env("NT_SLACK", &url)
        .with_files(&[(
            "devloop.toml",
            "[app]\nname = \"ntls\"\n[notify.team]\nkind = \"slack\"\nurl = \"${NT_SLACK}\"\n",
        )]);
    // A certificate from a CA the system does not trust is refused: nothing is sent.
    let r = ctx.run(["notify", "test"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stdout.contains("TLS with localhost failed"),
        "{}",
        r.stdout
    );
    assert!(rx.received().is_empty());
    // Trusted (SSL_CERT_FILE, as the system's store is read): delivered over TLS.
    let r = ctx
        .devloop(["notify", "test"])
        .env("SSL_CERT_FILE", certs.path().join("ca.pem"))
        .run();
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(rx.received().len(), 1);
    assert_eq!(
        rx.received()[0].path,
        format!("/services/T1/B1/{}", TOKENS[0])
    );
    no_secret_in(&rx.received(), &r.all());
}
