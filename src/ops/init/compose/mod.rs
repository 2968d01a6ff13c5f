//! `devloop init` on a compose project: the compose file docker compose would read, converted to
//! a multi-service devloop.toml, with a note for everything it says that devloop.toml does not.
//!
//! yaml.rs reads the file, service.rs converts one service, values.rs the value syntaxes, and
//! render.rs writes the result; this module names the services, checks what they need and puts
//! dependencies first.

mod render;
mod service;
#[cfg(test)]
mod tests;
mod values;
mod yaml;

use std::path::{Path, PathBuf};

use crate::config::Source;
use crate::error::{Error, Result};
use yaml::Yaml;

/// The files docker compose looks for, in the order it picks the first.
pub const FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// The override files docker compose merges over the first file by itself.
const OVERRIDES: [&str; 4] = [
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// The compose file docker compose would read in `dir`.
pub fn find(dir: &Path) -> Option<PathBuf> {
    FILES.iter().map(|f| dir.join(f)).find(|p| p.is_file())
}

/// A compose file, read and parsed.
#[derive(Debug, Clone)]
pub struct Compose {
    /// The file as shown to the user.
    pub file: String,
    tree: Yaml,
}

impl Compose {
    /// Read `path`; a file that is not YAML is a configuration error at its line and column.
    pub fn read(path: &Path, cwd: &Path) -> Result<Compose> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::usage_because(format!("cannot read {}", path.display()), e))?;
        Compose::parse(Source::new(path, text, cwd))
    }

    /// Parse compose text.
    pub fn parse(source: Source) -> Result<Compose> {
        let tree = yaml::parse(&source.text).map_err(|e| {
            let at = offset(&source.text, e.line, e.col);
            source.error(Some(at..at + 1), format!("invalid YAML: {}", e.message))
        })?;
        Ok(Compose {
            file: source.display,
            tree,
        })
    }

    /// The project's `name:`, when it gives one without variables.
    pub fn name(&self) -> Option<String> {
        self.tree
            .get("name")
            .and_then(Yaml::text)
            .filter(|n| !n.contains('$') && !n.trim().is_empty())
    }

    /// The compose project name (its `name:`, else the directory's), as compose normalizes it:
    /// lowercase letters, digits, `-` and `_`, from a letter or digit.
    pub fn project(&self, dir: &Path) -> String {
        let raw = self.name().unwrap_or_else(|| {
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        let name: String = raw
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .collect();
        let name = name.trim_start_matches(['-', '_']);
        if name.is_empty() {
            "default".into()
        } else {
            name.to_string()
        }
    }
}

/// The byte offset of a 1-based line and column (in characters).
fn offset(text: &str, line: usize, col: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = text.get(start..).unwrap_or("");
    start
        + rest
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}

/// What a conversion is told.
#[derive(Debug, Clone)]
pub struct Settings {
    pub app: String,
    /// The compose project name, which prefixes the names of its volumes.
    pub project: String,
    /// Tags for what is built, when devloop's default (`{short_sha}`) cannot work here.
    pub tags: Option<String>,
}

/// The devloop.toml text, and what it could not carry over.
#[derive(Debug, Clone)]
pub struct Converted {
    pub text: String,
    pub notes: Vec<Note>,
    /// The build contexts, relative to the project.
    pub contexts: Vec<String>,
    pub services: usize,
}

/// One thing of the compose file devloop.toml does not carry over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The compose service it is about (by its compose name); none for the file itself.
    pub service: Option<String>,
    /// The key, dotted.
    pub key: String,
    pub why: String,
}

impl Note {
    /// Where it is in the compose file: `services.web.networks`.
    pub fn path(&self) -> String {
        match &self.service {
            Some(s) => format!("services.{s}.{}", self.key),
            None => self.key.clone(),
        }
    }
}

/// A service as devloop.toml writes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Service {
    /// The devloop name.
    pub name: String,
    /// The compose name.
    pub from: String,
    /// A dependency's image.
    pub image: Option<String>,
    pub needs: Vec<String>,
    pub build: Option<Build>,
    pub docker: Docker,
    pub health: Health,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Build {
    pub context: String,
    pub dockerfile: Option<String>,
    pub target: Option<String>,
    pub platform: Option<String>,
    pub image: Option<String>,
    pub args: Vec<(String, String)>,
    pub labels: Vec<(String, String)>,
    pub cache_from: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Docker {
    pub command: Option<Vec<String>>,
    pub ports: Vec<String>,
    pub env: Vec<(String, String)>,
    pub volumes: Vec<String>,
    pub restart: Option<String>,
    pub stop_signal: Option<String>,
    pub stop_grace_period: Option<String>,
    pub init: bool,
    pub memory: Option<String>,
    pub cpus: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Health {
    pub command: Option<String>,
    pub interval: Option<String>,
    pub retries: Option<u32>,
    pub start_period: Option<String>,
}

/// Convert a compose file. `dir` is the project directory (for the override and `.env` files
/// compose would also read).
pub fn convert(compose: &Compose, settings: &Settings, dir: &Path) -> Result<Converted> {
    let file = &compose.file;
    let bad = |what: String| Error::usage(format!("{file}: {what}"));
    let Yaml::Map(top) = &compose.tree else {
        return Err(bad(format!(
            "is {}, not a compose file",
            compose.tree.kind()
        )));
    };
    let mut notes = Vec::new();
    let volume_name = volume_namer(compose, settings, &mut notes);
    let mut services = Vec::new();
    for (name, value) in compose.tree.get("services").map_or(&[][..], Yaml::entries) {
        let mut cx = service::Cx {
            service: name,
            notes: &mut notes,
            volume_name: &volume_name,
        };
        let s =
            service::convert(&mut cx, value).map_err(|e| bad(format!("services.{name} {e}")))?;
        services.push(s);
    }
    if services.is_empty() {
        return Err(bad("has no services to convert".into())
            .with_hint("devloop init converts the services: of a compose file"));
    }
    top_level(top, &mut notes);
    notes.extend(siblings(dir));
    name_services(&mut services, &mut notes);
    sort_notes(&mut notes, &services);
    let services = order(file, needs(file, services)?)?;
    let contexts = services
        .iter()
        .filter_map(|s| s.build.as_ref().map(|b| b.context.clone()))
        .collect();
    let text = render::render(settings, file, &services, &notes);
    Ok(Converted {
        text,
        notes,
        contexts,
        services: services.len(),
    })
}

/// The notes of each service in the file's order, its renaming first; then the file's own.
fn sort_notes(notes: &mut [Note], services: &[Service]) {
    notes.sort_by_key(|n| {
        let at = n
            .service
            .as_ref()
            .and_then(|s| services.iter().position(|x| &x.from == s))
            .unwrap_or(usize::MAX);
        (at, n.key != "(name)")
    });
}

/// Named volumes by the names compose gives them on the daemon (`<project>_<name>`, or the
/// volume's own `name:`, or its name as it is when `external`), so their data stays.
fn volume_namer(
    compose: &Compose,
    settings: &Settings,
    notes: &mut Vec<Note>,
) -> impl Fn(&str) -> String {
    let declared: Vec<(String, Yaml)> = compose
        .tree
        .get("volumes")
        .map_or(&[][..], Yaml::entries)
        .to_vec();
    for (name, options) in &declared {
        for (key, _) in options.entries() {
            if !matches!(key.as_str(), "name" | "external") {
                notes.push(Note {
                    service: None,
                    key: format!("volumes.{name}.{key}"),
                    why: "devloop's volumes are the daemon's local volumes, made as a container first uses them".into(),
                });
            }
        }
    }
    let project = settings.project.clone();
    move |name: &str| {
        let options = declared.iter().find(|(n, _)| n == name).map(|(_, o)| o);
        let own = options.and_then(|o| o.get("name")).and_then(Yaml::text);
        let external = matches!(
            options.and_then(|o| o.get("external")),
            Some(Yaml::Bool(true))
        );
        match own {
            Some(own) => own,
            None if external => name.to_string(),
            None => format!("{project}_{name}"),
        }
    }
}

/// Notes for the file's own keys that devloop.toml has no place for.
fn top_level(top: &[(String, Yaml)], notes: &mut Vec<Note>) {
    for (key, _) in top {
        let why = match key.as_str() {
            "services" | "name" | "version" | "volumes" => continue,
            "networks" => "devloop makes one network for an app's environment, <app>-<env>, and puts every service on it",
            "secrets" | "configs" => "devloop does not mount compose secrets or configs",
            "include" => "devloop init reads this one file, not the files it includes",
            k if k.starts_with("x-") => "an extension field (what its anchors hold was carried over where the services use them)",
            _ => "devloop.toml has no such setting",
        };
        notes.push(Note {
            service: None,
            key: key.clone(),
            why: why.into(),
        });
    }
}

/// Notes for the files beside the compose file that docker compose would read too.
fn siblings(dir: &Path) -> Vec<Note> {
    let mut notes: Vec<Note> = OVERRIDES
        .iter()
        .filter(|f| dir.join(f).is_file())
        .map(|f| Note {
            service: None,
            key: f.to_string(),
            why: "docker compose merges it in; devloop init did not read it".into(),
        })
        .collect();
    if dir.join(".env").is_file() {
        notes.push(Note {
            service: None,
            key: ".env".into(),
            why: "compose takes variables from it; devloop takes ${VAR} from the environment (or its :-default)".into(),
        });
    }
    notes
}

/// Why a service key devloop has no equivalent for is not carried over.
pub(crate) fn reason(key: &str) -> &'static str {
    match key {
        "networks" | "network_mode" | "hostname" | "domainname" | "links" | "external_links"
        | "mac_address" => "devloop puts every service on one network, <app>-<env>, where the others reach it by its service name",
        "container_name" => "devloop names each container <app>-<env>-<service>",
        "expose" => "on devloop's network every port of a service is open to the others",
        "env_file" => "devloop reads no env files: copy what the service needs into its deploy.docker.env",
        "deploy" => "compose's deploy: is for swarm; devloop's own are deploy.docker and deploy.swarm (memory, cpus, replicas)",
        "profiles" => "devloop has no profiles: leave a service out of an environment with enabled = false",
        "extends" => "devloop init does not follow extends: copy the keys of the service it extends",
        "secrets" | "configs" => "devloop does not mount compose secrets or configs",
        "labels" | "annotations" => "devloop labels the containers it runs itself",
        "entrypoint" => "devloop has no entrypoint setting: the image's ENTRYPOINT stays",
        "scale" => "devloop runs one container of each service on the docker target",
        k if k.starts_with("x-") => "an extension field",
        _ => "devloop's docker target has no such setting",
    }
}

/// Whether `name` can be written `${name}`.
pub(crate) fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// devloop's service names (lowercase letters, digits and `-`, from a letter), each unique; a
/// note for each that had to change.
fn name_services(services: &mut [Service], notes: &mut Vec<Note>) {
    let mut taken: Vec<String> = Vec::new();
    for s in services.iter_mut() {
        let base = service_name(&s.from);
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        if name != s.from {
            notes.push(Note {
                service: Some(s.from.clone()),
                key: "(name)".into(),
                why: format!("named \"{name}\" (devloop's service names are lowercase letters, digits and -); the other services reach it as {name}"),
            });
        }
        taken.push(name.clone());
        s.name = name;
    }
}

/// A compose service name made a devloop one.
fn service_name(raw: &str) -> String {
    let mut name = String::new();
    for c in raw.to_ascii_lowercase().chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        if !(c == '-' && (name.is_empty() || name.ends_with('-'))) {
            name.push(c);
        }
    }
    let name = name.trim_end_matches('-').to_string();
    match name.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => name,
        Some(_) => format!("svc-{name}"),
        None => "svc".into(),
    }
}

/// Each service's needs by devloop name; a need that is not a service is an error.
fn needs(file: &str, mut services: Vec<Service>) -> Result<Vec<Service>> {
    let names: Vec<(String, String)> = services
        .iter()
        .map(|s| (s.from.clone(), s.name.clone()))
        .collect();
    for s in &mut services {
        let mut resolved = Vec::new();
        for need in &s.needs {
            let Some((_, name)) = names.iter().find(|(from, _)| from == need) else {
                let mut msg = format!(
                    "{file}: services.{}.depends_on: \"{need}\" is not a service of {file}",
                    s.from
                );
                let known = names.iter().map(|(from, _)| from.as_str());
                if !crate::suggest::append(&mut msg, need, known) {
                    let list: Vec<&str> = names.iter().map(|(f, _)| f.as_str()).collect();
                    msg.push_str(&format!(" (its services: {})", list.join(", ")));
                }
                return Err(Error::usage(msg));
            };
            if !resolved.contains(name) {
                resolved.push(name.clone());
            }
        }
        s.needs = resolved;
    }
    Ok(services)
}

/// Dependencies first, otherwise in the file's order; a cycle is an error.
fn order(file: &str, mut rest: Vec<Service>) -> Result<Vec<Service>> {
    let mut done: Vec<Service> = Vec::new();
    while !rest.is_empty() {
        let ready = rest
            .iter()
            .position(|s| s.needs.iter().all(|n| done.iter().any(|d| &d.name == n)));
        let Some(i) = ready else {
            let names: Vec<&str> = rest.iter().map(|s| s.from.as_str()).collect();
            return Err(Error::usage(format!(
                "{file}: the depends_on of {} go round in a circle",
                names.join(", ")
            )));
        };
        done.push(rest.remove(i));
    }
    Ok(done)
}
