//! The build context scanned (the slow part on a large context) while the daemon is contacted,
//! and the builder chosen: BuildKit unless the classic builder is asked for or the daemon lacks it.

use crate::docker::context;
use crate::docker::statcache::CacheWrite;
use crate::docker::Daemon;
use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::session::Session;

use super::cache::cache_path;

/// What the build step knows once the context is scanned and the daemon answered.
pub(super) struct Scanned {
    pub(super) daemon: Daemon,
    pub(super) scan: context::Scan,
    pub(super) buildkit: bool,
    /// The pattern that keeps devloop's state out of the context, when it lies inside it.
    pub(super) state_exclude: Option<String>,
}

/// Scan the context while the daemon is contacted; the stat cache is still being written when
/// this returns (finish the [`CacheWrite`] once the build is done).
pub(super) async fn scan_context(
    project: &Session,
    ctx: &StepCtx,
) -> Result<(Scanned, CacheWrite)> {
    let cfg = &project.config;
    // BuildKit unless the classic builder is chosen; whether the daemon has it is known below.
    let chosen = project.settings.buildkit;
    let requested = chosen.unwrap_or(true);
    let (context_dir, dockerfile) = (cfg.context_dir(), cfg.dockerfile());
    let state_dir = std::fs::canonicalize(&cfg.root)
        .unwrap_or_else(|_| cfg.root.clone())
        .join(".devloop");
    let state_exclude = context::state_exclude(&context_dir, &state_dir);
    let start_scan = |buildkit: bool| {
        let ignore_file = context::ignore_file(&context_dir, &dockerfile, buildkit);
        let (context_dir, dockerfile, state_dir, cache_file) = (
            context_dir.clone(),
            dockerfile.clone(),
            state_dir.clone(),
            cache_path(project),
        );
        tokio::task::spawn_blocking(move || {
            context::scan(
                &context_dir,
                &dockerfile,
                &ignore_file,
                &state_dir,
                &cache_file,
            )
        })
    };
    ctx.progress("scanning the build context");
    let mut scanning = start_scan(requested);
    let daemon = project.daemon().await?.clone();
    let buildkit = requested && buildkit_supported(&daemon, chosen, ctx);
    if !cfg.doc.build.secrets.is_empty() && !buildkit {
        return Err(Error::usage(
            "build.secrets are mounted by BuildKit only: use a daemon that supports it, and leave build.buildkit unset or true",
        ));
    }
    // The classic builder reads another ignore file than BuildKit would have: scan again.
    if buildkit != requested
        && context::ignore_file(&context_dir, &dockerfile, buildkit)
            != context::ignore_file(&context_dir, &dockerfile, requested)
    {
        let _ = scanning.await;
        scanning = start_scan(buildkit);
    }
    let (scan, cache_write) = scanning
        .await
        .map_err(|e| Error::failed_because("context scan crashed", e))??;
    let scanned = Scanned {
        daemon,
        scan,
        buildkit,
        state_exclude,
    };
    Ok((scanned, cache_write))
}

/// Whether the daemon can build with BuildKit; said when it was asked for and cannot.
fn buildkit_supported(daemon: &Daemon, chosen: Option<bool>, ctx: &StepCtx) -> bool {
    let supported = daemon.supports_buildkit();
    if !supported && chosen == Some(true) {
        ctx.warn_run(format!(
            "BuildKit was requested but the daemon at {} does not support it (API 1.39+ on Linux); using the classic builder",
            daemon.endpoint.host
        ), false);
    }
    supported
}
