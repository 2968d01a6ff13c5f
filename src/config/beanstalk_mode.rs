//! How a set of services lands on Elastic Beanstalk, decided once from the file: every service in
//! one environment (one compose bundle for the whole set), or one environment per service (walked
//! along the graph). A mix of the two, or a service with no environment, is a located error.

use std::collections::BTreeMap;
use std::ops::Range;

use super::schema::{BeanstalkTarget, TargetKind};
use super::Source;
use crate::error::Result;

/// Where the services of a set run on Elastic Beanstalk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EbMode {
    /// One environment runs every service: one `docker-compose.yml` bundle, one application
    /// version, one verdict.
    Bundle,
    /// Each service names an environment of its own, deployed along the graph.
    PerService,
}

/// What the mode is decided from, of one service of the set.
pub(super) struct Member<'a> {
    pub name: &'a str,
    /// Where the service's table starts in the file, for errors.
    pub key_span: Range<usize>,
    /// Its `[deploy.beanstalk]`, merged with the file's.
    pub eb: Option<&'a BeanstalkTarget>,
}

/// The mode of the set's services on `target` (`None` when it is not Elastic Beanstalk).
pub(super) fn of(
    source: &Source,
    members: &[Member<'_>],
    target: Option<TargetKind>,
) -> Result<Option<EbMode>> {
    if target != Some(TargetKind::Beanstalk) {
        return Ok(None);
    }
    // (application, environment), as Elastic Beanstalk matches them: in any case.
    let mut by_env: BTreeMap<(String, String), Vec<&Member<'_>>> = BTreeMap::new();
    for t in members {
        // A service without [deploy.beanstalk] is refused by the target check, with its key.
        let Some(eb) = t.eb else {
            return Ok(None);
        };
        if eb.environment.is_empty() {
            return Err(source.error(
                Some(t.key_span.clone()),
                format!(
                    "services.{} has no Elastic Beanstalk environment: set deploy.beanstalk.environment in [deploy.beanstalk] (one environment runs the whole set as a compose bundle) or in each service (an environment per service)",
                    t.name
                ),
            ));
        }
        let key = (eb.application.to_lowercase(), eb.environment.to_lowercase());
        by_env.entry(key).or_default().push(t);
    }
    if by_env.len() == 1 {
        same_settings(source, members)?;
        return Ok(Some(EbMode::Bundle));
    }
    if by_env.len() == members.len() {
        return Ok(Some(EbMode::PerService));
    }
    let own: Vec<&str> = by_env
        .values()
        .filter(|g| g.len() == 1)
        .map(|g| g[0].name)
        .collect();
    let Some(shared) = by_env.values().find(|g| g.len() > 1) else {
        return Ok(Some(EbMode::PerService));
    };
    let at = shared[1];
    let env = at.eb.map(|e| e.environment.clone()).unwrap_or_default();
    Err(source.error(
        Some(at.key_span.clone()),
        format!(
            "services.{} runs in Elastic Beanstalk environment \"{env}\" with services.{}, while {} {} an environment of {} own: a set runs either in one environment (every service in one compose bundle) or in one environment per service, not a mix",
            at.name,
            shared[0].name,
            own.iter().map(|n| format!("services.{n}")).collect::<Vec<_>>().join(", "),
            if own.len() == 1 { "has" } else { "have" },
            if own.len() == 1 { "its" } else { "their" },
        ),
    )
    .with_hint("set deploy.beanstalk.environment only in [deploy.beanstalk] for one environment, or in every service for one each"))
}

/// In one environment the services share its option settings, bucket and rollback: only their
/// `env` and `port` may differ (they go into the compose file), so nothing is silently dropped.
fn same_settings(source: &Source, members: &[Member<'_>]) -> Result<()> {
    let shared = |t: &Member<'_>| {
        let mut v = serde_json::to_value(t.eb).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.remove("env");
            o.remove("port");
            o.remove("application");
            o.remove("environment");
        }
        v
    };
    let Some(first) = members.first() else {
        return Ok(());
    };
    let base = shared(first);
    for t in &members[1..] {
        let own = shared(t);
        if own == base {
            continue;
        }
        let key = own
            .as_object()
            .zip(base.as_object())
            .and_then(|(a, b)| {
                a.keys()
                    .chain(b.keys())
                    .find(|k| a.get(*k) != b.get(*k))
                    .cloned()
            })
            .unwrap_or_default();
        return Err(source.error(
            Some(t.key_span.clone()),
            format!(
                "services.{} sets deploy.beanstalk.{key} differently from services.{}, but they run in one environment as one bundle, which has one value for it",
                t.name, first.name
            ),
        )
        .with_hint(format!("set deploy.beanstalk.{key} in [deploy.beanstalk] for the whole set (only env and port may differ per service)")));
    }
    Ok(())
}
