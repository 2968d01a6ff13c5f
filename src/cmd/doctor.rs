//! `devloop doctor`: what devloop can see of the config, git and the services it talks to.

use super::Context;
use crate::error::Result;
use crate::git;

pub fn run(ctx: &Context) -> Result<i32> {
    let mut lines = Vec::new();
    let mut report = serde_json::Map::new();
    let mut problems = 0;

    match ctx.load_config() {
        Ok(cfg) => {
            lines.push(format!(
                "ok    config     {} (app {}, environments: {})",
                cfg.source.display,
                cfg.app(),
                if cfg.envs.is_empty() {
                    "none".to_string()
                } else {
                    cfg.envs.join(", ")
                }
            ));
            report.insert(
                "config".into(),
                serde_json::json!({ "ok": true, "path": cfg.source.display }),
            );
        }
        Err(e) => {
            problems += 1;
            lines.push(format!("FAIL  config     {}", e.message));
            report.insert(
                "config".into(),
                serde_json::json!({ "ok": false, "error": e.message }),
            );
        }
    }
    match git::inspect(&ctx.cwd, ctx.ambient.ci_branch()) {
        Ok(g) => {
            lines.push(format!(
                "ok    git        {} on {}{}",
                g.short_sha,
                g.branch.as_deref().unwrap_or("(detached)"),
                if g.dirty { ", uncommitted changes" } else { "" }
            ));
            report.insert("git".into(), serde_json::json!({ "ok": true, "sha": g.sha, "branch": g.branch, "dirty": g.dirty }));
        }
        Err(why) => {
            lines.push(format!(
                "info  git        {why} (tags that use git placeholders need a repository)"
            ));
            report.insert(
                "git".into(),
                serde_json::json!({ "ok": false, "error": why }),
            );
        }
    }
    lines.push("info  docker     daemon checks arrive with the build capability".to_string());

    ctx.printer.document(
        &(lines.join("\n") + "\n"),
        serde_json::Value::Object(report),
    );
    Ok(if problems > 0 { 1 } else { 0 })
}
