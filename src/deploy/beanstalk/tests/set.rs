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
