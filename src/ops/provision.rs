//! `devloop provision` and `devloop destroy`: from an empty AWS account to what a first deploy
//! needs, and back. Both list every resource first (what `plan provision` / `plan destroy` show),
//! ask on a terminal (`--yes` elsewhere), and own their waits. A provision that fails deletes what
//! it created, last first (exit 3 once gone, 1 naming what is left); a re-run continues from what
//! exists. `destroy` deletes only what devloop's records and tags say it created.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::{runtime, Context};
use crate::deploy::Diff;
use crate::engine::{Done, Runner, Step, StepCtx, StepPlan};
use crate::error::{Error, ExitKind, ExitStatus, Result};
use crate::provision::{self, Exists, Kind, Provisioned, Purpose, Resource, Site};
use crate::session::Session;

/// What `devloop provision` is asked.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Go on without asking (CI).
    pub yes: bool,
    /// Print the resources as a CloudFormation template instead of creating them.
    pub template: bool,
    /// How long the whole provision may take, its waits included [default 15m].
    pub timeout: Option<Duration>,
}

/// What `devloop destroy` is asked.
#[derive(Debug, Clone, Default)]
pub struct DestroyRequest {
    pub yes: bool,
    /// Also the ECR repositories (they hold the releases).
    pub images: bool,
    /// Also the S3 bucket of the release ledger, with every record in it.
    pub ledger: bool,
    /// How long each deletion may wait for what depends on it to be gone [default 10m].
    pub timeout: Option<Duration>,
}

/// What a provision created, as its step's result.
#[derive(Debug, serde::Serialize)]
struct Created {
    created: Vec<provision::Entry>,
}

/// How long one deletion may wait for what depends on it to be gone.
const DELETE_BUDGET: Duration = Duration::from_secs(600);

/// How long a provision may take: a load balancer alone is often minutes becoming active.
const PROVISION_BUDGET: Duration = Duration::from_secs(900);

/// `plan provision`: every resource and what provisioning would do with it.
pub async fn plan(project: &Arc<Session>) -> Result<(String, Diff)> {
    let env = Site::open(project, Purpose::Create).await?;
    let resources = env.resources().await?;
    let missing = resources
        .iter()
        .filter(|r| r.exists == Exists::Missing)
        .count();
    Ok((
        format!(
            "create the {missing} of {} resources {} needs that do not exist yet in {}, tagged {}={} and {}={}",
            resources.len(),
            env.what(),
            env.account().region,
            provision::TAG_APP,
            project.config.app(),
            provision::TAG_ENV,
            project.config.env_name()
        ),
        Diff {
            changes: missing > 0,
            text: provision::render(&resources),
            details: json!(resources),
        },
    ))
}

/// `plan destroy`: what destroy would delete.
pub async fn plan_destroy(project: &Arc<Session>) -> Result<(String, Diff)> {
    let env = Site::open(project, Purpose::Delete).await?;
    let (doomed, orphans) = doomed(project, &env, false, false).await?;
    let text: String = doomed
        .iter()
        .map(|e| format!("  delete  {}  {}\n", e.kind.label(), e.name))
        .collect::<String>()
        + &orphan_lines(&orphans);
    Ok((
        format!(
            "delete the {} resources devloop created for this environment, dependents first",
            doomed.len()
        ),
        Diff {
            changes: !doomed.is_empty(),
            text: if text.is_empty() {
                "  nothing: devloop created nothing here (or it is gone)\n".into()
            } else {
                text
            },
            details: json!(doomed),
        },
    ))
}

/// Ask on a terminal; off one, only `--yes` goes on.
fn confirm(ctx: &Context, yes: bool, question: &str) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() || ctx.printer.is_json() {
        return Err(Error::usage(format!(
            "{question} — not asked off a terminal: nothing was changed"
        ))
        .with_hint("pass --yes to go on without asking (CI)"));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::failed(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Error::usage("not confirmed: nothing was changed"))
    }
}

pub fn run(ctx: &Context, args: &Request) -> Result<ExitStatus> {
    let project = ctx.session()?;
    let runtime = runtime()?;
    if args.template {
        let env = runtime.block_on(Site::open(&project, Purpose::Create))?;
        let text = env.template()?;
        ctx.printer
            .document(&text, serde_json::from_str(&text).unwrap_or(json!(null)));
        return Ok(ExitStatus::Success);
    }
    let env = Arc::new(runtime.block_on(Site::open(&project, Purpose::Create))?);
    let region = env.account().region.clone();
    let resources = runtime.block_on(env.resources())?;
    let missing = resources
        .iter()
        .filter(|r| r.exists == Exists::Missing)
        .count();
    ctx.printer.stderr_line(&format!(
        "provision {} ({}, {}):\n{}",
        project.config.env_name(),
        project.config.app(),
        region,
        provision::render(&resources)
    ));
    if missing > 0 {
        confirm(
            ctx,
            args.yes,
            &format!("create {missing} resource(s) in {region}?"),
        )?;
    }
    let plan = StepPlan {
        action: format!("create {missing} resource(s) in {region}"),
        details: json!({ "resources": resources }),
    };
    let p = project.clone();
    let budget = args.timeout.unwrap_or(PROVISION_BUDGET);
    let step = Step::new("provision", plan, move |sctx| async move {
        create_all(&p, &env, resources, budget, &sctx).await
    });
    let report = runtime.block_on(Runner::new(1, ctx.printer.events()).run(vec![step]))?;
    ctx.printer.summary("provision", &report);
    Ok(report.status())
}

/// Create what is missing, in order; on a failure delete what this run created. On Ctrl-C what
/// it created is kept and recorded (deleting a load balancer takes longer than an interrupted
/// command may): a re-run continues from it, `destroy` removes it.
async fn create_all(
    project: &Arc<Session>,
    env: &Site,
    resources: Vec<Resource>,
    budget: Duration,
    ctx: &StepCtx,
) -> Result<Done> {
    let deadline = crate::config::duration::deadline_in(budget);
    let mut record = Provisioned::read(project).await?;
    let mut known = env.known(&resources).await?;
    // devloop's own resources from an earlier, interrupted run are made ready too (a policy
    // not attached yet, a port not opened): each of those calls is idempotent.
    for r in resources.iter() {
        if let Exists::Ours(id) = &r.exists {
            env.ready(r, id, &known, ctx, deadline)
                .await
                .map_err(|e| e.context(format!("finishing {} {}", r.kind.label(), r.name)))?;
        }
    }
    let mut made: Vec<(Kind, String, String)> = Vec::new();
    let mut failure = None;
    for r in resources.iter().filter(|r| r.exists == Exists::Missing) {
        if ctx.cancel.is_cancelled() {
            failure = Some(Error::interrupted());
            break;
        }
        ctx.progress(format!("creating {} {}", r.kind.label(), r.name));
        match env.create(r, &known, ctx, deadline).await {
            Ok(id) if r.kind.shared() => {
                // The account's own: not devloop's to record, undo or destroy.
                ctx.log(format!("created {} {}", r.kind.label(), r.name));
                known.ids.insert((r.kind, r.name.clone()), id);
            }
            Ok(id) => {
                ctx.log(format!("created {} {}", r.kind.label(), r.name));
                known.ids.insert((r.kind, r.name.clone()), id.clone());
                record.add(r.kind, &r.name, &id);
                // At once: an interrupted run's resources are known to the next one.
                record.save_local(project)?;
                made.push((r.kind, r.name.clone(), id));
            }
            Err((partly, e)) => {
                // Made, then not made ready: deleted with the rest.
                if let Some(id) = partly.filter(|_| !r.kind.shared()) {
                    record.add(r.kind, &r.name, &id);
                    record.save_local(project)?;
                    made.push((r.kind, r.name.clone(), id));
                }
                failure = Some(e.context(format!("creating {} {}", r.kind.label(), r.name)));
                break;
            }
        }
    }
    let Some(failure) = failure else {
        record.save(project).await?;
        let url = resources
            .iter()
            .find(|r| r.kind == Kind::LoadBalancer)
            .map(|_| " (its URL: `devloop monitor`)")
            .unwrap_or("");
        let result = Created {
            created: made
                .iter()
                .map(|(kind, name, id)| provision::Entry {
                    kind: *kind,
                    name: name.clone(),
                    id: id.clone(),
                })
                .collect(),
        };
        return Ok(if made.is_empty() {
            Done::skipped("every resource exists: nothing created")
        } else {
            Done::new(format!("created {} resource(s){url}", made.len()))
        }
        .with_result(result));
    };
    let env_name = project.config.env_name();
    if failure.kind == ExitKind::Interrupted {
        record.save(project).await.ok();
        return Err(Error::new(
            ExitKind::Interrupted,
            format!(
                "interrupted: the {} resource(s) this run created are kept and recorded",
                made.len()
            ),
        )
        .with_hint(format!(
            "`devloop provision -e {env_name}` continues from them; `devloop destroy -e {env_name}` removes them"
        )));
    }
    // Put the account back as it was before this run: what it created, last first.
    let undo = StepCtx {
        name: format!("{}:undo", ctx.name),
        events: ctx.events.clone(),
        cancel: CancellationToken::new(),
    };
    let mut left = Vec::new();
    for (kind, name, id) in made.iter().rev() {
        undo.log(format!(
            "deleting {} {name} (made by this run)",
            kind.label()
        ));
        let until = crate::config::duration::deadline_in(DELETE_BUDGET.min(budget));
        match env.delete(*kind, name, id, &undo, until).await {
            Ok(()) => record.remove(*kind, name),
            Err(e) => left.push(format!("{} {name}: {}", kind.label(), e.message)),
        }
    }
    record.save(project).await.ok();
    if left.is_empty() {
        let mut err = Error::new(
            ExitKind::RolledBack,
            format!(
                "{}; rolled back: the {} resource(s) this run created are deleted again",
                failure.message,
                made.len()
            ),
        );
        err.hint = Some(failure.hint.clone().unwrap_or_else(|| {
            format!("fix the cause and run `devloop provision -e {env_name}` again")
        }));
        Err(err)
    } else {
        Err(Error::failed(format!(
            "{}; and {} resource(s) this run created could not be deleted: {}",
            failure.message,
            left.len(),
            left.join("; ")
        ))
        .with_hint(format!(
            "finish with `devloop destroy -e {env_name} --yes` (it deletes what devloop created, by its records and tags)"
        )))
    }
}

/// What destroy deletes: devloop's records of this environment and the resources found with its
/// tags, never one without them; dependents first. Repositories only with `images`.
async fn doomed(
    project: &Arc<Session>,
    env: &Site,
    images: bool,
    ledger: bool,
) -> Result<(Vec<provision::Entry>, Vec<provision::Entry>)> {
    let record = Provisioned::read(project).await?;
    let found = env.resources().await?;
    let mut out: Vec<provision::Entry> = Vec::new();
    for r in &found {
        if let Exists::Ours(id) = &r.exists {
            out.push(provision::Entry {
                kind: r.kind,
                name: r.name.clone(),
                id: id.clone(),
            });
        }
    }
    // Recorded, and no longer named by devloop.toml (a service removed or renamed): devloop
    // cannot tell from here what they hang on, so it names them instead of guessing.
    let orphans: Vec<provision::Entry> = record
        .created
        .into_iter()
        .filter(|e| !found.iter().any(|r| r.kind == e.kind && r.name == e.name))
        .collect();
    // What holds the releases goes only when asked for by name.
    out.retain(|e| match e.kind {
        Kind::Repository | Kind::BundleBucket => images,
        Kind::LedgerBucket => ledger,
        k => !k.shared(),
    });
    out.sort_by_key(|e| std::cmp::Reverse(e.kind));
    Ok((out, orphans))
}

/// The line for what destroy leaves because devloop.toml no longer names it.
fn orphan_lines(orphans: &[provision::Entry]) -> String {
    orphans
        .iter()
        .map(|e| {
            format!(
                "  left    {}  {} ({}: recorded, but devloop.toml no longer names it)\n",
                e.kind.label(),
                e.name,
                e.id
            )
        })
        .collect()
}

pub fn destroy(ctx: &Context, args: &DestroyRequest) -> Result<ExitStatus> {
    let project = ctx.session()?;
    let runtime = runtime()?;
    let env = Arc::new(runtime.block_on(Site::open(&project, Purpose::Delete))?);
    let region = env.account().region.clone();
    let (doomed, orphans) = runtime.block_on(doomed(&project, &env, args.images, args.ledger))?;
    let ledger_gone = doomed.iter().any(|e| e.kind == Kind::LedgerBucket);
    let listing: String = doomed
        .iter()
        .map(|e| format!("  delete  {}  {}\n", e.kind.label(), e.name))
        .collect::<String>()
        + &orphan_lines(&orphans);
    ctx.printer.stderr_line(&format!(
        "destroy {} ({}, {}):\n{}",
        project.config.env_name(),
        project.config.app(),
        region,
        if listing.is_empty() {
            "  nothing: devloop created nothing here (or it is gone)\n".to_string()
        } else {
            listing
        }
    ));
    if !doomed.is_empty() {
        confirm(
            ctx,
            args.yes,
            &format!("delete {} resource(s) in {region}?", doomed.len()),
        )?;
    }
    let plan = StepPlan {
        action: format!("delete {} resource(s)", doomed.len()),
        details: json!({ "resources": doomed }),
    };
    let p = project.clone();
    let wait = args.timeout.unwrap_or(DELETE_BUDGET);
    let step = Step::new("destroy", plan, move |sctx| async move {
        let mut record = Provisioned::read(&p).await?;
        let mut left = Vec::new();
        for e in &doomed {
            sctx.progress(format!("deleting {} {}", e.kind.label(), e.name));
            let until = crate::config::duration::deadline_in(wait);
            match env.delete(e.kind, &e.name, &e.id, &sctx, until).await {
                Ok(()) => {
                    sctx.log(format!("deleted {} {}", e.kind.label(), e.name));
                    record.remove(e.kind, &e.name);
                }
                Err(err) => left.push(format!("{} {}: {}", e.kind.label(), e.name, err.message)),
            }
        }
        // With the ledger's bucket gone, the record stays on this machine only.
        if ledger_gone {
            record.save_local(&p)?;
        } else {
            record.save(&p).await?;
        }
        if !orphans.is_empty() {
            left.extend(orphans.iter().map(|e| {
                format!(
                    "{} {} ({}) is recorded but devloop.toml no longer names it: put it back in the file and destroy again, or delete it by hand",
                    e.kind.label(),
                    e.name,
                    e.id
                )
            }));
        }
        if !left.is_empty() {
            return Err(Error::failed(format!(
                "{} resource(s) could not be deleted: {}",
                left.len(),
                left.join("; ")
            ))
            .with_hint(format!(
                "run `devloop destroy -e {} --yes` again once the cause is fixed",
                p.config.env_name()
            )));
        }
        Ok(if doomed.is_empty() {
            Done::skipped("nothing to delete")
        } else {
            Done::new(format!("deleted {} resource(s)", doomed.len()))
        })
    });
    let report = runtime.block_on(Runner::new(1, ctx.printer.events()).run(vec![step]))?;
    ctx.printer.summary("destroy", &report);
    Ok(report.status())
}
