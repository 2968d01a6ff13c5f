//! What `plan` says about a set of services: the graph (each service, its image and what it
//! needs), and per service what a deploy would change, read from what runs now.

use std::sync::Arc;

use serde_json::json;

use crate::deploy::{self, Diff};
use crate::error::Result;
use crate::ops::{Options, Stage};
use crate::release;
use crate::session::Session;

/// `store  image busybox:1.36`, `api  shop-api:abc  needs store`: one line per service.
pub fn graph(project: &Session) -> String {
    let rows: Vec<(String, String, String)> = project
        .config
        .services
        .iter()
        .map(|s| {
            let image = match &s.image {
                Some(i) => format!("{i} (dependency: run, not built)"),
                None => project
                    .config
                    .for_service(&s.name)
                    .map(|c| planned(project, &c))
                    .unwrap_or_default(),
            };
            let needs = if s.needs.is_empty() {
                String::new()
            } else {
                format!("  needs {}", s.needs.join(", "))
            };
            (s.name.clone(), image, needs)
        })
        .collect();
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let mut text = String::from("services (in the order they start):\n");
    for (name, image, needs) in rows {
        text.push_str(&format!("  {name:<width$}  {image}{needs}\n"));
    }
    if !project.config.disabled.is_empty() {
        text.push_str(&format!(
            "  (left out of this environment: {})\n",
            project.config.disabled.join(", ")
        ));
    }
    text
}

/// The image references a service's build makes, as far as they can be told before it runs.
fn planned(project: &Session, cfg: &crate::config::Config) -> String {
    let image = cfg.image_name();
    let vars = project.template_vars(Some("{digest}"));
    let tags: Vec<String> = cfg
        .doc
        .build
        .tags
        .iter()
        .filter_map(|t| crate::template::render(t.get_ref(), &vars).ok())
        .map(|t| format!("{image}:{t}"))
        .collect();
    if tags.is_empty() {
        image
    } else {
        tags.join(", ")
    }
}

/// The graph for `--output json`.
pub fn services_json(project: &Session) -> serde_json::Value {
    json!(project
        .config
        .services
        .iter()
        .map(|s| json!({
            "name": s.name,
            "needs": s.needs,
            "dependency": s.image,
            "image": s.image.clone().unwrap_or_else(|| project.config.for_service(&s.name).map(|c| c.image_name()).unwrap_or_default()),
        }))
        .collect::<Vec<_>>())
}

/// Per service, what the deploy would do: start it, replace its image, or leave it.
pub async fn diff(project: &Arc<Session>, stage: Stage, opts: &Options) -> Result<Diff> {
    diff_to(project, None, stage, opts).await
}

/// The same, for the release `to` (else the latest release of the set).
async fn diff_to(
    project: &Arc<Session>,
    to: Option<&crate::release::Record>,
    stage: Stage,
    opts: &Options,
) -> Result<Diff> {
    let records = if stage == Stage::Deploy {
        release::history(project).await?
    } else {
        Vec::new()
    };
    let record = to.or_else(|| records.iter().rev().find(|r| r.is_set()));
    if project.config.eb_mode == Some(crate::config::EbMode::Bundle) {
        return deploy::beanstalk::diff_set_bundle(project, record).await;
    }
    let chosen = crate::ops::chosen::select(project, &opts.services, !opts.no_deps)?;
    let mut lines = Vec::new();
    let mut details = Vec::new();
    let mut changes = false;
    for s in project.services() {
        let Some(svc) = s.config.this_service().cloned() else {
            continue;
        };
        if !chosen.contains(&svc.name) {
            continue;
        }
        let target = deploy::open(&s)?;
        let running = target.running().await?;
        let now = running.as_ref().and_then(|id| {
            records
                .iter()
                .find(|r| &r.id == id)
                .and_then(|r| r.for_service(&svc.name))
        });
        let (change, line) = match (&svc.image, record.and_then(|r| r.for_service(&svc.name))) {
            (Some(image), _) => match &running {
                Some(r) if r == image => (
                    false,
                    format!("keeps {image} (settings compared at deploy)"),
                ),
                Some(r) => (true, format!("{r} → {image}")),
                None => (true, format!("starts {image}")),
            },
            (None, None) if stage == Stage::Ship => match &running {
                Some(r) => (
                    true,
                    format!("runs {r}; replaced when this run's image differs"),
                ),
                None => (true, "starts the image this run releases".to_string()),
            },
            (None, None) if record.is_none() => (
                true,
                "no release of the set is recorded yet (`devloop release` makes one)".to_string(),
            ),
            (None, None) => (
                true,
                "the release holds no image for it (made before the service existed)".to_string(),
            ),
            (None, Some(new)) => match (&running, &now) {
                (None, _) => (true, format!("starts {} ({})", new.id, new.image)),
                (Some(_), Some(old)) if old.image_id == new.image_id => (
                    false,
                    format!("unchanged: it runs the same image ({})", old.image),
                ),
                (Some(r), _) => (true, format!("{r} → {} ({})", new.id, new.image)),
            },
        };
        changes |= change;
        details.push(json!({ "service": svc.name, "target": target.name(), "running": running, "change": change, "what": line }));
        lines.push(format!("  {} ({}): {line}\n", svc.name, target.name()));
        // A dependency runs its image reference; a built service its part of the release.
        let part = match &svc.image {
            Some(image) => Some(crate::deploy::set::remote_dependency_record(&s, image)),
            None => record.and_then(|r| r.for_service(&svc.name)),
        };
        if let Some(d) = target.diff(part.as_ref()).await? {
            changes |= d.changes;
            lines.push(d.text);
        }
    }
    Ok(Diff {
        changes,
        text: lines.concat(),
        details: json!(details),
    })
}

/// `plan rollback` of a set: the set it would go back to, and per service what would change.
pub fn plan_rollback(
    project: &Arc<Session>,
    runtime: &tokio::runtime::Runtime,
    env: &str,
    args: &super::Request,
    services: &[String],
) -> Result<super::OneStep> {
    crate::ops::pipeline::set_target_ok(project)?;
    let (to, running) = runtime.block_on(crate::ops::rollback::select_set(
        project,
        services,
        args.to.as_deref(),
    ))?;
    let from = running.unwrap_or_else(|| "nothing".into());
    let opts = Options {
        services: services.to_vec(),
        no_deps: true,
        release: Some(to.id.clone()),
        ..Default::default()
    };
    let diff = runtime.block_on(diff_to(project, Some(&to), Stage::Deploy, &opts))?;
    Ok((
        "rollback",
        format!(
            "roll {env} back from {from} to {} through the deploy's graph and its verdict",
            to.id
        ),
        Some(diff),
        json!({ "env": env, "from": from, "to": to.id, "images": to.images() }),
    ))
}

/// `plan dev` over a set: what each save would do.
pub fn plan_dev(project: &Session, env: &str, services: &[String]) -> Result<super::OneStep> {
    let chosen = crate::ops::chosen::select(project, services, true)?;
    Ok((
        "dev",
        format!(
            "start {} in the order of their needs on {env}, then on each save in a service's build context rebuild and redeploy only that service; Ctrl-C leaves each as dev found it",
            chosen.join(" → ")
        ),
        None,
        json!({ "env": env, "services": chosen }),
    ))
}
