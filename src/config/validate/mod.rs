//! Rules that span several keys, checked after typing so each error can point at the right key;
//! the `[[test]]` rules and the checks on the TOML tree itself have modules of their own.

mod notify;
mod test_entries;
mod tree;

use super::schema::{BeanstalkTarget, Document, MaybeSecret, TargetKind};
use super::{Config, Source};
use crate::error::Result;
use crate::template;

pub use notify::{check_notify, is_set, optional_spans};
pub use tree::{check_tree, check_typed_tree};

/// The option namespace of Elastic Beanstalk environment properties.
pub const ENV_NAMESPACE: &str = "aws:elasticbeanstalk:application:environment";

/// The rules for one service's settings (or the whole file's, without `[services]`).
pub fn check(config: &Config) -> Result<()> {
    let doc = &config.doc;
    let src = &config.source;
    check_names(src, doc)?;
    check_build(src, doc)?;
    test_entries::check_tests(src, &doc.tests, config.service.is_some(), config.multi)?;
    check_release(src, doc)?;
    check_target(src, doc)
}

/// The rules for the shared part of a file with `[services]`: its app, its app-level tests, its
/// release settings. Each service's target is checked with the service.
pub fn check_shared(config: &Config) -> Result<()> {
    let doc = &config.doc;
    let src = &config.source;
    check_names(src, doc)?;
    check_build(src, doc)?;
    test_entries::check_tests(src, &doc.tests, false, true)?;
    check_release(src, doc)
}

/// The app's name and the image's, which name images and containers.
fn check_names(src: &Source, doc: &Document) -> Result<()> {
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
    Ok(())
}

/// Tag templates, and build secrets' sources and ids.
fn check_build(src: &Source, doc: &Document) -> Result<()> {
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
    Ok(())
}

/// Where releases are pushed and recorded.
fn check_release(src: &Source, doc: &Document) -> Result<()> {
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
    Ok(())
}

/// The deploy target and the table it needs.
fn check_target(src: &Source, doc: &Document) -> Result<()> {
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

/// Option settings name `aws:` namespaces, and an environment property is set in one place.
fn beanstalk_options(src: &Source, eb: &BeanstalkTarget) -> Result<()> {
    // Where a name appears in the file (the option tables carry no spans).
    let at = |name: &str| {
        src.text
            .find(&format!("\"{name}\""))
            .or_else(|| src.text.find(name))
            .map(|i| i..i + name.len())
    };
    // A set fills it from the shared table or the service's own (services::graph checks it).
    if eb.environment.is_empty() {
        return Err(src.error(
            at("[deploy.beanstalk]").or_else(|| at("beanstalk")),
            "deploy.beanstalk.environment is required: the Elastic Beanstalk environment devloop updates",
        ));
    }
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
    out.extend(notify::secrets(doc));
    out.sort();
    out.dedup();
    out
}
