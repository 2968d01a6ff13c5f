//! `monitor` on ECS where moto has no such state: two deployments mid-rollout, each with the
//! release its revision runs, the service's events, and a stopped task of the newest revision
//! with its reason and exit code (shaped as DescribeServices and DescribeTasks document them).

use std::sync::Arc;

use aws_sdk_ecs::operation::describe_clusters::DescribeClustersOutput;
use aws_sdk_ecs::operation::describe_services::DescribeServicesOutput;
use aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput;
use aws_sdk_ecs::operation::describe_tasks::DescribeTasksOutput;
use aws_sdk_ecs::operation::list_tasks::ListTasksOutput;
use aws_sdk_ecs::types::{
    Cluster, Container, ContainerDefinition, DeploymentRolloutState, ServiceEvent, Task,
    TaskDefinition,
};
use aws_sdk_ecs::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::DateTime;

use super::{dep, service, NEW, OLD};
use crate::deploy::ecs::Ecs;
use crate::pipeline::Project;

fn task_def(arn: &str, image: &str) -> TaskDefinition {
    TaskDefinition::builder()
        .task_definition_arn(arn)
        .family("web")
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image(image)
                .build(),
        )
        .build()
}

/// A project in `dir` whose ledger has the releases of both revisions' images.
fn project(dir: &std::path::Path) -> Arc<Project> {
    let ledger = dir.join(".devloop/releases");
    std::fs::create_dir_all(&ledger).unwrap();
    for (id, image, at) in [
        (
            "20260101T000000Z-old1111",
            "reg/web@sha256:old",
            "2026-01-01T00:00:00Z",
        ),
        (
            "20260102T000000Z-new2222",
            "reg/web@sha256:new",
            "2026-01-02T00:00:00Z",
        ),
    ] {
        let body = format!(
            r#"{{"format":1,"id":"{id}","app":"web","image":"{image}","image_id":"sha256:x","registry":"reg","repository":"reg/web","tags":[],"moving_tags":[],"build_digest":null,"git":null,"created_at":"{at}","created_by":"t","config_digest":"c","devloop_version":"0"}}"#,
        );
        std::fs::write(ledger.join(format!("{id}.json")), body).unwrap();
    }
    let text = "[app]\nname = \"web\"\n[deploy]\ntarget = \"ecs\"\n[deploy.ecs]\ncluster = \"main\"\nservice = \"web\"\ncontainer = \"app\"\n".to_string();
    let path = dir.join("devloop.toml");
    std::fs::write(&path, &text).unwrap();
    let source = crate::config::Source::new(&path, text, dir);
    let config = crate::config::load_source(source, None, &|_| None).unwrap();
    Arc::new(Project::new(config, crate::config::Ambient::from_pairs([])))
}

#[tokio::test]
async fn status_shows_each_deployment_with_its_release_the_events_and_stopped_tasks() {
    use DeploymentRolloutState::{Completed, InProgress};
    let clusters = mock!(Client::describe_clusters).then_output(|| {
        DescribeClustersOutput::builder()
            .clusters(
                Cluster::builder()
                    .cluster_name("main")
                    .status("ACTIVE")
                    .build(),
            )
            .build()
    });
    let services = mock!(Client::describe_services).then_output(|| {
        let mut svc = service(vec![
            dep("ecs-svc/2", "PRIMARY", NEW, (2, 1), Some(InProgress)),
            dep("ecs-svc/1", "ACTIVE", OLD, (2, 2), Some(Completed)),
        ]);
        svc.task_definition = Some(NEW.into());
        svc.desired_count = 2;
        svc.running_count = 3;
        // DescribeServices lists events newest first.
        svc.events = Some(vec![
            ServiceEvent::builder()
                .id("e2")
                .created_at(DateTime::from_secs(1_800_000_060))
                .message("(service web) has started 1 tasks: (task 9f8e7d6c).")
                .build(),
            ServiceEvent::builder()
                .id("e1")
                .created_at(DateTime::from_secs(1_800_000_000))
                .message("(service web) registered 1 targets")
                .build(),
        ]);
        DescribeServicesOutput::builder().services(svc).build()
    });
    let defs = mock!(Client::describe_task_definition).then_compute_output(|input| {
        let arn = input.task_definition().unwrap_or_default();
        let image = if arn == NEW {
            "reg/web@sha256:new"
        } else {
            "reg/web@sha256:old"
        };
        DescribeTaskDefinitionOutput::builder()
            .task_definition(task_def(arn, image))
            .build()
    });
    let stopped_arn = "arn:aws:ecs:us-east-1:123456789012:task/main/0123456789abcdef";
    let list = mock!(Client::list_tasks)
        .then_output(move || ListTasksOutput::builder().task_arns(stopped_arn).build());
    let describe = mock!(Client::describe_tasks).then_output(move || {
        DescribeTasksOutput::builder()
            .tasks(
                Task::builder()
                    .task_arn(stopped_arn)
                    .task_definition_arn(NEW)
                    .stopped_reason("Essential container in task exited")
                    .containers(Container::builder().name("app").exit_code(1).build())
                    .build(),
            )
            .build()
    });
    let client = mock_client!(
        aws_sdk_ecs,
        RuleMode::MatchAny,
        [&clusters, &services, &defs, &list, &describe]
    );
    let dir = tempfile::tempdir().unwrap();
    let ecs = Ecs::new(project(dir.path())).unwrap();
    let st = ecs.status_with(&client, None).await.unwrap();
    assert_eq!(st.release.as_deref(), Some("20260102T000000Z-new2222"));
    let deps: Vec<(&str, &str, Option<&str>, Option<&str>)> = st
        .deployments
        .iter()
        .map(|d| {
            (
                d.status.as_str(),
                d.revision.as_str(),
                d.release.as_deref(),
                d.rollout.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        deps,
        [
            (
                "PRIMARY",
                "web:2",
                Some("20260102T000000Z-new2222"),
                Some("IN_PROGRESS")
            ),
            (
                "ACTIVE",
                "web:1",
                Some("20260101T000000Z-old1111"),
                Some("COMPLETED")
            ),
        ]
    );
    let events: Vec<&str> = st.events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        events,
        [
            "(service web) registered 1 targets",
            "(service web) has started 1 tasks: (task 9f8e7d6c)."
        ]
    );
    assert_eq!(
        st.problems,
        ["task 0123456789abcdef stopped: Essential container in task exited; app exit 1"]
    );
    assert_eq!(st.verdict, "starting", "{}", st.reason);
    let text = crate::deploy::render_status(&st);
    assert!(
        text.contains("PRIMARY  web:2  release 20260102T000000Z-new2222  1/2 running"),
        "{text}"
    );
    assert!(
        text.contains("  problems\n    task 0123456789abcdef stopped"),
        "{text}"
    );
}
