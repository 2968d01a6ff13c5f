//! GitHub Actions: `.github/workflows/devloop.yml`. Build and test in one job on every push and
//! pull request; a plan job on pull requests; one deploy job per environment on the default
//! branch, chained in order, each in its GitHub environment (where required reviewers make the
//! approval gate); AWS through OIDC (`id-token: write` and a role to assume).

use super::model::{indent, plan_script, quoted, single_quoted, Deploy, Pipeline};
use super::model::{INSTALL, INSTALL_COMMAND, JUNIT};

const ON_MAIN: &str =
    "github.event_name == 'push' && github.ref == format('refs/heads/{0}', github.event.repository.default_branch)";

pub fn render(p: &Pipeline) -> String {
    let mut y = p.commented_header("GitHub Actions", "#");
    y.push_str(&format!(
        r#"#
# Under GitHub Actions devloop folds each step's output into a group, annotates failures on their
# line, and writes a table of its steps to the job summary ($GITHUB_STEP_SUMMARY) by itself.
name: devloop

on:
  push:
  pull_request:

permissions:
  contents: read

env:
  # How devloop is installed when the runner has no devloop binary (cached or not). devloop is not
  # published as a crate: set the repository variable DEVLOOP_GIT to the git URL of its source
  # (Settings > Secrets and variables > Actions > Variables), or change DEVLOOP_INSTALL.
  DEVLOOP_GIT: ${{{{ vars.DEVLOOP_GIT }}}}
  DEVLOOP_INSTALL: {install}
  # Plain lines, as under any CI; `json` prints one event per line for another tool.
  DEVLOOP_OUTPUT: text
{config}{vars}
jobs:
  test:
    name: build and test
    runs-on: ubuntu-latest
    steps:
{setup}
      - name: build
        run: devloop build
      - name: test
        run: devloop test --junit {JUNIT}
      - name: upload the JUnit report
        if: ${{{{ !cancelled() }}}}
        uses: actions/upload-artifact@v4
        with:
          name: devloop-junit
          path: {JUNIT}
          if-no-files-found: ignore
"#,
        install = single_quoted(INSTALL_COMMAND),
        config = p.config_var(2, true),
        vars = secrets(p),
        setup = setup(false, None),
    ));
    let planned: Vec<&Deploy> = p.planned().collect();
    if !planned.is_empty() {
        y.push_str(&format!(
            r#"
  # What merging would change on the targets with live state; a change is a notice, an error fails.
  plan:
    name: plan
    if: github.event_name == 'pull_request'
    needs: test
    runs-on: ubuntu-latest
    permissions:
      contents: read
      id-token: write
    steps:
{setup}
"#,
            setup = setup(true, p.region()),
        ));
        for d in &planned {
            let script = plan_script(&d.env, |m| {
                format!("echo \"::notice title=devloop plan {}::{m}\"", d.env)
            });
            y.push_str(&format!(
                "      - name: plan {env}\n        run: |\n{script}\n",
                env = d.env,
                script = indent(&script, 10)
            ));
        }
    }
    let mut previous = "test".to_string();
    for d in &p.deploys {
        let id = format!("deploy-{}", d.env);
        let gate = if d.production {
            format!(
                "  # {env} is production: add required reviewers to the GitHub environment {env}\n  # (Settings > Environments) and this job waits for their approval.\n",
                env = d.env
            )
        } else {
            String::new()
        };
        let permissions = if d.aws {
            "    permissions:\n      contents: read\n      id-token: write\n"
        } else {
            ""
        };
        y.push_str(&format!(
            r#"
{gate}  {id}:
    name: deploy {env}
    if: {ON_MAIN}
    needs: {previous}
    runs-on: ubuntu-latest
    environment: {env_q}
    # One deploy of {env} at a time; a newer one waits for the running one to finish.
    concurrency:
      group: {group}
      cancel-in-progress: false
{permissions}    steps:
{setup}
      - name: release
        run: devloop -e {env} release
      - name: deploy
        run: devloop -e {env} deploy
"#,
            env = d.env,
            env_q = quoted(&d.env),
            group = quoted(&format!("devloop-deploy-{}", d.env)),
            setup = setup(d.aws, d.region.as_deref()),
        ));
        previous = id;
    }
    y
}

/// The steps every job starts with: the checkout, the caches, devloop, and AWS credentials
/// when the job needs them.
fn setup(aws: bool, region: Option<&str>) -> String {
    let mut s = format!(
        r#"      - uses: actions/checkout@v4
      # devloop's binary, kept until DEVLOOP_GIT changes.
      - name: cache devloop
        uses: actions/cache@v4
        with:
          path: ~/.cargo/bin/devloop
          key: devloop-bin-${{{{ runner.os }}}}-${{{{ env.DEVLOOP_GIT }}}}
      # devloop's build caches (what makes an unchanged build a skip).
      - name: cache .devloop/cache
        uses: actions/cache@v4
        with:
          path: .devloop/cache
          key: devloop-cache-${{{{ runner.os }}}}-${{{{ github.sha }}}}
          restore-keys: devloop-cache-${{{{ runner.os }}}}-
      - name: install devloop
        run: |
{install}"#,
        install = indent(INSTALL, 10)
    );
    if aws {
        let region = match region {
            Some(r) => quoted(r),
            None => "${{ vars.AWS_REGION }}".to_string(),
        };
        s.push_str(&format!(
            r#"
      # AWS credentials through GitHub's OIDC provider: no key is stored anywhere. Set the
      # repository variable AWS_ROLE_ARN to a role that trusts token.actions.githubusercontent.com
      # for this repository (a variable of the job's environment overrides it, for a role each).
      - name: AWS credentials
        uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: ${{{{ vars.AWS_ROLE_ARN }}}}
          aws-region: {region}"#
        ));
    }
    s
}

/// The variables devloop.toml reads without a default, from the repository's secrets: GitHub
/// passes neither secrets nor variables to a step's environment unless the workflow names them.
fn secrets(p: &Pipeline) -> String {
    if p.vars.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "  # devloop.toml reads these with no default: add each as a repository secret (Settings >\n  # Secrets and variables > Actions); GitHub hands a step only what the workflow names.\n",
    );
    for v in &p.vars {
        out.push_str(&format!("  {v}: ${{{{ secrets.{v} }}}}\n"));
    }
    out
}
