//! Where a release is pushed and with which credentials.
//!
//! Credentials come from `DEVLOOP_REGISTRY_USERNAME`/`DEVLOOP_REGISTRY_PASSWORD`, else the Docker
//! config file (`credHelpers`, `auths`, `credsStore` through the `docker-credential-*` helpers), as the
//! docker CLI resolves them. They are handed to the daemon per push and never written anywhere.

use std::path::PathBuf;
use std::process::Stdio;

use base64::Engine;

use crate::config::Ambient;
use crate::error::{Error, Result};

/// Credentials for one registry host. `Debug` never shows the password.
#[derive(Clone)]
pub struct Auth {
    pub username: String,
    pub password: String,
    pub server: String,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Auth {{ username: {:?}, server: {:?}, password: *** }}",
            self.username, self.server
        )
    }
}

impl Auth {
    pub fn to_docker(&self) -> bollard::auth::DockerCredentials {
        bollard::auth::DockerCredentials {
            username: Some(self.username.clone()),
            password: Some(self.password.clone()),
            serveraddress: Some(self.server.clone()),
            ..Default::default()
        }
    }
}

/// `host[:port]/namespace` → (`host[:port]`, `namespace`); a bare host has no namespace.
pub fn split_registry(registry: &str) -> (&str, &str) {
    match registry.split_once('/') {
        Some((host, ns)) => (host, ns.trim_matches('/')),
        None => (registry, ""),
    }
}

fn docker_config_path(ambient: &Ambient) -> Option<PathBuf> {
    ambient
        .var("DOCKER_CONFIG")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| ambient.home().map(|h| h.join(".docker")))
        .map(|d| d.join("config.json"))
}

/// Credentials for `host`, or `None` to push anonymously.
pub async fn credentials(ambient: &Ambient, host: &str) -> Result<Option<Auth>> {
    let user = ambient
        .var("DEVLOOP_REGISTRY_USERNAME")
        .filter(|v| !v.is_empty());
    let pass = ambient
        .var("DEVLOOP_REGISTRY_PASSWORD")
        .filter(|v| !v.is_empty());
    match (user, pass) {
        (Some(username), Some(password)) => {
            return Ok(Some(Auth {
                username,
                password,
                server: host.to_string(),
            }))
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(Error::usage(
                "set both DEVLOOP_REGISTRY_USERNAME and DEVLOOP_REGISTRY_PASSWORD, or neither",
            ))
        }
        (None, None) => {}
    }
    config_credentials(ambient, host).await
}

/// Credentials for `host` from the Docker config file alone (`credHelpers`, `auths`,
/// `credsStore`), as the docker CLI resolves them; `None` when it has none.
pub async fn config_credentials(ambient: &Ambient, host: &str) -> Result<Option<Auth>> {
    // Docker Hub's entry is the v1 index URL, in helpers as in `auths`.
    let server = if host == "index.docker.io" {
        "https://index.docker.io/v1/"
    } else {
        host
    };
    let Some(path) = docker_config_path(ambient) else {
        return Ok(None);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::usage_because(
                format!("cannot read {}", path.display()),
                e,
            ))
        }
    };
    let cfg: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::usage_because(format!("{} is not valid JSON", path.display()), e))?;
    if let Some(helper) = cfg["credHelpers"][host].as_str() {
        return helper_get(helper, server).await;
    }
    if let Some(auths) = cfg["auths"].as_object() {
        let entry = auths
            .iter()
            .find(|(k, _)| same_host(k, host))
            .map(|(_, v)| v);
        if let Some(auth) = entry
            .and_then(|e| e["auth"].as_str())
            .filter(|a| !a.is_empty())
        {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    Error::usage(format!(
                        "{}: auths.{host}.auth is not base64 of user:password",
                        path.display()
                    ))
                })?;
            let (username, password) = decoded.split_once(':').ok_or_else(|| {
                Error::usage(format!(
                    "{}: auths.{host}.auth is not user:password",
                    path.display()
                ))
            })?;
            return Ok(Some(Auth {
                username: username.to_string(),
                password: password.to_string(),
                server: host.to_string(),
            }));
        }
    }
    if let Some(store) = cfg["credsStore"].as_str().filter(|s| !s.is_empty()) {
        return helper_get(store, server).await;
    }
    Ok(None)
}

/// `auths` keys may be a bare host or a URL such as `https://host/v1/`.
fn same_host(key: &str, host: &str) -> bool {
    let k = key
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    k.split('/').next() == Some(host)
}

/// How long a credential helper may take (a keychain prompt waits for a person).
const HELPER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Ask `docker-credential-<helper> get` for a host's credentials, off the async runtime's threads
/// and bounded in time.
async fn helper_get(helper: &str, host: &str) -> Result<Option<Auth>> {
    use tokio::io::AsyncWriteExt;
    let program = format!("docker-credential-{helper}");
    let mut child = tokio::process::Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            Error::usage_because(
                format!("the Docker config names credential helper {program}, which cannot run"),
                e,
            )
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(host.as_bytes()).await;
    }
    let out = match tokio::time::timeout(HELPER_TIMEOUT, child.wait_with_output()).await {
        Ok(out) => out.map_err(|e| Error::usage_because(format!("{program} failed"), e))?,
        Err(_) => {
            return Err(Error::unreachable(format!(
                "{program} get did not answer for {host} within {}s (is it waiting for a keychain prompt?)",
                HELPER_TIMEOUT.as_secs()
            ))
            .with_hint("unlock the keychain, or set DEVLOOP_REGISTRY_USERNAME and DEVLOOP_REGISTRY_PASSWORD"))
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        // Helpers print "credentials not found in native keychain" when they have none.
        if stdout.contains("not found")
            || String::from_utf8_lossy(&out.stderr).contains("not found")
        {
            return Ok(None);
        }
        return Err(Error::unreachable(format!(
            "{program} get failed for {host} (exit {:?})",
            out.status.code()
        )));
    }
    let v: serde_json::Value = serde_json::from_str(&stdout)
        .map_err(|_| Error::usage(format!("{program} returned something that is not JSON")))?;
    match (v["Username"].as_str(), v["Secret"].as_str()) {
        (Some(u), Some(s)) if !s.is_empty() => Ok(Some(Auth {
            username: u.to_string(),
            password: s.to_string(),
            server: host.to_string(),
        })),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_split_into_host_and_namespace() {
        assert_eq!(
            split_registry("localhost:5000/team/sub"),
            ("localhost:5000", "team/sub")
        );
        assert_eq!(split_registry("ghcr.io"), ("ghcr.io", ""));
    }

    #[tokio::test]
    async fn credentials_from_env_then_docker_config() {
        let dir = tempfile::tempdir().unwrap();
        let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
        std::fs::write(
            dir.path().join("config.json"),
            format!(r#"{{"auths":{{"https://reg.example:5000/v1/":{{"auth":"{auth}"}}}}}}"#),
        )
        .unwrap();
        let a = Ambient::from_pairs([("DOCKER_CONFIG", dir.path().to_str().unwrap())]);
        let c = credentials(&a, "reg.example:5000").await.unwrap().unwrap();
        assert_eq!(
            (c.username.as_str(), c.password.as_str()),
            ("alice", "s3cret")
        );
        assert!(!format!("{c:?}").contains("s3cret"));
        assert!(credentials(&a, "other:5000").await.unwrap().is_none());
        let env = Ambient::from_pairs([
            ("DOCKER_CONFIG", dir.path().to_str().unwrap()),
            ("DEVLOOP_REGISTRY_USERNAME", "bob"),
            ("DEVLOOP_REGISTRY_PASSWORD", "pw"),
        ]);
        assert_eq!(
            credentials(&env, "reg.example:5000")
                .await
                .unwrap()
                .unwrap()
                .username,
            "bob"
        );

        let half = Ambient::from_pairs([("DEVLOOP_REGISTRY_USERNAME", "bob")]);
        assert!(credentials(&half, "x").await.is_err());
    }
}
