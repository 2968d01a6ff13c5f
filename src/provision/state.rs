//! What devloop created for an environment, recorded beside the release ledger (`.devloop/` and,
//! with `release.ledger`, S3), so `destroy` — from this clone or another — deletes exactly that.

use serde::{Deserialize, Serialize};

use super::Kind;
use crate::error::{Error, Result};
use crate::session::Session;

/// One resource devloop created: what it is, its name and its id (ARN or AWS id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub kind: Kind,
    pub name: String,
    pub id: String,
}

/// Everything devloop created for one environment, in the order it was created.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Provisioned {
    pub app: String,
    pub env: String,
    pub created: Vec<Entry>,
}

impl Provisioned {
    /// The record of `project`'s environment: the local one merged with the S3 one.
    pub async fn read(project: &Session) -> Result<Provisioned> {
        let cfg = &project.config;
        let mut out = Provisioned {
            app: cfg.app().to_string(),
            env: cfg.env_name().to_string(),
            created: Vec::new(),
        };
        let path = local_path(project);
        if let Ok(bytes) = std::fs::read(&path) {
            let local: Provisioned = serde_json::from_slice(&bytes).map_err(|e| {
                Error::failed(format!("{} is not a record of devloop's: {e}", path.display()))
                    .with_hint("remove it if it was edited by hand; `devloop destroy` also finds devloop's resources by their tags")
            })?;
            out.merge(local.created);
        }
        if let Some((bucket, key)) = s3_key(project)? {
            let sdk = project.aws().await?;
            if let Some(bytes) = crate::aws::s3::get(sdk, &bucket, &key).await? {
                if let Ok(remote) = serde_json::from_slice::<Provisioned>(&bytes) {
                    out.merge(remote.created);
                }
            }
        }
        Ok(out)
    }

    fn merge(&mut self, entries: Vec<Entry>) {
        for e in entries {
            if !self.created.contains(&e) {
                self.created.push(e);
            }
        }
    }

    /// Note a created resource.
    pub fn add(&mut self, kind: Kind, name: &str, id: &str) {
        self.merge(vec![Entry {
            kind,
            name: name.to_string(),
            id: id.to_string(),
        }]);
    }

    /// Forget a deleted resource.
    pub fn remove(&mut self, kind: Kind, name: &str) {
        self.created.retain(|e| !(e.kind == kind && e.name == name));
    }

    /// Write the record locally (at once, so an interrupted run's resources are known).
    pub fn save_local(&self, project: &Session) -> Result<()> {
        let path = local_path(project);
        let body = serde_json::to_vec_pretty(self).map_err(|e| Error::failed(e.to_string()))?;
        crate::state::dir(&project.config.root)
            .and_then(|_| std::fs::create_dir_all(path.parent().unwrap_or(&path)))
            .and_then(|()| std::fs::write(&path, body))
            .map_err(|e| Error::failed(format!("cannot write {}: {e}", path.display())))
    }

    /// Write the record locally and, with `release.ledger`, to S3.
    pub async fn save(&self, project: &Session) -> Result<()> {
        self.save_local(project)?;
        if let Some((bucket, key)) = s3_key(project)? {
            let sdk = project.aws().await?;
            let body = serde_json::to_vec_pretty(self).map_err(|e| Error::failed(e.to_string()))?;
            crate::aws::s3::put(sdk, &bucket, &key, body).await?;
        }
        Ok(())
    }
}

fn local_path(project: &Session) -> std::path::PathBuf {
    let cfg = &project.config;
    cfg.root
        .join(".devloop/provisioned")
        .join(format!("{}.json", cfg.env_name()))
}

/// `s3://bucket/prefix` of `release.ledger` → the state's key, beside the app's records.
fn s3_key(project: &Session) -> Result<Option<(String, String)>> {
    let cfg = &project.config;
    let Some(ledger) = &cfg.doc.release.ledger else {
        return Ok(None);
    };
    let (bucket, prefix) = crate::aws::s3::parse_location(ledger.get_ref())?;
    let name = format!("{}.provisioned/{}.json", cfg.app(), cfg.env_name());
    Ok(Some((
        bucket,
        if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        },
    )))
}
