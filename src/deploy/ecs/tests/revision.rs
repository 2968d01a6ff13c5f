//! A task definition compared in the form ECS stores it: a template written in the units people
//! write ("1 vCPU", "2 GB") and without the fields ECS fills in is the same as the revision ECS
//! registered from it; a real change is not.

use std::sync::Arc;

use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, HealthCheck, KeyValuePair, NetworkMode, PortMapping,
    TaskDefinition, TransportProtocol,
};

use crate::deploy::ecs::revision::canonical;
use crate::deploy::ecs::{template, Ecs};
use crate::session::Session;

const IMAGE: &str = "reg.example/team/web@sha256:2222222222222222";

const TEMPLATE: &str = r#"{
  "family": "web",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "1 vCPU",
  "memory": "2 GB",
  "containerDefinitions": [
    {
      "name": "app",
      "image": "reg.example/team/web@sha256:2222222222222222",
      "portMappings": [{ "containerPort": 8080 }],
      "environment": [{ "name": "B", "value": "2" }, { "name": "A", "value": "1" }],
      "healthCheck": { "command": ["CMD-SHELL", "true"] }
    }
  ]
}
"#;

/// The template as read by devloop.
fn template(text: &str) -> TaskDefinition {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("taskdef.json");
    std::fs::write(&path, text).unwrap();
    template::load(&path, "taskdef.json").unwrap()
}

/// What DescribeTaskDefinition gives back for that template once ECS registered it: units in
/// numbers, the container's defaults filled in, empty lists where nothing was set.
fn live(image: &str, memory: &str) -> TaskDefinition {
    TaskDefinition::builder()
        .task_definition_arn("arn:aws:ecs:us-east-1:123456789012:task-definition/web:2")
        .family("web")
        .revision(2)
        .status("ACTIVE".into())
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .compatibilities(Compatibility::Ec2)
        .compatibilities(Compatibility::Fargate)
        .cpu("1024")
        .memory(memory)
        .set_volumes(Some(vec![]))
        .set_placement_constraints(Some(vec![]))
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image(image)
                .cpu(0)
                .essential(true)
                .port_mappings(
                    PortMapping::builder()
                        .container_port(8080)
                        .host_port(8080)
                        .protocol(TransportProtocol::Tcp)
                        .build(),
                )
                .environment(KeyValuePair::builder().name("A").value("1").build())
                .environment(KeyValuePair::builder().name("B").value("2").build())
                .set_mount_points(Some(vec![]))
                .set_volumes_from(Some(vec![]))
                .set_system_controls(Some(vec![]))
                .health_check(
                    HealthCheck::builder()
                        .command("CMD-SHELL")
                        .command("true")
                        .interval(30)
                        .timeout(5)
                        .retries(3)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .build()
}

fn ecs() -> Ecs {
    let text = "[app]\nname = \"web\"\n[deploy]\ntarget = \"ecs\"\n[deploy.ecs]\ncluster = \"main\"\nservice = \"web\"\ncontainer = \"app\"\n";
    let source = crate::config::Source::new(
        std::path::Path::new("/nonexistent/devloop.toml"),
        text.to_string(),
        std::path::Path::new("/nonexistent"),
    );
    let config = crate::config::load_source(source, None, &|_| None).unwrap();
    Ecs::new(Arc::new(Session::new(
        config,
        crate::config::Ambient::from_pairs([]),
        &Default::default(),
    )))
    .unwrap()
}

#[test]
fn a_template_in_ecs_units_is_the_revision_ecs_stored_from_it() {
    let tpl = template(TEMPLATE);
    let c = canonical(&tpl);
    assert_eq!((c.cpu(), c.memory()), (Some("1024"), Some("2048")));
    let port = &c.container_definitions()[0].port_mappings()[0];
    assert_eq!(
        port.host_port(),
        Some(8080),
        "awsvpc: hostPort = containerPort"
    );
    assert_eq!(port.protocol(), Some(&TransportProtocol::Tcp));
    assert_eq!(c.container_definitions()[0].essential(), Some(true));

    let ecs = ecs();
    assert!(ecs.same_as_live(&live(IMAGE, "2048"), &tpl));
    assert_eq!(Ecs::render(&live(IMAGE, "2048")), Ecs::render(&tpl));
    // What devloop would register from it for the same image: the same again.
    let proposed = ecs.proposed(&tpl, IMAGE);
    assert!(ecs.same_as_live(&live(IMAGE, "2048"), &proposed));
}

#[test]
fn fractions_and_any_spelling_of_the_units_are_read_as_ecs_reads_them() {
    for (cpu, memory, units, mib) in [
        (".5 vCPU", "0.5GB", "512", "512"),
        ("2 vcpu", "4 gb", "2048", "4096"),
        ("0.25 VCPU", "512", "256", "512"),
        ("256", "1 GB", "256", "1024"),
    ] {
        let t = TaskDefinition::builder().cpu(cpu).memory(memory).build();
        let c = canonical(&t);
        assert_eq!(
            (c.cpu(), c.memory()),
            (Some(units), Some(mib)),
            "{cpu} {memory}"
        );
    }
}

#[test]
fn a_real_change_is_never_taken_for_the_same_revision() {
    let ecs = ecs();
    let tpl = template(TEMPLATE);
    // Another image, more memory, another environment value, another port.
    assert!(!ecs.same_as_live(&live("reg.example/team/web@sha256:3333", "2048"), &tpl));
    assert!(!ecs.same_as_live(&live(IMAGE, "3072"), &tpl));
    let env = template(&TEMPLATE.replace("\"value\": \"2\"", "\"value\": \"3\""));
    assert!(!ecs.same_as_live(&live(IMAGE, "2048"), &env));
    let port = template(&TEMPLATE.replace(
        "{ \"containerPort\": 8080 }",
        "{ \"containerPort\": 8080, \"hostPort\": 9090 }",
    ));
    assert!(!ecs.same_as_live(&live(IMAGE, "2048"), &port));
    let udp = template(&TEMPLATE.replace(
        "{ \"containerPort\": 8080 }",
        "{ \"containerPort\": 8080, \"protocol\": \"udp\" }",
    ));
    assert!(!ecs.same_as_live(&live(IMAGE, "2048"), &udp));
    let not_essential = template(&TEMPLATE.replace(
        "\"name\": \"app\",",
        "\"name\": \"app\",\n      \"essential\": false,",
    ));
    assert!(!ecs.same_as_live(&live(IMAGE, "2048"), &not_essential));
    let health = template(&TEMPLATE.replace(
        "\"command\": [\"CMD-SHELL\", \"true\"] }",
        "\"command\": [\"CMD-SHELL\", \"true\"], \"interval\": 10 }",
    ));
    assert!(!ecs.same_as_live(&live(IMAGE, "2048"), &health));
    let cpu = template(&TEMPLATE.replace(
        "\"name\": \"app\",",
        "\"name\": \"app\",\n      \"cpu\": 256,",
    ));
    assert!(!ecs.same_as_live(&live(IMAGE, "2048"), &cpu));
}
