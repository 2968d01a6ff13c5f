//! Locations in the config file: byte spans to `file:line:col`, and serde's messages in our words.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::error::{Error, Location};

/// The text of a config file and where it came from, for located error messages.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    /// Path as shown to the user (relative to the working directory when possible).
    pub display: String,
    pub text: String,
}

impl Source {
    pub fn new(path: &Path, text: String, cwd: &Path) -> Self {
        let display = path
            .strip_prefix(cwd)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| path.display().to_string());
        Source {
            path: path.to_path_buf(),
            display,
            text,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = before
            .get(line_start..)
            .map(|s| s.chars().count())
            .unwrap_or(0)
            + 1;
        (line, col)
    }

    /// `path:line:col` for a span; just the path for `0..0`, the span of a default not in the file.
    pub fn locate(&self, span: Option<Range<usize>>) -> String {
        match span {
            Some(r) if is_located(&r) => {
                let (line, col) = self.line_col(r.start);
                format!("{}:{line}:{col}", self.display)
            }
            _ => self.display.clone(),
        }
    }

    /// A config error at a span: exit 2, with the offending line quoted under the message.
    pub fn error(&self, span: Option<Range<usize>>, message: impl Into<String>) -> Error {
        let message = message.into();
        let mut err =
            Error::usage(format!("{}: {message}", self.locate(span.clone()))).at(Location {
                file: self.display.clone(),
                line: None,
                col: None,
            });
        if let Some(r) = span.filter(is_located) {
            let (line, col) = self.line_col(r.start);
            err = err.at(Location {
                file: self.display.clone(),
                line: Some(line),
                col: Some(col),
            });
            if let Some(text) = self.text.lines().nth(line - 1) {
                let width = self
                    .text
                    .get(r.clone())
                    .map(|s| s.lines().next().unwrap_or("").chars().count())
                    .unwrap_or(1)
                    .max(1);
                err.detail = vec![
                    format!("{line:>4} | {text}"),
                    format!("     | {}{}", " ".repeat(col - 1), "^".repeat(width)),
                ];
            }
        }
        err
    }
}

fn is_located(r: &Range<usize>) -> bool {
    r.end > r.start || r.start > 0
}

/// Rewrite serde's "unknown field `x`, expected one of `a`, `b`" into our wording with a suggestion.
pub fn explain_serde_message(message: &str) -> String {
    for (prefix, noun) in [("unknown field `", "key"), ("unknown variant `", "value")] {
        let Some(rest) = message.strip_prefix(prefix) else {
            continue;
        };
        let Some((word, tail)) = rest.split_once('`') else {
            continue;
        };
        let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
        let mut out = format!("unknown {noun} \"{word}\"");
        let suggested = crate::suggest::append(&mut out, word, expected.iter().copied());
        if !suggested && !expected.is_empty() {
            let list: Vec<String> = expected.iter().map(|e| format!("\"{e}\"")).collect();
            out.push_str(&format!(" (expected one of {})", list.join(", ")));
        } else if !suggested && tail.contains("there are no fields") {
            out.push_str(" (this table takes no keys)");
        }
        return out;
    }
    message.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_in_characters() {
        let s = Source::new(
            Path::new("d.toml"),
            "a = 1\n[é]\nbb = 2\n".into(),
            Path::new("/"),
        );
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(6), (2, 1));
        let bb = s.text.find("bb").unwrap();
        assert_eq!(s.line_col(bb), (3, 1));
        assert_eq!(s.locate(Some(bb..bb + 2)), "d.toml:3:1");
        assert_eq!(s.locate(Some(0..0)), "d.toml");
    }

    #[test]
    fn suggests_the_nearest_key() {
        let msg = "unknown field `imgae`, expected one of `image`, `context`, `tags`";
        assert_eq!(
            explain_serde_message(msg),
            "unknown key \"imgae\" — did you mean \"image\"?"
        );
        let msg = "unknown field `zzz`, expected `name`";
        assert_eq!(
            explain_serde_message(msg),
            "unknown key \"zzz\" (expected one of \"name\")"
        );
        let msg = "unknown variant `dokcer`, expected one of `docker`, `swarm`";
        assert_eq!(
            explain_serde_message(msg),
            "unknown value \"dokcer\" — did you mean \"docker\"?"
        );
    }
}
