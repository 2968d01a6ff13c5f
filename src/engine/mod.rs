//! The one step engine every command runs through.
//!
//! A pipeline is a list of named [`Step`]s with dependencies. The [`runner`] starts each step when
//! its dependencies are satisfied, bounds concurrency, enforces per-step timeouts, cancels every step
//! on Ctrl-C/SIGTERM (giving each a chance to clean up), and reports what happens through [`Events`] (the printer implements it).

mod events;
mod runner;
mod slot;
mod step;

pub use events::Events;
pub use runner::{Report, Runner, Signals, StepResult};
pub use slot::Slot;
pub use step::{Done, Outcome, Step, StepCtx, StepPlan};

#[cfg(test)]
pub mod heard;
#[cfg(test)]
mod tests;
