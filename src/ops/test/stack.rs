//! `kind = "stack"` tests: the whole set of services brought up on a private network, every
//! health gate awaited, then a host command run with each service's URL.
//!
//! The set runs as the docker target would run it, with what a test must not share with a
//! deployment swapped out: a network of its own (`<app>-test-…`), fresh volumes for named ones,
//! and ports published on loopback at free host ports. Services start in graph order, each once
//! what it needs is healthy by the deploy gate's own definition ([`health::judge`]). Whatever
//! the test made is removed however it ends (passed, failed, never healthy, timed out,
//! interrupted), and from `Drop` if the step is abandoned.

mod layout;
mod up;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::host::host_command;
use super::{image_ref, Stack, Transcripts};
use crate::config::schema::Test;
use crate::deploy::health::{self, Gate, Health};
use crate::docker::container::{self, TEST_LABEL};
use crate::engine::{Done, Slot, StepCtx};
use crate::error::{Error, ExitKind, Result};
use crate::ops::build::Built;
use crate::session::Session;
use up::Up;

/// Default wait for every service to be healthy when a test sets none.
const DEFAULT_READY: Duration = Duration::from_secs(60);
/// Lines of a service's output shown with a failure.
const TAIL: usize = 15;

/// One service of the set, as the test runs it.
struct Member {
    name: String,
    session: Arc<Session>,
    /// The image: what this run built, the tags' image, or the dependency's (by ID).
    image: String,
    /// The image as the file names it.
    shown: String,
}

/// Bring the set up, run the test's command against it, and remove all of it.
pub(super) async fn stack_test(
    project: &Session,
    test: &Test,
    ctx: &StepCtx,
    stack: &Stack,
    env: &[(String, String)],
    workdir: &Path,
    transcripts: &Transcripts,
) -> Result<Done> {
    let name = test.name.get_ref();
    let app = project.config.app();
    let daemon = project.daemon().await?.clone();
    let labels = HashMap::from([(TEST_LABEL.to_string(), format!("{app}/{name}"))]);
    let mut up = Up::new(&daemon, labels);
    let result = bring_up_and_run(
        project,
        test,
        ctx,
        stack,
        env,
        workdir,
        transcripts,
        &mut up,
    )
    .await;
    if let Err(e) = &result {
        if e.kind != ExitKind::Interrupted {
            ctx.progress("removing the test's containers, volumes and network");
        }
    }
    let removed = up.teardown().await;
    match (result, removed) {
        (Ok(done), Ok(())) => Ok(done),
        (Ok(_), Err(e)) => Err(e),
        (Err(e), Ok(())) => Err(e),
        (Err(mut e), Err(r)) => {
            e.detail.push(r.message);
            Err(e)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn bring_up_and_run(
    project: &Session,
    test: &Test,
    ctx: &StepCtx,
    stack: &Stack,
    env: &[(String, String)],
    workdir: &Path,
    transcripts: &Transcripts,
    up: &mut Up,
) -> Result<Done> {
    let name = test.name.get_ref();
    let members = members(project, stack, ctx).await?;
    let run = container::unique_name(&format!("{}-test", project.config.app()));
    let say = |line: String| {
        transcripts.push(name, &line);
        ctx.log(line);
    };
    ctx.progress(format!("making network {run}"));
    up.network(&run).await?;
    let limit = test
        .ready_timeout
        .map(|d| d.get())
        .unwrap_or(DEFAULT_READY)
        .min(test.timeout.map(|d| d.get()).unwrap_or(Duration::MAX));
    let started = Instant::now();
    let deadline = crate::config::duration::deadline_in(limit);
    let mut urls: Vec<(String, String)> = Vec::new();
    for m in &members {
        ctx.check_cancelled()?;
        let doc = &m.session.config.doc;
        let (spec, mounts) = layout::spec(&run, &m.name, doc, &m.image, up.labels());
        for v in &mounts.volumes {
            up.volume(v).await?;
        }
        ctx.progress(format!("starting {} ({})", m.name, m.shown));
        let of = |e: Error| e.context(format!("service \"{}\"", m.name));
        let c = up.container(&m.name, spec).await.map_err(of)?;
        c.start().await.map_err(of)?;
        let gate = Gate::new(&doc.deploy.health);
        let took = Instant::now();
        let verdict = health::judge(c, &gate, deadline, Some(ctx)).await;
        let verdict = verdict.map_err(|e| match e.kind {
            ExitKind::Interrupted => e,
            _ => of(e),
        })?;
        match verdict {
            Health::Healthy(how) => say(format!(
                "{}: healthy by {how} in {:.1}s",
                m.name,
                took.elapsed().as_secs_f64()
            )),
            verdict => return Err(not_healthy(&m.name, &verdict, limit, c.tail(TAIL).await)),
        }
        if let Some(port) = layout::url_port(doc) {
            let host_port = c.host_port(port).await.map_err(of)?;
            let url = format!("http://127.0.0.1:{host_port}");
            say(format!("{}={url}", layout::url_var(&m.name)));
            urls.push((m.name.clone(), url));
        }
    }
    let ready_in = started.elapsed();
    let cmd = test.run.clone().unwrap_or_default();
    let mut env = env.to_vec();
    env.extend(
        urls.iter()
            .map(|(svc, url)| (layout::url_var(svc), url.clone())),
    );
    env.push(("DEVLOOP_STACK_NETWORK".into(), run.clone()));
    let code = host_command(transcripts, ctx, name, &cmd, &env, workdir).await?;
    let services: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    let result = json!({
        "command": cmd,
        "exit_code": code,
        "passed": code == 0,
        "network": run,
        "services": services,
        "urls": urls.iter().cloned().collect::<HashMap<_, _>>(),
    });
    if code != 0 {
        let mut e = Error::failed(format!(
            "`{cmd}` exited with code {code} against {}",
            services.join(", ")
        ));
        e.result = Some(Box::new(result));
        for (svc, c) in up.containers() {
            e.detail.extend(tail_lines(svc, c.tail(TAIL).await));
        }
        return Err(e);
    }
    // A service that went down while the checks ran fails the test, as in a service test.
    for (svc, c) in up.containers() {
        let st = c.state().await?;
        if !st.running {
            return Err(Error::failed(format!(
                "the checks passed but service \"{svc}\" exited (code {}) while they ran",
                st.exit_code
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| "?".into())
            ))
            .with_detail(tail_lines(svc, c.tail(TAIL).await)));
        }
    }
    Ok(Done::new(format!(
        "`{cmd}` passed against {} (healthy in {:.1}s)",
        services.join(", "),
        ready_in.as_secs_f64()
    ))
    .with_result(result))
}

/// Every service of the set in graph order, with the image it runs: the build of this run, the
/// image its tags name when it was not built here (`-s` left it out), or the dependency's image
/// (pulled when the daemon does not have it).
async fn members(project: &Session, stack: &Stack, ctx: &StepCtx) -> Result<Vec<Member>> {
    let mut out = Vec::new();
    for svc in &project.config.services {
        let given = stack
            .services
            .iter()
            .find(|(s, _)| s.config.service.as_deref() == Some(svc.name.as_str()))
            .cloned();
        let (session, slot) = match given {
            Some(g) => g,
            None => match project.for_service(&svc.name) {
                Some(s) => (s, None),
                None => continue,
            },
        };
        let (image, shown) = match &svc.image {
            Some(image) => {
                ctx.progress(format!("looking for {image} ({})", svc.name));
                let pulled = tokio::select! {
                    biased;
                    _ = ctx.cancel.cancelled() => return Err(Error::interrupted()),
                    r = crate::deploy::set::dependency_record(&session, image, ctx) => r,
                };
                let id = pulled
                    .map_err(|e| e.context(format!("service \"{}\"", svc.name)))?
                    .image_id;
                (id, image.clone())
            }
            None => {
                let built = slot.unwrap_or_else(|| Slot::<Built>::new("build"));
                let image = image_ref(&session, &built)?;
                (image.clone(), image)
            }
        };
        out.push(Member {
            name: svc.name.clone(),
            session,
            image,
            shown,
        });
    }
    Ok(out)
}

/// The failure of a service that was not healthy: which one, the verdict, and its last lines.
fn not_healthy(service: &str, verdict: &Health, limit: Duration, tail: Vec<String>) -> Error {
    let e = match verdict {
        Health::Starting(why) => Error::failed(format!(
            "service \"{service}\" was not healthy within {} (still {}: {why})",
            humantime::format_duration(limit),
            verdict.label()
        ))
        .with_hint("raise the test's ready_timeout, or check the service's [deploy.health]"),
        _ => Error::failed(format!(
            "service \"{service}\" never became healthy ({}: {})",
            verdict.label(),
            verdict.reason()
        )),
    };
    e.with_detail(tail_lines(service, tail))
}

fn tail_lines(service: &str, tail: Vec<String>) -> Vec<String> {
    if tail.is_empty() {
        return Vec::new();
    }
    let mut out = vec![format!("last lines of service \"{service}\":")];
    out.extend(tail.into_iter().map(|l| format!("  {l}")));
    out
}
