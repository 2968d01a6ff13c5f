//! The harness for whole rollouts on Elastic Beanstalk: the S3 side against a moto of the test's
//! own, and the calls moto lacks (application versions, UpdateEnvironment, events, configuration
//! settings, environments that change over time) scripted as the API reference shapes them.

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

use EnvironmentHealth::{Green, Grey};
use EnvironmentStatus::{Ready, Updating};

pub const BUCKET: &str = "eb-bundles";
pub const OK: Option<EnvironmentHealthStatus> = Some(EnvironmentHealthStatus::Ok);

/// A moto server of this test's own, for S3.
pub struct Moto {
    pub child: Child,
    pub port: u16,
}

impl Moto {
    pub fn start() -> Moto {
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

    /// An SDK configuration that talks to this moto (CloudWatch, CloudWatch Logs).
    pub fn sdk(&self) -> aws_config::SdkConfig {
        let creds = aws_credential_types::Credentials::new("test", "test", None, None, "test");
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(format!("http://127.0.0.1:{}", self.port))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(creds),
            )
            .build()
    }

    pub fn s3(&self) -> aws_sdk_s3::Client {
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
pub fn project(dir: &std::path::Path, extra: &str) -> Arc<Project> {
    let text = format!(
        "[app]\nname = \"web\"\n[deploy]\ntarget = \"beanstalk\"\n[deploy.beanstalk]\napplication = \"web\"\nenvironment = \"web-prod\"\nport = 8080\n{extra}"
    );
    let path = dir.join("devloop.toml");
    std::fs::write(&path, &text).unwrap();
    let source = crate::config::Source::new(&path, text, dir);
    let config = crate::config::load_source(source, None, &|_| None).unwrap();
    Arc::new(Project::new(config, crate::config::Ambient::from_pairs([])))
}

pub fn record() -> Record {
    Record::sample("reg.example/team/web@sha256:new")
}

/// A step context whose lines go to the test's stderr (seen with `--nocapture`).
pub fn ctx() -> StepCtx {
    let printer = Printer::new(Options::default());
    printer.step_started("deploy");
    StepCtx {
        name: "deploy".into(),
        printer,
        cancel: tokio_util::sync::CancellationToken::new(),
    }
}

pub fn event(secs: i64, severity: EventSeverity, message: &str) -> EventDescription {
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
pub fn update_response(label: &str, status: &str) -> HttpResponse {
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
pub struct Script {
    /// `[deploy.beanstalk]` lines besides application, environment and port.
    pub extra: String,
    /// DescribeEnvironments answers in order (the last repeats); `{ours}` labels are filled in.
    pub envs: Vec<EnvironmentDescription>,
    /// DescribeApplicationVersions answers in order (the last repeats).
    pub versions: Vec<Option<ApplicationVersionStatus>>,
    /// DescribeEvents answers in order (the last repeats).
    pub events: Vec<Vec<EventDescription>>,
    /// The live option settings (DescribeConfigurationSettings).
    pub live: Vec<(&'static str, &'static str, &'static str)>,
    pub timeout: Duration,
}

impl Default for Script {
    fn default() -> Script {
        Script {
            extra: format!("bucket = \"{BUCKET}\"\n"),
            envs: vec![before()],
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
pub struct Ran {
    pub outcome: Result<Outcome>,
    /// UpdateEnvironment calls: the version label and the option settings sent / removed.
    pub updates: Vec<Update>,
    pub creates: usize,
    pub storage_locations: usize,
    /// Keys in the bundle bucket afterwards.
    pub objects: Vec<String>,
    pub label: String,
}

/// The label this project's bundle of `record()` gets (the bundle is built the same every time).
pub async fn our_label(eb: &Beanstalk) -> String {
    eb.bundle(&record().image)
        .await
        .unwrap()
        .label(&record().id)
}

/// `PREV` stands for the previous version; the label "ours" is replaced by our real label.
pub fn fill(envs: Vec<EnvironmentDescription>, ours: &str) -> Vec<EnvironmentDescription> {
    envs.into_iter()
        .map(|mut e| {
            if e.version_label.as_deref() == Some("ours") {
                e.version_label = Some(ours.to_string());
            }
            e
        })
        .collect()
}

/// The scripted Elastic Beanstalk client and the rules that count the calls that change things.
pub struct Scripted {
    pub client: Client,
    pub create: aws_smithy_mocks::Rule,
    pub storage: aws_smithy_mocks::Rule,
    pub updates: Arc<Mutex<Vec<Update>>>,
}

/// An UpdateEnvironment call: the version label, the option settings sent and those removed.
pub type Update = (String, Vec<String>, Vec<String>);

pub fn scripted(script: Script, label: &str) -> Scripted {
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
    for e in fill(script.envs, label) {
        seq = seq.output(move || {
            DescribeEnvironmentsOutput::builder()
                .environments(e.clone())
                .build()
        });
    }
    let envs = seq.repeatedly().build();
    let mut seq = mock!(Client::describe_application_versions).sequence();
    for status in script.versions {
        let label = label.to_string();
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
    let live = script.live;
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
    Scripted {
        client,
        create,
        storage,
        updates,
    }
}

/// The bundle bucket in moto (made if missing), and the keys in it.
pub async fn bucket(s3: &aws_sdk_s3::Client) -> Vec<String> {
    let _ = s3.create_bucket().bucket(BUCKET).send().await;
    let listed = s3.list_objects_v2().bucket(BUCKET).send().await.unwrap();
    listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect()
}

pub async fn run(script: Script, moto: &Moto, dir: &std::path::Path) -> Ran {
    let s3 = moto.s3();
    bucket(&s3).await;
    let beanstalk = Beanstalk::new(project(dir, &script.extra)).unwrap();
    let label = our_label(&beanstalk).await;
    let timeout = script.timeout;
    let s = scripted(script, &label);
    let clients = Clients {
        eb: s.client,
        s3: s3.clone(),
    };
    let outcome = beanstalk
        .deploy_with(&clients, &record(), &ctx(), Instant::now() + timeout)
        .await;
    let updates = s.updates.lock().unwrap().clone();
    Ran {
        outcome,
        updates,
        creates: s.create.num_calls(),
        storage_locations: s.storage.num_calls(),
        objects: bucket(&s3).await,
        label,
    }
}

pub fn ours(
    status: EnvironmentStatus,
    health: EnvironmentHealth,
    hs: Option<EnvironmentHealthStatus>,
) -> EnvironmentDescription {
    env(status, health, hs, "ours")
}

pub fn before() -> EnvironmentDescription {
    env(Ready, Green, OK, PREV)
}

pub fn updating() -> EnvironmentDescription {
    env(Updating, Grey, Some(EnvironmentHealthStatus::Info), "ours")
}

pub fn labels(ran: &Ran) -> Vec<&str> {
    ran.updates.iter().map(|u| u.0.as_str()).collect()
}
