//! One ECS service on a private AWS peer (tests/peer: moto underneath, ECS answered as the live
//! service answers, deployments that move along the clock), reached by the SDK over real HTTP,
//! so every answer goes through the SDK's deserializer. Each test gets its own peer and its own
//! service name, so tests run in parallel without sharing anything.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_ecs::types::{
    AwsVpcConfiguration, Compatibility, ContainerDefinition, LaunchType, NetworkConfiguration,
    NetworkMode, PortMapping,
};
use aws_sdk_ecs::Client;
use serde_json::{json, Value};

use crate::awspeer::AwsPeer;
use crate::deploy::ecs::{unlock, Ecs};
use crate::deploy::{Locking, Outcome, Rollout};
use crate::engine::StepCtx;
use crate::error::Result;
use crate::output::{Options, Printer};
use crate::release::Record;
use crate::session::Session;

pub const CLUSTER: &str = "main";
/// The image revision 1 runs, and the image of the release the tests deploy.
pub const OLD_IMAGE: &str = "reg.example/team/web@sha256:1111111111111111";
pub const NEW_IMAGE: &str = "reg.example/team/web@sha256:2222222222222222";

/// The peer with one cluster and one Fargate service (2 tasks) on revision `web:1`, and a
/// devloop project deploying to it.
pub struct Fixture {
    pub peer: Arc<AwsPeer>,
    pub client: Client,
    pub service: String,
    /// The ARN of revision 1, what the service runs before a deploy.
    pub old: String,
    pub dir: tempfile::TempDir,
}

impl Fixture {
    /// `service` names the service (unique per test); `extra` is added to `[deploy.ecs]`;
    /// `files` are written into the project directory first (a task definition template).
    pub async fn new(service: &str, extra: &str, files: &[(&str, &str)]) -> Fixture {
        let peer = Arc::new(AwsPeer::start());
        let client = Client::new(&peer.sdk());
        let (subnet, group) = network(&peer);
        client
            .create_cluster()
            .cluster_name(CLUSTER)
            .send()
            .await
            .expect("CreateCluster");
        let old = client
            .register_task_definition()
            .family("web")
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .cpu("256")
            .memory("512")
            .container_definitions(
                ContainerDefinition::builder()
                    .name("app")
                    .image(OLD_IMAGE)
                    .port_mappings(PortMapping::builder().container_port(8080).build())
                    .build(),
            )
            .send()
            .await
            .expect("RegisterTaskDefinition")
            .task_definition
            .and_then(|t| t.task_definition_arn)
            .expect("revision 1 has an ARN");
        client
            .create_service()
            .cluster(CLUSTER)
            .service_name(service)
            .task_definition("web:1")
            .desired_count(2)
            .launch_type(LaunchType::Fargate)
            .network_configuration(
                NetworkConfiguration::builder()
                    .awsvpc_configuration(
                        AwsVpcConfiguration::builder()
                            .subnets(subnet)
                            .security_groups(group)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("CreateService");
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let toml = format!(
            "[app]\nname = \"web\"\n[deploy]\ntarget = \"ecs\"\n[deploy.ecs]\ncluster = \"{CLUSTER}\"\nservice = \"{service}\"\ncontainer = \"app\"\n{extra}"
        );
        std::fs::write(dir.path().join("devloop.toml"), toml).unwrap();
        Fixture {
            peer,
            client,
            service: service.to_string(),
            old,
            dir,
        }
    }

    /// The target, as `devloop deploy` opens it from the project's devloop.toml.
    pub fn ecs(&self) -> Ecs {
        let path = self.dir.path().join("devloop.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let source = crate::config::Source::new(&path, text, self.dir.path());
        let config = crate::config::load_source(source, None, &|_| None).unwrap();
        let project = Arc::new(Session::new(
            config,
            crate::config::Ambient::from_pairs([]),
            &Default::default(),
        ));
        Ecs::new(project).unwrap()
    }

    /// What the next UpdateServices that start a deployment do (`ecs/script`), `scale` times
    /// the scripted seconds.
    pub fn script(&self, updates: Value, scale: f64) {
        self.peer.control(
            "ecs/script",
            json!({ "cluster": CLUSTER, "service": self.service, "updates": updates, "scale": scale }),
        );
    }

    /// A control of the peer's ECS module about this service (`ecs/history`, `ecs/short_arn` …).
    pub fn control(&self, name: &str, mut body: Value) -> Value {
        body["cluster"] = json!(CLUSTER);
        body["service"] = json!(self.service);
        self.peer.control(name, body)
    }

    /// The service as the peer sees it now (`ecs/state`).
    pub fn state(&self) -> Value {
        self.control("ecs/state", json!({}))
    }

    /// The ECS calls of `action` devloop (and the setup) made, oldest first.
    pub fn calls(&self, action: &str) -> Vec<Value> {
        self.peer.calls_of("ecs", action)
    }

    /// How many ECS calls of `action` were made.
    pub fn count(&self, action: &str) -> usize {
        self.calls(action).len()
    }

    /// Register a revision of family web running `image` (as someone deploying by hand would).
    pub async fn register(&self, image: &str) -> String {
        self.client
            .register_task_definition()
            .family("web")
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .cpu("256")
            .memory("512")
            .container_definitions(
                ContainerDefinition::builder()
                    .name("app")
                    .image(image)
                    .build(),
            )
            .send()
            .await
            .expect("RegisterTaskDefinition")
            .task_definition
            .and_then(|t| t.task_definition_arn)
            .expect("the revision has an ARN")
    }

    /// The ARN of revision `n` of family web.
    pub fn revision(&self, n: u32) -> String {
        self.old.replace("web:1", &format!("web:{n}"))
    }

    /// `Target::deploy` of the ECS target, step for step (the check that the release is in a
    /// registry aside): the live state, the deploy lock, the rollout and the lock given back, with
    /// this peer's client instead of the one `Session` resolves from the environment.
    pub async fn deploy(&self, ecs: &Ecs, record: &Record, how: &Rollout) -> Result<Outcome> {
        let ctx = ctx("deploy");
        let live = ecs.live(&self.client).await?;
        let arn = live.service.service_arn().unwrap_or_default().to_string();
        let lock = ecs.lock(&self.client, &arn, how, &ctx).await?;
        let result = ecs
            .rollout(&self.client, live, record, &ctx, how.deadline)
            .await;
        unlock(lock, &ctx).await;
        result
    }
}

/// A deploy that takes the lock and may take `secs` seconds.
pub fn within(secs: u64) -> Rollout {
    Rollout {
        deadline: std::time::Instant::now() + Duration::from_secs(secs),
        lock: Locking::Take,
    }
}

/// The release the tests deploy.
pub fn record() -> Record {
    Record::sample(NEW_IMAGE)
}

/// A step context whose lines go to the test's stderr (seen with `--nocapture`).
pub fn ctx(name: &str) -> StepCtx {
    let printer = Printer::new(Options::default());
    printer.step_started(name);
    StepCtx {
        name: name.into(),
        events: printer.events(),
        cancel: tokio_util::sync::CancellationToken::new(),
    }
}

/// A subnet and a security group of moto's default VPC: an awsvpc service needs both.
fn network(peer: &AwsPeer) -> (String, String) {
    let subnets = ec2(peer, "DescribeSubnets");
    let groups = ec2(peer, "DescribeSecurityGroups");
    (
        between(&subnets, "<subnetId>", "</subnetId>"),
        between(&groups, "<groupId>", "</groupId>"),
    )
}

fn between(text: &str, open: &str, close: &str) -> String {
    text.split_once(open)
        .and_then(|(_, rest)| rest.split_once(close))
        .map(|(value, _)| value.to_string())
        .unwrap_or_else(|| panic!("no {open} in {text}"))
}

/// An EC2 query-protocol call (the SDK for EC2 is not a dependency); the peer routes by the
/// credential scope and does not check the signature.
fn ec2(peer: &AwsPeer, action: &str) -> String {
    let body = format!("Action={action}&Version=2016-11-15");
    let mut s = TcpStream::connect(("127.0.0.1", peer.port)).expect("the AWS peer answers");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        peer.port,
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text
}

/// The peer's scenarios at half speed: a rollout completes in 1 s, the breaker trips in 1.25 s.
pub const SCALE: f64 = 0.5;

/// A release other than the one `record()` gives.
pub const OTHER_IMAGE: &str = "reg.example/team/web@sha256:3333333333333333";
