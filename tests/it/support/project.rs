//! Project directories on disk: files written, examples copied, git commits made with libgit2
//! (branch `master` whatever the machine's `init.defaultBranch`, so output naming the branch is
//! the same everywhere), and what a test reads back (listings, HEAD, release records).

use std::path::Path;

use super::run::repo_root;

/// Write `files` (paths relative to `dir`, parents created).
pub fn write_files<P: AsRef<Path>, T: AsRef<[u8]>>(dir: &Path, files: &[(P, T)]) {
    for (path, text) in files {
        let p = dir.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("write");
    }
}

/// A git repository in `dir` (opened if there is one), its first branch `master`.
pub fn git_init(dir: &Path) -> git2::Repository {
    git2::Repository::open(dir)
        .or_else(|_| {
            let mut opts = git2::RepositoryInitOptions::new();
            opts.initial_head("master");
            git2::Repository::init_opts(dir, &opts)
        })
        .expect("git init")
}

/// `git add -A && git commit -m message`, with a fixed author; returns the commit's SHA.
pub fn commit_all(dir: &Path, message: &str) -> String {
    let repo = git_init(dir);
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.write().expect("write index");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("find tree");
    let sig = git2::Signature::now("devloop tests", "tests@devloop.invalid").expect("sig");
    let parents: Vec<git2::Commit> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
    let id = repo
        .commit(Some("HEAD"), &sig, &sig, message, &tree, &parent_refs)
        .expect("commit");
    id.to_string()
}

/// A commit that changes nothing (`git commit --allow-empty`); returns its SHA.
pub fn commit_empty(dir: &Path, message: &str) -> String {
    let repo = git2::Repository::open(dir).expect("open repo");
    let sig = git2::Signature::now("devloop tests", "tests@devloop.invalid").expect("sig");
    let head = repo.head().expect("HEAD").peel_to_commit().expect("commit");
    let tree = head.tree().expect("tree");
    let id = repo
        .commit(Some("HEAD"), &sig, &sig, message, &tree, &[&head])
        .expect("commit");
    id.to_string()
}

/// The commit HEAD points at.
pub fn head_sha(dir: &Path) -> String {
    let repo = git2::Repository::open(dir).expect("open repo");
    let sha = repo
        .head()
        .expect("HEAD")
        .peel_to_commit()
        .expect("commit")
        .id()
        .to_string();
    sha
}

/// Copy a directory tree, leaving out devloop's own state (`.devloop/`, left by running an
/// example by hand).
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read example") {
        let entry = entry.expect("entry");
        if entry.file_name() == ".devloop" {
            continue;
        }
        let dest = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).expect("copy");
        }
    }
}

/// examples/<name> copied into `dir`.
pub fn copy_example(name: &str, dir: &Path) {
    copy_dir(&repo_root().join("examples").join(name), dir);
}

/// Give examples/<name>'s app another name (so parallel tests never share images or
/// containers); the example must name itself, so a changed example fails loudly.
pub fn rename_example_app(dir: &Path, name: &str, app: &str) {
    replace_in(
        dir,
        "devloop.toml",
        &format!("name = \"{name}\""),
        &format!("name = \"{app}\""),
    );
}

/// Replace `from` by `to` in `dir/file`; the text must be there, so a changed example fails loudly.
#[track_caller]
pub fn replace_in(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{file} has no {from:?}");
    std::fs::write(&path, text.replace(from, to)).expect("write");
}

/// Every file under `dir`, relative, sorted: to show that a failing command wrote nothing.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        if let Ok(rd) = std::fs::read_dir(d) {
            for e in rd.flatten() {
                let p = e.path();
                if p.file_name().is_some_and(|n| n == ".git") {
                    continue;
                }
                out.push(p.strip_prefix(base).unwrap_or(&p).display().to_string());
                if p.is_dir() {
                    walk(base, &p, out);
                }
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The id of the release record [`write_release`] writes.
pub const RELEASE_ID: &str = "20260101T000000Z-abc1234";

/// A release record as `devloop release` writes it, for tests that need no build; returns the
/// image it names.
pub fn write_release(dir: &Path, app: &str, registry: Option<&str>) -> String {
    let id = RELEASE_ID;
    let (image, reg, repo) = match registry {
        Some(r) => (
            format!("{r}/team/{app}@sha256:{}", "a".repeat(64)),
            format!("\"{r}\""),
            format!("{r}/team/{app}"),
        ),
        None => (
            format!("{app}@sha256:{}", "b".repeat(64)),
            "null".to_string(),
            app.to_string(),
        ),
    };
    let body = format!(
        r#"{{"format":1,"id":"{id}","app":"{app}","image":"{image}","image_id":"sha256:{}","registry":{reg},"repository":"{repo}","tags":["abc1234"],"moving_tags":[],"build_digest":null,"git":null,"created_at":"2026-01-01T00:00:00Z","created_by":"test","config_digest":"c","devloop_version":"0.1.0"}}"#,
        "c".repeat(64)
    );
    let ledger = dir.join(".devloop/releases");
    std::fs::create_dir_all(&ledger).expect("mkdir ledger");
    std::fs::write(ledger.join(format!("{id}.json")), body).expect("write release");
    image
}

/// A release record of a set as `devloop release` writes it (format 2), for tests that need no
/// build: `services` pairs each service with the hex digit its image digest repeats, so two
/// releases share a service's image by sharing its digit. Returns each service's image.
pub fn write_set_release(
    dir: &Path,
    app: &str,
    registry: &str,
    id: &str,
    services: &[(&str, char)],
) -> Vec<String> {
    let mut images = Vec::new();
    let parts: Vec<String> = services
        .iter()
        .map(|(svc, digit)| {
            let repo = format!("{registry}/{app}-{svc}");
            let image = format!("{repo}@sha256:{}", digit.to_string().repeat(64));
            images.push(image.clone());
            format!(
                r#"{{"service":"{svc}","image":"{image}","image_id":"sha256:{}","registry":"{registry}","repository":"{repo}","tags":["abc1234"],"moving_tags":[],"build_digest":null}}"#,
                digit.to_string().repeat(64)
            )
        })
        .collect();
    let body = format!(
        r#"{{"format":2,"id":"{id}","app":"{app}","image":"","image_id":"","registry":null,"repository":"","tags":["abc1234"],"moving_tags":[],"build_digest":null,"git":null,"created_at":"2026-01-01T00:00:00Z","created_by":"test","config_digest":"c","devloop_version":"0.1.0","services":[{}]}}"#,
        parts.join(",")
    );
    let ledger = dir.join(".devloop/releases");
    std::fs::create_dir_all(&ledger).expect("mkdir ledger");
    std::fs::write(ledger.join(format!("{id}.json")), body).expect("write release");
    images
}
