//! Plain lines: colour when the terminal takes it, one line at a time to stderr, timestamps.

use std::io::Write;
use std::time::SystemTime;

use crate::output::Options;

pub fn rfc3339_now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// `s` in the SGR colour `code` when colour is on.
pub(super) fn paint(o: &Options, code: &str, s: &str) -> String {
    if o.color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

pub(super) fn eprint_line(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}
