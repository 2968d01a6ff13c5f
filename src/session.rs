//! The session every operation runs in: the loaded config, git state, the settings resolved from
//! flags, environment and file, and the run's one Docker connection and one AWS configuration,
//! each made when first needed.

use std::sync::Arc;
use std::time::SystemTime;

use aws_config::SdkConfig;
use tokio::sync::OnceCell;

use crate::config::{Ambient, Config};
use crate::docker::Daemon;
use crate::error::Result;
use crate::git::{self, GitInfo, NoGit};
pub use crate::settings::{Overrides, Settings};
use crate::template::{self, TemplateError, Vars};

/// What every step may read: the loaded config, git state and the moment the run started, plus the
/// run's one Docker connection and one AWS configuration, each made when first needed.
pub struct Session {
    pub config: Config,
    /// Git state, or why there is none (not a repository, no commits).
    pub git: Result<GitInfo, NoGit>,
    pub started: SystemTime,
    pub ambient: Ambient,
    /// The settings this run goes by (flag > environment > file > default).
    pub settings: Settings,
    /// What the command line set, for the settings of each service's session.
    overrides: Overrides,
    /// Shared by the sessions of one run's services ([`Session::for_service`]).
    daemon: Arc<OnceCell<Daemon>>,
    aws: Arc<OnceCell<SdkConfig>>,
    /// Where warnings found while reading shared state (the ledger) go, each said once per run.
    warnings: std::sync::OnceLock<crate::output::Printer>,
}

impl Session {
    /// Who holds a deploy lock this process takes: the user (or CI actor), the process and the
    /// host, so a refusal names someone a person can find.
    pub fn lock_owner(&self) -> String {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "this host".into());
        format!(
            "{} (pid {} on {host})",
            self.ambient.user(),
            std::process::id()
        )
    }

    pub fn new(config: Config, ambient: Ambient, overrides: &Overrides) -> Self {
        let git = git::inspect(&config.root, ambient.ci_branch());
        Session {
            settings: Settings::resolve(&config, overrides),
            overrides: overrides.clone(),
            config,
            git,
            started: SystemTime::now(),
            ambient,
            daemon: Arc::new(OnceCell::new()),
            aws: Arc::new(OnceCell::new()),
            warnings: std::sync::OnceLock::new(),
        }
    }

    /// The session of one service of the app: its settings in `config.doc`, names that carry its
    /// name, and the same run (git state, start time, settings, Docker and AWS connections).
    /// `None` for a service the environment does not run.
    pub fn for_service(&self, name: &str) -> Option<Arc<Session>> {
        let config = self.config.for_service(name)?;
        let warnings = std::sync::OnceLock::new();
        if let Some(p) = self.warnings.get() {
            let _ = warnings.set(p.clone());
        }
        Some(Arc::new(Session {
            // A service's own settings (its deploy timeout, its builder) over the shared ones.
            settings: Settings::resolve(&config, &self.overrides),
            overrides: self.overrides.clone(),
            config,
            git: self.git.clone(),
            started: self.started,
            ambient: self.ambient.clone(),
            daemon: self.daemon.clone(),
            aws: self.aws.clone(),
            warnings,
        }))
    }

    /// One session per service the environment runs, each after what it needs; for a file
    /// without `[services]`, this session itself.
    pub fn services(self: &Arc<Self>) -> Vec<Arc<Session>> {
        if !self.config.multi {
            return vec![self.clone()];
        }
        self.config
            .services
            .iter()
            .filter_map(|s| self.for_service(&s.name))
            .collect()
    }

    /// Send this project's warnings (a ledger file that cannot be read, …) to `printer`.
    pub fn with_warnings_to(self, printer: &crate::output::Printer) -> Self {
        let _ = self.warnings.set(printer.clone());
        self
    }

    /// A warning about the project's state, said once per run however often it is found.
    pub fn warn_once(&self, message: String) {
        if let Some(printer) = self.warnings.get() {
            printer.warn_once(&message);
        }
    }

    /// The Docker daemon, dialled and version-negotiated once per run.
    pub async fn daemon(&self) -> Result<&Daemon> {
        self.daemon
            .get_or_try_init(|| Daemon::connect(&self.ambient))
            .await
    }

    /// The AWS configuration (region, credentials proven), resolved once per run.
    pub async fn aws(&self) -> Result<&SdkConfig> {
        self.aws
            .get_or_try_init(|| crate::aws::sdk_config(&self.config.doc.aws, &self.ambient))
            .await
    }

    /// The values tag templates may use; `digest` is the build's content digest once known.
    pub fn template_vars(&self, digest: Option<&str>) -> Vars {
        let mut vars = Vars::default();
        match &self.git {
            Ok(g) => {
                vars.set("sha", &g.sha);
                vars.set("short_sha", &g.short_sha);
                match &g.branch {
                    Some(b) => vars.set("branch", b),
                    None => vars.unavailable(
                        "branch",
                        "HEAD is detached and no CI branch variable is set",
                    ),
                }
                match &g.tag {
                    Some(t) => vars.set("tag", t),
                    None => vars.unavailable("tag", "no git tag points at HEAD"),
                }
            }
            Err(why) => {
                for name in ["sha", "short_sha", "branch", "tag"] {
                    vars.unavailable(name, why);
                }
            }
        }
        let stamp = humantime::format_rfc3339_seconds(self.started).to_string();
        let compact: String = stamp.chars().filter(char::is_ascii_digit).collect();
        vars.set("timestamp", compact);
        match digest {
            Some(d) => vars.set("digest", d),
            None => vars.unavailable(
                "digest",
                "it is the build's content digest, known once the build has read the context",
            ),
        }
        vars.set("app", self.config.app());
        vars.set("env", self.config.env_name());
        vars
    }

    /// Render tag templates with the build's digest (when known); the error names the template
    /// and why it cannot be rendered here.
    pub fn render(
        &self,
        templates: &[toml::Spanned<String>],
        digest: Option<&str>,
    ) -> Result<Vec<String>, TemplateError> {
        let vars = self.template_vars(digest);
        let mut tags: Vec<String> = Vec::new();
        for t in templates {
            let tag = template::render(t.get_ref(), &vars)?;
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        Ok(tags)
    }

    /// Check that the build tags render here, before any work (`{digest}` is known only later).
    pub fn check_build_tags(&self) -> Result<(), TemplateError> {
        let vars = self.template_vars(Some("0"));
        for t in &self.config.doc.build.tags {
            template::render(t.get_ref(), &vars)?;
        }
        Ok(())
    }

    /// The references the build will produce, for `plan`: `{digest}` is shown as written, since
    /// only the build knows it.
    pub fn planned_refs(&self) -> Result<Vec<String>, TemplateError> {
        const MARK: &str = "devloop-digest-to-come";
        let vars = self.template_vars(Some(MARK));
        let image = self.config.image_name();
        let mut refs = Vec::new();
        for t in &self.config.doc.build.tags {
            let tag = template::render(t.get_ref(), &vars)?.replace(MARK, "{digest}");
            let r = format!("{image}:{tag}");
            if !refs.contains(&r) {
                refs.push(r);
            }
        }
        Ok(refs)
    }

    /// `image:tag` references the build produces, given its digest.
    pub fn image_refs(&self, digest: Option<&str>) -> Result<Vec<String>, TemplateError> {
        let image = self.config.image_name();
        Ok(self
            .render(&self.config.doc.build.tags, digest)?
            .into_iter()
            .map(|t| format!("{image}:{t}"))
            .collect())
    }
}
