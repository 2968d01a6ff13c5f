//! CloudWatch metrics for `monitor`: every series a target shows, over one window, in a single
//! GetMetricData call.

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricStat, ScanBy, StatusCode,
};
use aws_sdk_cloudwatch::Client;
use aws_smithy_types::DateTime;

use super::sdk_error;
use crate::error::Result;

/// One series to read: a metric with its dimensions and statistic.
#[derive(Debug, Clone)]
pub struct Query {
    /// Query id (lowercase letters, digits, `_`), also the metric's short name.
    pub id: String,
    pub namespace: String,
    pub metric: String,
    pub dimensions: Vec<(String, String)>,
    /// `Average`, `Maximum`, …
    pub stat: String,
}

/// The period that keeps a window to about a hundred points (a multiple of a minute).
pub fn period(window: Duration) -> i32 {
    let secs = window.as_secs().div_ceil(100);
    (secs.div_ceil(60) * 60).clamp(60, 86_400) as i32
}

/// Read every query over the last `window`; returns, per query id, (epoch seconds, value) points.
/// A series CloudWatch could not read whole (status Forbidden, InternalError, or PartialData on
/// the last page) gets a note saying what is missing and why, never a silent "no data".
pub async fn fetch(
    client: &Client,
    queries: &[Query],
    window: Duration,
    notes: &mut Vec<String>,
) -> Result<Vec<(String, Vec<(i64, f64)>)>> {
    let period = period(window);
    let end = SystemTime::now();
    let start = end.checked_sub(window).unwrap_or(SystemTime::UNIX_EPOCH);
    let mut q = client
        .get_metric_data()
        .start_time(DateTime::from(start))
        .end_time(DateTime::from(end))
        .scan_by(ScanBy::TimestampAscending);
    for query in queries {
        let dims = query
            .dimensions
            .iter()
            .map(|(n, v)| Dimension::builder().name(n).value(v).build());
        let metric = Metric::builder()
            .namespace(&query.namespace)
            .metric_name(&query.metric)
            .set_dimensions(Some(dims.collect()))
            .build();
        q = q.metric_data_queries(
            MetricDataQuery::builder()
                .id(&query.id)
                .metric_stat(
                    MetricStat::builder()
                        .metric(metric)
                        .period(period)
                        .stat(&query.stat)
                        .build(),
                )
                .return_data(true)
                .build(),
        );
    }
    let mut out: Vec<(String, Vec<(i64, f64)>)> =
        queries.iter().map(|q| (q.id.clone(), Vec::new())).collect();
    let mut token = None;
    let mut statuses: Vec<(String, StatusCode, Vec<String>)> = Vec::new();
    loop {
        let page = q
            .clone()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| sdk_error("cannot read CloudWatch metrics", e))?;
        for r in page.metric_data_results() {
            let Some(slot) = out.iter_mut().find(|(id, _)| Some(id.as_str()) == r.id()) else {
                continue;
            };
            slot.1.extend(
                r.timestamps()
                    .iter()
                    .zip(r.values())
                    .map(|(t, v)| (t.secs(), *v)),
            );
            if let Some(code) = r.status_code() {
                let said = r
                    .messages()
                    .iter()
                    .filter_map(|m| m.value().map(str::to_string))
                    .collect();
                statuses.retain(|(id, _, _)| Some(id.as_str()) != r.id());
                statuses.push((slot.0.clone(), code.clone(), said));
            }
        }
        match page.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    for (id, code, said) in statuses {
        let metric = queries
            .iter()
            .find(|q| q.id == id)
            .map(|q| q.metric.as_str())
            .unwrap_or(id.as_str());
        let why = match code.as_str().to_ascii_lowercase().as_str() {
            "complete" => continue,
            "forbidden" => "CloudWatch refused to read it (Forbidden): the identity needs cloudwatch:GetMetricData on this metric".to_string(),
            "internalerror" => "CloudWatch failed to read it (InternalError); the points shown may be incomplete, try again".to_string(),
            "partialdata" => "CloudWatch returned only part of it (PartialData); the newest points may be missing".to_string(),
            other => format!("CloudWatch gave status \"{other}\" for it"),
        };
        let detail = if said.is_empty() {
            String::new()
        } else {
            format!(" ({})", said.join("; "))
        };
        notes.push(format!("{metric}: {why}{detail}"));
    }
    Ok(out)
}
