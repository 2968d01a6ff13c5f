//! devloop runs the DevOps loop for one application from one `devloop.toml`:
//! plan → build → test → release → deploy → monitor (+ rollback; `ship` is the whole loop).
//!
//! How the pieces fit, from the top floor down (every import points down; `layers.rs` checks it):
//! - [`cli`]: clap definitions only; [`cmd`] turns them into typed options (nothing below knows
//!   clap) and every command ends in an [`error::ExitStatus`].
//! - [`ops`]: one module per operation (build, test, release, deploy and the pipeline that chains
//!   them; plan, rollback, monitor, dev, doctor, init), each run in a [`session::Session`].
//! - [`deploy`]: deploy targets behind one trait ([`deploy::Target`]), opened in one place; their
//!   typed outcomes become exit codes in one place.
//! - [`release`]: release records, the ledger (local and S3, read and written together), and where
//!   a release goes (one registry enum).
//! - [`session`]: the config, git state, [`settings`] resolved once (flag > env > file > default),
//!   and the run's lazily made Docker and AWS clients.
//! - [`output`]: the one printer (terminal, plain CI lines, NDJSON, GitHub Actions), with secret
//!   masking; it implements the engine's events.
//! - [`docker`], [`aws`]: the Docker daemon through bollard; the AWS context, ECR, S3, logs, metrics.
//! - [`engine`]: the one step engine (dependencies, concurrency, timeouts, cancellation, typed
//!   results handed on through slots); it reports through its `Events` trait.
//! - [`registry`], [`config`], [`git`], [`template`], [`state`], and at the bottom [`applog`],
//!   [`units`], [`suggest`], [`error`].

mod applog;
mod aws;
mod cli;
mod cmd;
mod config;
mod deploy;
mod docker;
mod engine;
mod error;
mod git;
mod notifications;
mod ops;
mod output;
mod provision;
mod registry;
mod release;
mod session;
mod settings;
mod state;
mod suggest;
mod template;
mod units;

#[cfg(test)]
mod layers;

/// The AWS peer the scripted AWS tests run against (shared with the integration tests).
#[cfg(test)]
#[path = "../tests/it/support/awspeer.rs"]
mod awspeer;

use std::ffi::OsString;
use std::io::IsTerminal;

use clap::Parser;

use crate::cli::Cli;
use crate::config::Ambient;
use crate::output::{Format, Options, Printer};

/// Run devloop with these arguments and return the process exit code.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    // Two TLS providers are linked (ring for the Docker connection, aws-lc-rs from the AWS SDK);
    // rustls needs the process default named or TLS to the daemon panics.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version exit 0; every usage error exits 2, as clap does.
            let _ = e.print();
            return e.exit_code();
        }
    };
    let ambient = Ambient::from_process();
    let printer = Printer::new(output_options(&cli.global, &ambient));
    match cmd::dispatch(cli, ambient, printer.clone()) {
        Ok(status) => status.code(),
        Err(err) => {
            printer.error(&err);
            err.kind.code()
        }
    }
}

fn output_options(g: &cli::Global, ambient: &Ambient) -> Options {
    let stderr_tty = std::io::stderr().is_terminal();
    let ci = ambient.ci();
    Options {
        format: g.output,
        live: g.output == Format::Text && stderr_tty && !ci && !g.quiet,
        color: stderr_tty && !g.no_color && !ambient.no_color(),
        verbosity: if g.quiet { -1 } else { g.verbose.min(3) as i8 },
        github: g.output == Format::Text && ambient.github_actions(),
        step_summary: ambient.github_step_summary(),
    }
}
