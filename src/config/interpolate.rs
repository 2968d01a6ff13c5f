//! `${VAR}` and `${VAR:-default}` in config strings, expanded from the environment.
//!
//! Runs on the spanned TOML tree before typing, so an unset variable is reported at the exact string
//! that uses it. `$$` is a literal `$`; any other `$` is left alone.

use std::ops::Range;

use toml::de::{DeString, DeValue};
use toml::Spanned;

/// What went wrong in one string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Unset(String),
    Malformed(String),
}

impl Problem {
    pub fn message(&self) -> String {
        match self {
            Problem::Unset(var) => format!(
                "environment variable {var} is not set (set it, or write ${{{var}:-default}} to give a default)"
            ),
            Problem::Malformed(why) => why.clone(),
        }
    }
}

/// Expand one string. `lookup` returns a variable's value, or `None` when it is unset.
pub fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, Problem> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body
                .find('}')
                .ok_or_else(|| Problem::Malformed(format!("unterminated \"${{\" in \"{text}\"")))?;
            let inner = &body[..end];
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            if !is_var_name(name) {
                return Err(Problem::Malformed(format!(
                    "\"${{{inner}}}\" is not a variable reference: names are letters, digits and _"
                )));
            }
            match (
                lookup(name).filter(|v| !(default.is_some() && v.is_empty())),
                default,
            ) {
                (Some(v), _) => out.push_str(&v),
                (None, Some(d)) => out.push_str(d),
                (None, None) => return Err(Problem::Unset(name.to_string())),
            }
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Expand every string in a tree in place. Problems are returned with their spans; a string with a
/// problem is left as written.
pub fn expand_tree(
    value: &mut Spanned<DeValue<'_>>,
    lookup: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<(Range<usize>, Problem)>,
) {
    let span = value.span();
    match value.get_mut() {
        DeValue::String(s) if s.contains('$') => match expand(s, lookup) {
            Ok(v) => *s = DeString::Owned(v),
            Err(p) => problems.push((span, p)),
        },
        DeValue::Array(items) => {
            for item in items.iter_mut() {
                expand_tree(item, lookup, problems);
            }
        }
        DeValue::Table(table) => {
            for (_, v) in table.iter_mut() {
                expand_tree(v, lookup, problems);
            }
        }
        _ => {}
    }
}

/// The name of the first `${NAME}` (or `${NAME:-default}`) written in `text`, for messages that
/// name a variable without showing its value.
pub fn first_name(text: &str) -> Option<&str> {
    text.split("${")
        .nth(1)
        .and_then(|rest| rest.split(['}', ':']).next())
}

/// The variables `text` needs that have no default (`${VAR}`, not `${VAR:-…}`), in order: each
/// one that `expand` finds unset is taken as set (to empty) and the string expanded again.
pub fn required(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    loop {
        let known = names.clone();
        match expand(text, &|n| known.iter().any(|k| k == n).then(String::new)) {
            Err(Problem::Unset(name)) if !names.contains(&name) => names.push(name),
            _ => return names,
        }
    }
}

/// [`required`] of every string in a tree, added to `out` once each.
pub fn required_in_tree(value: &DeValue<'_>, out: &mut Vec<String>) {
    match value {
        DeValue::String(s) if s.contains('$') => {
            for name in required(s) {
                if !out.contains(&name) {
                    out.push(name);
                }
            }
        }
        DeValue::Array(items) => {
            for item in items {
                required_in_tree(item.get_ref(), out);
            }
        }
        DeValue::Table(table) => {
            for (_, v) in table {
                required_in_tree(v.get_ref(), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/home/me".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands_set_unset_and_defaults() {
        assert_eq!(expand("${HOME}/x", &env).unwrap(), "/home/me/x");
        assert_eq!(expand("${NOPE:-8080}", &env).unwrap(), "8080");
        assert_eq!(expand("${EMPTY:-fallback}", &env).unwrap(), "fallback");
        assert_eq!(expand("${EMPTY}", &env).unwrap(), "");
        assert_eq!(expand("a$$b $x", &env).unwrap(), "a$b $x");
        assert_eq!(expand("${NOPE:-}", &env).unwrap(), "");
    }

    #[test]
    fn required_variables_are_those_without_a_default() {
        assert_eq!(
            required("${A}:${B:-x}/${C}${A}$${D}"),
            vec!["A".to_string(), "C".to_string()]
        );
        assert!(required("${B:-x} ${bad").is_empty());
    }

    #[test]
    fn reports_unset_and_malformed() {
        assert_eq!(expand("${NOPE}", &env), Err(Problem::Unset("NOPE".into())));
        assert!(matches!(expand("${HOME", &env), Err(Problem::Malformed(_))));
        assert!(matches!(expand("${1x}", &env), Err(Problem::Malformed(_))));
    }
}
