//! A finished step: its one line (mark, outcome, time, message), and under a failure its causes,
//! detail, last lines of output and hint.

use std::time::Duration;

use super::lines::{eprint_line, paint};
use super::{github, Running, TextRenderer};
use crate::engine::Outcome;
use crate::error::Error;
use crate::output::{Mask, Options, SILENT};

impl TextRenderer {
    pub fn step_finished(
        &mut self,
        step: &str,
        outcome: &Outcome,
        d: Duration,
        mask: &Mask,
        o: &Options,
    ) {
        let r = self.running.remove(step);
        if let Some(bar) = r.as_ref().and_then(|r| r.bar.as_ref()) {
            bar.finish_and_clear();
            if let Some(m) = &self.multi {
                m.remove(bar);
            }
        }
        if let (Some(r), true) = (&r, o.github) {
            github::group(step, &r.group, r.group_dropped);
        }
        let failed = matches!(outcome, Outcome::Failed(_));
        if (o.verbosity < 0 && !failed) || o.verbosity == SILENT {
            return;
        }
        self.outcome_line(step, outcome, r.is_some().then_some(d), mask, o);
        if let Outcome::Failed(e) = outcome {
            self.failure(step, e, r.as_ref(), mask, o);
        }
    }

    /// `✓ build done (2.1s): …` on a terminal; a plain line otherwise. `d` is the time it took,
    /// when it ran.
    fn outcome_line(
        &self,
        step: &str,
        outcome: &Outcome,
        d: Option<Duration>,
        mask: &Mask,
        o: &Options,
    ) {
        let (mark, color) = match outcome {
            Outcome::Done(_) => ("✓", "32"),
            Outcome::Skipped(_) => ("↷", "33"),
            Outcome::Failed(_) => ("✗", "31"),
            Outcome::NotRun(_) => ("·", "2"),
        };
        let msg = mask.apply(&outcome.message());
        if self.multi.is_none() {
            let said = if msg.is_empty() {
                String::new()
            } else {
                format!(": {msg}")
            };
            self.plain(o, step, &format!("{}{said}", outcome.label()));
            return;
        }
        let timing = d
            .map(|d| format!(" ({})", crate::units::short_duration(d)))
            .unwrap_or_default();
        let head = format!(
            "{} {}{timing}",
            paint(o, color, &format!("{mark} {step}")),
            outcome.label()
        );
        if msg.is_empty() {
            self.println(&head);
        } else {
            self.println(&format!("{head}: {msg}"));
        }
    }

    /// Under a failed step: its causes (`-v`), detail, the last lines of its output when none
    /// were shown, its hint, and its annotation on GitHub.
    fn failure(&self, step: &str, e: &Error, r: Option<&Running>, mask: &Mask, o: &Options) {
        if o.verbosity >= 1 {
            for c in e.causes() {
                self.println(&format!("    caused by: {}", mask.apply(&c)));
            }
        }
        for l in &e.detail {
            self.println(&format!("    {}", mask.apply(l)));
        }
        if let Some(r) = r {
            if !r.logs_shown && e.detail.is_empty() && !r.tail.is_empty() && !o.github {
                self.println(&paint(
                    o,
                    "2",
                    &format!("    last {} lines of output:", r.tail.len()),
                ));
                for l in &r.tail {
                    self.println(&format!("    {l}"));
                }
            }
        }
        if let Some(h) = &e.hint {
            self.println(&format!(
                "    {} {}",
                paint(o, "36", "hint:"),
                mask.apply(h)
            ));
        }
        if o.github {
            eprint_line(&github::step_error(step, e, mask));
        }
    }
}
