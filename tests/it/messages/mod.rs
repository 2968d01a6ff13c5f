//! What people read, snapshotted (insta, tests/it/snapshots/): a change to any of these words
//! is a reviewed change. Run-to-run values (times, durations, digests, SHAs, ports, temporary
//! paths) are filtered by `support::snapshot`.

mod config;
mod doctor;
mod help;
mod monitor;
mod newcomer;
mod plan;
mod run_summary;
