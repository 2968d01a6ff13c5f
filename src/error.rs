//! Typed errors and the exit-code contract.
//!
//! Every failure inside devloop is an [`Error`] carrying an [`ExitKind`]; the kind alone decides the
//! process exit code, so the table in the README and `--help` is enforced in one place.

use std::fmt;

/// What kind of failure happened, which is what a CI script branches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitKind {
    /// A step failed: build error, failing test, push refused.
    StepFailed,
    /// Usage or configuration error; nothing was changed.
    Usage,
    /// The deploy failed and the target is back on the previous release.
    RolledBack,
    /// The deploy did not settle within its timeout.
    Timeout,
    /// A service (Docker daemon, registry, AWS) is unreachable or refused us.
    Unreachable,
    /// Interrupted by Ctrl-C or SIGTERM.
    Interrupted,
}

impl ExitKind {
    /// The process exit code for this kind, as documented in the README.
    pub fn code(self) -> i32 {
        match self {
            ExitKind::StepFailed => 1,
            ExitKind::Usage => 2,
            ExitKind::RolledBack => 3,
            ExitKind::Timeout => 4,
            ExitKind::Unreachable => 5,
            ExitKind::Interrupted => 130,
        }
    }
}

/// How a command ended: the one value that becomes the process exit code, through [`ExitKind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    /// The command ran and its answer is a failure of this kind (a failed step, a rollback, an
    /// unhealthy target for `monitor --check`, changes for `plan --exit-code`).
    Failure(ExitKind),
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure(kind) => kind.code(),
        }
    }
    /// Success, or a failed check (exit 1).
    pub fn check(passed: bool) -> ExitStatus {
        if passed {
            ExitStatus::Success
        } else {
            ExitStatus::Failure(ExitKind::StepFailed)
        }
    }
}

/// A failure with a user-facing message, optional hint, and the kind that sets the exit code.
#[derive(Debug, Clone)]
pub struct Error {
    pub kind: ExitKind,
    pub message: String,
    /// What the user can do about it, printed after the message.
    pub hint: Option<String>,
    /// Supporting lines (for example the last lines of a failing build), printed below the message.
    pub detail: Vec<String>,
    /// A failed step's structured result (what was deployed, the verdict), for JSON output.
    pub result: Option<Box<serde_json::Value>>,
    /// A read that may well succeed if asked again (throttled, a server error, a timeout): inside
    /// a watch it is no news, never a verdict.
    pub transient: bool,
    /// The place in a file the error is about (a config error), for CI annotations. Boxed, so
    /// `Result<T, Error>` stays small.
    pub location: Option<Box<Location>>,
    /// What caused it (an I/O error, the daemon's answer, an SDK error), kept whole: its text ends
    /// the one-line message, and `-v` shows it and its own causes as "caused by:" lines.
    pub source: Option<Cause>,
}

/// A failure's cause, shared so an [`Error`] stays cheap to clone.
pub type Cause = std::sync::Arc<dyn std::error::Error + Send + Sync>;

/// A file, and a line and column in it (1-based) when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: Option<usize>,
    pub col: Option<usize>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ExitKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hint: None,
            detail: Vec::new(),
            result: None,
            transient: false,
            location: None,
            source: None,
        }
    }
    /// `what` failed because of `cause`. The message reads "what: cause", as a person expects on
    /// one line; the cause is kept as [`std::error::Error::source`].
    pub fn because(
        kind: ExitKind,
        what: impl fmt::Display,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::new(kind, format!("{what}: {cause}")).caused_by(cause)
    }
    /// A usage error (exit 2) caused by `cause`: "what: cause".
    pub fn usage_because(
        what: impl fmt::Display,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::because(ExitKind::Usage, what, cause)
    }
    /// A failed step (exit 1) caused by `cause`: "what: cause".
    pub fn failed_because(
        what: impl fmt::Display,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::because(ExitKind::StepFailed, what, cause)
    }
    /// An unreachable service (exit 5) caused by `cause`: "what: cause".
    pub fn unreachable_because(
        what: impl fmt::Display,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::because(ExitKind::Unreachable, what, cause)
    }
    /// Keep `cause` as this error's source (its text is not added to the message).
    pub fn caused_by(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(std::sync::Arc::new(cause));
        self
    }
    /// The causes, outermost first, as `-v` shows them.
    pub fn causes(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut next: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(self);
        while let Some(e) = next {
            let text = e.to_string();
            // A cause that only repeats what is already said adds nothing.
            if out.last() != Some(&text) && text != self.message {
                out.push(text);
            }
            next = e.source();
        }
        out
    }
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ExitKind::Usage, message)
    }
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(ExitKind::StepFailed, message)
    }
    pub fn unreachable(message: impl Into<String>) -> Self {
        Self::new(ExitKind::Unreachable, message)
    }
    pub fn interrupted() -> Self {
        Self::new(ExitKind::Interrupted, "interrupted")
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub fn transient(mut self) -> Self {
        self.transient = true;
        self
    }
    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(Box::new(location));
        self
    }
    pub fn with_detail(mut self, detail: Vec<String>) -> Self {
        self.detail = detail;
        self
    }
    /// Prefix the message with what we were doing, keeping kind and hint.
    pub fn context(self, what: impl fmt::Display) -> Self {
        let mut outer = self.clone();
        outer.message = format!("{what}: {}", self.message);
        outer.source = Some(std::sync::Arc::new(self));
        outer
    }
    /// A capability that exists in the CLI but is delivered by later work: a usage error, never a fake success.
    pub fn not_available(what: &str) -> Self {
        Self::usage(format!(
            "{what} is not available yet in this version of devloop"
        ))
        .with_hint("run `devloop plan` to see what it would do; nothing was changed")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|c| c.as_ref() as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_ends_the_message_and_is_kept_with_its_own_causes() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied");
        let inner = Error::because(ExitKind::StepFailed, "cannot open the ledger", io);
        let outer = Error::because(ExitKind::StepFailed, "cannot release", inner);
        assert_eq!(
            outer.message,
            "cannot release: cannot open the ledger: permission denied"
        );
        assert_eq!(
            outer.causes(),
            [
                "cannot open the ledger: permission denied",
                "permission denied"
            ]
        );
    }
}
