//! The CLI as a new user meets it, with no daemon needed: help and version, `plan`, `init`,
//! refusals that change nothing, `doctor`, and the output CI systems read.

mod ci;
mod doctor;
mod help;
mod init;
mod plan;
mod refusals;
