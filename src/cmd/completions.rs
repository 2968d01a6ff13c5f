//! `devloop completions <shell>`: completion scripts generated from the clap definitions.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::Result;

/// The completion script for a shell, as bytes.
pub fn generate(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "devloop", &mut out);
    out
}

pub fn run(shell: Shell) -> Result<crate::error::ExitStatus> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(&generate(shell));
    Ok(crate::error::ExitStatus::Success)
}
