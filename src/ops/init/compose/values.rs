//! Compose's value syntaxes in devloop's: variables, durations, ports, volumes, commands, health
//! tests and image names. Each answers the devloop text, or why the value cannot be carried over.

use std::time::Duration;

use crate::config::values::PortMap;

/// A compose string with its variables in devloop's syntax, and a note when the meaning moved.
///
/// `$$`, `${VAR}` and `${VAR:-default}` are the same in both; `$VAR` becomes `${VAR}`;
/// `${VAR?err}` and `${VAR:?err}` become `${VAR}` (devloop refuses to run when it is unset);
/// `${VAR-default}` becomes `${VAR:-default}` (said in the note). `${VAR:+alt}` and nested
/// variables have no devloop equivalent.
pub fn variables(text: &str) -> Result<(String, Option<String>), String> {
    let mut out = String::with_capacity(text.len());
    let mut note = None;
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push_str("$$");
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body
                .find('}')
                .ok_or_else(|| format!("\"{text}\" has an unclosed \"${{\""))?;
            out.push_str(&braced(&body[..end], &mut note)?);
            rest = &body[end + 1..];
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if len > 0 && !after.starts_with(|c: char| c.is_ascii_digit()) {
                out.push_str(&format!("${{{}}}", &after[..len]));
                rest = &after[len..];
            } else {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok((out, note))
}

/// The inside of one `${...}`.
fn braced(inner: &str, note: &mut Option<String>) -> Result<String, String> {
    if inner.contains("${") {
        return Err(format!(
            "\"${{{inner}...}}\" nests a variable in another: devloop expands one level"
        ));
    }
    let len = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let (name, op) = inner.split_at(len);
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("\"${{{inner}}}\" is not a variable reference"));
    }
    if op.is_empty() || op.starts_with(":-") {
        Ok(format!("${{{inner}}}"))
    } else if op.starts_with(":?") || op.starts_with('?') {
        Ok(format!("${{{name}}}"))
    } else if let Some(default) = op.strip_prefix('-') {
        *note = Some(format!(
            "\"${{{inner}}}\" is written \"${{{name}:-{default}}}\": devloop also takes the default when {name} is set but empty"
        ));
        Ok(format!("${{{name}:-{default}}}"))
    } else {
        Err(format!(
            "\"${{{inner}}}\": devloop has no ${{VAR:+...}} or ${{VAR+...}} (a value only when a variable is set)"
        ))
    }
}

/// A compose duration (Go's syntax: `1m30s`, `10s`, `1.5s`, `100ms`) as devloop writes it.
pub fn duration(text: &str) -> Result<String, String> {
    if text.contains('$') {
        return Err(format!(
            "\"{text}\" uses a variable: devloop needs the duration itself here"
        ));
    }
    let t = text.trim();
    let parsed = go_duration(t).ok_or_else(|| format!("\"{t}\" is not a duration"))?;
    let as_written = !t.contains('.') && !t.chars().all(|c| c.is_ascii_digit());
    let out = if as_written && humantime::parse_duration(t).is_ok() {
        t.to_string()
    } else {
        compact(parsed)
    };
    crate::config::duration::parse_timeout(&out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Go's `time.ParseDuration`: a sequence of decimal numbers, each with a unit.
fn go_duration(text: &str) -> Option<Duration> {
    if text == "0" {
        return Some(Duration::ZERO);
    }
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if rest.is_empty() {
        return None;
    }
    let mut nanos = 0.0f64;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        nanos += number * unit;
        rest = &rest[u..];
    }
    (nanos.is_finite() && nanos < 1e18).then(|| Duration::from_nanos(nanos.round() as u64))
}

/// `1m30s`, `1s500ms`: a duration in whole units, largest first.
fn compact(d: Duration) -> String {
    let mut nanos = d.as_nanos();
    let mut out = String::new();
    for (unit, size) in [
        ("h", 3_600_000_000_000u128),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
        ("ns", 1),
    ] {
        if nanos >= size {
            out.push_str(&format!("{}{unit}", nanos / size));
            nanos %= size;
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

/// A port mapping in compose's short syntax as devloop writes it; ranges are refused.
pub fn port(text: &str) -> Result<String, String> {
    if text.contains('$') {
        return Ok(text.to_string());
    }
    let spec = text.rsplit_once('/').map_or(text, |(s, _)| s);
    let ports = match spec.rsplit_once(']') {
        Some((_, ports)) => ports,
        None => spec,
    };
    if ports.split(':').any(|p| p.contains('-')) {
        return Err(format!(
            "\"{text}\" is a port range: devloop publishes single ports, one mapping each"
        ));
    }
    PortMap::try_from(text.to_string())
        .map(|p| p.to_string())
        .map_err(|e| e.to_string())
}

/// What a volume's source is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source<'a> {
    /// A named volume.
    Named(&'a str),
    /// An absolute host path, or a variable that gives one.
    Absolute(&'a str),
    /// A host path relative to the compose file (or the home directory).
    Relative(&'a str),
}

/// The source of a volume, as compose tells a path from a volume name.
pub fn volume_source(source: &str) -> Source<'_> {
    if source.starts_with('/') || source.starts_with('$') {
        Source::Absolute(source)
    } else if source.starts_with('.') || source.starts_with('~') {
        Source::Relative(source)
    } else {
        Source::Named(source)
    }
}

/// Why a relative bind mount is not carried over.
pub fn relative_bind(source: &str) -> String {
    format!(
        "\"{source}\" is a relative host path: devloop hands volumes to Docker as written, and Docker takes only absolute host paths or volume names; write the absolute path, or use a named volume"
    )
}

/// A short-syntax volume (`name:/path[:ro]`, `/abs:/path`) with named volumes renamed by `name`.
pub fn volume(text: &str, name: &dyn Fn(&str) -> String) -> Result<String, String> {
    let Some((source, rest)) = text.split_once(':') else {
        return Err(format!(
            "\"{text}\" is an anonymous volume: devloop takes named volumes and absolute host paths; name it, as in \"data:{text}\""
        ));
    };
    match volume_source(source) {
        Source::Absolute(_) => Ok(text.to_string()),
        Source::Relative(s) => Err(relative_bind(s)),
        Source::Named(n) => Ok(format!("{}:{rest}", name(n))),
    }
}

/// A command written as one string: compose splits it into words the way a shell would, without
/// running one.
pub fn split_command(text: &str) -> Result<Vec<String>, String> {
    shlex::split(text).ok_or_else(|| format!("the quotes in \"{text}\" do not close"))
}

/// A healthcheck's `test` as the shell command devloop runs inside the container; `None` for
/// `["NONE"]`.
pub fn health_test(words: &[String]) -> Result<Option<String>, String> {
    match words.split_first() {
        Some((first, [])) if first == "NONE" => Ok(None),
        Some((first, rest)) if first == "CMD-SHELL" && !rest.is_empty() => Ok(Some(rest.join(" "))),
        Some((first, rest)) if first == "CMD" && !rest.is_empty() => {
            shlex::try_join(rest.iter().map(String::as_str))
                .map(Some)
                .map_err(|e| format!("cannot be written as one command: {e}"))
        }
        _ => Err(format!(
            "{words:?} must start with \"CMD\", \"CMD-SHELL\" or \"NONE\""
        )),
    }
}

/// An image reference without its tag or digest (`registry:5000/team/api:1.2` →
/// `registry:5000/team/api`), and the tag or digest it had.
pub fn repository(image: &str) -> (String, Option<String>) {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d.to_string())),
        None => (image, None),
    };
    let last = name.rfind('/').map_or(0, |i| i + 1);
    match name[last..].rfind(':') {
        Some(i) => (
            name[..last + i].to_string(),
            Some(name[last + i + 1..].to_string()),
        ),
        None => (name.to_string(), digest),
    }
}
