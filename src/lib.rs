//! devloop runs the DevOps loop for one application from one `devloop.toml`:
//! plan → build → test → release → deploy → monitor (+ rollback; `ship` is the whole loop).
//!
//! How the pieces fit:
//! - [`cli`]: clap definitions only. [`run`] parses them and hands off to [`cmd`].
//! - [`cmd`]: one thin module per subcommand; each loads the config, asks [`pipeline`] for steps, and
//!   runs them with the [`engine`].
//! - [`config`]: the one config loader (discovery, `[env.*]` merge, `${VAR}`, typing, validation).
//!   It is also the only reader of the process environment ([`config::Ambient`]).
//! - [`pipeline`]: the steps of the loop (build, test, release, deploy) and how they depend on each
//!   other; `plan` prints their descriptions, the other commands run them.
//! - [`engine`]: the one step engine: dependencies, concurrency, timeouts, cancellation.
//! - [`output`]: the one printer (terminal, plain CI lines, NDJSON, GitHub Actions), with secret masking.
//! - [`docker`]: the Docker daemon through bollard (context, build, push, test containers).
//! - [`aws`]: the one AWS context, ECR logins, the S3 side of the ledger.
//! - [`registry`]: registry credentials; [`release`]: release records and the ledger.
//! - [`deploy`]: deploy targets behind one trait ([`deploy::Target`]), opened in one place; their
//!   typed outcomes become exit codes in one place.
//! - [`git`], [`template`]: repository state and the tag templates built from it.
//! - [`error`]: typed errors; their kind is the exit code.

mod aws;
mod cli;
mod cmd;
mod config;
mod deploy;
mod dev;
mod docker;
mod engine;
mod error;
mod git;
mod output;
mod pipeline;
mod registry;
mod release;
mod state;
mod template;

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
        Ok(code) => code,
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
