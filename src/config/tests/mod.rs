//! Loader behaviour on small documents: merging, interpolation and located errors, one module per
//! topic, sharing the loader and the documents below.

mod beanstalk_sets;
mod envs;
mod located;
mod notify;
mod sections;
mod services;
mod typed_values;

use super::*;

fn load(text: &str, env: Option<&str>, vars: &[(&str, &str)]) -> Result<Config> {
    super::load_text(text, env, vars)
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

/// The message of the error loading `text`, which must fail.
fn error_of(text: &str) -> String {
    load(text, None, &[]).unwrap_err().message
}

const DOCKER: &str = "[app]\nname = \"a\"\n[deploy]\ntarget = \"docker\"\n";
