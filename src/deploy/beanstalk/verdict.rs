//! The Elastic Beanstalk verdict, by state alone: an environment's Status, Health, HealthStatus
//! and VersionLabel (never the text of an event). The deploy gate, `monitor --check` and `plan`
//! all judge an environment here.

use std::time::Duration;

use aws_sdk_elasticbeanstalk::types::{
    EnvironmentDescription, EnvironmentHealth, EnvironmentHealthStatus, EnvironmentStatus,
};

/// How healthy an environment says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Green, and Ok where enhanced health reports a status.
    Ok,
    /// Not healthy yet, not failing either: Yellow, Grey, Info, Pending, Warning, No Data.
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
    /// Settled on our version and failing, or an ERROR/FATAL event for our request.
    Failed(String),
    /// Settled on the version it ran before ours: Elastic Beanstalk went back by itself.
    Reverted(String),
    /// Settled on a version that is neither ours nor the one before (another deploy).
    Superseded(String),
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

/// The environment's health in one of three words, from Health and (enhanced) HealthStatus.
pub fn health(env: &EnvironmentDescription) -> Health {
    let color = env.health();
    let status = env.health_status();
    let said = || {
        format!(
            "health {}{}",
            color.map(|h| h.as_str()).unwrap_or("unknown"),
            status
                .map(|s| format!(" ({})", s.as_str()))
                .unwrap_or_default()
        )
    };
    let bad_status = matches!(
        status,
        Some(EnvironmentHealthStatus::Degraded | EnvironmentHealthStatus::Severe)
    );
    if color == Some(&EnvironmentHealth::Red) || bad_status {
        return Health::Bad(said());
    }
    let ok_status = status.is_none_or(|s| *s == EnvironmentHealthStatus::Ok);
    if color == Some(&EnvironmentHealth::Green) && ok_status {
        Health::Ok
    } else {
        Health::Wait(said())
    }
}

/// Judge the environment after an update to `ours`. `previous` is the label it ran before;
/// `started` says the update is known to have begun (UpdateEnvironment answered with a status
/// other than Ready, or the environment was seen changing), so a Ready environment on another
/// label has settled there rather than not started yet.
pub fn judge(
    env: &EnvironmentDescription,
    ours: &str,
    previous: Option<&str>,
    started: bool,
) -> Progress {
    let state = describe(env);
    match env.status() {
        Some(EnvironmentStatus::Ready) => {}
        Some(EnvironmentStatus::Terminating | EnvironmentStatus::Terminated) => {
            return Progress::Failed(format!("the environment is going away: {state}"))
        }
        _ => return Progress::Changing(state),
    }
    let label = env.version_label();
    if label != Some(ours) {
        if !started {
            return Progress::Changing(format!("waiting for the update to start: {state}"));
        }
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
        Health::Bad(why) => Progress::Failed(format!("version {ours} is deployed but {why}")),
    }
}

/// The first poll comes quickly; while nothing changes the interval grows to `POLL_MAX`.
pub const POLL_MIN: Duration = Duration::from_millis(250);
pub const POLL_MAX: Duration = Duration::from_secs(5);

pub fn next_poll(current: Duration, changed: bool) -> Duration {
    if changed {
        POLL_MIN
    } else {
        (current * 2).min(POLL_MAX)
    }
}
