//! `devloop ci init`: each CI service's file, written for examples/hello and examples/shop, passes
//! that field's own tools: GitHub workflows actionlint (with shellcheck on each `run:`) and
//! action-validator, GitLab's file gitlab-ci-local (its build and test jobs run for real, with the
//! devloop under test on PATH), the buildspec a JSON schema of the CodeBuild reference (checked by
//! check-jsonschema), the Jenkinsfile a declarative-pipeline parse. Plus: no overwrite without --force, and what it prints.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::run::BIN;
use crate::support::*;

/// The example copied (under an app name of its own) and `ci init PLATFORM ARGS…` run in it.
fn init(example: &str, args: &[&str]) -> TestContext {
    let ctx = TestContext::new()
        .with_name(&format!("dl-ci{example}"))
        .with_example(example);
    let r = ctx.run(["ci", "init"].iter().chain(args));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    ctx
}

/// A linter run on a file of the project: its output when it passes, a panic with it when not.
#[track_caller]
fn lint(ctx: &TestContext, program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(ctx.path())
        .output()
        .unwrap_or_else(|e| panic!("{program} cannot run ({e}): scripts/services.sh installs it"));
    let text = both(&out);
    assert!(
        out.status.success(),
        "{program} {args:?} failed:\n{text}\n--- the file:\n{}",
        args.last().map(|f| ctx.read(f)).unwrap_or_default()
    );
    text
}

fn both(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const WORKFLOW: &str = ".github/workflows/devloop.yml";

#[cfg_attr(
    devloop_no_actionlint,
    ignore = "needs actionlint, shellcheck and action-validator: run scripts/services.sh"
)]
#[test]
fn github_workflows_pass_actionlint_and_action_validator() {
    // actionlint checks the `run:` scripts only when shellcheck is there: it must be.
    assert!(
        have("shellcheck"),
        "shellcheck is missing: scripts/services.sh installs it"
    );
    for (example, args) in [
        ("hello", &["github"][..]),
        ("shop", &["github"][..]),
        ("shop", &["github", "-e", "prod", "-e", "aws"][..]),
    ] {
        let ctx = init(example, args);
        lint(&ctx, "actionlint", &["-no-color", WORKFLOW]);
        lint(&ctx, "action-validator", &[WORKFLOW]);
        let text = ctx.read(WORKFLOW);
        assert!(
            text.contains("devloop test --junit devloop-junit.xml"),
            "{text}"
        );
        assert!(text.contains("path: ~/.cargo/bin/devloop"), "{text}");
        assert!(text.contains("path: .devloop/cache"), "{text}");
        assert!(!text.contains("AWS_SECRET_ACCESS_KEY") && !text.contains("aws-access-key-id"));
    }
    // shop deploys aws (ECS, ECR: OIDC credentials and a plan on pull requests), then prod.
    let ctx = init("shop", &["github"]);
    let text = ctx.read(WORKFLOW);
    assert!(text.contains("id-token: write"), "{text}");
    assert!(
        text.contains("role-to-assume: ${{ vars.AWS_ROLE_ARN }}"),
        "{text}"
    );
    assert!(text.contains("devloop -e aws plan --exit-code"), "{text}");
    assert!(text.contains("needs: deploy-aws") && text.contains("environment: \"prod\""));
    assert!(text.contains("run: devloop -e prod deploy"), "{text}");
    // -e gives the order.
    let ctx = init("shop", &["github", "-e", "prod", "-e", "aws"]);
    let text = ctx.read(WORKFLOW);
    assert!(text.contains("needs: deploy-prod"), "{text}");
    // hello has nothing on AWS: no token asked for.
    let ctx = init("hello", &["github"]);
    let text = ctx.read(WORKFLOW);
    assert!(
        !text.contains("id-token") && !text.contains("plan --exit-code"),
        "{text}"
    );
    assert!(text.contains("run: devloop -e swarm deploy"), "{text}");
}

/// gitlab-ci-local on the project: its own home and state, the devloop under test first on PATH
/// (so the jobs take the "devloop found" path and never install one), nothing of the caller's
/// devloop settings.
fn gitlab_ci_local(ctx: &TestContext, args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("tempdir");
    let bin_dir = Path::new(BIN).parent().expect("bin dir");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("gitlab-ci-local");
    cmd.arg("--home")
        .arg(home.path())
        .arg("--no-color")
        .args(args)
        .current_dir(ctx.path())
        .env("PATH", path)
        .env("NO_COLOR", "1");
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("DEVLOOP_") || k.starts_with("GITHUB_") {
            cmd.env_remove(&k);
        }
    }
    cmd.output().unwrap_or_else(|e| {
        panic!("gitlab-ci-local cannot run ({e}): scripts/services.sh installs it")
    })
}

fn gitlab_jobs_run_green(ctx: TestContext, deploys: &[&str]) {
    let r = ctx.run(["ci", "init", "gitlab"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    ctx.commit("ci");
    // Every job parses (the schema check is gitlab-ci-local's own), deploy jobs included.
    let list = gitlab_ci_local(&ctx, &["--list-all"]);
    let listed = both(&list);
    assert!(list.status.success(), "{listed}");
    for job in ["build", "test"]
        .into_iter()
        .map(String::from)
        .chain(deploys.iter().map(|e| format!("deploy-{e}")))
    {
        assert!(listed.contains(&job), "{job} not listed:\n{listed}");
    }
    let out = gitlab_ci_local(&ctx, &["build", "test"]);
    let text = both(&out);
    assert!(
        out.status.success(),
        "{text}\n--- .gitlab-ci.yml:\n{}",
        ctx.read(".gitlab-ci.yml")
    );
    assert!(
        text.contains("PASS  build") && text.contains("PASS  test"),
        "{text}"
    );
    assert!(text.contains(&format!("devloop found at {BIN}")), "{text}");
    assert!(!text.contains("installing devloop"), "{text}");
    let junit = ctx.read("devloop-junit.xml");
    assert!(
        junit.contains("<testcase") && !junit.contains("<failure"),
        "{junit}"
    );
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_gitlab_ci_local),
    ignore = "needs the Docker daemon, gitlab-ci-local and rsync: run scripts/services.sh"
)]
#[test]
fn gitlab_build_and_test_jobs_run_green_for_hello() {
    gitlab_jobs_run_green(TestContext::hello("dl-cigl"), &["swarm"]);
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_gitlab_ci_local),
    ignore = "needs the Docker daemon, gitlab-ci-local and rsync: run scripts/services.sh"
)]
#[test]
fn gitlab_build_and_test_jobs_run_green_for_shop() {
    let ctx = TestContext::shop("dl-cigs");
    gitlab_jobs_run_green(ctx, &["aws", "prod"]);
}

/// Beyond build and test: the whole pipeline of hello on the default branch, its deploy job
/// included, releases and deploys to the swarm, and the page is served.
#[cfg_attr(
    any(devloop_no_swarm, devloop_no_gitlab_ci_local),
    ignore = "needs a swarm, gitlab-ci-local and rsync: run scripts/services.sh"
)]
#[test]
fn gitlab_deploy_job_of_hello_deploys_to_the_swarm() {
    let ctx = TestContext::swarm("dl-ciglsw")
        .with_example("hello")
        .with_port("HELLO_PORT");
    let r = ctx.run(["ci", "init", "gitlab"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    ctx.commit("ci");
    let branch = git2::Repository::open(ctx.path())
        .expect("repo")
        .head()
        .expect("head")
        .shorthand()
        .expect("branch")
        .to_string();
    let out = gitlab_ci_local(
        &ctx,
        &[
            "--variable",
            &format!("CI_DEFAULT_BRANCH={branch}"),
            "--variable",
            &format!("HELLO_PORT={}", ctx.port()),
            "--needs",
            "deploy-swarm",
        ],
    );
    let text = both(&out);
    assert!(out.status.success(), "{text}");
    for job in ["build", "test", "deploy-swarm"] {
        assert!(text.contains(&format!("PASS  {job}")), "{job}:\n{text}");
    }
    assert!(text.contains("devloop -e swarm release"), "{text}");
    assert!(page(ctx.port()).contains("Hello from devloop"));
}

#[test]
fn gitlab_files_gate_production_and_take_aws_credentials_from_oidc() {
    let ctx = init("shop", &["gitlab"]);
    let text = ctx.read(".gitlab-ci.yml");
    let prod = &text[text.find("deploy-prod:").expect("deploy-prod")..];
    assert!(
        prod.contains("when: manual") && prod.contains("- deploy-eb"),
        "{prod}"
    );
    let aws = &text[text.find("deploy-aws:").expect("deploy-aws")..];
    assert!(
        aws.contains("id_tokens:") && aws.contains("AWS_WEB_IDENTITY_TOKEN_FILE"),
        "{aws}"
    );
    assert!(
        text.contains("reports:\n      junit: devloop-junit.xml"),
        "{text}"
    );
    assert!(text.contains("- .devloop/cache/") && text.contains("- .devloop/tools/bin/"));
    assert!(!text.contains("AWS_SECRET_ACCESS_KEY"), "{text}");
}

const BUILDSPEC_SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/it/fixtures/ci/buildspec.schema.json"
);

#[cfg_attr(
    devloop_no_check_jsonschema,
    ignore = "needs check-jsonschema: run scripts/services.sh"
)]
#[test]
fn buildspecs_pass_the_buildspec_schema() {
    for example in ["hello", "shop"] {
        let ctx = init(example, &["codebuild"]);
        lint(
            &ctx,
            "check-jsonschema",
            &["--schemafile", BUILDSPEC_SCHEMA, "buildspec.yml"],
        );
        let text = ctx.read("buildspec.yml");
        assert!(text.contains("file-format: JUNITXML"), "{text}");
        assert!(text.contains("- .devloop/cache/**/*"), "{text}");
    }
    let ctx = init("shop", &["codebuild"]);
    let text = ctx.read("buildspec.yml");
    // prod waits for a CodePipeline approval: this build deploys aws and eb only, and says how.
    assert!(text.contains("DEVLOOP_DEPLOY_ENVS: \"aws eb\""), "{text}");
    assert!(text.contains("DEVLOOP_DEPLOY_ENVS=prod"), "{text}");
    assert!(text.contains("DEVLOOP_PLAN_ENVS: \"aws eb\""), "{text}");
    // The schema is strict: a mistyped key fails it.
    ctx.write("bad.yml", text.replace("    commands:", "    command:"));
    let out = Command::new("check-jsonschema")
        .args(["--schemafile", BUILDSPEC_SCHEMA, "bad.yml"])
        .current_dir(ctx.path())
        .output()
        .expect("check-jsonschema");
    assert!(!out.status.success(), "{}", both(&out));
    assert!(
        both(&out).contains("'command' was unexpected"),
        "{}",
        both(&out)
    );
}

#[test]
fn jenkinsfiles_are_declarative_pipelines_with_their_stages() {
    let ctx = init("shop", &["jenkins"]);
    let text = ctx.read("Jenkinsfile");
    let p = jenkins::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(
        p.stages,
        [
            "Build",
            "Test",
            "Plan aws",
            "Plan eb",
            "Deploy aws",
            "Deploy eb",
            "Deploy prod"
        ]
    );
    // No executor is held for the whole run: each stage takes its own agent, so the production
    // approval (asked before its stage's agent) waits holding none; devloop is installed on
    // whichever agent a stage gets.
    assert_eq!(p.top_agent.as_deref(), Some("none"));
    assert_eq!(p.staged, p.stages);
    assert_eq!(p.functions, ["installDevloop"]);
    assert_eq!(text.matches("installDevloop()").count(), 1 + p.stages.len());
    // PATH is read on each stage's agent (a pipeline-wide value would be the controller's), and
    // a stage that is skipped takes no agent.
    assert_eq!(
        text.matches("PATH = \"${env.HOME}/.cargo/bin:${env.PATH}\"")
            .count(),
        p.stages.len()
    );
    assert_eq!(
        text.matches("beforeAgent true").count(),
        text.matches("when {\n").count()
    );
    let prod = &text[text.find("stage('Deploy prod')").expect("prod")..];
    assert!(
        prod.contains("input {") && prod.contains("beforeInput true"),
        "{prod}"
    );
    assert!(text.contains("junit allowEmptyResults: true, testResults: 'devloop-junit.xml'"));
    assert!(
        text.contains("AmazonWebServicesCredentialsBinding"),
        "{text}"
    );
    let ctx = init("hello", &["jenkins"]);
    let text = ctx.read("Jenkinsfile");
    let p = jenkins::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(p.stages, ["Build", "Test", "Deploy swarm"]);
    assert!(!text.contains("withCredentials"), "{text}");
    // The parser is not a pass-everything: an unbalanced or stepless pipeline fails it.
    assert!(jenkins::parse(&text.replacen("steps {", "steps {{", 1)).is_err());
    assert!(jenkins::parse("pipeline { agent any\n stages { stage('x') { } } }").is_err());
}

#[test]
fn an_existing_file_is_kept_without_force_and_replaced_with_it() {
    let ctx = TestContext::new()
        .with_name("dl-ciforce")
        .with_example("hello")
        .with_files(&[(".gitlab-ci.yml", "# ours\n")]);
    let before = ctx.listing();
    let r = ctx.run(["ci", "init", "gitlab"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(".gitlab-ci.yml already exists"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    assert_eq!(ctx.read(".gitlab-ci.yml"), "# ours\n");
    assert_eq!(ctx.listing(), before);
    let r = ctx.run(["ci", "init", "gitlab", "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(ctx.read(".gitlab-ci.yml").contains("devloop build"));
}

#[test]
fn several_environments_are_for_ci_init_only_and_must_exist() {
    let ctx = TestContext::new()
        .with_name("dl-cienv")
        .with_example("hello");
    let r = ctx.run(["-e", "local", "-e", "swarm", "plan"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("only `devloop ci init` takes several"),
        "{}",
        r.stderr
    );
    let r = ctx.run(["ci", "init", "github", "-e", "swram"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("did you mean \"swarm\""), "{}", r.stderr);
    assert!(!ctx.path().join(WORKFLOW).exists());
}

#[test]
fn a_config_given_with_c_is_named_in_the_pipeline_with_the_variables_it_needs() {
    let ctx = TestContext::new()
        .with_name("dl-cicfg")
        .with_example("hello");
    let text = ctx
        .read("devloop.toml")
        .replace("\"Hello from devloop\" }", "\"${HELLO_GREETING}\" }");
    ctx.add_files(&[("ci.toml", &text)]);
    let r = ctx.run(["-c", "ci.toml", "ci", "init", "jenkins"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("without a default: HELLO_GREETING"),
        "{}",
        r.stderr
    );
    let jf = ctx.read("Jenkinsfile");
    assert!(jf.contains("DEVLOOP_CONFIG = 'ci.toml'"), "{jf}");
    assert!(jf.contains("no default: HELLO_GREETING."), "{jf}");
    jenkins::parse(&jf).unwrap_or_else(|e| panic!("{e}\n{jf}"));
    // GitHub hands a step only the secrets the workflow names: it names the variable.
    let r = ctx.run(["-c", "ci.toml", "ci", "init", "github"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let wf = ctx.read(WORKFLOW);
    assert!(
        wf.contains("  HELLO_GREETING: ${{ secrets.HELLO_GREETING }}"),
        "{wf}"
    );
    if have("actionlint") {
        lint(&ctx, "actionlint", &["-no-color", WORKFLOW]);
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "actionlint is missing: scripts/services.sh installs it"
        );
    }
}

#[test]
fn what_ci_init_prints() {
    let ctx = TestContext::new()
        .with_name("dl-ciprint")
        .with_example("shop");
    let mut out = String::new();
    for platform in ["github", "gitlab", "codebuild", "jenkins"] {
        let r = ctx.run(["ci", "init", platform]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        out.push_str(&format!(
            "$ devloop ci init {platform}\n{}{}",
            r.stdout, r.stderr
        ));
    }
    ctx.snapshot("ci_init_prints")
        .describe("devloop ci init <each platform> in examples/shop")
        .assert(&out);
}

/// Just enough of Groovy to check a declarative pipeline's shape: strings ('…', "…", '''…''',
/// """…"""), comments, and balanced brackets; then `pipeline { agent …  stages { stage('…') {
/// … steps { … } } } }`, each stage with its steps.
mod jenkins {
    pub struct Parsed {
        /// The pipeline's own agent (`any`, `none`, or `{` for a block).
        pub top_agent: Option<String>,
        /// The stages with an agent of their own.
        pub staged: Vec<String>,
        /// The functions defined beside the pipeline.
        pub functions: Vec<String>,
        pub stages: Vec<String>,
    }

    #[derive(Debug, PartialEq)]
    enum Tok {
        Word(String),
        Str(String),
        Open(char),
        Close(char),
        Other,
    }

    fn lex(src: &str) -> Result<Vec<Tok>, String> {
        let c: Vec<char> = src.chars().collect();
        let mut i = 0;
        let mut out = Vec::new();
        let starts = |i: usize, s: &str| c[i..].iter().take(s.len()).copied().eq(s.chars());
        while i < c.len() {
            let ch = c[i];
            if starts(i, "//") {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            } else if starts(i, "/*") {
                i += 2;
                while i < c.len() && !starts(i, "*/") {
                    i += 1;
                }
                if i >= c.len() {
                    return Err("unterminated /* comment".into());
                }
                i += 2;
            } else if starts(i, "'''") || starts(i, "\"\"\"") {
                let q: String = c[i..i + 3].iter().collect();
                i += 3;
                let from = i;
                while i < c.len() && !starts(i, &q) {
                    i += if c[i] == '\\' { 2 } else { 1 };
                }
                if i >= c.len() {
                    return Err(format!("unterminated {q} string"));
                }
                out.push(Tok::Str(c[from..i].iter().collect()));
                i += 3;
            } else if ch == '\'' || ch == '"' {
                i += 1;
                let from = i;
                while i < c.len() && c[i] != ch {
                    if c[i] == '\n' {
                        return Err(format!("newline in a {ch} string"));
                    }
                    i += if c[i] == '\\' { 2 } else { 1 };
                }
                if i >= c.len() {
                    return Err(format!("unterminated {ch} string"));
                }
                out.push(Tok::Str(c[from..i].iter().collect()));
                i += 1;
            } else if "{([".contains(ch) {
                out.push(Tok::Open(ch));
                i += 1;
            } else if "})]".contains(ch) {
                out.push(Tok::Close(ch));
                i += 1;
            } else if ch.is_alphanumeric() || ch == '_' || ch == '$' {
                let from = i;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '$') {
                    i += 1;
                }
                out.push(Tok::Word(c[from..i].iter().collect()));
            } else {
                if !ch.is_whitespace() {
                    out.push(Tok::Other);
                }
                i += 1;
            }
        }
        Ok(out)
    }

    /// The index of the bracket closing the one opened at `open`.
    fn closing(t: &[Tok], open: usize) -> Result<usize, String> {
        let mut stack = Vec::new();
        for (i, tok) in t.iter().enumerate().skip(open) {
            match tok {
                Tok::Open(c) => stack.push(*c),
                Tok::Close(c) => {
                    let o = stack.pop().ok_or("unbalanced close")?;
                    if !matches!((o, *c), ('{', '}') | ('(', ')') | ('[', ']')) {
                        return Err(format!("{o} closed by {c}"));
                    }
                    if stack.is_empty() {
                        return Ok(i);
                    }
                }
                _ => {}
            }
        }
        Err("unclosed bracket".into())
    }

    /// A block: its name, the strings between its parentheses, and its body's token range.
    type Block = (String, Vec<String>, usize, usize);

    /// The blocks `name { … }` directly inside t[from..to] (not nested deeper), as ranges of
    /// their bodies, with what stood between the name and the brace (a stage's name).
    fn blocks(t: &[Tok], from: usize, to: usize) -> Result<Vec<Block>, String> {
        let mut out = Vec::new();
        let mut i = from;
        while i < to {
            if let Tok::Word(w) = &t[i] {
                let mut j = i + 1;
                let mut args = Vec::new();
                if t.get(j) == Some(&Tok::Open('(')) {
                    let end = closing(t, j)?;
                    for tok in &t[j + 1..end] {
                        if let Tok::Str(s) = tok {
                            args.push(s.clone());
                        }
                    }
                    j = end + 1;
                }
                if t.get(j) == Some(&Tok::Open('{')) {
                    let end = closing(t, j)?;
                    out.push((w.clone(), args, j + 1, end));
                    i = end + 1;
                    continue;
                }
            }
            if let Tok::Open(_) = t[i] {
                i = closing(t, i)? + 1;
                continue;
            }
            i += 1;
        }
        Ok(out)
    }

    pub fn parse(src: &str) -> Result<Parsed, String> {
        let t = lex(src)?;
        // Every bracket balanced, whole file.
        let mut i = 0;
        while i < t.len() {
            match t[i] {
                Tok::Open(_) => i = closing(&t, i)? + 1,
                Tok::Close(c) => return Err(format!("unbalanced {c}")),
                _ => i += 1,
            }
        }
        // Functions (`def name() { … }`) may stand beside the one pipeline block.
        let top = blocks(&t, 0, t.len())?;
        let mut functions = Vec::new();
        let mut pipeline = None;
        for (name, _, from, _) in &top {
            let defined = *from >= 5
                && t[from - 5] == Tok::Word("def".into())
                && t[from - 4] == Tok::Word(name.clone());
            if name == "pipeline" && pipeline.is_none() {
                pipeline = top.iter().find(|b| &b.0 == name);
            } else if defined {
                functions.push(name.clone());
            } else {
                return Err(format!("a top-level block {name} that is not a function"));
            }
        }
        let Some((_, _, from, to)) = pipeline else {
            return Err("no pipeline block".into());
        };
        // The pipeline's own agent: the word after `agent` at its top level.
        let top_agent = (*from..*to)
            .find(|&i| {
                t[i] == Tok::Word("agent".into())
                    && blocks(&t, *from, *to)
                        .map(|b| !b.iter().any(|b| b.2 <= i && i < b.3))
                        .unwrap_or(false)
            })
            .and_then(|i| match t.get(i + 1) {
                Some(Tok::Word(w)) => Some(w.clone()),
                Some(Tok::Open('{')) => Some("{".into()),
                _ => None,
            });
        let inner = blocks(&t, *from, *to)?;
        let stages = inner
            .iter()
            .find(|b| b.0 == "stages")
            .ok_or("pipeline has no stages block")?;
        let mut names = Vec::new();
        let mut staged = Vec::new();
        for (kind, args, s_from, s_to) in blocks(&t, stages.2, stages.3)? {
            if kind != "stage" {
                return Err(format!("{kind} inside stages"));
            }
            let name = args.first().ok_or("a stage without a name")?.clone();
            let body = blocks(&t, s_from, s_to)?;
            // `agent any` is a word, not a block: look for it at the stage's own level.
            let own_agent = (s_from..s_to).any(|i| {
                t[i] == Tok::Word("agent".into()) && !body.iter().any(|b| b.2 <= i && i < b.3)
            });
            if own_agent {
                staged.push(name.clone());
            }
            if !body.iter().any(|b| b.0 == "steps" && b.3 > b.2) {
                return Err(format!("stage {name} has no steps"));
            }
            for b in &body {
                if ![
                    "steps",
                    "when",
                    "input",
                    "post",
                    "environment",
                    "options",
                    "agent",
                ]
                .contains(&b.0.as_str())
                {
                    return Err(format!("stage {name}: {} is not a stage directive", b.0));
                }
            }
            names.push(name);
        }
        if names.is_empty() {
            return Err("no stage".into());
        }
        if top_agent.is_none() {
            return Err("the pipeline has no agent directive".into());
        }
        Ok(Parsed {
            top_agent,
            staged,
            functions,
            stages: names,
        })
    }
}
