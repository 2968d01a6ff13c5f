//! Host commands (`kind = "host"` tests and a service test's checks): `sh -c` in a process group
//! of its own, its output streamed, the whole group terminated on cancel.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::Transcripts;
use crate::engine::StepCtx;
use crate::error::{Error, Result};

/// Run `sh -c cmd` on the host in its own process group, streaming its output; on cancel the
/// whole group is terminated.
pub(super) async fn host_command(
    transcripts: &Transcripts,
    ctx: &StepCtx,
    test: &str,
    cmd: &str,
    env: &[(String, String)],
    workdir: &Path,
) -> Result<i32> {
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(workdir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            Error::failed_because(format!("cannot run `{cmd}` in {}", workdir.display()), e)
        })?;
    let pid = child.id();
    let out = child.stdout.take().map(|s| BufReader::new(s).lines());
    let err = child.stderr.take().map(|s| BufReader::new(s).lines());
    let pump = async {
        let (mut out, mut err) = (out, err);
        loop {
            let line = tokio::select! {
                l = next_line(&mut out) => l.or(None),
                l = next_line(&mut err) => l,
            };
            match line {
                Some(l) => {
                    transcripts.push(test, &l);
                    ctx.log(l);
                }
                None if out.is_none() && err.is_none() => break,
                None => {}
            }
        }
    };
    tokio::select! {
        _ = pump => {}
        _ = ctx.cancel.cancelled() => {
            terminate_group(pid);
            let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
            kill_group(pid);
            return Err(Error::interrupted());
        }
    }
    let status = child
        .wait()
        .await
        .map_err(|e| Error::failed_because(format!("cannot wait for `{cmd}`"), e))?;
    Ok(status.code().unwrap_or(128))
}

/// The next line of a stream; a finished stream becomes `None` and is never polled again.
async fn next_line<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut Option<tokio::io::Lines<R>>,
) -> Option<String> {
    let Some(l) = lines.as_mut() else {
        return std::future::pending().await;
    };
    match l.next_line().await {
        Ok(Some(line)) => Some(line),
        _ => {
            *lines = None;
            None
        }
    }
}

fn signal_group(pid: Option<u32>, signal: i32) {
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) with a negative pid signals the process group we created; no memory is touched.
        unsafe {
            libc::kill(-pid, signal);
        }
    }
}

fn terminate_group(pid: Option<u32>) {
    signal_group(pid, libc::SIGTERM);
}

fn kill_group(pid: Option<u32>) {
    signal_group(pid, libc::SIGKILL);
}
