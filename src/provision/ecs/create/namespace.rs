//! Creating a set's Cloud Map namespace, where ECS Service Connect registers each service under
//! its name. Cloud Map creates it asynchronously: the operation is followed until it succeeds.

use std::time::{Duration, Instant, SystemTime};

use aws_sdk_servicediscovery::types::{OperationStatus, Tag};

use super::super::Env;
use crate::aws::sdk_error;
use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::provision::wait::{self, Look};

/// How often an operation is looked at: Cloud Map's take seconds.
const PACE: wait::Pace = wait::Pace {
    first: Duration::from_secs(1),
    most: Duration::from_secs(10),
};

/// Create the HTTP namespace `name`, tagged, and return its ARN once Cloud Map has made it. A
/// failure after the namespace may exist (the wait ran out) returns its ARN with the error when
/// it can be found, so the caller deletes it with the rest.
pub(super) async fn create(
    env: &Env,
    name: &str,
    ctx: &StepCtx,
    deadline: Instant,
) -> std::result::Result<String, (Option<String>, Error)> {
    let sd = &env.clients.sd;
    // The same request asked twice (an SDK retry) makes one namespace.
    let nonce = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut req = sd
        .create_http_namespace()
        .name(name)
        .creator_request_id(format!("devloop-{nonce:x}"))
        .description("made by devloop provision: ECS Service Connect names of the set's services");
    for (k, v) in env.tags() {
        let tag = Tag::builder()
            .key(k)
            .value(v)
            .build()
            .map_err(|e| (None, Error::failed(e.to_string())))?;
        req = req.tags(tag);
    }
    let op = req
        .send()
        .await
        .map_err(|e| {
            (
                None,
                sdk_error(&format!("cannot create Cloud Map namespace {name}"), e),
            )
        })?
        .operation_id()
        .unwrap_or_default()
        .to_string();
    let made = operation(
        env,
        &op,
        &format!("Cloud Map namespace {name} to be created"),
        ctx,
        deadline,
    )
    .await;
    match made {
        Ok(()) => match super::super::find::namespace_arn(env, name).await {
            Ok(Some(arn)) => Ok(arn),
            Ok(None) => Err((
                None,
                Error::failed(format!(
                    "Cloud Map reported namespace {name} created, and does not list it"
                )),
            )),
            Err(e) => Err((None, e)),
        },
        Err(e) => {
            let arn = super::super::find::namespace_arn(env, name)
                .await
                .ok()
                .flatten();
            Err((arn, e))
        }
    }
}

/// Follow the Cloud Map operation `id` until it succeeds; its failure is an error with Cloud
/// Map's reason. A throttled or failed read is no news.
pub(in crate::provision::ecs) async fn operation(
    env: &Env,
    id: &str,
    what: &str,
    ctx: &StepCtx,
    deadline: Instant,
) -> Result<()> {
    wait::until(ctx, deadline, what, PACE, || async {
        let Ok(out) = env.clients.sd.get_operation().operation_id(id).send().await else {
            return Ok(Look::NotYet(None));
        };
        let Some(op) = out.operation() else {
            return Ok(Look::NotYet(None));
        };
        match op.status() {
            Some(OperationStatus::Success) => Ok(Look::Done(())),
            Some(OperationStatus::Fail) => Err(Error::failed(format!(
                "Cloud Map could not finish: {}{}",
                op.error_code()
                    .map(|c| format!("{c}: "))
                    .unwrap_or_default(),
                op.error_message().unwrap_or("no reason given")
            ))),
            Some(s) => Ok(Look::NotYet(Some(s.as_str().to_lowercase()))),
            None => Ok(Look::NotYet(None)),
        }
    })
    .await
}

/// The namespace's id (`ns-…`), the last part of its ARN.
pub(in crate::provision::ecs) fn id_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}
