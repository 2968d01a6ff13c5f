//! The build step: what it would build (for `plan`) and the build itself.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use bollard::query_parameters::ListImagesOptionsBuilder;
use serde_json::json;

use crate::docker::build::{self as docker_build, BuildRequest, Input};
use crate::docker::context;
use crate::docker::Daemon;
use crate::engine::{Done, Slot, Step, StepCtx, StepPlan};
use crate::error::{Error, Result};
use crate::session::Session;

pub const NAME: &str = "build";
pub const AVAILABLE: bool = true;

/// Label holding the digest of everything the build depends on.
pub const DIGEST_LABEL: &str = "devloop.digest";

pub fn plan(project: &Session) -> StepPlan {
    let cfg = &project.config;
    let b = &cfg.doc.build;
    let rel = |p: &std::path::Path| {
        p.strip_prefix(&cfg.root)
            .map(|r| r.display().to_string())
            .unwrap_or_else(|_| p.display().to_string())
    };
    let dockerfile = rel(&cfg.dockerfile());
    let git_note = if git_in_context(project) {
        format!("; {GIT_IN_CONTEXT}")
    } else {
        String::new()
    };
    let (action, tags, error) = match project.image_refs(None) {
        Ok(refs) => (
            format!(
                "build {} from {dockerfile} (context {}){git_note}",
                refs.join(", "),
                b.context
            ),
            json!(refs),
            None,
        ),
        Err(why) => (
            format!("build {} from {dockerfile}", cfg.image_name()),
            json!(null),
            Some(why),
        ),
    };
    StepPlan {
        action,
        details: json!({
            "image": cfg.image_name(),
            "tags": tags,
            "tags_error": error,
            "context": b.context,
            "dockerfile": dockerfile,
            "target": b.target,
            "platform": b.platform,
            "args": b.args,
            "labels": b.labels,
            "cache_from": b.cache_from,
            "buildkit": project.settings.buildkit,
            "secrets": b.secrets.keys().collect::<Vec<_>>(),
            "no_cache": project.settings.no_cache,
        }),
    }
}

/// The line number in a builder's "dockerfile parse error line 2: unknown instruction: RUNN"
/// (classic and BuildKit, "on line" in newer BuildKit), and what it says is wrong.
fn parse_error(message: &str) -> Option<(usize, String)> {
    let at = message.find("dockerfile parse error")?;
    let rest = &message[at + "dockerfile parse error".len()..];
    let rest = rest.trim_start().trim_start_matches("on ").trim_start();
    let rest = rest.strip_prefix("line ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let line = digits.parse().ok()?;
    let what = rest[digits.len()..].trim_start_matches(':').trim();
    Some((line, what.to_string()))
}

/// A Dockerfile the builder could not parse: the error names the Dockerfile's line (quoted
/// below it, and located for CI annotations) instead of whichever step the builder was on.
fn at_dockerfile_line(err: Error, dockerfile: &std::path::Path, root: &std::path::Path) -> Error {
    let Some((line, what)) = parse_error(&err.message) else {
        return err;
    };
    let shown = dockerfile
        .strip_prefix(root)
        .unwrap_or(dockerfile)
        .display()
        .to_string();
    let text = std::fs::read_to_string(dockerfile)
        .ok()
        .and_then(|t| t.lines().nth(line.saturating_sub(1)).map(str::to_string));
    let mut fixed = Error::failed(format!("{shown}:{line}: {what}"))
        .with_hint("fix that line of the Dockerfile; nothing was built")
        .at(crate::error::Location {
            file: shown,
            line: Some(line),
            col: None,
        });
    if let Some(text) = text {
        fixed = fixed.with_detail(vec![format!("{line:>4} | {text}")]);
    }
    fixed
}

/// Said by `plan` and `build` when the repository itself is sent with every build.
const GIT_IN_CONTEXT: &str = "note: .git is in the build context, so every commit changes the image (add .git to .dockerignore)";

/// Whether the build context holds the git directory and the ignore file the builder reads does
/// not leave it out.
fn git_in_context(project: &Session) -> bool {
    let cfg = &project.config;
    let context = cfg.context_dir();
    if !context.join(".git").exists() {
        return false;
    }
    let buildkit = project.settings.buildkit.unwrap_or(true);
    let file = context::ignore_file(&context, &cfg.dockerfile(), buildkit);
    let rules = std::fs::read_to_string(file).unwrap_or_default();
    crate::docker::ignore::Ignore::parse(&rules).map_or(true, |i| !i.excludes(".git"))
}

/// What a build hands the steps after it: the image, by ID and by the references it was tagged
/// with, and the content digest it was built from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Built {
    pub image: String,
    pub refs: Vec<String>,
    pub image_id: String,
    pub digest: String,
    /// `buildkit` or `classic`; `None` when an identical build was found.
    pub builder: Option<&'static str>,
    /// Whether an image was built (`false`: an identical build existed).
    pub built: bool,
}

impl Built {
    /// The reference tests run and releases are made from.
    pub fn first_ref(&self) -> &str {
        self.refs.first().map_or(&self.image_id, String::as_str)
    }
    /// The short digest the `{digest}` tag placeholder stands for.
    pub fn short_digest(&self) -> &str {
        self.digest.get(..12).unwrap_or(&self.digest)
    }
}

/// The build step; its result goes into `built` for the steps after it.
pub fn step(project: &Arc<Session>, built: &Slot<Built>) -> Step {
    let timeout = project.config.doc.build.timeout.map(|d| d.get());
    let project = project.clone();
    let built = built.clone();
    Step::new(NAME, plan(&project), move |ctx| async move {
        let done = run(&project, &ctx).await?;
        if let Some(b) = done
            .result
            .as_ref()
            .and_then(|r| r.as_any().downcast_ref::<Built>())
        {
            built.fill(b.clone());
        }
        Ok(done)
    })
    .timeout(timeout)
}

/// The stat cache file for a context directory.
fn cache_path(project: &Session) -> std::path::PathBuf {
    let ctx = project.config.context_dir();
    let key = hex::encode(Sha256::digest(ctx.to_string_lossy().as_bytes()));
    project
        .config
        .root
        .join(".devloop/cache")
        .join(format!("context-{}.json", &key[..16]))
}

/// Everything besides the context that changes what the build produces.
fn build_digest(
    context_digest: &str,
    project: &Session,
    args: &BTreeMap<String, String>,
) -> String {
    let b = &project.config.doc.build;
    let mut h = Sha256::new();
    h.update(format!("devloop-build-v1\ncontext {context_digest}\n"));
    for (k, v) in args {
        h.update(format!("arg {k}={v}\n"));
    }
    for (k, v) in &b.labels {
        h.update(format!("label {k}={v}\n"));
    }
    h.update(format!(
        "target {:?}\nplatform {:?}\n",
        b.target, b.platform
    ));
    // Which secrets are offered, not their values (BuildKit does not rebuild when a value changes).
    for id in b.secrets.keys() {
        h.update(format!("secret {id}\n"));
    }
    hex::encode(h.finalize())
}

/// The image references to build, or why the image cannot be named.
fn refs(project: &Session, digest: &str) -> Result<Vec<String>> {
    let refs = project
        .image_refs(Some(digest.get(..12).unwrap_or(digest)))
        .map_err(|why| Error::usage(format!("cannot name the image: {why}")))?;
    if refs.is_empty() {
        return Err(Error::usage("build.tags is empty"));
    }
    Ok(refs)
}

async fn run(project: &Session, ctx: &StepCtx) -> Result<Done> {
    // The build caches live in devloop's state directory, which keeps itself out of git.
    if let Err(e) = crate::state::dir(&project.config.root) {
        ctx.warn(format!("cannot create .devloop/ for the build caches: {e}"));
    }
    if git_in_context(project) {
        ctx.warn(GIT_IN_CONTEXT);
    }
    let cfg = &project.config;
    // Fail on a tag that cannot be rendered here before any work.
    project
        .check_build_tags()
        .map_err(|why| Error::usage(format!("cannot name the image: {why}")))?;
    // The context scan (the slow part on a large context) runs while the daemon is contacted.
    // BuildKit unless the classic builder is chosen; whether the daemon has it is known below.
    let chosen = project.settings.buildkit;
    let requested = chosen.unwrap_or(true);
    let (context_dir, dockerfile) = (cfg.context_dir(), cfg.dockerfile());
    let state_dir = std::fs::canonicalize(&cfg.root)
        .unwrap_or_else(|_| cfg.root.clone())
        .join(".devloop");
    let state_exclude = context::state_exclude(&context_dir, &state_dir);
    let start_scan = |buildkit: bool| {
        let ignore_file = context::ignore_file(&context_dir, &dockerfile, buildkit);
        let (context_dir, dockerfile, state_dir, cache_file) = (
            context_dir.clone(),
            dockerfile.clone(),
            state_dir.clone(),
            cache_path(project),
        );
        tokio::task::spawn_blocking(move || {
            context::scan(
                &context_dir,
                &dockerfile,
                &ignore_file,
                &state_dir,
                &cache_file,
            )
        })
    };
    ctx.progress("scanning the build context");
    let mut scanning = start_scan(requested);
    let daemon = project.daemon().await?.clone();
    let buildkit = requested
        && {
            let supported = daemon.supports_buildkit();
            if !supported && chosen == Some(true) {
                ctx.warn_run(format!(
                "BuildKit was requested but the daemon at {} does not support it (API 1.39+ on Linux); using the classic builder",
                daemon.endpoint.host
            ), false);
            }
            supported
        };
    if !cfg.doc.build.secrets.is_empty() && !buildkit {
        return Err(Error::usage(
            "build.secrets are mounted by BuildKit only: use a daemon that supports it, and leave build.buildkit unset or true",
        ));
    }
    // The classic builder reads another ignore file than BuildKit would have: scan again.
    if buildkit != requested
        && context::ignore_file(&context_dir, &dockerfile, buildkit)
            != context::ignore_file(&context_dir, &dockerfile, requested)
    {
        let _ = scanning.await;
        scanning = start_scan(buildkit);
    }
    let (scan, cache_write) = scanning
        .await
        .map_err(|e| Error::failed_because("context scan crashed", e))??;
    let scanned = Scanned {
        daemon,
        scan,
        buildkit,
        state_exclude,
    };
    let result = build_scanned(project, ctx, scanned).await;
    // The stat cache was written while the daemon worked.
    let _ = tokio::task::spawn_blocking(move || cache_write.finish()).await;
    result
}

/// What the build step knows once the context is scanned and the daemon answered.
struct Scanned {
    daemon: Daemon,
    scan: context::Scan,
    buildkit: bool,
    /// The pattern that keeps devloop's state out of the context, when it lies inside it.
    state_exclude: Option<String>,
}

/// Skip or build, once the context is scanned.
async fn build_scanned(project: &Session, ctx: &StepCtx, scanned: Scanned) -> Result<Done> {
    let Scanned {
        daemon,
        scan,
        buildkit,
        state_exclude,
    } = scanned;
    let daemon = &daemon;
    let cfg = &project.config;
    ctx.check_cancelled()?;

    let args: BTreeMap<String, String> = cfg
        .doc
        .build
        .args
        .iter()
        .map(|(k, v)| (k.clone(), v.value().to_string()))
        .collect();
    let digest = build_digest(&scan.digest, project, &args);
    let refs = refs(project, &digest)?;
    let first = refs.first().cloned().unwrap_or_default();
    let summary = format!(
        "{} files, {} (read {} new or changed)",
        scan.files,
        crate::units::human_bytes(scan.bytes),
        scan.hashed
    );

    if !project.settings.no_cache {
        let indexed = ClassicIndex::load(project).get(&digest);
        if let Some((id, tagged)) = built_with_digest(daemon, &first, &digest, indexed).await {
            for r in refs.iter().filter(|r| !tagged.contains(r)) {
                docker_build::tag(daemon, &id, r).await?;
            }
            return Ok(Done::skipped(format!(
                "{} is up to date: identical inputs already built (digest {}; {summary})",
                refs.join(", "),
                &digest[..12]
            ))
            .with_result(Built {
                image: cfg.image_name().to_string(),
                refs,
                image_id: id,
                digest,
                builder: None,
                built: false,
            }));
        }
    }

    // BuildKit writes labels into the image config for free. The classic builder turns each label
    // into a step of its own (a container created and committed), so it gets only the user's
    // labels, as `docker build --label` would, and devloop remembers its builds by digest in
    // `.devloop/cache/` instead. No label varies between builds of the same inputs.
    let mut labels = cfg.doc.build.labels.clone();
    if buildkit {
        labels.insert(DIGEST_LABEL.into(), digest.clone());
        labels.insert("devloop.app".into(), cfg.app().to_string());
    }
    if let (true, Ok(g)) = (buildkit, &project.git) {
        labels.insert("org.opencontainers.image.revision".into(), g.sha.clone());
        if let Some(remote) = &g.remote {
            labels.insert("org.opencontainers.image.source".into(), remote.clone());
        }
    }
    // BuildKit reads the context over devloop's session (only changed files move); the classic
    // builder gets it as a tar.
    let input = if buildkit {
        ctx.progress(format!("BuildKit is reading the context: {summary}"));
        Input::Session {
            context: std::fs::canonicalize(cfg.context_dir()).unwrap_or_else(|_| cfg.context_dir()),
            dockerfile: std::fs::canonicalize(cfg.dockerfile())
                .unwrap_or_else(|_| cfg.dockerfile()),
            // devloop's own state is never part of the context, as with the tar.
            context_excludes: state_exclude.into_iter().collect(),
            ambient: project.ambient.clone(),
            secrets: read_secrets(project, ctx)?,
        }
    } else {
        ctx.progress(format!("sending context: {summary}"));
        Input::Tar {
            dockerfile: scan.dockerfile.clone(),
            tar: context::tar_stream(scan),
        }
    };
    let request = BuildRequest {
        reference: first.clone(),
        args,
        labels,
        target: cfg.doc.build.target.clone(),
        platform: cfg.doc.build.platform.clone(),
        cache_from: cfg.doc.build.cache_from.clone(),
        no_cache: project.settings.no_cache,
        input,
    };
    let id = docker_build::build(daemon, ctx, request)
        .await
        .map_err(|e| at_dockerfile_line(e, &cfg.dockerfile(), &cfg.root))?;
    if !buildkit {
        ClassicIndex::load(project).insert(&digest, &id);
    }
    for r in refs.iter().skip(1) {
        docker_build::tag(daemon, &id, r).await?;
    }
    let short_id = id
        .trim_start_matches("sha256:")
        .chars()
        .take(12)
        .collect::<String>();
    let builder = if buildkit {
        "BuildKit"
    } else {
        "classic builder"
    };
    Ok(Done::new(format!(
        "built {} with {builder} ({short_id}; {summary})",
        refs.join(", ")
    ))
    .with_result(Built {
        image: cfg.image_name().to_string(),
        refs,
        image_id: id,
        digest,
        builder: Some(if buildkit { "buildkit" } else { "classic" }),
        built: true,
    }))
}

/// The newest image labelled with this build digest, and its tags. Found by label, so an image
/// whose tags have moved on (dangling, as the docker CLI leaves it) still counts until it is
/// pruned; devloop adds no tag of its own that would pin images.
async fn built_with_digest(
    daemon: &Daemon,
    first: &str,
    digest: &str,
    indexed: Option<String>,
) -> Option<(String, Vec<String>)> {
    // Usually nothing changed and the first tag already names the image: one inspect.
    if let Ok(image) = daemon.client.inspect_image(first).await {
        let labels = image.config.as_ref().and_then(|c| c.labels.as_ref());
        let labelled = labels
            .and_then(|l| l.get(DIGEST_LABEL))
            .is_some_and(|d| d == digest);
        if labelled || (indexed.is_some() && image.id == indexed) {
            if let Some(id) = image.id {
                return Some((id, image.repo_tags.unwrap_or_default()));
            }
        }
    }
    // A classic build devloop remembers, if the daemon still has it.
    if let Some(id) = indexed {
        if let Ok(image) = daemon.client.inspect_image(&id).await {
            return Some((id, image.repo_tags.unwrap_or_default()));
        }
    }
    let filters = HashMap::from([(
        "label".to_string(),
        vec![format!("{DIGEST_LABEL}={digest}")],
    )]);
    let opts = ListImagesOptionsBuilder::default()
        .filters(&filters)
        .build();
    let mut images = daemon.client.list_images(Some(opts)).await.ok()?;
    images.sort_by_key(|i| std::cmp::Reverse(i.created));
    images
        .into_iter()
        .find(|i| i.labels.get(DIGEST_LABEL).is_some_and(|d| d == digest))
        .map(|i| (i.id, i.repo_tags))
}

/// The classic builder's images carry no devloop labels (each would cost a build step), so the
/// digest → image ID of recent classic builds is kept in `.devloop/cache/classic-builds.json`.
struct ClassicIndex {
    path: std::path::PathBuf,
    /// (digest, image ID), newest last.
    entries: Vec<(String, String)>,
}

impl ClassicIndex {
    /// How many builds are remembered.
    const KEEP: usize = 64;

    fn load(project: &Session) -> ClassicIndex {
        let path = project
            .config
            .root
            .join(".devloop/cache/classic-builds.json");
        let entries = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        ClassicIndex { path, entries }
    }

    fn get(&self, digest: &str) -> Option<String> {
        self.entries
            .iter()
            .rev()
            .find(|(d, _)| d == digest)
            .map(|(_, id)| id.clone())
    }

    /// Remember a build. A failure to write only costs a rebuild later, so it is not an error.
    fn insert(mut self, digest: &str, id: &str) {
        self.entries.retain(|(d, _)| d != digest);
        self.entries.push((digest.to_string(), id.to_string()));
        let excess = self.entries.len().saturating_sub(Self::KEEP);
        self.entries.drain(..excess);
        if let (Some(dir), Ok(body)) = (self.path.parent(), serde_json::to_vec(&self.entries)) {
            let tmp = self
                .path
                .with_extension(format!("{}.tmp", std::process::id()));
            let _ = std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(&tmp, body))
                .and_then(|()| std::fs::rename(&tmp, &self.path));
        }
    }
}

/// Read `[build.secrets]` for this build; every value is masked in all output from here on.
fn read_secrets(project: &Session, ctx: &StepCtx) -> Result<HashMap<String, Vec<u8>>> {
    let mut out = HashMap::new();
    for (id, secret) in &project.config.doc.build.secrets {
        let source = secret.get_ref();
        let value = match (&source.env, &source.file) {
            (Some(var), None) => project
                .ambient
                .var(var)
                .ok_or_else(|| {
                    Error::usage(format!(
                        "build secret \"{id}\": environment variable {var} is not set"
                    ))
                })?
                .into_bytes(),
            (None, Some(file)) => {
                let path = match (file.strip_prefix("~/"), project.ambient.home()) {
                    (Some(rest), Some(home)) => home.join(rest),
                    _ => project.config.root.join(file),
                };
                std::fs::read(&path).map_err(|e| {
                    Error::usage_because(
                        format!("build secret \"{id}\": cannot read {}", path.display()),
                        e,
                    )
                })?
            }
            _ => {
                return Err(Error::usage(format!(
                    "build secret \"{id}\" needs exactly one of env or file"
                )))
            }
        };
        if let Ok(text) = std::str::from_utf8(&value) {
            // The mask takes each line of a multi-line value too, in case a step prints part of a file.
            ctx.add_secrets([text.trim().to_string()]);
            if crate::output::secret_too_short(text) {
                ctx.warn_run(format!(
                    "build secret \"{id}\" has fewer than {} characters, too short to mask: it is shown as is wherever it appears",
                    crate::output::MIN_SECRET_LEN
                ), true);
            }
        }
        out.insert(id.clone(), value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::parse_error;

    #[test]
    fn dockerfile_parse_errors_name_their_line() {
        assert_eq!(
            parse_error("failed to solve with frontend dockerfile.v0: failed to create LLB definition: dockerfile parse error line 2: unknown instruction: RUNN"),
            Some((2, "unknown instruction: RUNN".into()))
        );
        assert_eq!(
            parse_error("failed to solve: dockerfile parse error on line 7: FROM requires either one or three arguments"),
            Some((7, "FROM requires either one or three arguments".into()))
        );
        assert_eq!(
            parse_error("process \"/bin/sh -c exit 7\" did not complete"),
            None
        );
    }
}
