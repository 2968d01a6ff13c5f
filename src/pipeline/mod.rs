//! The steps of the loop and how they depend on each other.
//!
//! `ship` is build → tests → release → deploy; every other command runs a sub-pipeline of it. The
//! same step list serves `plan` (which prints each step's description) and the commands that run
//! them, so what `plan` shows is what runs.

mod build;
mod deploy;
mod release;
mod test;

use std::sync::Arc;
use std::time::SystemTime;

use aws_config::SdkConfig;
use tokio::sync::OnceCell;

use crate::cli::{BuildArgs, DeployArgs, Stage};
use crate::config::{Ambient, Config};
use crate::docker::Daemon;
use crate::engine::Step;
use crate::error::{Error, Result};
use crate::git::{self, GitInfo};
use crate::template::{self, Vars};

/// What every step may read: the loaded config, git state and the moment the run started, plus the
/// run's one Docker connection and one AWS configuration, each made when first needed.
pub struct Project {
    pub config: Config,
    /// Git state, or why there is none (not a repository, no commits).
    pub git: Result<GitInfo, String>,
    pub started: SystemTime,
    pub ambient: Ambient,
    /// Output of each test (by test name), kept for the JUnit report.
    pub test_output: std::sync::Mutex<std::collections::BTreeMap<String, Vec<String>>>,
    /// The content digest of this run's build, once the build step has computed it (`{digest}`).
    pub build_digest: std::sync::Mutex<Option<String>>,
    daemon: OnceCell<Daemon>,
    aws: OnceCell<SdkConfig>,
    /// Where warnings found while reading shared state (the ledger) go, each said once per run.
    warnings: std::sync::OnceLock<crate::output::Printer>,
}

impl Project {
    /// Who holds a deploy lock this process takes: the user (or CI actor), the process and the
    /// host, so a refusal names someone a person can find.
    pub fn lock_owner(&self) -> String {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "this host".into());
        format!(
            "{} (pid {} on {host})",
            self.ambient.user(),
            std::process::id()
        )
    }

    pub fn new(config: Config, ambient: Ambient) -> Self {
        let git = git::inspect(&config.root, ambient.ci_branch());
        Project {
            config,
            git,
            started: SystemTime::now(),
            ambient,
            test_output: Default::default(),
            build_digest: Default::default(),
            daemon: OnceCell::new(),
            aws: OnceCell::new(),
            warnings: std::sync::OnceLock::new(),
        }
    }

    /// Send this project's warnings (a ledger file that cannot be read, …) to `printer`.
    pub fn with_warnings_to(self, printer: &crate::output::Printer) -> Self {
        let _ = self.warnings.set(printer.clone());
        self
    }

    /// A warning about the project's state, said once per run however often it is found.
    pub fn warn_once(&self, message: String) {
        if let Some(printer) = self.warnings.get() {
            printer.warn_once(&message);
        }
    }

    /// The Docker daemon, dialled and version-negotiated once per run.
    pub async fn daemon(&self) -> Result<&Daemon> {
        self.daemon
            .get_or_try_init(|| Daemon::connect(&self.ambient))
            .await
    }

    /// The AWS configuration (region, credentials proven), resolved once per run.
    pub async fn aws(&self) -> Result<&SdkConfig> {
        self.aws
            .get_or_try_init(|| crate::aws::sdk_config(&self.config.doc.aws, &self.ambient))
            .await
    }

    pub fn template_vars(&self) -> Vars {
        let mut vars = Vars::default();
        let git = self.git.as_ref().map_err(String::clone);
        vars.set("sha", git.clone().map(|g| g.sha.clone()));
        vars.set("short_sha", git.clone().map(|g| g.short_sha.clone()));
        vars.set(
            "branch",
            git.clone().and_then(|g| {
                g.branch
                    .clone()
                    .ok_or_else(|| "HEAD is detached and no CI branch variable is set".into())
            }),
        );
        vars.set(
            "tag",
            git.and_then(|g| {
                g.tag
                    .clone()
                    .ok_or_else(|| "no git tag points at HEAD".into())
            }),
        );
        let stamp = humantime::format_rfc3339_seconds(self.started).to_string();
        let compact: String = stamp.chars().filter(char::is_ascii_digit).collect();
        vars.set("timestamp", Ok(compact));
        vars.set(
            "digest",
            self.build_digest
                .lock()
                .ok()
                .and_then(|d| d.clone())
                .ok_or_else(|| {
                    "it is the build's content digest, known once the build has read the context"
                        .to_string()
                }),
        );
        vars.set("app", Ok(self.config.app().to_string()));
        vars.set(
            "env",
            Ok(self.config.env.clone().unwrap_or_else(|| "default".into())),
        );
        vars
    }

    /// Render tag templates; the error names the template and why it cannot be rendered here.
    pub fn render(&self, templates: &[toml::Spanned<String>]) -> Result<Vec<String>, String> {
        let vars = self.template_vars();
        let mut tags: Vec<String> = Vec::new();
        for t in templates {
            let tag = template::render(t.get_ref(), &vars)?;
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        Ok(tags)
    }

    /// Check that the build tags render here, before any work (`{digest}` is known only later).
    pub fn check_build_tags(&self) -> Result<(), String> {
        let mut vars = self.template_vars();
        vars.set("digest", Ok("0".into()));
        for t in &self.config.doc.build.tags {
            template::render(t.get_ref(), &vars)?;
        }
        Ok(())
    }

    /// The references the build will produce, for `plan`: `{digest}` is shown as written until
    /// the build has computed it.
    pub fn planned_refs(&self) -> Result<Vec<String>, String> {
        const MARK: &str = "devloop-digest-to-come";
        let mut vars = self.template_vars();
        let known = self.build_digest.lock().ok().is_some_and(|d| d.is_some());
        if !known {
            vars.set("digest", Ok(MARK.into()));
        }
        let image = self.config.image_name();
        let mut refs = Vec::new();
        for t in &self.config.doc.build.tags {
            let tag = template::render(t.get_ref(), &vars)?.replace(MARK, "{digest}");
            let r = format!("{image}:{tag}");
            if !refs.contains(&r) {
                refs.push(r);
            }
        }
        Ok(refs)
    }

    /// `image:tag` references the build produces.
    pub fn image_refs(&self) -> Result<Vec<String>, String> {
        let image = self.config.image_name();
        Ok(self
            .render(&self.config.doc.build.tags)?
            .into_iter()
            .map(|t| format!("{image}:{t}"))
            .collect())
    }
}

pub use build::step as build_step;
pub use deploy::timeout as deploy_timeout;
pub use test::steps as test_steps;

/// Options from the command line that shape the steps.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub build: BuildArgs,
    /// Only these tests (empty: all).
    pub tests: Vec<String>,
    pub junit: Option<std::path::PathBuf>,
    pub allow_dirty: bool,
    pub deploy: DeployArgs,
}

/// Which parts of the loop a command runs.
fn parts(stage: Stage) -> (bool, bool, bool, bool) {
    // (build, test, release, deploy)
    match stage {
        Stage::Build => (true, false, false, false),
        Stage::Test => (true, true, false, false),
        Stage::Release => (true, false, true, false),
        Stage::Deploy => (false, false, false, true),
        Stage::Ship => (true, true, true, true),
    }
}

/// The parts of this stage that this version of devloop cannot run yet.
pub fn unavailable(project: &Arc<Project>, stage: Stage) -> Vec<&'static str> {
    let (b, t, r, d) = parts(stage);
    let deploy_ok = project.config.target().is_none() || crate::deploy::open(project).is_ok();
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

/// Refuse, before anything runs, a command that needs a part not available yet.
pub fn ensure_available(project: &Arc<Project>, stage: Stage) -> Result<()> {
    let missing = unavailable(project, stage);
    if missing.is_empty() {
        return Ok(());
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

/// What to do about a dirty tree; devloop's own state, tracked by mistake, gets its own fix.
pub fn dirty_hint(files: &[String]) -> String {
    if files.iter().any(|f| f.starts_with(".devloop/")) {
        "devloop's own state (.devloop/) is tracked by git: untrack it with `git rm -r --cached .devloop` and commit (devloop keeps a .gitignore in it so it stays out), or pass --allow-dirty".to_string()
    } else {
        "commit or stash them, or pass --allow-dirty (the release records dirty = true)".to_string()
    }
}

/// Checks that must pass before anything runs: releasing from a dirty tree is refused.
pub fn preflight(project: &Project, stage: Stage, opts: &Options) -> Result<()> {
    let (_, _, releases, _) = parts(stage);
    let allowed = opts.allow_dirty || project.config.doc.release.allow_dirty;
    if releases && !allowed {
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
                .with_hint(dirty_hint(&g.dirty_files)));
            }
        }
    }
    Ok(())
}

/// The steps a command runs, in pipeline order.
pub fn steps(project: &Arc<Project>, stage: Stage, opts: &Options) -> Result<Vec<Step>> {
    let (b, t, r, d) = parts(stage);
    let mut steps = Vec::new();
    let mut gate: Vec<String> = Vec::new();
    if b {
        steps.push(build::step(project, opts));
        gate = vec![build::NAME.to_string()];
    }
    if t {
        let tests = test::steps(project, opts, b)?;
        if !tests.is_empty() {
            gate = tests.iter().map(|s| s.name.clone()).collect();
        }
        steps.extend(tests);
    }
    if r {
        steps.push(release::step(project, opts).needs(gate.clone()));
        gate = vec![release::NAME.to_string()];
    }
    if d {
        steps.push(deploy::step(project, opts)?.needs(gate));
    }
    Ok(steps)
}
