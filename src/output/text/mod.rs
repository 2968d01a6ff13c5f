//! Human-readable rendering: live progress on a terminal, plain timestamped lines otherwise; a
//! finished step ([`finished`]), the summary table ([`table`]) and GitHub's workflow commands
//! ([`github`]) have modules of their own.
//!
//! Progress and logs go to stderr; a command's result document goes to stdout, so
//! `devloop plan > plan.txt` captures the plan and nothing else.

mod finished;
mod github;
mod lines;
mod table;

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Mask, Options};
use crate::error::Error;
use lines::{eprint_line, paint};

pub use lines::rfc3339_now;

/// Lines of a step's output kept to show when it fails.
const TAIL_LINES: usize = 25;
/// Plain output says something about a running step at least this often.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// GitHub groups hold at most this many lines per step; the rest is counted, not kept.
const GROUP_LINES: usize = 5000;

struct Running {
    started: Instant,
    last_output: Instant,
    last_progress: String,
    bar: Option<ProgressBar>,
    tail: VecDeque<String>,
    group: Vec<String>,
    group_dropped: usize,
    logs_shown: bool,
}

pub struct TextRenderer {
    multi: Option<MultiProgress>,
    running: BTreeMap<String, Running>,
}

impl TextRenderer {
    pub fn new(opts: &Options) -> Self {
        TextRenderer {
            multi: opts
                .live
                .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10))),
            running: BTreeMap::new(),
        }
    }

    fn println(&self, line: &str) {
        match &self.multi {
            Some(m) => {
                let _ = m.println(line);
            }
            None => eprint_line(line),
        }
    }

    /// A plain line with a timestamp and the step name.
    fn plain(&self, o: &Options, step: &str, text: &str) {
        let ts = paint(o, "2", &crate::units::clock());
        self.println(&format!("{ts} {} {text}", paint(o, "1", step)));
    }

    pub fn pipeline_started(&mut self, _steps: &[&str], _o: &Options) {}

    pub fn step_started(&mut self, step: &str, o: &Options) {
        let bar = self.multi.as_ref().map(|m| {
            let bar = m.add(ProgressBar::new_spinner());
            let style = ProgressStyle::with_template(
                "{spinner:.cyan} {prefix:.bold} {wide_msg:.dim} {elapsed:>4}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar.set_prefix(step.to_string());
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        if bar.is_none() && o.verbosity >= 0 {
            self.plain(o, step, "started");
        }
        let now = Instant::now();
        self.running.insert(
            step.to_string(),
            Running {
                started: now,
                last_output: now,
                last_progress: String::new(),
                bar,
                tail: VecDeque::new(),
                group: Vec::new(),
                group_dropped: 0,
                logs_shown: false,
            },
        );
    }

    pub fn progress(&mut self, step: &str, message: &str, o: &Options) {
        let Some(r) = self.running.get_mut(step) else {
            return;
        };
        if let Some(bar) = &r.bar {
            bar.set_message(message.to_string());
            return;
        }
        if r.last_progress == message || o.verbosity < 0 {
            return;
        }
        r.last_progress = message.to_string();
        r.last_output = Instant::now();
        self.plain(o, step, message);
    }

    /// Spinner text only; plain output shows the line through `log`.
    pub fn set_status(&mut self, step: &str, message: &str) {
        if let Some(bar) = self.running.get(step).and_then(|r| r.bar.as_ref()) {
            bar.set_message(message.to_string());
        }
    }

    pub fn log(&mut self, step: &str, line: &str, o: &Options) {
        let live = self.multi.is_some();
        let Some(r) = self.running.get_mut(step) else {
            return;
        };
        r.tail.push_back(line.to_string());
        if r.tail.len() > TAIL_LINES {
            r.tail.pop_front();
        }
        r.last_output = Instant::now();
        if o.github {
            if r.group.len() < GROUP_LINES {
                r.group.push(line.to_string());
            } else {
                r.group_dropped += 1;
            }
            return;
        }
        let show = if live {
            o.verbosity > 0
        } else {
            o.verbosity >= 0
        };
        if show {
            r.logs_shown = true;
            let prefix = paint(o, "2", &format!("{step} |"));
            self.println(&format!("  {prefix} {line}"));
        }
    }

    pub fn tick(&mut self, o: &Options) {
        if self.multi.is_some() || o.verbosity < 0 {
            return;
        }
        let now = Instant::now();
        let due: Vec<(String, Duration)> = self
            .running
            .iter_mut()
            .filter(|(_, r)| now.duration_since(r.last_output) >= HEARTBEAT)
            .map(|(name, r)| {
                r.last_output = now;
                (name.clone(), now.duration_since(r.started))
            })
            .collect();
        for (name, elapsed) in due {
            self.plain(
                o,
                &name,
                &format!("still running ({})", crate::units::short_duration(elapsed)),
            );
        }
    }

    pub fn error(&mut self, err: &Error, mask: &Mask, o: &Options) {
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
        eprint_line(&format!(
            "{} {}",
            paint(o, "1;31", "error:"),
            mask.apply(&err.message)
        ));
        if o.verbosity >= 1 {
            for c in err.causes() {
                eprint_line(&format!("  caused by: {}", mask.apply(&c)));
            }
        }
        for l in &err.detail {
            eprint_line(&mask.apply(l));
        }
        if let Some(h) = &err.hint {
            eprint_line(&format!("{} {}", paint(o, "36", "hint:"), mask.apply(h)));
        }
        if o.github {
            eprint_line(&github::github_error(err, mask));
        }
    }

    pub fn warn(&mut self, message: &str, o: &Options) {
        if o.verbosity == super::SILENT {
            return;
        }
        self.println(&format!("{} {message}", paint(o, "1;33", "warning:")));
        if o.github {
            eprint_line(&format!(
                "::warning title=devloop::{}",
                github::gh_escape(message)
            ));
        }
    }

    pub fn info(&mut self, message: &str, o: &Options) {
        if o.verbosity >= 0 {
            self.println(message);
        }
    }

    pub fn stdout(&mut self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = out.write_all(b"\n");
        }
        let _ = out.flush();
    }
}
