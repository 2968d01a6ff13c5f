//! Creating a set's Cloud Map namespace, where ECS Service Connect registers each service under
//! its name. Cloud Map creates it asynchronously: the operation is followed until it succeeds.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_servicediscovery::types::{OperationStatus, OperationTargetType, Tag};

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

/// Create the HTTP namespace `name`, tagged, and return its ARN once Cloud Map has made it (read
/// by the id the operation names, never by a listing that may lag). A failure after the
/// namespace may exist (the wait ran out) returns its ARN with the error when it is found and
/// carries devloop's tags, so the caller deletes it with the rest.
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
        .map(str::to_string)
        .ok_or_else(|| {
            (
                None,
                Error::failed(format!(
                    "Cloud Map accepted namespace {name} and named no operation to follow"
                )),
            )
        })?;
    let what = format!("Cloud Map namespace {name} to be created");
    let made = match operation(env, &op, &what, ctx, deadline).await {
        Ok(targets) => match targets.get(&OperationTargetType::Namespace) {
            Some(id) => namespace_arn_by_id(env, id).await,
            None => Err(Error::failed(format!(
                "Cloud Map created namespace {name} and did not say its id"
            ))),
        },
        Err(e) => Err(e),
    };
    match made {
        Ok(arn) => Ok(arn),
        Err(e) => {
            // Made, or about to be: deleted with the rest, but only when it is devloop's own
            // (a namespace of that name made by someone else meanwhile is left alone).
            let ours = match super::super::find::namespace(env, name).await {
                Ok(r) => match r.exists {
                    crate::provision::Exists::Ours(arn) => Some(arn),
                    _ => None,
                },
                Err(_) => None,
            };
            Err((ours, e))
        }
    }
}

/// The ARN of the namespace whose id is `id`.
async fn namespace_arn_by_id(env: &Env, id: &str) -> Result<String> {
    let out = env
        .clients
        .sd
        .get_namespace()
        .id(id)
        .send()
        .await
        .map_err(|e| sdk_error(&format!("cannot read Cloud Map namespace {id}"), e))?;
    out.namespace()
        .and_then(|n| n.arn())
        .map(str::to_string)
        .ok_or_else(|| Error::failed(format!("Cloud Map returned no ARN for namespace {id}")))
}

/// Follow the Cloud Map operation `id` until it succeeds; its failure is an error with Cloud
/// Map's reason. A throttled or failed read is no news.
pub(in crate::provision::ecs) async fn operation(
    env: &Env,
    id: &str,
    what: &str,
    ctx: &StepCtx,
    deadline: Instant,
) -> Result<HashMap<OperationTargetType, String>> {
    wait::until(ctx, deadline, what, PACE, || async {
        let out = match env.clients.sd.get_operation().operation_id(id).send().await {
            Ok(out) => out,
            // A throttled or failed read is no news; a refusal (access denied, no such
            // operation) is an answer.
            Err(e) => {
                return wait::unless_lasting(sdk_error(
                    &format!("cannot read Cloud Map operation {id}"),
                    e,
                ))
            }
        };
        let Some(op) = out.operation() else {
            return Ok(Look::NotYet(None));
        };
        match op.status() {
            Some(OperationStatus::Success) => {
                Ok(Look::Done(op.targets().cloned().unwrap_or_default()))
            }
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
