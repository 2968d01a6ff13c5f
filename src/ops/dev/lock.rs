//! One `dev` per project and environment: two would replace each other's containers.

use crate::error::{Error, Result};
use crate::session::Session;

/// `.devloop/dev-<env>.pid`, made with create-new and removed on every exit; a file left by a
/// process that is gone is taken over.
pub(super) struct DevLock {
    path: std::path::PathBuf,
}

impl DevLock {
    pub(super) fn take(project: &Session, env: &str) -> Result<DevLock> {
        let dir = project.config.root.join(".devloop");
        let path = dir.join(format!("dev-{env}.pid"));
        let io = |e: std::io::Error| {
            Error::failed_because(format!("cannot write {}", path.display()), e)
        };
        crate::state::dir(&project.config.root).map_err(io)?;
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    use std::io::Write;
                    write!(f, "{}", std::process::id()).map_err(io)?;
                    return Ok(DevLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let pid: i32 = std::fs::read_to_string(&path)
                        .ok()
                        .and_then(|s| s.trim().parse().ok())
                        .unwrap_or(0);
                    // Signal 0 asks only whether the process exists.
                    let alive = pid > 0 && unsafe { libc::kill(pid, 0) } == 0;
                    if alive {
                        return Err(Error::usage(format!(
                            "devloop dev is already running for environment \"{env}\" of this project (pid {pid})"
                        ))
                        .with_hint("stop it first (Ctrl-C in its terminal), or use another environment with -e"));
                    }
                    let _ = std::fs::remove_file(&path);
                }
                Err(e) => return Err(io(e)),
            }
        }
        Err(Error::failed(format!("cannot take {}", path.display())))
    }
}

impl Drop for DevLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
