//! The FileSync side of a BuildKit session, served by devloop. The daemon asks for a directory by
//! name ("context", "dockerfile") with include, exclude and follow patterns; devloop walks it the
//! way fsutil does and sends one stat per entry. The daemon compares the stats with its copy from
//! the previous build of the same directory and requests only the files that differ, so a one-file
//! change on a large context moves one file.
//!
//! Wire protocol (fsutil's `DiffCopy`): STAT packets in walk order, then an empty STAT; the daemon
//! sends REQ packets with the index of a stat; each requested file goes back as DATA packets with
//! that index and an empty DATA to end it; the daemon's FIN is answered with FIN.

use std::collections::{BTreeSet, HashMap};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bollard::fsutil::types::packet::PacketType;
use bollard::fsutil::types::{Packet, Stat};
use tokio::sync::mpsc;
use tonic::metadata::MetadataMap;
use tonic::{Status, Streaming};

use super::ignore::{self, Ignore};

/// Go's `os.FileMode` bits, which fsutil puts in `Stat.mode`.
const GO_MODE_DIR: u32 = 1 << 31;
const GO_MODE_SYMLINK: u32 = 1 << 27;
const GO_MODE_SETUID: u32 = 1 << 23;
const GO_MODE_SETGID: u32 = 1 << 22;
const GO_MODE_STICKY: u32 = 1 << 20;

/// File content goes out in messages of this size.
const CHUNK: usize = 64 * 1024;
/// Files sent at the same time, as fsutil does.
const PARALLEL_FILES: usize = 4;
/// Symlinks followed for one follow path before giving up (a loop).
const MAX_LINKS: usize = 40;

/// What the daemon asked for, from the call's metadata.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Request {
    pub dir: String,
    /// `None` when the daemon sent no include patterns (everything is included).
    pub includes: Option<Vec<String>>,
    pub excludes: Vec<String>,
    pub follow: Vec<String>,
}

impl Request {
    /// Read `dir-name`, `include-patterns`, `exclude-patterns` and `followpaths`. Newer daemons
    /// percent-encode values and say so with a `<key>-encoded: true` companion.
    pub fn from_metadata(md: &MetadataMap) -> Request {
        let values = |key: &str| -> Option<Vec<String>> {
            let encoded = md
                .get(format!("{key}-encoded"))
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
            let all: Vec<String> = md
                .get_all(key)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(|v| if encoded { query_unescape(v) } else { v.into() })
                .collect();
            (!all.is_empty()).then_some(all)
        };
        Request {
            dir: values("dir-name")
                .and_then(|v| v.into_iter().next())
                .unwrap_or_default(),
            includes: values("include-patterns"),
            excludes: values("exclude-patterns").unwrap_or_default(),
            follow: values("followpaths").unwrap_or_default(),
        }
    }
}

/// Go's `url.QueryUnescape`; a malformed escape is kept as it is.
fn query_unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex_value(bytes[i + 1]), hex_value(bytes[i + 2]))
            {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// One entry the walk sends, with where to read it from.
pub struct Sent {
    pub stat: Stat,
    pub abs: PathBuf,
}

/// The walk's filters, as fsutil applies them.
struct Filter {
    includes: Option<Vec<String>>,
    excludes: Option<Ignore>,
    /// A directory matched whole by an include pattern: everything under it is included.
    last_included_dir: Option<String>,
}

impl Filter {
    fn new(root: &Path, req: &Request) -> io::Result<Filter> {
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
    fn admits(&mut self, rel: &str, is_dir: bool) -> bool {
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
fn match_prefix(pattern: &str, name: &str) -> (bool, bool) {
    let depth = name.matches('/').count();
    match pattern.match_indices('/').nth(depth) {
        Some((cut, _)) => (ignore::glob(&pattern[..cut], name), true),
        None => (ignore::glob(pattern, name), false),
    }
}

/// Resolve symlinks along each follow path (inside `root`), returning the paths to include: each
/// link and what it points to, as fsutil's `FollowLinks` does.
fn follow_links(root: &Path, paths: &[String]) -> io::Result<Vec<String>> {
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

fn packet(kind: PacketType) -> Packet {
    Packet {
        r#type: kind as i32,
        ..Default::default()
    }
}

fn error_packet(message: String) -> Packet {
    Packet {
        r#type: PacketType::PacketErr as i32,
        data: message.into_bytes(),
        ..Default::default()
    }
}

type Out = mpsc::Sender<Result<Packet, Status>>;

/// Serve one `DiffCopy` call for `root`: stats out, requested files out, until the daemon's FIN.
pub async fn serve(root: PathBuf, req: Request, mut inbound: Streaming<Packet>, out: Out) {
    let files: Arc<Mutex<HashMap<u32, PathBuf>>> = Arc::default();
    let walker = {
        let (files, out) = (files.clone(), out.clone());
        tokio::task::spawn_blocking(move || {
            let mut id: u32 = 0;
            let result = walk(&root, &req, &mut |sent| {
                if sent.stat.mode & (GO_MODE_DIR | GO_MODE_SYMLINK) == 0 {
                    if let Ok(mut f) = files.lock() {
                        f.insert(id, sent.abs);
                    }
                }
                id = id.wrapping_add(1);
                let p = Packet {
                    stat: Some(sent.stat),
                    ..packet(PacketType::PacketStat)
                };
                out.blocking_send(Ok(p)).is_ok()
            });
            let last = match result {
                Ok(()) => packet(PacketType::PacketStat),
                Err(e) => error_packet(format!("cannot walk {}: {e}", root.display())),
            };
            let _ = out.blocking_send(Ok(last));
        })
    };
    // Requests are read as soon as they arrive (HTTP/2 closes a connection whose peer leaves many
    // small frames unread) and queued for a few file senders.
    let (queue, pending) = mpsc::unbounded_channel::<(u32, PathBuf)>();
    let pending = Arc::new(tokio::sync::Mutex::new(pending));
    let senders: Vec<_> = (0..PARALLEL_FILES)
        .map(|_| {
            let (pending, out) = (pending.clone(), out.clone());
            tokio::spawn(async move {
                loop {
                    let next = pending.lock().await.recv().await;
                    let Some((id, path)) = next else { break };
                    let out = out.clone();
                    let sent = tokio::task::spawn_blocking(move || send_file(id, &path, &out));
                    if !matches!(sent.await, Ok(true)) {
                        break;
                    }
                }
            })
        })
        .collect();
    loop {
        let p = match inbound.message().await {
            Ok(Some(p)) => p,
            Ok(None) | Err(_) => break,
        };
        match PacketType::try_from(p.r#type) {
            Ok(PacketType::PacketReq) => {
                let path = files.lock().ok().and_then(|f| f.get(&p.id).cloned());
                let Some(path) = path else {
                    let _ = out
                        .send(Ok(error_packet(format!("invalid file request {}", p.id))))
                        .await;
                    break;
                };
                if queue.send((p.id, path)).is_err() {
                    break;
                }
            }
            Ok(PacketType::PacketFin) => {
                // The daemon has every file it asked for; let the senders finish, then answer.
                drop(queue);
                for s in senders {
                    let _ = s.await;
                }
                let _ = walker.await;
                let _ = out.send(Ok(packet(PacketType::PacketFin))).await;
                return;
            }
            // The daemon gave up (its message is in the build output); stop sending.
            Ok(PacketType::PacketErr) => break,
            _ => {}
        }
    }
    for s in senders {
        s.abort();
    }
    walker.abort();
}

/// Send one file as DATA packets, then the empty DATA that ends it. A file that cannot be read
/// fails the transfer with the reason, rather than arriving empty. False when sending must stop.
fn send_file(id: u32, path: &Path, out: &Out) -> bool {
    let data = |data: Vec<u8>| Packet {
        id,
        data,
        ..packet(PacketType::PacketData)
    };
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            let _ = out.blocking_send(Ok(error_packet(format!(
                "cannot read {}: {e}",
                path.display()
            ))));
            return false;
        }
    };
    loop {
        let mut buf = vec![0u8; CHUNK];
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                buf.truncate(n);
                if out.blocking_send(Ok(data(buf))).is_err() {
                    return false;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                let _ = out.blocking_send(Ok(error_packet(format!(
                    "cannot read {}: {e}",
                    path.display()
                ))));
                return false;
            }
        }
    }
    out.blocking_send(Ok(data(Vec::new()))).is_ok()
}

#[cfg(test)]
mod tests;
