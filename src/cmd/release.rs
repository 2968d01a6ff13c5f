//! `devloop release --list`: the release history from the local ledger and, when configured, S3.

use super::Context;
use crate::error::Result;
use crate::release;

pub fn list(ctx: &Context) -> Result<i32> {
    let project = ctx.project()?;
    let records = super::run::runtime()?.block_on(release::history(&project))?;
    let cfg = &project.config;
    let mut text = String::new();
    if records.is_empty() {
        text.push_str(&format!("no releases of {} recorded yet\n", cfg.app()));
    } else {
        text.push_str(&format!(
            "{:<26} {:<12} {:<20} {:<21} {}\n",
            "release", "commit", "tags", "created", "image"
        ));
        for r in records.iter().rev() {
            let commit = r
                .git
                .as_ref()
                .map(|g| {
                    format!(
                        "{}{}",
                        g.sha.chars().take(7).collect::<String>(),
                        if g.dirty { "+dirty" } else { "" }
                    )
                })
                .unwrap_or_else(|| "-".into());
            text.push_str(&format!(
                "{:<26} {:<12} {:<20} {:<21} {}\n",
                r.id,
                commit,
                r.tags.join(","),
                r.created_at,
                r.image
            ));
        }
    }
    ctx.printer
        .document(&text, serde_json::to_value(&records).unwrap_or_default());
    Ok(0)
}
