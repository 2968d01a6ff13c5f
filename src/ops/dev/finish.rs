//! Leaving the environment as `dev` found it when it stops: the release that ran before put back,
//! or what dev started removed; with `--keep`, dev's version left running.

use std::sync::Arc;

use serde_json::json;

use crate::deploy::{self, Target};
use crate::error::Result;
use crate::output::{Printer, Screen};
use crate::session::Session;

use super::DevOptions;

/// Leave the environment as dev found it: put back the release that ran before (from the
/// ledger, through the deploy path and its gate), or remove what dev started; with `--keep`,
/// leave dev's version and say how to put the old one back.
pub(super) async fn finish(
    project: &Arc<Session>,
    target: &Arc<dyn Target>,
    opts: &DevOptions,
    quiet: &Printer,
    screen: &Screen,
    before: Option<String>,
    ours: &[String],
) -> Result<()> {
    let name = target.name();
    if opts.keep {
        let back = before
            .as_deref()
            .map(|r| format!("; `devloop deploy --release {r}` puts back what ran before"))
            .unwrap_or_default();
        screen.line(
            &format!("left {name} running{back}"),
            json!({ "event": "dev_stopped", "kept": true, "name": name, "before": before }),
        );
        return Ok(());
    }
    let running = target.running().await?;
    if let Some(r) = before {
        return put_back(project, target, quiet, screen, r, running).await;
    }
    let mut removed = false;
    for r in ours {
        removed |= target.remove(r).await?;
    }
    screen.line(
        &if removed {
            format!("removed {name}")
        } else {
            "nothing of dev's is running".to_string()
        },
        json!({ "event": "dev_stopped", "kept": false, "name": name, "removed": removed }),
    );
    Ok(())
}

/// Put back release `r`, which ran before dev, unless it still runs (`running`).
async fn put_back(
    project: &Arc<Session>,
    target: &Arc<dyn Target>,
    quiet: &Printer,
    screen: &Screen,
    r: String,
    running: Option<String>,
) -> Result<()> {
    let name = target.name();
    if running.as_deref() == Some(r.as_str()) {
        screen.line(
            &format!("{name} still runs release {r}, as before dev"),
            json!({ "event": "dev_stopped", "kept": false, "name": name, "restored": r }),
        );
        return Ok(());
    }
    let records = crate::release::history(project).await?;
    let service = project
        .config
        .service
        .clone()
        .unwrap_or_else(|| project.config.app().to_string());
    // A release of a set is put back as this service's part of it.
    let Some(record) = records
        .iter()
        .find(|x| x.id == r)
        .and_then(|x| x.for_service(&service))
    else {
        screen.line(
            &format!("{name} ran release {r} before dev, which is not in this project's ledger: dev's version is left running; put it back with `devloop deploy --release {r}` from where it was released"),
            json!({ "event": "dev_stopped", "kept": true, "name": name, "before": r }),
        );
        return Ok(());
    };
    // Not through a runner: the Ctrl-C that ended dev must not end the putting back too.
    let ctx = crate::engine::StepCtx {
        name: "deploy".into(),
        events: quiet.events(),
        cancel: tokio_util::sync::CancellationToken::new(),
    };
    let put_back = deploy::deploy_step(
        target.as_ref(),
        project,
        &record,
        &ctx,
        deploy::Locking::Skip,
        false,
    )
    .await;
    let said = match put_back {
        Ok(_) => format!("put back release {r} in {name}, as before dev"),
        Err(e) => format!(
            "could not put back release {r} in {name}: {}; run `devloop deploy --release {r}`",
            e.message
        ),
    };
    screen.line(
        &said,
        json!({ "event": "dev_stopped", "kept": false, "name": name, "restored": r }),
    );
    Ok(())
}
