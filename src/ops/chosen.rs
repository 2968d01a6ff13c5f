//! Which services of a set a command acts on (`-s`, with or without what they need), and what
//! each of them brings to a deploy of the set: its target, its part of the release, what it runs
//! now. `deploy`, `rollback`, `plan`, `monitor` and `dev` choose alike.

use std::sync::Arc;

use super::stage::Options;
use crate::deploy::set::Member;
use crate::error::{Error, Result};
use crate::release::Record;
use crate::session::Session;

/// The services a command acts on: `-s` (checked against the file), else all of them; with
/// `with_needs`, what they need comes along.
pub fn select(project: &Session, wanted: &[String], with_needs: bool) -> Result<Vec<String>> {
    let cfg = &project.config;
    let all: Vec<&str> = cfg.services.iter().map(|s| s.name.as_str()).collect();
    for w in wanted {
        if all.contains(&w.as_str()) {
            continue;
        }
        if cfg.disabled.contains(w) {
            return Err(Error::usage(format!(
                "service \"{w}\" is disabled in environment \"{}\" (enabled = false)",
                cfg.env_name()
            )));
        }
        let mut msg = format!("-s/--service: unknown service \"{w}\"");
        if !crate::suggest::append(&mut msg, w, all.iter().copied()) {
            msg.push_str(&format!(" (services: {})", all.join(", ")));
        }
        return Err(Error::usage(msg));
    }
    if wanted.is_empty() {
        return Ok(all.iter().map(|s| s.to_string()).collect());
    }
    let mut chosen: Vec<String> = wanted.to_vec();
    if with_needs {
        let mut i = 0;
        while i < chosen.len() {
            if let Some(s) = cfg.services.iter().find(|s| s.name == chosen[i]) {
                for n in &s.needs {
                    if !chosen.contains(n) {
                        chosen.push(n.clone());
                    }
                }
            }
            i += 1;
        }
    }
    // In the graph's order.
    Ok(all
        .into_iter()
        .filter(|s| chosen.iter().any(|c| c == s))
        .map(str::to_string)
        .collect())
}

/// Every service a deploy of `record` moves, with its target, its part of the release and what
/// it runs now; `rollback` says the record is an earlier one.
pub async fn members(
    project: &Arc<Session>,
    opts: &Options,
    record: &Record,
    records: &[Record],
    ctx: &crate::engine::StepCtx,
) -> Result<Vec<Member>> {
    if !record.is_set() {
        return Err(Error::usage(format!(
            "release {} holds one image, not the set of services {} defines",
            record.id, project.config.source.display
        ))
        .with_hint("release the set with `devloop release`, then deploy that release"));
    }
    let chosen = select(project, &opts.services, !opts.no_deps)?;
    // Local targets run a dependency from the daemon's image; the others pull it themselves.
    let local = matches!(
        project.config.target(),
        Some(crate::config::TargetKind::Docker | crate::config::TargetKind::Swarm)
    );
    let mut out = Vec::new();
    for s in project.services() {
        let Some(svc) = s.config.this_service().cloned() else {
            continue;
        };
        if !chosen.contains(&svc.name) {
            continue;
        }
        let target = crate::deploy::open(&s)?;
        let ran = target.running().await?;
        let checkpoint = target.checkpoint().await?;
        let (own, previous) = match &svc.image {
            Some(image) if !local => {
                let own = crate::deploy::set::remote_dependency_record(&s, image);
                let previous = ran
                    .as_ref()
                    .filter(|r| *r != image)
                    .map(|r| crate::deploy::set::remote_dependency_record(&s, r));
                (own, previous)
            }
            Some(image) => {
                let own = crate::deploy::set::dependency_record(&s, image, ctx).await?;
                // Another image ran before: that is what a failure puts back.
                let previous = match &ran {
                    Some(r) if r != image => {
                        crate::deploy::set::dependency_record(&s, r, ctx).await.ok()
                    }
                    _ => None,
                };
                (own, previous)
            }
            None => {
                let own = record.for_service(&svc.name).ok_or_else(|| {
                    Error::usage(format!(
                        "release {} has no image for service \"{}\" (it was made before the service existed)",
                        record.id, svc.name
                    ))
                    .with_hint("release the set again with `devloop release`")
                })?;
                let previous = ran.as_ref().and_then(|id| {
                    records
                        .iter()
                        .find(|r| &r.id == id)
                        .and_then(|r| r.for_service(&svc.name))
                });
                (own, previous)
            }
        };
        out.push(Member {
            session: s.clone(),
            target,
            record: own,
            previous,
            ran,
            checkpoint,
            needs: svc.needs.clone(),
            dependency: svc.is_dependency(),
        });
    }
    Ok(out)
}
