//! The stat cache: path → (size, mtime, ctime, inode) and the content hash computed for it, kept
//! under `.devloop/cache/` between runs so a context scan reads only new or changed files.

use std::collections::HashMap;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// What the stat cache compares: size, modification and change times, inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    size: u64,
    mtime: i64,
    mtime_ns: i64,
    ctime: i64,
    ctime_ns: i64,
    ino: u64,
}

impl FileStamp {
    pub fn of(meta: &std::fs::Metadata) -> Self {
        FileStamp {
            size: meta.size(),
            mtime: meta.mtime(),
            mtime_ns: meta.mtime_nsec(),
            ctime: meta.ctime(),
            ctime_ns: meta.ctime_nsec(),
            ino: meta.ino(),
        }
    }
}

/// A file's stamp when its hash was computed, and the hash (short names: the file has an entry
/// per file of the context).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    #[serde(rename = "s")]
    stamp: FileStamp,
    #[serde(rename = "h")]
    hash: String,
}

/// The cache file's format; another version is read as an empty cache.
const STAT_CACHE_VERSION: u32 = 2;

/// Path → stamp, kept under `.devloop/cache/` between runs.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct StatCache {
    #[serde(default)]
    version: u32,
    #[serde(default)]
    files: HashMap<String, Stamp>,
    #[serde(skip)]
    dirty: bool,
}

impl StatCache {
    /// Write the cache on a thread of its own when anything changed; the cache only saves work,
    /// so failing to write it is ignored.
    pub fn save_in_background(self, path: &Path) -> CacheWrite {
        let path = path.to_path_buf();
        CacheWrite(
            self.dirty
                .then(|| std::thread::spawn(move || drop(self.save(&path)))),
        )
    }

    /// Load a cache file; a missing, unreadable or older cache is an empty one.
    pub fn load(path: &Path) -> StatCache {
        std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice::<StatCache>(&b).ok())
            .filter(|c| c.version == STAT_CACHE_VERSION)
            .unwrap_or_else(|| StatCache {
                version: STAT_CACHE_VERSION,
                ..StatCache::default()
            })
    }

    /// Write atomically (temp file + rename) when anything changed.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        if !self.dirty {
            return Ok(());
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, serde_json::to_vec(self).map_err(io::Error::other)?)?;
        std::fs::rename(&tmp, path)
    }

    pub fn lookup(&self, rel: &str, st: &FileStamp) -> Option<[u8; 32]> {
        let s = self.files.get(rel)?;
        if s.stamp != *st {
            return None;
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(&s.hash, &mut out).ok()?;
        Some(out)
    }

    pub fn store(&mut self, rel: &str, st: &FileStamp, hash: &[u8; 32]) {
        self.files.insert(
            rel.to_string(),
            Stamp {
                stamp: *st,
                hash: hex::encode(hash),
            },
        );
        self.dirty = true;
    }

    /// Forget files that no longer exist, so the cache does not grow forever. Every live file was
    /// looked up or stored, so the cache holds stale entries exactly when it is larger.
    pub fn retain<'a>(&mut self, live: impl Iterator<Item = &'a str>, live_count: usize) {
        if self.files.len() == live_count {
            return;
        }
        let live: std::collections::HashSet<&str> = live.collect();
        self.files.retain(|k, _| live.contains(k.as_str()));
        self.dirty = true;
    }
}

/// The stat cache being written in the background; [`CacheWrite::finish`] waits for it.
#[must_use = "wait for the stat cache to be written before the process exits"]
pub struct CacheWrite(Option<std::thread::JoinHandle<()>>);

impl CacheWrite {
    pub fn finish(self) {
        if let Some(t) = self.0 {
            let _ = t.join();
        }
    }
}
