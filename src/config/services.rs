//! `[services.<name>]`: several services in one file. Each service's settings are the shared
//! `[build]` and `[deploy]` tables with its own merged over them; `needs` makes the services a
//! graph, checked here for unknown names, cycles, shared host ports and clashing container names.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::beanstalk_mode::{self, EbMode};
use super::schema::Document;
use super::values::PortMap;
use super::Source;
use crate::error::Result;

/// The keys a service table takes.
const KEYS: &[&str] = &["image", "needs", "enabled", "build", "test", "deploy"];

/// One service of the app, as the selected environment has it.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    /// Its settings: the shared tables with its own merged over them.
    pub doc: Document,
    /// The enabled services it needs started and healthy first.
    pub needs: Vec<String>,
    /// A dependency's image (`image` without `build`): not built, not released.
    pub image: Option<String>,
}

impl Service {
    /// A database, a cache: run from its image, never built or released.
    pub fn is_dependency(&self) -> bool {
        self.image.is_some()
    }
}

/// One service's table, split from the file and merged over the shared tables, not yet typed.
pub(super) struct Raw<'i> {
    pub name: String,
    pub key_span: Range<usize>,
    pub needs: Vec<Spanned<String>>,
    pub enabled: bool,
    pub image: Option<String>,
    /// The shared tree with the service's `build`, `test` and `deploy` merged over it.
    pub tree: Spanned<DeTable<'i>>,
}

/// Split `services` into one merged tree per service, checking the service tables' own keys.
pub(super) fn split<'i>(
    source: &Source,
    base: &Spanned<DeTable<'i>>,
    services: Spanned<DeValue<'i>>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Raw<'i>>> {
    let span = services.span();
    let DeValue::Table(table) = services.into_inner() else {
        return Err(source.error(
            Some(span),
            "\"services\" must be a table of services: [services.<name>]",
        ));
    };
    if table.is_empty() {
        return Err(source.error(
            Some(span),
            "[services] defines no service: add [services.<name>] tables, or remove it",
        ));
    }
    let mut out = Vec::new();
    for (key, value) in table {
        let key_span = key.span();
        let name = key.into_inner().to_string();
        if !valid_name(&name) {
            return Err(source.error(
                Some(key_span),
                format!("service name \"{name}\" must be lowercase letters, digits and -, starting with a letter (it names containers and the host name other services reach it by)"),
            ));
        }
        let value_span = value.span();
        let DeValue::Table(own) = value.into_inner() else {
            return Err(source.error(
                Some(value_span),
                format!("services.{name} must be a table: write [services.{name}]"),
            ));
        };
        out.push(one(source, base, name, key_span, own, lookup)?);
    }
    Ok(out)
}

/// `[env.<name>.services.<svc>]` overrides a service the file defines; it never makes one (a typo
/// would otherwise be a new service, in that environment only).
pub(super) fn check_env_overrides(
    source: &Source,
    root: &DeTable<'_>,
    env: &str,
    table: &DeValue<'_>,
) -> Result<()> {
    let Some(overrides) = table.as_table().and_then(|t| t.get("services")) else {
        return Ok(());
    };
    let defined: Vec<&str> = root
        .get("services")
        .and_then(|s| s.get_ref().as_table())
        .map(|t| t.keys().map(|k| k.get_ref().as_ref()).collect())
        .unwrap_or_default();
    if defined.is_empty() {
        return Err(source.error(
            Some(overrides.span()),
            format!("env.{env}.services overrides services, and the file defines none: define each as [services.<name>] at the top level"),
        ));
    }
    let Some(keys) = overrides.get_ref().as_table() else {
        return Ok(());
    };
    for key in keys.keys() {
        let k = key.get_ref().as_ref();
        if !defined.contains(&k) {
            let mut msg =
                format!("env.{env}.services.{k}: no service \"{k}\" is defined at the top level");
            if !crate::suggest::append(&mut msg, k, defined.iter().copied()) {
                msg.push_str(&format!(" (services: {})", defined.join(", ")));
            }
            return Err(source.error(Some(key.span()), msg));
        }
    }
    Ok(())
}

fn valid_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn one<'i>(
    source: &Source,
    base: &Spanned<DeTable<'i>>,
    name: String,
    key_span: Range<usize>,
    mut own: DeTable<'i>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Raw<'i>> {
    for key in own.keys() {
        let k = key.get_ref().as_ref();
        if !KEYS.contains(&k) {
            let mut msg = format!("unknown key \"{k}\" in [services.{name}]");
            if !crate::suggest::append(&mut msg, k, KEYS.iter().copied()) {
                msg.push_str(&format!(" (a service takes: {})", KEYS.join(", ")));
            }
            return Err(source.error(Some(key.span()), msg));
        }
    }
    let needs = match own.remove("needs") {
        None => Vec::new(),
        Some(v) => string_list(source, &name, v)?,
    };
    let enabled = match own.remove("enabled") {
        None => true,
        Some(v) => v.get_ref().as_bool().ok_or_else(|| {
            source.error(
                Some(v.span()),
                format!("services.{name}.enabled must be true or false"),
            )
        })?,
    };
    let image = match own.remove("image") {
        None => None,
        Some(mut v) => {
            let mut problems = Vec::new();
            super::interpolate::expand_tree(&mut v, lookup, &mut problems);
            if let Some((span, p)) = problems.into_iter().next() {
                return Err(source.error(Some(span), p.message()));
            }
            let text = v.get_ref().as_str().map(str::to_string).ok_or_else(|| {
                source.error(
                    Some(v.span()),
                    format!(
                        "services.{name}.image must be an image reference such as \"postgres:16\""
                    ),
                )
            })?;
            if own.contains_key("build") {
                return Err(source.error(
                    Some(v.span()),
                    format!("services.{name} has both image and build: a built service names its image with build.image; `image` alone marks a dependency that is run, not built"),
                ));
            }
            if text.trim().is_empty() || text.contains(char::is_whitespace) {
                return Err(source.error(
                    Some(v.span()),
                    format!("services.{name}.image \"{text}\" is not an image reference"),
                ));
            }
            Some(text)
        }
    };
    let mut tree = base.clone();
    tree.get_mut().remove("test");
    super::merge_tables(tree.get_mut(), own);
    Ok(Raw {
        name,
        key_span,
        needs,
        enabled,
        image,
        tree,
    })
}

fn string_list(
    source: &Source,
    name: &str,
    v: Spanned<DeValue<'_>>,
) -> Result<Vec<Spanned<String>>> {
    let wrong = || {
        source.error(
            Some(v.span()),
            format!(
                "services.{name}.needs must be a list of service names, like needs = [\"api\"]"
            ),
        )
    };
    let Some(items) = v.get_ref().as_array() else {
        return Err(wrong());
    };
    items
        .iter()
        .map(|item| match item.get_ref().as_str() {
            Some(s) => Ok(Spanned::new(item.span(), s.to_string())),
            None => Err(wrong()),
        })
        .collect()
}

/// A typed service with what its checks need from the tree.
pub(super) struct Typed<'i> {
    pub raw: Raw<'i>,
    pub doc: Document,
}

/// The enabled services in an order where each comes after what it needs, after the checks on
/// the graph: every name in `needs` exists, no cycle, no host port or container name twice.
pub(super) fn graph(
    source: &Source,
    app: &str,
    env: &str,
    typed: Vec<Typed<'_>>,
    disabled: &[String],
    target: Option<crate::config::TargetKind>,
) -> Result<(Vec<Service>, Option<EbMode>)> {
    let names: Vec<&str> = typed.iter().map(|t| t.raw.name.as_str()).collect();
    for t in &typed {
        for need in &t.raw.needs {
            let n = need.get_ref();
            if n == &t.raw.name {
                return Err(source.error(
                    Some(need.span()),
                    format!("service \"{n}\" cannot need itself"),
                ));
            }
            if !names.contains(&n.as_str()) && !disabled.contains(n) {
                let mut msg = format!("unknown service \"{n}\" in services.{}.needs", t.raw.name);
                if !crate::suggest::append(&mut msg, n, names.iter().copied()) {
                    msg.push_str(&format!(" (services: {})", names.join(", ")));
                }
                return Err(source.error(Some(need.span()), msg));
            }
        }
    }
    one_target(source, &typed, target)?;
    let order = topological(source, &typed)?;
    check_ports(source, &typed)?;
    check_names(source, app, env, &typed)?;
    let mut typed = typed;
    for t in &mut typed {
        if let Some(ecs) = t.doc.deploy.ecs.as_mut().filter(|e| e.service.is_empty()) {
            ecs.service = format!("{app}-{env}-{}", t.raw.name);
        }
    }
    check_ecs_names(source, &typed)?;
    check_repositories(source, &typed)?;
    let views: Vec<beanstalk_mode::Member<'_>> = typed
        .iter()
        .map(|t| beanstalk_mode::Member {
            name: &t.raw.name,
            key_span: t.raw.key_span.clone(),
            eb: t.doc.deploy.beanstalk.as_ref(),
        })
        .collect();
    let eb_mode = beanstalk_mode::of(source, &views, target)?;
    let mut by_name: BTreeMap<String, Typed<'_>> =
        typed.into_iter().map(|t| (t.raw.name.clone(), t)).collect();
    let services = order
        .into_iter()
        .filter_map(|name| by_name.remove(&name))
        .map(|t| Service {
            needs: t
                .raw
                .needs
                .iter()
                .map(|n| n.get_ref().clone())
                .filter(|n| !disabled.contains(n))
                .collect(),
            name: t.raw.name,
            doc: t.doc,
            image: t.raw.image,
        })
        .collect();
    Ok((services, eb_mode))
}

/// A set deploys to one target, the environment's: a service may not name another.
fn one_target(
    source: &Source,
    typed: &[Typed<'_>],
    target: Option<crate::config::TargetKind>,
) -> Result<()> {
    let name = |k: Option<crate::config::TargetKind>| k.map_or("none", |k| k.as_str());
    for t in typed {
        let own = t.doc.deploy.target.as_ref();
        if own.map(|k| *k.get_ref()) != target {
            return Err(source.error(
                own.map(|k| k.span()),
                format!(
                    "services.{} deploys to {}, and the environment to {}: a set deploys to one target, so set deploy.target for the environment, not per service",
                    t.raw.name,
                    name(own.map(|k| *k.get_ref())),
                    name(target)
                ),
            ));
        }
    }
    Ok(())
}

/// Kahn's order, ties by name; a cycle is named along its edges and located at its last `needs`.
fn topological(source: &Source, typed: &[Typed<'_>]) -> Result<Vec<String>> {
    let needs_of = |name: &str| -> Vec<&Spanned<String>> {
        typed
            .iter()
            .find(|t| t.raw.name == name)
            .map(|t| t.raw.needs.iter().collect())
            .unwrap_or_default()
    };
    let exists = |n: &str| typed.iter().any(|t| t.raw.name == n);
    let mut order: Vec<String> = Vec::new();
    let mut left: Vec<&str> = typed.iter().map(|t| t.raw.name.as_str()).collect();
    left.sort();
    while !left.is_empty() {
        let ready = left.iter().position(|n| {
            needs_of(n)
                .iter()
                .all(|d| !exists(d.get_ref()) || order.iter().any(|o| o == d.get_ref()))
        });
        match ready {
            Some(i) => order.push(left.remove(i).to_string()),
            None => return Err(cycle(source, &left, &needs_of)),
        }
    }
    Ok(order)
}

/// Walk `needs` from a service left in a cycle until a name repeats, and name that loop.
fn cycle<'a>(
    source: &Source,
    left: &[&str],
    needs_of: &dyn Fn(&str) -> Vec<&'a Spanned<String>>,
) -> crate::error::Error {
    let mut path: Vec<String> = vec![left[0].to_string()];
    let mut closing = None;
    loop {
        let current = path.last().cloned().unwrap_or_default();
        let next = needs_of(&current)
            .into_iter()
            .find(|d| left.contains(&d.get_ref().as_str()));
        let Some(next) = next else { break };
        let n = next.get_ref().clone();
        closing = Some(next.span());
        if let Some(start) = path.iter().position(|p| *p == n) {
            path.drain(..start);
            path.push(n);
            break;
        }
        path.push(n);
    }
    source.error(
        closing,
        format!(
            "services need each other in a cycle: {} (each would wait for the other to be healthy first)",
            path.join(" → ")
        ),
    )
}

/// Two services publishing one host port could never run together.
fn check_ports(source: &Source, typed: &[Typed<'_>]) -> Result<()> {
    for target in ["docker", "swarm"] {
        let mut seen: Vec<(PortMap, String)> = Vec::new();
        for t in typed {
            for (map, span) in typed_ports(t, target) {
                let clash = seen
                    .iter()
                    .find(|(m, owner)| *owner != t.raw.name && m.clashes_with(&map));
                if let Some((_, earlier)) = clash {
                    return Err(source.error(
                        Some(span),
                        format!(
                            "services.{}: deploy.{target}.ports publishes host port {}/{} that service \"{earlier}\" publishes too; give each service its own host port",
                            t.raw.name,
                            map.host_port.unwrap_or_default(),
                            map.protocol
                        ),
                    ));
                }
                // Within one service the shared checks have spoken already.
                seen.push((map, t.raw.name.clone()));
            }
        }
    }
    Ok(())
}

/// A service's published ports as typed (variables expanded), each located at its item in the
/// file when it is written there as is, else at the service's table.
fn typed_ports(t: &Typed<'_>, target: &str) -> Vec<(PortMap, Range<usize>)> {
    let written = ports_in(&t.raw.tree, target);
    let d = &t.doc.deploy;
    let ports = match target {
        "docker" => d.docker.as_ref().map(|x| x.ports.clone()),
        _ => d.swarm.as_ref().map(|x| x.ports.clone()),
    };
    ports
        .unwrap_or_default()
        .into_iter()
        .map(|map| {
            let span = written
                .iter()
                .find(|(w, _)| *w == map)
                .map(|(_, s)| s.clone())
                .unwrap_or_else(|| t.raw.key_span.clone());
            (map, span)
        })
        .collect()
}

fn ports_in(tree: &Spanned<DeTable<'_>>, target: &str) -> Vec<(PortMap, Range<usize>)> {
    let ports = tree
        .get_ref()
        .get("deploy")
        .and_then(|d| d.get_ref().as_table())
        .and_then(|d| d.get(target))
        .and_then(|t| t.get_ref().as_table())
        .and_then(|t| t.get("ports"))
        .and_then(|p| p.get_ref().as_array());
    let Some(ports) = ports else {
        return Vec::new();
    };
    ports
        .iter()
        .filter_map(|item| {
            let text = item.get_ref().as_str()?;
            let map = PortMap::try_from(text.to_string()).ok()?;
            Some((map, item.span()))
        })
        .collect()
}

/// Container and swarm service names are the app's, one per service: none may take another's,
/// nor the `-next`/`-prev` names a replacement uses for a moment.
fn check_names(source: &Source, app: &str, env: &str, typed: &[Typed<'_>]) -> Result<()> {
    // `<app>-<env>` names the set itself (its deploy lock, its network).
    let mut taken: Vec<(String, String)> = vec![(format!("{app}-{env}"), "the set".to_string())];
    for t in typed {
        let default = format!("{app}-{env}-{}", t.raw.name);
        let docker = t.doc.deploy.docker.as_ref().and_then(|d| d.name.clone());
        let swarm = t.doc.deploy.swarm.as_ref().and_then(|s| s.service.clone());
        for name in [
            docker.unwrap_or_else(|| default.clone()),
            swarm.unwrap_or(default),
        ] {
            let clash = taken.iter().find(|(other, owner)| {
                owner != &t.raw.name
                    && (other == &name
                        || *other == format!("{name}-next")
                        || *other == format!("{name}-prev")
                        || name == format!("{other}-next")
                        || name == format!("{other}-prev"))
            });
            if let Some((other, owner)) = clash {
                let whose = if owner == "the set" {
                    "the name of the set itself (its network and deploy lock)".to_string()
                } else {
                    format!("\"{other}\" of service \"{owner}\"")
                };
                return Err(source.error(
                    Some(t.raw.key_span.clone()),
                    format!("service \"{}\" would run as \"{name}\", which clashes with {whose}; set deploy.docker.name (or deploy.swarm.service) to a name of its own", t.raw.name),
                ));
            }
            taken.push((name, t.raw.name.clone()));
        }
    }
    Ok(())
}

/// Each built service of a set is released to a repository of its own: two that resolve to one
/// (`release.repository`, which a service cannot set, or an image named in the shared `[build]`)
/// would push the same tags over each other, and provision would make one repository for both.
fn check_repositories(source: &Source, typed: &[Typed<'_>]) -> Result<()> {
    let mut seen: Vec<(String, &str)> = Vec::new();
    for t in typed {
        // A dependency runs its own image: not built, not released.
        if t.raw.image.is_some() {
            continue;
        }
        let image = t.doc.build.image.as_ref();
        let repository = super::release_repository_in(&t.doc, Some(&t.raw.name));
        let Some((_, other)) = seen.iter().find(|(r, _)| *r == repository) else {
            seen.push((repository, &t.raw.name));
            continue;
        };
        let (why, span, hint) = if t.doc.release.repository.is_some() {
            let written = t
                .raw
                .tree
                .get_ref()
                .get("release")
                .and_then(|r| r.get_ref().as_table())
                .and_then(|r| r.get("repository"))
                .map(|r| r.span());
            (
                "release.repository names one repository for the whole set",
                written,
                "remove release.repository: each service is released to its image's name (<app>-<service>, or its own [services.<name>.build] image)".to_string(),
            )
        } else {
            (
                "both images have that name",
                image.map(|i| i.span()),
                format!(
                    "name each service's image in its own table, [services.{}.build] image = \"…\"",
                    t.raw.name
                ),
            )
        };
        return Err(source
            .error(
                span.or(Some(t.raw.key_span.clone())),
                format!(
                    "services.{other} and services.{} would both be released to repository \"{repository}\" ({why}), and each release would push its tags over the other's",
                    t.raw.name
                ),
            )
            .with_hint(hint));
    }
    Ok(())
}

/// Each service of a set is an ECS service of its own: two that resolve to one (a `service`
/// written in the shared `[deploy.ecs]`, say) would overwrite each other's task definition.
fn check_ecs_names(source: &Source, typed: &[Typed<'_>]) -> Result<()> {
    let mut seen: Vec<(&str, &str, &str)> = Vec::new();
    for t in typed {
        let Some(ecs) = &t.doc.deploy.ecs else {
            continue;
        };
        if let Some((_, _, other)) = seen
            .iter()
            .find(|(c, s, _)| *c == ecs.cluster && *s == ecs.service)
        {
            return Err(source.error(
                Some(t.raw.key_span.clone()),
                format!(
                    "services \"{other}\" and \"{}\" would both deploy to ECS service {}/{}: each service of a set is an ECS service of its own",
                    t.raw.name, ecs.cluster, ecs.service
                ),
            )
            .with_hint(format!(
                "set services.{}.deploy.ecs.service (without it a service deploys to \"<app>-<env>-<service>\"), and keep service out of the shared [deploy.ecs]",
                t.raw.name
            )));
        }
        seen.push((&ecs.cluster, &ecs.service, &t.raw.name));
    }
    Ok(())
}
