//! The Elastic Beanstalk verdict, by state alone: an environment's Status, Health, HealthStatus
//! and VersionLabel (never the text of an event). The deploy gate, `monitor --check` and `plan`
//! all judge an environment here.

use std::time::Duration;

use aws_sdk_elasticbeanstalk::types::{ApplicationVersionDescription, EnvironmentDescription};

/// How healthy an environment says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Green, and Ok where enhanced health reports a status.
    Ok,
    /// Not healthy yet, not failing either: Yellow, Grey, Info, Pending, Warning, No Data, or a
    /// value devloop does not know (named in the text).
    Wait(String),
    /// Red, Degraded or Severe.
    Bad(String),
}

/// Where a rollout stands after one look at the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Ready, Green (Ok), on our version label.
    Done,
    /// Still changing (or not healthy yet); what it is doing.
    Changing(String),
    /// Ready on our version with bad health: a failure unless it recovers within the grace
    /// window that follows an update (health lags the status on Elastic Beanstalk).
    Unhealthy(String),
    /// Settled on our version and failing, or an ERROR/FATAL event for our request.
    Failed(String),
    /// Settled on the version it ran before ours: Elastic Beanstalk went back by itself.
    Reverted(String),
    /// Settled on a version that is neither ours nor the one before (another deploy).
    Superseded(String),
}

/// Where an application version's processing stands. The live API sends the statuses in upper
/// case (`PROCESSED`) while the service model, and so the SDK's enum, spells them `Processed`:
/// they are read here from the text, in any case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionState {
    /// PROCESSED, or UNPROCESSED (made without processing): usable.
    Usable,
    /// FAILED: the bundle was refused.
    Failed,
    /// PROCESSING or BUILDING.
    Working(String),
    /// No status at all, or a value devloop does not know (kept, so it can be named).
    Unknown(String),
}

pub fn version_state(v: &ApplicationVersionDescription) -> VersionState {
    let Some(raw) = v.status().map(|s| s.as_str().to_string()) else {
        return VersionState::Unknown("(no status)".into());
    };
    match raw.to_ascii_uppercase().as_str() {
        "PROCESSED" | "UNPROCESSED" => VersionState::Usable,
        "FAILED" => VersionState::Failed,
        "PROCESSING" | "BUILDING" => VersionState::Working(raw),
        _ => VersionState::Unknown(raw),
    }
}

/// The environment's Status, in any case, compared with one the API documents.
pub fn status_is(env: &EnvironmentDescription, status: &str) -> bool {
    env.status()
        .is_some_and(|s| s.as_str().eq_ignore_ascii_case(status))
}

/// An event severity that fails the request it belongs to (ERROR, FATAL), in any case.
pub fn severe(severity: &str) -> bool {
    severity.eq_ignore_ascii_case("ERROR") || severity.eq_ignore_ascii_case("FATAL")
}

/// "Updating, health Grey (Pending), version v2": how the environment describes itself.
pub fn describe(env: &EnvironmentDescription) -> String {
    format!(
        "{}, health {}{}, version {}",
        env.status().map(|s| s.as_str()).unwrap_or("?"),
        env.health().map(|h| h.as_str()).unwrap_or("?"),
        env.health_status()
            .map(|h| format!(" ({})", h.as_str()))
            .unwrap_or_default(),
        env.version_label().unwrap_or("(none)")
    )
}

/// The environment's health in one of three words, from Health and (enhanced) HealthStatus,
/// read in any case. A value the API does not document is never taken for good health.
pub fn health(env: &EnvironmentDescription) -> Health {
    let color = env.health().map(|h| h.as_str().to_ascii_lowercase());
    let status = env
        .health_status()
        .map(|s| s.as_str().to_ascii_lowercase().replace(' ', ""));
    let said = || {
        format!(
            "health {}{}",
            env.health().map(|h| h.as_str()).unwrap_or("unknown"),
            env.health_status()
                .map(|s| format!(" ({})", s.as_str()))
                .unwrap_or_default()
        )
    };
    let known_color = ["green", "yellow", "red", "grey"];
    let known_status = [
        "ok",
        "info",
        "warning",
        "degraded",
        "severe",
        "pending",
        "unknown",
        "nodata",
        "suspended",
    ];
    if color.as_deref() == Some("red") || matches!(status.as_deref(), Some("degraded" | "severe")) {
        return Health::Bad(said());
    }
    let unknown = color.as_deref().is_some_and(|c| !known_color.contains(&c))
        || status
            .as_deref()
            .is_some_and(|s| !known_status.contains(&s));
    if unknown {
        return Health::Wait(format!("{}, a value devloop does not know", said()));
    }
    let ok_status = status.as_deref().is_none_or(|s| s == "ok");
    if color.as_deref() == Some("green") && ok_status {
        Health::Ok
    } else {
        Health::Wait(said())
    }
}

/// Judge the environment after an update to `ours`. `previous` is the label it ran before;
/// `started` says a read has shown the update begun (the environment was seen changing, or its
/// DateUpdated moved), so a Ready environment is not a stale read from before the update.
/// Before that, nothing it shows is a verdict.
pub fn judge(
    env: &EnvironmentDescription,
    ours: &str,
    previous: Option<&str>,
    started: bool,
) -> Progress {
    let state = describe(env);
    if status_is(env, "Terminating") || status_is(env, "Terminated") {
        return Progress::Failed(format!("the environment is going away: {state}"));
    }
    if !status_is(env, "Ready") {
        return Progress::Changing(state);
    }
    if !started {
        return Progress::Changing(format!("waiting for the update to start: {state}"));
    }
    let label = env.version_label();
    if label != Some(ours) {
        let why = format!(
            "the environment settled on version {} instead of {ours} ({state})",
            label.unwrap_or("(none)")
        );
        if label.is_none() || label != previous {
            return Progress::Superseded(why);
        }
        // Back on the version it ran before: a rollback only once that version is healthy.
        return match health(env) {
            Health::Ok => Progress::Reverted(why),
            Health::Wait(_) => Progress::Changing(state),
            Health::Bad(h) => Progress::Failed(format!("{why}, and that version is {h}")),
        };
    }
    match health(env) {
        Health::Ok => Progress::Done,
        Health::Wait(_) => Progress::Changing(state),
        Health::Bad(why) => Progress::Unhealthy(format!("version {ours} is deployed but {why}")),
    }
}

/// How often Elastic Beanstalk is read while a rollout runs. DescribeEnvironments and
/// DescribeEvents allow about 2 calls a second per account and region, shared with every other
/// client, and each look makes two calls: a look every 2 s at first, up to every 10 s while nothing
/// changes, with jitter so runners started together spread out; after throttling, up to 30 s.
pub const POLL_MIN: Duration = Duration::from_secs(2);
pub const POLL_MAX: Duration = Duration::from_secs(10);
pub const POLL_THROTTLED_MAX: Duration = Duration::from_secs(30);

pub fn next_poll(current: Duration, changed: bool) -> Duration {
    if changed {
        POLL_MIN
    } else {
        (current * 3 / 2).min(POLL_MAX)
    }
}

/// The wait after a throttled or failed read: twice as long, at most `POLL_THROTTLED_MAX`.
pub fn backoff(current: Duration) -> Duration {
    (current * 2).clamp(POLL_MIN, POLL_THROTTLED_MAX)
}
