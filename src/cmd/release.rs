//! `devloop release --list`: the release history from the local ledger and, when configured, S3.

use super::Context;
use crate::aws;
use crate::error::Result;
use crate::release::{self, LocalLedger};

pub fn list(ctx: &Context) -> Result<i32> {
    let cfg = ctx.load_config()?;
    let mut records: Vec<release::Record> = LocalLedger::new(&cfg.root)
        .list()?
        .into_iter()
        .filter(|r| r.app == cfg.app())
        .collect();
    if let Some(ledger) = &cfg.doc.release.ledger {
        let (bucket, prefix) = aws::s3::parse_location(ledger.get_ref())?;
        let prefix = if prefix.is_empty() {
            cfg.app().to_string()
        } else {
            format!("{prefix}/{}", cfg.app())
        };
        let remote = super::run::runtime()?.block_on(async {
            let sdk = aws::sdk_config(&cfg.doc.aws, &ctx.ambient).await?;
            aws::s3::read_all(&sdk, &bucket, &prefix).await
        })?;
        let parsed = remote
            .iter()
            .map(|b| release::parse(b))
            .collect::<Result<Vec<_>>>()?;
        records = release::merge(records, parsed);
    }
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
