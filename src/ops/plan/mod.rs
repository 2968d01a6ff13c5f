//! `devloop plan`: the steps a command would run and what each would do, with no side effects.
//! Targets with live state (ECS) are read with read-only calls and their changes shown as a diff;
//! nothing else touches the network. `--output json` gives a stable document (`format: 1`).

mod set;

use serde_json::json;

use super::pipeline;
use super::{runtime, Context};
use super::{Options, Stage};
use crate::config::TargetKind;
use crate::deploy::{self, Diff};
use crate::engine::{Runner, Step};
use crate::error::{ExitStatus, Result};
use crate::release;
use crate::session::Session;

/// What `plan` can plan: a stage of the loop, or a command that deploys outside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Stage(Stage),
    Rollback,
    Dev,
    Provision,
    Destroy,
}

/// What `devloop plan` is asked.
#[derive(Debug, Clone)]
pub struct Request {
    pub subject: Subject,
    /// With `rollback`: the release to go back to.
    pub to: Option<String>,
    /// Exit 1 when deploying would change the target (pull-request gates).
    pub exit_code: bool,
}

/// `--exit-code`: a plan with changes ends as a failed check (exit 1).
fn changes(asked: bool, changes: bool) -> ExitStatus {
    ExitStatus::check(!(asked && changes))
}

/// What the deploy would change on a target with live state: for `plan deploy` the release it
/// would deploy (the latest), for `plan ship` the one being made.
fn live_diff(
    project: &std::sync::Arc<Session>,
    stage: Stage,
    opts: &Options,
) -> Result<Option<Diff>> {
    if !matches!(stage, Stage::Deploy | Stage::Ship) || project.config.target().is_none() {
        return Ok(None);
    }
    if project.config.multi {
        return runtime()?
            .block_on(set::diff(project, stage, opts))
            .map(Some);
    }
    let Ok(target) = deploy::open(project) else {
        return Ok(None);
    };
    runtime()?.block_on(async {
        let records = if stage == Stage::Deploy {
            release::history(project).await?
        } else {
            Vec::new()
        };
        // The release `deploy` would take: the latest (none yet: the one being made).
        let record = records.last();
        target.diff(record).await
    })
}

/// `plan rollback` and `plan dev`: one step each, said in the words the command would use, with
/// the target's diff for a rollback.
fn run_other(ctx: &Context, args: &Request, services: &[String]) -> Result<ExitStatus> {
    let project = ctx.session()?;
    let cfg = &project.config;
    let env = cfg.require_env()?.to_string();
    let runtime = runtime()?;
    let (name, action, diff, details) =
        if matches!(args.subject, Subject::Provision | Subject::Destroy) {
            let (name, (action, diff)) = match args.subject {
                Subject::Provision => (
                    "provision",
                    runtime.block_on(super::provision::plan(&project))?,
                ),
                _ => (
                    "destroy",
                    runtime.block_on(super::provision::plan_destroy(&project))?,
                ),
            };
            let details = diff.details.clone();
            (name, action, Some(diff), details)
        } else if cfg.multi {
            match args.subject {
                Subject::Rollback => set::plan_rollback(&project, &runtime, &env, args, services)?,
                _ => set::plan_dev(&project, &env, services)?,
            }
        } else {
            let target = deploy::open(&project)?;
            match args.subject {
                Subject::Rollback => {
                    plan_rollback(&project, target.as_ref(), &runtime, &env, args)?
                }
                _ => plan_dev(&project, target.as_ref(), &runtime, &env)?,
            }
        };
    let doc = json!({
        "format": 1,
        "devloop": env!("CARGO_PKG_VERSION"),
        "command": name,
        "config": cfg.source.display,
        "app": cfg.app(),
        "env": cfg.env,
        "target": cfg.target().map(|t| t.as_str()),
        "steps": [{ "name": name, "needs": [], "action": action, "details": details, "available": true }],
        "changes": diff.as_ref().map(|d| d.changes),
        "diff": diff.as_ref().map(|d| json!({ "text": d.text, "details": d.details })),
    });
    let mut text = format!(
        "plan for `devloop {name}`: app {}, env {env}, config {}\n\n 1. {name}  {action}\n",
        cfg.app(),
        cfg.source.display
    );
    if matches!(args.subject, Subject::Rollback | Subject::Provision) {
        if let Some(line) = crate::notifications::plan_line(cfg) {
            text.push_str(&format!("\n{line}"));
        }
    }
    if let Some(d) = &diff {
        text.push_str(&format!("\nchanges on the target:\n{}", d.text));
    }
    ctx.printer.document(&text, doc);
    let changed = match &diff {
        Some(d) => d.changes,
        None => args.subject == Subject::Rollback,
    };
    Ok(changes(args.exit_code, changed))
}

/// One step of `plan rollback` or `plan dev`: its name, what it would do, the target's diff, and
/// the step's details.
pub(super) type OneStep = (&'static str, String, Option<Diff>, serde_json::Value);

/// `plan rollback`: the release it would roll back to, and the diff on the target.
fn plan_rollback(
    project: &std::sync::Arc<Session>,
    target: &dyn deploy::Target,
    runtime: &tokio::runtime::Runtime,
    env: &str,
    args: &Request,
) -> Result<OneStep> {
    let (to, running) =
        runtime.block_on(super::rollback::select(project, target, args.to.as_deref()))?;
    let from = running.unwrap_or_else(|| "nothing".into());
    let diff = runtime.block_on(target.diff(Some(&to)))?;
    Ok((
        "rollback",
        format!(
            "roll {env} back from {from} to {} ({}) through the deploy path and its verdict: {}",
            to.id,
            to.image,
            target.describe()
        ),
        diff,
        json!({ "env": env, "from": from, "to": to.id, "image": to.image }),
    ))
}

/// `plan dev`: what each save would do on the environment's local target.
fn plan_dev(
    project: &Session,
    target: &dyn deploy::Target,
    runtime: &tokio::runtime::Runtime,
    env: &str,
) -> Result<OneStep> {
    let cfg = &project.config;
    if let Some(t @ (TargetKind::Ecs | TargetKind::Beanstalk)) = cfg.target() {
        return Err(crate::error::Error::usage(format!(
            "devloop dev runs on a local target, and environment \"{env}\" deploys to {}",
            t.as_str()
        ))
        .with_hint("choose an environment whose deploy.target is docker or swarm with -e"));
    }
    let running = runtime.block_on(target.running())?;
    let now = match &running {
        Some(r) => format!("it runs release {r} now: dev holds the environment's deploy lock while it runs and puts {r} back when it stops"),
        None => "nothing runs there now: dev removes what it started when it stops".into(),
    };
    Ok((
        "dev",
        format!(
            "on each save in {}: build (skipped when the image does not change), the host and image tests with --test, then replace {} ({}); {now}",
            cfg.context_dir().display(),
            target.name(),
            target.describe()
        ),
        None,
        json!({ "env": env, "target": target.name(), "running": running }),
    ))
}

pub fn run(ctx: &Context, args: &Request) -> Result<ExitStatus> {
    let Subject::Stage(stage) = args.subject else {
        return run_other(ctx, args, &ctx.services);
    };
    let project = ctx.session()?;
    let opts = Options {
        services: ctx.services.clone(),
        ..Options::default()
    };
    let (steps, _) = pipeline::steps(&project, stage, &opts)?;
    Runner::validate(&steps)?;
    let unavailable = pipeline::unavailable(&project, stage);
    let diff = live_diff(&project, stage, &opts)?;
    let plan = Plan {
        project: &project,
        stage,
        steps: &steps,
        unavailable: &unavailable,
        diff: diff.as_ref(),
    };
    ctx.printer.document(&plan.text(), plan.document());
    // --exit-code: 1 when the deploy would change the target; without a live diff it may.
    let changed = match &diff {
        Some(d) => d.changes,
        None => matches!(stage, Stage::Deploy | Stage::Ship),
    };
    Ok(changes(args.exit_code, changed))
}

/// What `plan` says about a stage of the loop, as a JSON document and as text.
struct Plan<'a> {
    project: &'a Session,
    stage: Stage,
    steps: &'a [Step],
    /// Steps this version cannot run yet.
    unavailable: &'a [&'static str],
    /// What the deploy would change on the target, when it can be told.
    diff: Option<&'a Diff>,
}

impl Plan<'_> {
    fn document(&self) -> serde_json::Value {
        let (project, stage, diff) = (self.project, self.stage, self.diff);
        let cfg = &project.config;
        let git = match &project.git {
            Ok(g) => {
                json!({ "sha": g.sha, "short_sha": g.short_sha, "branch": g.branch, "tag": g.tag, "dirty": g.dirty })
            }
            Err(why) => json!({ "error": why }),
        };
        let image = match project.planned_refs() {
            _ if cfg.multi => json!(null),
            Ok(refs) => json!({ "name": cfg.image_name(), "refs": refs }),
            Err(why) => json!({ "name": cfg.image_name(), "refs": null, "error": why }),
        };
        let step_docs: Vec<serde_json::Value> = self
            .steps
            .iter()
            .map(|s| {
                let part = s.name.split(':').next().unwrap_or(&s.name);
                json!({
                    "name": s.name,
                    "needs": s.needs,
                    "timeout": s.timeout.map(|t| humantime::format_duration(t).to_string()),
                    "action": s.plan.action,
                    "details": s.plan.details,
                    "available": !self.unavailable.contains(&part),
                })
            })
            .collect();
        json!({
            "format": 1,
            "devloop": env!("CARGO_PKG_VERSION"),
            "command": stage.as_str(),
            "config": cfg.source.display,
            "app": cfg.app(),
            "env": cfg.env,
            "envs": cfg.envs,
            "target": cfg.target().map(|t| t.as_str()),
            "git": git,
            "image": image,
            "services": cfg.multi.then(|| set::services_json(project)),
            "steps": step_docs,
            "resolved": cfg.doc,
            "changes": diff.map(|d| d.changes),
            "diff": diff.map(|d| json!({ "text": d.text, "details": d.details })),
        })
    }

    fn text(&self) -> String {
        let (project, stage) = (self.project, self.stage);
        let cfg = &project.config;
        let mut text = String::new();
        let env = cfg.env.as_deref().unwrap_or("(none)");
        text.push_str(&format!(
            "plan for `devloop {}`: app {}, env {env}, config {}\n",
            stage.as_str(),
            cfg.app(),
            cfg.source.display
        ));
        match &project.git {
            Ok(g) => text.push_str(&format!(
                "git:   {} on {}{}{}\n",
                g.short_sha,
                g.branch.as_deref().unwrap_or("(detached)"),
                g.tag
                    .as_ref()
                    .map(|t| format!(", tag {t}"))
                    .unwrap_or_default(),
                if g.dirty {
                    " (uncommitted changes)"
                } else {
                    " (clean)"
                }
            )),
            Err(why) => text.push_str(&format!("git:   none ({why})\n")),
        }
        if cfg.multi {
            text.push_str(&set::graph(project));
        } else {
            match project.planned_refs() {
                Ok(refs) => text.push_str(&format!("image: {}\n", refs.join(", "))),
                Err(why) => text.push_str(&format!(
                    "image: {} (tags cannot be computed: {why})\n",
                    cfg.image_name()
                )),
            }
        }
        text.push('\n');
        text.push_str(&self.step_lines());
        if !self.unavailable.is_empty() {
            text.push_str(&format!(
                "\nnot available yet in this version: {} (running `devloop {}` exits 2 and changes nothing)\n",
                self.unavailable.join(", "),
                stage.as_str()
            ));
        }
        if matches!(stage, Stage::Deploy | Stage::Ship) {
            if let Some(line) = crate::notifications::plan_line(cfg) {
                text.push_str(&format!("\n{line}"));
            }
        }
        if let Some(d) = self.diff {
            text.push_str(&format!("\nchanges on the target:\n{}", d.text));
        }
        text
    }

    /// ` 1. build  build web:abc from Dockerfile`, one line per step, with what it waits for.
    fn step_lines(&self) -> String {
        let width = self.steps.iter().map(|s| s.name.len()).max().unwrap_or(4);
        let mut text = String::new();
        for (i, s) in self.steps.iter().enumerate() {
            let needs = if s.needs.is_empty() {
                String::new()
            } else {
                format!("  (after {})", s.needs.join(", "))
            };
            text.push_str(&format!(
                "{:>2}. {:<width$}  {}{needs}\n",
                i + 1,
                s.name,
                s.plan.action
            ));
        }
        text
    }
}
