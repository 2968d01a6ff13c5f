//! The walk of the context: depth first and sorted by name as the docker CLI walks, the root's
//! subdirectories on several threads, only what is sent stat'ed.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::{Entry, Kind};
use crate::docker::ignore::Ignore;
use crate::docker::statcache::FileStamp;
use crate::error::{Error, Result};

/// The walk of the context root, with its subdirectories walked on several threads; the result is
/// in the same order as a serial [`walk`].
pub(super) fn walk_parallel(root: &Path, ignore: &Ignore, out: &mut Vec<Entry>) -> Result<()> {
    // The root level serially; each directory to descend into becomes a job for the workers.
    let mut top = Vec::new();
    walk_level(root, "", ignore, &mut top)?;
    let jobs: Vec<&Entry> = top
        .iter()
        .filter(|(_, descend)| *descend)
        .map(|(e, _)| e)
        .collect();
    let slots: Vec<Mutex<Option<Result<Vec<Entry>>>>> =
        jobs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(2)
        .clamp(1, 8);
    std::thread::scope(|scope| {
        for _ in 0..threads.min(jobs.len()) {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let (Some(dir), Some(slot)) = (jobs.get(k), slots.get(k)) else {
                    break;
                };
                let mut sub = Vec::new();
                let result = walk(&dir.abs, &dir.rel, ignore, &mut sub).map(|_| sub);
                if let Ok(mut slot) = slot.lock() {
                    *slot = Some(result);
                }
            });
        }
    });
    let mut subtrees = slots
        .into_iter()
        .map(|slot| slot.into_inner().ok().flatten());
    for (entry, descend) in top {
        if !matches!(entry.kind, Kind::Excluded) {
            out.push(entry);
        }
        if descend {
            let sub = subtrees
                .next()
                .flatten()
                .ok_or_else(|| Error::failed("a build context walker thread failed"))??;
            out.extend(sub);
        }
    }
    Ok(())
}

/// Depth-first, sorted by name, as the docker CLI's walker does. Only entries that are sent are
/// stat'ed, and relative to their open directory (no path walk per file).
fn walk(dir: &Path, prefix: &str, ignore: &Ignore, out: &mut Vec<Entry>) -> Result<()> {
    let mut level = Vec::new();
    walk_level(dir, prefix, ignore, &mut level)?;
    for (entry, descend) in level {
        let (abs, rel) = (entry.abs.clone(), entry.rel.clone());
        if !matches!(entry.kind, Kind::Excluded) {
            out.push(entry);
        }
        if descend {
            walk(&abs, &rel, ignore, out)?;
        }
    }
    Ok(())
}

/// One directory's entries in order, each with whether the walk must descend into it. Excluded
/// directories that must still be entered (an exception may apply inside) come as `Kind::Excluded`.
fn walk_level(
    dir: &Path,
    prefix: &str,
    ignore: &Ignore,
    out: &mut Vec<(Entry, bool)>,
) -> Result<()> {
    let listing_error =
        |e: io::Error| Error::failed_because(format!("cannot list {}", dir.display()), e);
    let mut items: Vec<(String, std::fs::DirEntry)> = Vec::new();
    for item in std::fs::read_dir(dir).map_err(listing_error)? {
        let item = item.map_err(listing_error)?;
        items.push((item.file_name().to_string_lossy().into_owned(), item));
    }
    items.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, item) in items {
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let abs = item.path();
        let ft = item
            .file_type()
            .map_err(|e| Error::failed_because(format!("cannot read {}", abs.display()), e))?;
        if ignore.excludes(&rel) {
            if ft.is_dir() && ignore.has_exceptions() && ignore.must_enter(&rel) {
                let entry = Entry {
                    rel,
                    abs,
                    kind: Kind::Excluded,
                    mode: 0,
                };
                out.push((entry, true));
            }
            continue;
        }
        // Sockets, FIFOs and devices are not sent, as with the docker CLI.
        if !(ft.is_dir() || ft.is_file() || ft.is_symlink()) {
            continue;
        }
        let meta = item
            .metadata()
            .map_err(|e| Error::failed_because(format!("cannot read {}", abs.display()), e))?;
        let mode = meta.permissions().mode() & 0o7777;
        let kind = if ft.is_dir() {
            Kind::Dir
        } else if ft.is_symlink() {
            let target = std::fs::read_link(&abs).map_err(|e| {
                Error::failed_because(format!("cannot read link {}", abs.display()), e)
            })?;
            Kind::Symlink { target }
        } else {
            Kind::File {
                size: meta.len(),
                hash: [0; 32],
                stamp: FileStamp::of(&meta),
            }
        };
        let is_dir = matches!(kind, Kind::Dir);
        out.push((
            Entry {
                rel,
                abs,
                kind,
                mode,
            },
            is_dir,
        ));
    }
    Ok(())
}
