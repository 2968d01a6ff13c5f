//! What ECS says during a rollout, printed once each: the service's new events, and the tasks of
//! the new revision that stopped, with their reasons and exit codes.

use std::collections::HashSet;

use aws_sdk_ecs::types::{DesiredStatus, Service};
use aws_sdk_ecs::Client;

use super::verdict::revision;
use super::Ecs;
use crate::aws::sdk_error;
use crate::engine::StepCtx;
use crate::error::{Error, Result};

impl Ecs {
    /// Print service events and stopped tasks of `ours` that were not printed before; returns
    /// the lines printed, and why the stopped tasks could not be read if they could not. The
    /// events are printed either way: they say why ECS failed or rolled back a deployment.
    pub(super) async fn report(
        &self,
        client: &Client,
        svc: &Service,
        ours: &str,
        events: &mut HashSet<String>,
        stopped: &mut HashSet<String>,
        ctx: &StepCtx,
    ) -> (Vec<String>, Option<Error>) {
        let mut said = Vec::new();
        let mut fresh: Vec<_> = svc
            .events()
            .iter()
            .filter(|e| e.id().is_some_and(|id| events.insert(id.to_string())))
            .collect();
        // DescribeServices lists events newest first, often several within one second.
        fresh.reverse();
        fresh.sort_by_key(|e| e.created_at().map(|t| (t.secs(), t.subsec_nanos())));
        for e in fresh {
            said.push(format!("event: {}", e.message().unwrap_or_default()));
        }
        let unread = match self.stopped_tasks(client, ours, stopped).await {
            Ok(tasks) => {
                said.extend(tasks);
                None
            }
            Err(e) => Some(e),
        };
        said.iter().for_each(|l| ctx.log(l.clone()));
        (said, unread)
    }

    /// Tasks of revision `ours` that stopped and are not in `skip` (each added to it), with the
    /// stopped reason and every container's exit code.
    pub(super) async fn stopped_tasks(
        &self,
        client: &Client,
        ours: &str,
        skip: &mut HashSet<String>,
    ) -> Result<Vec<String>> {
        let s = &self.settings;
        let arns = client
            .list_tasks()
            .cluster(&s.cluster)
            .service_name(&s.service)
            .desired_status(DesiredStatus::Stopped)
            .send()
            .await
            .map_err(|e| sdk_error("cannot list stopped tasks", e))?
            .task_arns
            .unwrap_or_default();
        let new: Vec<String> = arns.into_iter().filter(|a| !skip.contains(a)).collect();
        if new.is_empty() {
            return Ok(Vec::new());
        }
        let tasks = client
            .describe_tasks()
            .cluster(&s.cluster)
            .set_tasks(Some(new))
            .send()
            .await
            .map_err(|e| sdk_error("cannot describe stopped tasks", e))?;
        let mut said = Vec::new();
        for t in tasks.tasks() {
            let arn = t.task_arn().unwrap_or_default().to_string();
            skip.insert(arn.clone());
            if t.task_definition_arn() != Some(ours) {
                continue;
            }
            let exits: Vec<String> = t
                .containers()
                .iter()
                .map(|c| {
                    format!(
                        "{} exit {}{}",
                        c.name().unwrap_or("?"),
                        c.exit_code()
                            .map(|x| x.to_string())
                            .unwrap_or_else(|| "-".into()),
                        c.reason().map(|r| format!(" ({r})")).unwrap_or_default()
                    )
                })
                .collect();
            said.push(format!(
                "task {} stopped: {}{}",
                revision(&arn),
                t.stopped_reason().unwrap_or("no reason given"),
                if exits.is_empty() {
                    String::new()
                } else {
                    format!("; {}", exits.join(", "))
                }
            ));
        }
        Ok(said)
    }
}
