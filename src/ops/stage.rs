//! What a run of the loop is asked: the stage it runs up to, and the command line's options for
//! its steps. Every part of the loop reads these; none of them is a part's own.

use std::path::PathBuf;

use crate::deploy::Locking;

/// A command that runs the loop, or the part of it up to its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Build,
    Test,
    Release,
    Deploy,
    Ship,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Build => "build",
            Stage::Test => "test",
            Stage::Release => "release",
            Stage::Deploy => "deploy",
            Stage::Ship => "ship",
        }
    }
}

/// What the command line asks of the steps, beyond the session's settings.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only these tests (empty: all).
    pub tests: Vec<String>,
    /// Write a JUnit report of the tests here.
    pub junit: Option<PathBuf>,
    /// The release to deploy (id or tag) [default: the latest].
    pub release: Option<String>,
    /// What to do about the deploy lock.
    pub lock: Locking,
    /// Only these services (`-s`; empty: all of them).
    pub services: Vec<String>,
    /// Deploy only the selected services, not what they need (`--no-deps`).
    pub no_deps: bool,
    /// Leave the tests out (`ship --no-tests`).
    pub skip_tests: bool,
}

/// Which parts of the loop a command runs.
pub(super) fn parts(stage: Stage) -> (bool, bool, bool, bool) {
    // (build, test, release, deploy)
    match stage {
        Stage::Build => (true, false, false, false),
        Stage::Test => (true, true, false, false),
        Stage::Release => (true, false, true, false),
        Stage::Deploy => (false, false, false, true),
        Stage::Ship => (true, true, true, true),
    }
}
