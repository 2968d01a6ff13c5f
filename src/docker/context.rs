//! The build context, written by devloop: walk it with `.dockerignore` rules, hash what is sent
//! (with a stat cache so unchanged files are not read again), and stream it as a tar.
//!
//! The digest covers exactly what the daemon receives, so an identical digest means an identical
//! build input. Memory stays flat: the tar is produced on a blocking thread into a bounded channel.

use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::ignore::{Ignore, IgnoreError};
use super::statcache::{CacheWrite, FileStamp, StatCache};
use crate::error::{Error, Result};

mod digest;
mod stream;
mod walk;

pub use stream::tar_stream;

/// One thing the context sends.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Path inside the context, `/`-separated.
    pub rel: String,
    pub abs: PathBuf,
    pub kind: Kind,
    pub mode: u32,
}

#[derive(Debug, Clone)]
pub enum Kind {
    File {
        size: u64,
        hash: [u8; 32],
        stamp: FileStamp,
    },
    Dir,
    Symlink {
        target: PathBuf,
    },
    /// An excluded directory the walk still enters; never sent. Only inside the walker.
    Excluded,
}

/// A scanned context: its entries in tar order, where the Dockerfile is inside it, and its digest.
#[derive(Debug, Clone)]
pub struct Scan {
    pub entries: Vec<Entry>,
    /// Name of the Dockerfile inside the tar.
    pub dockerfile: String,
    /// A Dockerfile from outside the context, added to the tar under `dockerfile`.
    pub external_dockerfile: Option<Vec<u8>>,
    /// sha256 over every entry (path, type, mode, content) and the Dockerfile.
    pub digest: String,
    pub files: usize,
    pub bytes: u64,
    /// Files whose content had to be read because the stat cache did not know them.
    pub hashed: usize,
}
/// Walk `context` and decide what goes to the daemon. `dockerfile` may lie outside the context;
/// `ignore_file` holds the exclude rules (a missing file excludes nothing).
/// `state_dir` (devloop's own `.devloop/`) is never sent: its cache changes on every run.
/// The stat cache in `cache_file` is read while the walk runs and written back when it changed.
pub fn scan(
    context: &Path,
    dockerfile: &Path,
    ignore_file: &Path,
    state_dir: &Path,
    cache_file: &Path,
) -> Result<(Scan, CacheWrite)> {
    let cache_path = cache_file.to_path_buf();
    let loader = std::thread::spawn(move || StatCache::load(&cache_path));
    let (scan, cache) = scan_with(context, dockerfile, ignore_file, state_dir, || {
        loader.join().unwrap_or_default()
    })?;
    // Written while the build runs.
    Ok((scan, cache.save_in_background(cache_file)))
}

/// The ignore file a builder reads: BuildKit prefers `<Dockerfile>.dockerignore` next to the
/// Dockerfile; otherwise (and for the classic builder) `.dockerignore` at the context root.
pub fn ignore_file(context: &Path, dockerfile: &Path, buildkit: bool) -> PathBuf {
    let mut specific = dockerfile.as_os_str().to_owned();
    specific.push(".dockerignore");
    let specific = PathBuf::from(specific);
    if buildkit && specific.is_file() {
        specific
    } else {
        context.join(".dockerignore")
    }
}

fn scan_with(
    context: &Path,
    dockerfile: &Path,
    ignore_file: &Path,
    state_dir: &Path,
    cache: impl FnOnce() -> StatCache,
) -> Result<(Scan, StatCache)> {
    let (dockerfile_bytes, mut ignore) = read_inputs(context, dockerfile, ignore_file)?;
    let (dockerfile_name, external) = place_dockerfile(context, dockerfile, &dockerfile_bytes);
    // As the docker CLI does: the Dockerfile and .dockerignore are always sent.
    for keep in [".dockerignore", dockerfile_name.as_str()] {
        if (external.is_none() || keep == ".dockerignore") && ignore.excludes(keep) {
            ignore.push(&format!("!{keep}")).map_err(rule_error)?;
        }
    }

    if let Some(pattern) = state_exclude(context, state_dir) {
        ignore.push(&pattern).map_err(rule_error)?;
    }

    let mut entries = Vec::new();
    walk::walk_parallel(context, &ignore, &mut entries)?;
    let mut cache = cache();
    let sums = digest::hash_files(&mut entries, &mut cache)?;
    let scan = Scan {
        digest: digest::digest(&dockerfile_name, &dockerfile_bytes, &entries),
        entries,
        dockerfile: dockerfile_name,
        external_dockerfile: external,
        files: sums.files,
        bytes: sums.bytes,
        hashed: sums.hashed,
    };
    Ok((scan, cache))
}

/// The context must be a directory and the Dockerfile readable; the rules of the ignore file (none
/// when it is missing). Returns the Dockerfile's bytes and the rules.
fn read_inputs(context: &Path, dockerfile: &Path, ignore_file: &Path) -> Result<(Vec<u8>, Ignore)> {
    let meta = std::fs::metadata(context)
        .map_err(|e| Error::usage_because(format!("build context {}", context.display()), e))?;
    if !meta.is_dir() {
        return Err(Error::usage(format!(
            "build context {} is not a directory",
            context.display()
        )));
    }
    let dockerfile_bytes = std::fs::read(dockerfile).map_err(|e| {
        Error::usage_because(
            format!("cannot read Dockerfile {}", dockerfile.display()),
            e,
        )
    })?;
    let ignore_text = match std::fs::read_to_string(ignore_file) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(Error::usage_because(
                format!("cannot read {}", ignore_file.display()),
                e,
            ))
        }
    };
    let ignore =
        Ignore::parse(&ignore_text).map_err(|e| Error::usage_because(ignore_file.display(), e))?;
    Ok((dockerfile_bytes, ignore))
}

/// Where the Dockerfile is in the tar: its path inside the context, or a fixed name when outside
/// (its bytes are then added to the tar under that name).
fn place_dockerfile(
    context: &Path,
    dockerfile: &Path,
    dockerfile_bytes: &[u8],
) -> (String, Option<Vec<u8>>) {
    let inside = canonical(dockerfile).ok().and_then(|df| {
        canonical(context)
            .ok()
            .and_then(|ctx| df.strip_prefix(ctx).ok().map(Path::to_path_buf))
    });
    match inside {
        Some(rel) => (rel.to_string_lossy().replace('\\', "/"), None),
        None => {
            let short = &hex::encode(Sha256::digest(dockerfile_bytes))[..12];
            (
                format!(".devloop.Dockerfile.{short}"),
                Some(dockerfile_bytes.to_vec()),
            )
        }
    }
}

/// A rule devloop adds itself that cannot be read: its words as the message, kept as the cause.
fn rule_error(e: IgnoreError) -> Error {
    Error::usage(e.to_string()).caused_by(e)
}

/// The exclude pattern that keeps devloop's state directory out of a context it lies inside.
pub fn state_exclude(context: &Path, state_dir: &Path) -> Option<String> {
    canonical(context)
        .ok()
        .and_then(|ctx| state_dir.strip_prefix(&ctx).ok().map(Path::to_path_buf))
        .filter(|r| !r.as_os_str().is_empty())
        .map(|rel| format!("/{}", rel.to_string_lossy()))
}

fn canonical(p: &Path) -> io::Result<PathBuf> {
    std::fs::canonicalize(p)
}
