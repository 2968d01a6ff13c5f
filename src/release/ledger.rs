//! The release ledger, both sides together: the local one in `.devloop/releases/` and, when
//! `release.ledger` is set, the one in S3. Reading merges them; recording writes both (S3 first,
//! so a record that S3 refused is never only local).

use std::path::{Path, PathBuf};

use super::{merge, parse, sort, Record};
use crate::error::{Error, Result};
use crate::session::Session;

/// The local side of the ledger: `<root>/.devloop/releases/`.
pub struct LocalLedger {
    dir: PathBuf,
}

impl LocalLedger {
    pub fn new(root: &Path) -> Self {
        LocalLedger {
            dir: root.join(".devloop").join("releases"),
        }
    }

    #[cfg(test)]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Write a new record: temp file, then a hard link that fails if the name exists.
    pub fn write(&self, record: &Record) -> Result<PathBuf> {
        std::fs::create_dir_all(&self.dir).map_err(|e| {
            Error::failed_because(format!("cannot create {}", self.dir.display()), e)
        })?;
        let path = self.dir.join(format!("{}.json", record.id));
        let tmp = self
            .dir
            .join(format!(".{}.{}.tmp", record.id, std::process::id()));
        let body = serde_json::to_vec_pretty(record).map_err(|e| Error::failed(e.to_string()))?;
        std::fs::write(&tmp, body)
            .map_err(|e| Error::failed_because(format!("cannot write {}", tmp.display()), e))?;
        let linked = std::fs::hard_link(&tmp, &path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::failed(format!(
                "release {} is already recorded at {}; records are never overwritten",
                record.id,
                path.display()
            ))),
            Err(e) => Err(Error::failed_because(
                format!("cannot write {}", path.display()),
                e,
            )),
        }
    }

    /// Every record, oldest first, and a warning for each file that is not one (empty, cut short,
    /// not UTF-8, not a record): one bad file never hides the good ones, and is never passed over
    /// silently.
    pub fn list(&self) -> Result<(Vec<Record>, Vec<String>)> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Vec::new(), Vec::new()))
            }
            Err(e) => {
                return Err(Error::failed_because(
                    format!("cannot read {}", self.dir.display()),
                    e,
                ))
            }
        };
        let mut out = Vec::new();
        let mut skipped = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !name.ends_with(".json") {
                continue;
            }
            let read = std::fs::read(&path)
                .map_err(|e| format!("cannot read it: {e}"))
                .and_then(|bytes| parse(&bytes).map_err(|e| e.message));
            match read {
                Ok(record) => out.push(record),
                Err(why) => skipped.push(skipped_file(&path.display().to_string(), &why)),
            }
        }
        sort(&mut out);
        Ok((out, skipped))
    }
}

/// The warning for a ledger file that is left out.
fn skipped_file(name: &str, why: &str) -> String {
    format!("skipped {name} in the release ledger: {why}")
}

/// Every release of the project's app, oldest first: the local ledger merged with the S3 one when
/// `release.ledger` is set. Release, deploy, rollback and monitor all read this.
///
/// A file of either ledger that is not a release record (empty, cut short, not UTF-8) is left out
/// with a warning naming it: one bad file must not stop every deploy and rollback.
pub async fn history(project: &Session) -> Result<Vec<Record>> {
    let cfg = &project.config;
    let (local, skipped) = LocalLedger::new(&cfg.root).list()?;
    for warning in skipped {
        project.warn_once(warning);
    }
    let local: Vec<Record> = local.into_iter().filter(|r| r.app == cfg.app()).collect();
    let Some((bucket, prefix)) = s3_location(cfg)? else {
        return Ok(local);
    };
    let sdk = project.aws().await?;
    let mut remote = Vec::new();
    for (key, bytes) in crate::aws::s3::read_all(sdk, &bucket, &prefix).await? {
        match parse(&bytes) {
            Ok(r) => remote.push(r),
            Err(e) => project.warn_once(skipped_file(&format!("s3://{bucket}/{key}"), &e.message)),
        }
    }
    Ok(merge(
        local,
        remote.into_iter().filter(|r| r.app == cfg.app()).collect(),
    ))
}

/// The S3 bucket and key prefix of this app's records, when `release.ledger` is set.
fn s3_location(cfg: &crate::config::Config) -> Result<Option<(String, String)>> {
    let Some(ledger) = &cfg.doc.release.ledger else {
        return Ok(None);
    };
    let (bucket, prefix) = crate::aws::s3::parse_location(ledger.get_ref())?;
    let prefix = if prefix.is_empty() {
        cfg.app().to_string()
    } else {
        format!("{prefix}/{}", cfg.app())
    };
    Ok(Some((bucket, prefix)))
}

/// Fail (nothing changed) when the ledger under `root` cannot take a new record: the record is
/// written after the release's tags, and a moving tag must never point at an unrecorded release.
pub fn ensure_writable(root: &Path) -> Result<()> {
    let dir = root.join(".devloop/releases");
    let probe = dir.join(format!(".write-check-{}", std::process::id()));
    let tried = crate::state::dir(root)
        .and_then(|_| std::fs::create_dir_all(&dir))
        .and_then(|()| std::fs::write(&probe, b""));
    let _ = std::fs::remove_file(&probe);
    tried.map_err(|e| {
        Error::failed(format!(
            "cannot write the release ledger {}: {e}; nothing was tagged or pushed",
            dir.display()
        ))
        .with_hint("make .devloop/ writable (it holds devloop's state), or run from a checkout you can write")
    })
}

/// Record `record` in the ledger: in S3 when `release.ledger` is set (refused if the id exists),
/// then locally. Returns the local file's path.
pub async fn record(project: &Session, record: &Record) -> Result<PathBuf> {
    let cfg = &project.config;
    let body = serde_json::to_vec_pretty(record).map_err(|e| Error::failed(e.to_string()))?;
    if let Some((bucket, prefix)) = s3_location(cfg)? {
        let sdk = project.aws().await?;
        crate::aws::s3::put_new(sdk, &bucket, &prefix, &format!("{}.json", record.id), body)
            .await?;
    }
    LocalLedger::new(&cfg.root).write(record)
}
