//! `monitor` on Elastic Beanstalk: status with health causes, events, the version's release and
//! metrics (CloudWatch in moto; the Elastic Beanstalk calls moto lacks scripted), and logs from
//! the environment's CloudWatch Logs groups, or what to turn on when it streams none.

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use aws_sdk_elasticbeanstalk::operation::describe_configuration_settings::DescribeConfigurationSettingsOutput;
use aws_sdk_elasticbeanstalk::operation::describe_environment_health::DescribeEnvironmentHealthOutput;
use aws_sdk_elasticbeanstalk::operation::describe_environment_resources::DescribeEnvironmentResourcesOutput;
use aws_sdk_elasticbeanstalk::operation::describe_environments::DescribeEnvironmentsOutput;
use aws_sdk_elasticbeanstalk::operation::describe_events::DescribeEventsOutput;
use aws_sdk_elasticbeanstalk::types::{
    AutoScalingGroup, ConfigurationOptionSetting, ConfigurationSettingsDescription,
    EnvironmentHealth, EnvironmentHealthStatus, EnvironmentResourceDescription, EnvironmentStatus,
    EventSeverity,
};
use aws_sdk_elasticbeanstalk::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::DateTime;

use super::script::{event, project, record, Moto};
use super::{env, PREV};
use crate::deploy::beanstalk::Beanstalk;
use crate::deploy::LogQuery;

const ASG: &str = "awseb-e-abcdef1234-stack-AWSEBAutoScalingGroup-XYZ";

/// The scripted Elastic Beanstalk of a Red environment on `PREV`, streaming its logs or not.
fn eb(stream_logs: &'static str) -> Client {
    let envs = mock!(Client::describe_environments).then_output(|| {
        DescribeEnvironmentsOutput::builder()
            .environments(env(
                EnvironmentStatus::Ready,
                EnvironmentHealth::Red,
                Some(EnvironmentHealthStatus::Severe),
                PREV,
            ))
            .build()
    });
    let health = mock!(Client::describe_environment_health).then_output(|| {
        DescribeEnvironmentHealthOutput::builder()
            .environment_name("web-prod")
            .health_status("Severe")
            .color("Red")
            .causes("100.0 % of the requests are failing with HTTP 5xx.")
            .build()
    });
    let events = mock!(Client::describe_events).then_output(|| {
        DescribeEventsOutput::builder()
            .events(event(
                2,
                EventSeverity::Warn,
                "Environment health has transitioned from Ok to Severe.",
            ))
            .events(event(
                1,
                EventSeverity::Info,
                "Environment update completed successfully.",
            ))
            .build()
    });
    let resources = mock!(Client::describe_environment_resources).then_output(|| {
        DescribeEnvironmentResourcesOutput::builder()
            .environment_resources(
                EnvironmentResourceDescription::builder()
                    .environment_name("web-prod")
                    .auto_scaling_groups(AutoScalingGroup::builder().name(ASG).build())
                    .build(),
            )
            .build()
    });
    let config = mock!(Client::describe_configuration_settings).then_output(move || {
        DescribeConfigurationSettingsOutput::builder()
            .configuration_settings(
                ConfigurationSettingsDescription::builder()
                    .environment_name("web-prod")
                    .option_settings(
                        ConfigurationOptionSetting::builder()
                            .namespace("aws:elasticbeanstalk:cloudwatch:logs")
                            .option_name("StreamLogs")
                            .value(stream_logs)
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    mock_client!(
        aws_sdk_elasticbeanstalk,
        RuleMode::MatchAny,
        [&envs, &health, &events, &resources, &config]
    )
}

async fn put(
    cw: &aws_sdk_cloudwatch::Client,
    ns: &str,
    metric: &str,
    dim: (&str, &str),
    points: &[(u64, f64)],
) {
    for (minutes, value) in points {
        let at = SystemTime::now() - Duration::from_secs(minutes * 60);
        cw.put_metric_data()
            .namespace(ns)
            .metric_data(
                MetricDatum::builder()
                    .metric_name(metric)
                    .value(*value)
                    .timestamp(DateTime::from(at))
                    .dimensions(Dimension::builder().name(dim.0).value(dim.1).build())
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn status_shows_health_causes_events_the_release_and_metrics() {
    let moto = Moto::start();
    let cw = aws_sdk_cloudwatch::Client::new(&moto.sdk());
    put(
        &cw,
        "AWS/EC2",
        "CPUUtilization",
        ("AutoScalingGroupName", ASG),
        &[(20, 40.0), (10, 60.0)],
    )
    .await;
    put(
        &cw,
        "AWS/ElasticBeanstalk",
        "EnvironmentHealth",
        ("EnvironmentName", "web-prod"),
        &[(5, 25.0)],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut old = record();
    old.id = "20251201T000000Z-def5678".into();
    let ledger = dir.path().join(".devloop/releases");
    std::fs::create_dir_all(&ledger).unwrap();
    std::fs::write(
        ledger.join(format!("{}.json", old.id)),
        serde_json::to_vec(&old).unwrap(),
    )
    .unwrap();
    let beanstalk = Beanstalk::new(project(dir.path(), "")).unwrap();
    let st = beanstalk
        .status_with(&eb("true"), Some((&cw, Duration::from_secs(3600))))
        .await
        .unwrap();
    assert_eq!(st.version.as_deref(), Some(PREV));
    assert_eq!(st.release.as_deref(), Some("20251201T000000Z-def5678"));
    assert_eq!(st.verdict, "unhealthy");
    assert!(st.reason.contains("health Red (Severe)"), "{}", st.reason);
    assert_eq!(
        st.problems,
        ["100.0 % of the requests are failing with HTTP 5xx."]
    );
    let events: Vec<&str> = st.events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        events,
        [
            "INFO Environment update completed successfully.",
            "WARN Environment health has transitioned from Ok to Severe."
        ]
    );
    let by_name = |n: &str| st.metrics.iter().find(|m| m.name == n).unwrap();
    let cpu = by_name("cpu");
    assert_eq!(
        (cpu.latest, cpu.min, cpu.max),
        (Some(60.0), Some(40.0), Some(60.0))
    );
    assert_eq!(by_name("health").latest, Some(25.0));
    assert!(st.notes.is_empty(), "{:?}", st.notes);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn logs_come_from_the_environments_groups_interleaved_and_named_by_instance() {
    let moto = Moto::start();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&moto.sdk());
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let groups = [
        ("/aws/elasticbeanstalk/web-prod/var/log/eb-docker/containers/eb-current-app/stdouterr.log", "i-0aaa", vec![(30_000, "app line 1"), (10_000, "app line 2")]),
        ("/aws/elasticbeanstalk/web-prod/var/log/eb-engine.log", "i-0aaa", vec![(20_000, "deploying")]),
        ("/aws/elasticbeanstalk/other-prod/var/log/eb-engine.log", "i-0bbb", vec![(15_000, "not ours")]),
    ];
    for (group, stream, events) in &groups {
        logs.create_log_group()
            .log_group_name(*group)
            .send()
            .await
            .unwrap();
        logs.create_log_stream()
            .log_group_name(*group)
            .log_stream_name(*stream)
            .send()
            .await
            .unwrap();
        let mut put = logs
            .put_log_events()
            .log_group_name(*group)
            .log_stream_name(*stream);
        for (ago, m) in events {
            put = put.log_events(
                aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                    .timestamp(now - ago)
                    .message(*m)
                    .build()
                    .unwrap(),
            );
        }
        put.send().await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let beanstalk = Beanstalk::new(project(dir.path(), "")).unwrap();
    let mut got = Vec::new();
    beanstalk
        .logs_with(&eb("true"), &logs, &LogQuery::default(), &mut |l| {
            got.push(format!("{} | {}", l.source, l.line))
        })
        .await
        .unwrap();
    assert_eq!(
        got,
        [
            "i-0aaa stdouterr.log | app line 1",
            "i-0aaa eb-engine.log | deploying",
            "i-0aaa stdouterr.log | app line 2"
        ]
    );
}

#[tokio::test]
async fn logs_say_which_setting_to_turn_on_when_the_environment_streams_none() {
    let dir = tempfile::tempdir().unwrap();
    let beanstalk = Beanstalk::new(project(dir.path(), "")).unwrap();
    let conf = aws_sdk_cloudwatchlogs::Config::builder()
        .behavior_version_latest()
        .region(aws_sdk_cloudwatchlogs::config::Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:9")
        .build();
    let unused = aws_sdk_cloudwatchlogs::Client::from_conf(conf);
    let err = beanstalk
        .logs_with(&eb("false"), &unused, &LogQuery::default(), &mut |_| {})
        .await
        .expect_err("no streaming, no logs");
    assert_eq!(err.kind.code(), 2);
    assert!(
        err.message
            .contains("does not stream its logs to CloudWatch Logs"),
        "{}",
        err.message
    );
    let hint = err.hint.unwrap_or_default();
    assert!(
        hint.contains("\"aws:elasticbeanstalk:cloudwatch:logs\"] StreamLogs = \"true\""),
        "{hint}"
    );
}
