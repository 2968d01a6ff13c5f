//! A Dockerfile the builder cannot parse is an error about one of its lines: this finds the line
//! in the builder's message and makes the error point there.

use crate::error::{Error, Location};

/// The line number in a builder's "dockerfile parse error line 2: unknown instruction: RUNN"
/// (classic and BuildKit, "on line" in newer BuildKit), and what it says is wrong.
fn parse_error(message: &str) -> Option<(usize, String)> {
    let at = message.find("dockerfile parse error")?;
    let rest = &message[at + "dockerfile parse error".len()..];
    let rest = rest.trim_start().trim_start_matches("on ").trim_start();
    let rest = rest.strip_prefix("line ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let line = digits.parse().ok()?;
    let what = rest[digits.len()..].trim_start_matches(':').trim();
    Some((line, what.to_string()))
}

/// A Dockerfile the builder could not parse: the error names the Dockerfile's line (quoted
/// below it, and located for CI annotations) instead of whichever step the builder was on.
pub(super) fn at_dockerfile_line(
    err: Error,
    dockerfile: &std::path::Path,
    root: &std::path::Path,
) -> Error {
    let Some((line, what)) = parse_error(&err.message) else {
        return err;
    };
    let shown = dockerfile
        .strip_prefix(root)
        .unwrap_or(dockerfile)
        .display()
        .to_string();
    let text = std::fs::read_to_string(dockerfile)
        .ok()
        .and_then(|t| t.lines().nth(line.saturating_sub(1)).map(str::to_string));
    let mut fixed = Error::failed(format!("{shown}:{line}: {what}"))
        .with_hint("fix that line of the Dockerfile; nothing was built")
        .at(Location {
            file: shown,
            line: Some(line),
            col: None,
        });
    if let Some(text) = text {
        fixed = fixed.with_detail(vec![format!("{line:>4} | {text}")]);
    }
    fixed
}

#[cfg(test)]
mod tests {
    use super::parse_error;

    #[test]
    fn dockerfile_parse_errors_name_their_line() {
        assert_eq!(
            parse_error("failed to solve with frontend dockerfile.v0: failed to create LLB definition: dockerfile parse error line 2: unknown instruction: RUNN"),
            Some((2, "unknown instruction: RUNN".into()))
        );
        assert_eq!(
            parse_error("failed to solve: dockerfile parse error on line 7: FROM requires either one or three arguments"),
            Some((7, "FROM requires either one or three arguments".into()))
        );
        assert_eq!(
            parse_error("process \"/bin/sh -c exit 7\" did not complete"),
            None
        );
    }
}
