//! `devloop ci init`: write the pipeline that runs the loop on a CI service (GitHub Actions,
//! GitLab CI, AWS CodeBuild, Jenkins), from what devloop.toml says of the app and of each
//! environment it deploys. One module renders each service's file.

mod codebuild;
mod github;
mod gitlab;
mod jenkins;
mod model;

use std::path::{Path, PathBuf};

use super::Context;
use crate::config::{self, LoadOptions, Source};
use crate::error::{Error, ExitStatus, Result};

use model::Deploy;
pub use model::Pipeline;

/// The CI services `ci init` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Github,
    Gitlab,
    Codebuild,
    Jenkins,
}

impl Platform {
    /// Where the service reads its pipeline, from the root of the repository.
    pub fn path(self) -> &'static str {
        match self {
            Platform::Github => ".github/workflows/devloop.yml",
            Platform::Gitlab => ".gitlab-ci.yml",
            Platform::Codebuild => "buildspec.yml",
            Platform::Jenkins => "Jenkinsfile",
        }
    }

    fn render(self, p: &Pipeline) -> String {
        match self {
            Platform::Github => github::render(p),
            Platform::Gitlab => gitlab::render(p),
            Platform::Codebuild => codebuild::render(p),
            Platform::Jenkins => jenkins::render(p),
        }
    }

    /// What the team fills in before the first run.
    fn to_fill_in(self, p: &Pipeline) -> Vec<String> {
        let mut out = Vec::new();
        let (git, role) = match self {
            Platform::Github => (
                "the repository variable DEVLOOP_GIT (the git URL devloop is installed from), or DEVLOOP_INSTALL at the top of the file",
                "the repository variable AWS_ROLE_ARN: an IAM role GitHub may assume through OIDC",
            ),
            Platform::Gitlab => (
                "the CI/CD variable DEVLOOP_GIT (the git URL devloop is installed from), or DEVLOOP_INSTALL at the top of the file",
                "the CI/CD variable AWS_ROLE_ARN: an IAM role GitLab may assume through OIDC",
            ),
            Platform::Codebuild => (
                "DEVLOOP_GIT at the top of the file (the git URL devloop is installed from), or DEVLOOP_INSTALL",
                "the CodeBuild project's service role: it needs the permissions of the deploys",
            ),
            Platform::Jenkins => (
                "DEVLOOP_GIT at the top of the file (the git URL devloop is installed from), or DEVLOOP_INSTALL",
                "a Jenkins credential of kind \"AWS Credentials\" with the id devloop-aws",
            ),
        };
        out.push(git.to_string());
        if !p.vars.is_empty() {
            out.push(format!(
                "the variables devloop.toml reads without a default: {}",
                p.vars.join(", ")
            ));
        }
        if p.aws() {
            out.push(role.to_string());
            if self != Platform::Codebuild && p.region().is_none() {
                out.push("the variable AWS_REGION (no environment sets aws.region)".to_string());
            }
        }
        out
    }
}

/// What `devloop ci init` is asked.
#[derive(Debug, Clone)]
pub struct Request {
    pub platform: Platform,
    /// The environments to deploy, in order [default: every environment but the default one,
    /// production last].
    pub envs: Vec<String>,
    /// Overwrite the file when it exists.
    pub force: bool,
}

pub fn init(ctx: &Context, req: &Request) -> Result<ExitStatus> {
    let opts = LoadOptions {
        cwd: ctx.cwd.clone(),
        config: ctx.config.clone(),
        env: None,
    };
    let path = config::discover(&opts)?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Error::usage_because(format!("cannot read {}", path.display()), e))?;
    let source = Source::new(&path, text, &ctx.cwd);
    let first = load(ctx, &source, None)?;
    let root = first.root.clone();
    let envs = match req.envs.is_empty() {
        false => req.envs.clone(),
        true => default_envs(&first),
    };
    let mut deploys = Vec::new();
    for env in &envs {
        if deploys.iter().any(|d: &Deploy| &d.env == env) {
            return Err(Error::usage(format!(
                "-e {env} is given twice: each environment is deployed once"
            )));
        }
        deploys.push(Deploy::of(&load(ctx, &source, Some(env))?));
    }
    let pipeline = Pipeline {
        app: first.app().to_string(),
        services: match first.multi {
            true => first.services.iter().map(|s| s.name.clone()).collect(),
            false => Vec::new(),
        },
        deploys,
        vars: config::required_vars(&source)?,
        config_file: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| n != config::FILE_NAME),
    };
    let file = root.join(req.platform.path());
    if file.exists() && !req.force {
        return Err(
            Error::usage(format!("{} already exists", shown(&ctx.cwd, &file)))
                .with_hint("pass --force to overwrite it"),
        );
    }
    let rendered = req.platform.render(&pipeline);
    write(&file, &rendered)?;
    ctx.printer.info(&format!(
        "wrote {}: {}",
        shown(&ctx.cwd, &file),
        summary(req.platform, &pipeline)
    ));
    for item in req.platform.to_fill_in(&pipeline) {
        ctx.printer
            .info(&format!("to set before the first run: {item}"));
    }
    if req.envs.is_empty() && pipeline.deploys.is_empty() {
        ctx.printer.info(if first.envs.is_empty() {
            "no environment is deployed: devloop.toml defines no [env.<name>]; add one for each place you deploy to, then name them with -e NAME (in deploy order)"
        } else {
            "no environment is deployed: devloop.toml has none but the default one; name them with -e NAME (in deploy order)"
        });
    }
    if let Some((top, below)) = repository_root(&root) {
        ctx.printer.warn(&format!(
            "devloop.toml is not at the root of its git repository ({}): the CI service reads {} from the root and runs devloop there, so move both files to the root or add `-C {}` to the devloop commands",
            top.display(),
            req.platform.path(),
            below.display()
        ));
    }
    Ok(ExitStatus::Success)
}

/// One environment of the file (or its default one), read through the one loader. Variables
/// that are unset here may be set on the CI service: an environment that needs one to load is
/// read again with unset variables empty, enough to know its target.
fn load(ctx: &Context, source: &Source, env: Option<&str>) -> Result<config::Config> {
    let ambient = &ctx.ambient;
    match config::load_source(source.clone(), env, &|n| ambient.var(n)) {
        Ok(c) => Ok(c),
        Err(first) => config::load_source(source.clone(), env, &|n| {
            Some(ambient.var(n).unwrap_or_default())
        })
        .map_err(|_| first),
    }
}

/// Without -e: every environment but the default one (a developer's own, usually), in the
/// file's order, production last.
fn default_envs(config: &config::Config) -> Vec<String> {
    let default = config
        .doc
        .app
        .default_env
        .as_ref()
        .map(|d| d.get_ref().as_str());
    let mut envs: Vec<String> = config
        .envs
        .iter()
        .filter(|e| Some(e.as_str()) != default)
        .cloned()
        .collect();
    envs.sort_by_key(|e| model::is_production(e));
    envs
}

/// "build and test on every push and pull request; …".
fn summary(platform: Platform, p: &Pipeline) -> String {
    let mut parts = vec!["build and test on every push and pull request".to_string()];
    let planned: Vec<&str> = p.planned().map(|d| d.env.as_str()).collect();
    if !planned.is_empty() {
        parts.push(format!("plan {} on pull requests", planned.join(", ")));
    }
    if !p.deploys.is_empty() {
        let gated = p.gated(true);
        let order = match platform {
            Platform::Codebuild => p.gated(false).join(", then "),
            _ => p.order(),
        };
        let gate = match (platform, gated.is_empty()) {
            (_, true) => String::new(),
            (Platform::Github, false) => format!(
                " ({} after an approval: add required reviewers to its GitHub environment)",
                gated.join(", ")
            ),
            (Platform::Gitlab | Platform::Jenkins, false) => {
                format!(" ({} after a manual approval)", gated.join(", "))
            }
            (Platform::Codebuild, false) => format!(
                "; not {}: its approval is a CodePipeline action, outside a buildspec (see the file's comments)",
                gated.join(", ")
            ),
        };
        if !order.is_empty() {
            parts.push(format!(
                "on the main branch, release and deploy to {order}{gate}"
            ));
        } else {
            parts.push(format!("on the main branch, no deploy{gate}"));
        }
    }
    parts.join("; ")
}

/// A path as the user reads it: relative to where devloop runs when it is below it.
fn shown(cwd: &Path, path: &Path) -> String {
    path.strip_prefix(cwd).unwrap_or(path).display().to_string()
}

/// The root of the git repository `dir` is in, and where `dir` is below it, when it is not the
/// root itself.
fn repository_root(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let repo = git2::Repository::discover(dir).ok()?;
    let top = repo.workdir()?.canonicalize().ok()?;
    let below = dir
        .canonicalize()
        .ok()?
        .strip_prefix(&top)
        .ok()?
        .to_path_buf();
    (!below.as_os_str().is_empty()).then_some((top, below))
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::failed_because(format!("cannot create {}", dir.display()), e))?;
    }
    std::fs::write(path, text)
        .map_err(|e| Error::failed_because(format!("cannot write {}", path.display()), e))
}

#[cfg(test)]
mod tests;
