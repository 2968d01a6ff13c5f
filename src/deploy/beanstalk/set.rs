//! A set of services in ONE Elastic Beanstalk environment: one compose bundle holding every
//! service, one application version, one update, and today's verdict and rollback for the bundle
//! as a whole. Not a walk: the platform starts the services itself, in their `depends_on` order.
//!
//! What goes where: each built service's image is the set's release pinned by digest (anything
//! else is refused); a dependency (`image` without `build`) runs from its reference as the file
//! gives it, said in the plan and the log, since it is not released. Environment values every
//! service shares are the environment's properties (read from `.env`); a service's own plain
//! values go into its compose `environment:`; a secret of one service only is refused, since the
//! bundle lands in S3.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::compose::{self, ComposeService};
use super::{bundle, Beanstalk};
use crate::config::schema::{BeanstalkTarget, MaybeSecret};
use crate::config::ENV_NAMESPACE;
use crate::deploy::set::SetDeployment;
use crate::deploy::{Deployment, Diff, Locking, Outcome, Rollout, Target};
use crate::engine::{Done, StepCtx};
use crate::error::{Error, Result};
use crate::release::Record;
use crate::session::Session;

/// The set's bundle, ready to build: the compose services and the environment's settings.
pub(super) struct SetBundle {
    pub eb: Beanstalk,
    pub services: Vec<ComposeService>,
    /// Dependencies run by a reference not pinned by digest, for the log and the plan.
    pub unpinned: Vec<String>,
    pub compose: String,
}

/// Deploy (or, with `rollback`, put back) the set's release `record` to the one environment
/// every service runs in. `services`: what `-s` chose; a bundle holds the whole set, so a part of
/// it is refused.
pub async fn deploy_set_bundle(
    project: &Arc<Session>,
    record: &Record,
    services: &[String],
    ctx: &StepCtx,
    lock: Locking,
    rollback: bool,
) -> Result<Done> {
    whole_set_only(project, services)?;
    let set = prepare(project, Some(record))?;
    for n in &set.unpinned {
        ctx.warn(n.clone());
    }
    let how = Rollout::within_timeout(project, lock);
    let c = set.eb.clients().await?;
    let env = set.eb.live(&c.eb).await?;
    let bundle = build(project, &set).await?;
    ctx.log(format!(
        "one bundle for {} services ({}) in environment {}",
        set.services.len(),
        names(&set.services),
        set.eb.name()
    ));
    let outcome = set
        .eb
        .rollout_bundle(&c, env, record, &bundle, ctx, how.deadline)
        .await?;
    into_done(project, &set, record, outcome, rollback)
}

/// `plan` of a set in one environment: the bundle's compose file, then the version and option
/// settings that would change. `record`: `None` for the release this run makes.
pub async fn diff_set_bundle(project: &Arc<Session>, record: Option<&Record>) -> Result<Diff> {
    let set = prepare(project, record)?;
    let c = set.eb.clients().await?;
    let env = set.eb.live(&c.eb).await?;
    let bundle = build(project, &set).await?;
    let mut diff = set.eb.diff_bundle(&c, &env, &bundle, record).await?;
    let mut text = format!(
        "one bundle for the set in environment {} (docker-compose.yml):\n",
        set.eb.name()
    );
    for line in set.compose.lines() {
        text.push_str(&format!("  | {line}\n"));
    }
    for n in &set.unpinned {
        text.push_str(&format!("note: {n}\n"));
    }
    text.push_str(&diff.text);
    diff.text = text;
    diff.details["compose"] = json!(set.compose);
    diff.details["services"] = json!(set
        .services
        .iter()
        .map(|s| json!({ "service": s.name, "image": s.image, "public": s.public }))
        .collect::<Vec<_>>());
    Ok(diff)
}

fn whole_set_only(project: &Session, chosen: &[String]) -> Result<()> {
    let all = project.config.services.iter().map(|s| &s.name);
    let missing: Vec<&String> = all
        .filter(|n| !chosen.is_empty() && !chosen.contains(n))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::usage(format!(
        "every service of the set runs in one Elastic Beanstalk environment as one bundle, so a part of it cannot be deployed alone (-s leaves out {})",
        missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    ))
    .with_hint("deploy the whole set (without -s), or give each service an environment of its own (deploy.beanstalk.environment per service)"))
}

fn names(services: &[ComposeService]) -> String {
    services
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The compose services and the environment's settings for `record` (`None`: images to come).
pub(super) fn prepare(project: &Arc<Session>, record: Option<&Record>) -> Result<SetBundle> {
    let cfg = &project.config;
    let settings: Vec<(&str, &BeanstalkTarget)> = cfg
        .services
        .iter()
        .filter_map(|s| Some((s.name.as_str(), s.doc.deploy.beanstalk.as_ref()?)))
        .collect();
    let Some((_, first)) = settings.first() else {
        return Err(Error::usage(
            "target \"beanstalk\" needs [deploy.beanstalk] with application and environment",
        ));
    };
    let shared_env = common_env(&settings);
    // Environment properties are the values every service shares; the rest are each service's.
    let mut eb_settings = (*first).clone();
    eb_settings.env = shared_env.clone();
    eb_settings.port = None;
    let own_port = |s: &BeanstalkTarget| {
        s.port
            .filter(|p| cfg.doc.deploy.beanstalk.as_ref().and_then(|b| b.port) != Some(*p))
    };
    let needed: Vec<&str> = cfg
        .services
        .iter()
        .flat_map(|s| s.needs.iter().map(String::as_str))
        .collect();
    let explicit: Vec<&str> = settings
        .iter()
        .filter(|(_, s)| own_port(s).is_some())
        .map(|(n, _)| *n)
        .collect();
    let sinks: Vec<&str> = cfg
        .services
        .iter()
        .filter(|s| !s.is_dependency() && !needed.contains(&s.name.as_str()))
        .map(|s| s.name.as_str())
        .collect();
    let public = match (explicit.as_slice(), sinks.as_slice()) {
        ([one], _) | ([], [one]) => one.to_string(),
        _ => {
            return Err(Error::usage(format!(
                "cannot tell which service of the set Elastic Beanstalk's proxy reaches (host port 80): {}",
                if explicit.len() > 1 {
                    format!("{} each set deploy.beanstalk.port", explicit.join(", "))
                } else {
                    format!("no service or several need nothing ({})", sinks.join(", "))
                }
            ))
            .with_hint("set deploy.beanstalk.port on the one service the environment serves, and on no other"))
        }
    };
    let mut services = Vec::new();
    let mut unpinned = Vec::new();
    let eb = Beanstalk {
        project: project.clone(),
        settings: eb_settings,
    };
    for svc in &cfg.services {
        let own = svc.doc.deploy.beanstalk.as_ref();
        let image = match (&svc.image, record) {
            (Some(image), _) => {
                if !image.contains("@sha256:") {
                    unpinned.push(format!(
                        "{}: the dependency runs {image} as the file names it (not released, so not pinned by digest)",
                        svc.name
                    ));
                }
                image.clone()
            }
            (None, Some(r)) => {
                let mine = r.for_service(&svc.name).ok_or_else(|| {
                    Error::usage(format!(
                        "release {} has no image for service \"{}\" (it was made before the service existed)",
                        r.id, svc.name
                    ))
                    .with_hint("release the set again with `devloop release`")
                })?;
                eb.check_record(&mine)?;
                if !mine.image.contains("@sha256:") {
                    return Err(Error::usage(format!(
                        "release {}: the image of service \"{}\" is {}, not pinned by digest; a bundle runs only what was released, by digest",
                        r.id, svc.name, mine.image
                    ))
                    .with_hint("release the set to a registry (`devloop release`), which records each image by digest"));
                }
                mine.image
            }
            (None, None) => format!("{} ({})", crate::deploy::IMAGE_TO_COME, svc.name),
        };
        let mut env = Vec::new();
        for (k, v) in own.map(|b| &b.env).into_iter().flatten() {
            if shared_env.contains_key(k) {
                continue;
            }
            if v.is_secret() {
                return Err(Error::usage(format!(
                    "services.{}.deploy.beanstalk.env.{k} is secret and set for this service only; the set's bundle is stored in S3, so devloop does not write it into docker-compose.yml",
                    svc.name
                ))
                .with_hint(format!("set {k} in the shared [deploy.beanstalk.env] with the same value for every service: it becomes an environment property, which every service reads from .env")));
            }
            env.push((k.clone(), v.value().to_string()));
        }
        let docker = svc.doc.deploy.docker.as_ref();
        let health =
            Some(svc.doc.deploy.health.clone()).filter(|h| h.command.is_some() || h.http.is_some());
        services.push(ComposeService {
            name: svc.name.clone(),
            image,
            port: own.and_then(|b| b.port).or(svc.doc.deploy.health.port),
            public: svc.name == public,
            env,
            health,
            needs: Vec::new(),
            command: docker.and_then(|d| d.command.clone()).unwrap_or_default(),
            volumes: docker.map(|d| d.volumes.clone()).unwrap_or_default(),
        });
    }
    let probed: Vec<(String, bool)> = services
        .iter()
        .map(|s| (s.name.clone(), s.health_test().is_some()))
        .collect();
    for (s, svc) in services.iter_mut().zip(&cfg.services) {
        s.needs = svc
            .needs
            .iter()
            .filter_map(|n| probed.iter().find(|(p, _)| p == n).cloned())
            .collect();
    }
    let env_file = !eb.settings.env.is_empty() || eb.settings.options.contains_key(ENV_NAMESPACE);
    let compose = compose::text(&services, env_file);
    Ok(SetBundle {
        eb,
        services,
        unpinned,
        compose,
    })
}

/// The environment values every service has, with the same value (the shared table's, unless a
/// service changed them).
fn common_env(settings: &[(&str, &BeanstalkTarget)]) -> BTreeMap<String, MaybeSecret> {
    let Some((_, first)) = settings.first() else {
        return BTreeMap::new();
    };
    first
        .env
        .iter()
        .filter(|(k, v)| {
            settings.iter().all(|(_, s)| {
                s.env
                    .get(*k)
                    .is_some_and(|o| o.value() == v.value() && o.is_secret() == v.is_secret())
            })
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Build the zip off the async threads.
async fn build(project: &Session, set: &SetBundle) -> Result<bundle::Bundle> {
    let root = project.config.root.clone();
    let s = set.eb.settings.clone();
    let compose = set.compose.clone();
    tokio::task::spawn_blocking(move || bundle::build_set(&root, &s, &compose))
        .await
        .map_err(|e| Error::failed_because("building the bundle stopped", e))?
}

/// The bundle's verdict as the set's, every service carrying it (exit codes as for one image).
fn into_done(
    project: &Session,
    set: &SetBundle,
    record: &Record,
    outcome: Outcome,
    rollback: bool,
) -> Result<Done> {
    let cfg = &project.config;
    let verdict = outcome.verdict();
    let deployments: Vec<Deployment> = set
        .services
        .iter()
        .map(|s| Deployment {
            env: cfg.env_name().to_string(),
            target: cfg.target().map(crate::config::TargetKind::as_str),
            service: Some(s.name.clone()),
            name: set.eb.name(),
            release: record.id.clone(),
            image: s.image.clone(),
            verdict,
        })
        .collect();
    let all: Vec<String> = set.services.iter().map(|s| s.name.clone()).collect();
    let result = SetDeployment {
        env: cfg.env_name().to_string(),
        release: record.id.clone(),
        verdict,
        services: deployments,
        restored: match &outcome {
            Outcome::RolledBack(_) => all.clone(),
            _ => Vec::new(),
        },
        not_restored: Vec::new(),
    };
    let whole = format!("the set ({})", all.join(", "));
    let outcome = match outcome {
        Outcome::Deployed(m) => Outcome::Deployed(format!(
            "{} {}: {m}",
            if rollback { "rolled back" } else { "deployed" },
            whole
        )),
        Outcome::Unchanged(m) => Outcome::Unchanged(format!("{whole}: {m}")),
        Outcome::RolledBack(mut f) => {
            f.message = format!("the set is back on its previous release: {}", f.message);
            Outcome::RolledBack(f)
        }
        Outcome::Failed(mut f) => {
            f.message = format!("{whole}: {}", f.message);
            Outcome::Failed(f)
        }
        Outcome::TimedOut(mut f) => {
            f.message = format!("{whole}: {}", f.message);
            Outcome::TimedOut(f)
        }
    };
    // The one mapping from verdicts to exit codes; the result is the set's.
    let json = serde_json::to_value(&result).unwrap_or(serde_json::Value::Null);
    let one = Deployment {
        env: cfg.env_name().to_string(),
        target: cfg.target().map(crate::config::TargetKind::as_str),
        service: None,
        name: set.eb.name(),
        release: record.id.clone(),
        image: String::new(),
        verdict,
    };
    match outcome.into_done(one) {
        Ok(done) => Ok(done.with_result(result)),
        Err(mut e) => {
            e.result = Some(Box::new(json));
            Err(e)
        }
    }
}
