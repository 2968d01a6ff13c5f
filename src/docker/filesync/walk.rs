//! The walk in fsutil's order (depth first, names sorted bytewise), one stat per entry sent, with
//! Go's `os.FileMode` bits in the mode, as the daemon compares them with its copy.

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use bollard::fsutil::types::Stat;

use super::filter::Filter;
use super::Request;

/// Go's `os.FileMode` bits, which fsutil puts in `Stat.mode`.
pub(super) const GO_MODE_DIR: u32 = 1 << 31;
pub(super) const GO_MODE_SYMLINK: u32 = 1 << 27;
pub(super) const GO_MODE_SETUID: u32 = 1 << 23;
const GO_MODE_SETGID: u32 = 1 << 22;
const GO_MODE_STICKY: u32 = 1 << 20;

/// One entry the walk sends, with where to read it from.
pub struct Sent {
    pub stat: Stat,
    pub abs: PathBuf,
}

/// Go's `os.FileMode` for a file's metadata.
fn go_mode(meta: &std::fs::Metadata) -> u32 {
    let m = meta.mode();
    let mut out = m & 0o777;
    if m & 0o4000 != 0 {
        out |= GO_MODE_SETUID;
    }
    if m & 0o2000 != 0 {
        out |= GO_MODE_SETGID;
    }
    if m & 0o1000 != 0 {
        out |= GO_MODE_STICKY;
    }
    let ft = meta.file_type();
    if ft.is_dir() {
        out |= GO_MODE_DIR;
    } else if ft.is_symlink() {
        out |= GO_MODE_SYMLINK;
    }
    out
}

/// Walk `root` in fsutil's order (depth first, names sorted bytewise), calling `emit` for every
/// entry sent. Owner and group are sent as 0, as the docker CLI does. Sockets, FIFOs and devices
/// are not sent. `emit` returning false stops the walk.
pub fn walk(root: &Path, req: &Request, emit: &mut dyn FnMut(Sent) -> bool) -> io::Result<()> {
    let root = std::fs::canonicalize(root)?;
    let mut filter = Filter::new(&root, req)?;
    walk_dir(&root, "", &mut filter, emit).map(|_| ())
}

fn walk_dir(
    dir: &Path,
    prefix: &str,
    filter: &mut Filter,
    emit: &mut dyn FnMut(Sent) -> bool,
) -> io::Result<bool> {
    let mut names: Vec<std::ffi::OsString> = Vec::new();
    for item in std::fs::read_dir(dir)? {
        names.push(item?.file_name());
    }
    names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    for name in names {
        let abs = dir.join(&name);
        let name = name.to_string_lossy();
        let rel = if prefix.is_empty() {
            name.into_owned()
        } else {
            format!("{prefix}/{name}")
        };
        let meta = match std::fs::symlink_metadata(&abs) {
            Ok(m) => m,
            // Gone since the listing: not sent, as fsutil does.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", abs.display()))),
        };
        let ft = meta.file_type();
        if !(ft.is_dir() || ft.is_file() || ft.is_symlink()) {
            continue;
        }
        if !filter.admits(&rel, ft.is_dir()) {
            continue;
        }
        let mut stat = Stat {
            path: rel.clone(),
            mode: go_mode(&meta),
            mod_time: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
            ..Default::default()
        };
        if ft.is_symlink() {
            let target = std::fs::read_link(&abs)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", abs.display())))?;
            stat.linkname = target.to_string_lossy().into_owned();
        } else if ft.is_file() {
            stat.size = i64::try_from(meta.len()).unwrap_or(i64::MAX);
        }
        if !emit(Sent {
            stat,
            abs: abs.clone(),
        }) {
            return Ok(false);
        }
        if ft.is_dir() && !walk_dir(&abs, &rel, filter, emit)? {
            return Ok(false);
        }
    }
    Ok(true)
}
