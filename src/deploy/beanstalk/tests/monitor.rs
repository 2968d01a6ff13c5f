//! `monitor` on Elastic Beanstalk: status with health causes, events, the version's release and
//! metrics (CloudWatch and Elastic Beanstalk both from the AWS peer), and logs from
//! the environment's CloudWatch Logs groups, or what to turn on when it streams none.

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use aws_smithy_types::DateTime;
use serde_json::json;

use super::script::{project, record, Eb, PREV};
use crate::deploy::beanstalk::Beanstalk;
use crate::deploy::LogQuery;

/// The peer's environment `web-prod`, Red (Severe) on `PREV` with a cause and two events, its
/// logs streamed to CloudWatch Logs or not; returns the Elastic Beanstalk client and the
/// environment's Auto Scaling group.
async fn red(eb: &Eb, stream_logs: &str) -> (aws_sdk_elasticbeanstalk::Client, String) {
    eb.peer.control(
        "eb/environment",
        json!({
            "application": "web", "environment": "web-prod", "version_label": PREV,
            "health": "Red", "health_status": "Severe",
            "causes": ["100.0 % of the requests are failing with HTTP 5xx."],
            "settings": [{ "namespace": "aws:elasticbeanstalk:cloudwatch:logs", "option": "StreamLogs", "value": stream_logs }],
        }),
    );
    for (message, severity, ago) in [
        ("Environment update completed successfully.", "INFO", 2.0),
        (
            "Environment health has transitioned from Ok to Severe.",
            "WARN",
            1.0,
        ),
    ] {
        eb.peer.control(
            "eb/event",
            json!({ "environment": "web-prod", "message": message, "severity": severity, "ago": ago }),
        );
    }
    let client = aws_sdk_elasticbeanstalk::Client::new(&eb.peer.sdk());
    let resources = client
        .describe_environment_resources()
        .environment_name("web-prod")
        .send()
        .await
        .unwrap();
    let asg = resources
        .environment_resources()
        .and_then(|r| r.auto_scaling_groups().first())
        .and_then(|g| g.name())
        .unwrap()
        .to_string();
    (client, asg)
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
    let eb = Eb::start("").await;
    let (client, asg) = red(&eb, "true").await;
    let cw = aws_sdk_cloudwatch::Client::new(&eb.peer.sdk());
    put(
        &cw,
        "AWS/EC2",
        "CPUUtilization",
        ("AutoScalingGroupName", &asg),
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
    // Bad health a while after the update, past the grace: unhealthy.
    let beanstalk = Beanstalk::new(project(dir.path(), "health_grace = \"0s\"\n")).unwrap();
    let st = beanstalk
        .status_with(&client, Some((&cw, Duration::from_secs(3600))))
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

    // Within the grace after an update, the same state is settling, as the deploy gate says.
    let settling = Beanstalk::new(project(dir.path(), "")).unwrap();
    let st = settling.status_with(&client, None).await.unwrap();
    assert_eq!(st.verdict, "starting", "{}", st.reason);
    assert!(st.reason.contains("health grace"), "{}", st.reason);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn logs_come_from_the_environments_groups_interleaved_and_named_by_instance() {
    let eb = Eb::start("").await;
    let (client, _) = red(&eb, "true").await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&eb.peer.sdk());
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
        .logs_with(&client, &logs, &LogQuery::default(), &mut |l| {
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

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn logs_say_which_setting_to_turn_on_when_the_environment_streams_none() {
    let eb = Eb::start("").await;
    let (client, _) = red(&eb, "false").await;
    let dir = tempfile::tempdir().unwrap();
    let beanstalk = Beanstalk::new(project(dir.path(), "")).unwrap();
    let conf = aws_sdk_cloudwatchlogs::Config::builder()
        .behavior_version_latest()
        .region(aws_sdk_cloudwatchlogs::config::Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:9")
        .build();
    let unused = aws_sdk_cloudwatchlogs::Client::from_conf(conf);
    let err = beanstalk
        .logs_with(&client, &unused, &LogQuery::default(), &mut |_| {})
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
