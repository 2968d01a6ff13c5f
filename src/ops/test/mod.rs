//! Test steps, one per `[[test]]` entry: host commands ([`host`]), commands in the image
//! ([`image`]), service probes ([`service`]); their output is kept in [`Transcripts`].

mod host;
mod image;
mod service;
mod stack;
mod transcripts;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::build::Built;
use super::Options;
use crate::config::schema::{Test, TestKind};
use crate::docker::container::{self, Spec, TEST_LABEL};
use crate::engine::{Done, Slot, Step, StepCtx, StepPlan};
use crate::error::{Error, Result};
use crate::session::Session;

pub use transcripts::Transcripts;

/// What a `stack` test brings up: every service of the set (with the build that makes its
/// image, or none for a dependency), and the build steps it waits for.
#[derive(Clone, Default)]
pub struct Stack {
    pub services: Vec<(Arc<Session>, Option<Slot<Built>>)>,
    pub needs: Vec<String>,
}

pub const AVAILABLE: bool = true;

/// How long a test may run when it sets no timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

pub fn step_name(test: &str) -> String {
    format!("test:{test}")
}

fn plan(project: &Session, test: &Test) -> StepPlan {
    let image = project
        .image_refs(None)
        .ok()
        .and_then(|r| r.into_iter().next())
        .unwrap_or_else(|| project.config.image_name().to_string());
    let run = test.run.as_deref().unwrap_or("");
    let action = match test.kind {
        TestKind::Host => format!("run `{run}` on the host"),
        TestKind::Image => format!("run `{run}` inside {image}"),
        TestKind::Stack => format!(
            "bring up every service on a private network, wait for each health gate, then run `{run}` with DEVLOOP_URL_<SERVICE> set"
        ),
        TestKind::Service => {
            let port = test.port.unwrap_or(0);
            let probe = match &test.http {
                Some(path) => format!("HTTP GET :{port}{path}"),
                None => "the image HEALTHCHECK".to_string(),
            };
            let then = if run.is_empty() {
                String::new()
            } else {
                format!(", then run `{run}`")
            };
            format!("start {image} as a service, wait for {probe}{then}")
        }
    };
    StepPlan {
        action,
        details: serde_json::to_value(test).unwrap_or(json!(null)),
    }
}

/// One step per selected test. Tests that use the image need the build step when it is part of the run.
pub fn steps(
    project: &Arc<Session>,
    opts: &Options,
    with_build: bool,
    built: &Slot<Built>,
    transcripts: &Transcripts,
    stack: &Stack,
) -> Result<Vec<Step>> {
    let tests = &project.config.doc.tests;
    let names: Vec<&str> = tests.iter().map(|t| t.name.get_ref().as_str()).collect();
    for wanted in &opts.tests {
        if !names.contains(&wanted.as_str()) {
            let mut msg = format!("no test named \"{wanted}\"");
            crate::suggest::append(&mut msg, wanted, names.iter().copied());
            return Err(Error::usage(msg));
        }
    }
    let selected: Vec<&Test> = tests
        .iter()
        .filter(|t| opts.tests.is_empty() || opts.tests.iter().any(|w| w == t.name.get_ref()))
        .collect();
    let mut out = Vec::new();
    for test in selected {
        let mut needs: Vec<String> = test
            .needs
            .iter()
            .filter(|n| opts.tests.is_empty() || opts.tests.contains(n))
            .map(|n| step_name(n))
            .collect();
        match test.kind {
            TestKind::Host => {}
            TestKind::Stack => needs.extend(stack.needs.iter().cloned()),
            _ if with_build => needs.push(super::build::NAME.to_string()),
            _ => {}
        }
        let timeout = Some(test.timeout.map(|d| d.get()).unwrap_or(DEFAULT_TIMEOUT));
        let (p, t) = (project.clone(), test.clone());
        let (b, tr, st) = (built.clone(), transcripts.clone(), stack.clone());
        let step = Step::new(
            step_name(test.name.get_ref()),
            plan(project, test),
            move |ctx| async move { run(&p, &t, &ctx, &b, &tr, &st).await },
        )
        .needs(needs)
        .timeout(timeout);
        out.push(step);
    }
    Ok(out)
}

async fn run(
    project: &Session,
    test: &Test,
    ctx: &StepCtx,
    built: &Slot<Built>,
    transcripts: &Transcripts,
    stack: &Stack,
) -> Result<Done> {
    let name = test.name.get_ref();
    let env: Vec<(String, String)> = test
        .env
        .iter()
        .map(|(k, v)| (k.clone(), v.value().to_string()))
        .collect();
    let workdir = project
        .config
        .root
        .join(test.workdir.as_deref().unwrap_or("."));
    let run_cmd = test.run.clone().unwrap_or_default();
    match test.kind {
        TestKind::Host => {
            let code = host::host_command(transcripts, ctx, name, &run_cmd, &env, &workdir).await?;
            exit_result(code.into(), &run_cmd, "")
        }
        TestKind::Image => image::image_test(project, test, ctx, built, &env, transcripts).await,
        TestKind::Service => {
            service::service_test(project, test, ctx, built, &env, &workdir, transcripts).await
        }
        TestKind::Stack => {
            stack::stack_test(project, test, ctx, stack, &env, &workdir, transcripts).await
        }
    }
}

fn exit_result(code: i64, cmd: &str, where_: &str) -> Result<Done> {
    let result = serde_json::json!({ "command": cmd, "exit_code": code, "passed": code == 0 });
    if code == 0 {
        Ok(Done::new(format!("`{cmd}` passed{where_}")).with_result(result))
    } else {
        let mut e = Error::failed(format!("`{cmd}` exited with code {code}{where_}"));
        e.result = Some(Box::new(result));
        Err(e)
    }
}

/// The image the tests run: what this run built, else what the tags name.
fn image_ref(project: &Session, built: &Slot<Built>) -> Result<String> {
    if let Some(b) = built.peek() {
        return Ok(b.first_ref().to_string());
    }
    project
        .image_refs(None)
        .map_err(|why| Error::usage_because("cannot name the image to test", why))?
        .into_iter()
        .next()
        .ok_or_else(|| Error::usage("build.tags is empty"))
}

fn spec(
    project: &Session,
    test: &str,
    image: &str,
    cmd: Option<&str>,
    env: &[(String, String)],
    port: Option<u16>,
) -> Spec {
    let app = project.config.app();
    Spec {
        image: image.to_string(),
        name: container::unique_name(&format!("devloop-test-{app}-{test}")),
        cmd: cmd.map(|c| vec!["sh".into(), "-c".into(), c.into()]),
        env: env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        labels: HashMap::from([(TEST_LABEL.to_string(), format!("{app}/{test}"))]),
        publish: port.into_iter().collect(),
        ..Default::default()
    }
}
