//! Real peers for release tests, one private instance per test on a free loopback port: the
//! distribution registry (optionally with htpasswd) and moto for the AWS APIs. Killed on drop.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether a program is installed.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// The test needs moto (`#[cfg_attr(devloop_no_moto, ignore)]` skips it where it is missing).
pub fn require_moto() {
    assert!(
        have("moto_server"),
        "moto_server is missing: scripts/services.sh installs it"
    );
}

/// A loopback port free now, and never handed out before in this test process: the kernel may
/// give a just-released port to the next `bind(0)`, and two tests would then start their
/// registries (or a test its server) on one port.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

fn wait_for_port(port: u16, child: &mut Child, what: &str) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before it listened: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what} did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A registry on 127.0.0.1:<port>, with storage in a temp dir.
pub struct Registry {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Registry {
    pub fn start(auth: Option<(&str, &str)>) -> Registry {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        );
        if let Some((user, pass)) = auth {
            let out = Command::new("htpasswd")
                .args(["-Bbn", user, pass])
                .output()
                .expect("htpasswd");
            assert!(out.status.success());
            std::fs::write(dir.path().join("htpasswd"), out.stdout).expect("write htpasswd");
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: devloop-test\n    path: {}\n",
                dir.path().join("htpasswd").display()
            ));
        }
        let cfg = dir.path().join("config.yml");
        std::fs::write(&cfg, config).expect("write config");
        let mut child = Command::new("docker-registry")
            .arg("serve")
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        wait_for_port(port, &mut child, "docker-registry");
        Registry {
            port,
            child,
            _dir: dir,
        }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Tags the registry holds for a repository (anonymous or with basic auth).
    pub fn tags(&self, repo: &str, auth: Option<(&str, &str)>) -> Vec<String> {
        let mut cmd = Command::new("curl");
        cmd.args([
            "-fsS",
            &format!("http://{}/v2/{repo}/tags/list", self.host()),
        ]);
        if let Some((u, p)) = auth {
            cmd.args(["-u", &format!("{u}:{p}")]);
        }
        let out = cmd.output().expect("curl");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let mut tags: Vec<String> = v["tags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        tags.sort();
        tags
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// moto_server on 127.0.0.1:<port>.
pub struct Moto {
    pub port: u16,
    child: Child,
}

impl Moto {
    /// moto with settings in its environment (e.g. `MOTO_ECS_SERVICE_RUNNING`).
    pub fn start_with(env: &[(&str, &str)]) -> Moto {
        let port = free_port();
        let mut child = Command::new("moto_server")
            .envs(env.iter().copied())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        wait_for_port(port, &mut child, "moto_server");
        Moto { port, child }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A JSON-protocol call (ECR) without signing; moto does not check signatures.
    pub fn ecr(&self, action: &str, body: &str) -> serde_json::Value {
        self.json_call("AmazonEC2ContainerRegistry_V20150921", "ecr", action, body)
    }

    /// A JSON-protocol call to ECS.
    pub fn ecs(&self, action: &str, body: &str) -> serde_json::Value {
        self.json_call("AmazonEC2ContainerServiceV20141113", "ecs", action, body)
    }

    fn json_call(
        &self,
        prefix: &str,
        service: &str,
        action: &str,
        body: &str,
    ) -> serde_json::Value {
        let out = Command::new("curl")
            .args(["-fsS", "-X", "POST", &format!("{}/", self.url())])
            .args(["-H", &format!("X-Amz-Target: {prefix}.{action}")])
            .args(["-H", "Content-Type: application/x-amz-json-1.1"])
            .args(["-H", &format!("Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=x")])
            .args(["-d", body])
            .output()
            .expect("curl");
        serde_json::from_slice(&out.stdout).unwrap_or_default()
    }

    /// A query-protocol call to Elastic Beanstalk (`params` form-encoded); returns the body.
    pub fn eb(&self, action: &str, params: &[(&str, &str)]) -> String {
        self.query("elasticbeanstalk", "2010-12-01", action, params)
    }

    /// A query-protocol call to CloudWatch (`PutMetricData`).
    pub fn cloudwatch(&self, action: &str, params: &[(&str, &str)]) -> String {
        self.query("monitoring", "2010-08-01", action, params)
    }

    /// A JSON-protocol call to CloudWatch Logs.
    pub fn logs(&self, action: &str, body: &str) -> serde_json::Value {
        self.json_call("Logs_20140328", "logs", action, body)
    }

    fn query(&self, service: &str, version: &str, action: &str, params: &[(&str, &str)]) -> String {
        let out = Command::new("curl")
            .args(["-fsS", "-X", "POST", &format!("{}/", self.url())])
            .args(["-H", &format!("Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=x")])
            .args(["--data-urlencode", &format!("Action={action}")])
            .args(["--data-urlencode", &format!("Version={version}")])
            .args(params.iter().flat_map(|(k, v)| ["--data-urlencode".to_string(), format!("{k}={v}")]))
            .output()
            .expect("curl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// An S3 REST call; returns the body.
    pub fn s3(&self, method: &str, path: &str) -> String {
        let out = Command::new("curl")
            .args(["-fsS", "-X", method, &format!("{}{path}", self.url())])
            .args(["-H", "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x"])
            .output()
            .expect("curl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The ECS cluster and service `live_service` makes.
pub const CLUSTER: &str = "main";
pub const SERVICE: &str = "web";

/// A cluster, a task definition (revision 1) whose container `app` runs `image`, and a service.
pub fn live_service(moto: &Moto, image: &str, env: &str) {
    moto.ecs(
        "CreateCluster",
        &format!("{{\"clusterName\":\"{CLUSTER}\"}}"),
    );
    let td = moto.ecs(
        "RegisterTaskDefinition",
        &format!(
            r#"{{"family":"web","executionRoleArn":"arn:aws:iam::123456789012:role/exec","networkMode":"bridge","containerDefinitions":[{{"name":"app","image":"{image}","memory":128,"essential":true,"portMappings":[{{"containerPort":80,"hostPort":0,"protocol":"tcp"}}],"environment":[{env}],"logConfiguration":{{"logDriver":"awslogs","options":{{"awslogs-group":"/ecs/web","awslogs-region":"us-east-1","awslogs-stream-prefix":"web"}}}}}},{{"name":"sidecar","image":"busybox:1.36","memory":32,"essential":false}}]}}"#
        ),
    );
    assert!(td["taskDefinition"]["revision"] == 1, "{td}");
    let svc = moto.ecs(
        "CreateService",
        &format!(
            r#"{{"cluster":"{CLUSTER}","serviceName":"{SERVICE}","taskDefinition":"web:1","desiredCount":1}}"#
        ),
    );
    assert_eq!(svc["service"]["status"], "ACTIVE", "{svc}");
}
