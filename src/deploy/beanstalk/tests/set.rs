//! A set on Elastic Beanstalk: the compose file of one bundle for every service, and, with an
//! environment per service, the checkpoint a failed set goes back to (version and settings,
//! nothing created).

use std::time::{Duration, Instant};

use super::script::*;
use crate::config::schema::Health;
use crate::deploy::beanstalk::compose::{text, ComposeService};
use crate::deploy::Outcome;

fn svc(name: &str, image: &str) -> ComposeService {
    ComposeService {
        name: name.into(),
        image: image.into(),
        port: None,
        public: false,
        env: Vec::new(),
        health: None,
        needs: Vec::new(),
        command: Vec::new(),
        volumes: Vec::new(),
    }
}

fn health(toml_text: &str) -> Option<Health> {
    Some(toml::from_str(toml_text).unwrap())
}

#[test]
fn the_compose_file_pins_images_publishes_one_port_and_waits_on_health() {
    let db = ComposeService {
        command: vec!["sh".into(), "-c".into(), "echo \"hi\"; httpd -f".into()],
        volumes: vec!["shop-store:/data".into(), "/srv/x:/x".into()],
        health: health("command = \"true\"\ninterval = \"1500ms\"\nretries = 3\n"),
        ..svc("store", "busybox:1.36")
    };
    let api = ComposeService {
        port: Some(8080),
        env: vec![("STORE_URL".into(), "http://store:7000".into())],
        health: health("http = \"/healthz\"\nport = 8080\nstart_period = \"1m\"\n"),
        needs: vec![("store".into(), true)],
        ..svc("api", "reg.example/team/api@sha256:1")
    };
    let web = ComposeService {
        port: Some(3000),
        public: true,
        // A port alone is no probe compose can run: its dependents wait for it to start.
        health: health("port = 3000\n"),
        needs: vec![("api".into(), true), ("worker".into(), false)],
        ..svc("web", "reg.example/team/web@sha256:2")
    };
    let out = text(&[db, api, web], true);
    assert_eq!(
        out,
        r#"services:
  store:
    image: "busybox:1.36"
    command: ["sh","-c","echo \"hi\"; httpd -f"]
    env_file:
      - .env
    volumes:
      - "shop-store:/data"
      - "/srv/x:/x"
    healthcheck:
      test: ["CMD-SHELL","true"]
      interval: "1500ms"
      retries: 3
    restart: "unless-stopped"
  api:
    image: "reg.example/team/api@sha256:1"
    expose:
      - "8080"
    environment:
      "STORE_URL": "http://store:7000"
    env_file:
      - .env
    depends_on:
      store:
        condition: service_healthy
    healthcheck:
      test: ["CMD-SHELL","wget -q -O /dev/null http://127.0.0.1:8080/healthz || curl -fsS -o /dev/null http://127.0.0.1:8080/healthz"]
      start_period: "60s"
    restart: "unless-stopped"
  web:
    image: "reg.example/team/web@sha256:2"
    ports:
      - "80:3000"
    env_file:
      - .env
    depends_on:
      api:
        condition: service_healthy
      worker:
        condition: service_started
    restart: "unless-stopped"
volumes:
  shop-store: {}
"#
    );
}

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn restore_to_puts_the_checkpoint_version_and_settings_back_creating_nothing() {
    let eb = Eb::start("instance_type = \"t3.large\"\n").await;
    eb.script(serde_json::json!({ "updates": ["settles", "settles"], "scale": 0.5 }));
    let c = eb.clients();
    let cp = eb
        .beanstalk
        .checkpoint_with(&c)
        .await
        .unwrap()
        .expect("the environment runs a version");
    assert_eq!(cp.label, format!("version {PREV}"));
    let out = eb.deploy(Duration::from_secs(60)).await;
    assert!(matches!(out, Ok(Outcome::Deployed(_))), "{}", said(&out));
    let back = eb
        .beanstalk
        .restore_with(&c, &cp, &ctx(), Instant::now() + Duration::from_secs(60))
        .await;
    assert!(
        matches!(&back, Ok(Outcome::Deployed(m)) if m.contains(PREV)),
        "{}",
        said(&back)
    );
    let updates = eb.updates();
    assert_eq!(updates.len(), 2, "{updates:?}");
    assert_eq!(updates[0].1, ["InstanceType=t3.large"]);
    assert_eq!(
        updates[1],
        (
            PREV.to_string(),
            vec!["InstanceType=t3.micro".to_string()],
            vec![]
        )
    );
    assert_eq!(
        eb.count("CreateApplicationVersion"),
        1,
        "nothing new created"
    );
    assert_eq!(eb.state()["version_label"], PREV);
}

/// A set in one environment: `[deploy.beanstalk]` with `shared`, then `services` as written.
fn set_project(
    dir: &std::path::Path,
    shared: &str,
    services: &str,
) -> std::sync::Arc<crate::session::Session> {
    let text = format!(
        "[app]\nname = \"shop\"\n[deploy]\ntarget = \"beanstalk\"\n[deploy.beanstalk]\napplication = \"shop\"\nenvironment = \"shop-prod\"\n{shared}\n{services}"
    );
    let path = dir.join("devloop.toml");
    std::fs::write(&path, &text).unwrap();
    let source = crate::config::Source::new(&path, text, dir);
    let config = crate::config::load_source(source, None, &|_| None).unwrap();
    std::sync::Arc::new(crate::session::Session::new(
        config,
        crate::config::Ambient::from_pairs([]),
        &Default::default(),
    ))
}

/// A release of the set: each service's image in `reg.example:5000/team`, `@sha256:` unless
/// `tagged`.
fn set_record(services: &[&str], tagged: bool) -> crate::release::Record {
    let mut r = crate::release::Record::sample("");
    r.id = "20260101T000000Z-abc1234".into();
    r.format = crate::release::FORMAT_SET;
    r.services = services
        .iter()
        .map(|s| {
            serde_json::from_value(serde_json::json!({
                "service": s,
                "image": if tagged { format!("reg.example:5000/team/{s}:v1") } else { format!("reg.example:5000/team/{s}@sha256:{}", "d".repeat(64)) },
                "image_id": "sha256:1", "registry": "reg.example:5000/team",
                "repository": format!("reg.example:5000/team/{s}"), "tags": [], "moving_tags": [],
                "build_digest": null,
            }))
            .unwrap()
        })
        .collect();
    r
}

const API_WEB: &str = "[services.api]\ndeploy.health.http = \"/healthz\"\ndeploy.health.port = 8080\n[services.web]\nneeds = [\"api\"]\ndeploy.health.http = \"/healthz\"\ndeploy.health.port = 80\n";

#[test]
fn host_port_80_goes_to_the_service_nothing_needs_unless_one_service_sets_its_port() {
    use crate::deploy::beanstalk::set::prepare;
    let dir = tempfile::tempdir().unwrap();
    let r = set_record(&["api", "web"], false);
    let set = prepare(&set_project(dir.path(), "", API_WEB), Some(&r)).unwrap();
    assert!(set
        .compose
        .contains("  web:\n    image: \"reg.example:5000/team/web@sha256:"));
    assert!(
        set.compose.contains("    ports:\n      - \"80:80\"\n"),
        "{}",
        set.compose
    );
    assert!(
        set.compose.contains("    expose:\n      - \"8080\"\n"),
        "{}",
        set.compose
    );
    assert!(set.unpinned.is_empty());

    let api_public = API_WEB.replace(
        "[services.web]",
        "deploy.beanstalk.port = 3000\n[services.web]",
    );
    let set = prepare(&set_project(dir.path(), "", &api_public), Some(&r)).unwrap();
    assert!(
        set.compose.contains("    ports:\n      - \"80:3000\"\n"),
        "{}",
        set.compose
    );
    assert_eq!(set.compose.matches("ports:").count(), 1, "{}", set.compose);

    let two = format!("{API_WEB}[services.worker]\n");
    let r3 = set_record(&["api", "web", "worker"], false);
    let e = prepare(&set_project(dir.path(), "", &two), Some(&r3))
        .err()
        .unwrap();
    assert!(
        e.message.contains("cannot tell which service"),
        "{}",
        e.message
    );
    assert!(e.message.contains("(web, worker)"), "{}", e.message);

    // A release whose image is not pinned by digest is refused.
    let tagged = set_record(&["api", "web"], true);
    let e = prepare(&set_project(dir.path(), "", API_WEB), Some(&tagged))
        .err()
        .unwrap();
    assert!(e.message.contains("not pinned by digest"), "{}", e.message);
}

#[test]
fn shared_values_are_environment_properties_and_a_services_own_go_into_its_compose() {
    use crate::deploy::beanstalk::set::prepare;
    let dir = tempfile::tempdir().unwrap();
    let shared = "env = { A = \"1\", KEY = { value = \"s3cr3t\", secret = true } }\n";
    let own = API_WEB.replace(
        "[services.web]\n",
        "deploy.beanstalk.env.A = \"2\"\n[services.web]\ndeploy.beanstalk.env.B = \"3\"\n",
    );
    let r = set_record(&["api", "web"], false);
    let set = prepare(&set_project(dir.path(), shared, &own), Some(&r)).unwrap();
    // KEY is everyone's: an environment property; A differs, so each service has its own.
    let props: Vec<&String> = set.eb.settings.env.keys().collect();
    assert_eq!(props, ["KEY"]);
    let api = &set.services[0];
    let web = &set.services[1];
    assert_eq!(api.env, [("A".to_string(), "2".to_string())]);
    assert_eq!(
        web.env,
        [
            ("A".to_string(), "1".to_string()),
            ("B".to_string(), "3".to_string())
        ]
    );
    assert!(!set.compose.contains("s3cr3t"), "{}", set.compose);
    assert_eq!(set.compose.matches("- .env").count(), 2, "{}", set.compose);

    let secret = API_WEB.replace(
        "[services.web]\n",
        "[services.web]\ndeploy.beanstalk.env.T = { value = \"only-web\", secret = true }\n",
    );
    let e = prepare(&set_project(dir.path(), "", &secret), Some(&r))
        .err()
        .unwrap();
    assert!(
        e.message
            .contains("services.web.deploy.beanstalk.env.T is secret"),
        "{}",
        e.message
    );
    assert!(!e.message.contains("only-web"));
}
