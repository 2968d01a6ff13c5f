//! Repository state through git2: commit, branch, tag and whether the tree is dirty.
//!
//! Read locally and quickly (no network). Outside a repository the state is simply absent; only a
//! step that needs git turns that into an error.

use std::path::{Path, PathBuf};

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GitInfo {
    pub sha: String,
    pub short_sha: String,
    /// Current branch; from the CI runner's variables when HEAD is detached.
    pub branch: Option<String>,
    /// A tag pointing exactly at HEAD.
    pub tag: Option<String>,
    /// Tracked files differ from HEAD (untracked files do not count, as with `git describe --dirty`).
    /// True as well when the status could not be read: an unknown tree never counts as clean.
    pub dirty: bool,
    /// Why the working tree's status could not be read, when it could not.
    pub status_error: Option<String>,
    /// The tracked files that differ from HEAD (at most a few, for messages).
    pub dirty_files: Vec<String>,
    pub workdir: PathBuf,
    /// The `origin` remote's URL without credentials, for the image's source label.
    pub remote: Option<String>,
}

/// How many changed files a message names (one more is read, to say "and more").
pub const DIRTY_SHOWN: usize = 5;

/// "a.txt, b.txt" or "a.txt, … and more": the changed files a message names.
pub fn name_files(files: &[String]) -> String {
    let mut shown: Vec<&str> = files.iter().take(DIRTY_SHOWN).map(String::as_str).collect();
    if files.len() > DIRTY_SHOWN {
        shown.push("and more");
    }
    shown.join(", ")
}

/// Why there is no git state (not a repository, no commits); its text is the whole reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct NoGit(String);

impl std::fmt::Display for NoGit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NoGit {}

/// `user.name` from the git configuration of the repository containing `dir` (or the user's):
/// who is at the keyboard, when no CI runner says.
pub fn user_name(dir: &Path) -> Option<String> {
    let config = match git2::Repository::discover(dir) {
        Ok(repo) => repo.config().ok()?,
        Err(_) => git2::Config::open_default().ok()?,
    };
    config
        .get_string("user.name")
        .ok()
        .filter(|n| !n.trim().is_empty())
}

/// Inspect the repository containing `dir`. `Err` says why there is no git state.
pub fn inspect(dir: &Path, ci_branch: Option<String>) -> Result<GitInfo, NoGit> {
    let repo = git2::Repository::discover(dir)
        .map_err(|_| NoGit(format!("{} is not inside a git repository", dir.display())))?;
    let head = repo
        .head()
        .map_err(|_| NoGit("the git repository has no commits yet".to_string()))?;
    let commit = head
        .peel_to_commit()
        .map_err(|e| NoGit(format!("cannot read HEAD commit: {}", e.message())))?;
    let sha = commit.id().to_string();
    let short_sha = commit
        .as_object()
        .short_id()
        .ok()
        .and_then(|b| b.as_str().ok().map(str::to_string))
        .unwrap_or_else(|| sha.chars().take(7).collect());
    let branch = if head.is_branch() {
        head.shorthand().ok().map(str::to_string)
    } else {
        ci_branch
    };
    let tag = tag_at(&repo, commit.id());
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(false)
        .include_ignored(false)
        .exclude_submodules(true);
    let (dirty, status_error, dirty_files) = match repo.statuses(Some(&mut opts)) {
        Ok(s) => (
            !s.is_empty(),
            None,
            s.iter()
                .filter_map(|e| e.path().ok().map(str::to_string))
                .take(DIRTY_SHOWN + 1)
                .collect(),
        ),
        Err(e) => (true, Some(e.message().to_string()), Vec::new()),
    };
    let remote = repo
        .find_remote("origin")
        .ok()
        .and_then(|r| r.url().ok().map(strip_credentials));
    Ok(GitInfo {
        remote,
        sha,
        short_sha,
        branch,
        tag,
        dirty,
        status_error,
        dirty_files,
        workdir: repo.workdir().map(Path::to_path_buf).unwrap_or_default(),
    })
}

fn tag_at(repo: &git2::Repository, id: git2::Oid) -> Option<String> {
    let names = repo.tag_names(None).ok()?;
    let mut matching: Vec<String> = names
        .iter()
        .flatten()
        .flatten()
        .filter(|name| {
            repo.revparse_single(&format!("refs/tags/{name}"))
                .and_then(|o| o.peel_to_commit())
                .is_ok_and(|c| c.id() == id)
        })
        .map(str::to_string)
        .collect();
    matching.sort();
    matching.pop()
}

/// `https://user:token@host/x` → `https://host/x`: a token in a remote URL must not reach a label.
fn strip_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host_start = rest.find('/').unwrap_or(rest.len());
            match rest[..host_start].rfind('@') {
                Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn credentials_are_stripped_from_remotes() {
        assert_eq!(
            super::strip_credentials("https://u:tok@github.com/a/b.git"),
            "https://github.com/a/b.git"
        );
        assert_eq!(
            super::strip_credentials("git@github.com:a/b.git"),
            "git@github.com:a/b.git"
        );
    }
}
