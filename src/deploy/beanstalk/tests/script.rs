//! The harness for whole rollouts on Elastic Beanstalk: a project, and an Elastic Beanstalk (with
//! S3 for the bundles) served by the AWS peer over HTTP, answering as the live service does —
//! version statuses in upper case, a stale first read after an update, health that lags, events
//! of each request — with the environment's updates scripted along the clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::awspeer::AwsPeer;
use crate::deploy::beanstalk::{Beanstalk, Clients};
use crate::deploy::Outcome;
use crate::engine::StepCtx;
use crate::error::Result;
use crate::output::{Options, Printer};
use crate::release::Record;
use crate::session::Session;

pub use super::PREV;

pub const BUCKET: &str = "eb-bundles";

/// A project whose `[deploy.beanstalk]` has `extra`, in a directory of its own.
pub fn project(dir: &std::path::Path, extra: &str) -> Arc<Session> {
    project_named(dir, "web-prod", extra)
}

/// The same, with the environment spelt `environment`.
pub fn project_named(dir: &std::path::Path, environment: &str, extra: &str) -> Arc<Session> {
    let text = format!(
        "[app]\nname = \"web\"\n[deploy]\ntarget = \"beanstalk\"\n[deploy.beanstalk]\napplication = \"web\"\nenvironment = \"{environment}\"\nport = 8080\n{extra}"
    );
    let path = dir.join("devloop.toml");
    std::fs::write(&path, &text).unwrap();
    let source = crate::config::Source::new(&path, text, dir);
    let config = crate::config::load_source(source, None, &|_| None).unwrap();
    Arc::new(Session::new(
        config,
        crate::config::Ambient::from_pairs([]),
        &Default::default(),
    ))
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
        events: printer.events(),
        cancel: tokio_util::sync::CancellationToken::new(),
    }
}

/// The peer, with application `web` and environment `web-prod` Ready and Green on `PREV`, the
/// bundle bucket, and the project of one test.
pub struct Eb {
    pub peer: AwsPeer,
    _dir: tempfile::TempDir,
    pub beanstalk: Beanstalk,
    /// The version label this project's bundle of `record()` gets.
    pub label: String,
}

impl Eb {
    /// `extra` goes into `[deploy.beanstalk]` (the bucket is set unless `extra` names one or
    /// says `no bucket`).
    pub async fn start(extra: &str) -> Eb {
        Eb::start_as("web-prod", extra).await
    }

    pub async fn start_as(environment: &str, extra: &str) -> Eb {
        let peer = AwsPeer::start();
        peer.control(
            "eb/environment",
            json!({ "application": "web", "environment": "web-prod", "version_label": PREV }),
        );
        peer.s3()
            .create_bucket()
            .bucket(BUCKET)
            .send()
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let extra = if extra.contains("bucket") {
            extra.replace("no bucket", "")
        } else {
            format!("bucket = \"{BUCKET}\"\n{extra}")
        };
        let beanstalk = Beanstalk::new(project_named(dir.path(), environment, &extra)).unwrap();
        let label = beanstalk
            .bundle(&record().image)
            .await
            .unwrap()
            .label(&record().id);
        Eb {
            peer,
            _dir: dir,
            beanstalk,
            label,
        }
    }

    /// Script the environment (`eb/script`): updates (preset names or timelines) and the rest.
    pub fn script(&self, mut payload: Value) {
        payload["environment"] = json!("web-prod");
        self.peer.control("eb/script", payload);
    }

    pub fn clients(&self) -> Clients {
        Clients {
            eb: aws_sdk_elasticbeanstalk::Client::new(&self.peer.sdk()),
            s3: self.peer.s3(),
        }
    }

    pub async fn deploy(&self, timeout: Duration) -> Result<Outcome> {
        self.beanstalk
            .deploy_with(&self.clients(), &record(), &ctx(), Instant::now() + timeout)
            .await
    }

    /// UpdateEnvironment calls: the version label, the option settings sent and those removed.
    pub fn updates(&self) -> Vec<Update> {
        self.peer
            .calls_of("elasticbeanstalk", "UpdateEnvironment")
            .iter()
            .map(|c| {
                let p = &c["params"];
                let text = |k: String| p[k].as_str().map(str::to_string);
                let mut set = Vec::new();
                let mut removed = Vec::new();
                for i in 1.. {
                    match text(format!("OptionSettings.member.{i}.OptionName")) {
                        Some(name) => set.push(format!(
                            "{name}={}",
                            text(format!("OptionSettings.member.{i}.Value")).unwrap_or_default()
                        )),
                        None => break,
                    }
                }
                for i in 1.. {
                    match text(format!("OptionsToRemove.member.{i}.OptionName")) {
                        Some(name) => removed.push(name),
                        None => break,
                    }
                }
                (
                    text("VersionLabel".into()).unwrap_or_default(),
                    set,
                    removed,
                )
            })
            .collect()
    }

    pub fn labels(&self) -> Vec<String> {
        self.updates().into_iter().map(|u| u.0).collect()
    }

    pub fn count(&self, action: &str) -> usize {
        self.peer.calls_of("elasticbeanstalk", action).len()
    }

    /// Keys in the bundle bucket.
    pub async fn objects(&self) -> Vec<String> {
        let listed = self
            .peer
            .s3()
            .list_objects_v2()
            .bucket(BUCKET)
            .send()
            .await
            .unwrap();
        listed
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect()
    }

    /// The environment as the peer holds it (`eb/state`).
    pub fn state(&self) -> Value {
        self.peer
            .control("eb/state", json!({ "environment": "web-prod" }))
    }
}

/// An UpdateEnvironment call: the version label, the option settings sent and those removed.
pub type Update = (String, Vec<String>, Vec<String>);

/// The message of a failure outcome, or of a success (for assertions on either).
pub fn said(outcome: &Result<Outcome>) -> String {
    match outcome {
        Ok(Outcome::Deployed(m)) | Ok(Outcome::Unchanged(m)) => m.clone(),
        Ok(Outcome::RolledBack(f)) | Ok(Outcome::Failed(f)) | Ok(Outcome::TimedOut(f)) => {
            f.message.clone()
        }
        Err(e) => e.message.clone(),
    }
}
