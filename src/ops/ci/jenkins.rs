//! Jenkins: a declarative `Jenkinsfile`. Stages, each on an agent of its own (devloop installed
//! on it when missing): build, test (its JUnit report through the `junit` step), a plan of each
//! live environment on change requests, and a deploy stage per environment on the main branch,
//! production behind an `input` approval asked before its agent is taken, so waiting holds no
//! executor; AWS credentials from Jenkins' credentials store (`withCredentials`), never in the
//! file.

use super::model::{indent, plan_script, Pipeline};
use super::model::{INSTALL, INSTALL_COMMAND, JUNIT};

/// A stage's environment: devloop's install directory on PATH, read on the stage's own agent
/// (the pipeline has none, so a pipeline-wide value would be the controller's).
const ON_PATH: &str = "            environment {\n                PATH = \"${env.HOME}/.cargo/bin:${env.PATH}\"\n            }\n";

/// The Jenkins credential (of kind "AWS Credentials") the AWS stages bind.
const CREDENTIALS: &str = "devloop-aws";

pub fn render(p: &Pipeline) -> String {
    let mut g = p.commented_header("Jenkins", "//");
    let region = match p.region() {
        Some(r) => format!("        AWS_REGION = {}\n", groovy(r)),
        None => String::new(),
    };
    g.push_str(&format!(
        r#"//
// Every stage takes an agent of its own (`agent any`; give a label, `agent {{ label 'docker' }}`,
// where only some agents have a Docker daemon), so the production approval waits holding no
// executor. An agent needs a Docker daemon and, for the first install of devloop, cargo. devloop's
// build caches stay in the workspace (.devloop/cache) and its binary in ~/.cargo/bin: on one agent
// a stage finds what the stage before it built; on another it builds it again.
// Run it as a Multibranch Pipeline: `when {{ branch 'main' }}` and `changeRequest()` need one.

// Install devloop on this stage's agent when it has none.
def installDevloop() {{
{install_script}
}}

pipeline {{
    agent none
    options {{
        // One run at a time: two deploys of one environment never race.
        disableConcurrentBuilds()
    }}
    environment {{
        // How devloop is installed when the agent has no devloop binary. devloop is not published
        // as a crate: set DEVLOOP_GIT to the git URL of its source, or change DEVLOOP_INSTALL.
        DEVLOOP_GIT = ''
        DEVLOOP_INSTALL = {install}
        // Plain lines, as under any CI; `json` prints one event per line for another tool.
        DEVLOOP_OUTPUT = 'text'
{config}{region}    }}
    stages {{
        stage('Build') {{
            agent any
{on_path}            steps {{
                installDevloop()
                sh 'devloop build'
            }}
        }}
        stage('Test') {{
            agent any
{on_path}            steps {{
                installDevloop()
                sh 'devloop test --junit {JUNIT}'
            }}
            post {{
                always {{
                    junit allowEmptyResults: true, testResults: '{JUNIT}'
                }}
            }}
        }}
"#,
        on_path = ON_PATH,
        install = groovy(INSTALL_COMMAND),
        config = p.config_var(8, false),
        install_script = sh(INSTALL, 4),
    ));
    for d in p.planned() {
        let script = plan_script(&d.env, |m| format!("echo \"{m}\""));
        g.push_str(&format!(
            r#"        // What merging would change on {env}; a change is news, an error fails the stage.
        stage('Plan {env}') {{
            agent any
{on_path}            when {{
                beforeAgent true
                changeRequest()
            }}
            steps {{
                installDevloop()
{steps}
            }}
        }}
"#,
            env = d.env,
            on_path = ON_PATH,
            steps = aws(d.aws, |n| sh(&script, n)),
        ));
    }
    for d in &p.deploys {
        let approval = if d.production {
            format!(
                r#"            // {env} is production: the stage waits for someone to approve it, before it
            // takes an agent.
            input {{
                message 'Deploy {app} to {env}?'
                ok 'Deploy'
            }}
"#,
                env = d.env,
                app = p.app,
            )
        } else {
            String::new()
        };
        let before_input = if d.production {
            "                beforeInput true\n"
        } else {
            ""
        };
        g.push_str(&format!(
            r#"        stage('Deploy {env}') {{
            agent any
{on_path}            when {{
                beforeAgent true
{before_input}                branch 'main'
            }}
{approval}            steps {{
                installDevloop()
{steps}
            }}
        }}
"#,
            env = d.env,
            on_path = ON_PATH,
            steps = aws(d.aws, |n| {
                let pad = " ".repeat(n);
                format!(
                    "{pad}sh 'devloop -e {env} release'\n{pad}sh 'devloop -e {env} deploy'",
                    env = d.env
                )
            }),
        ));
    }
    g.push_str("    }\n}\n");
    g
}

/// The steps (written at an indentation of so many spaces), inside the AWS credentials' binding
/// when the stage reaches AWS.
fn aws(needed: bool, steps: impl Fn(usize) -> String) -> String {
    if !needed {
        return steps(16);
    }
    format!(
        "                // AWS credentials from Jenkins' store (a credential of kind \"AWS Credentials\" with\n                // the id {CREDENTIALS}; or withAWS(role: ...) of the Pipeline: AWS Steps plugin).\n                withCredentials([[$class: 'AmazonWebServicesCredentialsBinding', credentialsId: '{CREDENTIALS}']]) {{\n{}\n                }}",
        steps(20)
    )
}

/// An `sh` step running a script of several lines, at an indentation of `n` spaces. Its string
/// interpolates nothing: the shell sees `$VAR` as written.
fn sh(script: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    let escaped = script.replace('\\', "\\\\").replace("'''", "\\'\\'\\'");
    format!("{pad}sh '''\n{}\n{pad}'''", indent(&escaped, n + 4))
}

/// A Groovy string literal of one line that interpolates nothing.
fn groovy(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::{groovy, sh};

    #[test]
    fn groovy_strings_interpolate_nothing() {
        assert_eq!(groovy("a $B 'c'"), r"'a $B \'c\''");
        assert_eq!(sh("a $B\nb", 0), "sh '''\n    a $B\n    b\n'''");
    }
}
