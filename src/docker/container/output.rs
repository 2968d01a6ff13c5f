//! A container's output: followed live to its exit and then read again so no last line is lost,
//! its exit code, and its last lines.

use bollard::query_parameters::{LogsOptionsBuilder, WaitContainerOptions};
use futures_util::StreamExt;

use super::Container;
use crate::docker::connect::api_error;
use crate::error::{Error, Result};

impl Container {
    /// Run the container's output to its end: each line live while it runs, then, once it has
    /// exited, whatever the live stream missed, including a last line without a newline. Returns
    /// the exit code.
    ///
    /// A followed log stream can end before the daemon has handed over the container's last
    /// output (the final write of a container that exits at once, a partial last line), so the
    /// live stream alone is never trusted to be complete: after the exit the whole log is read
    /// again, and every line after the ones already given is given too.
    pub async fn output_to_exit(&self, mut line: impl FnMut(String)) -> Result<i64> {
        let opts = LogsOptionsBuilder::default()
            .follow(true)
            .stdout(true)
            .stderr(true)
            .build();
        let mut lines = Lines::default();
        let mut logs = self.daemon.client.logs(&self.id, Some(opts));
        while let Some(chunk) = logs.next().await {
            match chunk {
                Ok(chunk) => lines.push(&chunk.into_bytes(), &mut line),
                // The rest is read again below, after the exit.
                Err(_) => break,
            }
        }
        drop(logs);
        let code = self.wait().await?;
        // The daemon has written all of the container's output once the wait has returned.
        let given = lines.complete;
        let mut again = Lines {
            skip: given,
            ..Lines::default()
        };
        let opts = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .build();
        let mut logs = self.daemon.client.logs(&self.id, Some(opts));
        while let Some(chunk) = logs.next().await {
            let chunk = chunk.map_err(|e| api_error("cannot read container output", e))?;
            again.push(&chunk.into_bytes(), &mut line);
        }
        again.finish(&mut line);
        Ok(code)
    }
    /// Wait for the container to exit and return its exit code.
    pub async fn wait(&self) -> Result<i64> {
        let mut s = self
            .daemon
            .client
            .wait_container(&self.id, None::<WaitContainerOptions>);
        match s.next().await {
            Some(Ok(r)) => Ok(r.status_code),
            // bollard reports a non-zero exit as an error carrying the code.
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(e)) => Err(api_error("cannot wait for the container", e)),
            None => Err(Error::failed(
                "the daemon ended the wait without an exit code",
            )),
        }
    }

    /// The last `n` lines of output.
    pub async fn tail(&self, n: usize) -> Vec<String> {
        let opts = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .tail(&n.to_string())
            .build();
        let mut out = String::new();
        let mut logs = self.daemon.client.logs(&self.id, Some(opts));
        while let Some(Ok(chunk)) = logs.next().await {
            out.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
        }
        out.lines().map(str::to_string).collect()
    }
}

/// Bytes of output cut into lines: complete lines are given as they arrive (after the first
/// `skip`), and [`Lines::finish`] gives a last line that has no newline.
#[derive(Default)]
struct Lines {
    pending: Vec<u8>,
    /// Complete lines seen so far.
    complete: usize,
    /// Complete lines not to give again (already given by an earlier read of the same output).
    skip: usize,
}

impl Lines {
    fn push(&mut self, bytes: &[u8], line: &mut impl FnMut(String)) {
        self.pending.extend_from_slice(bytes);
        while let Some(i) = self.pending.iter().position(|b| *b == b'\n') {
            let l: Vec<u8> = self.pending.drain(..=i).collect();
            self.complete += 1;
            if self.complete > self.skip {
                line(String::from_utf8_lossy(&l).trim_end().to_string());
            }
        }
    }

    fn finish(&mut self, line: &mut impl FnMut(String)) {
        let rest = std::mem::take(&mut self.pending);
        let text = String::from_utf8_lossy(&rest);
        if !text.trim().is_empty() {
            line(text.trim_end().to_string());
        }
    }
}
