//! Human-readable rendering: live progress on a terminal, plain timestamped lines otherwise.
//!
//! Progress and logs go to stderr; a command's result document goes to stdout, so
//! `devloop plan > plan.txt` captures the plan and nothing else.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::time::{Duration, Instant, SystemTime};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Mask, Options};
use crate::engine::{Outcome, Report};
use crate::error::Error;

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

pub fn rfc3339_now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

fn paint(o: &Options, code: &str, s: &str) -> String {
    if o.color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn eprint_line(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// GitHub workflow commands must not contain raw newlines or `%` in their message.
fn gh_escape(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property of a workflow command (`file=…`): also `:` and `,` escaped.
fn gh_escape_property(s: &str) -> String {
    gh_escape(s).replace(':', "%3A").replace(',', "%2C")
}

/// `::error …::message`; an error about a place in a file carries `file=`, `line=` and `col=`
/// so GitHub annotates that line (the location then leaves the message).
fn github_error(err: &Error, mask: &Mask) -> String {
    let Some(loc) = &err.location else {
        return format!(
            "::error title=devloop::{}",
            gh_escape(&mask.apply(&err.message))
        );
    };
    let mut props = format!("file={}", gh_escape_property(&loc.file));
    let mut prefix = loc.file.clone();
    if let Some(line) = loc.line {
        props.push_str(&format!(",line={line}"));
        prefix.push_str(&format!(":{line}"));
        if let Some(col) = loc.col {
            props.push_str(&format!(",col={col}"));
            prefix.push_str(&format!(":{col}"));
        }
    }
    let message = err
        .message
        .strip_prefix(&format!("{prefix}: "))
        .unwrap_or(&err.message);
    format!(
        "::error {props},title=devloop::{}",
        gh_escape(&mask.apply(message))
    )
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
        if let Some(r) = &r {
            if o.github && !r.group.is_empty() {
                eprint_line(&format!("::group::{step} output"));
                for l in &r.group {
                    eprint_line(l);
                }
                if r.group_dropped > 0 {
                    eprint_line(&format!("… {} more lines not shown", r.group_dropped));
                }
                eprint_line("::endgroup::");
            }
        }
        let (mark, color) = match outcome {
            Outcome::Done(_) => ("✓", "32"),
            Outcome::Skipped(_) => ("↷", "33"),
            Outcome::Failed(_) => ("✗", "31"),
            Outcome::NotRun(_) => ("·", "2"),
        };
        let failed = matches!(outcome, Outcome::Failed(_));
        if (o.verbosity < 0 && !failed) || o.verbosity == super::SILENT {
            return;
        }
        let msg = mask.apply(&outcome.message());
        let timing = if r.is_some() {
            format!(" ({})", crate::units::short_duration(d))
        } else {
            String::new()
        };
        let head = format!(
            "{} {}{timing}",
            paint(o, color, &format!("{mark} {step}")),
            outcome.label()
        );
        let line = if msg.is_empty() {
            head
        } else {
            format!("{head}: {msg}")
        };
        if self.multi.is_some() {
            self.println(&line);
        } else {
            self.plain(
                o,
                step,
                &format!(
                    "{}{}",
                    outcome.label(),
                    if msg.is_empty() {
                        String::new()
                    } else {
                        format!(": {msg}")
                    }
                ),
            );
            let _ = line;
        }
        if let Outcome::Failed(e) = outcome {
            if o.verbosity >= 1 {
                for c in e.causes() {
                    self.println(&format!("    caused by: {}", mask.apply(&c)));
                }
            }
            for l in &e.detail {
                self.println(&format!("    {}", mask.apply(l)));
            }
            if let Some(r) = &r {
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
                // A step error about a line of a file (a Dockerfile that does not parse) is
                // annotated on that line, as config errors are.
                let line = if e.location.is_some() {
                    github_error(e, mask).replacen(
                        "title=devloop::",
                        &format!("title=devloop {step}::"),
                        1,
                    )
                } else {
                    format!(
                        "::error title=devloop {step}::{}",
                        gh_escape(&mask.apply(&e.message))
                    )
                };
                eprint_line(&line);
            }
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

    pub fn summary(&mut self, report: &Report, mask: &Mask, o: &Options) {
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
        let code = report.status().code();
        if o.verbosity >= 0 && !report.results.is_empty() {
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
            for line in out {
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
            eprint_line(&github_error(err, mask));
        }
    }

    pub fn warn(&mut self, message: &str, o: &Options) {
        if o.verbosity == super::SILENT {
            return;
        }
        self.println(&format!("{} {message}", paint(o, "1;33", "warning:")));
        if o.github {
            eprint_line(&format!("::warning title=devloop::{}", gh_escape(message)));
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
