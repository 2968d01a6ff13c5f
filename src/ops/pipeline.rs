//! The steps of the loop and how they depend on each other.
//!
//! `ship` is build → tests → release → deploy; every other command runs a sub-pipeline of it. The
//! same step list serves `plan` (which prints each step's description) and the commands that run
//! them, so what `plan` shows is what runs.

use std::sync::Arc;

use super::stage::{parts, Options, Stage};
use super::{build, deploy, release, test};
use crate::engine::{Slot, Step};
use crate::error::{Error, Result};
use crate::session::Session;

/// The parts of this stage that this version of devloop cannot run yet.
pub fn unavailable(project: &Arc<Session>, stage: Stage) -> Vec<&'static str> {
    let (b, t, r, d) = parts(stage);
    let deploy_ok = project.config.target().is_none()
        || (crate::deploy::open(project).is_ok() && set_target_ok(project).is_ok());
    [
        (b, "build", build::AVAILABLE),
        (t, "test", test::AVAILABLE),
        (r, "release", release::AVAILABLE),
        (d, "deploy", deploy_ok),
    ]
    .into_iter()
    .filter(|(wanted, _, available)| *wanted && !available)
    .map(|(_, name, _)| name)
    .collect()
}

/// A set of services deploys to every target. On Elastic Beanstalk a set runs released images
/// (one compose bundle, or an image bundle per environment): a `source` bundle (the project's
/// files) is not one service's.
pub fn set_target_ok(project: &Session) -> Result<()> {
    use crate::config::TargetKind;
    match project.config.target() {
        Some(TargetKind::Beanstalk)
            if project.config.eb_mode.is_some()
                && project.config.services.iter().any(|s| {
                    s.doc.deploy.beanstalk.as_ref().is_some_and(|b| {
                        b.bundle == crate::config::schema::BundleKind::Source
                    })
                }) =>
        {
            Err(Error::not_available(
                "a set of services on Elastic Beanstalk with bundle = \"source\" (a set runs its released images: use bundle = \"image\")",
            ))
        }
        Some(TargetKind::Beanstalk)
            if project.config.eb_mode == Some(crate::config::EbMode::PerService)
                && project.config.services.iter().any(|s| s.is_dependency()) =>
        {
            let deps: Vec<&str> = project
                .config
                .services
                .iter()
                .filter(|s| s.is_dependency())
                .map(|s| s.name.as_str())
                .collect();
            Err(Error::not_available(&format!(
                "a dependency ({}) as an Elastic Beanstalk environment of its own (disable it in this environment with enabled = false and point the services at a managed one, or run the set in one environment, where dependencies are part of the compose bundle)",
                deps.join(", ")
            )))
        }
        _ => Ok(()),
    }
}

/// Refuse, before anything runs, a command that needs a part not available yet.
pub fn ensure_available(project: &Arc<Session>, stage: Stage) -> Result<()> {
    let missing = unavailable(project, stage);
    if missing.is_empty() {
        return Ok(());
    }
    // What a set cannot do on its target says so in its own words.
    if missing.contains(&"deploy") && project.config.multi {
        set_target_ok(project)?;
    }
    let target = project
        .config
        .target()
        .map(|t| format!(" to {}", t.as_str()))
        .unwrap_or_default();
    Err(Error::not_available(&format!(
        "devloop {} (it needs {}{target}, which this version cannot do yet)",
        stage.as_str(),
        missing.join(", ")
    )))
}

/// Checks that must pass before anything runs: releasing from a dirty tree is refused.
pub fn preflight(project: &Session, stage: Stage) -> Result<()> {
    let (_, _, releases, _) = parts(stage);
    if releases && !project.settings.allow_dirty {
        if let Ok(g) = &project.git {
            if let Some(why) = &g.status_error {
                return Err(Error::usage(format!(
                    "refusing to release from {}: git cannot tell whether tracked files have uncommitted changes ({why})",
                    g.workdir.display()
                ))
                .with_hint("fix the repository (`git status` shows the problem), or pass --allow-dirty (the release records dirty = true)"));
            }
            if g.dirty {
                return Err(Error::usage(format!(
                    "refusing to release from {}: tracked files have uncommitted changes ({})",
                    g.workdir.display(),
                    crate::git::name_files(&g.dirty_files)
                ))
                .with_hint(release::dirty_hint(&g.dirty_files)));
            }
        }
    }
    Ok(())
}

/// The steps a command runs, in pipeline order, and where the tests' output is kept (JUnit).
pub fn steps(
    project: &Arc<Session>,
    stage: Stage,
    opts: &Options,
) -> Result<(Vec<Step>, test::Transcripts)> {
    if project.config.multi {
        return super::set::steps(project, stage, opts);
    }
    if !opts.services.is_empty() {
        let app = project.config.app();
        if let Some(other) = opts.services.iter().find(|s| *s != app) {
            return Err(Error::usage(format!(
                "-s/--service \"{other}\": {} defines no [services], so its one service is \"{app}\"",
                project.config.source.display
            )));
        }
    }
    let (b, t, r, d) = parts(stage);
    let t = t && !opts.skip_tests;
    let mut steps = Vec::new();
    let mut gate: Vec<String> = Vec::new();
    // The build's result, handed to the steps after it.
    let built: Slot<build::Built> = Slot::new(build::NAME);
    let transcripts = test::Transcripts::default();
    if b {
        steps.push(build::step(project, &built));
        gate = vec![build::NAME.to_string()];
    }
    if t {
        let tests = test::steps(project, opts, b, &built, &transcripts, &Default::default())?;
        if !tests.is_empty() {
            gate = tests.iter().map(|s| s.name.clone()).collect();
        }
        steps.extend(tests);
    }
    if r {
        steps.push(release::step(project, &built).needs(gate.clone()));
        gate = vec![release::NAME.to_string()];
    }
    if d {
        steps.push(deploy::step(project, opts)?.needs(gate));
    }
    Ok((steps, transcripts))
}
