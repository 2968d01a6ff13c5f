//! The summary table after a run: each step's outcome, time and first line, then the verdict.

use super::lines::{eprint_line, paint};
use super::TextRenderer;
use crate::engine::{Outcome, Report};
use crate::output::{Mask, Options};

impl TextRenderer {
    pub fn summary(&mut self, report: &Report, mask: &Mask, o: &Options) {
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
        let code = report.status().code();
        if o.verbosity >= 0 && !report.results.is_empty() {
            for line in self.table(report, mask, o) {
                eprint_line(&line);
            }
        }
        let verdict = match (report.interrupted, code) {
            (true, _) => paint(o, "33", "interrupted"),
            (false, 0) => paint(o, "32", "ok"),
            (false, c) => paint(o, "31", &format!("failed (exit {c})")),
        };
        eprint_line(&format!(
            "{verdict} in {}",
            crate::units::short_duration(report.duration)
        ));
    }

    /// The table's lines, after a blank one.
    fn table(&self, report: &Report, mask: &Mask, o: &Options) -> Vec<String> {
        let width = report
            .results
            .iter()
            .map(|r| r.name.chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        let mut out = vec![
            String::new(),
            paint(
                o,
                "1",
                &format!(
                    "  {:<width$}  {:<8} {:>7}  detail",
                    "step", "outcome", "time"
                ),
            ),
        ];
        for r in &report.results {
            let color = match r.outcome {
                Outcome::Done(_) => "32",
                Outcome::Skipped(_) => "33",
                Outcome::Failed(_) => "31",
                Outcome::NotRun(_) => "2",
            };
            let time = if matches!(r.outcome, Outcome::NotRun(_)) {
                "-".to_string()
            } else {
                crate::units::short_duration(r.duration)
            };
            let mut msg = mask
                .apply(&r.outcome.message())
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            // On a terminal the table fits the width; the full messages are in the lines above.
            if self.multi.is_some() {
                let (_, cols) = console::Term::stderr().size();
                let room = (cols as usize).saturating_sub(width + 22).max(20);
                msg = console::truncate_str(&msg, room, "…").into_owned();
            }
            out.push(format!(
                "  {:<width$}  {} {:>7}  {msg}",
                r.name,
                paint(o, color, &format!("{:<8}", r.outcome.label())),
                time
            ));
        }
        out
    }
}
