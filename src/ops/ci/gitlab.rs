//! GitLab CI: `.gitlab-ci.yml`. Build and test jobs on every branch and merge request pipeline
//! (the JUnit report as `reports: junit`), plan jobs on merge requests, deploy jobs on the
//! default branch chained by `needs`, each an `environment:` with a `resource_group`, production
//! behind `when: manual`; AWS through GitLab's OIDC `id_tokens`, exchanged by the AWS SDK
//! (AssumeRoleWithWebIdentity) from `AWS_ROLE_ARN` and `AWS_WEB_IDENTITY_TOKEN_FILE`.

use super::model::{indent, plan_script, quoted, single_quoted, Deploy, Pipeline};
use super::model::{INSTALL, INSTALL_COMMAND, JUNIT};

pub fn render(p: &Pipeline) -> String {
    let mut y = p.commented_header("GitLab CI", "#");
    y.push_str(&format!(
        r#"#
# The jobs need a runner with a Docker daemon (a shell runner, or an image with DOCKER_HOST set to a
# docker:dind service) and, for the first install of devloop, cargo: set `default: image:` and `tags:`
# for yours.
stages:
  - build
  - test
  - plan
  - deploy

# Branch pipelines, and merge request pipelines instead of them while a merge request is open.
workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS
      when: never
    - if: $CI_COMMIT_BRANCH

variables:
  # How devloop is installed when no devloop binary is found (cached in .devloop/tools, or on the
  # runner). devloop is not published as a crate: set the CI/CD variable DEVLOOP_GIT to the git URL
  # of its source (Settings > CI/CD > Variables), or change DEVLOOP_INSTALL.
  DEVLOOP_GIT: ""
  DEVLOOP_INSTALL: {install}
  # `cargo install` puts devloop here, inside the project, where the cache can keep it.
  CARGO_INSTALL_ROOT: "$CI_PROJECT_DIR/.devloop/tools"
  # Plain lines, as under any CI; `json` prints one event per line for another tool.
  DEVLOOP_OUTPUT: text
{config}
default:
  # devloop's binary and its build caches (what makes an unchanged build a skip). devloop never
  # sends .devloop/ to the image build.
  cache:
    key: devloop
    paths:
      - .devloop/cache/
      - .devloop/tools/bin/
  before_script:
    - export PATH="$CARGO_INSTALL_ROOT/bin:$PATH"
    - |
{install_script}

build:
  stage: build
  script:
    - devloop build

test:
  stage: test
  script:
    - devloop test --junit {JUNIT}
  artifacts:
    when: always
    paths:
      - {JUNIT}
    reports:
      junit: {JUNIT}
"#,
        install = single_quoted(INSTALL_COMMAND),
        config = p.config_var(2, true),
        install_script = indent(INSTALL, 6),
    ));
    let planned: Vec<&Deploy> = p.planned().collect();
    for d in &planned {
        let script = plan_script(&d.env, |m| format!("echo \"{m}\""));
        y.push_str(&format!(
            r#"
# What merging would change on {env}; a change is news, an error fails the job.
plan-{env}:
  stage: plan
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  needs:
    - test
{aws}  script:
{credentials}    - |
{script}
"#,
            env = d.env,
            aws = aws_job(d),
            credentials = credentials(d),
            script = indent(&script, 6),
        ));
    }
    let mut previous = "test".to_string();
    for d in &p.deploys {
        let id = format!("deploy-{}", d.env);
        let (gate_comment, gate) = if d.production {
            (
                format!(
                    "# {} is production: the job waits for someone to start it (a manual job that blocks the\n# pipeline); protect the environment to choose who may.\n",
                    d.env
                ),
                "      when: manual\n      allow_failure: false\n",
            )
        } else {
            (String::new(), "")
        };
        y.push_str(&format!(
            r#"
{gate_comment}{id}:
  stage: deploy
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
{gate}  needs:
    - {previous}
  environment:
    name: {env_q}
  # One deploy of {env} at a time.
  resource_group: {group}
{aws}  script:
{credentials}    - devloop -e {env} release
    - devloop -e {env} deploy
"#,
            env = d.env,
            env_q = quoted(&d.env),
            group = quoted(&format!("devloop-{}", d.env)),
            aws = aws_job(d),
            credentials = credentials(d),
        ));
        previous = id;
    }
    y
}

/// The OIDC token (and the region, when the file names it) of a job that reaches AWS.
fn aws_job(d: &Deploy) -> String {
    if !d.aws {
        return String::new();
    }
    let mut s = String::from(
        r#"  # GitLab's OIDC token for AWS: set `aud` to the audience of the IAM identity provider.
  id_tokens:
    AWS_ID_TOKEN:
      aud: https://gitlab.com
"#,
    );
    if let Some(region) = &d.region {
        s.push_str(&format!(
            "  variables:\n    AWS_REGION: {}\n",
            quoted(region)
        ));
    }
    s
}

/// The script lines that hand the OIDC token to the AWS SDK: no key is stored anywhere.
fn credentials(d: &Deploy) -> String {
    if !d.aws {
        return String::new();
    }
    r#"    # The AWS SDK assumes AWS_ROLE_ARN with this token (AssumeRoleWithWebIdentity). Set the
    # CI/CD variable AWS_ROLE_ARN to a role that trusts this project's tokens.
    - |
      : "${AWS_ROLE_ARN:?set the CI/CD variable AWS_ROLE_ARN to the role this job assumes}"
      export AWS_WEB_IDENTITY_TOKEN_FILE="$(mktemp)"
      trap 'rm -f "$AWS_WEB_IDENTITY_TOKEN_FILE"' EXIT
      printf '%s' "$AWS_ID_TOKEN" > "$AWS_WEB_IDENTITY_TOKEN_FILE"
      export AWS_ROLE_SESSION_NAME="gitlab-$CI_PROJECT_ID-$CI_JOB_ID"
"#
    .to_string()
}
