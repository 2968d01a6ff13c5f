//! What a step is: a name, its dependencies, a description for `plan`, and the work itself.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use std::sync::Arc;

use super::Events;

/// What a step would do, for `devloop plan`: a one-line action and structured details.
#[derive(Debug, Clone, Serialize)]
pub struct StepPlan {
    pub action: String,
    pub details: serde_json::Value,
}

/// A step's typed result (what was built, released, deployed), made JSON only by the printer.
pub trait StepOutput: std::fmt::Debug + Send + Sync + 'static {
    /// The result as `--output json` shows it.
    fn to_json(&self) -> serde_json::Value;
    /// The result itself, for a caller that knows its type.
    fn as_any(&self) -> &dyn std::any::Any;
}

impl<T: Serialize + std::fmt::Debug + Send + Sync + 'static> StepOutput for T {
    fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A successful end: the work was done, or there was nothing to do (with the reason), plus the
/// step's typed result (image, tags, release id, deployed target…).
#[derive(Debug, Clone)]
pub struct Done {
    pub skipped: bool,
    pub message: String,
    pub result: Option<Arc<dyn StepOutput>>,
}

impl Done {
    pub fn new(message: impl Into<String>) -> Done {
        Done {
            skipped: false,
            message: message.into(),
            // An empty object, so every `step_finished` carries a `result` object.
            result: Some(Arc::new(serde_json::Value::Object(Default::default()))),
        }
    }
    pub fn skipped(message: impl Into<String>) -> Done {
        Done {
            skipped: true,
            ..Done::new(message)
        }
    }
    pub fn with_result(mut self, result: impl StepOutput) -> Done {
        self.result = Some(Arc::new(result));
        self
    }
}

/// How a step ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Done(String),
    Skipped(String),
    Failed(Error),
    /// Never started: a dependency failed, or the run was interrupted first.
    NotRun(String),
}

impl Outcome {
    /// How a step that returned `result` ended, and its typed result (a failure's JSON result
    /// when it has one).
    pub fn of(result: Result<Done>) -> (Outcome, Option<Arc<dyn StepOutput>>) {
        match result {
            Ok(d) if d.skipped => (Outcome::Skipped(d.message), d.result),
            Ok(d) => (Outcome::Done(d.message), d.result),
            Err(mut e) => {
                let result = e.result.take().map(|r| Arc::new(*r) as Arc<dyn StepOutput>);
                (Outcome::Failed(e), result)
            }
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Done(_) => "done",
            Outcome::Skipped(_) => "skipped",
            Outcome::Failed(_) => "failed",
            Outcome::NotRun(_) => "not run",
        }
    }
    pub fn message(&self) -> String {
        match self {
            Outcome::Done(m) | Outcome::Skipped(m) | Outcome::NotRun(m) => m.clone(),
            Outcome::Failed(e) => e.message.clone(),
        }
    }
    /// Dependents may run after this outcome.
    pub fn satisfies(&self) -> bool {
        matches!(self, Outcome::Done(_) | Outcome::Skipped(_))
    }
}

pub type StepFuture = Pin<Box<dyn Future<Output = Result<Done>> + Send>>;
type StepFn = Box<dyn FnOnce(StepCtx) -> StepFuture + Send>;

/// What a running step gets: its name, where its events go, and the cancellation signal it must
/// honour.
#[derive(Clone)]
pub struct StepCtx {
    pub name: String,
    pub events: Arc<dyn Events>,
    pub cancel: CancellationToken,
}

impl StepCtx {
    /// A transient status line (spinner text on a terminal, a plain line in CI).
    pub fn progress(&self, message: impl Into<String>) {
        self.events.progress(&self.name, &message.into());
    }
    /// A line of output from the work (build output, test output).
    pub fn log(&self, line: impl Into<String>) {
        self.events.log(&self.name, &line.into());
    }
    /// Something the user should act on, though the step goes on (a warning line; JSON `warning`).
    pub fn warn(&self, message: impl Into<String>) {
        self.events.step_warn(&self.name, &message.into());
    }
    /// A line of output that also says where the work is (a Dockerfile step): shown once.
    pub fn log_status(&self, line: impl Into<String>) {
        self.events.log_status(&self.name, &line.into());
    }
    /// A warning about the run, not this step (said once per run with `once`).
    pub fn warn_run(&self, message: impl Into<String>, once: bool) {
        let message = message.into();
        if once {
            self.events.warn_once(&message)
        } else {
            self.events.warn(&message)
        }
    }
    /// Values found while working that must never be shown (a registry password, a token).
    pub fn add_secrets<I: IntoIterator<Item = String>>(&self, secrets: I) {
        self.events.add_secrets(secrets.into_iter().collect());
    }
    /// Fails with "interrupted" once the run is cancelled; steps call this between units of work.
    pub fn check_cancelled(&self) -> Result<()> {
        if self.cancel.is_cancelled() {
            Err(Error::interrupted())
        } else {
            Ok(())
        }
    }
}

pub struct Step {
    pub name: String,
    pub needs: Vec<String>,
    pub timeout: Option<Duration>,
    /// When this step fails, the steps still running are stopped and no other starts (builds:
    /// the first failure ends the others cleanly).
    pub fail_fast: bool,
    pub plan: StepPlan,
    pub(super) run: StepFn,
}

impl Step {
    pub fn new<F, Fut>(name: impl Into<String>, plan: StepPlan, run: F) -> Self
    where
        F: FnOnce(StepCtx) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Done>> + Send + 'static,
    {
        Step {
            name: name.into(),
            needs: Vec::new(),
            timeout: None,
            fail_fast: false,
            plan,
            run: Box::new(move |ctx| Box::pin(run(ctx))),
        }
    }
    pub fn needs(mut self, needs: impl IntoIterator<Item = String>) -> Self {
        self.needs.extend(needs);
        self
    }
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }
    /// Stop the others when this step fails.
    pub fn fail_fast(mut self) -> Self {
        self.fail_fast = true;
        self
    }
}
