//! Settings that a flag, the environment, devloop.toml and a default can each decide, resolved
//! in this one place in that order (flag > environment > file > default). clap reads a flag's
//! `DEVLOOP_*` variable, so "flag" below means either.

use std::time::Duration;

use crate::config::{Config, TargetKind};

/// How long a deploy may take to become healthy when nothing says otherwise.
pub const DEFAULT_DEPLOY_TIMEOUT: Duration = Duration::from_secs(120);
/// Elastic Beanstalk updates replace instances or containers in batches: minutes, not seconds.
pub const BEANSTALK_DEPLOY_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// What the command line said, typed; `None` leaves the choice to the file or the default.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `-j`: how many steps run at once.
    pub jobs: Option<usize>,
    /// `--timeout` / `DEVLOOP_TIMEOUT`.
    pub deploy_timeout: Option<Duration>,
    /// `--no-cache` / `DEVLOOP_NO_CACHE`.
    pub no_cache: bool,
    /// `--buildkit[=BOOL]` / `DEVLOOP_BUILDKIT`.
    pub buildkit: Option<bool>,
    /// `--allow-dirty` / `DEVLOOP_ALLOW_DIRTY`.
    pub allow_dirty: bool,
}

/// The settings a run goes by, each decided once.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Steps run at once: `-j`, else the number of cores.
    pub jobs: usize,
    /// How long a deploy may take to become healthy: `--timeout`, the target's own `timeout`
    /// (Elastic Beanstalk), `deploy.timeout`, else the target's default.
    pub deploy_timeout: Duration,
    /// Build even when an identical image exists, without the layer cache: `--no-cache`.
    pub no_cache: bool,
    /// The builder chosen: `--buildkit`, else `build.buildkit`; `None` = BuildKit where supported.
    pub buildkit: Option<bool>,
    /// Release from a tree with uncommitted changes: `--allow-dirty` or `release.allow_dirty`.
    pub allow_dirty: bool,
}

impl Settings {
    pub fn resolve(config: &Config, o: &Overrides) -> Settings {
        let d = &config.doc.deploy;
        let beanstalk = config.target() == Some(TargetKind::Beanstalk);
        let own = d
            .beanstalk
            .as_ref()
            .filter(|_| beanstalk)
            .and_then(|b| b.timeout.map(|t| t.get()));
        let deploy_timeout = o
            .deploy_timeout
            .or(own)
            .or(d.timeout.map(|t| t.get()))
            .unwrap_or(if beanstalk {
                BEANSTALK_DEPLOY_TIMEOUT
            } else {
                DEFAULT_DEPLOY_TIMEOUT
            });
        Settings {
            jobs: o.jobs.unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(usize::from)
                    .unwrap_or(2)
            }),
            deploy_timeout,
            no_cache: o.no_cache,
            buildkit: o.buildkit.or(config.doc.build.buildkit),
            allow_dirty: o.allow_dirty || config.doc.release.allow_dirty,
        }
    }
}
