//! devloop's integration tests, as one test binary (one link, one process, the whole suite
//! scheduled together). Each module is an area of the tool; each test runs the real binary in a
//! `TestContext` (support/context.rs). Tests that need Docker, a swarm, the registry, moto or
//! openssl are ignored with the reason where build.rs found the service missing, and fail where
//! `CI` is set.
//!
//! `cargo test --test it` runs them all; `cargo test --test it deploy::` one area.

mod support;

mod build;
mod ci_init;
mod cli;
mod completions;
mod config_errors;
mod deploy;
mod dev;
mod first_hour;
mod hardening;
mod init_compose;
mod messages;
mod monitor_aws;
mod notify;
mod provision;
mod release;
mod services;
mod stack;
mod testing;
