//! The one printer. Nothing else in devloop writes to the terminal.
//!
//! Three renderings of the same events: live progress on a terminal ([`text`] with indicatif),
//! plain timestamped lines when not a terminal or under CI (with GitHub Actions groups, annotations
//! and a step summary when `GITHUB_ACTIONS=true`), and one JSON object per line (`--output json`).
//! Every string passes through the secret mask before it is written anywhere.

mod json;
mod mask;
mod screen;
mod summary;
mod text;

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::engine::{Outcome, Report, StepResult};
use crate::error::Error;

pub use mask::{too_short as secret_too_short, Mask, MIN_LEN as MIN_SECRET_LEN};
pub use screen::Screen;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

/// How output should look, decided once from flags and the environment.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub format: Format,
    /// Live progress bars (stderr is a terminal and not CI).
    pub live: bool,
    pub color: bool,
    /// 0 = normal, -1 = quiet, 1+ = verbose; [`SILENT`]: nothing at all.
    pub verbosity: i8,
    /// GitHub Actions workflow commands and step summary.
    pub github: bool,
    pub step_summary: Option<PathBuf>,
}

/// The verbosity of a printer whose caller reports every outcome itself (`devloop dev`).
pub const SILENT: i8 = i8::MIN;

/// Cheap to clone; every clone writes through the same state.
#[derive(Clone)]
pub struct Printer {
    inner: Arc<Inner>,
}

struct Inner {
    opts: Options,
    mask: Mask,
    state: Mutex<Renderer>,
    /// Warnings already given by [`Printer::warn_once`].
    warned: Mutex<std::collections::HashSet<String>>,
    /// What the command said of its outcome, for [`Printer::said`].
    said: Mutex<Said>,
}

/// What a command said of its outcome, as it was printed: kept for whoever tells others of it
/// (the notifications), so they carry the same reason the person at the terminal read.
#[derive(Debug, Clone, Default)]
pub struct Said {
    /// The end-of-run summary (as `--output json` has it): the command, exit code, each step's
    /// outcome, message and result.
    pub summary: Option<serde_json::Value>,
    /// The first failing step's message, as the summary printed it.
    pub failure: Option<String>,
    /// The last result document (`monitor`'s status).
    pub document: Option<serde_json::Value>,
    /// Each failed check, as said by [`Printer::check_failed`].
    pub checks: Vec<String>,
}

enum Renderer {
    Text(text::TextRenderer),
    Json(json::JsonRenderer),
}

impl Printer {
    pub fn new(opts: Options) -> Self {
        let renderer = match opts.format {
            Format::Text => Renderer::Text(text::TextRenderer::new(&opts)),
            Format::Json => Renderer::Json(json::JsonRenderer),
        };
        Printer {
            inner: Arc::new(Inner {
                opts,
                mask: Mask::default(),
                state: Mutex::new(renderer),
                warned: Mutex::default(),
                said: Mutex::default(),
            }),
        }
    }

    pub fn verbosity(&self) -> i8 {
        self.inner.opts.verbosity
    }

    pub fn is_json(&self) -> bool {
        self.inner.opts.format == Format::Json
    }

    /// Register values that must never appear in output.
    pub fn add_secrets<I: IntoIterator<Item = String>>(&self, secrets: I) {
        self.inner.mask.add(secrets);
    }

    pub fn mask(&self, text: &str) -> String {
        self.inner.mask.apply(text)
    }

    fn with<R>(&self, f: impl FnOnce(&mut Renderer, &Mask, &Options) -> R) -> R {
        let mut state = match self.inner.state.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut state, &self.inner.mask, &self.inner.opts)
    }

    pub fn pipeline_started(&self, steps: &[&str]) {
        self.with(|r, m, o| match r {
            Renderer::Text(t) => t.pipeline_started(steps, o),
            Renderer::Json(j) => {
                j.emit(m, "pipeline_started", serde_json::json!({ "steps": steps }))
            }
        })
    }

    pub fn step_started(&self, step: &str) {
        self.with(|r, m, o| match r {
            Renderer::Text(t) => t.step_started(step, o),
            Renderer::Json(j) => j.emit(m, "step_started", serde_json::json!({ "step": step })),
        })
    }

    pub fn progress(&self, step: &str, message: &str) {
        self.with(|r, m, o| match r {
            Renderer::Text(t) => t.progress(step, &m.apply(message), o),
            Renderer::Json(j) => j.emit(
                m,
                "progress",
                serde_json::json!({ "step": step, "message": message }),
            ),
        })
    }

    pub fn log(&self, step: &str, line: &str) {
        self.with(|r, m, o| match r {
            Renderer::Text(t) => t.log(step, &m.apply(line), o),
            Renderer::Json(j) => {
                j.emit(m, "log", serde_json::json!({ "step": step, "line": line }))
            }
        })
    }

    /// A log line that is also the step's current status (spinner text on a terminal).
    pub fn log_status(&self, step: &str, line: &str) {
        self.with(|r, m, o| match r {
            Renderer::Text(t) => {
                let line = m.apply(line);
                t.set_status(step, &line);
                t.log(step, &line, o)
            }
            Renderer::Json(j) => {
                j.emit(m, "log", serde_json::json!({ "step": step, "line": line }))
            }
        })
    }

    pub fn step_finished(&self, step: &StepResult) {
        let (name, outcome) = (step.name.as_str(), &step.outcome);
        self.with(|r, m, o| match r {
            Renderer::Text(t) => t.step_finished(name, outcome, step.duration, m, o),
            Renderer::Json(j) => {
                let mut ev = serde_json::json!({
                    "step": name,
                    "outcome": outcome.label(),
                    "message": outcome.message(),
                    "duration_ms": step.duration.as_millis() as u64,
                    "result": step.result_json(),
                });
                if let Outcome::Failed(e) = outcome {
                    ev["exit_code"] = e.kind.code().into();
                    ev["hint"] = e.hint.clone().into();
                    ev["detail"] = e.detail.clone().into();
                }
                j.emit(m, "step_finished", ev)
            }
        })
    }

    /// Called about once a second while steps run: plain output uses it to avoid long silences.
    pub fn tick(&self) {
        self.with(|r, _, o| {
            if let Renderer::Text(t) = r {
                t.tick(o)
            }
        })
    }

    /// What the command has said of its outcome so far.
    pub fn said(&self) -> Said {
        match self.inner.said.lock() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn keep(&self, f: impl FnOnce(&mut Said)) {
        match self.inner.said.lock() {
            Ok(mut s) => f(&mut s),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    /// A check that failed (`monitor --check`): one line on stderr, in every format.
    pub fn check_failed(&self, line: &str) {
        self.stderr_line(line);
        self.keep(|s| s.checks.push(line.to_string()));
    }

    /// The table that ends every run, plus the JSON summary object or the GitHub step summary.
    pub fn summary(&self, command: &str, report: &Report) {
        let failure = report.results.iter().find_map(|r| match &r.outcome {
            Outcome::Failed(e) => Some(e.message.clone()),
            _ => None,
        });
        let json = summary::json(command, report);
        self.keep(|s| {
            s.summary = Some(json);
            s.failure = failure;
        });
        self.with(|r, m, o| {
            match r {
                Renderer::Text(t) => t.summary(report, m, o),
                Renderer::Json(j) => j.emit(m, "summary", summary::json(command, report)),
            }
            if let (true, Some(path)) = (o.github, &o.step_summary) {
                let md = summary::markdown(command, report, m);
                // The step summary is a courtesy; failing to write it must not fail the run.
                if let Ok(mut f) = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                {
                    let _ = f.write_all(md.as_bytes());
                }
            }
        })
    }

    /// An error that ends the command outside any step (config, usage, connection).
    pub fn error(&self, err: &Error) {
        self.with(|r, m, o| match r {
            Renderer::Text(t) => t.error(err, m, o),
            Renderer::Json(j) => j.emit(
                m,
                "error",
                serde_json::json!({
                    "exit_code": err.kind.code(),
                    "kind": err.kind,
                    "message": err.message,
                    "causes": err.causes(),
                    "hint": err.hint,
                    "detail": err.detail,
                }),
            ),
        })
    }

    pub fn warn(&self, message: &str) {
        self.with(|r, m, o| match r {
            Renderer::Text(t) => t.warn(&m.apply(message), o),
            Renderer::Json(j) => j.emit(m, "warning", serde_json::json!({ "message": message })),
        })
    }

    /// A warning from a running step: said as "step: message"; the JSON `warning` event carries
    /// the step on its own.
    pub fn step_warn(&self, step: &str, message: &str) {
        self.with(|r, m, o| match r {
            Renderer::Text(t) => t.warn(&m.apply(&format!("{step}: {message}")), o),
            Renderer::Json(j) => j.emit(
                m,
                "warning",
                serde_json::json!({ "step": step, "message": message }),
            ),
        })
    }

    /// A warning about something found again and again in one run (a config setting, a ledger
    /// file): given the first time only.
    pub fn warn_once(&self, message: &str) {
        let first = match self.inner.warned.lock() {
            Ok(mut w) => w.insert(message.to_string()),
            Err(p) => p.into_inner().insert(message.to_string()),
        };
        if first {
            self.warn(message);
        }
    }

    /// A status message about what a command did (not step output): stderr in text mode.
    pub fn info(&self, message: &str) {
        self.with(|r, m, o| match r {
            Renderer::Text(t) => t.info(&m.apply(message), o),
            Renderer::Json(j) => j.emit(m, "info", serde_json::json!({ "message": message })),
        })
    }

    /// A line on stderr as it is (masked), in every format: the verdict of a check.
    pub fn stderr_line(&self, line: &str) {
        let line = self.mask(line);
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }

    /// A command's result document: text to stdout as given, or a JSON value as one line.
    pub fn document(&self, text: &str, json: serde_json::Value) {
        if !json.is_null() {
            let kept = json.clone();
            self.keep(|s| s.document = Some(kept));
        }
        self.with(|r, m, _| match r {
            Renderer::Text(t) => t.stdout(&m.apply(text)),
            Renderer::Json(j) => j.document(m, json),
        })
    }
}

/// The printer is what the engine's events look like to people (and to CI, as JSON).
impl crate::engine::Events for Printer {
    fn pipeline_started(&self, steps: &[&str]) {
        Printer::pipeline_started(self, steps)
    }
    fn step_started(&self, step: &str) {
        Printer::step_started(self, step)
    }
    fn progress(&self, step: &str, message: &str) {
        Printer::progress(self, step, message)
    }
    fn log(&self, step: &str, line: &str) {
        Printer::log(self, step, line)
    }
    fn log_status(&self, step: &str, line: &str) {
        Printer::log_status(self, step, line)
    }
    fn step_warn(&self, step: &str, message: &str) {
        Printer::step_warn(self, step, message)
    }
    fn step_finished(&self, result: &StepResult) {
        Printer::step_finished(self, result)
    }
    fn tick(&self) {
        Printer::tick(self)
    }
    fn warn(&self, message: &str) {
        Printer::warn(self, message)
    }
    fn warn_once(&self, message: &str) {
        Printer::warn_once(self, message)
    }
    fn add_secrets(&self, secrets: Vec<String>) {
        Printer::add_secrets(self, secrets)
    }
}

impl Printer {
    /// This printer as the engine's events.
    pub fn events(&self) -> std::sync::Arc<dyn crate::engine::Events> {
        std::sync::Arc::new(self.clone())
    }
}
