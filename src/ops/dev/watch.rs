//! The build context watched with the platform's file notifications (inotify, FSEvents, …),
//! filtered as the build sees it: `.dockerignore`, never `.git` or `.devloop/`, nor editors'
//! scratch files. A burst of writes (an editor's save) comes out as one batch; writes during a
//! rebuild wait in the channel and come out as the next batch.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode, Watcher as _};
use tokio::sync::mpsc;

use crate::docker::context;
use crate::docker::ignore::Ignore;
use crate::error::{Error, Result};
use crate::session::Session;

/// A batch ends after this long without a relevant write…
const QUIET: Duration = Duration::from_millis(120);
/// …or this long after it began, whichever comes first.
const LONGEST: Duration = Duration::from_millis(1000);

pub struct Watcher {
    /// Kept alive: dropping it stops the notifications.
    _inner: notify::RecommendedWatcher,
    /// Each changed path, and whether the change created it.
    rx: mpsc::UnboundedReceiver<(PathBuf, bool)>,
    context: PathBuf,
    state: PathBuf,
    ignore: Ignore,
    /// Files that always matter though `.dockerignore` may list them.
    always: Vec<String>,
}

impl Watcher {
    pub fn start(project: &Session) -> Result<Watcher> {
        let cfg = &project.config;
        let canon = |p: PathBuf| std::fs::canonicalize(&p).unwrap_or(p);
        let context = canon(cfg.context_dir());
        let dockerfile = canon(cfg.dockerfile());
        let ignore_file = context::ignore_file(&context, &dockerfile, true);
        let ignore = match std::fs::read_to_string(&ignore_file) {
            Ok(text) => {
                Ignore::parse(&text).map_err(|e| Error::usage_because(ignore_file.display(), e))?
            }
            Err(_) => Ignore::default(),
        };
        let rel = |p: &Path| {
            p.strip_prefix(&context)
                .ok()
                .map(|r| r.to_string_lossy().replace('\\', "/"))
        };
        let always = [&dockerfile, &ignore_file]
            .into_iter()
            .filter_map(|p| rel(p))
            .collect();
        let (tx, rx) = mpsc::unbounded_channel();
        let mut inner = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let Ok(event) = res else { return };
            let created = matches!(event.kind, EventKind::Create(_));
            if created || matches!(event.kind, EventKind::Modify(_) | EventKind::Remove(_)) {
                for p in event.paths {
                    let _ = tx.send((p, created));
                }
            }
        })
        .map_err(|e| Error::failed_because("cannot watch files", e))?;
        inner
            .watch(&context, RecursiveMode::Recursive)
            .map_err(|e| {
                Error::failed_because(format!("cannot watch {}", context.display()), e).with_hint(
                    "on Linux, raise fs.inotify.max_user_watches if the context is large",
                )
            })?;
        Ok(Watcher {
            _inner: inner,
            rx,
            state: canon(cfg.root.clone()).join(".devloop"),
            context,
            ignore,
            always,
        })
    }

    /// The path relative to the context when a change to it can change the build.
    fn relevant(&self, p: &Path) -> Option<String> {
        if p.starts_with(&self.state) {
            return None;
        }
        let rel = p.strip_prefix(&self.context).ok()?;
        let rel = rel.to_string_lossy().replace('\\', "/");
        if rel.is_empty() || rel.split('/').any(|c| c == ".git" || c == ".devloop") {
            return None;
        }
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        // Editors' swap, backup and lock files.
        let scratch = name.ends_with('~')
            || name.ends_with(".swp")
            || name.ends_with(".swx")
            || name.starts_with(".#")
            || name == "4913";
        if scratch {
            return None;
        }
        if self.always.contains(&rel) || !self.ignore.excludes(&rel) {
            Some(rel)
        } else {
            None
        }
    }

    /// The next batch of changed files (relative to the context), sorted; `None` when the
    /// notifications stopped. A file made and gone again within the batch (a tool's temporary
    /// file, such as `sed -i`'s) changed nothing.
    pub async fn next_batch(&mut self) -> Option<Vec<String>> {
        let mut changed = BTreeSet::new();
        let mut made = BTreeSet::new();
        loop {
            while changed.is_empty() {
                let change = self.rx.recv().await?;
                self.take(change, &mut changed, &mut made);
            }
            let began = Instant::now();
            while began.elapsed() < LONGEST {
                match tokio::time::timeout(QUIET, self.rx.recv()).await {
                    Ok(Some(change)) => self.take(change, &mut changed, &mut made),
                    Ok(None) | Err(_) => break,
                }
            }
            changed.retain(|rel| !made.contains(rel) || self.context.join(rel).exists());
            if !changed.is_empty() {
                return Some(changed.into_iter().collect());
            }
            made.clear();
        }
    }

    fn take(
        &self,
        (path, created): (PathBuf, bool),
        changed: &mut BTreeSet<String>,
        made: &mut BTreeSet<String>,
    ) {
        if let Some(rel) = self.relevant(&path) {
            if created {
                made.insert(rel.clone());
            }
            changed.insert(rel);
        }
    }
}
