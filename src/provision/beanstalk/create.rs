//! Creating one Elastic Beanstalk resource, tagged, and making it ready: roles get their
//! policies, the instance profile its role, and an environment is waited for until it is Ready
//! — each wait says what it waits for and ends at the deadline.

use std::time::{Duration, Instant};

use aws_sdk_elasticbeanstalk::types::{ConfigurationOptionSetting, EventSeverity, Tag};

use super::find::live_environment;
use super::SERVICE_TRUST;
use super::{Env, Environment, EC2_TRUST, ECR_PULL_POLICY, INSTANCE_POLICIES, SERVICE_POLICIES};
use crate::aws::sdk_error;
use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::provision::account::iam_tag;
use crate::provision::wait::{self, Look};
use crate::provision::{Kind, Known, Resource};

/// Create `r` (which is missing) and return its id. A failure after the resource itself was
/// made returns its id with the error, so the caller deletes it with the rest.
pub async fn create(
    env: &Env,
    r: &Resource,
    _known: &Known,
    ctx: &StepCtx,
    deadline: Instant,
) -> std::result::Result<String, (Option<String>, Error)> {
    if r.kind == Kind::Environment {
        let e = environment_named(env, &r.name).map_err(|e| (None, e))?;
        return launch(env, e, ctx, deadline).await;
    }
    let id = make(env, r).await.map_err(|e| (None, e))?;
    finish(env, r, ctx, deadline)
        .await
        .map_err(|e| (Some(id.clone()), e))?;
    Ok(id)
}

/// How many launches a fresh instance profile may fail before its failure is the verdict.
const LAUNCHES: u32 = 4;

/// Create the environment and wait for its launch. IAM is eventually consistent: an instance
/// profile made a moment ago may not be there yet for Elastic Beanstalk, whose launch then fails
/// ("… associated with the environment does not exist") and tears the environment down. When
/// devloop made that profile, it waits for the teardown and launches again, a few times, within
/// the deadline.
async fn launch(
    env: &Env,
    e: &Environment,
    ctx: &StepCtx,
    deadline: Instant,
) -> std::result::Result<String, (Option<String>, Error)> {
    let mut attempt = 1;
    loop {
        let (arn, id) = create_environment(env, e)
            .await
            .map_err(|err| (None, err))?;
        let err = match launched(env, e, &id, ctx, deadline).await {
            Ok(()) => return Ok(arn),
            Err(err) => err,
        };
        let propagating = env.instance_role.is_some()
            && err.message.contains("instance profile")
            && err.message.contains("does not exist");
        if !propagating || attempt >= LAUNCHES || Instant::now() >= deadline {
            return Err((Some(arn), err));
        }
        ctx.log(format!(
            "the instance profile {} is not there yet for Elastic Beanstalk (IAM takes a while to propagate a new one); launching {} again once the failed launch is gone",
            env.instance_profile, e.name
        ));
        super::delete::wait_terminated(env, &e.name, &id, ctx, deadline)
            .await
            .map_err(|err| (Some(arn.clone()), err))?;
        let pause = Duration::from_secs(2u64.pow(attempt));
        tokio::time::sleep(pause.min(deadline.saturating_duration_since(Instant::now()))).await;
        attempt += 1;
    }
}

/// Make a resource devloop made earlier ready, as a run interrupted after making it would
/// have: its policies attached, its role added, the environment's launch waited out.
pub async fn ready(
    env: &Env,
    r: &Resource,
    _id: &str,
    _known: &Known,
    ctx: &StepCtx,
    deadline: Instant,
) -> Result<()> {
    finish(env, r, ctx, deadline).await
}

fn tags(env: &Env) -> Vec<Tag> {
    env.account
        .tags()
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

async fn make(env: &Env, r: &Resource) -> Result<String> {
    let a = &env.account;
    let name = r.name.as_str();
    match r.kind {
        Kind::Repository => a.create_repository(name).await,
        Kind::LedgerBucket | Kind::BundleBucket => a.create_bucket(name).await,
        Kind::StorageBucket => env
            .eb
            .create_storage_location()
            .send()
            .await
            .map_err(|e| sdk_error("cannot create Elastic Beanstalk's storage bucket", e))?
            .s3_bucket
            .ok_or_else(|| Error::failed("CreateStorageLocation named no bucket")),
        Kind::InstanceRole => a.create_role(r.kind, name, EC2_TRUST).await,
        Kind::ServiceRole => a.create_role(r.kind, name, SERVICE_TRUST).await,
        Kind::InstanceProfile => {
            let mut req = a.iam.create_instance_profile().instance_profile_name(name);
            for (k, v) in a.tags() {
                req = req.tags(iam_tag(k, v)?);
            }
            let out = req
                .send()
                .await
                .map_err(|e| sdk_error(&format!("cannot create instance profile {name}"), e))?;
            out.instance_profile()
                .map(|p| p.arn().to_string())
                .ok_or_else(|| Error::failed(format!("IAM made {name} but returned no ARN")))
        }
        Kind::Application => {
            let out = env
                .eb
                .create_application()
                .application_name(name)
                .description(format!("{} (made by devloop provision)", env.account.base))
                .set_tags(Some(tags(env)))
                .send()
                .await
                .map_err(|e| sdk_error(&format!("cannot create application {name}"), e))?;
            Ok(out
                .application()
                .and_then(|a| a.application_arn())
                .unwrap_or(name)
                .to_string())
        }
        Kind::Environment => Ok(create_environment(env, environment_named(env, name)?)
            .await?
            .0),
        other => Err(Error::failed(format!(
            "{} is not one of an Elastic Beanstalk environment's resources",
            other.label()
        ))),
    }
}

/// CreateEnvironment: its ARN and id.
async fn create_environment(env: &Env, e: &Environment) -> Result<(String, String)> {
    let name = e.name.as_str();
    let settings = env
        .option_settings(e)
        .into_iter()
        .map(|(ns, option, value)| {
            ConfigurationOptionSetting::builder()
                .namespace(ns)
                .option_name(option)
                .value(value)
                .build()
        })
        .collect();
    let out = env
        .eb
        .create_environment()
        .application_name(&e.application)
        .environment_name(name)
        .solution_stack_name(env.solution_stack()?)
        .set_option_settings(Some(settings))
        .set_tags(Some(tags(env)))
        .send()
        .await
        .map_err(|err| sdk_error(&format!("cannot create environment {name}"), err))?;
    Ok((
        out.environment_arn().unwrap_or(name).to_string(),
        out.environment_id().unwrap_or_default().to_string(),
    ))
}

/// What makes a made resource ready (each step idempotent).
async fn finish(env: &Env, r: &Resource, ctx: &StepCtx, deadline: Instant) -> Result<()> {
    let a = &env.account;
    let name = r.name.as_str();
    match r.kind {
        Kind::LedgerBucket | Kind::BundleBucket => a.finish_bucket(name).await,
        Kind::InstanceRole => {
            let mut policies = INSTANCE_POLICIES.to_vec();
            if env.ecr {
                policies.push(ECR_PULL_POLICY);
            }
            a.attach(name, &policies).await
        }
        Kind::ServiceRole => a.attach(name, SERVICE_POLICIES).await,
        Kind::InstanceProfile => {
            let Some(role) = &env.instance_role else {
                return Ok(());
            };
            let out = a
                .iam
                .get_instance_profile()
                .instance_profile_name(name)
                .send()
                .await
                .map_err(|e| sdk_error(&format!("cannot read instance profile {name}"), e))?;
            // A profile holds one role: adding it twice is refused, so look first.
            let has = out
                .instance_profile()
                .is_some_and(|p| p.roles().iter().any(|r| r.role_name() == role));
            if has {
                return Ok(());
            }
            a.iam
                .add_role_to_instance_profile()
                .instance_profile_name(name)
                .role_name(role)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error(&format!("cannot add role {role} to {name}"), e))
        }
        Kind::Environment => {
            // An earlier run's environment, still launching: its launch is waited out. One that
            // launched is left as it is, whatever its health (a deploy judges that).
            let e = environment_named(env, name)?;
            match live_environment(env, e).await? {
                Some(d) if d.status().map(|s| s.as_str()) == Some("Launching") => {
                    let id = d.environment_id().unwrap_or_default().to_string();
                    launched(env, e, &id, ctx, deadline).await
                }
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

fn environment_named<'a>(env: &'a Env, name: &str) -> Result<&'a Environment> {
    env.environments
        .iter()
        .find(|e| e.name == name)
        .ok_or_else(|| Error::failed(format!("no environment {name} in devloop.toml")))
}

/// Wait until the environment `id` has launched: Ready. A launch that Elastic Beanstalk tears
/// down ("Failed to launch environment"), or that ends Ready with ERROR events ("complete, but
/// with errors"), is a failure with those events as the reason. Health is not the launch's
/// verdict: the sample application answers `/` only, so a check on the app's own path is Red
/// until the first deploy.
async fn launched(
    env: &Env,
    e: &Environment,
    id: &str,
    ctx: &StepCtx,
    deadline: Instant,
) -> Result<()> {
    let what = format!("environment {} to launch", e.name);
    let pace = wait::Pace {
        first: Duration::from_secs(1),
        most: Duration::from_secs(10),
    };
    wait::until(ctx, deadline, &what, pace, || async {
        let seen = match super::find::by_id(env, id, &e.name).await {
            Ok(seen) => seen,
            Err(err) => return wait::unless_lasting(err),
        };
        let status = seen
            .as_ref()
            .and_then(|d| d.status())
            .map(|s| s.as_str().to_string());
        let health = seen
            .as_ref()
            .and_then(|d| d.health())
            .map(|h| h.as_str().to_string());
        let since = seen.as_ref().and_then(|d| d.date_created()).cloned();
        match status.as_deref() {
            // Launched. Its health is not the launch's verdict: until the first deploy the
            // environment runs Elastic Beanstalk's sample application, which answers `/` only,
            // so a health check on the app's own path is Red until then. An ERROR event of this
            // launch ("complete, but with errors") is a failure.
            Some("Ready") => {
                let why = errors(env, e, since).await;
                if !why.is_empty() {
                    return Err(Error::failed(format!(
                        "environment {} launched with errors{why}",
                        e.name
                    )));
                }
                if let Some(h) = health.as_deref().filter(|h| *h != "Green") {
                    ctx.log(format!(
                        "environment {} launched; its health is {h} until the first deploy puts the app on it{}",
                        e.name,
                        e.health_path
                            .as_deref()
                            .map(|p| format!(" (the sample application does not answer {p})"))
                            .unwrap_or_default()
                    ));
                }
                Ok(Look::Done(()))
            }
            Some("Terminating" | "Terminated") => {
                let why = errors(env, e, since).await;
                Err(Error::failed(format!(
                    "environment {} did not launch: Elastic Beanstalk is terminating it{why}",
                    e.name
                )))
            }
            _ => Ok(Look::NotYet(Some(format!(
                "{}, health {}",
                status.as_deref().unwrap_or("not listed yet"),
                health.as_deref().unwrap_or("unknown")
            )))),
        }
    })
    .await
}

/// `: <message>; <message>` of the ERROR events of the environment since `since` (its creation:
/// an earlier environment of that name had its own), newest first, or nothing.
async fn errors(env: &Env, e: &Environment, since: Option<aws_smithy_types::DateTime>) -> String {
    let Ok(out) = env
        .eb
        .describe_events()
        .application_name(&e.application)
        .environment_name(&e.name)
        .set_start_time(since)
        .severity(EventSeverity::Error)
        .max_records(10)
        .send()
        .await
    else {
        return String::new();
    };
    let messages: Vec<&str> = out.events().iter().filter_map(|ev| ev.message()).collect();
    if messages.is_empty() {
        String::new()
    } else {
        format!(": {}", messages.join("; "))
    }
}
