//! Rules that span several keys, checked after typing so each error can point at the right key.

use std::collections::{BTreeMap, BTreeSet};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::explain::{self, Seg};
use super::schema::{BeanstalkTarget, Document, MaybeSecret, TargetKind, Test, TestKind};
use super::values::PortMap;
use super::{Config, Source};
use crate::error::Result;
use crate::template;

/// The option namespace of Elastic Beanstalk environment properties.
pub const ENV_NAMESPACE: &str = "aws:elasticbeanstalk:application:environment";

pub fn check(config: &Config) -> Result<()> {
    let doc = &config.doc;
    let src = &config.source;

    let name = &doc.app.name;
    if !is_image_component(name.get_ref()) {
        return Err(src.error(
            Some(name.span()),
            format!(
                "app name \"{}\" must be lowercase letters, digits, and . _ - between them (it names images and containers)",
                name.get_ref()
            ),
        ));
    }
    if let Some(image) = &doc.build.image {
        let ok = image.get_ref().split('/').all(is_image_component);
        if !ok {
            return Err(src.error(
                Some(image.span()),
                format!(
                    "image name \"{}\" is not a valid Docker repository name",
                    image.get_ref()
                ),
            ));
        }
    }

    let templates = doc
        .build
        .tags
        .iter()
        .chain(doc.release.tags.iter().flatten())
        .chain(doc.release.moving_tags.iter());
    for t in templates {
        template::validate(t.get_ref()).map_err(|why| src.error(Some(t.span()), why))?;
    }
    if doc.build.tags.is_empty() {
        return Err(src.error(
            None,
            "build.tags is empty: give at least one tag template such as \"{short_sha}\"",
        ));
    }

    for (id, secret) in &doc.build.secrets {
        let source = secret.get_ref();
        if source.env.is_some() == source.file.is_some() {
            return Err(src.error(
                Some(secret.span()),
                format!(
                    "build secret \"{id}\" needs exactly one source: {{ env = \"VAR\" }} or {{ file = \"path\" }}"
                ),
            ));
        }
        if id.is_empty()
            || id
                .chars()
                .any(|c| c.is_whitespace() || c == ',' || c == '=')
        {
            return Err(src.error(
                Some(secret.span()),
                format!("build secret id \"{id}\" cannot be used in RUN --mount=type=secret,id=…"),
            ));
        }
    }

    let mut seen = BTreeSet::new();
    for test in &doc.tests {
        let tname = test.name.get_ref();
        if tname.trim().is_empty() || tname.chars().any(char::is_control) {
            return Err(src.error(
                Some(test.name.span()),
                format!(
                    "test name {tname:?} cannot be used: give each [[test]] a name of visible characters, like name = \"unit\" (its step is called test:<name>)"
                ),
            ));
        }
        if !seen.insert(tname.as_str()) {
            return Err(src.error(
                Some(test.name.span()),
                format!("duplicate test name \"{tname}\""),
            ));
        }
        match test.kind {
            TestKind::Host | TestKind::Image if test.run.is_none() => {
                return Err(src.error(
                    Some(test.name.span()),
                    format!("test \"{tname}\" needs a `run` command"),
                ));
            }
            TestKind::Service if test.port.is_none() => {
                return Err(src.error(
                    Some(test.name.span()),
                    format!("service test \"{tname}\" needs `port`, the container port to probe"),
                ));
            }
            _ => {}
        }
    }
    let names: Vec<&str> = doc
        .tests
        .iter()
        .map(|t| t.name.get_ref().as_str())
        .collect();
    for test in &doc.tests {
        for need in &test.needs {
            if !names.contains(&need.as_str()) {
                let mut msg = format!(
                    "test \"{}\" needs unknown test \"{need}\"",
                    test.name.get_ref()
                );
                crate::suggest::append(&mut msg, need, names.iter().copied());
                return Err(src.error(Some(test.name.span()), msg));
            }
        }
    }

    needs_cycle(src, &doc.tests)?;

    if let Some(ledger) = &doc.release.ledger {
        if !ledger.get_ref().starts_with("s3://") || ledger.get_ref().len() <= 5 {
            return Err(src.error(
                Some(ledger.span()),
                "release.ledger must be an S3 location such as \"s3://bucket/prefix\"",
            ));
        }
    }
    if let Some(registry) = &doc.release.registry {
        let r = registry.get_ref();
        if r != "ecr" && (r.is_empty() || r.contains("://") || r.contains(char::is_whitespace)) {
            return Err(src.error(
                Some(registry.span()),
                "release.registry must be \"ecr\" or host[:port]/namespace, without a scheme",
            ));
        }
    }

    if let Some(target) = &doc.deploy.target {
        let missing = match target.get_ref() {
            TargetKind::Ecs if doc.deploy.ecs.is_none() => {
                Some("[deploy.ecs] with cluster and service")
            }
            TargetKind::Beanstalk if doc.deploy.beanstalk.is_none() => {
                Some("[deploy.beanstalk] with application and environment")
            }
            _ => None,
        };
        if let Some(what) = missing {
            return Err(src.error(
                Some(target.span()),
                format!("target \"{}\" needs {what}", target.get_ref().as_str()),
            ));
        }
    }
    if let Some(eb) = &doc.deploy.beanstalk {
        beanstalk_options(src, eb)?;
    }
    Ok(())
}

/// Tests that need each other in a circle can never start: name the circle, and only it.
fn needs_cycle(src: &Source, tests: &[Test]) -> Result<()> {
    let index: BTreeMap<&str, usize> = tests
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.get_ref().as_str(), i))
        .collect();
    // 0: not seen, 1: on the current path, 2: done.
    let mut state = vec![0u8; tests.len()];
    for start in 0..tests.len() {
        if state[start] != 0 {
            continue;
        }
        // Depth-first, without recursion: (test, next need to look at).
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some((at, next)) = stack.last_mut() {
            let (at, next_need) = (*at, *next);
            *next += 1;
            let Some(need) = tests[at].needs.get(next_need) else {
                state[at] = 2;
                stack.pop();
                continue;
            };
            let Some(&to) = index.get(need.as_str()) else {
                continue;
            };
            match state[to] {
                0 => {
                    state[to] = 1;
                    stack.push((to, 0));
                }
                1 => {
                    let from = stack.iter().position(|(t, _)| *t == to).unwrap_or(0);
                    let mut circle: Vec<String> = stack[from..]
                        .iter()
                        .map(|(t, _)| format!("test:{}", tests[*t].name.get_ref()))
                        .collect();
                    circle.push(format!("test:{}", tests[to].name.get_ref()));
                    let first = &tests[to];
                    return Err(src.error(
                        Some(first.name.span()),
                        format!(
                            "tests need each other in a cycle, so none of them can start: {}; remove one of these needs",
                            circle.join(" -> ")
                        ),
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Checks on the TOML tree before it is typed: values no key takes, with their exact location.
pub fn check_tree(src: &Source, tree: &DeTable<'_>) -> Result<()> {
    let mut path = Vec::new();
    no_datetimes(src, tree, &mut path)
}

fn no_datetimes(src: &Source, table: &DeTable<'_>, path: &mut Vec<Seg>) -> Result<()> {
    for (key, value) in table.iter() {
        path.push(Seg::Key(key.get_ref().to_string()));
        datetime_in(src, value, path)?;
        path.pop();
    }
    Ok(())
}

fn datetime_in(src: &Source, value: &Spanned<DeValue<'_>>, path: &mut Vec<Seg>) -> Result<()> {
    match value.get_ref() {
        DeValue::Datetime(_) => {
            let written = src.text.get(value.span()).unwrap_or("").trim();
            let leaf = path
                .iter()
                .rev()
                .find_map(|s| match s {
                    Seg::Key(k) => Some(k.as_str()),
                    Seg::Index(_) => None,
                })
                .unwrap_or("key");
            let key = if leaf
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                leaf.to_string()
            } else {
                format!("{leaf:?}")
            };
            Err(src.error(
                Some(value.span()),
                format!(
                    "{} is a TOML date-time, which devloop does not read; write it as a string, like {key} = {written:?}",
                    explain::dotted(path)
                ),
            ))
        }
        DeValue::Table(t) => no_datetimes(src, t, path),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                datetime_in(src, item, path)?;
                path.pop();
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Checks on the tree of a document that typed: rules across list items, located at the item.
pub fn check_typed_tree(src: &Source, tree: &DeTable<'_>) -> Result<()> {
    let deploy = tree.get("deploy").and_then(|d| d.get_ref().as_table());
    for target in ["docker", "swarm"] {
        let ports = deploy
            .and_then(|d| d.get(target))
            .and_then(|t| t.get_ref().as_table())
            .and_then(|t| t.get("ports"))
            .and_then(|p| p.get_ref().as_array());
        let Some(ports) = ports else { continue };
        let mut seen: Vec<(PortMap, String)> = Vec::new();
        for item in ports.iter() {
            let Some(text) = item.get_ref().as_str() else {
                continue;
            };
            // Not yet expanded (a variable unset here) or not a mapping: typing speaks for those.
            let Ok(map) = PortMap::try_from(text.to_string()) else {
                continue;
            };
            if let Some((_, earlier)) = seen.iter().find(|(m, _)| m.clashes_with(&map)) {
                let port = map.host_port.unwrap_or_default();
                return Err(src.error(
                    Some(item.span()),
                    format!(
                        "deploy.{target}.ports: \"{text}\" publishes host port {port}/{} again (\"{earlier}\" already does); give each mapping its own host port or address",
                        map.protocol
                    ),
                ));
            }
            seen.push((map, text.to_string()));
        }
    }
    Ok(())
}

/// Option settings name `aws:` namespaces, and an environment property is set in one place.
fn beanstalk_options(src: &Source, eb: &BeanstalkTarget) -> Result<()> {
    // Where a name appears in the file (the option tables carry no spans).
    let at = |name: &str| {
        src.text
            .find(&format!("\"{name}\""))
            .or_else(|| src.text.find(name))
            .map(|i| i..i + name.len())
    };
    if let Some(auth) = &eb.registry_auth {
        let key = auth
            .strip_prefix("s3://")
            .and_then(|rest| rest.split_once('/'))
            .filter(|(bucket, key)| !bucket.is_empty() && !key.is_empty());
        if key.is_none() {
            return Err(src.error(
                at(auth),
                format!("deploy.beanstalk.registry_auth \"{auth}\" must be an S3 object, \"s3://bucket/key\""),
            ));
        }
    }
    for (ns, options) in &eb.options {
        if !ns.starts_with("aws:") {
            return Err(src.error(
                at(ns),
                format!("deploy.beanstalk.options: \"{ns}\" is not an option namespace; Elastic Beanstalk namespaces start with \"aws:\" (e.g. \"aws:autoscaling:asg\")"),
            ));
        }
        if ns == ENV_NAMESPACE {
            if let Some(k) = options.keys().find(|k| eb.env.contains_key(*k)) {
                return Err(src.error(
                    at(k),
                    format!("deploy.beanstalk: environment property \"{k}\" is set both in env and in options.\"{ENV_NAMESPACE}\"; keep one"),
                ));
            }
        }
    }
    Ok(())
}

/// One path component of a Docker repository name.
fn is_image_component(s: &str) -> bool {
    let bytes = s.as_bytes();
    !s.is_empty()
        && s.len() <= 128
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

/// Every value marked secret anywhere in the document.
pub fn secrets(doc: &Document) -> Vec<String> {
    let maps = [&doc.build.args]
        .into_iter()
        .chain(doc.tests.iter().map(|t| &t.env))
        .chain(doc.deploy.docker.iter().map(|d| &d.env))
        .chain(doc.deploy.swarm.iter().map(|d| &d.env))
        .chain(doc.deploy.ecs.iter().map(|d| &d.env))
        .chain(doc.deploy.beanstalk.iter().map(|d| &d.env));
    let mut out: Vec<String> = maps
        .flat_map(|m| m.values())
        .filter(|v| v.is_secret())
        .map(MaybeSecret::value)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}
