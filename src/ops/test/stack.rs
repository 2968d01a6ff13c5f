//! `kind = "stack"` tests: the whole set of services brought up on a private network, every
//! health gate awaited, then a host command run with each service's URL.

use std::path::Path;

use super::{Stack, Transcripts};
use crate::config::schema::Test;
use crate::engine::{Done, StepCtx};
use crate::error::{Error, Result};
use crate::session::Session;

pub(super) async fn stack_test(
    _project: &Session,
    test: &Test,
    _ctx: &StepCtx,
    _stack: &Stack,
    _env: &[(String, String)],
    _workdir: &Path,
    _transcripts: &Transcripts,
) -> Result<Done> {
    Err(Error::not_available(&format!(
        "stack test \"{}\" (bringing the set up for a test)",
        test.name.get_ref()
    )))
}
