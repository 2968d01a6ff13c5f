//! What a pipeline is made of, read from devloop.toml: the app, the environments it deploys in
//! order (each with its target, whether that target has live state to plan against, whether it
//! needs AWS credentials, whether it is production), and the shell every CI service runs.

use crate::config::{Config, TargetKind};

/// The pipeline `ci init` writes, whatever the CI service.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub app: String,
    /// The services the app builds (empty for an app of one service).
    pub services: Vec<String>,
    /// The environments deployed on the main branch, in this order.
    pub deploys: Vec<Deploy>,
    /// The variables devloop.toml uses without a default: the CI service must set them.
    pub vars: Vec<String>,
    /// The config file's name when it is not devloop.toml (`-c`): the pipeline names it too.
    pub config_file: Option<String>,
}

/// One environment the pipeline deploys.
#[derive(Debug, Clone)]
pub struct Deploy {
    pub env: String,
    pub target: Option<TargetKind>,
    /// The target has live state to diff against (ECS, Elastic Beanstalk): pull requests get its
    /// `plan --exit-code`.
    pub live: bool,
    /// Its target, registry or release ledger is on AWS.
    pub aws: bool,
    /// `aws.region` of the environment, when the file sets it.
    pub region: Option<String>,
    /// Named like production (`prod`, `production`, `eu-prod`): deployed after a manual
    /// approval where the CI service has one.
    pub production: bool,
}

impl Pipeline {
    /// The environments whose pull-request plan is worth running.
    pub fn planned(&self) -> impl Iterator<Item = &Deploy> {
        self.deploys.iter().filter(|d| d.live)
    }

    pub fn aws(&self) -> bool {
        self.deploys.iter().any(|d| d.aws)
    }

    /// One region every AWS environment names, when they agree.
    pub fn region(&self) -> Option<&str> {
        let mut regions = self
            .deploys
            .iter()
            .filter(|d| d.aws)
            .map(|d| d.region.as_deref());
        let first = regions.next()??;
        regions.all(|r| r == Some(first)).then_some(first)
    }

    /// The names of the environments deployed with (`true`) or without an approval.
    pub fn gated(&self, production: bool) -> Vec<&str> {
        self.deploys
            .iter()
            .filter(|d| d.production == production)
            .map(|d| d.env.as_str())
            .collect()
    }

    /// [`Pipeline::header`] as comment lines, each opened by `mark`.
    pub fn commented_header(&self, platform: &str, mark: &str) -> String {
        self.header(platform)
            .iter()
            .map(|l| format!("{mark} {l}").trim_end().to_string() + "\n")
            .collect()
    }

    /// The lines every file opens with (without comment marks): what runs when.
    pub fn header(&self, platform: &str) -> Vec<String> {
        let mut lines = vec![
            format!(
                "The loop of \"{}\" on {platform}, written by `devloop ci init`.",
                self.app
            ),
            format!("- every push and pull request: devloop build, devloop test (JUnit report: {JUNIT})"),
        ];
        let planned: Vec<&str> = self.planned().map(|d| d.env.as_str()).collect();
        if !planned.is_empty() {
            lines.push(format!(
                "- pull requests: devloop plan --exit-code of {} (what merging would change there)",
                planned.join(", ")
            ));
        }
        if self.deploys.is_empty() {
            lines.push(
                "- no environment is deployed: `devloop ci init -e ENV --force` adds them".into(),
            );
        } else {
            lines.push(format!(
                "- the main branch: devloop release, then devloop deploy, to {}",
                self.order()
            ));
            for d in &self.deploys {
                lines.push(format!("    {}: target {}", d.env, d.target_name()));
            }
        }
        if !self.services.is_empty() {
            lines.push(format!(
                "Services, built, tested and deployed as one set: {}.",
                self.services.join(", ")
            ));
        }
        if !self.vars.is_empty() {
            lines.push(format!(
                "devloop.toml reads these variables, which have no default: {}. Set each as a",
                self.vars.join(", ")
            ));
            lines.push("variable of the CI service (a secret where it is one).".into());
        }
        lines.push(
            "devloop's exit codes fail the job truthfully: 3 is a deploy rolled back, 4 one that did not settle."
                .into(),
        );
        lines
    }

    /// `DEVLOOP_CONFIG` for a config file devloop would not find by itself, as a line of the
    /// file's variables: `NAME: "file"` in YAML, `NAME = 'file'` in a Jenkinsfile.
    pub fn config_var(&self, indent: usize, yaml: bool) -> String {
        let Some(file) = &self.config_file else {
            return String::new();
        };
        let pad = " ".repeat(indent);
        let (comment, value) = match yaml {
            true => ("#", format!("DEVLOOP_CONFIG: {}", quoted(file))),
            false => (
                "//",
                format!("DEVLOOP_CONFIG = '{}'", file.replace('\'', "\\'")),
            ),
        };
        format!("{pad}{comment} The config file, as `-c {file}` gave it.\n{pad}{value}\n")
    }

    /// "aws, then prod".
    pub fn order(&self) -> String {
        let names: Vec<&str> = self.deploys.iter().map(|d| d.env.as_str()).collect();
        names.join(", then ")
    }
}

impl Deploy {
    /// The environment as its loaded config describes it.
    pub fn of(config: &Config) -> Deploy {
        let env = config.env_name().to_string();
        let target = config.target();
        let docs = std::iter::once(&config.doc).chain(config.services.iter().map(|s| &s.doc));
        let mut aws = matches!(target, Some(TargetKind::Ecs | TargetKind::Beanstalk));
        for doc in docs {
            let registry = doc.release.registry.as_ref().map(|r| r.get_ref().as_str());
            let ledger = doc.release.ledger.as_ref().map(|l| l.get_ref().as_str());
            aws |= registry == Some("ecr") || ledger.is_some_and(|l| l.starts_with("s3://"));
        }
        Deploy {
            production: is_production(&env),
            live: matches!(target, Some(TargetKind::Ecs | TargetKind::Beanstalk)),
            region: config.doc.aws.region.clone(),
            env,
            target,
            aws,
        }
    }

    pub fn target_name(&self) -> &'static str {
        self.target.map(TargetKind::as_str).unwrap_or("no target")
    }
}

/// `prod`, `production`, and names with either as a word (`eu-prod`, `prod_2`).
pub fn is_production(env: &str) -> bool {
    env.to_ascii_lowercase()
        .split(['-', '_', '.'])
        .any(|w| w == "prod" || w == "production")
}

/// The shell lines that put devloop on PATH: the binary found (cached, or already installed on
/// the runner) is used as it is; otherwise `$DEVLOOP_INSTALL` runs.
pub const INSTALL: &str = r#"if command -v devloop >/dev/null 2>&1; then
  echo "devloop found at $(command -v devloop): not installing it"
else
  echo "installing devloop: $DEVLOOP_INSTALL"
  eval "$DEVLOOP_INSTALL"
fi
devloop --version"#;

/// The default install command: devloop is not published as a crate, so it is built from its
/// git repository, which the team names in `DEVLOOP_GIT`.
pub const INSTALL_COMMAND: &str = r#"cargo install --locked --git "$DEVLOOP_GIT" devloop"#;

/// Where `devloop test` writes its JUnit report for the CI service to read.
pub const JUNIT: &str = "devloop-junit.xml";

/// The pull-request plan of one environment: the diff is printed; a change is news (exit 1 of
/// `--exit-code`), not a failure; an error (2 and up) fails the job. `notice` prints the news in
/// the CI service's own way (a GitHub annotation), given the message.
pub fn plan_script(env: &str, notice: impl Fn(&str) -> String) -> String {
    let news = notice(&format!(
        "merging this changes what {env} runs: see the plan above"
    ));
    format!(
        "rc=0\ndevloop -e {env} plan --exit-code || rc=$?\nif [ \"$rc\" -eq 1 ]; then\n  {news}\nelif [ \"$rc\" -ne 0 ]; then\n  exit \"$rc\"\nfi"
    )
}

/// A YAML double-quoted scalar (JSON's string syntax is YAML's).
pub fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// A YAML single-quoted scalar: nothing in it is special but `'`, written twice.
pub fn single_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Each line of `text` indented by `n` spaces (empty lines left empty).
pub fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_is_a_word_of_the_name() {
        for yes in ["prod", "production", "eu-prod", "PROD_2", "prod.eu"] {
            assert!(is_production(yes), "{yes}");
        }
        for no in ["staging", "product", "preprod", "local", "aws"] {
            assert!(!is_production(no), "{no}");
        }
    }

    #[test]
    fn a_plan_fails_only_on_an_error() {
        let script = plan_script("aws", |m| format!("echo \"{m}\""));
        assert!(script.contains("devloop -e aws plan --exit-code || rc=$?"));
        assert!(script.contains("exit \"$rc\""));
    }

    #[test]
    fn quoting_keeps_yaml_words_strings() {
        assert_eq!(quoted("on"), "\"on\"");
        assert_eq!(quoted("a\"b"), "\"a\\\"b\"");
    }
}
