//! A task definition template in the units people write ("1 vCPU", "2 GB"), deployed twice
//! against the AWS peer: the second deploy registers nothing.

use serde_json::json;

use super::fixture::{record, within, Fixture, NEW_IMAGE, SCALE};
use crate::deploy::Outcome;

/// A template in the units people write ("1 vCPU", "2 GB") and without the fields ECS fills in.
const TEMPLATE: &str = r#"{
  "family": "web",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "1 vCPU",
  "memory": "2 GB",
  "containerDefinitions": [
    {
      "name": "app",
      "portMappings": [{ "containerPort": 8080 }],
      "environment": [{ "name": "MODE", "value": "prod" }]
    }
  ]
}
"#;

#[cfg_attr(devloop_no_moto, ignore = "needs moto: run scripts/services.sh")]
#[tokio::test]
async fn an_identical_redeploy_from_a_template_in_ecs_units_registers_nothing() {
    let f = Fixture::new(
        "same-web",
        "task_definition = \"ecs/taskdef.json\"\n",
        &[("ecs/taskdef.json", TEMPLATE)],
    )
    .await;
    f.script(json!(["completes"]), SCALE);
    let ecs = f.ecs();
    let first = f.deploy(&ecs, &record(), &within(30)).await.unwrap();
    assert!(
        matches!(first, Outcome::Deployed(ref m) if m.contains("web:2")),
        "{first:?}"
    );
    // ECS stored the revision in its own form.
    let stored = f
        .client
        .describe_task_definition()
        .task_definition(f.revision(2))
        .send()
        .await
        .unwrap()
        .task_definition
        .unwrap();
    assert_eq!(
        (stored.cpu(), stored.memory()),
        (Some("1024"), Some("2048"))
    );
    let port = &stored.container_definitions()[0].port_mappings()[0];
    assert_eq!(port.host_port(), Some(8080));

    let second = f.deploy(&ecs, &record(), &within(30)).await.unwrap();
    match &second {
        Outcome::Unchanged(m) => assert!(m.contains("nothing registered"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        f.count("RegisterTaskDefinition"),
        2,
        "setup's and the first deploy's"
    );
    assert_eq!(f.count("UpdateService"), 1);
    // `plan` compares the same way: no change, and both sides render alike (no diff text).
    let live = ecs.live(&f.client).await.unwrap();
    let proposed = ecs.proposed(&ecs.base(&live.task_def).unwrap(), NEW_IMAGE);
    assert!(ecs.same_as_live(&live.task_def, &proposed));
    assert_eq!(
        crate::deploy::ecs::Ecs::render(&live.task_def),
        crate::deploy::ecs::Ecs::render(&proposed)
    );
    // A changed template is a change again.
    let changed = TEMPLATE.replace("\"2 GB\"", "\"4 GB\"");
    std::fs::write(f.dir.path().join("ecs/taskdef.json"), changed).unwrap();
    let proposed = ecs.proposed(&ecs.base(&live.task_def).unwrap(), NEW_IMAGE);
    assert!(!ecs.same_as_live(&live.task_def, &proposed));
}
