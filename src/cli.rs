//! The command line, as clap definitions only. Behaviour lives in `cmd/`.

use std::path::PathBuf;

use crate::config::duration::DurationError;
use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::Format;

pub const EXIT_CODES: &str = "\
Exit codes:
  0    done, or nothing to do
  1    a step failed: build error, failing test, a deploy that could not get back to the previous release
  2    usage or configuration error (nothing was changed)
  3    deploy failed and the target is back on the previous release (rolled back)
  4    deploy did not settle within its timeout; the target may still be changing
  5    a service is unreachable or refused us: Docker daemon, registry (login or push), AWS
  130  interrupted (Ctrl-C); what had started was cleaned up or left as reported";

#[derive(Debug, Parser)]
#[command(
    name = "devloop",
    version,
    about = "Plan, build, test, release, deploy and monitor an application from one devloop.toml",
    after_help = EXIT_CODES,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Run as if started in DIR
    #[arg(
        short = 'C',
        long,
        global = true,
        env = "DEVLOOP_CHDIR",
        value_name = "DIR"
    )]
    pub chdir: Option<PathBuf>,
    /// Use this config file instead of searching for devloop.toml
    #[arg(
        short,
        long,
        global = true,
        env = "DEVLOOP_CONFIG",
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,
    /// Environment from [env.<NAME>] to use
    #[arg(
        short,
        long = "env",
        global = true,
        env = "DEVLOOP_ENV",
        value_name = "NAME",
        action = clap::ArgAction::Append
    )]
    pub env: Vec<String>,
    /// Output format: live text, or one JSON event per line
    #[arg(short, long, global = true, env = "DEVLOOP_OUTPUT", value_enum, default_value_t = Format::Text)]
    pub output: Format,
    /// Print only errors and the final verdict
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more (repeat for even more)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Disable colors (also NO_COLOR)
    #[arg(long, global = true, env = "DEVLOOP_NO_COLOR", value_parser = BoolishValueParser::new())]
    pub no_color: bool,
    /// AWS profile from the shared config files (overrides aws.profile)
    #[arg(long, global = true, env = "DEVLOOP_AWS_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
    /// How many steps may run at once [default: number of CPUs]
    #[arg(short, long, global = true, env = "DEVLOOP_JOBS", value_name = "N")]
    pub jobs: Option<usize>,
    /// Only these services of a [services] file (comma-separated) [default: all]
    #[arg(
        short = 's',
        long = "service",
        global = true,
        env = "DEVLOOP_SERVICE",
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub services: Vec<String>,
}

const EXAMPLES_INIT: &str = "\
Examples:
  devloop init                  devloop.toml (+ .dockerignore) for the project here; in a
                                compose project, its services converted from compose.yaml
  devloop init --name shop-api  with another app name
  devloop init --example        print every setting, commented";

const EXAMPLES_PLAN: &str = "\
Examples:
  devloop plan                      what `ship` would do
  devloop plan deploy -e prod       the live diff of a deploy to prod (read-only calls)
  devloop plan deploy --exit-code   exit 1 when the deploy would change something (PR gates)
  devloop plan rollback             which release a rollback would put back";

const EXAMPLES_BUILD: &str = "\
Examples:
  devloop build                 build (skipped when an identical build exists)
  devloop build --no-cache      build every layer again";

const EXAMPLES_TEST: &str = "\
Examples:
  devloop test                  every [[test]]
  devloop test unit http        two of them
  devloop test --junit out.xml  and a JUnit report for CI";

const EXAMPLES_RELEASE: &str = "\
Examples:
  devloop release               push and record the release of this commit
  devloop release --list        the releases in the ledger";

const EXAMPLES_DEPLOY: &str = "\
Examples:
  devloop deploy                       the latest release to the default environment
  devloop -e prod deploy --release ID  one release, to prod
  devloop deploy --wait-lock           wait while another deploy finishes";

const EXAMPLES_MONITOR: &str = "\
Examples:
  devloop monitor               status, health, deployments, metrics
  devloop monitor --logs -f     follow the logs
  devloop monitor --check       exit 1 when unhealthy (cron, CI)
  devloop monitor --watch       redraw until Ctrl-C";

const EXAMPLES_DEV: &str = "\
Examples:
  devloop dev                   save a file, see it served
  devloop dev --test            run the host and image tests before each redeploy
  devloop dev --keep            leave dev's version running on exit";

const EXAMPLES_ROLLBACK: &str = "\
Examples:
  devloop rollback              back to the release before the running one
  devloop rollback --to ID      back to that release";

const EXAMPLES_SHIP: &str = "\
Examples:
  devloop ship                  build → test → release → deploy
  devloop -e prod ship          the same, to prod";

const EXAMPLES_DOCTOR: &str = "\
Examples:
  devloop doctor                what devloop sees: config, git, daemon, credentials
  devloop -e prod doctor        the same for prod's target";

const EXAMPLES_CI_INIT: &str = "\
-e ENV, repeated, names the environments the pipeline deploys, in order [default: every
environment but the default one, production last].

Examples:
  devloop ci init github                .github/workflows/devloop.yml
  devloop ci init gitlab -e qa -e prod  .gitlab-ci.yml: deploy qa, then prod once approved
  devloop ci init codebuild --force     buildspec.yml, over the one there";

const EXAMPLES_COMPLETIONS: &str = "\
Examples:
  devloop completions bash > ~/.local/share/bash-completion/completions/devloop";

const EXAMPLES_PROVISION: &str = "\
Examples:
  devloop plan provision -e prod      every resource, and which would be created
  devloop provision -e prod           create what is missing (asks first on a terminal)
  devloop provision -e prod --yes     the same in CI
  devloop provision -e prod --template > stack.json   the same as a CloudFormation template";

const EXAMPLES_DESTROY: &str = "\
Examples:
  devloop plan destroy -e staging     what would be deleted
  devloop destroy -e staging --yes    delete what devloop created (not the image repositories)
  devloop destroy -e staging --yes --images   the ECR repositories too, with their releases";

const EXAMPLES_NOTIFY: &str = "\
Examples:
  devloop notify test -e prod   a sample message to each [notify] channel of prod";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented devloop.toml for the project in this directory
    #[command(after_help = EXAMPLES_INIT)]
    Init(InitArgs),
    /// Show what a command would do, with no side effects
    #[command(after_help = EXAMPLES_PLAN)]
    Plan(PlanArgs),
    /// Build the image (skipped when an identical build exists)
    #[command(after_help = EXAMPLES_BUILD)]
    Build(BuildArgs),
    /// Run the [[test]] entries against the built image
    #[command(after_help = EXAMPLES_TEST)]
    Test(TestArgs),
    /// Push the image to its registry and record the release
    #[command(after_help = EXAMPLES_RELEASE)]
    Release(ReleaseArgs),
    /// Roll a release out to the environment's target
    #[command(after_help = EXAMPLES_DEPLOY)]
    Deploy(DeployArgs),
    /// Status, logs and resource use of what the target runs now
    #[command(after_help = EXAMPLES_MONITOR)]
    Monitor(MonitorArgs),
    /// Build, run and watch: every save rebuilt and redeployed on the local target
    #[command(after_help = EXAMPLES_DEV)]
    Dev(DevArgs),
    /// Put the previous release back on the target
    #[command(after_help = EXAMPLES_ROLLBACK)]
    Rollback(RollbackArgs),
    /// Create in the AWS account what the environment's target needs and does not exist yet
    #[command(after_help = EXAMPLES_PROVISION)]
    Provision(ProvisionArgs),
    /// Delete what `devloop provision` created for the environment
    #[command(after_help = EXAMPLES_DESTROY)]
    Destroy(DestroyArgs),
    /// The whole loop: build → test → release → deploy
    #[command(after_help = EXAMPLES_SHIP)]
    Ship(ShipArgs),
    /// Check the config, git, the Docker daemon and credentials
    #[command(after_help = EXAMPLES_DOCTOR)]
    Doctor,
    /// The [notify] channels: send each a sample message
    #[command(after_help = EXAMPLES_NOTIFY)]
    Notify(NotifyArgs),
    /// Write the pipeline that runs the loop on a CI service
    #[command(subcommand)]
    Ci(CiCommand),
    /// Print shell completions
    #[command(after_help = EXAMPLES_COMPLETIONS)]
    Completions(CompletionsArgs),
}

#[derive(Debug, Subcommand)]
pub enum CiCommand {
    /// Write the pipeline for this project: build and test on every push and pull request, plan on
    /// pull requests, release and deploy on the main branch, environment by environment
    #[command(after_help = EXAMPLES_CI_INIT)]
    Init(CiInitArgs),
}

/// The CI services `ci init` writes a pipeline for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CiPlatform {
    /// GitHub Actions: .github/workflows/devloop.yml
    Github,
    /// GitLab CI: .gitlab-ci.yml
    Gitlab,
    /// AWS CodeBuild: buildspec.yml
    Codebuild,
    /// Jenkins: Jenkinsfile (declarative pipeline)
    Jenkins,
}

#[derive(Debug, Args)]
pub struct CiInitArgs {
    /// The CI service
    #[arg(value_enum)]
    pub platform: CiPlatform,
    /// Overwrite the file when it exists
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct NotifyArgs {
    #[command(subcommand)]
    pub command: NotifyCommand,
}

#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Send a sample message to every channel of the environment and say how each went (exit 1
    /// when one was not delivered)
    Test,
}

#[derive(Debug, Args)]
pub struct ProvisionArgs {
    /// Go on without asking (off a terminal it is required)
    #[arg(long)]
    pub yes: bool,
    /// Print the resources as a CloudFormation template instead of creating them
    #[arg(long, conflicts_with = "yes")]
    pub template: bool,
    /// How long the whole provision may take, its waits included [default: 15m]
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub timeout: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Go on without asking (off a terminal it is required)
    #[arg(long)]
    pub yes: bool,
    /// Also delete the ECR repositories devloop created, with every release in them
    #[arg(long)]
    pub images: bool,
    /// Also delete the S3 bucket of the release ledger devloop created, with every record in it
    #[arg(long)]
    pub ledger: bool,
    /// How long each deletion may wait for what depends on it to be gone [default: 10m]
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub timeout: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Overwrite an existing devloop.toml
    #[arg(long)]
    pub force: bool,
    /// App name [default: the compose file's name, else from the git remote or the directory name]
    #[arg(long)]
    pub name: Option<String>,
    /// Print the full reference config, every key commented, instead of writing a file
    #[arg(long, conflicts_with_all = ["force", "name"])]
    pub example: bool,
}

/// What `plan` can plan: the pipeline's stages, and the commands that deploy outside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Planned {
    Build,
    Test,
    Release,
    Deploy,
    Ship,
    Rollback,
    Dev,
    Provision,
    Destroy,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The command to plan
    #[arg(value_enum, default_value_t = Planned::Ship)]
    pub command: Planned,
    /// With `rollback`: the release to go back to [default: the one before the running one]
    #[arg(long, value_name = "ID")]
    pub to: Option<String>,
    /// Exit 1 when deploying would change the target, 0 when not (for pull-request gates).
    /// Targets without live state to compare (docker, swarm) always count as changed
    #[arg(long)]
    pub exit_code: bool,
}

#[derive(Debug, Clone, Args, Default)]
pub struct BuildArgs {
    /// Build even when an identical image exists, without the daemon's layer cache
    #[arg(long, env = "DEVLOOP_NO_CACHE", value_parser = BoolishValueParser::new())]
    pub no_cache: bool,
    /// Builder: BuildKit is used by default wherever the daemon supports it; `--buildkit=false`
    /// chooses the classic builder, `--buildkit` insists on BuildKit
    #[arg(long, env = "DEVLOOP_BUILDKIT", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub buildkit: Option<bool>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct TestArgs {
    /// Only run these tests (by name)
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Write a JUnit XML report here
    #[arg(long, env = "DEVLOOP_JUNIT", value_name = "FILE")]
    pub junit: Option<PathBuf>,
    #[command(flatten)]
    pub build: BuildArgs,
}

#[derive(Debug, Clone, Args, Default)]
pub struct ReleaseArgs {
    /// Release even when tracked files have uncommitted changes
    #[arg(long, env = "DEVLOOP_ALLOW_DIRTY", value_parser = BoolishValueParser::new())]
    pub allow_dirty: bool,
    /// List recorded releases instead of releasing
    #[arg(long)]
    pub list: bool,
}

#[derive(Debug, Clone, Args, Default)]
pub struct DeployArgs {
    /// Release to deploy (id or tag) [default: the latest]
    #[arg(long, value_name = "ID")]
    pub release: Option<String>,
    /// How long to wait for the deploy to settle, e.g. 10m
    #[arg(long, env = "DEVLOOP_TIMEOUT", value_name = "DURATION", value_parser = parse_timeout)]
    pub timeout: Option<std::time::Duration>,
    /// Take the deploy lock even if another deploy holds it, when that deploy is gone
    #[arg(long)]
    pub force_unlock: bool,
    /// Wait for the deploy lock when another deploy holds it (up to the deploy timeout)
    #[arg(long, conflicts_with = "force_unlock")]
    pub wait_lock: bool,
    /// Deploy without the deploy lock (ECS services with an old short ARN cannot carry it)
    #[arg(long, conflicts_with_all = ["force_unlock", "wait_lock"])]
    pub no_lock: bool,
    /// Deploy only the services named with -s, not the services they need
    #[arg(long)]
    pub no_deps: bool,
}

#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// Show logs
    #[arg(long)]
    pub logs: bool,
    /// Keep following the logs
    #[arg(long, short = 'f', requires = "logs")]
    pub follow: bool,
    /// With --logs: logs since this long ago (default 1h on AWS). Otherwise: the metrics window
    /// (default 1h)
    #[arg(long, value_name = "DURATION", value_parser = parse_since)]
    pub since: Option<std::time::Duration>,
    /// Last N log lines
    #[arg(long, value_name = "N")]
    pub tail: Option<usize>,
    /// Only log lines containing this text (on AWS: a CloudWatch Logs filter pattern)
    #[arg(long, value_name = "TEXT", requires = "logs")]
    pub filter: Option<String>,
    /// Refresh the view until interrupted
    #[arg(long, short = 'w')]
    pub watch: bool,
    /// Exit 1 when the target is unhealthy, missing, or a deployment is failing or stuck
    /// (for cron and CI)
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Release to go back to [default: the one before the current]
    #[arg(long, value_name = "ID")]
    pub to: Option<String>,
    /// Take the deploy lock even if another deploy holds it, when that deploy is gone
    #[arg(long)]
    pub force_unlock: bool,
    /// Wait for the deploy lock when another deploy holds it (up to the deploy timeout)
    #[arg(long, conflicts_with = "force_unlock")]
    pub wait_lock: bool,
    /// Deploy without the deploy lock (ECS services with an old short ARN cannot carry it)
    #[arg(long, conflicts_with_all = ["force_unlock", "wait_lock"])]
    pub no_lock: bool,
}

#[derive(Debug, Args)]
pub struct ShipArgs {
    #[command(flatten)]
    pub build: BuildArgs,
    /// Release even when tracked files have uncommitted changes
    #[arg(long, env = "DEVLOOP_ALLOW_DIRTY", value_parser = BoolishValueParser::new())]
    pub allow_dirty: bool,
    /// Write a JUnit XML report of the tests here
    #[arg(long, env = "DEVLOOP_JUNIT", value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Skip the tests: build, release and deploy
    #[arg(long)]
    pub no_tests: bool,
    #[command(flatten)]
    pub deploy: DeployArgs,
}

#[derive(Debug, Args)]
pub struct DevArgs {
    #[command(flatten)]
    pub build: BuildArgs,
    /// Run the host and image tests before each redeploy
    #[arg(long)]
    pub test: bool,
    /// Leave the last version running when dev stops
    #[arg(long)]
    pub keep: bool,
    /// How long a redeploy may take to become healthy, e.g. 30s
    #[arg(long, env = "DEVLOOP_TIMEOUT", value_name = "DURATION", value_parser = parse_timeout)]
    pub timeout: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Shell to generate completions for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `--timeout`: a duration of at most 7 days.
fn parse_timeout(s: &str) -> Result<std::time::Duration, DurationError> {
    crate::config::duration::parse_timeout(s)
}

/// `--since`: a duration of at most 365 days.
fn parse_since(s: &str) -> Result<std::time::Duration, DurationError> {
    crate::config::duration::parse_since(s)
}
