//! Which commands tell the `[notify]` channels their outcome, as the notifications name them;
//! telling them is `ops::notify::after`.

use crate::cli::Command;
use crate::notifications;

/// The commands that tell, as the notifications name them.
pub fn told(command: &Command) -> Option<notifications::Command> {
    use notifications::Command as N;
    match command {
        Command::Deploy(_) => Some(N::Deploy),
        Command::Rollback(_) => Some(N::Rollback),
        Command::Ship(_) => Some(N::Ship),
        Command::Provision(a) if !a.template => Some(N::Provision),
        Command::Monitor(a) if a.check && !a.watch && !a.logs => Some(N::Monitor),
        _ => None,
    }
}
