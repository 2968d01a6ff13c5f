//! Everything devloop does with the Docker daemon, through bollard: connecting, writing the build
//! context, building, pushing, and running containers (with their networks and volumes) for tests.

pub mod build;
pub mod connect;
pub mod container;
pub mod context;
pub mod filesync;
pub mod ignore;
pub mod network;
pub mod push;
pub mod session;
pub mod statcache;
pub mod volume;

pub use connect::Daemon;
