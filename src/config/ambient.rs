//! The process environment, read in one place.
//!
//! Commands and the printer get what they need from here (CI flags, GitHub Actions paths, NO_COLOR,
//! the branch a CI runner checked out) instead of calling `std::env` themselves.

use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Default)]
pub struct Ambient {
    vars: BTreeMap<String, String>,
}

impl Ambient {
    /// Snapshot the real process environment.
    pub fn from_process() -> Self {
        Ambient {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    /// An environment with just these variables (tests).
    #[cfg(test)]
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Ambient {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    pub fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn flag(&self, name: &str) -> bool {
        self.vars
            .get(name)
            .is_some_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
    }

    /// Running under a CI system (`CI` set, as every major runner does).
    pub fn ci(&self) -> bool {
        self.flag("CI")
    }

    pub fn github_actions(&self) -> bool {
        self.vars.get("GITHUB_ACTIONS").is_some_and(|v| v == "true")
    }

    pub fn github_step_summary(&self) -> Option<PathBuf> {
        self.vars
            .get("GITHUB_STEP_SUMMARY")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    }

    /// `NO_COLOR` present and non-empty (no-color.org).
    pub fn no_color(&self) -> bool {
        self.vars.get("NO_COLOR").is_some_and(|v| !v.is_empty())
    }

    /// The branch a CI runner built, for detached-HEAD checkouts.
    pub fn ci_branch(&self) -> Option<String> {
        [
            "GITHUB_HEAD_REF",
            "GITHUB_REF_NAME",
            "CI_COMMIT_REF_NAME",
            "BRANCH_NAME",
            "GIT_BRANCH",
            "TRAVIS_BRANCH",
            "CODEBUILD_WEBHOOK_HEAD_REF",
        ]
        .iter()
        .filter_map(|k| self.vars.get(*k))
        .find(|v| !v.is_empty())
        .map(|v| {
            v.trim_start_matches("refs/heads/")
                .trim_start_matches("origin/")
                .to_string()
        })
    }

    /// User name for release records.
    pub fn user(&self) -> String {
        ["GITHUB_ACTOR", "GITLAB_USER_LOGIN", "USER", "USERNAME"]
            .iter()
            .filter_map(|k| self.vars.get(*k))
            .find(|v| !v.is_empty())
            .cloned()
            .unwrap_or_else(|| "unknown".to_string())
    }

    /// Who started the CI run, by the runner's own variable (GitHub, GitLab, CodeBuild, Jenkins's
    /// build-user plugin, Travis has none); `None` outside CI.
    pub fn ci_actor(&self) -> Option<String> {
        [
            "GITHUB_ACTOR",
            "GITLAB_USER_LOGIN",
            "CODEBUILD_INITIATOR",
            "BUILD_USER_ID",
            "BUILD_USER",
        ]
        .iter()
        .filter_map(|k| self.vars.get(*k))
        .find(|v| !v.is_empty())
        .cloned()
    }

    /// The page of this CI run, when a runner says where it is (GitHub Actions, GitLab, CodeBuild,
    /// Jenkins).
    pub fn ci_run_url(&self) -> Option<String> {
        let get = |k: &str| self.vars.get(k).filter(|v| !v.is_empty());
        if let (Some(server), Some(repo), Some(run)) = (
            get("GITHUB_SERVER_URL"),
            get("GITHUB_REPOSITORY"),
            get("GITHUB_RUN_ID"),
        ) {
            return Some(format!(
                "{}/{repo}/actions/runs/{run}",
                server.trim_end_matches('/')
            ));
        }
        ["CI_JOB_URL", "CODEBUILD_BUILD_URL", "BUILD_URL"]
            .iter()
            .find_map(|k| get(k))
            .cloned()
    }

    /// The user's name at this machine (`USER`, `USERNAME`), when set.
    pub fn login(&self) -> Option<String> {
        ["USER", "USERNAME"]
            .iter()
            .filter_map(|k| self.vars.get(*k))
            .find(|v| !v.is_empty())
            .cloned()
    }

    pub fn home(&self) -> Option<PathBuf> {
        self.vars.get("HOME").map(PathBuf::from)
    }
}
