//! One thin module per subcommand: turn arguments into a pipeline (or a small operation) and run it.

mod completions;
mod dev;
mod doctor;
mod init;
mod junit;
mod monitor;
mod plan;
mod release;
mod rollback;
mod run;

use std::path::PathBuf;
use std::sync::Arc;

use crate::cli::{Cli, Command, Global, Stage};
use crate::config::{self, Ambient, Config, LoadOptions};
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::pipeline::{self, Project};

/// What every command gets: where it runs, the environment, the printer and the global flags.
pub struct Context {
    pub cwd: PathBuf,
    pub ambient: Ambient,
    pub printer: Printer,
    pub global: Global,
}

impl Context {
    /// Load and validate devloop.toml; its secrets are masked from here on.
    pub fn load_config(&self) -> Result<Config> {
        let opts = LoadOptions {
            cwd: self.cwd.clone(),
            config: self.global.config.clone(),
            env: self.global.env.clone(),
        };
        let mut config = config::load(&opts, &self.ambient)?;
        if let Some(profile) = &self.global.profile {
            config.doc.aws.profile = Some(profile.clone());
        }
        self.printer.add_secrets(config.secrets.iter().cloned());
        for setting in short_secrets(&config.doc) {
            self.printer.warn_once(&format!(
                "{setting} is marked secret but has fewer than {} characters, too short to mask: it is shown as is wherever it appears",
                crate::output::MIN_SECRET_LEN
            ));
        }
        Ok(config)
    }

    pub fn project(&self) -> Result<Arc<Project>> {
        Ok(Arc::new(
            Project::new(self.load_config()?, self.ambient.clone()).with_warnings_to(&self.printer),
        ))
    }

    pub fn jobs(&self) -> usize {
        self.global.jobs.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(2)
        })
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

pub fn dispatch(cli: Cli, ambient: Ambient, printer: Printer) -> Result<i32> {
    let base = std::env::current_dir()
        .map_err(|e| Error::usage(format!("cannot read the current directory: {e}")))?;
    let cwd = match &cli.global.chdir {
        Some(dir) => {
            let dir = base.join(dir);
            if !dir.is_dir() {
                return Err(Error::usage(format!(
                    "-C {}: no such directory",
                    dir.display()
                )));
            }
            dir
        }
        None => base,
    };
    let ctx = Context {
        cwd,
        ambient,
        printer,
        global: cli.global,
    };
    let opts = pipeline::Options::default();
    match cli.command {
        Command::Init(args) => init::run(&ctx, &args),
        Command::Plan(args) => plan::run(&ctx, &args),
        Command::Completions(args) => completions::run(args.shell),
        Command::Doctor => doctor::run(&ctx),
        Command::Build(args) => run::stage(
            &ctx,
            Stage::Build,
            pipeline::Options {
                build: args,
                ..opts
            },
        ),
        Command::Test(args) => run::stage(
            &ctx,
            Stage::Test,
            pipeline::Options {
                build: args.build,
                tests: args.names,
                junit: args.junit,
                ..opts
            },
        ),
        Command::Release(args) if args.list => release::list(&ctx),
        Command::Release(args) => run::stage(
            &ctx,
            Stage::Release,
            pipeline::Options {
                allow_dirty: args.allow_dirty,
                ..opts
            },
        ),
        Command::Deploy(args) => run::stage(
            &ctx,
            Stage::Deploy,
            pipeline::Options {
                deploy: args,
                ..opts
            },
        ),
        Command::Ship(args) => run::stage(
            &ctx,
            Stage::Ship,
            pipeline::Options {
                build: args.build,
                allow_dirty: args.allow_dirty,
                junit: args.junit,
                deploy: args.deploy,
                ..opts
            },
        ),
        Command::Monitor(args) => monitor::run(&ctx, &args),
        Command::Dev(args) => dev::run(&ctx, args),
        Command::Rollback(args) => rollback::run(&ctx, &args),
    }
}
