//! A set on Elastic Beanstalk: one environment for every service (a compose bundle) or one per
//! service, never a mix; a service of one bundle cannot set what the environment has once.

use super::*;
use crate::config::EbMode;

const HEAD: &str = "[app]\nname = \"shop\"\n[deploy]\ntarget = \"beanstalk\"\n";

#[test]
fn one_shared_environment_is_a_bundle_and_one_each_is_per_service() {
    let bundle = format!(
        "{HEAD}[deploy.beanstalk]\napplication = \"shop\"\nenvironment = \"shop-prod\"\n[services.api]\n[services.web]\nneeds = [\"api\"]\ndeploy.beanstalk.port = 8080\n"
    );
    let c = load(&bundle, None, &[]).unwrap();
    assert_eq!(c.eb_mode, Some(EbMode::Bundle));
    let each = format!(
        "{HEAD}[deploy.beanstalk]\napplication = \"shop\"\n[services.api]\ndeploy.beanstalk.environment = \"shop-api\"\n[services.web]\nneeds = [\"api\"]\ndeploy.beanstalk.environment = \"shop-web\"\n"
    );
    let c = load(&each, None, &[]).unwrap();
    assert_eq!(c.eb_mode, Some(EbMode::PerService));
    // Elastic Beanstalk matches names in any case: these are one environment.
    let case = each.replace("\"shop-web\"", "\"SHOP-API\"");
    assert_eq!(
        load(&case, None, &[]).unwrap().eb_mode,
        Some(EbMode::Bundle)
    );
    let docker = "[app]\nname = \"a\"\n[deploy]\ntarget = \"docker\"\n[services.web]\n";
    assert_eq!(load(docker, None, &[]).unwrap().eb_mode, None);
}

#[test]
fn mixed_beanstalk_environments_are_refused() {
    let mixed = format!(
        "{HEAD}[deploy.beanstalk]\napplication = \"shop\"\nenvironment = \"shop-prod\"\n[services.store]\n[services.api]\n[services.web]\ndeploy.beanstalk.environment = \"shop-web\"\n"
    );
    let e = load(&mixed, None, &[]).unwrap_err();
    assert_eq!(e.kind, crate::error::ExitKind::Usage);
    // Located at the second service that shares the environment.
    assert!(e.message.contains("devloop.toml:8:11"), "{}", e.message);
    assert!(
        e.message.contains("services.store runs in Elastic Beanstalk environment \"shop-prod\" with services.api, while services.web has an environment of its own"),
        "{}",
        e.message
    );
    assert!(e.message.contains("not a mix"), "{}", e.message);
}

#[test]
fn a_service_without_an_environment_and_a_bundle_setting_per_service_are_refused() {
    let none = format!(
        "{HEAD}[deploy.beanstalk]\napplication = \"shop\"\n[services.api]\ndeploy.beanstalk.environment = \"shop-api\"\n[services.web]\n"
    );
    let m = error_of(&none);
    assert!(m.contains("devloop.toml:9:11"), "{m}");
    assert!(
        m.contains("services.web has no Elastic Beanstalk environment"),
        "{m}"
    );
    let options = format!(
        "{HEAD}[deploy.beanstalk]\napplication = \"shop\"\nenvironment = \"shop-prod\"\n[services.api]\n[services.web]\ndeploy.beanstalk.instance_type = \"t3.large\"\n"
    );
    let m = error_of(&options);
    assert!(m.contains("devloop.toml:9:11"), "{m}");
    assert!(
        m.contains(
            "services.web sets deploy.beanstalk.instance_type differently from services.api"
        ),
        "{m}"
    );
    // Outside a set the environment is required, as before.
    let single = format!("{HEAD}[deploy.beanstalk]\napplication = \"shop\"\n");
    let m = error_of(&single);
    assert!(m.contains("devloop.toml:5:1"), "{m}");
    assert!(
        m.contains("deploy.beanstalk.environment is required"),
        "{m}"
    );
}
