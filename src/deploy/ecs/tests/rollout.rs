//! The whole rollout — register, update, watch, and devloop's own rollback — against scripted
//! SDK responses: moto cannot change a deployment over time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_ecs::operation::describe_services::DescribeServicesOutput;
use aws_sdk_ecs::operation::list_service_deployments::{
    ListServiceDeploymentsError, ListServiceDeploymentsOutput,
};
use aws_sdk_ecs::operation::list_tasks::ListTasksOutput;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionOutput;
use aws_sdk_ecs::operation::update_service::UpdateServiceOutput;
use aws_sdk_ecs::types::{
    ContainerDefinition, DeploymentRolloutState, Service, ServiceEvent, TaskDefinition,
};
use aws_sdk_ecs::types::{ServiceDeploymentBrief, ServiceDeploymentStatus};
use aws_sdk_ecs::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::error::ErrorMetadata;

use super::{dep, primary, service, NEW, OLD};
use crate::deploy::ecs::{Ecs, Live};
use crate::deploy::Outcome;
use crate::engine::StepCtx;
use crate::output::{Options, Printer};
use crate::pipeline::Project;
use crate::release::Record;

use DeploymentRolloutState::{Completed, Failed, InProgress};

fn project(rollback: &str) -> Arc<Project> {
    let text = format!(
        "[app]\nname = \"web\"\n[deploy]\ntarget = \"ecs\"\n[deploy.ecs]\ncluster = \"main\"\nservice = \"web\"\ncontainer = \"app\"\nrollback = \"{rollback}\"\n"
    );
    let source = crate::config::Source::new(
        std::path::Path::new("/nonexistent/devloop.toml"),
        text,
        std::path::Path::new("/nonexistent"),
    );
    let config = crate::config::load_source(source, None, &|_| None).unwrap();
    Arc::new(Project::new(config, crate::config::Ambient::from_pairs([])))
}

fn live() -> Live {
    Live {
        service: primary("ecs-svc/1", OLD, (2, 2), Some(Completed)),
        task_def: TaskDefinition::builder()
            .task_definition_arn(OLD)
            .family("web")
            .container_definitions(
                ContainerDefinition::builder()
                    .name("app")
                    .image("reg.example/web@sha256:old")
                    .build(),
            )
            .build(),
    }
}

fn record() -> Record {
    Record::sample("reg.example/web@sha256:new")
}

fn with_events(mut svc: Service, messages: &[(&str, &str)]) -> Service {
    svc.events = Some(
        messages
            .iter()
            .map(|(id, m)| ServiceEvent::builder().id(*id).message(*m).build())
            .collect(),
    );
    svc
}

/// Run a rollout whose DescribeServices answers are `states`, in order (the last repeats).
/// Returns the outcome and how many times UpdateService was called.
async fn rollout(rollback: &str, states: Vec<Service>, timeout: Duration) -> (Outcome, usize) {
    rollout_with(rollback, states, None, timeout).await
}

/// As `rollout`, with `api` the answers of ListServiceDeployments (in order); `None`: the
/// endpoint has no such operation, as with moto.
async fn rollout_with(
    rollback: &str,
    states: Vec<Service>,
    api: Option<Vec<ServiceDeploymentBrief>>,
    timeout: Duration,
) -> (Outcome, usize) {
    let register = mock!(Client::register_task_definition).then_output(|| {
        RegisterTaskDefinitionOutput::builder()
            .task_definition(TaskDefinition::builder().task_definition_arn(NEW).build())
            .build()
    });
    let update =
        mock!(Client::update_service).then_output(|| UpdateServiceOutput::builder().build());
    let list = mock!(Client::list_tasks).then_output(|| ListTasksOutput::builder().build());
    let mut seq = mock!(Client::describe_services).sequence();
    for s in states {
        seq = seq.output(move || {
            DescribeServicesOutput::builder()
                .services(s.clone())
                .build()
        });
    }
    let describe = seq.repeatedly().build();
    let deployments = match api {
        None => mock!(Client::list_service_deployments).then_error(|| {
            ListServiceDeploymentsError::generic(
                ErrorMetadata::builder()
                    .code("UnknownOperationException")
                    .message("The action ListServiceDeployments is not valid for this web service.")
                    .build(),
            )
        }),
        Some(briefs) => {
            let mut seq = mock!(Client::list_service_deployments).sequence();
            for b in briefs {
                seq = seq.output(move || {
                    ListServiceDeploymentsOutput::builder()
                        .service_deployments(b.clone())
                        .build()
                });
            }
            seq.repeatedly().build()
        }
    };
    let client = mock_client!(
        aws_sdk_ecs,
        RuleMode::MatchAny,
        [&register, &update, &list, &describe, &deployments]
    );
    let ecs = Ecs::new(project(rollback)).unwrap();
    let ctx = ctx("deploy");
    let out = ecs
        .rollout(&client, live(), &record(), &ctx, Instant::now() + timeout)
        .await
        .unwrap();
    (out, update.num_calls())
}

/// A step context whose output goes to the test's stderr.
fn ctx(name: &str) -> StepCtx {
    StepCtx {
        name: name.into(),
        printer: Printer::new(Options::default()),
        cancel: tokio_util::sync::CancellationToken::new(),
    }
}

fn old_steady() -> Service {
    primary("ecs-svc/1", OLD, (2, 2), Some(Completed))
}

#[tokio::test]
async fn success_after_several_in_progress_polls() {
    let states = vec![
        old_steady(),
        with_events(
            service(vec![
                dep("ecs-svc/2", "PRIMARY", NEW, (2, 0), Some(InProgress)),
                dep("ecs-svc/1", "ACTIVE", OLD, (2, 2), Some(Completed)),
            ]),
            &[("e1", "(service web) has started 2 tasks")],
        ),
        service(vec![
            dep("ecs-svc/2", "PRIMARY", NEW, (2, 2), Some(InProgress)),
            dep("ecs-svc/1", "ACTIVE", OLD, (0, 1), Some(Completed)),
        ]),
        primary("ecs-svc/2", NEW, (2, 2), Some(Completed)),
    ];
    let (out, updates) = rollout("auto", states, Duration::from_secs(30)).await;
    assert!(
        matches!(out, Outcome::Deployed(ref m) if m.contains("web:2")),
        "{out:?}"
    );
    assert_eq!(updates, 1);
}

#[tokio::test]
async fn a_circuit_breaker_rollback_is_exit_3_once_the_old_revision_runs() {
    let states = vec![
        old_steady(),
        service(vec![
            dep("ecs-svc/2", "PRIMARY", NEW, (2, 0), Some(InProgress)),
            dep("ecs-svc/1", "ACTIVE", OLD, (2, 2), Some(Completed)),
        ]),
        service(vec![
            dep("ecs-svc/1", "PRIMARY", OLD, (2, 1), Some(InProgress)),
            dep("ecs-svc/2", "ACTIVE", NEW, (0, 0), Some(Failed)),
        ]),
        old_steady(),
    ];
    let (out, updates) = rollout("auto", states, Duration::from_secs(30)).await;
    match out {
        Outcome::RolledBack(f) => assert!(
            f.message.contains("ECS rolled the service back to web:1"),
            "{}",
            f.message
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        updates, 1,
        "ECS rolled back itself: devloop changed nothing more"
    );
}

#[tokio::test]
async fn a_failed_deployment_is_rolled_back_by_devloop_with_auto() {
    let failed = {
        let mut d = dep("ecs-svc/2", "PRIMARY", NEW, (2, 0), Some(Failed));
        d.rollout_state_reason = Some("Alarm web-5xx in ALARM state".to_string());
        service(vec![
            d,
            dep("ecs-svc/1", "ACTIVE", OLD, (2, 2), Some(Completed)),
        ])
    };
    let states = vec![
        old_steady(),
        failed,
        // devloop's own update back to web:1: a new deployment of the old revision.
        service(vec![
            dep("ecs-svc/3", "PRIMARY", OLD, (2, 2), Some(InProgress)),
            dep("ecs-svc/2", "ACTIVE", NEW, (0, 0), Some(Failed)),
        ]),
        primary("ecs-svc/3", OLD, (2, 2), Some(Completed)),
    ];
    let (out, updates) = rollout("auto", states, Duration::from_secs(30)).await;
    match out {
        Outcome::RolledBack(f) => {
            assert!(
                f.message.contains("Alarm web-5xx in ALARM state"),
                "{}",
                f.message
            );
            assert!(
                f.message
                    .contains("devloop rolled ECS service main/web back to web:1"),
                "{}",
                f.message
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(updates, 2, "the update, then devloop's rollback");
}

#[tokio::test]
async fn a_failed_deployment_with_manual_rollback_is_exit_1_with_the_command() {
    let states = vec![
        old_steady(),
        primary("ecs-svc/2", NEW, (2, 0), Some(Failed)),
    ];
    let (out, updates) = rollout("manual", states, Duration::from_secs(30)).await;
    match out {
        Outcome::Failed(f) => {
            assert!(f.message.contains("failed"), "{}", f.message);
            assert!(f.hint.unwrap_or_default().contains("devloop rollback"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(updates, 1);
}

#[tokio::test]
async fn a_rollout_that_never_settles_times_out() {
    let states = vec![
        old_steady(),
        service(vec![
            dep("ecs-svc/2", "PRIMARY", NEW, (2, 1), Some(InProgress)),
            dep("ecs-svc/1", "ACTIVE", OLD, (2, 2), Some(Completed)),
        ]),
    ];
    let started = Instant::now();
    let (out, _) = rollout("auto", states, Duration::from_secs(3)).await;
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    match out {
        Outcome::TimedOut(f) => assert!(f.message.contains("1 of 2 running"), "{}", f.message),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn another_deployment_during_ours_is_a_failure_not_a_success() {
    let theirs = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3";
    let states = vec![
        old_steady(),
        service(vec![
            dep("ecs-svc/2", "PRIMARY", NEW, (2, 1), Some(InProgress)),
            dep("ecs-svc/1", "ACTIVE", OLD, (2, 2), Some(Completed)),
        ]),
        primary("ecs-svc/3", theirs, (2, 2), Some(Completed)),
    ];
    let (out, _) = rollout("auto", states, Duration::from_secs(30)).await;
    assert!(
        matches!(out, Outcome::Failed(ref f) if f.message.contains("another deployment (web:3)")),
        "{out:?}"
    );
}

#[tokio::test]
async fn events_print_once_and_stopped_tasks_of_the_new_revision_say_why() {
    use aws_sdk_ecs::operation::describe_tasks::DescribeTasksOutput;
    use aws_sdk_ecs::types::{Container, Task};
    let list = mock!(Client::list_tasks).then_output(|| {
        ListTasksOutput::builder()
            .task_arns("arn:aws:ecs:us-east-1:123456789012:task/main/t1")
            .task_arns("arn:aws:ecs:us-east-1:123456789012:task/main/t0")
            .build()
    });
    let tasks = mock!(Client::describe_tasks).then_output(|| {
        DescribeTasksOutput::builder()
            .tasks(
                Task::builder()
                    .task_arn("arn:aws:ecs:us-east-1:123456789012:task/main/t1")
                    .task_definition_arn(NEW)
                    .stopped_reason("Essential container in task exited")
                    .containers(
                        Container::builder()
                            .name("app")
                            .exit_code(1)
                            .reason("OutOfMemoryError: Container killed due to memory usage")
                            .build(),
                    )
                    .build(),
            )
            .tasks(
                Task::builder()
                    .task_arn("arn:aws:ecs:us-east-1:123456789012:task/main/t0")
                    .task_definition_arn(OLD)
                    .stopped_reason("Scaling activity initiated by deployment")
                    .build(),
            )
            .build()
    });
    let client = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&list, &tasks]);
    let ecs = Ecs::new(project("auto")).unwrap();
    let ctx = ctx("deploy");
    let svc = with_events(
        old_steady(),
        &[
            ("e2", "(service web) has started 1 tasks"),
            ("e1", "(service web) registered 1 targets"),
        ],
    );
    let (mut events, mut stopped) = (Default::default(), Default::default());
    let first = ecs
        .report(&client, &svc, NEW, &mut events, &mut stopped, &ctx)
        .await
        .unwrap();
    assert_eq!(
        first.iter().filter(|l| l.starts_with("event: ")).count(),
        2,
        "{first:?}"
    );
    let task = first
        .iter()
        .find(|l| l.starts_with("task t1 stopped"))
        .unwrap();
    assert!(
        task.contains("Essential container in task exited"),
        "{task}"
    );
    assert!(task.contains("app exit 1 (OutOfMemoryError"), "{task}");
    assert!(
        !first.iter().any(|l| l.contains("t0")),
        "only tasks of the new revision: {first:?}"
    );
    // The same events and tasks on the next poll: nothing is printed twice.
    let second = ecs
        .report(&client, &svc, NEW, &mut events, &mut stopped, &ctx)
        .await
        .unwrap();
    assert!(second.is_empty(), "{second:?}");
    assert_eq!(tasks.num_calls(), 1);
}

fn brief(status: ServiceDeploymentStatus, reason: &str) -> ServiceDeploymentBrief {
    ServiceDeploymentBrief::builder()
        .service_deployment_arn(
            "arn:aws:ecs:us-east-1:123456789012:service-deployment/main/web/abc",
        )
        .status(status)
        .status_reason(reason)
        .build()
}

#[tokio::test]
async fn the_service_deployments_api_ends_a_deployment_whose_rollback_failed() {
    let states = vec![
        old_steady(),
        service(vec![
            dep("ecs-svc/2", "PRIMARY", NEW, (2, 0), Some(InProgress)),
            dep("ecs-svc/1", "ACTIVE", OLD, (2, 2), Some(Completed)),
        ]),
    ];
    let api = vec![
        brief(ServiceDeploymentStatus::InProgress, "tasks are starting"),
        brief(
            ServiceDeploymentStatus::RollbackFailed,
            "the rollback to revision 1 failed: CannotPullContainerError",
        ),
    ];
    let (out, _) = rollout_with("manual", states, Some(api), Duration::from_secs(30)).await;
    match out {
        Outcome::Failed(f) => {
            assert!(f.message.contains("ROLLBACK_FAILED"), "{}", f.message);
            assert!(
                f.message.contains("CannotPullContainerError"),
                "{}",
                f.message
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_successful_service_deployment_alone_is_not_success() {
    // The API says SUCCESSFUL, but deployments[] has not caught up: keep waiting, then
    // succeed only when the PRIMARY deployment has completed.
    let states = vec![
        old_steady(),
        service(vec![
            dep("ecs-svc/2", "PRIMARY", NEW, (2, 1), Some(InProgress)),
            dep("ecs-svc/1", "ACTIVE", OLD, (2, 1), Some(Completed)),
        ]),
        primary("ecs-svc/2", NEW, (2, 2), Some(Completed)),
    ];
    let api = vec![brief(ServiceDeploymentStatus::Successful, "done")];
    let (out, _) = rollout_with("auto", states, Some(api), Duration::from_secs(30)).await;
    assert!(matches!(out, Outcome::Deployed(_)), "{out:?}");
}

#[tokio::test]
async fn rollback_stops_a_deployment_in_progress_with_ecs_s_rollback() {
    let stop = mock!(Client::stop_service_deployment).then_output(|| {
        aws_sdk_ecs::operation::stop_service_deployment::StopServiceDeploymentOutput::builder()
            .build()
    });
    let list = mock!(Client::list_service_deployments).then_output(|| {
        ListServiceDeploymentsOutput::builder()
            .service_deployments(brief(
                ServiceDeploymentStatus::RollbackInProgress,
                "stopped",
            ))
            .build()
    });
    let describe = mock!(Client::describe_services)
        .sequence()
        .output(|| {
            DescribeServicesOutput::builder()
                .services(service(vec![
                    dep("ecs-svc/1", "PRIMARY", OLD, (2, 1), Some(InProgress)),
                    dep("ecs-svc/2", "ACTIVE", NEW, (0, 1), Some(InProgress)),
                ]))
                .build()
        })
        .output(|| {
            DescribeServicesOutput::builder()
                .services(old_steady())
                .build()
        })
        .repeatedly()
        .build();
    let client = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&stop, &list, &describe]);
    let ecs = Ecs::new(project("auto")).unwrap();
    let ctx = ctx("rollback");
    let out = ecs
        .stop_with_rollback(
            &client,
            "arn:aws:ecs:us-east-1:123456789012:service-deployment/main/web/abc",
            &ctx,
            Instant::now() + Duration::from_secs(30),
        )
        .await
        .unwrap();
    assert!(
        matches!(out, Outcome::Deployed(ref m) if m.contains("back to web:1")),
        "{out:?}"
    );
    assert_eq!(stop.num_calls(), 1);
}
