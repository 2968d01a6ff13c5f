//! Loader behaviour on small documents: merging, interpolation and located errors.

use std::path::Path;

use super::*;

fn load(text: &str, env: Option<&str>, vars: &[(&str, &str)]) -> Result<Config> {
    let source = Source::new(
        Path::new("/p/devloop.toml"),
        text.to_string(),
        Path::new("/p"),
    );
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    load_source(source, env, &move |name| {
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
}

const BASE: &str = r#"
[app]
name = "web"
default_env = "staging"

[build]
args = { A = "1", TOKEN = { value = "${TOKEN:-s3cr3t-default}", secret = true } }

[deploy]
target = "docker"
timeout = "90s"
docker.ports = ["8080:80"]

[env.staging]
deploy.docker.ports = ["9090:80"]

[env.prod]
build.args.A = "2"
deploy.target = "swarm"
deploy.timeout = "15m"
deploy.swarm.replicas = 3
"#;

#[test]
fn default_env_is_selected_and_merged() {
    let c = load(BASE, None, &[]).unwrap();
    assert_eq!(c.env.as_deref(), Some("staging"));
    assert_eq!(c.envs, vec!["prod", "staging"]);
    assert_eq!(ports(&c), ["9090:80"]);
    assert_eq!(c.doc.deploy.timeout.unwrap().get().as_secs(), 90);
}

#[test]
fn env_overrides_deep_keys_and_keeps_the_rest() {
    let c = load(BASE, Some("prod"), &[]).unwrap();
    assert_eq!(c.target(), Some(TargetKind::Swarm));
    assert_eq!(c.doc.build.args["A"].value(), "2");
    assert_eq!(c.doc.build.args["TOKEN"].value(), "s3cr3t-default");
    assert_eq!(c.doc.deploy.swarm.as_ref().unwrap().replicas, Some(3));
    assert_eq!(c.doc.deploy.timeout.unwrap().get().as_secs(), 900);
    // Shared settings not overridden are inherited.
    assert_eq!(ports(&c), ["8080:80"]);
}

#[test]
fn secrets_are_collected_from_interpolated_values() {
    let c = load(BASE, None, &[("TOKEN", "tok-from-env")]).unwrap();
    assert_eq!(c.secrets, vec!["tok-from-env".to_string()]);
}

#[test]
fn unknown_environment_suggests_the_nearest() {
    let e = load(BASE, Some("prdo"), &[]).unwrap_err();
    assert_eq!(e.kind, crate::error::ExitKind::Usage);
    assert!(e.message.contains("did you mean \"prod\""), "{}", e.message);
}

#[test]
fn typo_in_an_unselected_environment_is_still_an_error() {
    let text = format!("{BASE}\n[env.qa]\ndeploy.tiemout = \"1m\"\n");
    let e = load(&text, Some("staging"), &[]).unwrap_err();
    let line = text.lines().position(|l| l.contains("tiemout")).unwrap() + 1;
    assert!(
        e.message.starts_with(&format!(
            "devloop.toml:{line}:8: unknown key \"tiemout\" — did you mean \"timeout\"?"
        )),
        "{}",
        e.message
    );
}

#[test]
fn unset_variable_only_matters_in_the_selected_environment() {
    let text = format!("{BASE}\n[env.qa]\ndeploy.timeout = \"${{QA_TIMEOUT}}\"\n");
    assert!(load(&text, Some("staging"), &[]).is_ok());
    let e = load(&text, Some("qa"), &[]).unwrap_err();
    assert!(
        e.message
            .contains("environment variable QA_TIMEOUT is not set"),
        "{}",
        e.message
    );
    let c = load(&text, Some("qa"), &[("QA_TIMEOUT", "2m")]).unwrap();
    assert_eq!(c.doc.deploy.timeout.unwrap().get().as_secs(), 120);
}

#[test]
fn missing_required_key_is_named() {
    let e = load("[build]\ncontext = \".\"\n", None, &[]).unwrap_err();
    assert!(e.message.contains("missing key \"app\""), "{}", e.message);
}

#[test]
fn wrong_types_are_located() {
    let e = load(
        "[app]\nname = \"a\"\n[deploy.swarm]\nreplicas = \"two\"\n",
        None,
        &[],
    )
    .unwrap_err();
    assert!(
        e.message.starts_with("devloop.toml:4:12: invalid type"),
        "{}",
        e.message
    );
}

#[test]
fn invalid_app_name_is_refused() {
    let e = load("[app]\nname = \"My App\"\n", None, &[]).unwrap_err();
    assert!(
        e.message
            .starts_with("devloop.toml:2:8: app name \"My App\""),
        "{}",
        e.message
    );
}

#[test]
fn ecs_target_requires_its_table() {
    let e = load(
        "[app]\nname = \"a\"\n[deploy]\ntarget = \"ecs\"\n",
        None,
        &[],
    )
    .unwrap_err();
    assert!(e.message.contains("needs [deploy.ecs]"), "{}", e.message);
}

#[test]
fn tests_are_validated() {
    let dup =
        "[app]\nname=\"a\"\n[[test]]\nname=\"t\"\nrun=\"x\"\n[[test]]\nname=\"t\"\nrun=\"y\"\n";
    assert!(load(dup, None, &[])
        .unwrap_err()
        .message
        .contains("duplicate test name"));
    let need = "[app]\nname=\"a\"\n[[test]]\nname=\"unit\"\nrun=\"x\"\n[[test]]\nname=\"b\"\nrun=\"y\"\nneeds=[\"unti\"]\n";
    assert!(load(need, None, &[])
        .unwrap_err()
        .message
        .contains("did you mean \"unit\""));
    let svc = "[app]\nname=\"a\"\n[[test]]\nname=\"s\"\nkind=\"service\"\n";
    assert!(load(svc, None, &[])
        .unwrap_err()
        .message
        .contains("needs `port`"));
}

#[test]
fn bad_tag_template_is_located() {
    let e = load(
        "[app]\nname=\"a\"\n[build]\ntags = [\"{short_hsa}\"]\n",
        None,
        &[],
    )
    .unwrap_err();
    assert!(e.message.starts_with("devloop.toml:4:9:"), "{}", e.message);
    assert!(
        e.message.contains("did you mean \"{short_sha}\""),
        "{}",
        e.message
    );
}

#[test]
fn discovery_walks_up_and_reports_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b");
    std::fs::create_dir_all(&nested).unwrap();
    let opts = LoadOptions {
        cwd: nested.clone(),
        ..Default::default()
    };
    let e = discover(&opts).unwrap_err();
    assert!(e.message.contains("no devloop.toml in"), "{}", e.message);
    std::fs::write(dir.path().join("devloop.toml"), "[app]\nname=\"a\"\n").unwrap();
    assert_eq!(discover(&opts).unwrap(), dir.path().join("devloop.toml"));
}

#[test]
fn build_secrets_need_exactly_one_source() {
    let ok = load(
        "[app]\nname = \"a\"\n[build.secrets]\ntoken = { env = \"TOKEN\" }\nnetrc = { file = \"~/.netrc\" }\n",
        None,
        &[],
    )
    .unwrap();
    assert_eq!(ok.doc.build.secrets.len(), 2);

    let e = load(
        "[app]\nname = \"a\"\n[build.secrets]\ntoken = { env = \"T\", file = \"f\" }\n",
        None,
        &[],
    )
    .unwrap_err();
    assert!(
        e.message
            .starts_with("devloop.toml:4:9: build secret \"token\" needs exactly one source"),
        "{}",
        e.message
    );
    let e = load(
        "[app]\nname = \"a\"\n[build.secrets]\ntoken = { evn = \"T\" }\n",
        None,
        &[],
    )
    .unwrap_err();
    assert!(
        e.message
            .starts_with("devloop.toml:4:11: unknown key \"evn\"")
            && e.message.contains("\"env\""),
        "{}",
        e.message
    );
}

fn ports(c: &Config) -> Vec<String> {
    c.doc
        .deploy
        .docker
        .as_ref()
        .unwrap()
        .ports
        .iter()
        .map(|p| p.to_string())
        .collect()
}

#[test]
fn target_settings_are_typed_when_the_config_loads() {
    let text = "[app]\nname = \"a\"\n\n[env.local]\ndeploy.target = \"docker\"\ndeploy.docker.ports = [\"80:http\"]\n";
    let err = load(text, Some("local"), &[]).unwrap_err();
    assert_eq!(err.kind, crate::error::ExitKind::Usage);
    assert!(
        err.message.starts_with("devloop.toml:6:23:"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("\"http\" is not a port number"),
        "{}",
        err.message
    );
    // The same mistake in an environment that is not selected is found too.
    let err = load(text, None, &[]).unwrap_err();
    assert!(err.message.contains("not a port number"), "{}", err.message);
    let text = "[app]\nname = \"a\"\n\n[deploy]\ntarget = \"swarm\"\nswarm.memory = \"lots\"\nswarm.update.order = \"sideways\"\n";
    let err = load(text, None, &[]).unwrap_err();
    assert!(err.message.contains("memory \"lots\""), "{}", err.message);
    let text =
        "[app]\nname = \"a\"\n\n[deploy]\ntarget = \"swarm\"\nswarm.update.order = \"sideways\"\n";
    let err = load(text, None, &[]).unwrap_err();
    assert!(err.message.contains("devloop.toml:6:22"), "{}", err.message);
    assert!(err.message.contains("start-first"), "{}", err.message);
    let text =
        "[app]\nname = \"a\"\n\n[deploy]\ntarget = \"docker\"\ndocker.stop_signal = \"SIGNOPE\"\n";
    assert!(load(text, None, &[])
        .unwrap_err()
        .message
        .contains("stop_signal"));
}
