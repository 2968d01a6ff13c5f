//! The scanned context as a tar stream, written on a blocking thread into a bounded channel so
//! memory stays flat; the producer stops when the daemon stops reading.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::MetadataExt;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::{Kind, Scan};

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
