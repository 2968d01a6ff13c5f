//! Whether an identical build already exists: the build digest (everything the image depends on),
//! found on the daemon by label (BuildKit) or through the index of recent classic builds.

use std::collections::{BTreeMap, HashMap};

use bollard::query_parameters::ListImagesOptionsBuilder;
use sha2::{Digest, Sha256};

use crate::docker::Daemon;
use crate::session::Session;

/// Label holding the digest of everything the build depends on.
pub(super) const DIGEST_LABEL: &str = "devloop.digest";

/// The stat cache file for a context directory.
pub(super) fn cache_path(project: &Session) -> std::path::PathBuf {
    let ctx = project.config.context_dir();
    let key = hex::encode(Sha256::digest(ctx.to_string_lossy().as_bytes()));
    project
        .config
        .root
        .join(".devloop/cache")
        .join(format!("context-{}.json", &key[..16]))
}

/// Everything besides the context that changes what the build produces.
pub(super) fn build_digest(
    context_digest: &str,
    project: &Session,
    args: &BTreeMap<String, String>,
) -> String {
    let b = &project.config.doc.build;
    let mut h = Sha256::new();
    h.update(format!("devloop-build-v1\ncontext {context_digest}\n"));
    for (k, v) in args {
        h.update(format!("arg {k}={v}\n"));
    }
    for (k, v) in &b.labels {
        h.update(format!("label {k}={v}\n"));
    }
    h.update(format!(
        "target {:?}\nplatform {:?}\n",
        b.target, b.platform
    ));
    // Which secrets are offered, not their values (BuildKit does not rebuild when a value changes).
    for id in b.secrets.keys() {
        h.update(format!("secret {id}\n"));
    }
    hex::encode(h.finalize())
}

/// The newest image labelled with this build digest, and its tags. Found by label, so an image
/// whose tags have moved on (dangling, as the docker CLI leaves it) still counts until it is
/// pruned; devloop adds no tag of its own that would pin images.
pub(super) async fn built_with_digest(
    daemon: &Daemon,
    first: &str,
    digest: &str,
    indexed: Option<String>,
) -> Option<(String, Vec<String>)> {
    // Usually nothing changed and the first tag already names the image: one inspect.
    if let Ok(image) = daemon.client.inspect_image(first).await {
        let labels = image.config.as_ref().and_then(|c| c.labels.as_ref());
        let labelled = labels
            .and_then(|l| l.get(DIGEST_LABEL))
            .is_some_and(|d| d == digest);
        if labelled || (indexed.is_some() && image.id == indexed) {
            if let Some(id) = image.id {
                return Some((id, image.repo_tags.unwrap_or_default()));
            }
        }
    }
    // A classic build devloop remembers, if the daemon still has it.
    if let Some(id) = indexed {
        if let Ok(image) = daemon.client.inspect_image(&id).await {
            return Some((id, image.repo_tags.unwrap_or_default()));
        }
    }
    let filters = HashMap::from([(
        "label".to_string(),
        vec![format!("{DIGEST_LABEL}={digest}")],
    )]);
    let opts = ListImagesOptionsBuilder::default()
        .filters(&filters)
        .build();
    let mut images = daemon.client.list_images(Some(opts)).await.ok()?;
    // This repository's own image first (what it runs now, so an unchanged service is not
    // replaced by an identical build another project made), then the newest.
    let repo = first.rsplit_once(':').map_or(first, |(r, _)| r);
    let ours = |i: &bollard::models::ImageSummary| {
        i.repo_tags
            .iter()
            .any(|t| t.rsplit_once(':').is_some_and(|(r, _)| r == repo))
    };
    images.sort_by_key(|i| (std::cmp::Reverse(ours(i)), std::cmp::Reverse(i.created)));
    images
        .into_iter()
        .find(|i| i.labels.get(DIGEST_LABEL).is_some_and(|d| d == digest))
        .map(|i| (i.id, i.repo_tags))
}

/// The classic builder's images carry no devloop labels (each would cost a build step), so the
/// digest → image ID of recent classic builds is kept in `.devloop/cache/classic-builds.json`.
pub(super) struct ClassicIndex {
    path: std::path::PathBuf,
    /// (digest, image ID), newest last.
    entries: Vec<(String, String)>,
}

impl ClassicIndex {
    /// How many builds are remembered.
    const KEEP: usize = 64;

    pub(super) fn load(project: &Session) -> ClassicIndex {
        let path = project
            .config
            .root
            .join(".devloop/cache/classic-builds.json");
        let entries = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        ClassicIndex { path, entries }
    }

    pub(super) fn get(&self, digest: &str) -> Option<String> {
        self.entries
            .iter()
            .rev()
            .find(|(d, _)| d == digest)
            .map(|(_, id)| id.clone())
    }

    /// Remember a build. A failure to write only costs a rebuild later, so it is not an error.
    pub(super) fn insert(mut self, digest: &str, id: &str) {
        self.entries.retain(|(d, _)| d != digest);
        self.entries.push((digest.to_string(), id.to_string()));
        let excess = self.entries.len().saturating_sub(Self::KEEP);
        self.entries.drain(..excess);
        if let (Some(dir), Ok(body)) = (self.path.parent(), serde_json::to_vec(&self.entries)) {
            let tmp = self
                .path
                .with_extension(format!("{}.tmp", std::process::id()));
            let _ = std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(&tmp, body))
                .and_then(|()| std::fs::rename(&tmp, &self.path));
        }
    }
}
