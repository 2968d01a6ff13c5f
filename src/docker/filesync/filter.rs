//! The walk's filters as fsutil applies them: include patterns (matched by prefix, a directory on
//! the way to a match is entered), exclude patterns (`.dockerignore` rules), and follow paths with
//! the symlinks along them resolved.

use std::collections::BTreeSet;
use std::io;
use std::path::Path;

use super::Request;
use crate::docker::ignore::{self, Ignore};

/// Symlinks followed for one follow path before giving up (a loop).
const MAX_LINKS: usize = 40;

/// The walk's filters, as fsutil applies them.
pub(super) struct Filter {
    includes: Option<Vec<String>>,
    excludes: Option<Ignore>,
    /// A directory matched whole by an include pattern: everything under it is included.
    last_included_dir: Option<String>,
}

impl Filter {
    pub(super) fn new(root: &Path, req: &Request) -> io::Result<Filter> {
        let mut includes = req
            .includes
            .as_ref()
            .map(|v| v.iter().map(|p| ignore::clean(p)).collect::<Vec<_>>());
        if !req.follow.is_empty() {
            let resolved = follow_links(root, &req.follow)?;
            let list = includes.get_or_insert_with(Vec::new);
            for r in resolved {
                if !list.contains(&r) {
                    list.push(r);
                }
            }
        }
        let excludes = if req.excludes.is_empty() {
            None
        } else {
            let mut ig = Ignore::default();
            for p in &req.excludes {
                ig.push(p).map_err(|why| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("exclude pattern {p:?}: {why}"),
                    )
                })?;
            }
            Some(ig)
        };
        Ok(Filter {
            includes,
            excludes,
            last_included_dir: None,
        })
    }

    /// Whether `rel` is sent (and, for a directory, entered).
    pub(super) fn admits(&mut self, rel: &str, is_dir: bool) -> bool {
        if let Some(includes) = &self.includes {
            let under_included = self.last_included_dir.as_deref().is_some_and(|d| {
                rel.len() > d.len() && rel.starts_with(d) && rel[d.len()..].starts_with('/')
            });
            if !under_included {
                let mut matched = false;
                let mut partial = true;
                for p in includes {
                    let (m, part) = match_prefix(p, rel);
                    if m {
                        matched = true;
                        if !part {
                            partial = false;
                            break;
                        }
                    }
                }
                if !matched {
                    return false;
                }
                if !partial && is_dir {
                    self.last_included_dir = Some(rel.to_string());
                }
            }
        }
        if let Some(ex) = &self.excludes {
            if ex.excludes(rel) {
                // An excluded directory is still sent and entered when an exception starts with it.
                return is_dir && ex.has_exceptions() && ex.must_enter(rel);
            }
        }
        true
    }
}

/// fsutil's `matchPrefix`: match `name` against the pattern cut to as many components as `name`
/// has; `partial` says the pattern was cut (a directory on the way to a match).
pub(super) fn match_prefix(pattern: &str, name: &str) -> (bool, bool) {
    let depth = name.matches('/').count();
    match pattern.match_indices('/').nth(depth) {
        Some((cut, _)) => (ignore::glob(&pattern[..cut], name), true),
        None => (ignore::glob(pattern, name), false),
    }
}

/// Resolve symlinks along each follow path (inside `root`), returning the paths to include: each
/// link and what it points to, as fsutil's `FollowLinks` does.
pub(super) fn follow_links(root: &Path, paths: &[String]) -> io::Result<Vec<String>> {
    let mut resolved = BTreeSet::new();
    for p in paths {
        follow_one(root, &ignore::clean(p), &mut resolved, 0)?;
    }
    Ok(resolved.into_iter().collect())
}

fn follow_one(
    root: &Path,
    path: &str,
    resolved: &mut BTreeSet<String>,
    links: usize,
) -> io::Result<()> {
    if links > MAX_LINKS {
        return Ok(());
    }
    let parts: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    let mut current = String::new();
    for (i, part) in parts.iter().enumerate() {
        if !current.is_empty() {
            current.push('/');
        }
        current.push_str(part);
        let rest = parts[i + 1..].join("/");
        let target = read_link_in(root, &current)?;
        if (rest.is_empty() || target.is_some()) && resolved.contains(&current) {
            return Ok(());
        }
        if let Some(target) = target {
            resolved.insert(current.clone());
            let next = if rest.is_empty() {
                target
            } else {
                format!("{target}/{rest}")
            };
            return follow_one(root, &next, resolved, links + 1);
        }
        if rest.is_empty() {
            resolved.insert(current);
            return Ok(());
        }
    }
    Ok(())
}

/// Where the symlink at `rel` points, as a path inside `root`; `None` when it is not a symlink.
fn read_link_in(root: &Path, rel: &str) -> io::Result<Option<String>> {
    let abs = root.join(rel);
    match std::fs::symlink_metadata(&abs) {
        Ok(m) if m.file_type().is_symlink() => {}
        Ok(_) => return Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    }
    let link = std::fs::read_link(&abs)?;
    let link = link.to_string_lossy();
    let joined = if link.starts_with('/') {
        link.into_owned()
    } else {
        let parent = rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        format!("/{parent}/{link}")
    };
    // Rooted, so `..` cannot climb out of the directory.
    let cleaned = ignore::clean(&joined);
    Ok(Some(cleaned.trim_start_matches('/').to_string()))
}
