//! What the daemon asks for in a `DiffCopy` call: the directory by name and its include, exclude
//! and follow patterns, read from the call's metadata.

use tonic::metadata::MetadataMap;

/// What the daemon asked for, from the call's metadata.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Request {
    pub dir: String,
    /// `None` when the daemon sent no include patterns (everything is included).
    pub includes: Option<Vec<String>>,
    pub excludes: Vec<String>,
    pub follow: Vec<String>,
}

impl Request {
    /// Read `dir-name`, `include-patterns`, `exclude-patterns` and `followpaths`. Newer daemons
    /// percent-encode values and say so with a `<key>-encoded: true` companion.
    pub fn from_metadata(md: &MetadataMap) -> Request {
        let values = |key: &str| -> Option<Vec<String>> {
            let encoded = md
                .get(format!("{key}-encoded"))
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
            let all: Vec<String> = md
                .get_all(key)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(|v| if encoded { query_unescape(v) } else { v.into() })
                .collect();
            (!all.is_empty()).then_some(all)
        };
        Request {
            dir: values("dir-name")
                .and_then(|v| v.into_iter().next())
                .unwrap_or_default(),
            includes: values("include-patterns"),
            excludes: values("exclude-patterns").unwrap_or_default(),
            follow: values("followpaths").unwrap_or_default(),
        }
    }
}

/// Go's `url.QueryUnescape`; a malformed escape is kept as it is.
pub(super) fn query_unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex_value(bytes[i + 1]), hex_value(bytes[i + 2]))
            {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}
