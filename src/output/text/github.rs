//! GitHub Actions workflow commands: a step's output in a group, and errors as annotations (on
//! the line of the file they are about, when they are about one).

use super::lines::eprint_line;
use crate::error::Error;
use crate::output::Mask;

/// GitHub workflow commands must not contain raw newlines or `%` in their message.
pub(super) fn gh_escape(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property of a workflow command (`file=…`): also `:` and `,` escaped.
fn gh_escape_property(s: &str) -> String {
    gh_escape(s).replace(':', "%3A").replace(',', "%2C")
}

/// `::error …::message`; an error about a place in a file carries `file=`, `line=` and `col=`
/// so GitHub annotates that line (the location then leaves the message).
pub(super) fn github_error(err: &Error, mask: &Mask) -> String {
    let Some(loc) = &err.location else {
        return format!(
            "::error title=devloop::{}",
            gh_escape(&mask.apply(&err.message))
        );
    };
    let mut props = format!("file={}", gh_escape_property(&loc.file));
    let mut prefix = loc.file.clone();
    if let Some(line) = loc.line {
        props.push_str(&format!(",line={line}"));
        prefix.push_str(&format!(":{line}"));
        if let Some(col) = loc.col {
            props.push_str(&format!(",col={col}"));
            prefix.push_str(&format!(":{col}"));
        }
    }
    let message = err
        .message
        .strip_prefix(&format!("{prefix}: "))
        .unwrap_or(&err.message);
    format!(
        "::error {props},title=devloop::{}",
        gh_escape(&mask.apply(message))
    )
}

/// A failed step's annotation. A step error about a line of a file (a Dockerfile that does not
/// parse) is annotated on that line, as config errors are.
pub(super) fn step_error(step: &str, e: &Error, mask: &Mask) -> String {
    if e.location.is_some() {
        github_error(e, mask).replacen("title=devloop::", &format!("title=devloop {step}::"), 1)
    } else {
        format!(
            "::error title=devloop {step}::{}",
            gh_escape(&mask.apply(&e.message))
        )
    }
}

/// A finished step's output, in a group of its own.
pub(super) fn group(step: &str, lines: &[String], dropped: usize) {
    if lines.is_empty() {
        return;
    }
    eprint_line(&format!("::group::{step} output"));
    for l in lines {
        eprint_line(l);
    }
    if dropped > 0 {
        eprint_line(&format!("… {dropped} more lines not shown"));
    }
    eprint_line("::endgroup::");
}
