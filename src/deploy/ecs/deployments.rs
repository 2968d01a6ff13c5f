//! The service deployments API, where the endpoint has it (moto has not): every page of a
//! service's deployments, and the newest one since a time.

use aws_sdk_ecs::types::{CreatedAt, ServiceDeploymentBrief, ServiceDeploymentStatus};
use aws_sdk_ecs::Client;
use aws_smithy_types::DateTime;

use crate::aws::sdk_error;
use crate::config::schema::EcsTarget;

/// The service deployments of the service, every page followed (ECS returns at most 20 a page,
/// in no documented order, over 90 days), created after `since` when given (less a few seconds
/// for clocks that differ), with one of `statuses` when any are given. `Err` says why the endpoint
/// has no such API (moto) or refused it.
pub(super) async fn service_deployments(
    client: &Client,
    s: &EcsTarget,
    since: Option<DateTime>,
    statuses: &[ServiceDeploymentStatus],
) -> std::result::Result<Vec<ServiceDeploymentBrief>, crate::error::Error> {
    let after = since.map(|t| DateTime::from_secs(t.secs() - 5));
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    // A bound on pages, so an endpoint that repeats its token cannot keep devloop here.
    for _ in 0..100 {
        let mut q = client
            .list_service_deployments()
            .cluster(&s.cluster)
            .service(&s.service)
            .set_next_token(token.take());
        if let Some(after) = after {
            q = q.created_at(CreatedAt::builder().after(after).build());
        }
        for st in statuses {
            q = q.status(st.clone());
        }
        let out = q
            .send()
            .await
            .map_err(|e| sdk_error("ListServiceDeployments", e))?;
        found.extend(out.service_deployments().iter().cloned());
        match out.next_token().filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    // Some endpoints ignore the filter: apply it here too.
    if let Some(after) = after {
        found.retain(|d| d.created_at().is_none_or(|t| t.secs() >= after.secs()));
    }
    Ok(found)
}

/// The newest service deployment created since `since`, or `Err` (with why) when the endpoint has
/// no service deployments API (moto) or refuses it.
pub(super) async fn latest_service_deployment(
    client: &Client,
    s: &EcsTarget,
    since: DateTime,
) -> std::result::Result<Option<ServiceDeploymentBrief>, crate::error::Error> {
    Ok(service_deployments(client, s, Some(since), &[])
        .await?
        .into_iter()
        .max_by_key(|d| d.created_at().map(|t| (t.secs(), t.subsec_nanos()))))
}
