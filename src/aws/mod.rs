//! One AWS context for every AWS call devloop makes.
//!
//! aws-config's default chain (environment, shared config and credentials files, profiles, SSO, web
//! identity, container and instance roles), the region from devloop.toml → `AWS_REGION` → the profile,
//! an endpoint override (`aws.endpoint_url` or `DEVLOOP_AWS_ENDPOINT_URL`, for LocalStack or moto), and
//! the SDK's standard retries. Missing credentials or region are exit 5 and say what was tried.

pub mod ecr;
pub mod logs;
pub mod metrics;
pub mod patience;
pub mod s3;

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::config::schema::Aws as AwsSettings;
use crate::config::Ambient;
use crate::error::{Error, Result};

/// The chain, in the words used when nothing in it had credentials.
const CHAIN: &str = "environment (AWS_ACCESS_KEY_ID), shared config and credentials files, SSO, web identity, container and instance roles";

/// Build the SDK configuration and prove it has a region and credentials.
pub async fn sdk_config(settings: &AwsSettings, ambient: &Ambient) -> Result<SdkConfig> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = settings.profile.as_deref().filter(|p| !p.is_empty()) {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = settings.region.as_deref().filter(|r| !r.is_empty()) {
        loader = loader.region(Region::new(region.to_string()));
    }
    let endpoint = settings
        .endpoint_url
        .clone()
        .filter(|e| !e.is_empty())
        .or_else(|| {
            ambient
                .var("DEVLOOP_AWS_ENDPOINT_URL")
                .filter(|e| !e.is_empty())
        });
    if let Some(url) = &endpoint {
        loader = loader.endpoint_url(url);
    }
    let config = loader.load().await;
    let profile = settings
        .profile
        .clone()
        .or_else(|| ambient.var("AWS_PROFILE"))
        .unwrap_or_else(|| "default".into());
    if config.region().is_none() {
        return Err(Error::unreachable(format!(
            "no AWS region: tried aws.region in devloop.toml, AWS_REGION, and profile \"{profile}\""
        ))
        .with_hint("set aws.region in devloop.toml or export AWS_REGION"));
    }
    let provider = config
        .credentials_provider()
        .ok_or_else(|| Error::unreachable("no AWS credentials provider is configured"))?;
    match tokio::time::timeout(Duration::from_secs(30), provider.provide_credentials()).await {
        Ok(Ok(_)) => Ok(config),
        Ok(Err(e)) => Err(Error::unreachable_because(format!("no AWS credentials for profile \"{profile}\": tried {CHAIN}"), e)
        .with_hint("export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, run `aws sso login`, or set aws.profile")),
        Err(_) => Err(Error::unreachable(format!("AWS credentials did not resolve within 30s (tried {CHAIN})"))),
    }
}

/// Error codes AWS services use for "slow down": a read that is asked again later, never a verdict.
const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "PriorRequestNotComplete",
    "BandwidthLimitExceeded",
];

/// Codes that mean the credentials (or the identity's permissions) were refused.
const REFUSED: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "AccessDenied",
    "AccessDeniedException",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
];

/// The service's error code of an SDK error (`InvalidGroup.NotFound`, `NoSuchTagSet` …), when
/// the service answered with one.
pub fn service_code<E: aws_smithy_types::error::metadata::ProvideErrorMetadata>(
    err: &SdkError<E, HttpResponse>,
) -> Option<&str> {
    err.as_service_error().and_then(|s| s.code())
}

/// The service's error message of an SDK error, when the service answered with one (Elastic
/// Beanstalk tells "not found" only in words: `No Application named 'x' found.`).
pub fn service_message<E: aws_smithy_types::error::metadata::ProvideErrorMetadata>(
    err: &SdkError<E, HttpResponse>,
) -> Option<&str> {
    err.as_service_error().and_then(|s| s.message())
}

/// Map an SDK error: no connection, or credentials refused, is exit 5; the rest a step failure.
/// Throttling, server errors and timeouts are marked transient (see [`Error::transient`]).
pub fn sdk_error<E>(what: &str, err: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    sdk_error_needing(what, None, err)
}

/// [`sdk_error`] for a call whose refusal may come as a bare HTTP 403 (S3 HEAD requests carry no
/// body): `permission` names what the identity needs, so the message can say it.
pub fn sdk_error_needing<E>(
    what: &str,
    permission: Option<&str>,
    err: SdkError<E, HttpResponse>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let said = classify(what, permission, &err);
    said.caused_by(err)
}

/// What an SDK error means for devloop, in words and as an exit kind.
fn classify<E>(what: &str, permission: Option<&str>, err: &SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let text = aws_smithy_types::error::display::DisplayErrorContext(err).to_string();
    let status = err.raw_response().map(|r| r.status().as_u16());
    match err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            Error::unreachable(format!("{what}: the AWS API cannot be reached: {text}")).transient()
        }
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("");
            let message = se.err().message().unwrap_or("");
            let status = se.raw().status().as_u16();
            if THROTTLED.contains(&code) {
                return Error::unreachable(format!(
                    "{what}: AWS throttled the call ({code}: {message}) and the SDK's retries ran out"
                ))
                .with_hint("other tools and consoles share the account's rate limit; try again in a minute")
                .transient();
            }
            if code.is_empty() && message.is_empty() {
                // No AWS error at all: a HEAD answer (no body), an HTML page, or an emulator without the call.
                return match status {
                    401 | 403 => Error::unreachable(format!(
                        "{what}: AWS refused the credentials or the permission (HTTP {status}, no error body){}",
                        permission
                            .map(|p| format!("; the identity needs {p}"))
                            .unwrap_or_default()
                    ))
                    .with_hint("check which AWS identity devloop uses (`aws sts get-caller-identity`) and its policy"),
                    500.. => Error::unreachable(format!(
                        "{what}: the AWS API answered HTTP {status} without an error body"
                    ))
                    .transient(),
                    _ => Error::failed(format!(
                        "{what}: the endpoint answered HTTP {status} without an AWS error; it may not implement this call"
                    )),
                };
            }
            let msg = format!("{what}: {code}: {message}");
            if REFUSED.contains(&code) {
                Error::unreachable(msg).with_hint(match permission {
                    Some(p) => format!("the identity needs {p}; check which AWS identity devloop uses (`aws sts get-caller-identity`)"),
                    None => "check which AWS identity devloop uses (`aws sts get-caller-identity`)".to_string(),
                })
            } else if status >= 500 {
                Error::unreachable(msg).transient()
            } else {
                Error::failed(msg)
            }
        }
        _ if status.is_some_and(|s| s >= 500) => {
            Error::unreachable(format!("{what}: {text}")).transient()
        }
        _ => Error::failed(format!("{what}: {text}")),
    }
}
