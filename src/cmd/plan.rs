//! `devloop plan`: the steps a command would run and what each would do, with no side effects and
//! no network. `--output json` gives a stable document (`format: 1`) for CI and tests.

use serde_json::json;

use super::Context;
use crate::cli::Stage;
use crate::engine::Runner;
use crate::error::Result;
use crate::pipeline::{self, Options};

pub fn run(ctx: &Context, stage: Stage) -> Result<i32> {
    let project = ctx.project()?;
    let steps = pipeline::steps(&project, stage, &Options::default())?;
    Runner::validate(&steps)?;
    let cfg = &project.config;
    let unavailable = pipeline::unavailable(&project, stage);

    let git = match &project.git {
        Ok(g) => {
            json!({ "sha": g.sha, "short_sha": g.short_sha, "branch": g.branch, "tag": g.tag, "dirty": g.dirty })
        }
        Err(why) => json!({ "error": why }),
    };
    let image = match project.planned_refs() {
        Ok(refs) => json!({ "name": cfg.image_name(), "refs": refs }),
        Err(why) => json!({ "name": cfg.image_name(), "refs": null, "error": why }),
    };
    let step_docs: Vec<serde_json::Value> = steps
        .iter()
        .map(|s| {
            let part = s.name.split(':').next().unwrap_or(&s.name);
            json!({
                "name": s.name,
                "needs": s.needs,
                "timeout": s.timeout.map(|t| humantime::format_duration(t).to_string()),
                "action": s.plan.action,
                "details": s.plan.details,
                "available": !unavailable.contains(&part),
            })
        })
        .collect();
    let doc = json!({
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
        "steps": step_docs,
        "resolved": cfg.doc,
    });

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
    match project.planned_refs() {
        Ok(refs) => text.push_str(&format!("image: {}\n", refs.join(", "))),
        Err(why) => text.push_str(&format!(
            "image: {} (tags cannot be computed: {why})\n",
            cfg.image_name()
        )),
    }
    text.push('\n');
    let width = steps.iter().map(|s| s.name.len()).max().unwrap_or(4);
    for (i, s) in steps.iter().enumerate() {
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
    if !unavailable.is_empty() {
        text.push_str(&format!(
            "\nnot available yet in this version: {} (running `devloop {}` exits 2 and changes nothing)\n",
            unavailable.join(", "),
            stage.as_str()
        ));
    }
    ctx.printer.document(&text, doc);
    Ok(0)
}
