//! `ci init`'s choices, on configs loaded as the command loads them.

use super::*;

const SHOP: &str = r#"
[app]
name = "shop"
default_env = "local"
[services.api]
build.context = "api"
[env.local]
deploy.target = "docker"
[env.prod]
deploy.target = "docker"
[env.aws]
deploy.target = "ecs"
deploy.ecs.cluster = "${CLUSTER}"
release.registry = "${REGISTRY:-ecr}"
aws.region = "eu-west-1"
"#;

fn pipeline(envs: &[&str]) -> Pipeline {
    let first = config::load_text(SHOP, None, &[]).unwrap();
    let envs: Vec<String> = if envs.is_empty() {
        default_envs(&first)
    } else {
        envs.iter().map(|e| e.to_string()).collect()
    };
    let deploys = envs
        .iter()
        .map(|e| {
            // The ECS cluster is a variable set only on the CI service: empty is enough here.
            let c = config::load_text(SHOP, Some(e), &[("CLUSTER", "")]).unwrap();
            Deploy::of(&c)
        })
        .collect();
    Pipeline {
        app: "shop".into(),
        services: vec!["api".into()],
        deploys,
        vars: config::required_vars(&config::Source::new(
            std::path::Path::new("/p/devloop.toml"),
            SHOP.to_string(),
            std::path::Path::new("/p"),
        ))
        .unwrap(),
        config_file: None,
    }
}

#[test]
fn without_env_every_environment_but_the_default_is_deployed_production_last() {
    let p = pipeline(&[]);
    let names: Vec<&str> = p.deploys.iter().map(|d| d.env.as_str()).collect();
    assert_eq!(names, ["aws", "prod"]);
    assert!(p.deploys[0].live && p.deploys[0].aws);
    assert!(!p.deploys[1].live && !p.deploys[1].aws && p.deploys[1].production);
    assert_eq!(p.region(), Some("eu-west-1"));
    // REGISTRY has a default; CLUSTER must be set on the CI service.
    assert_eq!(p.vars, ["CLUSTER"]);
    assert!(Platform::Github
        .render(&p)
        .contains("# devloop.toml reads these variables, which have no default: CLUSTER."));
}

#[test]
fn every_file_plans_the_live_environment_and_gates_production() {
    let p = pipeline(&["aws", "prod"]);
    let gh = Platform::Github.render(&p);
    assert!(gh.contains("devloop -e aws plan --exit-code"), "{gh}");
    assert!(
        gh.contains("id-token: write") && gh.contains("vars.AWS_ROLE_ARN"),
        "{gh}"
    );
    assert!(
        gh.contains("needs: deploy-aws") && gh.contains("environment: \"prod\""),
        "{gh}"
    );
    let gl = Platform::Gitlab.render(&p);
    assert!(
        gl.contains("when: manual") && gl.contains("AWS_WEB_IDENTITY_TOKEN_FILE"),
        "{gl}"
    );
    assert!(
        gl.contains("reports:\n      junit: devloop-junit.xml"),
        "{gl}"
    );
    let cb = Platform::Codebuild.render(&p);
    assert!(cb.contains("DEVLOOP_DEPLOY_ENVS: \"aws\""), "{cb}");
    assert!(cb.contains("DEVLOOP_DEPLOY_ENVS=prod"), "{cb}");
    let jf = Platform::Jenkins.render(&p);
    assert!(
        jf.contains("stage('Deploy prod')") && jf.contains("input {"),
        "{jf}"
    );
    for text in [&gh, &gl, &cb, &jf] {
        assert!(!text.contains("AWS_SECRET_ACCESS_KEY"), "{text}");
    }
}

#[test]
fn a_github_workflow_hands_devloop_the_variables_its_config_needs() {
    let p = pipeline(&["aws"]);
    assert!(p.vars.contains(&"CLUSTER".to_string()), "{:?}", p.vars);
    let y = super::github::render(&p);
    assert!(y.contains("  CLUSTER: ${{ secrets.CLUSTER }}\n"), "{y}");
}
