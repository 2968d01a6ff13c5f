//! What a notification tells: one [`Event`] per command, from what the command printed (its
//! summary, its failure, its check lines), the config, git and the CI runner's variables.

use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::config::schema::On;
use crate::config::{Ambient, Config};
use crate::error::{ExitKind, ExitStatus};
use crate::output::Said;

/// The commands that notify (and `notify test`'s sample).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    Deploy,
    Rollback,
    Ship,
    Provision,
    Monitor,
    Test,
}

impl Command {
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Deploy => "deploy",
            Command::Rollback => "rollback",
            Command::Ship => "ship",
            Command::Provision => "provision",
            Command::Monitor => "monitor",
            Command::Test => "test",
        }
    }
}

/// What every channel is told; the generic webhook's body is this object as JSON (its fields are
/// a contract: documented in the README, only ever added to).
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// The payload's format version.
    pub version: u32,
    /// `deploy`, `rollback`, `ship`, `provision`, `monitor` or `test` (`notify test`'s sample).
    pub command: Command,
    pub app: String,
    pub env: String,
    /// The services of a set this run was about (empty for an app of one service).
    pub services: Vec<String>,
    /// The deploy target (`docker`, `swarm`, `ecs`, `beanstalk`), when known.
    pub target: Option<String>,
    /// The release deployed, rolled back to, or running (monitor).
    pub release: Option<String>,
    /// The git commit the release was built from.
    pub commit: Option<String>,
    /// `success`, `failed`, `rolled_back`, `timed_out` or `interrupted`.
    pub verdict: On,
    pub exit_code: i32,
    pub duration_ms: u64,
    /// The CI actor, else git's user.name, else the login name.
    pub actor: Option<String>,
    /// The CI run's page, when a runner says where it is.
    pub run_url: Option<String>,
    /// Why it failed, as devloop printed it (`None` on success).
    pub reason: Option<String>,
    /// The whole outcome in one line, as the chat messages' title has it.
    pub summary: String,
    /// When it was sent (RFC 3339, UTC): a receiver may refuse old deliveries.
    pub sent_at: String,
}

/// The verdict an exit status is.
pub fn verdict_of(status: ExitStatus) -> On {
    match status {
        ExitStatus::Success => On::Success,
        ExitStatus::Failure(kind) => match kind {
            ExitKind::StepFailed | ExitKind::Usage | ExitKind::Unreachable => On::Failed,
            ExitKind::RolledBack => On::RolledBack,
            ExitKind::Timeout => On::TimedOut,
            ExitKind::Interrupted => On::Interrupted,
        },
    }
}

/// What the run was, besides what it printed.
pub struct Run<'a> {
    pub command: Command,
    pub config: &'a Config,
    pub ambient: &'a Ambient,
    pub status: ExitStatus,
    /// The error the command ended with, when it ended with one.
    pub error: Option<&'a str>,
    pub duration: Duration,
    /// `-s`: the services asked for.
    pub services: &'a [String],
}

impl Event {
    /// The event of a finished command, from what it said.
    pub fn of(run: &Run<'_>, said: &Said) -> Event {
        let config = run.config;
        let mut e = Event::about(run.command, config, run.ambient, run.services);
        e.verdict = verdict_of(run.status);
        e.exit_code = run.status.code();
        e.duration_ms = run.duration.as_millis() as u64;
        let results = results(said);
        e.release = results
            .iter()
            .find(|r| r.get("verdict").is_some())
            .or_else(|| results.first())
            .and_then(|r| r["release"].as_str())
            .map(str::to_string)
            .or_else(|| running_release(said));
        e.commit = e.release.as_deref().and_then(|id| commit_of(config, id));
        if let Some(target) = results.iter().find_map(|r| r["target"].as_str()) {
            e.target = Some(target.to_string());
        }
        e.reason = match e.verdict {
            On::Success => None,
            _ => run
                .error
                .map(str::to_string)
                .or_else(|| said.failure.clone())
                .or_else(|| (!said.checks.is_empty()).then(|| said.checks.join("\n"))),
        };
        e.summary = e.headline();
        e
    }

    /// `notify test`'s sample: this project and environment, said to be a test.
    pub fn sample(config: &Config, ambient: &Ambient) -> Event {
        let mut e = Event::about(Command::Test, config, ambient, &[]);
        e.summary = e.headline();
        e
    }

    /// An event of `command` on this project: who, where and when, a success until told otherwise.
    fn about(command: Command, config: &Config, ambient: &Ambient, asked: &[String]) -> Event {
        // The built services of a set (those `-s` asked for); none for an app of one service.
        let services = match config.multi {
            true => config
                .services
                .iter()
                .filter(|s| !s.is_dependency())
                .map(|s| s.name.clone())
                .filter(|n| asked.is_empty() || asked.contains(n))
                .collect(),
            false => Vec::new(),
        };
        Event {
            version: 1,
            command,
            app: config.app().to_string(),
            env: config.env_name().to_string(),
            services,
            target: config.target().map(|t| t.as_str().to_string()),
            release: None,
            commit: None,
            verdict: On::Success,
            exit_code: 0,
            duration_ms: 0,
            actor: actor(config, ambient),
            run_url: ambient.ci_run_url(),
            reason: None,
            summary: String::new(),
            sent_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        }
    }

    /// The outcome in one line: `hello: deploy to prod rolled back (exit 3)`.
    pub fn headline(&self) -> String {
        let (app, env) = (&self.app, &self.env);
        let release = self
            .release
            .as_deref()
            .map(|r| format!(" {r}"))
            .unwrap_or_default();
        let failed = match self.verdict {
            On::Success | On::Failure => "",
            On::Failed => "failed",
            On::RolledBack => "failed and was rolled back",
            On::TimedOut => "timed out",
            On::Interrupted => "was interrupted",
        };
        let what = match (self.command, self.verdict) {
            (Command::Test, _) => {
                format!("test notification from devloop for {env}: this channel is set up")
            }
            (Command::Monitor, On::Success) => format!("{env} is healthy again"),
            (Command::Monitor, _) => format!("{env} is unhealthy"),
            (Command::Deploy, On::Success) => format!("deployed{release} to {env}"),
            (Command::Ship, On::Success) => format!("shipped{release} to {env}"),
            (Command::Rollback, On::Success) => format!("rolled {env} back to{release}"),
            (Command::Provision, On::Success) => format!("provisioned {env}"),
            (c, _) => format!("{} to {env} {failed}", c.as_str()),
        };
        match self.verdict {
            On::Success => format!("{app}: {what}"),
            _ => format!("{app}: {what} (exit {})", self.exit_code),
        }
    }

    /// The same event with every text passed through `mask`.
    pub fn masked(&self, mask: &dyn Fn(&str) -> String) -> Event {
        let m = |o: &Option<String>| o.as_deref().map(mask);
        Event {
            app: mask(&self.app),
            env: mask(&self.env),
            services: self.services.iter().map(|s| mask(s)).collect(),
            target: m(&self.target),
            release: m(&self.release),
            commit: m(&self.commit),
            actor: m(&self.actor),
            run_url: m(&self.run_url),
            reason: m(&self.reason),
            summary: mask(&self.summary),
            ..self.clone()
        }
    }
}

/// Each step's result object in the run's summary.
fn results(said: &Said) -> Vec<serde_json::Value> {
    said.summary
        .as_ref()
        .and_then(|s| s["steps"].as_array())
        .map(|steps| {
            steps
                .iter()
                .map(|s| s["result"].clone())
                .filter(|r| r.is_object())
                .collect()
        })
        .unwrap_or_default()
}

/// The release `monitor` found running (one service, or the first of a set that has one).
fn running_release(said: &Said) -> Option<String> {
    let doc = said.document.as_ref()?;
    if let Some(r) = doc["release"].as_str() {
        return Some(r.to_string());
    }
    doc["services"]
        .as_array()?
        .iter()
        .find_map(|s| s["release"].as_str())
        .map(str::to_string)
}

/// The commit of a release, from its record in the local ledger.
fn commit_of(config: &Config, id: &str) -> Option<String> {
    if id.contains(['/', '\\']) || id.starts_with('.') {
        return None;
    }
    let path = config
        .root
        .join(".devloop")
        .join("releases")
        .join(format!("{id}.json"));
    let text = std::fs::read_to_string(path).ok()?;
    let record: crate::release::Record = serde_json::from_str(&text).ok()?;
    record.git.map(|g| g.sha)
}

/// Who ran it: the CI actor, else git's user.name, else the login name.
fn actor(config: &Config, ambient: &Ambient) -> Option<String> {
    ambient
        .ci_actor()
        .or_else(|| crate::git::user_name(&config.root))
        .or_else(|| ambient.login())
}
