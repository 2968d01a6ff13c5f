//! The build context, written by devloop: walk it with `.dockerignore` rules, hash what is sent
//! (with a stat cache so unchanged files are not read again), and stream it as a tar.
//!
//! The digest covers exactly what the daemon receives, so an identical digest means an identical
//! build input. Memory stays flat: the tar is produced on a blocking thread into a bounded channel.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use bytes::Bytes;

use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::ignore::{Ignore, IgnoreError};
use super::statcache::{CacheWrite, FileStamp, StatCache};
use crate::error::{Error, Result};

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

fn hash_file(path: &Path) -> io::Result<[u8; 32]> {
    let mut f = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().into())
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
    let mut ignore =
        Ignore::parse(&ignore_text).map_err(|e| Error::usage_because(ignore_file.display(), e))?;

    // Where the Dockerfile is in the tar: its path inside the context, or a fixed name when outside.
    let inside = canonical(dockerfile).ok().and_then(|df| {
        canonical(context)
            .ok()
            .and_then(|ctx| df.strip_prefix(ctx).ok().map(Path::to_path_buf))
    });
    let (dockerfile_name, external) = match inside {
        Some(rel) => (rel.to_string_lossy().replace('\\', "/"), None),
        None => {
            let short = &hex::encode(Sha256::digest(&dockerfile_bytes))[..12];
            (
                format!(".devloop.Dockerfile.{short}"),
                Some(dockerfile_bytes.clone()),
            )
        }
    };
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
    walk_parallel(context, &ignore, &mut entries)?;
    let mut cache = cache();

    let mut hashed = 0;
    let mut files = 0;
    let mut bytes = 0u64;
    for e in entries.iter_mut() {
        if let Kind::File { size, hash, stamp } = &mut e.kind {
            *hash = match cache.lookup(&e.rel, stamp) {
                Some(h) => h,
                None => {
                    hashed += 1;
                    let h = hash_file(&e.abs).map_err(|err| {
                        Error::failed_because(format!("cannot read {}", e.abs.display()), err)
                    })?;
                    cache.store(&e.rel, stamp, &h);
                    h
                }
            };
            files += 1;
            bytes += *size;
        }
    }
    let live = entries
        .iter()
        .filter(|e| matches!(e.kind, Kind::File { .. }))
        .map(|e| e.rel.as_str());
    cache.retain(live, files);

    let mut hasher = Sha256::new();
    hasher.update(b"devloop-context-v1\n");
    hasher.update(format!(
        "dockerfile {dockerfile_name} {}\n",
        hex::encode(Sha256::digest(&dockerfile_bytes))
    ));
    // One reused line buffer: this runs once per file of the context.
    let mut line = String::with_capacity(256);
    let mut hex_buf = [0u8; 64];
    for e in &entries {
        use std::fmt::Write as _;
        line.clear();
        let _ = match &e.kind {
            Kind::File { hash, .. } => {
                let hex = hex::encode_to_slice(hash, &mut hex_buf)
                    .ok()
                    .and_then(|_| std::str::from_utf8(&hex_buf).ok())
                    .unwrap_or_default();
                writeln!(line, "f {:o} {hex} {}", e.mode, e.rel)
            }
            Kind::Dir => writeln!(line, "d {:o} {}", e.mode, e.rel),
            Kind::Symlink { target } => writeln!(line, "l {} -> {}", e.rel, target.display()),
            Kind::Excluded => continue,
        };
        hasher.update(line.as_bytes());
    }
    let scan = Scan {
        entries,
        dockerfile: dockerfile_name,
        external_dockerfile: external,
        digest: hex::encode(hasher.finalize()),
        files,
        bytes,
        hashed,
    };
    Ok((scan, cache))
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

/// The walk of the context root, with its subdirectories walked on several threads; the result is
/// in the same order as a serial [`walk`].
fn walk_parallel(root: &Path, ignore: &Ignore, out: &mut Vec<Entry>) -> Result<()> {
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

/// Bytes written into a bounded channel in 64 KiB chunks.
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| {
            io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the daemon stopped reading the context",
            )
        })
    }
}

/// Stream the scanned context as a tar. The producer stops when the receiver is dropped.
pub fn tar_stream(scan: Scan) -> mpsc::Receiver<io::Result<Bytes>> {
    let (tx, rx) = mpsc::channel(8);
    let err_tx = tx.clone();
    std::thread::spawn(move || {
        let writer = ChannelWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
        };
        if let Err(e) = write_tar(&scan, writer) {
            if e.kind() != io::ErrorKind::BrokenPipe {
                let _ = err_tx.blocking_send(Err(e));
            }
        }
    });
    rx
}

fn header(mode: u32, mtime: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(mtime);
    h
}

fn write_tar(scan: &Scan, writer: ChannelWriter) -> io::Result<()> {
    let mut tar = tar::Builder::new(writer);
    tar.follow_symlinks(false);
    for e in &scan.entries {
        let meta = std::fs::symlink_metadata(&e.abs)?;
        let mtime = meta.mtime().max(0) as u64;
        match &e.kind {
            Kind::Dir => {
                let mut h = header(e.mode, mtime);
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                tar.append_data(&mut h, format!("{}/", e.rel), io::empty())?;
            }
            Kind::Symlink { target } => {
                let mut h = header(e.mode, mtime);
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                tar.append_link(&mut h, &e.rel, target)?;
            }
            Kind::Excluded => {}
            Kind::File { .. } => {
                let file = File::open(&e.abs)?;
                let len = file.metadata()?.len();
                let mut h = header(e.mode, mtime);
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(len);
                tar.append_data(&mut h, &e.rel, file.take(len))?;
            }
        }
    }
    if let Some(bytes) = &scan.external_dockerfile {
        let mut h = header(0o644, 0);
        h.set_size(bytes.len() as u64);
        tar.append_data(&mut h, &scan.dockerfile, bytes.as_slice())?;
    }
    let mut w = tar.into_inner()?;
    w.flush()
}
