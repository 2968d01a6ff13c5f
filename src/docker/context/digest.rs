//! What the context's digest covers (every entry sent, and the Dockerfile), and the content hashes
//! it is made of, read through the stat cache so unchanged files are not read again.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{Entry, Kind};
use crate::docker::statcache::StatCache;
use crate::error::{Error, Result};

/// How much a context holds.
pub(super) struct Sums {
    pub(super) files: usize,
    pub(super) bytes: u64,
    /// Files whose content had to be read because the stat cache did not know them.
    pub(super) hashed: usize,
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

/// Fill in the hash of every file sent, from the cache when it knows the file; the cache keeps
/// only the files sent now.
pub(super) fn hash_files(entries: &mut [Entry], cache: &mut StatCache) -> Result<Sums> {
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
    Ok(Sums {
        files,
        bytes,
        hashed,
    })
}

/// sha256 over every entry (path, type, mode, content) and the Dockerfile.
pub(super) fn digest(dockerfile_name: &str, dockerfile_bytes: &[u8], entries: &[Entry]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"devloop-context-v1\n");
    hasher.update(format!(
        "dockerfile {dockerfile_name} {}\n",
        hex::encode(Sha256::digest(dockerfile_bytes))
    ));
    // One reused line buffer: this runs once per file of the context.
    let mut line = String::with_capacity(256);
    let mut hex_buf = [0u8; 64];
    for e in entries {
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
    hex::encode(hasher.finalize())
}
