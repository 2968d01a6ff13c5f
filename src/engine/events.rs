//! What the engine and the steps it runs tell the user, as a trait: the printer implements it, so
//! the engine never names the printer and a test can listen in.

use super::runner::StepResult;

/// Everything a run reports while it runs. `output::Printer` is the implementation people see.
pub trait Events: Send + Sync {
    /// The run's steps, before the first starts.
    fn pipeline_started(&self, steps: &[&str]);
    fn step_started(&self, step: &str);
    /// A transient status line (spinner text on a terminal, a plain line in CI).
    fn progress(&self, step: &str, message: &str);
    /// A line of output from the work (build output, test output).
    fn log(&self, step: &str, line: &str);
    /// A log line that also says where the work is (a Dockerfile step).
    fn log_status(&self, step: &str, line: &str);
    /// Something about one step the user should act on, though it goes on.
    fn step_warn(&self, step: &str, message: &str);
    fn step_finished(&self, result: &StepResult);
    /// About once a second while steps run.
    fn tick(&self);
    /// A warning about the run as a whole.
    fn warn(&self, message: &str);
    /// A warning said once per run however often it is found.
    fn warn_once(&self, message: &str);
    /// Values that must never be shown (registry passwords, tokens) from here on.
    fn add_secrets(&self, secrets: Vec<String>);
}
