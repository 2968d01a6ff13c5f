//! `devloop dev`: the watch loop on the environment's local target (the operation is in
//! src/dev).

use super::Context;
use crate::cli::{DeployArgs, DevArgs};
use crate::dev::{self, DevOptions};
use crate::error::Result;
use crate::pipeline;

pub fn run(ctx: &Context, args: DevArgs) -> Result<i32> {
    let project = ctx.project()?;
    let opts = DevOptions {
        test: args.test,
        keep: args.keep,
        pipeline: pipeline::Options {
            build: args.build,
            deploy: DeployArgs {
                timeout: args.timeout,
                ..Default::default()
            },
            ..Default::default()
        },
        jobs: ctx.jobs(),
    };
    super::run::runtime()?.block_on(dev::run(project, opts, ctx.printer.clone()))
}
