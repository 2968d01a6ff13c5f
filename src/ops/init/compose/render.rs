//! The converted services as devloop.toml text: commented like the rest of `devloop init`'s output,
//! with the notes of what was not carried over above the service they belong to.

use std::fmt::Write;

use super::{Build, Note, Service, Settings};

/// The whole file.
pub fn render(settings: &Settings, file: &str, services: &[Service], notes: &[Note]) -> String {
    let mut out = header(&settings.app, file, services.len());
    if notes.iter().any(|n| n.service.is_none()) {
        out.push('\n');
    }
    comment_notes(
        &mut out,
        "Not carried over from the file itself:",
        notes,
        None,
    );
    let mut body = String::new();
    for s in services {
        service(&mut body, s, settings.tags.as_deref(), notes);
    }
    if body.contains("${") {
        out.push_str("\n# A ${VAR} is read from the environment when devloop runs: one that is unset and has no\n# :-default is an error (compose would use an empty string).\n");
    }
    let app = quote(&settings.app);
    let _ = write!(
        out,
        r#"
[app]
name = {app}
default_env = "local"

[release]
# Where releases are pushed: "ecr", or host[:port]/namespace of any registry.
# Without a registry, a release is a tag in the local Docker daemon.
# registry = "localhost:5000/team"
moving_tags = ["latest"]

# Each service runs as the container <app>-<env>-<service> on the network <app>-<env>, where the
# others reach it by its service name, as in compose. `needs` starts the services it names first
# and waits until they are healthy ([deploy.health], from compose's healthcheck).
"#
    );
    if services.iter().any(|s| !s.docker.volumes.is_empty()) {
        out.push_str("# Named volumes keep the names compose gives them, so their data stays.\n");
    }
    out.push_str(&body);
    out.push_str("\n[env.local]\ndeploy.target = \"docker\"\n");
    out
}

fn header(app: &str, file: &str, count: usize) -> String {
    let services = if count == 1 { "service" } else { "services" };
    format!(
        r#"# devloop.toml — the whole loop for "{app}": plan, build, test, release, deploy, monitor.
# Converted from {file} by `devloop init` ({count} {services}); what it could not carry over is noted
# where it belongs, as `devloop init` listed it.
# Every key: `devloop init --example` (or the README's Configuration section).
# Run `devloop plan` to see what `devloop ship` does.
"#
    )
}

/// The notes of one service (or of the file, for `None`) as comments under `title`.
fn comment_notes(out: &mut String, title: &str, notes: &[Note], service: Option<&str>) {
    let mine: Vec<&Note> = notes
        .iter()
        .filter(|n| n.service.as_deref() == service)
        .collect();
    if mine.is_empty() {
        return;
    }
    let _ = writeln!(out, "# {title}");
    for n in mine {
        let _ = writeln!(out, "#   {}: {}", one_line(&n.key), one_line(&n.why));
    }
}

/// Text from the compose file as it can stand in a comment: on one line.
fn one_line(text: &str) -> String {
    text.replace(|c: char| c.is_control(), " ")
}

/// One `[services.<name>]` table, its maps as sub-tables after it.
fn service(out: &mut String, s: &Service, tags: Option<&str>, notes: &[Note]) {
    let what = match (&s.build, &s.image) {
        (Some(b), _) => format!("built from ./{}", b.context.trim_start_matches("./")),
        (None, Some(image)) => format!("the image {image}, not built (a dependency)"),
        (None, None) => "nothing to run".into(),
    };
    let _ = writeln!(out, "\n# {}: {}.", s.name, one_line(&what));
    comment_notes(out, "Not carried over:", notes, Some(&s.from));
    let _ = writeln!(out, "[services.{}]", s.name);
    if let Some(image) = &s.image {
        line(out, "image", &quote(image));
    }
    if !s.needs.is_empty() {
        line(out, "needs", &list(&s.needs));
    }
    if let Some(b) = &s.build {
        build(out, b, tags);
    }
    docker(out, s);
    health(out, s);
    let prefix = format!("services.{}", s.name);
    if let Some(b) = &s.build {
        table(out, &format!("{prefix}.build.args"), &b.args);
        table(out, &format!("{prefix}.build.labels"), &b.labels);
    }
    table(out, &format!("{prefix}.deploy.docker.env"), &s.docker.env);
}

fn build(out: &mut String, b: &Build, tags: Option<&str>) {
    line(out, "build.context", &quote(&b.context));
    let optional = [
        ("build.dockerfile", &b.dockerfile),
        ("build.target", &b.target),
        ("build.platform", &b.platform),
        ("build.image", &b.image),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            line(out, key, &quote(v));
        }
    }
    if let Some(tag) = tags {
        line(out, "build.tags", &list(&[tag.to_string()]));
    }
    if !b.cache_from.is_empty() {
        line(out, "build.cache_from", &list(&b.cache_from));
    }
}

fn docker(out: &mut String, s: &Service) {
    let d = &s.docker;
    if let Some(command) = &d.command {
        line(out, "deploy.docker.command", &list(command));
    }
    for (key, values) in [("ports", &d.ports), ("volumes", &d.volumes)] {
        if !values.is_empty() {
            line(out, &format!("deploy.docker.{key}"), &list(values));
        }
    }
    let strings = [
        ("restart", &d.restart),
        ("stop_signal", &d.stop_signal),
        ("stop_grace_period", &d.stop_grace_period),
        ("memory", &d.memory),
    ];
    for (key, value) in strings {
        if let Some(v) = value {
            line(out, &format!("deploy.docker.{key}"), &quote(v));
        }
    }
    if d.init {
        line(out, "deploy.docker.init", "true");
    }
    if let Some(cpus) = d.cpus {
        line(out, "deploy.docker.cpus", &format!("{cpus:?}"));
    }
}

fn health(out: &mut String, s: &Service) {
    let h = &s.health;
    let Some(command) = &h.command else { return };
    line(out, "deploy.health.command", &quote(command));
    for (key, value) in [("interval", &h.interval), ("start_period", &h.start_period)] {
        if let Some(v) = value {
            line(out, &format!("deploy.health.{key}"), &quote(v));
        }
    }
    if let Some(r) = h.retries {
        line(out, "deploy.health.retries", &r.to_string());
    }
}

/// A map as its own table, after the service's table.
fn table(out: &mut String, name: &str, entries: &[(String, String)]) {
    if entries.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n[{name}]");
    for (k, v) in entries {
        line(out, &key(k), &quote(v));
    }
}

fn line(out: &mut String, key: &str, value: &str) {
    let _ = writeln!(out, "{key} = {value}");
}

/// A TOML string, escaped as TOML needs.
fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| quote(i)).collect();
    format!("[{}]", quoted.join(", "))
}

/// A key, bare when TOML allows it.
fn key(k: &str) -> String {
    let bare = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        k.to_string()
    } else {
        quote(k)
    }
}
