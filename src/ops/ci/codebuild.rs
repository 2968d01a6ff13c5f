//! AWS CodeBuild: `buildspec.yml` (version 0.2). One build: devloop build and test (the JUnit
//! report as a CodeBuild report group), then a plan of the live environments on pull-request
//! builds or the deploys on the main branch. Credentials are the project's service role. A manual
//! approval is a CodePipeline action, outside any buildspec: production is left out of the
//! deploys and the file says how to run it behind that approval.

use super::model::{indent, plan_script, quoted, single_quoted, Pipeline};
use super::model::{INSTALL, INSTALL_COMMAND, JUNIT};

pub fn render(p: &Pipeline) -> String {
    let mut y = String::from("version: 0.2\n\n");
    y.push_str(&p.commented_header("AWS CodeBuild", "#"));
    let deployed = p.gated(false);
    let gated = p.gated(true);
    let planned: Vec<&str> = p.planned().map(|d| d.env.as_str()).collect();
    y.push_str(
        r#"#
# AWS credentials are the CodeBuild project's service role: nothing to configure here, and no key
# in this file. The role needs what the deploys do (ECR, ECS or Elastic Beanstalk, S3 for a ledger).
# The build needs a Docker daemon: turn on privileged mode in the project's environment.
"#,
    );
    if !gated.is_empty() {
        y.push_str(&format!(
            r#"#
# {list} is production and is not deployed by this build: a manual approval is a CodePipeline
# approval action, outside any buildspec. In a CodePipeline, add after this build an approval
# action, then a CodeBuild action with this same buildspec and the environment variable
# DEVLOOP_DEPLOY_ENVS={env_var} (and the source of the approved commit).
"#,
            list = gated.join(", "),
            env_var = gated.join(" "),
        ));
    }
    y.push_str(&format!(
        r#"
env:
  shell: bash
  variables:
    # How devloop is installed when no devloop binary is found (cached, or in the build image).
    # devloop is not published as a crate: set DEVLOOP_GIT to the git URL of its source, or change
    # DEVLOOP_INSTALL.
    DEVLOOP_GIT: ""
    DEVLOOP_INSTALL: {install}
    # Plain lines, as under any CI; `json` prints one event per line for another tool.
    DEVLOOP_OUTPUT: text
{config}    # Builds of this branch (or started by CodePipeline or by hand) release and deploy.
    DEVLOOP_MAIN_BRANCH: main
    # The environments deployed there, in this order (space-separated).
    DEVLOOP_DEPLOY_ENVS: {deployed}
    # The environments whose plan pull-request builds show (their targets have live state).
    DEVLOOP_PLAN_ENVS: {planned}

phases:
  install:
    commands:
      - export PATH="$HOME/.cargo/bin:$PATH"
      - |
{install_script}
  build:
    commands:
      - devloop build
      - devloop test --junit {JUNIT}
      - |
        (
          set -e
          case "${{CODEBUILD_WEBHOOK_TRIGGER:-}}" in
            pr/*)
              for env in $DEVLOOP_PLAN_ENVS; do
{plan}
              done
              ;;
            "" | "branch/$DEVLOOP_MAIN_BRANCH")
              for env in $DEVLOOP_DEPLOY_ENVS; do
                devloop -e "$env" release
                devloop -e "$env" deploy
              done
              ;;
            *)
              echo "$CODEBUILD_WEBHOOK_TRIGGER is not $DEVLOOP_MAIN_BRANCH: nothing is deployed"
              ;;
          esac
        )

# The tests as a CodeBuild report group (JUnit XML).
reports:
  devloop-tests:
    files:
      - {JUNIT}
    file-format: JUNITXML

# devloop's binary and its build caches (what makes an unchanged build a skip); turn on an S3 or
# local (custom) cache in the project for them to be kept. A local cache keeps directories only,
# so the whole of ~/.cargo/bin is named.
cache:
  paths:
    - /root/.cargo/bin/**/*
    - .devloop/cache/**/*
"#,
        install = single_quoted(INSTALL_COMMAND),
        config = p.config_var(4, true),
        install_script = indent(INSTALL, 8),
        deployed = quoted(&deployed.join(" ")),
        planned = quoted(&planned.join(" ")),
        plan = indent(
            &plan_script("\"$env\"", |m| format!("echo \"{}\"", m.replace('"', ""))),
            16
        ),
    ));
    y
}
