//! Helpers shared by the integration tests: the `TestContext` a test runs the real binary in,
//! the peers it runs against, and the one way snapshots are taken.

pub mod awspeer;
pub mod context;
pub mod docker;
pub mod http;
pub mod peers;
pub mod project;
pub mod run;
pub mod snapshot;
pub mod tls;
pub mod webhook;

pub use context::TestContext;
pub use docker::{
    docker, leftover_test_containers, leftovers_of_tests, require_docker, require_registry, unique,
    wait_for_container, Volume,
};
pub use http::{http_get, page};
pub use peers::{free_port, have, Moto};
pub use project::{write_release, write_set_release, RELEASE_ID};
pub use run::{repo_root, Run};
