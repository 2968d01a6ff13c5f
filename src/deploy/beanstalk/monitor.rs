//! `monitor` on Elastic Beanstalk: the environment's status, health and its causes, the version
//! label and its release, recent events, the verdict the deploy gate would give (an update
//! running for longer than the deploy timeout is stuck), environment health and the instances'
//! CPU from CloudWatch, and the logs the environment streams to CloudWatch Logs.

use std::time::Duration;

use aws_sdk_elasticbeanstalk::types::{EnvironmentDescription, EnvironmentHealthAttribute};
use aws_sdk_elasticbeanstalk::Client;

use super::verdict::{self, describe};
use super::Beanstalk;
use crate::aws::logs::Source;
use crate::aws::metrics::Query;
use crate::aws::sdk_error;
use crate::deploy::metrics::Metric;
use crate::deploy::status::{starting_or_stuck, EventLine};
use crate::deploy::{Health, LogLine, LogQuery, Status, Target};
use crate::error::{Error, Result};

/// How many recent events `monitor` shows.
const EVENTS: i32 = 8;
/// The namespace of the setting that streams instance logs to CloudWatch Logs.
const LOGS_NAMESPACE: &str = "aws:elasticbeanstalk:cloudwatch:logs";

fn rfc3339(t: &aws_smithy_types::DateTime) -> String {
    crate::units::rfc3339(t.secs())
}

impl Beanstalk {
    pub(super) async fn status_with(
        &self,
        eb: &Client,
        cloudwatch: Option<(&aws_sdk_cloudwatch::Client, Duration)>,
    ) -> Result<Status> {
        let env = self.environment_patiently(eb).await?;
        let mut st = Status::empty(&self.project, "beanstalk", &self.name());
        let ready = verdict::status_is(&env, "Ready");
        st.state = env
            .status()
            .map(|s| s.as_str().to_lowercase())
            .unwrap_or_else(|| "unknown".into());
        st.version = env.version_label().map(str::to_string);
        // The environment's URL: its CNAME (load balanced or single instance alike).
        st.url = env
            .cname()
            .filter(|c| !c.is_empty())
            .map(|c| format!("http://{c}/"));
        st.release = self.release_of(env.version_label()).await?;
        if !ready {
            st.update_state = Some(st.state.clone());
        }
        st.set_health(self.verdict(&env));
        match self.causes(eb).await {
            Ok(causes) => st.problems = causes,
            Err(e) => st.notes.push(format!("health causes: {}", e.message)),
        }
        match self.recent_events(eb).await {
            Ok(events) => st.events = events,
            Err(e) => st.notes.push(format!("events: {}", e.message)),
        }
        if let Some((cw, window)) = cloudwatch {
            match self.metrics(eb, cw, window, &mut st.notes).await {
                Ok(m) => st.metrics = m,
                Err(e) => st.notes.push(format!("metrics: {}", e.message)),
            }
        }
        Ok(st)
    }

    /// The deploy gate's words for the environment as it is; an update running for longer than
    /// the deploy timeout is stuck.
    fn verdict(&self, env: &EnvironmentDescription) -> Health {
        let said = describe(env);
        let ready = verdict::status_is(env, "Ready");
        // Health lags an update: bad health within the grace after it is settling, as the
        // deploy gate judges it.
        let since_update = env.date_updated().and_then(|t| {
            let at = std::time::UNIX_EPOCH + Duration::from_secs(t.secs().max(0) as u64);
            std::time::SystemTime::now().duration_since(at).ok()
        });
        let grace = self.settings.health_grace();
        match verdict::health(env) {
            verdict::Health::Ok if ready => Health::Healthy(said),
            verdict::Health::Bad(_) if ready && since_update.is_some_and(|a| a < grace) => {
                Health::Starting(format!(
                    "{said}; updated {}s ago, within the {}s health grace",
                    since_update.unwrap_or_default().as_secs(),
                    grace.as_secs()
                ))
            }
            verdict::Health::Bad(_) => Health::Unhealthy(said),
            _ if ready => Health::Unhealthy(said),
            _ => {
                let doing = env.status().map(|s| s.as_str()).unwrap_or("changing");
                starting_or_stuck(
                    &self.project,
                    env.date_updated().map(|t| t.secs()),
                    doing,
                    said,
                )
            }
        }
    }

    /// Enhanced health's causes (empty when all is well).
    async fn causes(&self, eb: &Client) -> Result<Vec<String>> {
        let out = eb
            .describe_environment_health()
            .environment_name(&self.settings.environment)
            .attribute_names(EnvironmentHealthAttribute::Causes)
            .attribute_names(EnvironmentHealthAttribute::HealthStatus)
            .send()
            .await
            .map_err(|e| {
                sdk_error(
                    "not available (DescribeEnvironmentHealth needs enhanced health reporting)",
                    e,
                )
            })?;
        Ok(out.causes().to_vec())
    }

    async fn recent_events(&self, eb: &Client) -> Result<Vec<EventLine>> {
        let out = eb
            .describe_events()
            .application_name(&self.settings.application)
            .environment_name(&self.settings.environment)
            .max_records(EVENTS)
            .send()
            .await
            .map_err(|e| sdk_error("cannot read the environment's events", e))?;
        let mut events: Vec<_> = out.events().iter().collect();
        events.sort_by_key(|e| e.event_date().map(|d| (d.secs(), d.subsec_nanos())));
        Ok(events
            .into_iter()
            .map(|e| EventLine {
                time: e.event_date().map(rfc3339).unwrap_or_default(),
                message: format!(
                    "{} {}",
                    e.severity().map(|s| s.as_str()).unwrap_or("INFO"),
                    e.message().unwrap_or_default()
                ),
            })
            .collect())
    }

    /// Environment health (AWS/ElasticBeanstalk, where enhanced health publishes it) and the
    /// instances' CPU (AWS/EC2 by Auto Scaling group), in one call.
    async fn metrics(
        &self,
        eb: &Client,
        cw: &aws_sdk_cloudwatch::Client,
        window: Duration,
        notes: &mut Vec<String>,
    ) -> Result<Vec<Metric>> {
        let name = &self.settings.environment;
        let mut queries = vec![Query {
            id: "health".into(),
            namespace: "AWS/ElasticBeanstalk".into(),
            metric: "EnvironmentHealth".into(),
            dimensions: vec![("EnvironmentName".into(), name.clone())],
            stat: "Maximum".into(),
        }];
        let group = eb
            .describe_environment_resources()
            .environment_name(name)
            .send()
            .await
            .map_err(|e| sdk_error("cannot describe the environment's resources", e))
            .map(|out| {
                out.environment_resources
                    .and_then(|r| r.auto_scaling_groups.unwrap_or_default().into_iter().next())
                    .and_then(|g| g.name)
            });
        match group {
            Ok(Some(asg)) => queries.push(Query {
                id: "cpu".into(),
                namespace: "AWS/EC2".into(),
                metric: "CPUUtilization".into(),
                dimensions: vec![("AutoScalingGroupName".into(), asg)],
                stat: "Average".into(),
            }),
            Ok(None) => notes.push("cpu: the environment has no Auto Scaling group".into()),
            Err(e) => notes.push(format!("cpu: {}", e.message)),
        }
        let period = crate::aws::metrics::period(window);
        let data = crate::aws::metrics::fetch(cw, &queries, window, notes).await?;
        Ok(queries
            .iter()
            .zip(data)
            .map(|(q, (_, points))| {
                let (stat, unit) = if q.id == "cpu" {
                    ("average", "%")
                } else {
                    // 0 Ok … 25 Severe, as enhanced health publishes it.
                    ("worst", "")
                };
                let source = format!("{}, {}, {stat} per {period}s", q.metric, q.namespace);
                Metric::new(&q.id, &source, unit, points)
            })
            .collect())
    }

    /// The environment's CloudWatch Logs groups, when it streams its logs there.
    async fn log_sources(
        &self,
        eb: &Client,
        logs: &aws_sdk_cloudwatchlogs::Client,
    ) -> Result<Vec<Source>> {
        let name = &self.settings.environment;
        let live = super::settings::live(eb, &self.settings.application, name).await?;
        let streams = live
            .get(&(LOGS_NAMESPACE.to_string(), "StreamLogs".to_string()))
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if !streams {
            return Err(Error::usage(format!(
                "environment {name} does not stream its logs to CloudWatch Logs"
            ))
            .with_hint(format!("turn it on with [deploy.beanstalk.options.\"{LOGS_NAMESPACE}\"] StreamLogs = \"true\" and deploy, or in the console (Configuration → Updates, monitoring, and logging → Instance log streaming)")));
        }
        let prefix = format!("/aws/elasticbeanstalk/{name}/");
        let mut groups = Vec::new();
        let mut token = None;
        loop {
            let page = logs
                .describe_log_groups()
                .log_group_name_prefix(&prefix)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| sdk_error("cannot list log groups", e))?;
            groups.extend(
                page.log_groups()
                    .iter()
                    .filter_map(|g| g.log_group_name())
                    .filter(|g| g.starts_with(&prefix))
                    .map(|g| Source {
                        group: g.to_string(),
                        stream_prefix: None,
                    }),
            );
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        if groups.is_empty() {
            return Err(Error::usage(format!(
                "environment {name} streams its logs, but no log group under {prefix} exists yet"
            )));
        }
        Ok(groups)
    }

    pub(super) async fn logs_with(
        &self,
        eb: &Client,
        logs: &aws_sdk_cloudwatchlogs::Client,
        q: &LogQuery,
        out: &mut (dyn FnMut(LogLine) + Send),
    ) -> Result<()> {
        let sources = self.log_sources(eb, logs).await?;
        // The instance (the stream's name) and the log file (the group's last part).
        let label = |s: &Source, stream: &str| {
            let file = s.group.rsplit('/').next().unwrap_or(&s.group);
            format!("{stream} {file}")
        };
        crate::aws::logs::read(logs, &sources, q, &label, out).await
    }
}
