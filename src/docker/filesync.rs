//! The FileSync side of a BuildKit session, served by devloop. The daemon asks for a directory by
//! name ("context", "dockerfile") with include, exclude and follow patterns; devloop walks it the
//! way fsutil does and sends one stat per entry. The daemon compares the stats with its copy from
//! the previous build of the same directory and requests only the files that differ, so a one-file
//! change on a large context moves one file.
//!
//! Wire protocol (fsutil's `DiffCopy`): STAT packets in walk order, then an empty STAT; the daemon
//! sends REQ packets with the index of a stat; each requested file goes back as DATA packets with
//! that index and an empty DATA to end it; the daemon's FIN is answered with FIN.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bollard::fsutil::types::packet::PacketType;
use bollard::fsutil::types::Packet;
use tokio::sync::mpsc;
use tonic::{Status, Streaming};

mod filter;
mod request;
mod walk;

pub use request::Request;
pub use walk::walk;
use walk::{GO_MODE_DIR, GO_MODE_SYMLINK};

/// File content goes out in messages of this size.
const CHUNK: usize = 64 * 1024;
/// Files sent at the same time, as fsutil does.
const PARALLEL_FILES: usize = 4;

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
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
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
