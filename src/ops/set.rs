//! The loop over a set of services (`[services.<name>]`): a build, tests and a push per service,
//! one release record for the set, and one deploy that walks the graph. Step names carry the
//! service: `build:api`, `test:api:unit`, `release:api`.

use std::sync::Arc;

use super::chosen::select;
use super::stage::{parts, Options, Stage};
use super::{build, deploy, release, test};
use crate::engine::{Slot, Step};
use crate::error::{Error, Result};
use crate::session::Session;

/// `build` → `build:<service>`; `test:unit` → `test:<service>:unit`.
fn scope(name: &str, service: &str) -> String {
    match name.split_once(':') {
        Some((head, rest)) => format!("{head}:{service}:{rest}"),
        None => format!("{name}:{service}"),
    }
}

/// A step of one service, renamed with its needs to carry the service.
fn scoped(mut step: Step, service: &str) -> Step {
    step.name = scope(&step.name, service);
    step.needs = step.needs.iter().map(|n| scope(n, service)).collect();
    step
}

/// The tests of `service` that `--test` selects (`name` or `service:name`); `None` when it
/// selects none of them.
fn service_tests(opts: &Options, project: &Session, service: &str) -> Option<Options> {
    if opts.tests.is_empty() {
        return Some(opts.clone());
    }
    let own: Vec<&str> = project
        .config
        .doc
        .tests
        .iter()
        .map(|t| t.name.get_ref().as_str())
        .collect();
    let tests: Vec<String> = opts
        .tests
        .iter()
        .filter_map(|w| match w.split_once(':') {
            Some((svc, name)) if svc == service => Some(name.to_string()),
            Some(_) => None,
            None => own.contains(&w.as_str()).then(|| w.clone()),
        })
        .collect();
    (!tests.is_empty()).then(|| Options {
        tests,
        ..opts.clone()
    })
}

/// The steps of a command over the set.
pub fn steps(
    project: &Arc<Session>,
    stage: Stage,
    opts: &Options,
) -> Result<(Vec<Step>, test::Transcripts)> {
    let (b, t, r, d) = parts(stage);
    let t = t && !opts.skip_tests;
    let chosen = select(project, &opts.services, false)?;
    let sessions: Vec<Arc<Session>> = project
        .services()
        .into_iter()
        .filter(|s| {
            s.config
                .service
                .as_ref()
                .is_some_and(|n| chosen.contains(n))
        })
        .collect();
    let transcripts = test::Transcripts::default();
    let mut steps = Vec::new();
    let mut built: Vec<(Arc<Session>, Slot<build::Built>)> = Vec::new();
    let mut stack = test::Stack::default();
    for s in &sessions {
        let name = s.config.service.clone().unwrap_or_default();
        if s.config.this_service().is_some_and(|x| x.is_dependency()) {
            stack.services.push((s.clone(), None));
            continue;
        }
        let slot = Slot::new(&scope(build::NAME, &name));
        if b {
            steps.push(scoped(build::step(s, &slot), &name).fail_fast());
            stack.needs.push(scope(build::NAME, &name));
        }
        stack.services.push((s.clone(), Some(slot.clone())));
        built.push((s.clone(), slot));
    }
    let mut tests = Vec::new();
    if t {
        tests.extend(service_test_steps(opts, b, &built, &transcripts)?);
        tests.extend(app_test_steps(project, opts, &built, &transcripts, &stack)?);
    }
    let mut gate: Vec<String> = tests.iter().map(|s| s.name.clone()).collect();
    steps.extend(tests);
    if r {
        let mut pushes = Vec::new();
        let mut names = Vec::new();
        for (s, slot) in &built {
            let name = s.config.service.clone().unwrap_or_default();
            let out = Slot::new(&scope(release::NAME, &name));
            let mut needs = gate.clone();
            if b {
                needs.push(scope(build::NAME, &name));
            }
            let step = scoped(release::push_step(s, slot, &out), &name).needs(needs);
            names.push(step.name.clone());
            steps.push(step);
            pushes.push((s.clone(), out));
        }
        steps.push(release::set_step(project, pushes).needs(names));
        gate = vec![release::NAME.to_string()];
    } else if b && gate.is_empty() {
        gate = steps.iter().map(|s| s.name.clone()).collect();
    }
    if d {
        steps.push(deploy::set_step(project, opts)?.needs(gate));
    }
    Ok((steps, transcripts))
}

/// Each service's own tests, named for the service.
fn service_test_steps(
    opts: &Options,
    with_build: bool,
    built: &[(Arc<Session>, Slot<build::Built>)],
    transcripts: &test::Transcripts,
) -> Result<Vec<Step>> {
    let mut out = Vec::new();
    for (s, slot) in built {
        let name = s.config.service.clone().unwrap_or_default();
        let Some(o) = service_tests(opts, s, &name) else {
            continue;
        };
        let steps = test::steps(s, &o, with_build, slot, transcripts, &Default::default())?;
        out.extend(steps.into_iter().map(|st| scoped(st, &name)));
    }
    Ok(out)
}

/// The app's own tests: host commands, and stack tests over the whole set.
fn app_test_steps(
    project: &Arc<Session>,
    opts: &Options,
    built: &[(Arc<Session>, Slot<build::Built>)],
    transcripts: &test::Transcripts,
    stack: &test::Stack,
) -> Result<Vec<Step>> {
    let own: Vec<&str> = project
        .config
        .doc
        .tests
        .iter()
        .map(|t| t.name.get_ref().as_str())
        .collect();
    // Names that select no test anywhere are refused, with the choices.
    for w in &opts.tests {
        let in_service = built.iter().any(|(s, _)| {
            let name = s.config.service.clone().unwrap_or_default();
            service_tests(
                &Options {
                    tests: vec![w.clone()],
                    ..opts.clone()
                },
                s,
                &name,
            )
            .is_some()
        });
        if !in_service && !own.contains(&w.as_str()) {
            return Err(Error::usage(format!(
                "no test named \"{w}\" (name a service's test as <service>:<test>)"
            )));
        }
    }
    let o = Options {
        tests: opts
            .tests
            .iter()
            .filter(|w| own.contains(&w.as_str()))
            .cloned()
            .collect(),
        ..opts.clone()
    };
    if !opts.tests.is_empty() && o.tests.is_empty() {
        return Ok(Vec::new());
    }
    let unused = Slot::new("build");
    test::steps(project, &o, false, &unused, transcripts, stack)
}
