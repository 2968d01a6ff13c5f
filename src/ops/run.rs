//! Run a stage of the loop through the step engine and end with the summary (and JUnit report).

use super::pipeline;
use super::{runtime, Context};
use super::{Options, Stage};
use crate::engine::Runner;
use crate::error::{ExitStatus, Result};

pub fn stage(ctx: &Context, stage: Stage, opts: Options) -> Result<ExitStatus> {
    let session = ctx.session()?;
    pipeline::ensure_available(&session, stage)?;
    pipeline::preflight(&session, stage)?;
    let (steps, transcripts) = pipeline::steps(&session, stage, &opts)?;
    let runner = Runner::new(session.settings.jobs, ctx.printer.events());
    let report = runtime()?.block_on(runner.run(steps))?;
    ctx.printer.summary(stage.as_str(), &report);
    if let Some(path) = &opts.junit {
        let path = ctx.cwd.join(path);
        let xml = super::junit::render(session.config.app(), &report, &transcripts, &ctx.printer);
        super::junit::write(&path, &xml)?;
        ctx.printer
            .info(&format!("JUnit report: {}", path.display()));
    }
    Ok(report.status())
}
