//! Test steps, one per `[[test]]` entry: host commands, commands in the image, service probes.

use std::sync::Arc;

use serde_json::json;

use super::{Options, Project};
use crate::config::did_you_mean;
use crate::config::schema::{Test, TestKind};
use crate::engine::{Step, StepPlan};
use crate::error::{Error, Result};

pub const AVAILABLE: bool = false;

pub fn step_name(test: &str) -> String {
    format!("test:{test}")
}

fn plan(project: &Project, test: &Test) -> StepPlan {
    let image = project
        .image_refs()
        .ok()
        .and_then(|r| r.into_iter().next())
        .unwrap_or_else(|| project.config.image_name().to_string());
    let run = test.run.as_deref().unwrap_or("");
    let action = match test.kind {
        TestKind::Host => format!("run `{run}` on the host"),
        TestKind::Image => format!("run `{run}` inside {image}"),
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
pub fn steps(project: &Arc<Project>, opts: &Options, with_build: bool) -> Result<Vec<Step>> {
    let tests = &project.config.doc.tests;
    let names: Vec<&str> = tests.iter().map(|t| t.name.get_ref().as_str()).collect();
    for wanted in &opts.tests {
        if !names.contains(&wanted.as_str()) {
            let mut msg = format!("no test named \"{wanted}\"");
            if let Some(best) = did_you_mean(wanted, names.iter().copied()) {
                msg.push_str(&format!(" — did you mean \"{best}\"?"));
            }
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
        if with_build && test.kind != TestKind::Host {
            needs.push(super::build::NAME.to_string());
        }
        let timeout = test.timeout.map(|d| d.get());
        let step = Step::new(
            step_name(test.name.get_ref()),
            plan(project, test),
            |_ctx| async move { Err(Error::not_available("the test step")) },
        )
        .needs(needs)
        .timeout(timeout);
        out.push(step);
    }
    Ok(out)
}
