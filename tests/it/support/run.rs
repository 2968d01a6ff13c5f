//! Running the real binary: the command with an environment free of the caller's devloop
//! settings, and what a run left behind (`Run`: exit code, stdout, stderr).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_devloop");

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary in `dir`, with DEVLOOP_* and GITHUB_* taken out of its environment and NO_COLOR=1.
pub fn devloop(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("DEVLOOP_") || k.starts_with("GITHUB_") {
            cmd.env_remove(&k);
        }
    }
    cmd.env("NO_COLOR", "1");
    cmd
}

/// Dummy credentials for moto and the AWS peer, and no lookups of the caller's AWS setup.
pub fn aws_env(cmd: &mut Command) -> &mut Command {
    cmd.env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent/devloop-test")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/devloop-test")
}

/// No AWS credentials anywhere devloop could find them.
pub fn no_aws_credentials(cmd: &mut Command) -> &mut Command {
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/x")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/x")
}

/// What one run of the binary left: its exit code and both streams.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// stdout, then stderr.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// The exit code and both streams, labelled: everything a person saw, for a snapshot.
    pub fn transcript(&self) -> String {
        format!(
            "exit code {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// stdout as one JSON document (`plan -o json`, `monitor -o json`, `release --list -o json`).
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}):\n{}\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Every line of stdout that is JSON: the events of `-o json`.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The `step_finished` event of `step`.
    pub fn step_finished(&self, step: &str) -> Option<serde_json::Value> {
        self.events()
            .into_iter()
            .find(|e| e["event"] == "step_finished" && e["step"] == step)
    }

    /// The outcome `step` finished with ("done", "skipped", …), or "" when it did not finish.
    pub fn outcome(&self, step: &str) -> String {
        self.step_finished(step)
            .and_then(|e| e["outcome"].as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

pub fn run(cmd: &mut Command) -> Run {
    cmd.output().expect("run devloop").into()
}

/// A `devloop` command being put together: arguments, environment, then `run` or `spawn`.
pub struct Devloop {
    cmd: Command,
}

impl Devloop {
    pub fn new(cmd: Command) -> Devloop {
        Devloop { cmd }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.cmd.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.cmd.env_remove(key);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    /// Dummy AWS credentials (see [`aws_env`]).
    pub fn aws(mut self) -> Self {
        aws_env(&mut self.cmd);
        self
    }

    /// No AWS credentials at all (see [`no_aws_credentials`]).
    pub fn no_aws_credentials(mut self) -> Self {
        no_aws_credentials(&mut self.cmd);
        self
    }

    /// Run to the end and collect both streams.
    pub fn run(mut self) -> Run {
        run(&mut self.cmd)
    }

    /// Start it with stdout and stderr piped (stdin closed), for tests that watch or interrupt it.
    pub fn spawn(self) -> Child {
        self.spawn_with(Stdio::piped(), Stdio::piped())
    }

    /// Start it with these stdout and stderr (stdin closed).
    pub fn spawn_with(mut self, stdout: Stdio, stderr: Stdio) -> Child {
        self.cmd
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("start devloop")
    }
}
