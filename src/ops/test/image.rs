//! `kind = "image"` tests: the command run inside the image, in a container removed afterwards.

use super::{exit_result, image_ref, spec, Transcripts};
use crate::config::schema::Test;
use crate::docker::container::Container;
use crate::engine::{Done, Slot, StepCtx};
use crate::error::{Error, Result};
use crate::ops::build::Built;
use crate::session::Session;

/// Run the test's command in a container of the image; all of its output is given before the
/// result.
pub(super) async fn image_test(
    project: &Session,
    test: &Test,
    ctx: &StepCtx,
    built: &Slot<Built>,
    env: &[(String, String)],
    transcripts: &Transcripts,
) -> Result<Done> {
    let name = test.name.get_ref();
    let run_cmd = test.run.clone().unwrap_or_default();
    let daemon = project.daemon().await?.clone();
    let image = image_ref(project, built)?;
    let c = Container::create(
        &daemon,
        spec(project, name, &image, Some(&run_cmd), env, None),
    )
    .await?;
    let result = async {
        c.start().await?;
        // All of the output, to its last byte, is given before the result is reported.
        let output = c.output_to_exit(|l| {
            transcripts.push(name, &l);
            ctx.log(l);
        });
        tokio::select! {
            r = output => r,
            _ = ctx.cancel.cancelled() => Err(Error::interrupted()),
        }
    }
    .await;
    c.remove().await?;
    exit_result(result?, &run_cmd, &format!(" inside {image}"))
}
