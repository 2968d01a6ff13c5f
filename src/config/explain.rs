//! Type errors in the user's terms: which key, what it must be, and how to write it.
//!
//! serde reports `invalid type: string "18480:80", expected a sequence` at a byte span. The loader
//! finds the key at that span in the TOML tree it typed, and this module turns the pair into
//! `deploy.docker.ports must be a list of "host:container" strings, like ports = ["18480:80"]`.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// Marks a message from a value's own check as being about the key it sits under: the loader puts
/// the key's dotted path in front (`deploy.health.port must be …`).
const ABOUT_KEY: char = '\u{1}';

/// A message about the value at hand, to be read after its key: `"x" is too long: …`.
pub fn about_the_key(message: &str) -> String {
    format!("{ABOUT_KEY}{message}")
}

/// One step of a path into the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// What the error's span points at: the path of keys to it, and the value when it is one.
pub struct Found<'a, 'i> {
    pub path: Vec<Seg>,
    pub value: Option<&'a DeValue<'i>>,
}

/// Find the key or value at `span` in `table`: an exact match first, else the innermost value
/// holding it.
pub fn find<'a, 'i>(table: &'a DeTable<'i>, span: &Range<usize>) -> Option<Found<'a, 'i>> {
    let mut path = Vec::new();
    find_in_table(table, span, true, &mut path).or_else(|| {
        path.clear();
        find_in_table(table, span, false, &mut path)
    })
}

fn find_in_table<'a, 'i>(
    table: &'a DeTable<'i>,
    span: &Range<usize>,
    exact: bool,
    path: &mut Vec<Seg>,
) -> Option<Found<'a, 'i>> {
    for (key, value) in table.iter() {
        path.push(Seg::Key(key.get_ref().to_string()));
        if exact && key.span() == *span {
            return Some(Found {
                path: path.clone(),
                value: None,
            });
        }
        if let Some(found) = find_in_value(value, span, exact, path) {
            return Some(found);
        }
        path.pop();
    }
    None
}

fn find_in_value<'a, 'i>(
    value: &'a Spanned<DeValue<'i>>,
    span: &Range<usize>,
    exact: bool,
    path: &mut Vec<Seg>,
) -> Option<Found<'a, 'i>> {
    let here = value.span();
    // The innermost match wins: an array of tables and its last table can share a span.
    let inner = match value.get_ref() {
        DeValue::Table(t) => find_in_table(t, span, exact, path),
        DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            path.push(Seg::Index(i));
            let found = find_in_value(item, span, exact, path);
            path.pop();
            found
        }),
        _ => None,
    };
    if inner.is_some() {
        return inner;
    }
    let holds = if exact {
        here == *span
    } else {
        !matches!(value.get_ref(), DeValue::Table(_) | DeValue::Array(_))
            && here.start <= span.start
            && span.end <= here.end
    };
    holds.then(|| Found {
        path: path.clone(),
        value: Some(value.get_ref()),
    })
}

/// `deploy.docker.ports`, `build.labels."org.example"`: the keys, without list positions.
pub fn dotted(path: &[Seg]) -> String {
    path.iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(bare_or_quoted(k)),
            Seg::Index(_) => None,
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn bare_or_quoted(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

fn keys(path: &[Seg]) -> Vec<&str> {
    path.iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
        .collect()
}

/// Rewrite a typing error found at `found` (when the key is known) in the user's terms.
pub fn explain(message: &str, found: Option<&Found<'_, '_>>) -> String {
    let path = found.map(|f| f.path.as_slice()).unwrap_or(&[]);
    let name = dotted(path);
    if let Some(rest) = message.strip_prefix(ABOUT_KEY) {
        let rest = rest.trim_end();
        return if name.is_empty() {
            format!("the value {rest}")
        } else {
            format!("{name} {rest}")
        };
    }
    let Some(found) = found.filter(|_| !name.is_empty()) else {
        return super::source::explain_serde_message(message);
    };
    let expected = expected_of(message);
    match expected.and_then(|exp| shape(path, exp, found.value)) {
        Some(Shape { what, like }) => format!("{name} must be {what}, like {like}"),
        None => super::source::explain_serde_message(message),
    }
}

/// What serde expected: `a sequence` of `invalid type: string "x", expected a sequence`; the
/// untagged secret value states its own expectation.
fn expected_of(message: &str) -> Option<&str> {
    let message = message.trim_end();
    if message.starts_with("a string, or a table") {
        return Some(message);
    }
    if message == "wanted string or table" {
        return Some("enum");
    }
    if message.starts_with("invalid type: ") || message.starts_with("invalid value: ") {
        return message.rsplit_once(", expected ").map(|(_, e)| e);
    }
    None
}

struct Shape {
    what: String,
    like: String,
}

fn new_shape(what: &str, like: String) -> Option<Shape> {
    Some(Shape {
        what: what.to_string(),
        like,
    })
}

/// What the user wrote at a key, as the examples need it.
struct Written<'a> {
    leaf: &'a str,
    parent: &'a str,
    /// The value is an item of a list.
    in_list: bool,
    /// The value, when it is a string.
    text: Option<String>,
    /// What the user wrote, as TOML text, for examples that keep their value.
    lexeme: Option<String>,
}

impl<'a> Written<'a> {
    fn of(path: &'a [Seg], value: Option<&DeValue<'_>>) -> Option<Written<'a>> {
        let keys = keys(path);
        let leaf = *keys.last()?;
        let parent = keys.len().checked_sub(2).map(|i| keys[i]).unwrap_or("");
        Some(Written {
            leaf,
            parent,
            in_list: matches!(path.last(), Some(Seg::Index(_))),
            text: value.and_then(|v| v.as_str()).map(str::to_string),
            lexeme: value.and_then(|v| match v {
                DeValue::Integer(i) => Some(i.as_str().to_string()),
                DeValue::Float(f) => Some(f.as_str().to_string()),
                DeValue::Boolean(b) => Some(b.to_string()),
                DeValue::String(s) => Some(s.to_string()),
                _ => None,
            }),
        })
    }
}

fn shape(path: &[Seg], expected: &str, value: Option<&DeValue<'_>>) -> Option<Shape> {
    let w = Written::of(path, value)?;
    let (leaf, parent) = (w.leaf, w.parent);
    if let Some(shape) = by_meaning(&w, expected, value) {
        return Some(shape);
    }
    if expected == "enum" {
        let choices = variants(parent, leaf)?;
        let list: Vec<String> = choices.iter().map(|c| format!("{c:?}")).collect();
        let (last, rest) = list.split_last()?;
        return new_shape(
            &format!("one of {} or {last}", rest.join(", ")),
            format!("{leaf} = {:?}", choices[0]),
        );
    }
    if is_duration_key(parent, leaf) && !w.in_list {
        let like = match value {
            Some(DeValue::Integer(i)) if i.radix() == 10 => format!("{leaf} = \"{}s\"", i.as_str()),
            _ => format!("{leaf} = \"90s\""),
        };
        return new_shape("a duration string", like);
    }
    if expected.starts_with("a string, or a table") {
        let v = w.lexeme.unwrap_or_else(|| "...".to_string());
        return new_shape(
            "a string, or a table { value = \"...\", secret = true }",
            format!("{} = {v:?}", bare_or_quoted(leaf)),
        );
    }
    by_type(&w, path, expected, value)
}

/// Keys whose meaning says more than their type.
fn by_meaning(w: &Written<'_>, expected: &str, value: Option<&DeValue<'_>>) -> Option<Shape> {
    let (leaf, parent, text) = (w.leaf, w.parent, &w.text);
    let list_of = |what: &str, sample: &str| {
        let item = text.clone().unwrap_or_else(|| sample.to_string());
        new_shape(what, format!("{leaf} = [{item:?}]"))
    };
    match (parent, leaf) {
        (_, "ports") if parent == "docker" || parent == "swarm" => {
            let item = match value {
                Some(DeValue::Integer(i)) if i.radix() == 10 => format!("{}:80", i.as_str()),
                _ => text
                    .clone()
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| "8080:80".to_string()),
            };
            new_shape(
                "a list of \"host:container\" strings",
                format!("ports = [{item:?}]"),
            )
        }
        ("", "test") => new_shape(
            "a list of tables, one for each test",
            "[[test]] (double brackets) above each test's keys".to_string(),
        ),
        (_, "tags" | "moving_tags") => list_of("a list of tag templates in quotes", "{short_sha}"),
        (_, "needs") => list_of("a list of test names in quotes", "unit"),
        (_, "args" | "env" | "labels") if !w.in_list && expected == "a map" => new_shape(
            "a table of NAME = \"value\"",
            format!("{leaf} = {{ NAME = \"value\" }}"),
        ),
        (_, "cache_from") => list_of("a list of image names in quotes", "app:latest"),
        (_, "volumes") => list_of("a list of \"volume:/path\" strings", "data:/data"),
        _ => None,
    }
}

/// The shape serde's expected type asks for, with an example that keeps what the user wrote.
fn by_type(
    w: &Written<'_>,
    path: &[Seg],
    expected: &str,
    value: Option<&DeValue<'_>>,
) -> Option<Shape> {
    let (leaf, text) = (w.leaf, &w.text);
    let number = |default: &str| {
        text.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.parse::<f64>().is_ok())
            .map(str::to_string)
            .unwrap_or_else(|| default.to_string())
    };
    let key = if w.in_list {
        String::new()
    } else {
        format!("{} = ", bare_or_quoted(leaf))
    };
    match expected {
        "a string" => {
            let v = w.lexeme.clone().unwrap_or_else(|| "...".to_string());
            new_shape("a string in quotes", format!("{key}{v:?}"))
        }
        "a boolean" => {
            let no = matches!(
                text.as_deref().map(str::to_ascii_lowercase).as_deref(),
                Some("false" | "no" | "off" | "0")
            ) || matches!(value, Some(DeValue::Integer(i)) if i.as_str() == "0");
            new_shape(
                "true or false, without quotes",
                format!("{key}{}", if no { "false" } else { "true" }),
            )
        }
        "u16" => new_shape(
            "a whole number from 1 to 65535",
            format!("{key}{}", number("8080")),
        ),
        "u8" | "u32" | "u64" | "usize" => new_shape(
            "a whole number, 0 or more",
            format!("{key}{}", number(sample_count(leaf))),
        ),
        "i8" | "i16" | "i32" | "i64" | "isize" => new_shape(
            "a whole number",
            format!("{key}{}", number(sample_count(leaf))),
        ),
        "f32" | "f64" => new_shape("a number", format!("{key}{}", number("0.5"))),
        "a sequence" => {
            let like = match text {
                Some(t) => format!("{key}[{t:?}]"),
                None => format!("{key}[]"),
            };
            new_shape("a list in square brackets", like)
        }
        e if e == "a map" || e.starts_with("struct ") => {
            let name = dotted(path);
            new_shape(
                "a table",
                format!("[{name}] with its keys on the lines below"),
            )
        }
        _ => None,
    }
}

/// The values of the keys that take one of a few words.
fn variants(parent: &str, leaf: &str) -> Option<&'static [&'static str]> {
    Some(match (parent, leaf) {
        ("deploy", "target") => &["docker", "swarm", "ecs", "beanstalk"],
        ("test", "kind") => &["host", "image", "service"],
        ("update", "order") => &["start-first", "stop-first"],
        ("update", "failure_action") => &["rollback", "pause", "continue"],
        (_, "rollback") => &["auto", "manual"],
        ("beanstalk", "bundle") => &["image", "source"],
        ("beanstalk", "manifest") => &["dockerrun", "compose"],
        _ => return None,
    })
}

fn sample_count(leaf: &str) -> &'static str {
    match leaf {
        "retries" => "5",
        "replicas" | "desired_count" => "2",
        _ => "1",
    }
}

fn is_duration_key(parent: &str, leaf: &str) -> bool {
    matches!(
        leaf,
        "timeout"
            | "interval"
            | "start_period"
            | "stop_grace_period"
            | "ready_timeout"
            | "health_grace"
    ) || (parent == "update" && matches!(leaf, "delay" | "monitor"))
}
