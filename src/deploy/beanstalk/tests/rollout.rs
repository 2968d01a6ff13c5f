//! Whole rollouts on Elastic Beanstalk: the S3 side against moto (the bundle uploaded once, under
//! its digest), and the calls moto lacks (application versions, UpdateEnvironment, events,
//! configuration settings, environments that change over time) scripted as the API reference
//! shapes them.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_elasticbeanstalk::operation::create_application_version::CreateApplicationVersionOutput;
use aws_sdk_elasticbeanstalk::operation::create_storage_location::CreateStorageLocationOutput;
use aws_sdk_elasticbeanstalk::operation::describe_application_versions::DescribeApplicationVersionsOutput;
use aws_sdk_elasticbeanstalk::operation::describe_applications::DescribeApplicationsOutput;
use aws_sdk_elasticbeanstalk::operation::describe_configuration_settings::DescribeConfigurationSettingsOutput;
use aws_sdk_elasticbeanstalk::operation::describe_environments::DescribeEnvironmentsOutput;
use aws_sdk_elasticbeanstalk::operation::describe_events::DescribeEventsOutput;
use aws_sdk_elasticbeanstalk::types::{
    ApplicationDescription, ApplicationVersionDescription, ApplicationVersionStatus,
    ConfigurationOptionSetting, ConfigurationSettingsDescription, EnvironmentDescription,
    EnvironmentHealth, EnvironmentHealthStatus, EnvironmentStatus, EventDescription, EventSeverity,
};
use aws_sdk_elasticbeanstalk::Client;
use aws_smithy_mocks::{mock, mock_client, MockResponse, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::DateTime;

use super::{env, PREV};
use crate::deploy::beanstalk::{Beanstalk, Clients};
use crate::deploy::Outcome;
use crate::engine::StepCtx;
use crate::error::Result;
use crate::output::{Options, Printer};
use crate::pipeline::Project;
use crate::release::Record;

use EnvironmentHealth::{Green, Grey, Red};
use EnvironmentStatus::{Ready, Updating};

const BUCKET: &str = "eb-bundles";
const OK: Option<EnvironmentHealthStatus> = Some(EnvironmentHealthStatus::Ok);

/// A moto server of this test's own, for S3.
struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server is missing: scripts/services.sh installs it");
        let until = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < until, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { child, port }
    }

    fn s3(&self) -> aws_sdk_s3::Client {
        let creds = aws_credential_types::Credentials::new("test", "test", None, None, "test");
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version_latest()
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url(format!("http://127.0.0.1:{}", self.port))
            .credentials_provider(creds)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A project whose `[deploy.beanstalk]` has `extra`, in a directory of its own.
fn project(dir: &std::path::Path, extra: &str) -> Arc<Project> {
    let text = format!(
        "[app]\nname = \"web\"\n[deploy]\ntarget = \"beanstalk\"\n[deploy.beanstalk]\napplication = \"web\"\nenvironment = \"web-prod\"\nport = 8080\n{extra}"
    );
    let path = dir.join("devloop.toml");
    std::fs::write(&path, &text).unwrap();
    let source = crate::config::Source::new(&path, text, dir);
    let config = crate::config::load_source(source, None, &|_| None).unwrap();
    Arc::new(Project::new(config, crate::config::Ambient::from_pairs([])))
}

fn record() -> Record {
    Record {
        format: 1,
        id: "20260101T000000Z-abc1234".into(),
        app: "web".into(),
        image: "reg.example/team/web@sha256:new".into(),
        image_id: "sha256:new".into(),
        registry: Some("reg.example".into()),
        repository: "reg.example/team/web".into(),
        tags: vec!["abc1234".into()],
        moving_tags: vec![],
        build_digest: None,
        git: None,
        created_at: "2026-01-01T00:00:00Z".into(),
        created_by: "test".into(),
        config_digest: "c".into(),
        devloop_version: "0".into(),
    }
}

/// A step context whose lines go to the test's stderr (seen with `--nocapture`).
fn ctx() -> StepCtx {
    let printer = Printer::new(Options::default());
    printer.step_started("deploy");
    StepCtx {
        name: "deploy".into(),
        printer,
        cancel: tokio_util::sync::CancellationToken::new(),
    }
}

fn event(secs: i64, severity: EventSeverity, message: &str) -> EventDescription {
    EventDescription::builder()
        .event_date(DateTime::from_secs(1_800_000_000 + secs))
        .message(message)
        .application_name("web")
        .environment_name("web-prod")
        .request_id("req-1")
        .severity(severity)
        .build()
}

/// The UpdateEnvironment answer as the query protocol sends it: the environment description,
/// and the request id (header and ResponseMetadata) that DescribeEvents filters on.
fn update_response(label: &str, status: &str) -> HttpResponse {
    let body = format!(
        r#"<UpdateEnvironmentResponse xmlns="http://elasticbeanstalk.amazonaws.com/docs/2010-12-01/">
  <UpdateEnvironmentResult>
    <EnvironmentName>web-prod</EnvironmentName>
    <EnvironmentId>e-abcdef1234</EnvironmentId>
    <ApplicationName>web</ApplicationName>
    <VersionLabel>{label}</VersionLabel>
    <Status>{status}</Status>
    <Health>Grey</Health>
    <AbortableOperationInProgress>true</AbortableOperationInProgress>
  </UpdateEnvironmentResult>
  <ResponseMetadata>
    <RequestId>req-1</RequestId>
  </ResponseMetadata>
</UpdateEnvironmentResponse>"#
    );
    let mut resp = HttpResponse::new(StatusCode::try_from(200).unwrap(), SdkBody::from(body));
    resp.headers_mut().insert("x-amzn-RequestId", "req-1");
    resp.headers_mut().insert("Content-Type", "text/xml");
    resp
}

/// What a scripted Elastic Beanstalk does over one rollout.
struct Script {
    /// `[deploy.beanstalk]` lines besides application, environment and port.
    extra: String,
    /// DescribeEnvironments answers in order (the last repeats); `{ours}` labels are filled in.
    envs: Vec<EnvironmentDescription>,
    /// DescribeApplicationVersions answers in order (the last repeats).
    versions: Vec<Option<ApplicationVersionStatus>>,
    /// DescribeEvents answers in order (the last repeats).
    events: Vec<Vec<EventDescription>>,
    /// The live option settings (DescribeConfigurationSettings).
    live: Vec<(&'static str, &'static str, &'static str)>,
    timeout: Duration,
}

impl Default for Script {
    fn default() -> Script {
        Script {
            extra: format!("bucket = \"{BUCKET}\"\n"),
            envs: Vec::new(),
            versions: vec![
                None,
                Some(ApplicationVersionStatus::Processing),
                Some(ApplicationVersionStatus::Processed),
            ],
            events: vec![Vec::new()],
            live: Vec::new(),
            timeout: Duration::from_secs(30),
        }
    }
}

/// What happened: the outcome and the calls that change something.
struct Ran {
    outcome: Result<Outcome>,
    /// UpdateEnvironment calls: the version label and the option settings sent / removed.
    updates: Vec<(String, Vec<String>, Vec<String>)>,
    creates: usize,
    storage_locations: usize,
    /// Keys in the bundle bucket afterwards.
    objects: Vec<String>,
    label: String,
}

/// The label this project's bundle of `record()` gets (the bundle is built the same every time).
async fn our_label(eb: &Beanstalk) -> String {
    eb.bundle(&record().image)
        .await
        .unwrap()
        .label(&record().id)
}

/// `PREV` stands for the previous version; the label "ours" is replaced by our real label.
fn fill(envs: Vec<EnvironmentDescription>, ours: &str) -> Vec<EnvironmentDescription> {
    envs.into_iter()
        .map(|mut e| {
            if e.version_label.as_deref() == Some("ours") {
                e.version_label = Some(ours.to_string());
            }
            e
        })
        .collect()
}

async fn run(script: Script, moto: &Moto, dir: &std::path::Path) -> Ran {
    let s3 = moto.s3();
    let _ = s3.create_bucket().bucket(BUCKET).send().await;
    let beanstalk = Beanstalk::new(project(dir, &script.extra)).unwrap();
    let label = our_label(&beanstalk).await;

    let apps = mock!(Client::describe_applications).then_output(|| {
        DescribeApplicationsOutput::builder()
            .applications(
                ApplicationDescription::builder()
                    .application_name("web")
                    .build(),
            )
            .build()
    });
    let mut seq = mock!(Client::describe_environments).sequence();
    for e in fill(script.envs, &label) {
        seq = seq.output(move || {
            DescribeEnvironmentsOutput::builder()
                .environments(e.clone())
                .build()
        });
    }
    let envs = seq.repeatedly().build();
    let mut seq = mock!(Client::describe_application_versions).sequence();
    for status in script.versions {
        let label = label.clone();
        seq = seq.output(move || {
            let v = status.clone().map(|st| {
                ApplicationVersionDescription::builder()
                    .application_name("web")
                    .version_label(&label)
                    .status(st)
                    .build()
            });
            DescribeApplicationVersionsOutput::builder()
                .set_application_versions(Some(v.into_iter().collect()))
                .build()
        });
    }
    let versions = seq.repeatedly().build();
    let mut seq = mock!(Client::describe_events).sequence();
    for evs in script.events {
        seq = seq.output(move || {
            DescribeEventsOutput::builder()
                .set_events(Some(evs.clone()))
                .build()
        });
    }
    let events = seq.repeatedly().build();
    let create = mock!(Client::create_application_version)
        .then_output(|| CreateApplicationVersionOutput::builder().build());
    let storage = mock!(Client::create_storage_location).then_output(|| {
        CreateStorageLocationOutput::builder()
            .s3_bucket(BUCKET)
            .build()
    });
    let live = script.live.clone();
    let config = mock!(Client::describe_configuration_settings).then_output(move || {
        let options = live.iter().map(|(ns, name, value)| {
            ConfigurationOptionSetting::builder()
                .namespace(*ns)
                .option_name(*name)
                .value(*value)
                .build()
        });
        DescribeConfigurationSettingsOutput::builder()
            .configuration_settings(
                ConfigurationSettingsDescription::builder()
                    .application_name("web")
                    .environment_name("web-prod")
                    .set_option_settings(Some(options.collect()))
                    .build(),
            )
            .build()
    });
    let updates = Arc::new(Mutex::new(Vec::new()));
    let seen = updates.clone();
    let update = mock!(Client::update_environment).then_compute_response(move |input| {
        let label = input.version_label().unwrap_or_default().to_string();
        let set = input
            .option_settings()
            .iter()
            .map(|o| {
                format!(
                    "{}={}",
                    o.option_name().unwrap_or_default(),
                    o.value().unwrap_or_default()
                )
            })
            .collect();
        let removed = input
            .options_to_remove()
            .iter()
            .map(|o| o.option_name().unwrap_or_default().to_string())
            .collect();
        seen.lock().unwrap().push((label.clone(), set, removed));
        MockResponse::Http(update_response(&label, "Updating"))
    });
    let client = mock_client!(
        aws_sdk_elasticbeanstalk,
        RuleMode::MatchAny,
        [&apps, &envs, &versions, &events, &create, &storage, &config, &update]
    );
    let clients = Clients {
        eb: client,
        s3: s3.clone(),
    };
    let outcome = beanstalk
        .deploy_with(&clients, &record(), &ctx(), Instant::now() + script.timeout)
        .await;
    let listed = s3.list_objects_v2().bucket(BUCKET).send().await.unwrap();
    let objects = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    let updates = updates.lock().unwrap().clone();
    Ran {
        outcome,
        updates,
        creates: create.num_calls(),
        storage_locations: storage.num_calls(),
        objects,
        label,
    }
}

fn ours(
    status: EnvironmentStatus,
    health: EnvironmentHealth,
    hs: Option<EnvironmentHealthStatus>,
) -> EnvironmentDescription {
    env(status, health, hs, "ours")
}

fn before() -> EnvironmentDescription {
    env(Ready, Green, OK, PREV)
}

fn updating() -> EnvironmentDescription {
    env(Updating, Grey, Some(EnvironmentHealthStatus::Info), "ours")
}

fn labels(ran: &Ran) -> Vec<&str> {
    ran.updates.iter().map(|u| u.0.as_str()).collect()
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn success_after_updating_polls_uploads_once_and_creates_one_version() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        envs: vec![before(), updating(), updating(), ours(Ready, Green, OK)],
        events: vec![
            vec![event(
                1,
                EventSeverity::Info,
                "Environment update is starting.",
            )],
            vec![
                event(
                    2,
                    EventSeverity::Info,
                    "Deploying new version to instance(s).",
                ),
                event(1, EventSeverity::Info, "Environment update is starting."),
            ],
        ],
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    let out = ran.outcome.as_ref().unwrap();
    assert!(
        matches!(out, Outcome::Deployed(m) if m.contains(&ran.label)),
        "{out:?}"
    );
    assert_eq!(labels(&ran), [ran.label.as_str()]);
    assert_eq!(ran.creates, 1);
    assert_eq!(ran.storage_locations, 0, "the configured bucket is used");
    assert_eq!(ran.objects.len(), 1, "{:?}", ran.objects);
    assert!(ran.objects[0].starts_with("devloop/web/") && ran.objects[0].ends_with(".zip"));

    // The same release again, the version now existing and the environment not yet on it (say,
    // someone deployed another one since): nothing uploaded, no second version.
    let script = Script {
        envs: vec![before(), updating(), ours(Ready, Green, OK)],
        versions: vec![Some(ApplicationVersionStatus::Processed)],
        ..Default::default()
    };
    let again = run(script, &moto, dir.path()).await;
    assert!(
        matches!(again.outcome, Ok(Outcome::Deployed(_))),
        "{:?}",
        again.outcome
    );
    assert_eq!(again.creates, 0, "the version exists: not created again");
    assert_eq!(
        again.objects, ran.objects,
        "the same key, not uploaded twice"
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn the_same_release_on_a_green_environment_is_unchanged_and_touches_nothing() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        envs: vec![ours(Ready, Green, OK)],
        versions: vec![Some(ApplicationVersionStatus::Processed)],
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    assert!(
        matches!(ran.outcome, Ok(Outcome::Unchanged(_))),
        "{:?}",
        ran.outcome
    );
    assert!(ran.updates.is_empty());
    assert_eq!(ran.creates, 0);
    assert!(
        ran.objects.is_empty(),
        "nothing uploaded: {:?}",
        ran.objects
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn a_bundle_that_fails_processing_is_exit_1_with_the_reason_and_no_update() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        envs: vec![before()],
        versions: vec![
            None,
            Some(ApplicationVersionStatus::Processing),
            Some(ApplicationVersionStatus::Failed),
        ],
        events: vec![vec![event(
            1,
            EventSeverity::Error,
            "Failed to validate the bundle: Dockerrun.aws.json: invalid AWSEBDockerrunVersion.",
        )]],
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    let err = ran.outcome.err().expect("a processing failure is an error");
    assert_eq!(err.kind.code(), 1, "{}", err.message);
    assert!(
        err.message.contains("invalid AWSEBDockerrunVersion"),
        "{}",
        err.message
    );
    assert!(ran.updates.is_empty(), "the environment is not touched");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn red_health_with_auto_rollback_deploys_the_previous_version_and_settings_and_exits_3() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        extra: format!(
            "bucket = \"{BUCKET}\"\ninstance_type = \"t3.small\"\n[deploy.beanstalk.env]\nMODE = \"new\"\n"
        ),
        envs: vec![
            before(),
            updating(),
            ours(Ready, Red, Some(EnvironmentHealthStatus::Severe)),
            // devloop's rollback update
            env(Updating, Grey, None, PREV),
            env(Ready, Green, OK, PREV),
        ],
        live: vec![("aws:autoscaling:launchconfiguration", "InstanceType", "t3.micro")],
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    let out = ran.outcome.as_ref().unwrap();
    assert!(
        matches!(out, Outcome::RolledBack(f) if f.message.contains("Severe") && f.message.contains(PREV)),
        "{out:?}"
    );
    assert_eq!(labels(&ran), [ran.label.as_str(), PREV]);
    assert_eq!(ran.updates[0].1, ["InstanceType=t3.small", "MODE=new"]);
    // The rollback puts the instance type back and removes the property that was not there.
    assert_eq!(ran.updates[1].1, ["InstanceType=t3.micro"]);
    assert_eq!(ran.updates[1].2, ["MODE"]);
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn manual_rollback_leaves_the_failed_version_and_names_the_command() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        extra: format!("bucket = \"{BUCKET}\"\nrollback = \"manual\"\n"),
        envs: vec![
            before(),
            updating(),
            ours(Ready, Red, Some(EnvironmentHealthStatus::Degraded)),
        ],
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    let out = ran.outcome.as_ref().unwrap();
    assert!(
        matches!(out, Outcome::Failed(f) if f.hint.as_deref().is_some_and(|h| h.contains("devloop rollback"))),
        "{out:?}"
    );
    assert_eq!(labels(&ran), [ran.label.as_str()], "no rollback update");
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn an_error_event_then_back_on_the_old_version_while_green_is_exit_3_not_success() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        envs: vec![
            before(),
            updating(),
            updating(),
            env(Ready, Green, OK, PREV),
        ],
        events: vec![
            Vec::new(),
            vec![event(
                3,
                EventSeverity::Error,
                "Failed to deploy application.",
            )],
        ],
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    let out = ran.outcome.as_ref().unwrap();
    assert!(
        matches!(out, Outcome::RolledBack(f) if f.message.contains("Failed to deploy application.")),
        "{out:?}"
    );
    assert_eq!(
        labels(&ran),
        [ran.label.as_str()],
        "Elastic Beanstalk reverted: no second update"
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn settling_on_the_old_version_green_without_any_event_is_never_success() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        extra: format!("bucket = \"{BUCKET}\"\nrollback = \"manual\"\n"),
        envs: vec![before(), updating(), env(Ready, Green, OK, PREV)],
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    assert!(
        matches!(ran.outcome, Ok(Outcome::RolledBack(_))),
        "{:?}",
        ran.outcome
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn an_update_that_never_settles_times_out_with_the_state() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        envs: vec![before(), updating()],
        timeout: Duration::from_secs(3),
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    let out = ran.outcome.as_ref().unwrap();
    assert!(
        matches!(out, Outcome::TimedOut(f) if f.message.contains("Updating, health Grey (Info)")),
        "{out:?}"
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn a_busy_environment_is_refused_before_anything_is_uploaded_or_created() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        envs: vec![env(Updating, Grey, None, PREV)],
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    let err = ran.outcome.err().expect("busy is refused");
    assert_eq!(err.kind.code(), 2, "{}", err.message);
    assert!(err.message.contains("is busy (Updating"), "{}", err.message);
    assert!(err
        .hint
        .unwrap_or_default()
        .contains("abort-environment-update"));
    assert!(ran.updates.is_empty());
    assert_eq!(ran.creates, 0);
    assert!(
        ran.objects.is_empty(),
        "nothing uploaded: {:?}",
        ran.objects
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn without_a_bucket_the_accounts_storage_location_is_used() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let script = Script {
        extra: String::new(),
        envs: vec![before(), updating(), ours(Ready, Green, OK)],
        ..Default::default()
    };
    let ran = run(script, &moto, dir.path()).await;
    assert!(
        matches!(ran.outcome, Ok(Outcome::Deployed(_))),
        "{:?}",
        ran.outcome
    );
    assert_eq!(ran.storage_locations, 1);
    assert_eq!(ran.objects.len(), 1);
}
