//! Runs a pipeline: dependency order, bounded concurrency, timeouts, and cancellation.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::step::{Outcome, Step, StepCtx, StepOutput};
use super::Events;
use crate::error::{Error, ExitKind, ExitStatus, Result};

/// How long a cancelled or timed-out step gets to clean up before it is abandoned.
const CLEANUP_GRACE: Duration = Duration::from_secs(20);

#[derive(Debug, Clone)]
pub struct StepResult {
    pub name: String,
    pub outcome: Outcome,
    pub duration: Duration,
    /// The step's typed result (see [`Done::result`]), or a failure's JSON result.
    pub result: Option<Arc<dyn StepOutput>>,
}

impl StepResult {
    /// The result as `--output json` shows it (`null` when there is none).
    pub fn result_json(&self) -> serde_json::Value {
        self.result
            .as_ref()
            .map(|r| r.to_json())
            .unwrap_or(serde_json::Value::Null)
    }

    fn not_run(name: String, outcome: Outcome) -> StepResult {
        StepResult {
            name,
            outcome,
            duration: Duration::ZERO,
            result: None,
        }
    }
}

/// The end of a run: each step's outcome, in pipeline order.
#[derive(Debug, Clone)]
pub struct Report {
    pub results: Vec<StepResult>,
    pub interrupted: bool,
    pub duration: Duration,
}

impl Report {
    /// The exit kind the run ends with: interrupted wins, then the first failure in pipeline order.
    pub fn exit_kind(&self) -> Option<ExitKind> {
        if self.interrupted {
            return Some(ExitKind::Interrupted);
        }
        self.results.iter().find_map(|r| match &r.outcome {
            Outcome::Failed(e) => Some(e.kind),
            _ => None,
        })
    }
    /// How the command that ran these steps ends.
    pub fn status(&self) -> ExitStatus {
        self.exit_kind()
            .map_or(ExitStatus::Success, ExitStatus::Failure)
    }
}

pub struct Runner {
    pub jobs: usize,
    pub events: Arc<dyn Events>,
}

impl Runner {
    pub fn new(jobs: usize, events: Arc<dyn Events>) -> Self {
        Runner {
            jobs: jobs.max(1),
            events,
        }
    }

    /// Check names and dependencies: unknown names and cycles are configuration errors.
    pub fn validate(steps: &[Step]) -> Result<()> {
        let names: BTreeSet<&str> = steps.iter().map(|s| s.name.as_str()).collect();
        if names.len() != steps.len() {
            return Err(Error::usage("two steps share a name in this pipeline"));
        }
        for s in steps {
            for n in &s.needs {
                if !names.contains(n.as_str()) {
                    return Err(Error::usage(format!(
                        "step \"{}\" needs unknown step \"{n}\"",
                        s.name
                    )));
                }
            }
        }
        // Kahn's algorithm: anything left over sits on a cycle.
        let mut indegree: BTreeMap<&str, usize> = steps
            .iter()
            .map(|s| (s.name.as_str(), s.needs.len()))
            .collect();
        let mut ready: Vec<&str> = indegree
            .iter()
            .filter(|(_, d)| **d == 0)
            .map(|(n, _)| *n)
            .collect();
        let mut seen = 0;
        while let Some(n) = ready.pop() {
            seen += 1;
            for s in steps.iter().filter(|s| s.needs.iter().any(|d| d == n)) {
                if let Some(d) = indegree.get_mut(s.name.as_str()) {
                    *d -= 1;
                    if *d == 0 {
                        ready.push(&s.name);
                    }
                }
            }
        }
        if seen != steps.len() {
            let stuck: Vec<&str> = indegree
                .iter()
                .filter(|(_, d)| **d > 0)
                .map(|(n, _)| *n)
                .collect();
            return Err(Error::usage(format!(
                "steps depend on each other in a cycle: {}",
                stuck.join(", ")
            )));
        }
        Ok(())
    }

    /// Run every step to an outcome. Never panics on step failure; returns the full report.
    pub async fn run(self, steps: Vec<Step>) -> Result<Report> {
        Self::validate(&steps)?;
        let started = Instant::now();
        let order: Vec<String> = steps.iter().map(|s| s.name.clone()).collect();
        self.events
            .pipeline_started(&steps.iter().map(|s| s.name.as_str()).collect::<Vec<_>>());
        let fail_fast: BTreeSet<String> = steps
            .iter()
            .filter(|s| s.fail_fast)
            .map(|s| s.name.clone())
            .collect();
        let mut pending: Vec<Step> = steps;
        let mut done: BTreeMap<String, StepResult> = BTreeMap::new();
        let mut running: JoinSet<StepResult> = JoinSet::new();
        let mut names: BTreeMap<tokio::task::Id, String> = BTreeMap::new();
        let cancel = CancellationToken::new();
        let mut interrupted = false;
        // The fail-fast step whose failure stopped the run.
        let mut stopped_by: Option<String> = None;
        let mut signals = Signals::new();
        let mut tick = tokio::time::interval(Duration::from_secs(1));

        loop {
            // Steps whose dependencies failed will never run.
            let mut i = 0;
            while i < pending.len() {
                let blocker = pending[i]
                    .needs
                    .iter()
                    .find(|n| done.get(n.as_str()).is_some_and(|r| !r.outcome.satisfies()))
                    .cloned();
                if let Some(b) = blocker {
                    let step = pending.remove(i);
                    let outcome = Outcome::NotRun(format!("{b} did not succeed"));
                    self.finish(&mut done, StepResult::not_run(step.name, outcome));
                } else {
                    i += 1;
                }
            }
            // Start what is ready, up to the concurrency limit.
            if !interrupted && stopped_by.is_none() {
                let mut i = 0;
                while i < pending.len() && running.len() < self.jobs {
                    let ready = pending[i].needs.iter().all(|n| done.contains_key(n));
                    if ready {
                        let step = pending.remove(i);
                        let name = step.name.clone();
                        let id = self.spawn(&mut running, step, cancel.child_token());
                        names.insert(id, name);
                    } else {
                        i += 1;
                    }
                }
            }
            if running.is_empty() {
                for step in pending.drain(..) {
                    let why = match (&stopped_by, interrupted) {
                        (_, true) => "interrupted".to_string(),
                        (Some(failed), false) => format!("stopped: {failed} failed"),
                        (None, false) => "dependencies not met".to_string(),
                    };
                    self.finish(
                        &mut done,
                        StepResult::not_run(step.name, Outcome::NotRun(why)),
                    );
                }
                break;
            }
            tokio::select! {
                joined = running.join_next_with_id() => {
                    let mut result = match joined {
                        Some(Ok((_, result))) => result,
                        Some(Err(e)) => StepResult {
                            name: names.get(&e.id()).cloned().unwrap_or_default(),
                            outcome: Outcome::Failed(Error::failed_because("step crashed", e)),
                            duration: Duration::ZERO,
                            result: None,
                        },
                        None => continue,
                    };
                    let failed = matches!(result.outcome, Outcome::Failed(_));
                    let stopped = matches!(&result.outcome, Outcome::Failed(e) if e.kind == ExitKind::Interrupted);
                    match &stopped_by {
                        // What ended by being told to stop was stopped, not broken; a real
                        // failure meanwhile stays one.
                        Some(first) if stopped => {
                            result.outcome = Outcome::NotRun(format!("stopped: {first} failed"));
                        }
                        None if failed && fail_fast.contains(&result.name) => {
                            stopped_by = Some(result.name.clone());
                            cancel.cancel();
                        }
                        _ => {}
                    }
                    self.finish(&mut done, result);
                }
                _ = signals.recv(), if !interrupted => {
                    interrupted = true;
                    self.events.warn("interrupted: cancelling running steps and cleaning up…");
                    cancel.cancel();
                    let grace = tokio::time::sleep(CLEANUP_GRACE);
                    tokio::pin!(grace);
                    loop {
                        tokio::select! {
                            joined = running.join_next() => match joined {
                                Some(Ok(r)) => self.finish(&mut done, r),
                                Some(Err(_)) => {}
                                None => break,
                            },
                            _ = &mut grace => {
                                self.events.warn("some steps did not finish cleaning up in time; abandoning them");
                                running.abort_all();
                                break;
                            }
                        }
                    }
                }
                _ = tick.tick() => self.events.tick(),
            }
        }

        let results = order.into_iter().filter_map(|n| done.remove(&n)).collect();
        Ok(Report {
            results,
            interrupted,
            duration: started.elapsed(),
        })
    }

    fn spawn(
        &self,
        set: &mut JoinSet<StepResult>,
        step: Step,
        cancel: CancellationToken,
    ) -> tokio::task::Id {
        self.events.step_started(&step.name);
        let ctx = StepCtx {
            name: step.name.clone(),
            events: self.events.clone(),
            cancel: cancel.clone(),
        };
        let Step {
            name, timeout, run, ..
        } = step;
        let handle = set.spawn(async move {
            let started = Instant::now();
            let mut fut = run(ctx);
            let result = match timeout {
                None => fut.await,
                Some(limit) => {
                    tokio::select! {
                        r = &mut fut => r,
                        _ = tokio::time::sleep(limit) => {
                            cancel.cancel();
                            let _ = tokio::time::timeout(CLEANUP_GRACE, fut).await;
                            Err(Error::failed(format!(
                                "timed out after {}",
                                humantime::format_duration(limit)
                            )))
                        }
                    }
                }
            };
            let (outcome, result) = Outcome::of(result);
            StepResult {
                name,
                outcome,
                duration: started.elapsed(),
                result,
            }
        });
        handle.id()
    }

    fn finish(&self, done: &mut BTreeMap<String, StepResult>, r: StepResult) {
        self.events.step_finished(&r);
        done.insert(r.name.clone(), r);
    }
}

/// Ctrl-C and SIGTERM (what CI runners send on cancel) as one stream. Both are kept registered
/// for the stream's life, so a signal that arrives between two `recv` calls is not lost.
pub struct Signals {
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    pub fn new() -> Self {
        #[cfg(unix)]
        use tokio::signal::unix::{signal, SignalKind};
        Signals {
            #[cfg(unix)]
            int: signal(SignalKind::interrupt()).ok(),
            #[cfg(unix)]
            term: signal(SignalKind::terminate()).ok(),
        }
    }

    pub async fn recv(&mut self) {
        #[cfg(unix)]
        {
            async fn next(s: Option<&mut tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                _ = next(self.int.as_mut()) => {}
                _ = next(self.term.as_mut()) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
