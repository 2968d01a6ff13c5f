//! The environment's events as Elastic Beanstalk keeps them: those of one request (an update) or
//! of one version (its processing), oldest first, each returned once.

use std::collections::HashSet;

use aws_sdk_elasticbeanstalk::Client;
use aws_smithy_types::DateTime;

use super::Beanstalk;
use crate::aws::sdk_error;
use crate::error::Result;

/// Which events to read: those of one request (an update), or of one version (processing).
pub(super) enum Events<'a> {
    Request(&'a str),
    Version(&'a str),
}

impl Beanstalk {
    /// New events for `which` since `since`, oldest first, as (severity, message); each is
    /// returned once across calls. Severities are kept as sent (read them with [`severe`]).
    pub(super) async fn events(
        &self,
        eb: &Client,
        which: Events<'_>,
        since: DateTime,
        seen: &mut HashSet<String>,
    ) -> Result<Vec<(String, String)>> {
        let mut q = eb
            .describe_events()
            .application_name(&self.settings.application)
            .start_time(since);
        q = match which {
            Events::Request(id) => q
                .environment_name(&self.settings.environment)
                .request_id(id),
            Events::Version(label) => q.version_label(label),
        };
        let out = q
            .send()
            .await
            .map_err(|e| sdk_error("cannot read the environment's events", e))?;
        // Newest first as sent: reversed, then a stable sort keeps events of one instant in the
        // order they happened.
        let mut fresh: Vec<_> = out
            .events()
            .iter()
            .rev()
            .filter(|e| {
                let key = format!(
                    "{:?}|{}",
                    e.event_date().map(|d| (d.secs(), d.subsec_nanos())),
                    e.message().unwrap_or_default()
                );
                seen.insert(key)
            })
            .collect();
        fresh.sort_by_key(|e| e.event_date().map(|d| (d.secs(), d.subsec_nanos())));
        Ok(fresh
            .into_iter()
            .map(|e| {
                (
                    e.severity()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_else(|| "INFO".into()),
                    e.message().unwrap_or_default().to_string(),
                )
            })
            .collect())
    }
}
