//! One compose service as a devloop service: the keys devloop has an equivalent for, and a note for
//! every other one (or every value it cannot take).

use super::values::{self, Source};
use super::yaml::Yaml;
use super::{Build, Docker, Health, Note, Service};
use crate::config::values::{Cpus, MemorySize, Restart, StopSignal};

/// What converting one service needs: its compose name, where notes go, and how named volumes
/// are called on the daemon.
pub struct Cx<'a> {
    pub service: &'a str,
    pub notes: &'a mut Vec<Note>,
    pub volume_name: &'a dyn Fn(&str) -> String,
}

impl Cx<'_> {
    /// `key` of this service is not carried over, because `why`.
    pub fn note(&mut self, key: impl Into<String>, why: impl Into<String>) {
        self.notes.push(Note {
            service: Some(self.service.to_string()),
            key: key.into(),
            why: why.into(),
        });
    }

    /// A scalar with its variables in devloop's syntax; a note when it cannot be.
    fn string(&mut self, key: &str, v: &Yaml) -> Option<String> {
        let Some(text) = v.text() else {
            self.note(key, format!("{} where compose takes a string", v.kind()));
            return None;
        };
        self.carry(key, values::variables(&text))
    }

    /// The value of a conversion, or a note of why there is none (and of what moved, if it did).
    fn carry<T>(&mut self, key: &str, r: Result<(T, Option<String>), String>) -> Option<T> {
        match r {
            Ok((value, moved)) => {
                if let Some(m) = moved {
                    self.note(key, m);
                }
                Some(value)
            }
            Err(why) => {
                self.note(key, why);
                None
            }
        }
    }

    /// A string checked by `check` (a typed devloop value); variables are not taken here.
    fn checked<E: std::fmt::Display>(
        &mut self,
        key: &str,
        v: &Yaml,
        check: impl Fn(String) -> Result<(), E>,
    ) -> Option<String> {
        let text = self.string(key, v)?;
        let r = if text.contains('$') {
            Err(format!(
                "\"{text}\" uses a variable: devloop needs the value itself here"
            ))
        } else {
            check(text.clone()).map_err(|e| e.to_string())
        };
        self.carry(key, r.map(|()| (text, None)))
    }

    fn duration(&mut self, key: &str, v: &Yaml) -> Option<String> {
        let text = self.string(key, v)?;
        self.carry(key, values::duration(&text).map(|d| (d, None)))
    }

    /// The items of a list; a note when it is not one.
    fn items<'v>(&mut self, key: &str, v: &'v Yaml) -> &'v [Yaml] {
        match v {
            Yaml::Seq(items) => items,
            Yaml::Null => &[],
            other => {
                self.note(key, format!("{} where compose takes a list", other.kind()));
                &[]
            }
        }
    }
}

/// Convert one service. An error says why it cannot be a devloop service at all.
pub fn convert(cx: &mut Cx, value: &Yaml) -> Result<Service, String> {
    let Yaml::Map(entries) = value else {
        return Err(format!("is {}, not a mapping of settings", value.kind()));
    };
    let mut s = Service {
        from: cx.service.to_string(),
        ..Service::default()
    };
    let (mut image, mut platform) = (None, None);
    for (key, v) in entries {
        match key.as_str() {
            "image" => image = cx.string(key, v),
            "platform" => platform = cx.string(key, v),
            "build" => s.build = build(cx, v),
            "depends_on" => s.needs = depends_on(cx, v),
            "healthcheck" => s.health = healthcheck(cx, v),
            _ => docker(cx, &mut s.docker, key, v),
        }
    }
    place_image(cx, &mut s, image, platform)?;
    Ok(s)
}

/// The keys that become `deploy.docker.*`, and a note for any other.
fn docker(cx: &mut Cx, d: &mut Docker, key: &str, v: &Yaml) {
    match key {
        "ports" => d.ports = ports(cx, v),
        "environment" => d.env = pairs(cx, key, v, &|k| format!("${{{k}}}")),
        "volumes" => d.volumes = volumes(cx, v),
        "command" => d.command = command(cx, v),
        "restart" => d.restart = cx.checked(key, v, |t| Restart::try_from(t).map(drop)),
        "stop_signal" => d.stop_signal = cx.checked(key, v, |t| StopSignal::try_from(t).map(drop)),
        "mem_limit" => d.memory = cx.checked(key, v, |t| MemorySize::try_from(t).map(drop)),
        "stop_grace_period" => d.stop_grace_period = cx.duration(key, v),
        "cpus" => d.cpus = cpus(cx, v),
        "init" => match v {
            Yaml::Bool(b) => d.init = *b,
            other => cx.note(
                key,
                format!("{} where compose takes true or false", other.kind()),
            ),
        },
        _ => cx.note(key, super::reason(key)),
    }
}

fn cpus(cx: &mut Cx, v: &Yaml) -> Option<f64> {
    let text = cx.checked("cpus", v, |t| {
        let n = t
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("\"{t}\" is not a number"))?;
        Cpus::try_from(n).map(drop).map_err(|e| e.to_string())
    })?;
    text.trim().parse().ok()
}

/// `image` with `build` names what is built (its repository part); without, it is a dependency.
fn place_image(
    cx: &mut Cx,
    s: &mut Service,
    image: Option<String>,
    platform: Option<String>,
) -> Result<(), String> {
    match (&mut s.build, image) {
        (Some(b), Some(image)) => {
            let (repository, tag) = values::repository(&image);
            if let Some(tag) = tag {
                cx.note("image", format!("the tag \"{tag}\" of \"{image}\": devloop tags what it builds with build.tags ({{short_sha}} unless set)"));
            }
            b.image = Some(repository);
        }
        (None, Some(image)) => s.image = Some(image),
        (Some(_), None) => {}
        (None, None) => {
            return Err(
                "has no image devloop can run and no build: devloop has nothing to start".into(),
            )
        }
    }
    match (&mut s.build, platform) {
        (Some(b), Some(p)) => b.platform = b.platform.take().or(Some(p)),
        (None, Some(_)) => cx.note(
            "platform",
            "devloop runs a dependency's image for the daemon's own platform",
        ),
        (_, None) => {}
    }
    Ok(())
}

/// `build: dir` or `build: {context, dockerfile, args, target, ...}`.
fn build(cx: &mut Cx, v: &Yaml) -> Option<Build> {
    let mut b = Build {
        context: ".".into(),
        ..Build::default()
    };
    let mut dockerfile = None;
    match v {
        Yaml::Map(entries) => {
            for (key, v) in entries {
                let path = format!("build.{key}");
                match key.as_str() {
                    "context" => b.context = cx.string(&path, v)?,
                    "dockerfile" => dockerfile = cx.string(&path, v),
                    "target" => b.target = cx.string(&path, v),
                    "args" => b.args = pairs(cx, &path, v, &|k| format!("${{{k}}}")),
                    "labels" => b.labels = pairs(cx, &path, v, &|_| String::new()),
                    "cache_from" => b.cache_from = strings(cx, &path, v),
                    "platforms" => b.platform = one_platform(cx, &path, v),
                    _ => cx.note(path, "devloop's build has no such setting"),
                }
            }
        }
        other => b.context = cx.string("build", other)?,
    }
    b.context = local_path(&b.context);
    if b.context.contains("://") || b.context.starts_with("git@") {
        cx.note(
            "build.context",
            format!(
                "\"{}\" is a remote context: devloop builds from a directory here",
                b.context
            ),
        );
        return None;
    }
    b.dockerfile = dockerfile.map(|f| joined(&b.context, &f));
    Some(b)
}

/// `./api/` → `api`; `./` → `.`.
fn local_path(path: &str) -> String {
    let p = path.trim_end_matches('/');
    let p = p.strip_prefix("./").unwrap_or(p);
    if p.is_empty() {
        ".".into()
    } else {
        p.to_string()
    }
}

/// The Dockerfile relative to devloop.toml: compose's is relative to the context.
fn joined(context: &str, dockerfile: &str) -> String {
    let file = local_path(dockerfile);
    if context == "." || dockerfile.starts_with('/') {
        file
    } else {
        format!("{context}/{file}")
    }
}

fn one_platform(cx: &mut Cx, key: &str, v: &Yaml) -> Option<String> {
    let mut all = strings(cx, key, v);
    if all.len() > 1 {
        cx.note(
            key,
            format!("{all:?}: devloop builds for one platform; it keeps the first"),
        );
    }
    (!all.is_empty()).then(|| all.swap_remove(0))
}

/// A list of strings.
fn strings(cx: &mut Cx, key: &str, v: &Yaml) -> Vec<String> {
    let items = cx.items(key, v);
    items
        .iter()
        .filter_map(|item| cx.string(key, item))
        .collect()
}

/// `{K: V}` or `["K=V"]`, as compose writes environments, build args and labels; a key without a
/// value is given `bare(key)`.
fn pairs(cx: &mut Cx, key: &str, v: &Yaml, bare: &dyn Fn(&str) -> String) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match v {
        Yaml::Map(entries) => {
            for (k, val) in entries {
                let value = match val {
                    Yaml::Null => bare_value(cx, key, k, bare),
                    val => cx.string(&format!("{key}.{k}"), val),
                };
                out.extend(value.map(|value| (k.clone(), value)));
            }
        }
        Yaml::Seq(items) => {
            for item in items {
                let Some(text) = cx.string(key, item) else {
                    continue;
                };
                let pair = match text.split_once('=') {
                    Some((k, value)) => Some((k.to_string(), value.to_string())),
                    None => bare_value(cx, key, &text, bare).map(|value| (text, value)),
                };
                out.extend(pair);
            }
        }
        Yaml::Null => {}
        other => cx.note(
            key,
            format!("{} where compose takes a mapping or a list", other.kind()),
        ),
    }
    out
}

/// The value of a key given without one: for the environment, the variable of that name.
fn bare_value(cx: &mut Cx, key: &str, name: &str, bare: &dyn Fn(&str) -> String) -> Option<String> {
    let value = bare(name);
    if value.starts_with("${") && !super::is_var_name(name) {
        cx.note(
            format!("{key}.{name}"),
            "takes the variable of that name, which devloop cannot name in ${...}",
        );
        return None;
    }
    Some(value)
}

/// `depends_on` as a list, or as a mapping with a condition.
fn depends_on(cx: &mut Cx, v: &Yaml) -> Vec<String> {
    match v {
        Yaml::Map(entries) => entries
            .iter()
            .filter(|(name, options)| dependency(cx, name, options))
            .map(|(name, _)| name.clone())
            .collect(),
        other => strings(cx, "depends_on", other),
    }
}

/// Whether one dependency of the mapping form is carried as a need.
fn dependency(cx: &mut Cx, name: &str, options: &Yaml) -> bool {
    let mut need = true;
    for (key, v) in options.entries() {
        let path = format!("depends_on.{name}.{key}");
        match (key.as_str(), v.text().as_deref()) {
            ("condition", Some("service_started" | "service_healthy")) => {}
            ("condition", Some("service_completed_successfully")) => {
                cx.note(path, "devloop starts what a service needs and waits until it is healthy; it runs no job to its end first, so this dependency is left out of needs");
                need = false;
            }
            ("required", Some("true")) => {}
            ("required", Some("false")) => cx.note(
                path,
                "devloop starts every service a service needs; none is optional",
            ),
            ("restart", _) => cx.note(
                path,
                "devloop does not restart a service when one it needs is restarted",
            ),
            _ => cx.note(path, "devloop's needs has no such setting"),
        }
    }
    need
}

fn ports(cx: &mut Cx, v: &Yaml) -> Vec<String> {
    let items = cx.items("ports", v);
    let mut out = Vec::new();
    for item in items {
        let spec = match item {
            Yaml::Map(_) => long_port(cx, item),
            other => cx.string("ports", other),
        };
        let Some(spec) = spec else { continue };
        out.extend(cx.carry("ports", values::port(&spec).map(|p| (p, None))));
    }
    out
}

/// `{target, published, host_ip, protocol}` in the short syntax.
fn long_port(cx: &mut Cx, m: &Yaml) -> Option<String> {
    let text = |cx: &mut Cx, key: &str| {
        m.get(key)
            .and_then(|v| cx.string(&format!("ports.{key}"), v))
    };
    let target = text(cx, "target");
    let (published, ip, protocol) = (
        text(cx, "published"),
        text(cx, "host_ip"),
        text(cx, "protocol"),
    );
    for (key, _) in m.entries() {
        if !matches!(
            key.as_str(),
            "target" | "published" | "host_ip" | "protocol"
        ) {
            cx.note(
                format!("ports.{key}"),
                "devloop's ports have no such setting",
            );
        }
    }
    let Some(target) = target else {
        cx.note("ports", "a port without a target");
        return None;
    };
    let mut spec = String::new();
    if let Some(ip) = &ip {
        spec.push_str(&if ip.contains(':') {
            format!("[{ip}]:")
        } else {
            format!("{ip}:")
        });
    }
    match published {
        Some(p) => spec.push_str(&format!("{p}:")),
        None if ip.is_some() => spec.push(':'),
        None => {}
    }
    spec.push_str(&target);
    if let Some(p) = protocol {
        spec.push_str(&format!("/{p}"));
    }
    Some(spec)
}

fn volumes(cx: &mut Cx, v: &Yaml) -> Vec<String> {
    let items = cx.items("volumes", v);
    let mut out = Vec::new();
    for item in items {
        let carried = match item {
            Yaml::Map(_) => long_volume(cx, item),
            other => cx.string("volumes", other).and_then(|text| {
                let r = values::volume(&text, cx.volume_name).map(|v| (v, None));
                cx.carry("volumes", r)
            }),
        };
        out.extend(carried);
    }
    out
}

/// `{type, source, target, read_only}` as `source:target[:ro]`.
fn long_volume(cx: &mut Cx, m: &Yaml) -> Option<String> {
    let text = |cx: &mut Cx, key: &str| {
        m.get(key)
            .and_then(|v| cx.string(&format!("volumes.{key}"), v))
    };
    let (kind, source, target) = (text(cx, "type"), text(cx, "source"), text(cx, "target"));
    for (key, _) in m.entries() {
        if !matches!(key.as_str(), "type" | "source" | "target" | "read_only") {
            cx.note(
                format!("volumes.{key}"),
                "devloop's volumes have no such setting",
            );
        }
    }
    let kind = kind.unwrap_or_else(|| "volume".into());
    let (Some(source), Some(target), "volume" | "bind") = (source, target, kind.as_str()) else {
        cx.note("volumes", format!("a {kind} mount: devloop takes named volumes and absolute host paths, each with a source and a target"));
        return None;
    };
    let source = match values::volume_source(&source) {
        Source::Relative(s) => {
            cx.note("volumes", values::relative_bind(s));
            return None;
        }
        Source::Named(n) => (cx.volume_name)(n),
        Source::Absolute(a) => a.to_string(),
    };
    let ro = matches!(m.get("read_only"), Some(Yaml::Bool(true)));
    Some(format!("{source}:{target}{}", if ro { ":ro" } else { "" }))
}

/// `command` as a list of words: compose splits a string the way a shell would, without one.
fn command(cx: &mut Cx, v: &Yaml) -> Option<Vec<String>> {
    let words = match v {
        Yaml::Null => return None,
        Yaml::Seq(_) => {
            let items = cx.items("command", v);
            items.iter().filter_map(|w| w.text()).collect()
        }
        other => {
            let text = other.text()?;
            cx.carry("command", values::split_command(&text).map(|w| (w, None)))?
        }
    };
    let mut out = Vec::new();
    for word in words {
        out.push(cx.carry("command", values::variables(&word))?);
    }
    Some(out)
}

/// `healthcheck` as `deploy.health`: its test as a shell command, and when it runs.
fn healthcheck(cx: &mut Cx, v: &Yaml) -> Health {
    let mut h = Health::default();
    if !matches!(v, Yaml::Map(_)) {
        cx.note(
            "healthcheck",
            format!("{} where compose takes a mapping", v.kind()),
        );
    }
    if matches!(v.get("disable"), Some(Yaml::Bool(true))) {
        return h;
    }
    for (key, v) in v.entries() {
        let path = format!("healthcheck.{key}");
        match key.as_str() {
            "test" => h.command = health_test(cx, &path, v),
            "interval" => h.interval = cx.duration(&path, v).and_then(|d| interval(cx, &path, d)),
            "start_period" => h.start_period = cx.duration(&path, v),
            "retries" => {
                h.retries = cx
                    .checked(&path, v, |t| t.parse::<u32>().map(drop))
                    .and_then(|t| t.parse().ok())
            }
            "disable" => {}
            "timeout" => cx.note(
                path,
                "devloop bounds each probe itself (by the interval, from 2s to 5s)",
            ),
            _ => cx.note(path, "devloop's deploy.health has no such setting"),
        }
    }
    if h.command.is_none() && h != Health::default() {
        cx.note("healthcheck", "no test: devloop too goes by the image's own HEALTHCHECK then, and its interval, retries and start period are the image's");
        return Health::default();
    }
    h
}

/// An interval devloop accepts: at least 100ms.
fn interval(cx: &mut Cx, key: &str, d: String) -> Option<String> {
    let ok =
        humantime::parse_duration(&d).is_ok_and(|v| v >= crate::config::duration::MIN_INTERVAL);
    if !ok {
        cx.note(
            key,
            format!("\"{d}\" is too short: devloop probes at most every 100ms"),
        );
    }
    ok.then_some(d)
}

fn health_test(cx: &mut Cx, key: &str, v: &Yaml) -> Option<String> {
    let command = match v {
        Yaml::Seq(items) => {
            let words: Vec<String> = items.iter().filter_map(Yaml::text).collect();
            cx.carry(key, values::health_test(&words).map(|c| (c, None)))??
        }
        other => cx.string(key, other)?,
    };
    cx.carry(key, values::variables(&command))
}
