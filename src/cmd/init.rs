//! `devloop init`: write a commented devloop.toml for the project in the current directory.

use std::path::Path;

use super::Context;
use crate::cli::InitArgs;
use crate::config::{self, Source, FILE_NAME};
use crate::error::{Error, Result};

pub fn run(ctx: &Context, args: &InitArgs) -> Result<i32> {
    let path = ctx.cwd.join(FILE_NAME);
    if path.exists() && !args.force {
        return Err(Error::usage(format!("{} already exists", path.display()))
            .with_hint("pass --force to overwrite it"));
    }
    let name = match &args.name {
        Some(n) => n.clone(),
        None => detect_name(&ctx.cwd),
    };
    let dockerfile = ctx.cwd.join("Dockerfile").is_file();
    // `{short_sha}` needs a commit; outside a repository (or before its first commit) the build's
    // content digest names the image instead, so the first `devloop build` works where it stands.
    let tag = match crate::git::inspect(&ctx.cwd, None) {
        Ok(_) => "{short_sha}",
        Err(_) => "{digest}",
    };
    let text = render(&name, dockerfile, tag);
    // What we write must load: check it before touching the disk.
    let source = Source::new(&path, text.clone(), &ctx.cwd);
    config::load_source(source, None, &|_| None).map_err(|e| {
        Error::usage(format!(
            "cannot write a config for app name \"{name}\": {}",
            e.message
        ))
        .with_hint("pass --name with lowercase letters, digits and - . _")
    })?;
    std::fs::write(&path, text)
        .map_err(|e| Error::failed(format!("cannot write {}: {e}", path.display())))?;
    let mut msg = format!("wrote {} for app \"{name}\"", path.display());
    if !dockerfile {
        msg.push_str(" (no Dockerfile here yet: the build step expects one)");
    }
    ctx.printer.info(&msg);
    ctx.printer.info(
        "next: `devloop plan` to see what `devloop ship` would do; add .devloop/ to .gitignore",
    );
    Ok(0)
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

fn render(name: &str, has_dockerfile: bool, tag: &str) -> String {
    let dockerfile_note = if has_dockerfile {
        "# Found ./Dockerfile."
    } else {
        "# No Dockerfile found: create ./Dockerfile, or point build.dockerfile at yours."
    };
    format!(
        r#"# devloop.toml — the whole loop for "{name}": plan, build, test, release, deploy, monitor.
# Every key is documented in devloop.toml.example. Run `devloop plan` to see what `devloop ship` does.

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

[env.local]
deploy.target = "docker"
deploy.docker.ports = ["8080:80"]
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
}
