//! `devloop init`: write a commented devloop.toml for the project in the current directory, a
//! `.dockerignore` when there is none (so `.git` and devloop's own files never reach the build),
//! and a health check on the port the Dockerfile exposes; `--example` prints the full reference.
//! In a compose project it converts the compose file instead (compose/).

mod compose;

use std::path::{Component, Path, PathBuf};

use super::Context;
use crate::config::{self, Source, FILE_NAME};
use crate::error::{Error, ExitStatus, Result};

/// What `devloop init` is asked.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Overwrite an existing devloop.toml.
    pub force: bool,
    /// The app name [default: the compose file's `name:`, else from the git remote or the
    /// directory name].
    pub name: Option<String>,
    /// Print the full reference config instead of writing a file.
    pub example: bool,
}

/// The reference config, every key commented: what `devloop init --example` prints.
const EXAMPLE: &str = include_str!("../../../devloop.toml.example");

pub fn run(ctx: &Context, args: &Request) -> Result<ExitStatus> {
    if args.example {
        ctx.printer
            .document(EXAMPLE, serde_json::json!({ "example": EXAMPLE }));
        return Ok(ExitStatus::Success);
    }
    let path = ctx.cwd.join(FILE_NAME);
    if path.exists() && !args.force {
        return Err(Error::usage(format!("{} already exists", path.display()))
            .with_hint("pass --force to overwrite it"));
    }
    if let Some(file) = compose::find(&ctx.cwd) {
        return from_compose(ctx, args, &path, &file);
    }
    let name = match &args.name {
        Some(n) => n.clone(),
        None => detect_name(&ctx.cwd),
    };
    let dockerfile = ctx.cwd.join("Dockerfile").is_file();
    let exposed = std::fs::read_to_string(ctx.cwd.join("Dockerfile"))
        .ok()
        .and_then(|text| exposed_port(&text));
    let text = render(&name, dockerfile, tag(&ctx.cwd), exposed);
    // What we write must load: check it before touching the disk.
    let source = Source::new(&path, text.clone(), &ctx.cwd);
    config::load_source(source, None, &|_| None).map_err(|e| {
        Error::usage_because(format!("cannot write a config for app name \"{name}\""), e)
            .with_hint("pass --name with lowercase letters, digits and - . _")
    })?;
    write(&path, &text)?;
    let mut msg = format!("wrote {} for app \"{name}\"", path.display());
    if !dockerfile {
        msg.push_str(" (no Dockerfile here yet: the build step expects one)");
    }
    match exposed {
        Some(port) => msg.push_str(&format!(
            "; it publishes and health-checks port {port}, the one the Dockerfile exposes"
        )),
        None if dockerfile => msg.push_str(
            "; the Dockerfile exposes no port, so it assumes 80: set deploy.docker.ports and [deploy.health] to the port your app listens on",
        ),
        None => {}
    }
    ctx.printer.info(&msg);
    write_dockerignore(ctx, &ctx.cwd)?;
    ctx.printer.info(NEXT);
    Ok(ExitStatus::Success)
}

const NEXT: &str = "next: `devloop plan` to see what `devloop ship` would do; `devloop init --example` prints every setting (devloop keeps its own state in .devloop/, out of git)";

/// The image tag: `{short_sha}` needs a commit; outside a repository (or before its first commit)
/// the build's content digest names the image instead, so the first `devloop build` works where
/// it stands.
fn tag(dir: &Path) -> &'static str {
    match crate::git::inspect(dir, None) {
        Ok(_) => "{short_sha}",
        Err(_) => "{digest}",
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text)
        .map_err(|e| Error::failed_because(format!("cannot write {}", path.display()), e))
}

/// devloop.toml converted from the compose file docker compose would read here; a warning for
/// each thing it could not carry over.
fn from_compose(ctx: &Context, args: &Request, path: &Path, file: &Path) -> Result<ExitStatus> {
    let compose = compose::Compose::read(file, &ctx.cwd)?;
    let app = match (&args.name, compose.name()) {
        (Some(n), _) => n.clone(),
        (None, Some(n)) => sanitize_name(&n),
        (None, None) => detect_name(&ctx.cwd),
    };
    let settings = compose::Settings {
        app: app.clone(),
        project: compose.project(&ctx.cwd),
        tags: Some(tag(&ctx.cwd))
            .filter(|t| *t != "{short_sha}")
            .map(str::to_string),
    };
    let converted = compose::convert(&compose, &settings, &ctx.cwd)?;
    // What we write must load: check it before touching the disk. Variables stand for "1" here:
    // the check is of the file, their values are the environment's when devloop runs.
    let source = Source::new(path, converted.text.clone(), &ctx.cwd);
    config::load_source(source, None, &|_| Some("1".to_string())).map_err(|e| {
        Error::usage_because(
            format!(
                "the devloop.toml converted from {} does not load",
                compose.file
            ),
            e,
        )
    })?;
    write(path, &converted.text)?;
    ctx.printer.info(&format!(
        "wrote {} for app \"{app}\": {} services from {}",
        path.display(),
        converted.services,
        compose.file
    ));
    for dir in local_dirs(&ctx.cwd, &converted.contexts) {
        write_dockerignore(ctx, &dir)?;
    }
    for note in &converted.notes {
        ctx.printer
            .warn(&format!("not carried over: {}: {}", note.path(), note.why));
    }
    ctx.printer.info(NEXT);
    Ok(ExitStatus::Success)
}

/// The build contexts that are directories of this project (none outside it), each once.
fn local_dirs(root: &Path, contexts: &[String]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for c in contexts {
        let rel = Path::new(c);
        let inside = rel
            .components()
            .all(|p| matches!(p, Component::Normal(_) | Component::CurDir));
        let dir = root.join(rel);
        if inside && dir.is_dir() && !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    dirs
}

/// A `.dockerignore` in `dir` when it has none.
fn write_dockerignore(ctx: &Context, dir: &Path) -> Result<()> {
    let ignore = dir.join(".dockerignore");
    if ignore.exists() {
        return Ok(());
    }
    write(&ignore, &dockerignore(dir))?;
    ctx.printer.info(&format!(
        "wrote {} (.git, .devloop and devloop.toml stay out of the image, so a commit or a deploy setting alone does not rebuild it)",
        ignore.display()
    ));
    Ok(())
}

/// The port the final stage of a Dockerfile exposes first (`EXPOSE 3000`, `EXPOSE 8080/tcp`).
fn exposed_port(dockerfile: &str) -> Option<u16> {
    let mut port = None;
    for line in dockerfile.lines() {
        let mut words = line.split_whitespace();
        match words.next().map(str::to_ascii_uppercase).as_deref() {
            // A new stage: what an earlier stage exposed is not the image's.
            Some("FROM") => port = None,
            Some("EXPOSE") if port.is_none() => {
                port = words.find_map(|w| w.split('/').next()?.parse::<u16>().ok());
            }
            _ => {}
        }
    }
    port.filter(|p| *p > 0)
}

/// A `.dockerignore` suited to the project: devloop's files and git always, and the usual
/// dependency and editor output of the ecosystems found here (never `dist` or `build`, which a
/// Dockerfile may copy).
fn dockerignore(dir: &Path) -> String {
    let mut lines = vec![
        "# Written by `devloop init`: what never belongs in the image or its build context.",
        ".git",
        ".devloop",
        "devloop.toml",
        ".dockerignore",
        "*.swp",
        "*~",
        ".DS_Store",
        ".idea",
        ".vscode",
    ];
    if dir.join("package.json").is_file() {
        lines.extend(["node_modules", "npm-debug.log*"]);
    }
    if dir.join("Cargo.toml").is_file() {
        lines.push("target");
    }
    if ["pyproject.toml", "requirements.txt", "setup.py"]
        .iter()
        .any(|f| dir.join(f).is_file())
    {
        lines.extend(["__pycache__", "*.pyc", ".venv", ".pytest_cache"]);
    }
    lines.join("\n") + "\n"
}

/// The app name: the git remote's repository name, else the directory name, made Docker-safe.
fn detect_name(dir: &Path) -> String {
    let from_remote = git2::Repository::discover(dir).ok().and_then(|repo| {
        let remote = repo.find_remote("origin").ok()?;
        let url = remote
            .url()
            .ok()?
            .trim_end_matches('/')
            .trim_end_matches(".git")
            .to_string();
        url.rsplit(['/', ':']).next().map(str::to_string)
    });
    let raw = from_remote
        .or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "app".to_string());
    sanitize_name(&raw)
}

fn sanitize_name(raw: &str) -> String {
    let mut s: String = raw
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    s = s
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string();
    if s.is_empty() {
        "app".to_string()
    } else {
        s
    }
}

fn render(name: &str, has_dockerfile: bool, tag: &str, exposed: Option<u16>) -> String {
    let dockerfile_note = if has_dockerfile {
        "# Found ./Dockerfile."
    } else {
        "# No Dockerfile found: create ./Dockerfile, or point build.dockerfile at yours."
    };
    let port = exposed.unwrap_or(80);
    // A port above 1023 is published as itself; a low one on 8080.
    let host = if port > 1023 { port } else { 8080 };
    let port_note = match exposed {
        Some(p) => format!("# The port the Dockerfile exposes (EXPOSE {p})."),
        None => {
            "# The Dockerfile exposes no port: 80 is a guess. Set the port your app listens on."
                .to_string()
        }
    };
    format!(
        r#"# devloop.toml — the whole loop for "{name}": plan, build, test, release, deploy, monitor.
# Every key: `devloop init --example` (or the README's Configuration section).
# Run `devloop plan` to see what `devloop ship` does.

[app]
name = "{name}"
default_env = "local"

[build]
{dockerfile_note}
context = "."
# Tags for the image; placeholders: {{sha}} {{short_sha}} {{branch}} {{tag}} (from git),
# {{digest}} (the build's content digest), {{timestamp}} {{app}} {{env}}.
tags = ["{tag}"]

# Tests run after the build. kind = "host" (a shell command here), "image" (a command inside the
# built image) or "service" (the image started and probed, then `run` checks it).
# [[test]]
# name = "unit"
# run = "make test"

[release]
# Where releases are pushed: "ecr", or host[:port]/namespace of any registry.
# Without a registry, a release is a tag in the local Docker daemon.
# registry = "localhost:5000/team"
moving_tags = ["latest"]

# A deploy succeeds only once this check passes. TCP: the container accepts connections on the
# port. For an HTTP check add: http = "/healthz" (any 2xx or 3xx answer).
[deploy.health]
{port_note}
port = {port}

[env.local]
deploy.target = "docker"
deploy.docker.ports = ["{host}:{port}"]
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_docker_safe() {
        assert_eq!(sanitize_name("My_App"), "my_app");
        assert_eq!(sanitize_name("--x y--"), "x-y");
        assert_eq!(sanitize_name("@@"), "app");
    }

    #[test]
    fn the_exposed_port_is_the_final_stages_first() {
        assert_eq!(exposed_port("FROM node\nEXPOSE 3000\n"), Some(3000));
        assert_eq!(exposed_port("FROM x\nexpose 8080/tcp 9090\n"), Some(8080));
        assert_eq!(
            exposed_port("FROM a AS build\nEXPOSE 9000\nFROM b\nCMD x\n"),
            None
        );
        assert_eq!(exposed_port("FROM a\nEXPOSE ${PORT}\n"), None);
    }

    #[test]
    fn a_generated_config_loads_and_checks_the_exposed_port() {
        for (exposed, ports) in [
            (Some(3000), "3000:3000"),
            (None, "8080:80"),
            (Some(80), "8080:80"),
        ] {
            let text = render("web", true, "{short_sha}", exposed);
            assert!(text.contains(&format!("ports = [\"{ports}\"]")), "{text}");
            let source = Source::new(Path::new("/x/devloop.toml"), text, Path::new("/x"));
            let cfg = config::load_source(source, None, &|_| None).unwrap();
            assert_eq!(cfg.doc.deploy.health.port, Some(exposed.unwrap_or(80)),);
        }
    }
}
