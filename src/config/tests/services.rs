//! `[services.<name>]`: each service's settings merged over the shared ones, environments that
//! override or leave out a service, the graph's order, and its mistakes located.

use super::*;

const SHOP: &str = r#"
[app]
name = "shop"
default_env = "local"

[deploy]
timeout = "2m"
health.http = "/healthz"
health.port = 80

[services.web]
needs = ["api"]
build.context = "web"
deploy.docker.ports = ["8080:80"]

[services.store]
image = "busybox:1.36"
deploy.docker.volumes = ["shop-store:/data"]
deploy.docker.command = ["sh", "-c", "httpd -f"]

[services.api]
needs = ["store"]
build.context = "api"
deploy.health.port = 8080

[[services.api.test]]
name = "unit"
kind = "image"
run = "true"

[[test]]
name = "through"
kind = "stack"
run = "true"

[env.local]
deploy.target = "docker"

[env.prod]
deploy.target = "docker"
services.store.enabled = false
services.api.deploy.docker.env = { STORE_URL = "http://db:7000" }
"#;

fn service<'a>(c: &'a Config, name: &str) -> &'a Service {
    c.services.iter().find(|s| s.name == name).unwrap()
}

#[test]
fn services_start_after_what_they_need_and_inherit_the_shared_settings() {
    let c = load(SHOP, None, &[]).unwrap();
    assert!(c.multi);
    let order: Vec<&str> = c.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(order, ["store", "api", "web"]);
    let api = service(&c, "api");
    assert_eq!(api.needs, ["store"]);
    assert_eq!(api.doc.build.context, "api");
    // Its own health port over the shared one; the shared path and timeout inherited.
    assert_eq!(api.doc.deploy.health.port, Some(8080));
    assert_eq!(api.doc.deploy.health.http.as_deref(), Some("/healthz"));
    assert_eq!(api.doc.deploy.timeout.unwrap().get().as_secs(), 120);
    assert_eq!(api.doc.tests.len(), 1);
    // The app's tests stay the app's.
    assert_eq!(c.doc.tests[0].name.get_ref(), "through");
    assert!(service(&c, "web").doc.tests.is_empty());
    let store = service(&c, "store");
    assert!(store.is_dependency());
    assert_eq!(
        store.doc.deploy.docker.as_ref().unwrap().command.as_deref(),
        Some(&["sh".to_string(), "-c".into(), "httpd -f".into()][..])
    );
}

#[test]
fn a_view_of_one_service_names_its_image_and_container_after_it() {
    let c = load(SHOP, None, &[]).unwrap();
    let api = c.for_service("api").unwrap();
    assert_eq!(api.image_name(), "shop-api");
    assert_eq!(api.deployment_name(), "shop-local-api");
    assert_eq!(api.context_dir(), std::path::Path::new("/p/api"));
    assert_eq!(c.deployment_name(), "shop-local");
    assert!(c.for_service("nope").is_none());
}

#[test]
fn an_environment_overrides_a_service_and_leaves_one_out() {
    let c = load(SHOP, Some("prod"), &[]).unwrap();
    let order: Vec<&str> = c.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(order, ["api", "web"]);
    assert_eq!(c.disabled, ["store"]);
    // What it needed is provided elsewhere in this environment.
    assert!(service(&c, "api").needs.is_empty());
    let env = &service(&c, "api").doc.deploy.docker.as_ref().unwrap().env;
    assert_eq!(env["STORE_URL"].value(), "http://db:7000");
}

#[test]
fn a_file_without_services_is_one_service_named_after_the_app() {
    let c = load(DOCKER, None, &[]).unwrap();
    assert!(!c.multi);
    assert_eq!(c.services.len(), 1);
    assert_eq!(c.services[0].name, "a");
    assert_eq!(c.image_name(), "a");
    assert_eq!(c.deployment_name(), "a-default");
}

#[test]
fn graph_mistakes_are_located_and_named() {
    let cycle = "[app]\nname = \"a\"\n[services.web]\nneeds = [\"api\"]\n[services.api]\nneeds = [\"web\"]\n";
    let e = load(cycle, None, &[]).unwrap_err();
    assert_eq!(e.kind, crate::error::ExitKind::Usage);
    assert!(e.message.contains("devloop.toml:4:10"), "{}", e.message);
    assert!(e.message.contains("api → web → api"), "{}", e.message);

    let unknown = "[app]\nname = \"a\"\n[services.web]\nneeds = [\"apii\"]\n[services.api]\n";
    let m = error_of(unknown);
    assert!(m.contains("devloop.toml:4:10"), "{m}");
    assert!(m.contains("unknown service \"apii\""), "{m}");
    assert!(m.contains("did you mean \"api\""), "{m}");

    let port = "[app]\nname = \"a\"\n[services.web]\ndeploy.docker.ports = [\"80:80\"]\n[services.api]\ndeploy.docker.ports = [\"80:8080\"]\n";
    let m = error_of(port);
    assert!(m.contains("host port 80/tcp"), "{m}");
    assert!(
        m.contains("devloop.toml:4:24") || m.contains("devloop.toml:6:24"),
        "{m}"
    );

    let key = "[app]\nname = \"a\"\n[services.web]\nimgae = \"x\"\n";
    let m = error_of(key);
    assert!(
        m.contains("devloop.toml:4:1") && m.contains("did you mean \"image\""),
        "{m}"
    );

    let typo = "[app]\nname = \"a\"\n[services.web]\nbuild.contxt = \"web\"\n";
    let m = error_of(typo);
    assert!(
        m.contains("devloop.toml:4:7") && m.contains("contxt"),
        "{m}"
    );

    let both =
        "[app]\nname = \"a\"\n[services.db]\nimage = \"postgres:16\"\nbuild.context = \"db\"\n";
    assert!(error_of(both).contains("both image and build"));

    let name = "[app]\nname = \"a\"\n[services.Web]\n";
    assert!(error_of(name).contains("service name \"Web\""));
}

#[test]
fn test_kinds_are_written_where_they_belong() {
    let stack_alone =
        "[app]\nname = \"a\"\n[[test]]\nname = \"s\"\nkind = \"stack\"\nrun = \"true\"\n";
    assert!(error_of(stack_alone).contains("needs [services.<name>] tables"));
    let image_top = "[app]\nname = \"a\"\n[services.web]\n[[test]]\nname = \"i\"\nkind = \"image\"\nrun = \"true\"\n";
    assert!(error_of(image_top).contains("[[services.<name>.test]]"));
    let stack_in = "[app]\nname = \"a\"\n[services.web]\n[[services.web.test]]\nname = \"s\"\nkind = \"stack\"\nrun = \"true\"\n";
    assert!(error_of(stack_in).contains("top-level [[test]]"));
}

#[test]
fn every_environment_is_checked_even_when_not_selected() {
    let text = "[app]\nname = \"a\"\n[services.web]\n[env.prod.services.web]\nenabeld = false\n";
    let m = error_of(text);
    assert!(m.contains("unknown key \"enabeld\""), "{m}");
    let all_off = "[app]\nname = \"a\"\n[services.web]\nenabled = false\n";
    assert!(error_of(all_off).contains("disables every service"));
}

#[test]
fn a_set_has_one_target_and_names_of_its_own() {
    let mixed = "[app]\nname = \"a\"\n[deploy]\ntarget = \"docker\"\n[services.web]\n[services.api]\ndeploy.target = \"ecs\"\ndeploy.ecs = { cluster = \"c\", service = \"s\" }\n";
    let m = error_of(mixed);
    assert!(
        m.contains("devloop.toml:7:17") && m.contains("a set deploys to one target"),
        "{m}"
    );
    let set_name = "[app]\nname = \"a\"\n[services.web]\ndeploy.docker.name = \"a-default\"\n";
    assert!(error_of(set_name).contains("the name of the set itself"));
}

#[test]
fn an_environment_overrides_only_services_the_file_defines() {
    let typo = "[app]\nname = \"a\"\n[services.web]\n[services.api]\n[env.prod.services.apii]\nenabled = false\n";
    let m = error_of(typo);
    assert!(m.contains("devloop.toml:5:20"), "{m}");
    assert!(m.contains("did you mean \"api\""), "{m}");
    let none = "[app]\nname = \"a\"\n[env.prod.services.api]\nenabled = false\n";
    assert!(error_of(none).contains("the file defines none"));
}

#[test]
fn a_port_set_through_a_variable_is_checked_once_expanded() {
    let text = "[app]\nname = \"a\"\n[services.web]\ndeploy.docker.ports = [\"${PORT:-8080}:80\"]\n[services.api]\ndeploy.docker.ports = [\"8080:8080\"]\n";
    let m = error_of(text);
    assert!(m.contains("host port 8080/tcp"), "{m}");
}

#[test]
fn each_service_of_a_set_is_an_ecs_service_of_its_own() {
    let base =
        "[app]\nname = \"shop\"\n[deploy]\ntarget = \"ecs\"\n[deploy.ecs]\ncluster = \"main\"\n";
    let text = format!("{base}[services.api]\n[services.web]\nneeds = [\"api\"]\ndeploy.ecs.service = \"frontend\"\n");
    let config = load(&text, None, &[]).unwrap();
    let api = config.for_service("api").unwrap();
    let ecs = api.doc.deploy.ecs.as_ref().unwrap();
    assert_eq!(
        (ecs.cluster.as_str(), ecs.service.as_str()),
        ("main", "shop-default-api")
    );
    let web = config.for_service("web").unwrap();
    assert_eq!(web.doc.deploy.ecs.as_ref().unwrap().service, "frontend");

    // A service written in the shared table would put both on one ECS service.
    let shared = "[app]\nname = \"shop\"\n[deploy]\ntarget = \"ecs\"\n[deploy.ecs]\ncluster = \"main\"\nservice = \"shop\"\n[services.api]\n[services.web]\n";
    let m = error_of(shared);
    assert!(m.contains("devloop.toml:9:11"), "{m}");
    assert!(
        m.contains("services \"api\" and \"web\" would both deploy to ECS service main/shop"),
        "{m}"
    );
    // A file of one service still names its ECS service.
    let one =
        "[app]\nname = \"shop\"\n[deploy]\ntarget = \"ecs\"\n[deploy.ecs]\ncluster = \"main\"\n";
    let m = error_of(one);
    assert!(
        m.contains("devloop.toml:5:1: missing key \"service\" in [deploy.ecs]"),
        "{m}"
    );
}

#[test]
fn each_built_service_of_a_set_is_released_to_a_repository_of_its_own() {
    // The shared release.repository would take every service's tags.
    let shared = "[app]\nname = \"shop\"\n[release]\nrepository = \"shop\"\n[services.api]\n[services.web]\n[services.store]\nimage = \"busybox:1.36\"\n";
    let e = load(shared, None, &[]).unwrap_err();
    let m = e.message;
    assert!(m.contains("devloop.toml:4:14"), "{m}");
    assert!(
        m.contains("services.api and services.web would both be released to repository \"shop\" (release.repository names one repository for the whole set)"),
        "{m}"
    );
    let hint = e.hint.unwrap_or_default();
    assert!(hint.contains("remove release.repository"), "{hint}");
    // So would an image named in the shared [build], located where it is written.
    let image =
        "[app]\nname = \"shop\"\n[build]\nimage = \"shop\"\n[services.api]\n[services.web]\n";
    let e = load(image, None, &[]).unwrap_err();
    assert!(e.message.contains("devloop.toml:4:9"), "{}", e.message);
    assert!(
        e.message.contains("(both images have that name)"),
        "{}",
        e.message
    );
    let hint = e.hint.unwrap_or_default();
    assert!(hint.contains("[services.web.build] image"), "{hint}");
    // Each service's own image name, or one dependency beside a built service, is fine.
    let own = "[app]\nname = \"shop\"\n[services.api]\nbuild.image = \"shop-backend\"\n[services.web]\n[services.store]\nimage = \"busybox:1.36\"\n";
    let config = load(own, None, &[]).unwrap();
    assert_eq!(
        config.for_service("api").unwrap().release_repository(),
        "shop-backend"
    );
    assert_eq!(
        config.for_service("web").unwrap().release_repository(),
        "shop-web"
    );
}
