//! Tag templates such as `{short_sha}` or `{branch}-{timestamp}`.
//!
//! Placeholders are checked when the config loads (so a typo is a located error) and rendered when a
//! step needs the tags; a placeholder that needs git fails only then, outside a repository.

use std::collections::BTreeMap;

pub const PLACEHOLDERS: &[&str] = &[
    "sha",
    "short_sha",
    "branch",
    "tag",
    "timestamp",
    "app",
    "env",
    "digest",
];

/// Why a tag template cannot be used or rendered here; its text is the whole message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct TemplateError(String);

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TemplateError {}

impl From<TemplateError> for String {
    fn from(e: TemplateError) -> String {
        e.0
    }
}

/// Placeholders whose value comes from git.
const GIT_PLACEHOLDERS: &[&str] = &["sha", "short_sha", "branch", "tag"];

fn placeholders(template: &str) -> Result<Vec<&str>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err(TemplateError(format!(
                "unmatched \"}}\" in tag template \"{template}\""
            )));
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| {
            TemplateError(format!("unclosed \"{{\" in tag template \"{template}\""))
        })?;
        out.push(&after[..close]);
        rest = &after[close + 1..];
    }
    Ok(out)
}

/// Check a template's placeholders.
pub fn validate(template: &str) -> Result<(), TemplateError> {
    for p in placeholders(template)? {
        if !PLACEHOLDERS.contains(&p) {
            let mut msg = format!("unknown placeholder \"{{{p}}}\" in tag template \"{template}\"");
            match crate::suggest::closest(p, PLACEHOLDERS.iter().copied()) {
                Some(best) => msg.push_str(&crate::suggest::phrase(&format!("{{{best}}}"))),
                None => msg.push_str(&format!(" (known: {})", PLACEHOLDERS.join(", "))),
            }
            return Err(TemplateError(msg));
        }
    }
    let literal = template.replace(['{', '}'], "");
    if template.is_empty() || (placeholders(template)?.is_empty() && !is_valid_tag(&literal)) {
        return Err(TemplateError(format!(
            "tag \"{template}\" is not a valid Docker tag (letters, digits, _ . -, at most 128, not starting with . or -)"
        )));
    }
    Ok(())
}

/// Values for placeholders; `None` means "not available here" with the reason.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    values: BTreeMap<&'static str, Result<String, String>>,
}

impl Vars {
    /// `{name}` stands for `value`.
    pub fn set(&mut self, name: &'static str, value: impl Into<String>) {
        self.values.insert(name, Ok(value.into()));
    }
    /// `{name}` cannot be rendered here, for this reason.
    pub fn unavailable(&mut self, name: &'static str, why: impl std::fmt::Display) {
        self.values.insert(name, Err(why.to_string()));
    }
}

/// Render a template into a valid Docker tag: characters Docker refuses become `-`.
pub fn render(template: &str, vars: &Vars) -> Result<String, TemplateError> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| {
            TemplateError(format!("unclosed \"{{\" in tag template \"{template}\""))
        })?;
        let name = &after[..close];
        match vars.values.get(name) {
            Some(Ok(v)) => out.push_str(v),
            Some(Err(why)) => {
                let fix = if GIT_PLACEHOLDERS.contains(&name) {
                    " — use \"{digest}\" (the build's content digest, which always resolves) in build.tags, or commit first"
                } else {
                    ""
                };
                return Err(TemplateError(format!(
                    "tag template \"{template}\" needs {{{name}}}, but {why}{fix}"
                )));
            }
            None => {
                return Err(TemplateError(format!(
                    "unknown placeholder \"{{{name}}}\" in tag template \"{template}\""
                )))
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(sanitize(&out))
}

fn sanitize(raw: &str) -> String {
    let mut tag: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    while tag.starts_with(['.', '-']) {
        tag.remove(0);
    }
    tag.truncate(128);
    if tag.is_empty() {
        tag.push('_');
    }
    tag
}

fn is_valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= 128
        && !tag.starts_with(['.', '-'])
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_placeholders_with_suggestions() {
        assert!(validate("{short_sha}").is_ok());
        assert!(validate("v1-{branch}-{timestamp}").is_ok());
        assert!(validate("latest").is_ok());
        let err = validate("{short_hsa}").unwrap_err().to_string();
        assert!(err.contains("did you mean \"{short_sha}\""), "{err}");
        assert!(validate("{sha")
            .unwrap_err()
            .to_string()
            .contains("unclosed"));
        assert!(validate("a}")
            .unwrap_err()
            .to_string()
            .contains("unmatched"));
        assert!(validate("bad tag")
            .unwrap_err()
            .to_string()
            .contains("not a valid Docker tag"));
    }

    #[test]
    fn renders_and_sanitizes() {
        let mut vars = Vars::default();
        vars.set("branch", "feature/login");
        vars.unavailable("short_sha", "/tmp/x is not inside a git repository");
        assert_eq!(render("{branch}", &vars).unwrap(), "feature-login");
        let err = render("{short_sha}", &vars).unwrap_err();
        assert!(
            err.to_string().contains("not inside a git repository"),
            "{err}"
        );
    }
}
