//! Everything devloop does with the Docker daemon, through bollard: connecting, writing the build
//! context, building, pushing, and running containers for tests.

pub mod build;
pub mod connect;
pub mod container;
pub mod context;
pub mod ignore;
pub mod push;

pub use connect::Daemon;
