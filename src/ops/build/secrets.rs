//! `[build.secrets]`: read when the build runs (never stored in devloop.toml), and masked in all
//! output from the moment they are read.

use std::collections::HashMap;

use crate::engine::StepCtx;
use crate::error::{Error, Result};
use crate::session::Session;

/// Read `[build.secrets]` for this build; every value is masked in all output from here on.
pub(super) fn read_secrets(project: &Session, ctx: &StepCtx) -> Result<HashMap<String, Vec<u8>>> {
    let mut out = HashMap::new();
    for (id, secret) in &project.config.doc.build.secrets {
        let value = read_one(project, id, secret.get_ref())?;
        if let Ok(text) = std::str::from_utf8(&value) {
            // The mask takes each line of a multi-line value too, in case a step prints part of a file.
            ctx.add_secrets([text.trim().to_string()]);
            if crate::output::secret_too_short(text) {
                ctx.warn_run(format!(
                    "build secret \"{id}\" has fewer than {} characters, too short to mask: it is shown as is wherever it appears",
                    crate::output::MIN_SECRET_LEN
                ), true);
            }
        }
        out.insert(id.clone(), value);
    }
    Ok(out)
}

/// One secret's value, from its environment variable or its file.
fn read_one(
    project: &Session,
    id: &str,
    source: &crate::config::schema::BuildSecret,
) -> Result<Vec<u8>> {
    match (&source.env, &source.file) {
        (Some(var), None) => Ok(project
            .ambient
            .var(var)
            .ok_or_else(|| {
                Error::usage(format!(
                    "build secret \"{id}\": environment variable {var} is not set"
                ))
            })?
            .into_bytes()),
        (None, Some(file)) => {
            let path = match (file.strip_prefix("~/"), project.ambient.home()) {
                (Some(rest), Some(home)) => home.join(rest),
                _ => project.config.root.join(file),
            };
            std::fs::read(&path).map_err(|e| {
                Error::usage_because(
                    format!("build secret \"{id}\": cannot read {}", path.display()),
                    e,
                )
            })
        }
        _ => Err(Error::usage(format!(
            "build secret \"{id}\" needs exactly one of env or file"
        ))),
    }
}
