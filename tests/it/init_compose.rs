//! `devloop init` in a compose project (tests/it/fixtures/compose-shop: two services built here and
//! the image they depend on): the devloop.toml it writes, what it says it could not carry over,
//! and the compose files it refuses, with nothing written.

use std::path::Path;

use crate::support::*;

/// The compose project, copied into a fresh directory and committed.
fn shop() -> TestContext {
    let fixture = repo_root().join("tests/it/fixtures/compose-shop");
    let mut files = Vec::new();
    collect(&fixture, &fixture, &mut files);
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    TestContext::new().with_files(&files)
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("read the fixture") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            let rel = path.strip_prefix(root).expect("inside the fixture");
            let text = std::fs::read_to_string(&path).expect("a text file");
            out.push((rel.display().to_string(), text));
        }
    }
}

/// The warnings of what was not carried over, one a line, without the prefix.
fn not_carried(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("warning: not carried over: "))
        .collect()
}

/// `init` checks that what it writes loads: this passes once the loader knows `[services]`.
#[test]
fn init_converts_a_compose_project() {
    // The file reads ${API_TOKEN} (compose's bare `API_TOKEN`): set for the plan below.
    let ctx = shop().with_env("API_TOKEN", "test-token");
    let r = ctx.run(["init"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = ctx.read("devloop.toml");
    for expected in [
        "name = \"shop\"",
        "default_env = \"local\"",
        "[services.store]\nimage = \"busybox:1.36\"",
        "deploy.docker.command = [\"sh\", \"-c\", \"mkdir -p /data && exec httpd -f -p 7000 -h /data\"]",
        "deploy.docker.volumes = [\"shop_store-data:/data\"]",
        "[services.api]\nneeds = [\"store\"]\nbuild.context = \"api\"",
        "deploy.health.command = \"wget -q -O - http://localhost:8000/health\"",
        "deploy.health.start_period = \"1s500ms\"",
        "LOG_LEVEL = \"${LOG_LEVEL:-info}\"",
        "API_TOKEN = \"${API_TOKEN}\"",
        "[services.web]\nneeds = [\"api\"]\nbuild.context = \"web\"",
        "build.image = \"shop/web\"",
        "deploy.docker.ports = [\"8080:80\"]",
        "deploy.docker.restart = \"unless-stopped\"",
        "[env.local]\ndeploy.target = \"docker\"",
    ] {
        assert!(text.contains(expected), "{expected}\n---\n{text}");
    }
    // Dependencies first.
    let at = |s: &str| text.find(s).unwrap_or(usize::MAX);
    assert!(at("[services.store]") < at("[services.api]"));
    assert!(at("[services.api]") < at("[services.web]"));
    assert_eq!(
        not_carried(&r.stderr),
        [
            "services.web.networks: devloop puts every service on one network, <app>-<env>, where the others reach it by its service name",
            "services.web.image: the tag \"dev\" of \"shop/web:dev\": devloop tags what it builds with build.tags ({short_sha} unless set)",
            "services.api.volumes: \"./api\" is a relative host path: devloop hands volumes to Docker as written, and Docker takes only absolute host paths or volume names; write the absolute path, or use a named volume",
            "services.api.env_file: devloop reads no env files: copy what the service needs into its deploy.docker.env",
            "services.api.healthcheck.timeout: devloop bounds each probe itself (by the interval, from 2s to 5s)",
            "services.api.networks: devloop puts every service on one network, <app>-<env>, where the others reach it by its service name",
            "services.store.networks: devloop puts every service on one network, <app>-<env>, where the others reach it by its service name",
            "x-restart: an extension field (what its anchors hold was carried over where the services use them)",
            "networks: devloop makes one network for an app's environment, <app>-<env>, and puts every service on it",
        ]
    );
    // A .dockerignore in each build context, none where nothing is built.
    assert!(ctx.read("web/.dockerignore").contains(".git"));
    assert!(ctx.read("api/.dockerignore").contains(".git"));
    assert!(!ctx.join(".dockerignore").exists());
    ctx.snapshot("init_compose_said").assert(&r.stderr);
    ctx.snapshot("init_compose_config").assert(&text);
    // The file is whole: the deploy part plans (the build needs the daemon).
    let r = ctx.run(["plan", "deploy"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn init_refuses_a_compose_file_that_is_not_yaml_where_it_breaks() {
    let ctx = TestContext::new().with_files(&[(
        "compose.yaml",
        "services:\n  web:\n    image: busybox:1.36\n   ports: [\"80\"]\n",
    )]);
    let r = ctx.run(["init"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("compose.yaml:4:4: invalid YAML: "),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("   4 |    ports: [\"80\"]"),
        "{}",
        r.stderr
    );
    assert!(!ctx.join("devloop.toml").exists());
}

#[test]
fn init_refuses_a_dependency_that_is_not_a_service() {
    let ctx = TestContext::new().with_files(&[(
        "docker-compose.yml",
        "services:\n  api:\n    build: .\n    depends_on: [stor]\n  store:\n    image: busybox:1.36\n",
    )]);
    let r = ctx.run(["init"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "docker-compose.yml: services.api.depends_on: \"stor\" is not a service of docker-compose.yml — did you mean \"store\"?"
        ),
        "{}",
        r.stderr
    );
    assert!(!ctx.join("devloop.toml").exists());
}

#[test]
fn init_reads_the_compose_file_docker_compose_would_pick() {
    // compose.yaml comes before docker-compose.yml: only its (refused) dependency is said.
    let ctx = TestContext::new().with_files(&[
        (
            "compose.yaml",
            "services:\n  a:\n    image: x\n    depends_on: [nowhere]\n",
        ),
        ("docker-compose.yml", "not: [yaml\n"),
    ]);
    let r = ctx.run(["init"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("compose.yaml: services.a.depends_on"),
        "{}",
        r.stderr
    );
}

#[test]
fn init_in_a_compose_project_still_refuses_to_overwrite() {
    let ctx = shop();
    ctx.write("devloop.toml", "keep me");
    let r = ctx.run(["init"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("already exists") && r.stderr.contains("--force"));
    assert_eq!(ctx.read("devloop.toml"), "keep me");
}
