//! Environments: the default one selected, `[env.<name>]` merged over the shared settings,
//! `${VAR}` expanded only where it is selected, and mistakes in any environment found.

use super::*;

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
