//! `devloop doctor`: what devloop can see of the config, git and the services it talks to.
//!
//! The config is checked by the same loader and the same pipeline validation as every command, so
//! doctor never calls a config ok that `devloop plan` refuses. A config error is exit 2, after the
//! other checks have been printed.

use std::sync::Arc;

use super::pipeline;
use super::Context;
use super::Stage;
use crate::config::Config;
use crate::docker::Daemon;
use crate::engine::Runner;
use crate::error::{Error, ExitStatus, Result};
use crate::git;
use crate::session::Session;

/// What doctor found: the lines it prints, the JSON document, and how many checks failed.
#[derive(Default)]
struct Findings {
    lines: Vec<String>,
    report: serde_json::Map<String, serde_json::Value>,
    problems: usize,
}

pub fn run(ctx: &Context) -> Result<ExitStatus> {
    let mut found = Findings::default();
    let config = ctx.load_config();
    let config_error = check_config(ctx, &config, &mut found);
    check_git(ctx, &mut found);
    let runtime = super::runtime()?;
    check_docker(ctx, &runtime, &mut found);
    // AWS, when the config uses it: an ECR registry, an S3 ledger, or an AWS target.
    if let Ok(cfg) = &config {
        check_aws(ctx, cfg, &runtime, &mut found);
    }
    ctx.printer.document(
        &(found.lines.join("\n") + "\n"),
        serde_json::Value::Object(found.report),
    );
    // A config error is the one every command would stop on: exit 2, with its location and hint.
    if let Some(e) = config_error {
        return Err(e);
    }
    Ok(ExitStatus::check(found.problems == 0))
}

/// The config, loaded and checked as `plan` checks it; its error, if any, ends doctor with exit 2.
fn check_config(ctx: &Context, config: &Result<Config>, found: &mut Findings) -> Option<Error> {
    let checked = match config {
        Ok(cfg) => loop_check(ctx, cfg).map(|note| (cfg, note)),
        Err(e) => Err(e.clone()),
    };
    match checked {
        Ok((cfg, note)) => {
            found.lines.push(format!(
                "ok    config     {} (app {}, environments: {})",
                cfg.source.display,
                cfg.app(),
                if cfg.envs.is_empty() {
                    "none".to_string()
                } else {
                    cfg.envs.join(", ")
                }
            ));
            if let Some(note) = &note {
                found.lines.push(format!("info  deploy     {note}"));
            }
            found.report.insert(
                "config".into(),
                serde_json::json!({ "ok": true, "path": cfg.source.display, "note": note }),
            );
            None
        }
        Err(e) => {
            found.lines.push(format!("FAIL  config     {}", e.message));
            found.report.insert(
                "config".into(),
                serde_json::json!({ "ok": false, "error": e.message, "exit_code": e.kind.code() }),
            );
            Some(e)
        }
    }
}

/// The repository the tags' git placeholders read; none is a note, not a problem.
fn check_git(ctx: &Context, found: &mut Findings) {
    match git::inspect(&ctx.cwd, ctx.ambient.ci_branch()) {
        Ok(g) => {
            found.lines.push(format!(
                "ok    git        {} on {}{}",
                g.short_sha,
                g.branch.as_deref().unwrap_or("(detached)"),
                if g.dirty { ", uncommitted changes" } else { "" }
            ));
            found.report.insert("git".into(), serde_json::json!({ "ok": true, "sha": g.sha, "branch": g.branch, "dirty": g.dirty }));
        }
        Err(why) => {
            found.lines.push(format!(
                "info  git        {why} (tags that use git placeholders need a repository)"
            ));
            found.report.insert(
                "git".into(),
                serde_json::json!({ "ok": false, "error": why }),
            );
        }
    }
}

/// The Docker daemon, reached as every command reaches it.
fn check_docker(ctx: &Context, runtime: &tokio::runtime::Runtime, found: &mut Findings) {
    match runtime.block_on(docker_report(&ctx.ambient)) {
        Ok((line, json)) => {
            found.lines.push(format!("ok    docker     {line}"));
            found.report.insert("docker".into(), json);
        }
        Err(e) => {
            found.problems += 1;
            found.lines.push(format!("FAIL  docker     {}", e.message));
            if let Some(h) = &e.hint {
                found.lines.push(format!("                 {h}"));
            }
            found.report.insert(
                "docker".into(),
                serde_json::json!({ "ok": false, "error": e.message }),
            );
        }
    }
}

/// AWS credentials and region, when the config uses AWS.
fn check_aws(ctx: &Context, cfg: &Config, runtime: &tokio::runtime::Runtime, found: &mut Findings) {
    let Some(why) = uses_aws(cfg) else {
        return;
    };
    match runtime.block_on(crate::aws::sdk_config(&cfg.doc.aws, &ctx.ambient)) {
        Ok(sdk) => {
            let region = sdk.region().map(|r| r.to_string()).unwrap_or_default();
            found.lines.push(format!(
                "ok    aws        credentials resolve, region {region} (needed for {why})"
            ));
            found.report.insert(
                "aws".into(),
                serde_json::json!({ "ok": true, "region": region, "needed_for": why }),
            );
        }
        Err(e) => {
            found.problems += 1;
            found
                .lines
                .push(format!("FAIL  aws        {} (needed for {why})", e.message));
            if let Some(h) = &e.hint {
                found.lines.push(format!("                 {h}"));
            }
            found.report.insert(
                "aws".into(),
                serde_json::json!({ "ok": false, "error": e.message, "needed_for": why }),
            );
        }
    }
}

/// What `devloop plan` checks past the loader: the steps of the whole loop and how they depend on
/// each other, the environment and its deploy target. A config with no environments and no
/// target builds, tests and releases; that is a note, not an error.
fn loop_check(ctx: &Context, cfg: &Config) -> Result<Option<String>> {
    let project = Arc::new(Session::new(
        cfg.clone(),
        ctx.ambient.clone(),
        &ctx.overrides,
    ));
    let (stages, note) = if cfg.target().is_none() && cfg.envs.is_empty() {
        (
            &[Stage::Test, Stage::Release][..],
            Some("no deploy target: build, test and release work; deploy, ship and plan need deploy.target (docker, swarm, ecs or beanstalk)".to_string()),
        )
    } else {
        (&[Stage::Ship][..], None)
    };
    for stage in stages {
        let (steps, _) = pipeline::steps(&project, *stage, &super::Options::default())?;
        Runner::validate(&steps)?;
    }
    Ok(note)
}

/// What in the config needs AWS, if anything.
fn uses_aws(cfg: &crate::config::Config) -> Option<String> {
    let mut needs = Vec::new();
    if cfg
        .doc
        .release
        .registry
        .as_ref()
        .is_some_and(|r| r.get_ref() == "ecr")
    {
        needs.push("release.registry = \"ecr\"".to_string());
    }
    if cfg.doc.release.ledger.is_some() {
        needs.push("release.ledger".to_string());
    }
    if let Some(t @ (crate::config::TargetKind::Ecs | crate::config::TargetKind::Beanstalk)) =
        cfg.target()
    {
        needs.push(format!("deploy.target = \"{}\"", t.as_str()));
    }
    (!needs.is_empty()).then(|| needs.join(", "))
}

async fn docker_report(ambient: &crate::config::Ambient) -> Result<(String, serde_json::Value)> {
    let daemon = Daemon::connect(ambient).await?;
    let version = daemon
        .client
        .version()
        .await
        .map_err(|e| crate::docker::connect::api_error("cannot read the daemon version", e))?;
    let info = daemon
        .client
        .info()
        .await
        .map_err(|e| crate::docker::connect::api_error("cannot read daemon info", e))?;
    let api = version.api_version.clone().unwrap_or_default();
    let api_num: f64 = api.parse().unwrap_or(0.0);
    // BuildKit needs API 1.39+ on Linux.
    let buildkit = api_num >= 1.39 && version.os.as_deref().unwrap_or("linux") == "linux";
    let driver = info.driver.clone().unwrap_or_default();
    let line =
        format!(
        "Docker Engine {} (API {api}, negotiated {}) at {}, storage driver {driver}, BuildKit {}",
        version.version.clone().unwrap_or_default(),
        daemon.client.client_version(),
        daemon.endpoint.host,
        if buildkit { "supported by the daemon" } else { "not supported" }
    );
    let swarm = match daemon.client.inspect_swarm().await {
        Ok(_) => "this daemon is a swarm manager".to_string(),
        Err(_) => "not a swarm manager (for target \"swarm\": `docker swarm init --advertise-addr 127.0.0.1`)".to_string(),
    };
    let line = format!("{line}; {swarm}");
    let json = serde_json::json!({
        "swarm_manager": !swarm.starts_with("not"),
        "ok": true,
        "host": daemon.endpoint.host,
        "source": daemon.endpoint.source,
        "version": version.version,
        "api_version": api,
        "storage_driver": driver,
        "buildkit": buildkit,
    });
    Ok((line, json))
}
