//! Run a stage of the loop through the step engine and end with the summary.

use super::Context;
use crate::cli::Stage;
use crate::engine::Runner;
use crate::error::{Error, Result};
use crate::pipeline::{self, Options};

pub fn stage(ctx: &Context, stage: Stage, opts: Options) -> Result<i32> {
    let project = ctx.project()?;
    pipeline::ensure_available(&project, stage)?;
    pipeline::preflight(&project, stage, &opts)?;
    let steps = pipeline::steps(&project, stage, &opts)?;
    let runtime = runtime()?;
    let report = runtime.block_on(Runner::new(ctx.jobs(), ctx.printer.events()).run(steps))?;
    ctx.printer.summary(stage.as_str(), &report);
    if let Some(path) = &opts.junit {
        let path = ctx.cwd.join(path);
        super::junit::write(
            &path,
            &super::junit::render(&project, &report, &ctx.printer),
        )?;
        ctx.printer
            .info(&format!("JUnit report: {}", path.display()));
    }
    Ok(report.exit_code())
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::failed(format!("cannot start the async runtime: {e}")))
}
