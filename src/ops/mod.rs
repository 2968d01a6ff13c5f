//! The operations devloop performs, one module each: the loop's steps (build, test, release,
//! deploy) and the pipeline that chains them, and plan, rollback, monitor, dev, doctor, init, and
//! `ci init`, which writes a CI service's pipeline for them.
//! Each takes typed options from `cmd/` and runs in a [`Session`].

mod build;
mod chosen;
pub mod ci;
mod deploy;
pub mod dev;
pub mod doctor;
pub mod init;
mod junit;
pub mod monitor;
pub mod notify;
mod pipeline;
pub mod plan;
pub mod provision;
mod release;
pub mod releases;
pub mod rollback;
pub mod run;
mod set;
mod stage;
mod test;
#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::{self, Ambient, Config, LoadOptions};
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::session::{Overrides, Session};

pub use stage::{Options, Stage};

/// What every operation gets: where it runs, the environment, the printer, which config and
/// environment to load, and the settings the command line overrides.
pub struct Context {
    pub cwd: PathBuf,
    pub ambient: Ambient,
    pub printer: Printer,
    /// `-c FILE` [default: devloop.toml found upward from `cwd`].
    pub config: Option<PathBuf>,
    /// `-e NAME` [default: the file's default environment].
    pub env: Option<String>,
    /// `--profile NAME`: the AWS profile, over `aws.profile`.
    pub profile: Option<String>,
    pub overrides: Overrides,
    /// `-s NAME,…`: only these services of a `[services]` file (empty: all).
    pub services: Vec<String>,
    /// The config the command last loaded, for what happens after it (the notifications).
    pub loaded: std::sync::Mutex<Option<Config>>,
}

impl Context {
    /// Load and validate devloop.toml; its secrets are masked from here on.
    pub fn load_config(&self) -> Result<Config> {
        let opts = LoadOptions {
            cwd: self.cwd.clone(),
            config: self.config.clone(),
            env: self.env.clone(),
        };
        let mut config = config::load(&opts, &self.ambient)?;
        if let Some(profile) = &self.profile {
            config.doc.aws.profile = Some(profile.clone());
        }
        self.printer.add_secrets(config.secrets.iter().cloned());
        match self.loaded.lock() {
            Ok(mut l) => *l = Some(config.clone()),
            Err(p) => *p.into_inner() = Some(config.clone()),
        }
        for setting in short_secrets(&config.doc) {
            self.printer.warn_once(&format!(
                "{setting} is marked secret but has fewer than {} characters, too short to mask: it is shown as is wherever it appears",
                crate::output::MIN_SECRET_LEN
            ));
        }
        Ok(config)
    }

    /// The config the command loaded last, if it got that far.
    pub fn loaded_config(&self) -> Option<Config> {
        match self.loaded.lock() {
            Ok(l) => l.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// The session an operation runs in: the config loaded, settings resolved.
    pub fn session(&self) -> Result<Arc<Session>> {
        Ok(Arc::new(
            Session::new(self.load_config()?, self.ambient.clone(), &self.overrides)
                .with_warnings_to(&self.printer),
        ))
    }
}

/// Where each value marked secret but too short to mask is set (the setting, never the value).
fn short_secrets(doc: &config::Document) -> Vec<String> {
    let mut maps = vec![("build.args".to_string(), &doc.build.args)];
    for t in &doc.tests {
        maps.push((format!("test \"{}\" env", t.name.get_ref()), &t.env));
    }
    let d = &doc.deploy;
    maps.extend(
        d.docker
            .iter()
            .map(|t| ("deploy.docker.env".into(), &t.env)),
    );
    maps.extend(d.swarm.iter().map(|t| ("deploy.swarm.env".into(), &t.env)));
    maps.extend(d.ecs.iter().map(|t| ("deploy.ecs.env".into(), &t.env)));
    maps.extend(
        d.beanstalk
            .iter()
            .map(|t| ("deploy.beanstalk.env".into(), &t.env)),
    );
    let mut out = Vec::new();
    for (place, map) in maps {
        for (key, v) in map {
            if v.is_secret() && crate::output::secret_too_short(v.value()) {
                out.push(format!("{place}.{key}"));
            }
        }
    }
    out
}

/// The async runtime an operation runs on.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::failed_because("cannot start the async runtime", e))
}
