//! Events a unit test listens to: the progress lines a step said, nothing printed. One listener
//! for the engine's own tests and for the steps' (a wait's progress lines).

use std::sync::Mutex;

use super::{Events, StepResult};

/// Every progress line said, in order.
#[derive(Default)]
pub struct Heard(pub Mutex<Vec<String>>);

impl Heard {
    pub fn progress_lines(&self) -> Vec<String> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Events for Heard {
    fn progress(&self, _step: &str, message: &str) {
        if let Ok(mut lines) = self.0.lock() {
            lines.push(message.to_string());
        }
    }
    fn pipeline_started(&self, _: &[&str]) {}
    fn step_started(&self, _: &str) {}
    fn log(&self, _: &str, _: &str) {}
    fn log_status(&self, _: &str, _: &str) {}
    fn step_warn(&self, _: &str, _: &str) {}
    fn step_finished(&self, _: &StepResult) {}
    fn tick(&self) {}
    fn warn(&self, _: &str) {}
    fn warn_once(&self, _: &str) {}
    fn add_secrets(&self, _: Vec<String>) {}
}
