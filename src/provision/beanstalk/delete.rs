//! Deleting one Elastic Beanstalk resource devloop created, dependents first by the caller's
//! order: an environment is terminated and waited for until it is gone, then its application.

use std::time::Instant;

use super::Env;
use crate::aws::sdk_error;
use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::provision::wait::{self, Look};
use crate::provision::Kind;

/// Delete the resource `kind` named `name` with id `id` (an ARN). Gone already is done.
pub async fn delete(
    env: &Env,
    kind: Kind,
    name: &str,
    id: &str,
    ctx: &StepCtx,
    deadline: Instant,
) -> Result<()> {
    let a = &env.account;
    match kind {
        Kind::Environment => terminate(env, name, ctx, deadline).await,
        Kind::Application => {
            // Environments not devloop's for this environment (another environment of the app,
            // one made by hand) keep it: named, and left.
            let others = env
                .eb
                .describe_environments()
                .application_name(name)
                .include_deleted(false)
                .send()
                .await
                .map_err(|e| sdk_error(&format!("cannot list the environments of {name}"), e))?;
            let others: Vec<&str> = others
                .environments()
                .iter()
                .filter(|d| d.status().map(|s| s.as_str()) != Some("Terminated"))
                .filter_map(|d| d.environment_name())
                .collect();
            if !others.is_empty() {
                return Err(Error::failed(format!(
                    "application {name} still holds environment(s) {}, which this destroy does not delete",
                    others.join(", ")
                )));
            }
            match env
                .eb
                .delete_application()
                .application_name(name)
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e)
                    if crate::aws::service_message(&e)
                        .is_some_and(|m| m.contains("No Application named")) =>
                {
                    Ok(())
                }
                Err(e) => Err(sdk_error(&format!("cannot delete application {name}"), e)),
            }
        }
        Kind::InstanceProfile => {
            let out = match a
                .iam
                .get_instance_profile()
                .instance_profile_name(name)
                .send()
                .await
            {
                Ok(out) => out,
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_no_such_entity_exception()) =>
                {
                    return Ok(())
                }
                Err(e) => {
                    return Err(sdk_error(
                        &format!("cannot read instance profile {name}"),
                        e,
                    ))
                }
            };
            // The role cannot go while a profile holds it, nor the profile with a role in it.
            let roles: Vec<String> = out
                .instance_profile()
                .map(|p| {
                    p.roles()
                        .iter()
                        .map(|r| r.role_name().to_string())
                        .collect()
                })
                .unwrap_or_default();
            for role in roles {
                a.iam
                    .remove_role_from_instance_profile()
                    .instance_profile_name(name)
                    .role_name(&role)
                    .send()
                    .await
                    .map_err(|e| sdk_error(&format!("cannot take {role} out of {name}"), e))?;
            }
            a.iam
                .delete_instance_profile()
                .instance_profile_name(name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error(&format!("cannot delete instance profile {name}"), e))
        }
        Kind::InstanceRole | Kind::ServiceRole => a.delete_role(name).await,
        Kind::LedgerBucket | Kind::BundleBucket => a.delete_bucket(name).await,
        Kind::Repository => a.delete_repository(name).await,
        other => Err(Error::failed(format!(
            "{} {name} ({id}) is not devloop's to delete here",
            other.label()
        ))),
    }
}

/// Terminate the environment and wait until Elastic Beanstalk lists it as Terminated.
async fn terminate(env: &Env, name: &str, ctx: &StepCtx, deadline: Instant) -> Result<()> {
    let Some(e) = env.environments.iter().find(|e| e.name == name) else {
        return Err(Error::failed(format!(
            "environment {name} is not in devloop.toml"
        )));
    };
    // Elastic Beanstalk terminates only a Ready environment: a launch or an update under way
    // is waited out first.
    let what = format!("environment {name} to be Ready before it is terminated");
    let live = wait::until(ctx, deadline, &what, wait::PACE, || async {
        match super::find::live_environment(env, e).await {
            Ok(Some(d))
                if matches!(
                    d.status().map(|s| s.as_str()),
                    Some("Launching" | "Updating")
                ) =>
            {
                Ok(Look::NotYet(d.status().map(|s| s.as_str().to_string())))
            }
            Ok(found) => Ok(Look::Done(found)),
            Err(err) => wait::unless_lasting(err),
        }
    })
    .await?;
    let Some(live) = live else {
        return Ok(());
    };
    let id = live.environment_id().unwrap_or_default().to_string();
    let status = live.status().map(|s| s.as_str().to_string());
    if status.as_deref() != Some("Terminating") {
        env.eb
            .terminate_environment()
            .environment_id(&id)
            .send()
            .await
            .map_err(|err| sdk_error(&format!("cannot terminate environment {name}"), err))?;
    }
    wait_terminated(env, name, &id, ctx, deadline).await
}

/// Wait until Elastic Beanstalk lists the environment `id` as Terminated.
pub(super) async fn wait_terminated(
    env: &Env,
    name: &str,
    id: &str,
    ctx: &StepCtx,
    deadline: Instant,
) -> Result<()> {
    let what = format!("environment {name} to terminate");
    wait::until(ctx, deadline, &what, wait::PACE, || async {
        let status = match super::find::by_id(env, id, name).await {
            Ok(seen) => seen.and_then(|d| d.status().map(|s| s.as_str().to_string())),
            Err(err) => return wait::unless_lasting(err),
        };
        Ok(match status.as_deref() {
            Some("Terminated") => Look::Done(()),
            _ => Look::NotYet(status),
        })
    })
    .await
}
