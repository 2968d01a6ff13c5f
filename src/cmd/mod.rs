//! The command line's one door into the operations: clap's arguments become typed options here,
//! and nothing below this module knows clap.

mod completions;
mod notify;

use crate::cli::{
    BuildArgs, CiCommand, CiPlatform, Cli, Command, DeployArgs, Global, InitArgs, MonitorArgs,
    NotifyCommand, PlanArgs, Planned, RollbackArgs,
};
use crate::config::Ambient;
use crate::deploy::Locking;
use crate::error::{Error, ExitStatus, Result};
use crate::ops::{self, Context, Options, Stage};
use crate::output::Printer;
use crate::session::Overrides;

pub fn dispatch(cli: Cli, ambient: Ambient, printer: Printer) -> Result<ExitStatus> {
    let base = std::env::current_dir()
        .map_err(|e| Error::usage_because("cannot read the current directory", e))?;
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
    let g = cli.global;
    let envs = g.env.clone();
    if envs.len() > 1 && !matches!(cli.command, Command::Ci(_)) {
        return Err(Error::usage(format!(
            "-e/--env names one environment here, not {} ({})",
            envs.len(),
            envs.join(", ")
        ))
        .with_hint("only `devloop ci init` takes several, the environments its pipeline deploys"));
    }
    let mut ctx = Context {
        cwd,
        ambient,
        printer,
        config: g.config.clone(),
        env: g.env.first().cloned(),
        profile: g.profile.clone(),
        overrides: overrides(&g),
        services: g.services.clone(),
        loaded: Default::default(),
    };
    // The one place a command's outcome is told to the [notify] channels: after it ended, from
    // what it printed, whatever path it ended by.
    let told = notify::told(&cli.command);
    let started = std::time::Instant::now();
    let result = run(&mut ctx, cli.command, g);
    if let Some(command) = told {
        ops::notify::after(&ctx, command, &result, started.elapsed());
    }
    result
}

fn run(ctx: &mut Context, command: Command, g: Global) -> Result<ExitStatus> {
    let opts = Options {
        services: g.services.clone(),
        ..Options::default()
    };
    match command {
        Command::Init(args) => ops::init::run(ctx, &init(&args)),
        Command::Plan(args) => ops::plan::run(ctx, &plan(&args)),
        Command::Completions(args) => completions::run(args.shell),
        Command::Doctor => ops::doctor::run(ctx),
        Command::Notify(args) => match args.command {
            NotifyCommand::Test => ops::notify::test(ctx),
        },
        Command::Ci(CiCommand::Init(args)) => ops::ci::init(
            ctx,
            &ops::ci::Request {
                platform: platform(args.platform),
                envs: g.env.clone(),
                force: args.force,
            },
        ),
        Command::Build(args) => {
            build(&mut ctx.overrides, &args);
            ops::run::stage(ctx, Stage::Build, opts)
        }
        Command::Test(args) => {
            build(&mut ctx.overrides, &args.build);
            let opts = Options {
                tests: args.names,
                junit: args.junit,
                ..opts
            };
            ops::run::stage(ctx, Stage::Test, opts)
        }
        Command::Release(args) if args.list => ops::releases::list(ctx),
        Command::Release(args) => {
            ctx.overrides.allow_dirty = args.allow_dirty;
            ops::run::stage(ctx, Stage::Release, opts)
        }
        Command::Deploy(args) => {
            let opts = deploy(&mut ctx.overrides, &args, opts);
            ops::run::stage(ctx, Stage::Deploy, opts)
        }
        Command::Ship(args) => {
            build(&mut ctx.overrides, &args.build);
            ctx.overrides.allow_dirty = args.allow_dirty;
            let opts = deploy(&mut ctx.overrides, &args.deploy, opts);
            let opts = Options {
                junit: args.junit,
                skip_tests: args.no_tests,
                ..opts
            };
            ops::run::stage(ctx, Stage::Ship, opts)
        }
        Command::Monitor(args) => ops::monitor::run(ctx, &monitor(&args)),
        Command::Dev(args) => {
            build(&mut ctx.overrides, &args.build);
            ctx.overrides.deploy_timeout = args.timeout;
            let opts = ops::dev::DevOptions {
                test: args.test,
                keep: args.keep,
            };
            ops::dev::run(ctx, opts)
        }
        Command::Rollback(args) => ops::rollback::run(ctx, &rollback(&args)),
        Command::Provision(args) => ops::provision::run(
            ctx,
            &ops::provision::Request {
                yes: args.yes,
                template: args.template,
                timeout: args.timeout,
            },
        ),
        Command::Destroy(args) => ops::provision::destroy(
            ctx,
            &ops::provision::DestroyRequest {
                yes: args.yes,
                images: args.images,
                ledger: args.ledger,
                timeout: args.timeout,
            },
        ),
    }
}

/// The settings global flags override.
fn overrides(g: &Global) -> Overrides {
    Overrides {
        jobs: g.jobs,
        ..Overrides::default()
    }
}

fn build(o: &mut Overrides, args: &BuildArgs) {
    o.no_cache = args.no_cache;
    o.buildkit = args.buildkit;
}

fn deploy(o: &mut Overrides, args: &DeployArgs, opts: Options) -> Options {
    o.deploy_timeout = args.timeout;
    Options {
        release: args.release.clone(),
        lock: Locking::from_flags(args.force_unlock, args.no_lock, args.wait_lock),
        no_deps: args.no_deps,
        ..opts
    }
}

fn platform(p: CiPlatform) -> ops::ci::Platform {
    match p {
        CiPlatform::Github => ops::ci::Platform::Github,
        CiPlatform::Gitlab => ops::ci::Platform::Gitlab,
        CiPlatform::Codebuild => ops::ci::Platform::Codebuild,
        CiPlatform::Jenkins => ops::ci::Platform::Jenkins,
    }
}

fn init(args: &InitArgs) -> ops::init::Request {
    ops::init::Request {
        force: args.force,
        name: args.name.clone(),
        example: args.example,
    }
}

fn plan(args: &PlanArgs) -> ops::plan::Request {
    use ops::plan::Subject;
    let subject = match args.command {
        Planned::Build => Subject::Stage(Stage::Build),
        Planned::Test => Subject::Stage(Stage::Test),
        Planned::Release => Subject::Stage(Stage::Release),
        Planned::Deploy => Subject::Stage(Stage::Deploy),
        Planned::Ship => Subject::Stage(Stage::Ship),
        Planned::Rollback => Subject::Rollback,
        Planned::Dev => Subject::Dev,
        Planned::Provision => Subject::Provision,
        Planned::Destroy => Subject::Destroy,
    };
    ops::plan::Request {
        subject,
        to: args.to.clone(),
        exit_code: args.exit_code,
    }
}

fn monitor(args: &MonitorArgs) -> ops::monitor::Request {
    ops::monitor::Request {
        logs: args.logs,
        follow: args.follow,
        since: args.since,
        tail: args.tail,
        filter: args.filter.clone(),
        watch: args.watch,
        check: args.check,
    }
}

fn rollback(args: &RollbackArgs) -> ops::rollback::Request {
    ops::rollback::Request {
        to: args.to.clone(),
        lock: Locking::from_flags(args.force_unlock, args.no_lock, args.wait_lock),
    }
}
