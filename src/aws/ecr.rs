//! Amazon ECR: make sure the repository exists, and get a registry login in-process.
//!
//! The token from GetAuthorizationToken is handed to the daemon per push, never written to
//! `~/.docker/config.json` or anywhere else, and registered with the printer's mask.

use std::time::SystemTime;

use aws_config::SdkConfig;
use aws_sdk_ecr::types::{ImageScanningConfiguration, ImageTagMutability};
use base64::Engine;

use super::sdk_error;
use crate::config::schema::Ecr as EcrSettings;
use crate::error::{Error, Result};
use crate::registry::Auth;

/// A registry login and when it stops working.
#[derive(Debug, Clone)]
pub struct Login {
    /// Registry host the daemon pushes to (`<account>.dkr.ecr.<region>.amazonaws.com`, or the override).
    pub host: String,
    pub auth: Auth,
    pub expires: Option<SystemTime>,
    /// The raw token, for masking.
    pub token: String,
}

impl Login {
    /// Whether the login should be renewed before a push (less than five minutes left).
    pub fn expiring(&self) -> bool {
        self.expires
            .and_then(|t| t.duration_since(SystemTime::now()).ok())
            .is_some_and(|left| left.as_secs() < 300)
            || self.expires.is_some_and(|t| t <= SystemTime::now())
    }
}

/// Ensure the repository exists (creating it when allowed). Returns whether it was created.
pub async fn ensure_repository(
    sdk: &SdkConfig,
    name: &str,
    settings: &EcrSettings,
) -> Result<bool> {
    let client = aws_sdk_ecr::Client::new(sdk);
    match client
        .describe_repositories()
        .repository_names(name)
        .send()
        .await
    {
        Ok(_) => Ok(false),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_repository_not_found_exception()) =>
        {
            if !settings.create_repository {
                return Err(
                    Error::failed(format!("ECR repository \"{name}\" does not exist"))
                        .with_hint("create it, or set release.ecr.create_repository = true"),
                );
            }
            let mutability = if settings.immutable_tags {
                ImageTagMutability::Immutable
            } else {
                ImageTagMutability::Mutable
            };
            client
                .create_repository()
                .repository_name(name)
                .image_tag_mutability(mutability)
                .image_scanning_configuration(
                    ImageScanningConfiguration::builder()
                        .scan_on_push(settings.scan_on_push)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| sdk_error(&format!("cannot create ECR repository \"{name}\""), e))?;
            Ok(true)
        }
        Err(e) => Err(sdk_error(
            &format!("cannot look up ECR repository \"{name}\""),
            e,
        )),
    }
}

/// GetAuthorizationToken, decoded into a login for the registry.
pub async fn login(sdk: &SdkConfig, settings: &EcrSettings) -> Result<Login> {
    let client = aws_sdk_ecr::Client::new(sdk);
    let out = client
        .get_authorization_token()
        .send()
        .await
        .map_err(|e| sdk_error("cannot get an ECR login (GetAuthorizationToken)", e))?;
    let data = out
        .authorization_data()
        .first()
        .ok_or_else(|| Error::unreachable("ECR returned no authorization data"))?;
    let token = data
        .authorization_token()
        .ok_or_else(|| Error::unreachable("ECR returned no authorization token"))?
        .to_string();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| Error::unreachable("the ECR authorization token is not base64"))?;
    let (username, password) = decoded
        .split_once(':')
        .ok_or_else(|| Error::unreachable("the ECR authorization token is not user:password"))?;
    let proxy = data.proxy_endpoint().unwrap_or_default();
    let host = match settings
        .registry_endpoint
        .as_deref()
        .filter(|e| !e.is_empty())
    {
        Some(over) => over.to_string(),
        None => proxy
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string(),
    };
    if host.is_empty() {
        return Err(Error::unreachable("ECR returned no registry endpoint"));
    }
    let expires = data
        .expires_at()
        .and_then(|t| SystemTime::try_from(*t).ok());
    Ok(Login {
        auth: Auth {
            username: username.to_string(),
            password: password.to_string(),
            server: host.clone(),
        },
        host,
        expires,
        token,
    })
}
