//! Each test's output, kept (up to a limit) for the JUnit report.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Lines of output kept per test for the JUnit report and failure messages.
const KEPT_LINES: usize = 2000;

/// Each test's output (by test name), kept for the JUnit report.
#[derive(Debug, Clone, Default)]
pub struct Transcripts(Arc<Mutex<BTreeMap<String, Vec<String>>>>);

impl Transcripts {
    pub(super) fn push(&self, test: &str, line: &str) {
        if let Ok(mut out) = self.0.lock() {
            let lines = out.entry(test.to_string()).or_default();
            if lines.len() < KEPT_LINES {
                lines.push(line.to_string());
            }
        }
    }
    /// What `test` printed (empty when it printed nothing or did not run).
    pub fn lines(&self, test: &str) -> Vec<String> {
        self.0
            .lock()
            .ok()
            .and_then(|o| o.get(test).cloned())
            .unwrap_or_default()
    }
}
