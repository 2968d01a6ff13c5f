//! The one config loader: finds `devloop.toml`, merges the selected `[env.<name>]` over the shared
//! settings, expands `${VAR}`, types the result, and validates cross-field rules.
//!
//! Every error it returns is exit 2 with `file:line:col`, and nothing has been changed when it fails.
//! It is also the only place that reads the process environment (see [`Ambient`]).

mod ambient;
mod beanstalk_mode;
pub mod duration;
mod explain;
#[cfg(test)]
pub(crate) mod fuzz;
mod interpolate;
pub use interpolate::first_name as first_var_name;
pub mod schema;
mod services;
mod source;
mod validate;
pub mod values;

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

pub use ambient::Ambient;
pub use beanstalk_mode::EbMode;
pub use schema::{Document, TargetKind};
pub use services::Service;
pub use source::Source;
pub use validate::{is_set as is_expanded, ENV_NAMESPACE};

use crate::error::{Error, Result};

pub const FILE_NAME: &str = "devloop.toml";

/// Where to look and which environment to select.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Directory to start discovery from (after `-C`).
    pub cwd: PathBuf,
    /// Explicit config path (`-c`), relative to `cwd`.
    pub config: Option<PathBuf>,
    /// Selected environment (`-e`).
    pub env: Option<String>,
}

/// A loaded, validated configuration for one environment (or none).
#[derive(Debug, Clone)]
pub struct Config {
    pub source: Source,
    /// Directory holding devloop.toml; relative paths in it are relative to this.
    pub root: PathBuf,
    pub doc: Document,
    /// The selected environment, when one was given or defaulted.
    pub env: Option<String>,
    /// Every environment the file defines, sorted.
    pub envs: Vec<String>,
    /// Values marked secret; the printer masks them everywhere.
    pub secrets: Vec<String>,
    /// The services the selected environment runs, each after what it needs. A file without
    /// `[services]` has one, named after the app, whose settings are the file's own.
    pub services: Vec<Service>,
    /// Services the file defines that the selected environment leaves out (`enabled = false`).
    pub disabled: Vec<String>,
    /// Whether the file defines `[services]` (names then carry the service's name).
    pub multi: bool,
    /// The service this view is of ([`Config::for_service`]); `None` for the whole app.
    pub service: Option<String>,
    /// How a set lands on Elastic Beanstalk (one bundle, or an environment per service); `None`
    /// on other targets and for an app of one service.
    pub eb_mode: Option<EbMode>,
}

/// The image's name in `doc`, the settings of `service` of a set (`None`: an app of one
/// service): `build.image`, else `<app>-<service>`, else the app's name.
fn image_name_in(doc: &Document, service: Option<&str>) -> String {
    if let Some(image) = &doc.build.image {
        return image.get_ref().clone();
    }
    let app = doc.app.name.get_ref();
    match service {
        Some(svc) => format!("{app}-{svc}"),
        None => app.clone(),
    }
}

/// Where the releases of the image in `doc` go: `release.repository`, else its name.
fn release_repository_in(doc: &Document, service: Option<&str>) -> String {
    doc.release
        .repository
        .clone()
        .unwrap_or_else(|| image_name_in(doc, service))
}

impl Config {
    pub fn app(&self) -> &str {
        self.doc.app.name.get_ref()
    }

    /// The repository a release pushes to and `provision` makes: `release.repository`, else
    /// the image's name.
    pub fn release_repository(&self) -> String {
        release_repository_in(&self.doc, self.set_member())
    }

    /// Local image repository name: `build.image`, else `<app>-<service>` for a service of a
    /// set, else the app's name.
    pub fn image_name(&self) -> String {
        image_name_in(&self.doc, self.set_member())
    }

    /// The service of a set this view is of; `None` for an app of one service or the whole set.
    fn set_member(&self) -> Option<&str> {
        self.service.as_deref().filter(|_| self.multi)
    }

    /// The same configuration as one service of the app sees it: that service's settings in
    /// `doc`, and names that carry the service's. `None` for a name the environment does not run.
    pub fn for_service(&self, name: &str) -> Option<Config> {
        let svc = self.services.iter().find(|s| s.name == name)?;
        Some(Config {
            doc: svc.doc.clone(),
            service: Some(name.to_string()),
            ..self.clone()
        })
    }

    /// The service of this view, when it is one ([`Config::for_service`]).
    pub fn this_service(&self) -> Option<&Service> {
        let name = self.service.as_deref()?;
        self.services.iter().find(|s| s.name == name)
    }

    pub fn context_dir(&self) -> PathBuf {
        self.root.join(&self.doc.build.context)
    }

    pub fn dockerfile(&self) -> PathBuf {
        match &self.doc.build.dockerfile {
            Some(p) => self.root.join(p),
            None => self.context_dir().join("Dockerfile"),
        }
    }

    pub fn target(&self) -> Option<TargetKind> {
        self.doc.deploy.target.as_ref().map(|t| *t.get_ref())
    }

    /// The environment a deploy goes to, or a usage error that lists the choices.
    pub fn require_env(&self) -> Result<&str> {
        match &self.env {
            Some(e) => Ok(e),
            None if self.envs.is_empty() => Ok("default"),
            None => Err(Error::usage(format!(
                "choose an environment with -e/--env (one of: {}), or set app.default_env in {}",
                self.envs.join(", "),
                self.source.display
            ))),
        }
    }

    /// The environment's name, `default` when the file defines none.
    pub fn env_name(&self) -> &str {
        self.env.as_deref().unwrap_or("default")
    }

    /// The name deployments are known by: `<app>-<env>`, and `<app>-<env>-<service>` for a
    /// service of a set.
    pub fn deployment_name(&self) -> String {
        match (&self.service, self.multi) {
            (Some(svc), true) => format!("{}-{}-{svc}", self.app(), self.env_name()),
            _ => format!("{}-{}", self.app(), self.env_name()),
        }
    }
}

/// Find the config file: `-c` if given, else the nearest devloop.toml walking up from `cwd`.
pub fn discover(opts: &LoadOptions) -> Result<PathBuf> {
    if let Some(explicit) = &opts.config {
        let path = opts.cwd.join(explicit);
        if !path.is_file() {
            return Err(Error::usage(format!(
                "config file {} not found",
                path.display()
            )));
        }
        return Ok(path);
    }
    let mut dir = Some(opts.cwd.as_path());
    while let Some(d) = dir {
        let candidate = d.join(FILE_NAME);
        if candidate.is_file() {
            return Ok(candidate);
        }
        dir = d.parent();
    }
    Err(Error::usage(format!(
        "no {FILE_NAME} in {} or any parent directory",
        opts.cwd.display()
    ))
    .with_hint("run `devloop init` to create one, or pass -c/--config PATH"))
}

/// Discover, read and load the config with the process environment.
pub fn load(opts: &LoadOptions, ambient: &Ambient) -> Result<Config> {
    let path = discover(opts)?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Error::usage_because(format!("cannot read {}", path.display()), e))?;
    let source = Source::new(&path, text, &opts.cwd);
    load_source(source, opts.env.as_deref(), &|name| ambient.var(name))
}

/// For tests: load `text` as `/p/devloop.toml`, with `vars` as the only variables.
#[cfg(test)]
pub(crate) fn load_text(text: &str, env: Option<&str>, vars: &[(&str, &str)]) -> Result<Config> {
    let source = Source::new(
        std::path::Path::new("/p/devloop.toml"),
        text.to_string(),
        std::path::Path::new("/p"),
    );
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    load_source(source, env, &move |name| {
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
}

/// Every variable the file uses without a default (`${VAR}`), in any environment or service, sorted:
/// what a CI service must set for devloop to load it.
pub fn required_vars(source: &Source) -> Result<Vec<String>> {
    let root = DeTable::parse(&source.text).map_err(|e| {
        source.error(
            e.span(),
            format!("invalid TOML: {}", e.message().trim_end()),
        )
    })?;
    let mut names = Vec::new();
    interpolate::required_in_tree(&DeValue::Table(root.into_inner()), &mut names);
    names.sort();
    Ok(names)
}

/// Load from text already read. `lookup` resolves `${VAR}`.
pub fn load_source(
    source: Source,
    env: Option<&str>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Config> {
    let mut root = DeTable::parse(&source.text).map_err(|e| {
        source.error(
            e.span(),
            format!("invalid TOML: {}", e.message().trim_end()),
        )
    })?;
    let envs = take_envs(&source, root.get_mut())?;
    for (name, _, table) in &envs {
        services::check_env_overrides(&source, root.get_ref(), name, table.get_ref())?;
    }
    let env_names: Vec<String> = envs.iter().map(|(n, _, _)| n.clone()).collect();

    let selected = match env {
        Some(name) => Some(name.to_string()),
        None => default_env(root.get_ref()),
    };
    if let Some(name) = &selected {
        if !env_names.iter().any(|n| n == name) {
            let mut msg = format!("unknown environment \"{name}\"");
            let suggested =
                crate::suggest::append(&mut msg, name, env_names.iter().map(String::as_str));
            if !suggested && env_names.is_empty() {
                msg.push_str(&format!(
                    " ({} defines no [env.<name>] tables)",
                    source.display
                ));
            } else if !suggested {
                msg.push_str(&format!(" (defined: {})", env_names.join(", ")));
            }
            return Err(Error::usage(msg));
        }
    }

    // Every environment must be well-formed, not only the selected one; variables that are unset
    // here may be set where that environment is used, so only the selected one must resolve them.
    for (name, key_span, table) in &envs {
        if Some(name) == selected.as_ref() {
            continue;
        }
        let _ = key_span;
        let mut merged = merge_env(root.clone(), table.clone());
        let services = merged.get_mut().remove("services");
        check_lenient(&source, merged.clone(), lookup)?;
        if let Some(services) = services {
            for raw in services::split(&source, &merged, services, lookup)? {
                check_lenient(&source, raw.tree, lookup)?;
            }
        }
    }

    let mut effective = match envs
        .into_iter()
        .find(|(n, _, _)| Some(n) == selected.as_ref())
    {
        Some((_, _, table)) => merge_env(root, table),
        None => root,
    };
    let services_table = effective.get_mut().remove("services");
    let multi = services_table.is_some();
    let doc = type_strict(&source, effective.clone(), lookup)?;
    let env_name = selected.clone().unwrap_or_else(|| "default".into());
    let (services, disabled, eb_mode) = match services_table {
        None if doc
            .deploy
            .ecs
            .as_ref()
            .is_some_and(|e| e.service.is_empty()) =>
        {
            let table = effective
                .get_ref()
                .get("deploy")
                .and_then(|d| d.get_ref().as_table())
                .and_then(|d| d.get("ecs"))
                .map(|e| e.span());
            return Err(source.error(table, "missing key \"service\" in [deploy.ecs]"));
        }
        None => (
            vec![Service {
                name: doc.app.name.get_ref().clone(),
                doc: doc.clone(),
                needs: Vec::new(),
                image: None,
            }],
            Vec::new(),
            None,
        ),
        Some(table) => {
            let mut typed = Vec::new();
            let mut disabled = Vec::new();
            for raw in services::split(&source, &effective, table, lookup)? {
                if !raw.enabled {
                    disabled.push(raw.name);
                    continue;
                }
                let doc = type_strict(&source, raw.tree.clone(), lookup)?;
                typed.push(services::Typed { raw, doc });
            }
            if typed.is_empty() {
                return Err(source.error(
                    None,
                    format!("environment \"{env_name}\" disables every service: leave at least one enabled"),
                ));
            }
            let app = doc.app.name.get_ref().clone();
            let (services, eb_mode) = services::graph(
                &source,
                &app,
                &env_name,
                typed,
                &disabled,
                doc.deploy.target.as_ref().map(|t| *t.get_ref()),
            )?;
            (services, disabled, eb_mode)
        }
    };
    let mut config = Config {
        root: source
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
        source,
        doc,
        env: selected,
        envs: env_names,
        secrets: Vec::new(),
        services,
        disabled,
        multi,
        service: None,
        eb_mode,
    };
    if multi {
        validate::check_shared(&config)?;
        for name in config.services.iter().map(|s| s.name.clone()) {
            if let Some(view) = config.for_service(&name) {
                validate::check(&view)?;
            }
        }
    } else {
        validate::check(&config)?;
    }
    validate::check_notify(&config.source, &config.doc)?;
    let mut secrets: Vec<String> = std::iter::once(&config.doc)
        .chain(config.services.iter().map(|s| &s.doc))
        .flat_map(validate::secrets)
        .collect();
    secrets.sort();
    secrets.dedup();
    config.secrets = secrets;
    Ok(config)
}

type EnvTable<'i> = (String, Range<usize>, Spanned<DeValue<'i>>);

/// Remove `[env]` from the tree, returning each environment's table.
fn take_envs<'i>(source: &Source, root: &mut DeTable<'i>) -> Result<Vec<EnvTable<'i>>> {
    let Some(envs) = root.remove("env") else {
        return Ok(Vec::new());
    };
    let span = envs.span();
    let DeValue::Table(table) = envs.into_inner() else {
        return Err(source.error(
            Some(span),
            "\"env\" must be a table of environments: [env.<name>]",
        ));
    };
    let mut out = Vec::new();
    for (key, value) in table {
        let key_span = key.span();
        let name = key.into_inner().to_string();
        if !matches!(value.get_ref(), DeValue::Table(_)) {
            return Err(source.error(
                Some(value.span()),
                format!("env.{name} must be a table: write [env.{name}]"),
            ));
        }
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(source.error(
                Some(key_span),
                format!("environment name \"{name}\" may only use letters, digits, - and _"),
            ));
        }
        out.push((name, key_span, value));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn default_env(root: &DeTable<'_>) -> Option<String> {
    let app = root.get("app")?.get_ref().as_table()?;
    Some(app.get("default_env")?.get_ref().as_str()?.to_string())
}

/// Deep-merge an environment's table over the shared tree: tables merge, everything else replaces.
fn merge_env<'i>(
    mut base: Spanned<DeTable<'i>>,
    env: Spanned<DeValue<'i>>,
) -> Spanned<DeTable<'i>> {
    if let DeValue::Table(overlay) = env.into_inner() {
        merge_tables(base.get_mut(), overlay);
    }
    base
}

pub(super) fn merge_tables<'i>(base: &mut DeTable<'i>, overlay: DeTable<'i>) {
    for (key, value) in overlay {
        let existing = base.get_mut(key.get_ref().as_ref());
        match (existing, value.get_ref()) {
            (Some(current), DeValue::Table(_)) if current.get_ref().is_table() => {
                if let (DeValue::Table(dst), DeValue::Table(src)) =
                    (current.get_mut(), value.into_inner())
                {
                    merge_tables(dst, src);
                }
            }
            _ => {
                base.remove(key.get_ref().as_ref());
                base.insert(key, value);
            }
        }
    }
}

fn type_strict(
    source: &Source,
    mut tree: Spanned<DeTable<'_>>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Document> {
    let mut problems = Vec::new();
    let optional = validate::optional_spans(tree.get_ref());
    for (_, v) in tree.get_mut().iter_mut() {
        interpolate::expand_tree(v, lookup, &mut problems);
    }
    // A notification channel whose URL or secret is unset is off for this run (said when a
    // command would notify), so `build` on a laptop does not need the CI's webhook.
    problems.retain(|(span, p)| {
        !(matches!(p, interpolate::Problem::Unset(_)) && optional.contains(span))
    });
    if let Some((span, problem)) = problems.into_iter().next() {
        return Err(source.error(Some(span), problem.message()));
    }
    validate::check_tree(source, tree.get_ref())?;
    let typed = tree.clone();
    let doc = Document::deserialize(toml::de::Deserializer::from(typed))
        .map_err(|e| typing_error(source, &e, tree.get_ref()))?;
    validate::check_typed_tree(source, tree.get_ref())?;
    Ok(doc)
}

/// Type-check an environment that is not selected: unset variables are tolerated, and errors inside
/// a string that still holds an unexpanded variable are not its fault.
fn check_lenient(
    source: &Source,
    mut tree: Spanned<DeTable<'_>>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<()> {
    let mut problems = Vec::new();
    for (_, v) in tree.get_mut().iter_mut() {
        interpolate::expand_tree(v, lookup, &mut problems);
    }
    if let Some((span, p @ interpolate::Problem::Malformed(_))) = problems
        .iter()
        .find(|(_, p)| matches!(p, interpolate::Problem::Malformed(_)))
    {
        return Err(source.error(Some(span.clone()), p.message()));
    }
    validate::check_tree(source, tree.get_ref())?;
    let typed = tree.clone();
    match Document::deserialize(toml::de::Deserializer::from(typed)) {
        Ok(_) => validate::check_typed_tree(source, tree.get_ref()),
        Err(e) => {
            let inside_unset = e.span().is_some_and(|s| {
                problems
                    .iter()
                    .any(|(p, _)| p.start <= s.start && s.end <= p.end)
            });
            if inside_unset {
                Ok(())
            } else {
                Err(typing_error(source, &e, tree.get_ref()))
            }
        }
    }
}

/// A serde error in the user's terms, at the key it is about.
fn typing_error(source: &Source, e: &toml::de::Error, tree: &DeTable<'_>) -> Error {
    let found = e.span().and_then(|span| explain::find(tree, &span));
    let message = explain::explain(e.message(), found.as_ref());
    let message = if message.starts_with("missing field `") {
        let mut m = message
            .replacen("missing field `", "missing key \"", 1)
            .replacen('`', "\"", 1);
        if let Some(f) = &found {
            let table = explain::dotted(&f.path);
            if matches!(f.path.last(), Some(explain::Seg::Index(_))) {
                m.push_str(&format!(" in [[{table}]]"));
            } else if !table.is_empty() {
                m.push_str(&format!(" in [{table}]"));
            }
        }
        m
    } else {
        message
    };
    source.error(item_span(e, found.as_ref()).or(e.span()), message)
}

/// serde blames a whole list for a bad item (`ports = ["8080:80", "80:http"]`): point at the
/// item its message quotes instead.
fn item_span(e: &toml::de::Error, found: Option<&explain::Found<'_, '_>>) -> Option<Range<usize>> {
    let Some(DeValue::Array(items)) = found?.value else {
        return None;
    };
    let mut quoted = items.iter().filter(|item| {
        item.get_ref()
            .as_str()
            .is_some_and(|s| e.message().contains(&format!("\"{s}\"")))
    });
    match (quoted.next(), quoted.next()) {
        (Some(item), None) => Some(item.span()),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
