//! `.dockerignore` with the docker CLI's semantics (moby/patternmatcher and the archive walker):
//!
//! - lines starting with `#` are comments; blank lines are skipped; `!` makes an exception;
//! - patterns are cleaned like Go's `filepath.Clean`, and a leading `/` is dropped;
//! - `*` and `?` never match `/`; `**` matches any number of directories (`**/` may match none);
//!   `[...]` is a character class; `\` escapes the next character;
//! - a pattern matches a path when it matches the path or any of its parent directories, and the
//!   last matching pattern decides;
//! - an excluded directory is still walked when an exception pattern starts with its path.

/// One compiled pattern.
#[derive(Debug, Clone)]
struct Pattern {
    /// The cleaned pattern text, without the leading `!`.
    text: String,
    exception: bool,
    tokens: Vec<Tok>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(char),
    /// `*`: any run of characters except `/`.
    Star,
    /// `?`: one character except `/`.
    One,
    /// `**` at the end: anything at all.
    AnyTail,
    /// `**` or `**/` before more pattern: empty, or anything ending in `/`.
    AnyDirs,
    Class {
        negated: bool,
        items: Vec<(char, char)>,
    },
}

#[derive(Debug, Clone, Default)]
pub struct Ignore {
    patterns: Vec<Pattern>,
}

/// A rule that cannot be read: what is wrong with it, and on which line of the file it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreError {
    /// 1-based line of the ignore file; `None` for a pattern given on its own.
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for IgnoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for IgnoreError {}

impl Ignore {
    /// Parse `.dockerignore` text.
    pub fn parse(text: &str) -> Result<Ignore, IgnoreError> {
        let mut ignore = Ignore::default();
        for (i, raw) in text.lines().enumerate() {
            let raw = if i == 0 {
                raw.trim_start_matches('\u{feff}')
            } else {
                raw
            };
            if raw.starts_with('#') {
                continue;
            }
            let line = raw.trim();
            if line.is_empty() {
                continue;
            }
            ignore.push(line).map_err(|e| IgnoreError {
                line: Some(i + 1),
                ..e
            })?;
        }
        Ok(ignore)
    }

    /// Add one pattern (with `!` for an exception).
    pub fn push(&mut self, line: &str) -> Result<(), IgnoreError> {
        let bad = |message: String| IgnoreError {
            line: None,
            message,
        };
        let (exception, body) = match line.strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, line),
        };
        if body.is_empty() {
            return Err(bad("an exception \"!\" needs a pattern after it".into()));
        }
        let mut text = clean(body);
        if text.len() > 1 && text.starts_with('/') {
            text.remove(0);
        }
        let tokens = compile(&text).map_err(bad)?;
        self.patterns.push(Pattern {
            text,
            exception,
            tokens,
        });
        Ok(())
    }

    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|p| p.exception)
    }

    /// Whether a path (relative, `/`-separated) is excluded from the context.
    pub fn excludes(&self, rel: &str) -> bool {
        if self.patterns.is_empty() {
            return false;
        }
        let chars: Vec<char> = rel.chars().collect();
        let mut excluded = false;
        for p in &self.patterns {
            // Inclusions cannot change an excluded path, nor exceptions an included one.
            if p.exception != excluded {
                continue;
            }
            if p.matches_self_or_parent(&chars) {
                excluded = !p.exception;
            }
        }
        excluded
    }

    /// For an excluded directory: must the walk still enter it, because an exception may apply inside?
    pub fn must_enter(&self, dir_rel: &str) -> bool {
        let dir_slash = format!("{dir_rel}/");
        self.patterns
            .iter()
            .filter(|p| p.exception)
            .any(|p| format!("{}/", p.text).starts_with(&dir_slash))
    }
}

impl Pattern {
    fn matches_self_or_parent(&self, chars: &[char]) -> bool {
        if match_tokens(&self.tokens, chars) {
            return true;
        }
        // Parent directories, shortest first.
        chars
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == '/')
            .any(|(i, _)| match_tokens(&self.tokens, &chars[..i]))
    }
}

/// Whether `name` matches one glob (`*`, `?`, `[...]`, `\`), as Go's `filepath.Match` does for
/// the patterns BuildKit sends as includes. A malformed pattern matches nothing.
pub fn glob(pattern: &str, name: &str) -> bool {
    let chars: Vec<char> = name.chars().collect();
    compile(pattern).is_ok_and(|tokens| match_tokens(&tokens, &chars))
}

/// Go's `filepath.Clean` on a `/`-separated path.
pub fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

fn compile(pattern: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                out.push(if i >= chars.len() {
                    Tok::AnyTail
                } else {
                    Tok::AnyDirs
                });
                continue;
            }
            '*' => out.push(Tok::Star),
            '?' => out.push(Tok::One),
            '\\' => {
                i += 1;
                out.push(Tok::Lit(chars.get(i).copied().unwrap_or('\\')));
            }
            '[' => {
                let (tok, next) = class(&chars, i)
                    .ok_or_else(|| format!("unterminated character class in \"{pattern}\""))?;
                out.push(tok);
                i = next;
                continue;
            }
            c => out.push(Tok::Lit(c)),
        }
        i += 1;
    }
    Ok(out)
}

/// Parse `[...]` starting at `start`; returns the token and the index after `]`.
fn class(chars: &[char], start: usize) -> Option<(Tok, usize)> {
    let mut i = start + 1;
    let negated = matches!(chars.get(i), Some('^'));
    if negated {
        i += 1;
    }
    let mut items = Vec::new();
    let mut first = true;
    loop {
        let c = *chars.get(i)?;
        if c == ']' && !first {
            return Some((Tok::Class { negated, items }, i + 1));
        }
        first = false;
        let lo = if c == '\\' {
            i += 1;
            *chars.get(i)?
        } else {
            c
        };
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|c| *c != ']') {
            let hi = *chars.get(i + 2)?;
            items.push((lo, hi));
            i += 3;
        } else {
            items.push((lo, lo));
            i += 1;
        }
    }
}

fn match_tokens(tokens: &[Tok], s: &[char]) -> bool {
    let Some((first, rest)) = tokens.split_first() else {
        return s.is_empty();
    };
    match first {
        Tok::Lit(c) => s.first() == Some(c) && match_tokens(rest, &s[1..]),
        Tok::One => s.first().is_some_and(|c| *c != '/') && match_tokens(rest, &s[1..]),
        Tok::Class { negated, items } => {
            s.first()
                .is_some_and(|c| items.iter().any(|(lo, hi)| lo <= c && c <= hi) != *negated)
                && match_tokens(rest, &s[1..])
        }
        Tok::Star => {
            for i in 0..=s.len() {
                if match_tokens(rest, &s[i..]) {
                    return true;
                }
                if s.get(i) == Some(&'/') {
                    break;
                }
            }
            false
        }
        Tok::AnyTail => true,
        Tok::AnyDirs => {
            if match_tokens(rest, s) {
                return true;
            }
            s.iter()
                .enumerate()
                .filter(|(_, c)| **c == '/')
                .any(|(i, _)| match_tokens(rest, &s[i + 1..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ig(text: &str) -> Ignore {
        Ignore::parse(text).unwrap()
    }

    #[test]
    fn plain_names_match_the_path_and_everything_below() {
        let i = ig("node_modules\n/build/\n");
        assert!(i.excludes("node_modules"));
        assert!(i.excludes("node_modules/x/y.js"));
        assert!(!i.excludes("src/node_modules"));
        assert!(i.excludes("build/out.o"));
    }

    #[test]
    fn stars_and_double_stars() {
        let i = ig("*.log\n**/*.tmp\ndocs/**\n");
        assert!(i.excludes("a.log"));
        assert!(!i.excludes("dir/a.log"));
        assert!(i.excludes("x.tmp"));
        assert!(i.excludes("a/b/c.tmp"));
        assert!(i.excludes("docs/a/b"));
        // Like Docker: `docs/**` excludes what is inside, not the directory itself.
        assert!(!i.excludes("docs"));
    }

    #[test]
    fn exceptions_and_last_match_wins() {
        let i = ig("*\n!www/\n!Dockerfile\nwww/secret\n");
        assert!(i.excludes("README.md"));
        assert!(!i.excludes("www/index.html"));
        assert!(!i.excludes("Dockerfile"));
        assert!(i.excludes("www/secret/key"));
        assert!(i.must_enter("www"));
        assert!(!i.must_enter("other"));
    }

    #[test]
    fn comments_cleaning_and_classes() {
        let i = ig("# comment\n  ./a//b/../c  \n[xy]z\n\\#lit\n");
        assert!(i.excludes("a/c"));
        assert!(i.excludes("xz"));
        assert!(!i.excludes("zz"));
        assert!(i.excludes("#lit"));
        assert!(!i.excludes("comment"));
        let e = Ignore::parse("# a comment\n!\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert_eq!(
            e.to_string(),
            "line 2: an exception \"!\" needs a pattern after it"
        );
    }

    #[test]
    fn clean_matches_go() {
        assert_eq!(clean("a//b/./c/.."), "a/b");
        assert_eq!(clean("/../x"), "/x");
        assert_eq!(clean("../x"), "../x");
        assert_eq!(clean("./"), ".");
    }
}
