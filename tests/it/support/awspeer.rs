//! The AWS peer of the tests (tests/peer/awspeer.py: moto underneath, Elastic Beanstalk and ECS
//! answered as the live services answer, scenarios moved by the clock), one private instance per
//! test on a free loopback port, killed on drop. The SDK reaches it over real HTTP, so signing,
//! the deserializer, error parsing and retries all run. Shared by the integration tests and the
//! library's own tests (which include this file by path).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct AwsPeer {
    pub port: u16,
    child: Child,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl AwsPeer {
    pub fn start() -> AwsPeer {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peer/awspeer.py");
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("peer.log");
        // The peer binds a free port itself and names it in this file: a port picked here and
        // bound there could be taken by another test's peer in between.
        let port_file = dir.path().join("port");
        let child = Command::new("python3")
            .args([script, "--port", "0", "--port-file"])
            .arg(&port_file)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("peer log"))
            .spawn()
            .expect("python3 runs the AWS peer (scripts/services.sh installs moto)");
        let mut peer = AwsPeer {
            port: 0,
            child,
            log,
            _dir: dir,
        };
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            if peer.port == 0 {
                if let Some(port) = std::fs::read_to_string(&port_file)
                    .ok()
                    .and_then(|t| t.trim().parse().ok())
                {
                    peer.port = port;
                }
            }
            if peer.port != 0 {
                if let Ok((200, _)) = peer.http("GET", "/_peer/health", "") {
                    return peer;
                }
            }
            if let Ok(Some(status)) = peer.child.try_wait() {
                panic!(
                    "the AWS peer exited ({status}) before it listened:\n{}",
                    peer.log_text()
                );
            }
            assert!(
                Instant::now() < until,
                "the AWS peer did not listen within 60 s (port {}):\n{}",
                peer.port,
                peer.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What the peer printed (tracebacks of its own bugs land here).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn http(&self, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        let mut text = String::new();
        s.read_to_string(&mut text)?;
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        Ok((status, body))
    }

    /// A control call (`eb/script`, `ecs/state`, `throttle` …); panics with the peer's log when
    /// the peer refuses it.
    pub fn control(&self, name: &str, body: serde_json::Value) -> serde_json::Value {
        let (status, text) = self
            .http("POST", &format!("/_peer/{name}"), &body.to_string())
            .expect("the AWS peer answers");
        assert_eq!(
            status,
            200,
            "control {name} failed: {text}\n{}",
            self.log_text()
        );
        serde_json::from_str(&text).unwrap_or_default()
    }

    /// Every AWS call the peer answered, oldest first.
    pub fn calls(&self) -> Vec<serde_json::Value> {
        let (_, text) = self
            .http("GET", "/_peer/calls", "")
            .expect("the AWS peer answers");
        serde_json::from_str(&text).unwrap_or_default()
    }

    /// The calls of one action (e.g. `("elasticbeanstalk", "UpdateEnvironment")`).
    pub fn calls_of(&self, service: &str, action: &str) -> Vec<serde_json::Value> {
        self.calls()
            .into_iter()
            .filter(|c| c["service"] == service && c["action"] == action)
            .collect()
    }

    /// The next `count` calls of `action` answer as a throttled live service does.
    pub fn throttle(&self, service: &str, action: &str, count: u32) {
        self.control(
            "throttle",
            serde_json::json!({ "service": service, "action": action, "count": count }),
        );
    }

    /// Calls of `action` past `rate` a second (bursts of `burst`) answer as a throttled live
    /// service does, until [`Self::unthrottle`].
    pub fn rate_limit(&self, service: &str, action: &str, rate: f64, burst: u32) {
        self.control(
            "throttle",
            serde_json::json!({ "service": service, "action": action, "rate": rate, "burst": burst }),
        );
    }

    /// No more throttling.
    pub fn unthrottle(&self) {
        let (status, text) = self
            .http("DELETE", "/_peer/throttle", "")
            .expect("the AWS peer answers");
        assert_eq!(status, 200, "{text}");
    }

    /// An SDK configuration that talks to this peer, with test credentials.
    pub fn sdk(&self) -> aws_config::SdkConfig {
        let creds = aws_credential_types::Credentials::new("test", "test", None, None, "test");
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(self.url())
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(creds),
            )
            .build()
    }

    /// S3 on this peer, path-style (buckets are not DNS names here).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk())
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }
}

impl Drop for AwsPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl AwsPeer {
    /// A call to the peer with curl, outside devloop (a test's setup and checks): JSON protocol
    /// for ECS and Logs, query for EC2, IAM and ELB.
    pub fn call(&self, service: &str, headers: &[String], data: &[String]) -> String {
        let out = Command::new("curl")
            .args(["-sS", "-X", "POST", &format!("{}/", self.url())])
            .args(["-H", &format!("Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=x")])
            .args(headers.iter().flat_map(|h| ["-H".to_string(), h.clone()]))
            .args(data)
            .output()
            .expect("curl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A JSON-protocol call's answer: `target` is the service's `X-Amz-Target` prefix
    /// (`AmazonEC2ContainerServiceV20141113` for ECS).
    pub fn json(&self, service: &str, target: &str, action: &str, body: &str) -> serde_json::Value {
        let text = self.call(
            service,
            &[
                format!("X-Amz-Target: {target}.{action}"),
                "Content-Type: application/x-amz-json-1.1".into(),
            ],
            &["-d".into(), body.into()],
        );
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{action}: {text}"))
    }

    /// An ECS call's answer.
    pub fn ecs(&self, action: &str, body: &str) -> serde_json::Value {
        self.json("ecs", "AmazonEC2ContainerServiceV20141113", action, body)
    }

    /// A Cloud Map call's answer.
    pub fn cloud_map(&self, action: &str, body: &str) -> serde_json::Value {
        self.json(
            "servicediscovery",
            "Route53AutoNaming_v20170314",
            action,
            body,
        )
    }

    /// A query-protocol call (`ec2` at 2016-11-15, `iam` at 2010-05-08, `elasticloadbalancing`
    /// at 2015-12-01) with `params`, its XML answer.
    pub fn query(&self, service: &str, action: &str, params: &[(&str, &str)]) -> String {
        let version = match service {
            "ec2" => "2016-11-15",
            "iam" => "2010-05-08",
            _ => "2015-12-01",
        };
        let mut data = vec![
            "--data-urlencode".to_string(),
            format!("Action={action}"),
            "--data-urlencode".into(),
            format!("Version={version}"),
        ];
        for (k, v) in params {
            data.push("--data-urlencode".into());
            data.push(format!("{k}={v}"));
        }
        self.call(service, &[], &data)
    }

    /// The first `<tag>` value of an EC2 answer (a subnet id, a security group id).
    pub fn ec2_first(&self, action: &str, tag: &str) -> String {
        let text = self.query("ec2", action, &[]);
        text.split_once(&format!("<{tag}>"))
            .and_then(|(_, rest)| rest.split_once(&format!("</{tag}>")))
            .map(|(v, _)| v.to_string())
            .unwrap_or_else(|| panic!("no <{tag}> in {text}"))
    }
}
