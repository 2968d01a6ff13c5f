//! A set of services from one devloop.toml, on examples/shop (store, api, web) and copies of it:
//! the whole loop on a fresh daemon, one changed service rebuilt and restarted alone, a broken
//! release put back as a set, Ctrl-C in the middle of the graph, and graph mistakes refused
//! before anything starts.

use std::time::{Duration, Instant};

use crate::support::*;

/// `(id, started at, release)` of a service's container.
fn container(ctx: &TestContext, service: &str) -> (String, String, String) {
    let name = format!("{}-local-{service}", ctx.app());
    let out = docker(&[
        "inspect",
        "--format",
        "{{.Id}} {{.State.StartedAt}} {{index .Config.Labels \"devloop.release\"}}",
        &name,
    ]);
    let mut parts = out.split_whitespace().map(str::to_string);
    (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    )
}

/// Add `item` through the frontend (web → api → store), then read the page.
fn add_and_read(port: u16, item: &str) -> String {
    let _ = http_get(port, &format!("/add?item={item}"));
    http_get(port, "/")
        .map(|(_, body)| body)
        .unwrap_or_default()
}

/// Health checks that give up fast, for the failures these tests provoke.
fn quick_health(ctx: &TestContext) {
    ctx.replace("devloop.toml", "retries = 30", "retries = 3");
    ctx.commit("quick health");
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn ship_serves_data_through_every_service_and_monitor_checks_them_all() {
    let ctx = TestContext::shop("dl-shop");
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for step in [
        "build:api",
        "build:web",
        "test:api:api-routes",
        "test:through",
        "deploy:store",
        "deploy:api",
        "deploy:web",
    ] {
        assert!(r.stderr.contains(step), "{step} missing: {}", r.stderr);
    }
    let page = add_and_read(ctx.port(), "first-item");
    assert!(page.contains("<li>first-item</li>"), "{page}");

    // One release holds both built images, pinned by digest.
    let list = ctx.run(["release", "--list", "-o", "json"]);
    let records: serde_json::Value = serde_json::from_str(list.stdout.trim()).unwrap();
    let services = &records[0]["services"];
    assert_eq!(services.as_array().map(Vec::len), Some(2), "{records}");
    for s in services.as_array().unwrap() {
        assert!(s["image"].as_str().unwrap().contains("@sha256:"), "{s}");
    }

    let m = ctx.run(["monitor", "--check", "-o", "json"]);
    assert_eq!(m.code, 0, "{}{}", m.stdout, m.stderr);
    let doc: serde_json::Value = serde_json::from_str(m.stdout.trim()).unwrap();
    assert_eq!(doc["verdict"], "healthy", "{doc}");
    assert_eq!(doc["services"].as_array().map(Vec::len), Some(3), "{doc}");

    // The dependency's volume outlives a redeploy: the data is still there.
    let again = ctx.run(["deploy"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let page = http_get(ctx.port(), "/")
        .map(|(_, b)| b)
        .unwrap_or_default();
    assert!(page.contains("<li>first-item</li>"), "{page}");
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_change_to_one_service_rebuilds_releases_and_restarts_only_it() {
    let ctx = TestContext::shop("dl-one");
    let r = ctx.run(["ship", "--no-tests"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let before: Vec<_> = ["store", "api", "web"].map(|s| container(&ctx, s)).into();

    let app_sh = std::fs::read_to_string(ctx.join("api/app.sh")).unwrap();
    ctx.write("api/app.sh", format!("{app_sh}\n# a changed line\n"));
    ctx.commit("api only");
    let r = ctx.run(["ship", "--no-tests"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("build:web skipped"), "{}", r.stderr);
    let after: Vec<_> = ["store", "api", "web"].map(|s| container(&ctx, s)).into();
    assert_eq!(after[0], before[0], "the store was restarted: {}", r.stderr);
    assert_eq!(after[2].0, before[2].0, "web was restarted: {}", r.stderr);
    assert_eq!(after[2].1, before[2].1, "web was restarted: {}", r.stderr);
    assert_ne!(
        after[1].0, before[1].0,
        "api was not replaced: {}",
        r.stderr
    );
    assert!(add_and_read(ctx.port(), "after-change").contains("<li>after-change</li>"));

    // The set goes back as a whole: the api to its first release; web ran that image already.
    let r = ctx.run(["rollback"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let back: Vec<_> = ["store", "api", "web"].map(|s| container(&ctx, s)).into();
    assert_eq!(back[1].2, before[1].2, "api is not back: {}", r.stderr);
    assert_eq!(back[2].0, before[2].0, "web was restarted: {}", r.stderr);
    assert_eq!(back[0], before[0], "the store was restarted: {}", r.stderr);
    let page = http_get(ctx.port(), "/")
        .map(|(_, b)| b)
        .unwrap_or_default();
    assert!(
        page.contains("<li>after-change</li>"),
        "the data is gone: {page}"
    );
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_broken_api_puts_the_changed_frontend_back_too_and_keeps_the_data() {
    let ctx = TestContext::shop("dl-back");
    quick_health(&ctx);
    // The frontend calls the API only when asked, so it may start beside it: the graph then
    // switches web before the API's gate fails.
    ctx.replace(
        "devloop.toml",
        "needs = [\"api\"]\n",
        "needs = [\"store\"]\n",
    );
    ctx.commit("web beside api");
    let r = ctx.run(["ship", "--no-tests"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(add_and_read(ctx.port(), "kept-item").contains("<li>kept-item</li>"));
    let good: Vec<_> = ["api", "web"].map(|s| container(&ctx, s).2).into();

    // A frontend change, and an API whose health check fails.
    let web = std::fs::read_to_string(ctx.join("web/app.sh")).unwrap();
    ctx.write("web/app.sh", format!("{web}\n# a new frontend\n"));
    ctx.replace(
        "api/app.sh",
        "reply '200 OK' \"ok",
        "reply '500 Broken' \"no",
    );
    ctx.commit("broken api");
    let r = ctx.run(["ship", "--no-tests"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("deploy:web done"),
        "web was never switched: {}",
        r.stderr
    );
    assert!(r.stderr.contains("put back: web"), "{}", r.stderr);
    let now: Vec<_> = ["api", "web"].map(|s| container(&ctx, s).2).into();
    assert_eq!(now, good, "{}", r.stderr);
    let page = http_get(ctx.port(), "/")
        .map(|(_, b)| b)
        .unwrap_or_default();
    assert!(page.contains("<li>kept-item</li>"), "{page}");
    let m = ctx.run(["monitor", "--check"]);
    assert_eq!(m.code, 0, "{}{}", m.stdout, m.stderr);
    assert!(docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("name={}-local-web-next", ctx.app())
    ])
    .is_empty());

    // The set goes back to the release before as a whole.
    let first = ctx.run(["release", "--list", "-o", "json"]);
    let records: serde_json::Value = serde_json::from_str(first.stdout.trim()).unwrap();
    assert_eq!(records.as_array().map(Vec::len), Some(2), "{records}");
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn ctrl_c_in_the_middle_of_the_graph_leaves_each_service_on_one_healthy_release() {
    let ctx = TestContext::shop("dl-sint");
    quick_health(&ctx);
    let r = ctx.run(["ship", "--no-tests"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let app_sh = std::fs::read_to_string(ctx.join("api/app.sh")).unwrap();
    ctx.write("api/app.sh", format!("{app_sh}\n# slow to come up\n"));
    ctx.replace(
        "api/app.sh",
        "reply '200 OK' \"ok",
        "reply '503 Starting' \"no",
    );
    ctx.commit("api that never gets healthy");
    let r = ctx.run(["release"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let child = ctx.devloop(["deploy", "--timeout", "120s"]).spawn();
    let app = ctx.app().to_string();
    wait_for_container(&format!("{app}-local-api-next"), Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(500));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        docker(&[
            "ps",
            "-aq",
            "--filter",
            &format!("name={app}-local-api-next")
        ])
        .is_empty(),
        "{stderr}"
    );
    let m = ctx.run(["monitor", "--check"]);
    assert_eq!(m.code, 0, "{}{}\n{stderr}", m.stdout, m.stderr);
}

#[test]
fn a_cycle_an_unknown_service_and_a_shared_port_are_refused_before_anything_starts() {
    let ctx = TestContext::new().with_name("dl-sbad");
    let app = ctx.app().to_string();
    let head = format!("[app]\nname = \"{app}\"\n[deploy]\ntarget = \"docker\"\n");
    let cases = [
        (
            "[services.web]\nneeds = [\"api\"]\n[services.api]\nneeds = [\"web\"]\n",
            "devloop.toml:6:10",
            "api → web → api",
        ),
        (
            "[services.web]\nneeds = [\"apii\"]\n[services.api]\n",
            "devloop.toml:6:10",
            "unknown service \"apii\"",
        ),
        (
            "[services.web]\ndeploy.docker.ports = [\"8080:80\"]\n[services.api]\ndeploy.docker.ports = [\"8080:8080\"]\n",
            "devloop.toml:6:24",
            "host port 8080/tcp",
        ),
    ];
    for (services, at, what) in cases {
        ctx.write("devloop.toml", format!("{head}{services}"));
        let r = ctx.run(["ship"]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains(at), "{at}: {}", r.stderr);
        assert!(r.stderr.contains(what), "{what}: {}", r.stderr);
    }
}

/// Two built services and a dependency, small enough to write inline: `web` and `api` serve a
/// page, `store` serves its volume.
fn small_set(app: &str, target: &str, port: u16) -> Vec<(String, String)> {
    let dockerfile = "FROM busybox:1.36\nCOPY www /www\nCMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; httpd -f -p 80 -h /www & wait\"]\n";
    let store = "[\"sh\", \"-c\", \"mkdir -p /data && echo ok > /data/healthz && trap 'exit 0' TERM; httpd -f -p 80 -h /data & wait\"]";
    let config = format!(
        r#"[app]
name = "{app}"
default_env = "local"

[deploy]
timeout = "60s"
health = {{ http = "/healthz", port = 80, interval = "500ms", retries = 20 }}

[services.store]
image = "busybox:1.36"
deploy.{target}.command = {store}
deploy.{target}.volumes = ["{app}-store:/data"]

[services.api]
needs = ["store"]
build.context = "api"

[services.web]
needs = ["api"]
build.context = "web"
deploy.{target}.ports = ["{port}:80"]

[env.local]
deploy.target = "{target}"
"#
    );
    let mut files = vec![("devloop.toml".to_string(), config)];
    for s in ["api", "web"] {
        files.push((format!("{s}/Dockerfile"), dockerfile.to_string()));
        files.push((format!("{s}/www/index.html"), format!("<h1>{s}</h1>\n")));
        files.push((format!("{s}/www/healthz"), "ok\n".to_string()));
    }
    files
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_set_on_swarm_is_one_service_each_on_one_overlay_network_reached_by_name() {
    let ctx = TestContext::swarm("dl-sswarm");
    let port = free_port();
    let files = small_set(ctx.app(), "swarm", port);
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    ctx.add_files(&files);
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let app = ctx.app();
    let services = docker(&[
        "service",
        "ls",
        "--format",
        "{{.Name}}",
        "--filter",
        &format!("label=devloop.app={app}"),
    ]);
    let mut names: Vec<&str> = services.lines().collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            format!("{app}-local-api"),
            format!("{app}-local-store"),
            format!("{app}-local-web")
        ]
    );
    let (code, body) = http_get(port, "/").expect("web answers");
    assert_eq!(code, 200);
    assert!(body.contains("<h1>web</h1>"), "{body}");
    // web reaches api, and api the store, by service name on the set's network.
    let task = docker(&["ps", "-q", "--filter", &format!("name={app}-local-web")]);
    let task = task.lines().next().expect("a web task runs");
    assert!(
        docker(&["exec", task, "wget", "-q", "-O", "-", "http://api/"]).contains("<h1>api</h1>")
    );
    let m = ctx.run(["monitor", "--check"]);
    assert_eq!(m.code, 0, "{}{}", m.stdout, m.stderr);
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn the_first_failed_build_stops_the_others_and_names_its_service() {
    let ctx = TestContext::docker("dl-sfail");
    let mut files = small_set(ctx.app(), "docker", free_port());
    for (path, text) in files.iter_mut() {
        match path.as_str() {
            "api/Dockerfile" => *text = "FROM busybox:1.36\nRUN false\n".into(),
            "web/Dockerfile" => *text = "FROM busybox:1.36\nRUN sleep 20\nCOPY www /www\n".into(),
            _ => {}
        }
    }
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    ctx.add_files(&files);
    let started = Instant::now();
    let r = ctx.run(["build", "-o", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(18),
        "web's build was not stopped"
    );
    let finished: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["event"] == "step_finished")
        .collect();
    let outcome = |step: &str| {
        finished
            .iter()
            .find(|e| e["step"] == step)
            .map(|e| {
                (
                    e["outcome"].as_str().unwrap_or("").to_string(),
                    e["message"].as_str().unwrap_or("").to_string(),
                )
            })
            .unwrap_or_default()
    };
    assert_eq!(outcome("build:api").0, "failed", "{}", r.stdout);
    let (web, why) = outcome("build:web");
    assert_eq!(web, "not run", "{}", r.stdout);
    assert!(why.contains("build:api failed"), "{why}");
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn init_on_a_compose_project_writes_a_config_that_ships_it() {
    let ctx = TestContext::docker("dl-scomp").with_port("SHOP_PORT");
    crate::support::project::copy_example("shop", ctx.path());
    ctx.remove("devloop.toml");
    ctx.commit("a compose project");
    let r = ctx.run(["init", "--name", ctx.app()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("3 services from compose.yaml"),
        "{}",
        r.stderr
    );
    ctx.commit("devloop init");
    let r = ctx.run(["ship"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let page = add_and_read(ctx.port(), "from-compose");
    assert!(page.contains("<li>from-compose</li>"), "{page}");
    let m = ctx.run(["monitor", "--check"]);
    assert_eq!(m.code, 0, "{}{}", m.stdout, m.stderr);
}
