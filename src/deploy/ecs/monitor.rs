//! `monitor` on ECS: the service's counts, each deployment with its revision, rollout state and
//! release, the latest events, stopped tasks of the newest revision, the deploy gate's verdict
//! (a deployment in progress for longer than the deploy timeout is stuck), CPU and memory from
//! CloudWatch, and the tasks' logs from CloudWatch Logs.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use aws_sdk_ecs::types::{DeploymentRolloutState, TaskDefinition};
use aws_sdk_ecs::Client;
use aws_smithy_types::DateTime;

use super::verdict::{judge, revision, Progress};
use super::{Ecs, Live};
use crate::aws::logs::Source;
use crate::aws::metrics::Query;
use crate::deploy::metrics::Metric;
use crate::deploy::status::{starting_or_stuck, Deployment, EventLine};
use crate::deploy::{Health, LogLine, LogQuery, Status, Target};
use crate::error::{Error, Result};
use crate::release::Record;

/// How many of the service's latest events `monitor` shows.
const EVENTS: usize = 8;

fn rfc3339(t: &DateTime) -> String {
    crate::units::rfc3339(t.secs())
}

impl Ecs {
    /// The release of each deployment's revision, from the ledger by image.
    async fn releases(
        &self,
        client: &Client,
        live: &Live,
        records: &[Record],
    ) -> HashMap<String, Option<String>> {
        let by_image = |image: Option<&str>| self.release_by_image(records, image);
        let mut out = HashMap::new();
        for d in live.service.deployments() {
            let Some(arn) = d.task_definition() else {
                continue;
            };
            if out.contains_key(arn) {
                continue;
            }
            let release = if Some(arn) == live.task_def.task_definition_arn() {
                by_image(self.image_in(&live.task_def))
            } else {
                let td = client
                    .describe_task_definition()
                    .task_definition(arn)
                    .send()
                    .await
                    .ok()
                    .and_then(|o| o.task_definition);
                by_image(td.as_ref().and_then(|t| self.image_in(t)))
            };
            out.insert(arn.to_string(), release);
        }
        out
    }

    /// The URL of the load balancer in front of the service, if one is (a failed read: none).
    async fn url(&self, svc: &aws_sdk_ecs::types::Service) -> Option<String> {
        let tg = svc
            .load_balancers()
            .iter()
            .find_map(|l| l.target_group_arn())?;
        let elb = aws_sdk_elasticloadbalancingv2::Client::new(self.project.aws().await.ok()?);
        let groups = elb
            .describe_target_groups()
            .target_group_arns(tg)
            .send()
            .await
            .ok()?;
        let lb = groups
            .target_groups()
            .first()?
            .load_balancer_arns()
            .first()?
            .clone();
        let lbs = elb
            .describe_load_balancers()
            .load_balancer_arns(lb)
            .send()
            .await
            .ok()?;
        let dns = lbs.load_balancers().first()?.dns_name()?;
        Some(format!("http://{dns}/"))
    }

    pub(super) async fn status_with(
        &self,
        client: &Client,
        cloudwatch: Option<(&aws_sdk_cloudwatch::Client, Duration)>,
    ) -> Result<Status> {
        let live = self.live(client).await?;
        let records = crate::release::history(&self.project).await?;
        let svc = &live.service;
        let mut st = Status::empty(&self.project, "ecs", &self.name());
        st.state = svc.status().unwrap_or("unknown").to_lowercase();
        st.image = self.image_in(&live.task_def).map(str::to_string);
        st.release = self.release_by_image(&records, st.image.as_deref());
        st.url = self.url(svc).await;
        st.replicas_running = Some(svc.running_count().max(0) as usize);
        st.replicas_desired = Some(svc.desired_count().max(0) as usize);
        let releases = self.releases(client, &live, &records).await;
        st.deployments = svc
            .deployments()
            .iter()
            .map(|d| Deployment {
                id: d.id().unwrap_or_default().to_string(),
                status: d.status().unwrap_or("?").to_string(),
                revision: d.task_definition().map(revision).unwrap_or("?").to_string(),
                release: d
                    .task_definition()
                    .and_then(|a| releases.get(a).cloned().flatten()),
                rollout: d.rollout_state().map(|r| r.as_str().to_string()),
                rollout_reason: d.rollout_state_reason().map(str::to_string),
                desired: d.desired_count(),
                running: d.running_count(),
                pending: d.pending_count(),
                failed: d.failed_tasks(),
                updated_at: d.updated_at().or(d.created_at()).map(rfc3339),
            })
            .collect();
        // DescribeServices lists events newest first, often several within one second.
        let mut events: Vec<_> = svc.events().iter().take(EVENTS).rev().collect();
        events.sort_by_key(|e| e.created_at().map(|t| (t.secs(), t.subsec_nanos())));
        st.events = events
            .into_iter()
            .map(|e| EventLine {
                time: e.created_at().map(rfc3339).unwrap_or_default(),
                message: e.message().unwrap_or_default().to_string(),
            })
            .collect();
        let primary = svc
            .deployments()
            .iter()
            .find(|d| d.status() == Some("PRIMARY"));
        if let Some(newest) = primary.and_then(|p| p.task_definition()) {
            // What stopped tasks say adds to the verdict; reading them must not take it away.
            match self
                .stopped_tasks(client, newest, &mut HashSet::new())
                .await
            {
                Ok(problems) => st.problems = problems,
                Err(e) => st.notes.push(format!("stopped tasks: {}", e.message)),
            }
        }
        st.update_state = primary
            .and_then(|d| d.rollout_state())
            .map(|r| r.as_str().to_lowercase());
        st.set_health(self.verdict(&live, primary));
        if let Some((cw, window)) = cloudwatch {
            match self.metrics(cw, window, &mut st.notes).await {
                Ok(m) => st.metrics = m,
                Err(e) => st.notes.push(format!("metrics: {}", e.message)),
            }
        }
        Ok(st)
    }

    /// The deploy gate's verdict on what runs now; a rollout in progress for longer than the
    /// deploy timeout is stuck, which `--check` fails.
    fn verdict(&self, live: &Live, primary: Option<&aws_sdk_ecs::types::Deployment>) -> Health {
        let svc = &live.service;
        let current = svc.task_definition().unwrap_or_default();
        let mut probe = None;
        match judge(svc, current, current, &mut probe) {
            Progress::Done => Health::Healthy(format!(
                "{} runs {} of {} desired tasks",
                revision(current),
                svc.running_count(),
                svc.desired_count()
            )),
            Progress::Failed(why) => Health::Unhealthy(why),
            // Tasks of the rollout fail and it has not reached its count: failing, not starting.
            Progress::Changing(what)
                if primary.is_some_and(|p| {
                    p.rollout_state() == Some(&DeploymentRolloutState::InProgress)
                        && p.failed_tasks() > 0
                        && p.running_count() < p.desired_count()
                }) =>
            {
                Health::Unhealthy(format!(
                    "failing: {} task(s) of the deployment of {} failed to start or stay up; {what}",
                    primary.map(|p| p.failed_tasks()).unwrap_or(0),
                    revision(current)
                ))
            }
            Progress::Changing(what)
                if primary.is_some_and(|p| {
                    p.rollout_state() == Some(&DeploymentRolloutState::InProgress)
                }) =>
            {
                let since = primary.and_then(|p| p.created_at().or(p.updated_at()));
                starting_or_stuck(
                    &self.project,
                    since.map(|t| t.secs()),
                    &format!("the deployment of {} has been in progress", revision(current)),
                    what,
                )
            }
            Progress::Changing(what) | Progress::RolledBack(what) | Progress::Superseded(what) => {
                Health::Unhealthy(what)
            }
        }
    }

    /// CPUUtilization and MemoryUtilization of the service over `window`, in one call.
    async fn metrics(
        &self,
        cw: &aws_sdk_cloudwatch::Client,
        window: Duration,
        notes: &mut Vec<String>,
    ) -> Result<Vec<Metric>> {
        let cluster = self.settings.cluster.rsplit('/').next().unwrap_or_default();
        let dims = vec![
            ("ClusterName".to_string(), cluster.to_string()),
            ("ServiceName".to_string(), self.settings.service.clone()),
        ];
        let queries: Vec<Query> = [("cpu", "CPUUtilization"), ("memory", "MemoryUtilization")]
            .into_iter()
            .map(|(id, metric)| Query {
                id: id.into(),
                namespace: "AWS/ECS".into(),
                metric: metric.into(),
                dimensions: dims.clone(),
                stat: "Average".into(),
            })
            .collect();
        let period = crate::aws::metrics::period(window);
        let data = crate::aws::metrics::fetch(cw, &queries, window, notes).await?;
        Ok(queries
            .iter()
            .zip(data)
            .map(|(q, (_, points))| {
                let source = format!("{}, AWS/ECS, average per {period}s", q.metric);
                Metric::new(&q.id, &source, "%", points)
            })
            .collect())
    }

    /// Where the tasks' logs are: the group and `<prefix>/<container>/` from the live task
    /// definition's awslogs options, or from the config.
    pub(super) fn log_source(&self, td: &TaskDefinition) -> Result<Source> {
        let container = self.container();
        let def = td
            .container_definitions()
            .iter()
            .find(|c| c.name() == Some(container.as_str()));
        let options = def
            .and_then(|c| c.log_configuration())
            .filter(|l| l.log_driver().as_str() == "awslogs")
            .and_then(|l| l.options());
        let opt = |k: &str| options.and_then(|o| o.get(k)).cloned();
        let group = self
            .settings
            .log_group
            .clone()
            .or_else(|| opt("awslogs-group"));
        let Some(group) = group else {
            let driver = def
                .and_then(|c| c.log_configuration())
                .map(|l| l.log_driver().as_str().to_string())
                .unwrap_or_else(|| "none".into());
            return Err(Error::usage(format!(
                "container \"{container}\" of {} does not log to CloudWatch Logs (log driver: {driver})",
                revision(td.task_definition_arn().unwrap_or_default())
            ))
            .with_hint("use the awslogs log driver in the task definition, or set deploy.ecs.log_group (and log_stream_prefix)"));
        };
        let prefix = self
            .settings
            .log_stream_prefix
            .clone()
            .or_else(|| opt("awslogs-stream-prefix"));
        Ok(Source {
            group,
            // awslogs names streams `<prefix>/<container>/<task id>`.
            stream_prefix: prefix.map(|p| format!("{p}/{container}/")),
        })
    }

    pub(super) async fn logs_with(
        &self,
        client: &Client,
        logs: &aws_sdk_cloudwatchlogs::Client,
        q: &LogQuery,
        out: &mut (dyn FnMut(LogLine) + Send),
    ) -> Result<()> {
        let live = self.live(client).await?;
        let source = self.log_source(&live.task_def)?;
        // The short task id: the stream name's last part, as the ECS console abbreviates it.
        let label = |_: &Source, stream: &str| {
            let id = stream.rsplit('/').next().unwrap_or(stream);
            id.get(..8).unwrap_or(id).to_string()
        };
        crate::aws::logs::read(logs, std::slice::from_ref(&source), q, &label, out).await
    }
}
