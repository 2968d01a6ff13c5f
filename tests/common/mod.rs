//! Helpers shared by the integration tests: run the real binary, make throwaway projects.
#![allow(dead_code)]

pub mod awspeer;
pub mod peers;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_devloop");

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary with an environment free of the caller's devloop settings.
pub fn devloop(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("DEVLOOP_") || k.starts_with("GITHUB_") {
            cmd.env_remove(&k);
        }
    }
    cmd.env("NO_COLOR", "1");
    cmd
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

pub fn run(cmd: &mut Command) -> Run {
    cmd.output().expect("run devloop").into()
}

/// A temporary project directory holding `files`, committed to a fresh git repository.
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        let p = dir.path().join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("write");
    }
    commit_all(dir.path(), "initial");
    dir
}

/// A copy of one of the bundled examples, committed to a fresh git repository.
pub fn example(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&repo_root().join("examples").join(name), dir.path());
    commit_all(dir.path(), "example");
    dir
}

/// examples/<name> under its own app name (so parallel tests never share images or containers),
/// committed to a fresh git repository.
pub fn example_as(name: &str, app: &str) -> tempfile::TempDir {
    let dir = example(name);
    let path = dir.path().join("devloop.toml");
    let toml = std::fs::read_to_string(&path).expect("read example config");
    let renamed = toml.replacen(
        &format!("name = \"{name}\""),
        &format!("name = \"{app}\""),
        1,
    );
    assert_ne!(
        toml, renamed,
        "examples/{name}/devloop.toml has no app name to replace"
    );
    std::fs::write(&path, renamed).expect("write config");
    commit_all(dir.path(), "rename");
    dir
}

/// Replace `from` by `to` in `dir/file`; the text must be there, so a changed example fails loudly.
pub fn replace_in(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{file} has no {from:?}");
    std::fs::write(&path, text.replace(from, to)).expect("write");
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read example") {
        let entry = entry.expect("entry");
        // devloop's own state (left by running the example by hand) is not part of the example.
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

pub fn commit_all(dir: &Path, message: &str) -> String {
    let repo = git2::Repository::open(dir)
        .or_else(|_| git2::Repository::init(dir))
        .expect("git init");
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

/// The test needs a Docker daemon. Tests that need one carry
/// `#[cfg_attr(devloop_no_docker, ignore = "...")]` (set by build.rs when none answered at build
/// time, never under CI), so reaching this without a daemon is a failure, not a silent pass.
pub fn require_docker() {
    let ok = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "no Docker daemon answers: scripts/services.sh starts one"
    );
}

/// The test needs the daemon to be a swarm manager.
pub fn require_swarm() {
    require_docker();
    assert_eq!(
        docker(&["info", "--format", "{{.Swarm.LocalNodeState}}"]),
        "active",
        "the daemon is not in a swarm: scripts/services.sh runs docker swarm init"
    );
}

/// The test needs Docker, the distribution registry, htpasswd and curl.
pub fn require_registry() {
    require_docker();
    for program in ["docker-registry", "htpasswd", "curl"] {
        assert!(
            peers::have(program),
            "{program} is missing: scripts/services.sh installs it"
        );
    }
}

/// Run the docker CLI (as an oracle and for cleanup); returns stdout.
pub fn docker(args: &[&str]) -> String {
    let o = Command::new("docker")
        .args(args)
        .output()
        .expect("docker CLI");
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// A unique name for images and containers of one test.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{}-{:x}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        nanos
    )
}

/// Removes, when dropped, every image of a repository and every test container of an app.
pub struct DockerCleanup {
    pub image: String,
    pub extra_images: Vec<String>,
}

impl Drop for DockerCleanup {
    fn drop(&mut self) {
        // Swarm services and containers deployed for this app (label devloop.app=<image name>, the
        // app name in these tests).
        let services = docker(&[
            "service",
            "ls",
            "-q",
            "--filter",
            &format!("label=devloop.app={}", self.image),
        ]);
        if !services.is_empty() {
            let mut args = vec!["service", "rm"];
            args.extend(services.lines());
            docker(&args);
        }
        let deployed = docker(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=devloop.app={}", self.image),
            // Named for this app too: a container inherits the labels of an image that another
            // test's app built first, and must not be removed by that test.
            "--filter",
            &format!("name={}", self.image),
        ]);
        if !deployed.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(deployed.lines());
            docker(&args);
        }
        let refs = docker(&[
            "image",
            "ls",
            "--format",
            "{{.Repository}}:{{.Tag}}",
            &self.image,
        ]);
        // Builds whose tags moved on are dangling: find them by devloop's label. Only untagged
        // ones: a build with identical inputs is shared by content with other tests' apps (it
        // keeps the label of the app that built it first), and removing it by ID would take
        // their tags away mid-test.
        let dangling = docker(&[
            "image",
            "ls",
            "-q",
            "--filter",
            "dangling=true",
            "--filter",
            &format!("label=devloop.app={}", self.image),
        ]);
        let mut all: Vec<&str> = refs.lines().chain(dangling.lines()).collect();
        all.sort_unstable();
        all.dedup();
        all.retain(|r| !r.is_empty());
        all.extend(self.extra_images.iter().map(String::as_str));
        if !all.is_empty() {
            let mut args = vec!["rmi", "-f"];
            args.extend(all);
            docker(&args);
        }
    }
}

/// Test containers still present for an app (label devloop.test=<app>/...).
pub fn leftover_test_containers(app: &str) -> Vec<String> {
    docker(&[
        "ps",
        "-a",
        "--format",
        "{{.Names}} {{.Label \"devloop.test\"}}",
    ])
    .lines()
    .filter(|l| {
        l.split(' ')
            .nth(1)
            .is_some_and(|v| v.starts_with(&format!("{app}/")))
    })
    .map(str::to_string)
    .collect()
}

/// A release record as `devloop release` writes it, for tests that need no build.
pub fn write_release(dir: &Path, app: &str, registry: Option<&str>) -> String {
    let id = "20260101T000000Z-abc1234";
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
    std::fs::create_dir_all(&ledger).unwrap();
    std::fs::write(ledger.join(format!("{id}.json")), body).unwrap();
    image
}
