//! `devloop release --list`: the release history from the local ledger and, when configured, S3.

use super::{runtime, Context};
use crate::error::{ExitStatus, Result};
use crate::release;

pub fn list(ctx: &Context) -> Result<ExitStatus> {
    let project = ctx.session()?;
    let records = runtime()?.block_on(release::history(&project))?;
    let cfg = &project.config;
    let mut text = String::new();
    if records.is_empty() {
        text.push_str(&format!("no releases of {} recorded yet\n", cfg.app()));
    } else {
        // Columns as wide as their widest value, so a `+dirty` commit or a long tag list never
        // shifts the rest.
        let mut rows: Vec<[String; 5]> = Vec::new();
        for r in records.iter().rev() {
            rows.push({
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
                let image = if r.is_set() {
                    format!("{} services:", r.services.len())
                } else {
                    r.image.clone()
                };
                [
                    r.id.clone(),
                    commit,
                    r.tags.join(","),
                    r.created_at.clone(),
                    image,
                ]
            });
            // A set: one line per service under its release, with that service's tags and image.
            for s in &r.services {
                let name = format!("  {}", s.service);
                rows.push([
                    name,
                    String::new(),
                    s.tags.join(","),
                    String::new(),
                    s.image.clone(),
                ]);
            }
        }
        let head = ["release", "commit", "tags", "created", "image"].map(String::from);
        let width = |i: usize| {
            rows.iter()
                .chain(std::iter::once(&head))
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        };
        let widths = [width(0), width(1), width(2), width(3)];
        for row in std::iter::once(&head).chain(rows.iter()) {
            for (i, w) in widths.iter().enumerate() {
                text.push_str(&format!("{:<w$} ", row[i]));
            }
            text.push_str(&row[4]);
            text.push('\n');
        }
    }
    ctx.printer
        .document(&text, serde_json::to_value(&records).unwrap_or_default());
    Ok(ExitStatus::Success)
}
