//! Secret masking: registered values are replaced by `***` in everything the printer writes.
//!
//! A value is masked in every form devloop's output can carry it: whole, each line of a multi-line
//! value on its own (output is printed line by line, so a PEM key reaches the printer one line at a
//! time), JSON-escaped (a value with quotes, backslashes or newlines inside a JSON document some
//! tool prints) and base64-encoded whole.
//!
//! A value shorter than [`MIN_LEN`] characters is not masked: it would blank out ordinary text
//! everywhere. Whoever registers it warns about it (naming the setting, never the value).
//!
//! A secret that is also part of devloop's own message text (a secret `the` in "scanning the build
//! context") is masked only where it is not that text: devloop's fixed sentences are listed at build
//! time (build/own_words.rs), and an occurrence that sits inside one of them, matched in place, is
//! left alone. Everything else (build and test output, container logs, daemon and AWS messages,
//! values) is masked. A secret that is no part of devloop's words is masked everywhere.

use std::sync::RwLock;

use base64::Engine;

mod own {
    include!(concat!(env!("OUT_DIR"), "/own_words.rs"));
}

/// Values shorter than this (in characters) are too short to mask without hiding ordinary text.
pub const MIN_LEN: usize = 3;

/// A piece of devloop's own text that an occurrence of a secret may sit inside.
struct Own {
    /// Where the secret starts inside `text`.
    at: usize,
    text: &'static str,
}

struct Secret {
    value: String,
    /// devloop's own text pieces containing the value; empty for nearly every real secret.
    own: Vec<Own>,
}

#[derive(Default)]
pub struct Mask {
    secrets: RwLock<Vec<Secret>>,
}

/// Whether a value is too short to be masked (so it is printed as is).
pub fn too_short(value: &str) -> bool {
    !value.is_empty() && value.trim().chars().count() < MIN_LEN
}

/// Every form of `value` the mask looks for.
fn forms(value: &str) -> Vec<String> {
    let mut out = vec![value.to_string()];
    if value.contains(['\n', '\r']) {
        out.push(value.trim().to_string());
        out.extend(value.lines().map(|l| l.trim().to_string()));
    }
    // As it appears inside a JSON string: `\n`, `\"`, `\\`.
    if let Ok(json) = serde_json::to_string(value) {
        out.push(json[1..json.len() - 1].to_string());
    }
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD.encode(value.as_bytes());
    out.push(b64);
    out.retain(|f| f.chars().count() >= MIN_LEN);
    out
}

impl Mask {
    pub fn add<I: IntoIterator<Item = String>>(&self, values: I) {
        let mut s = match self.secrets.write() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        for value in values {
            if value.trim().chars().count() < MIN_LEN {
                continue;
            }
            for form in forms(&value) {
                if s.iter().any(|x| x.value == form) {
                    continue;
                }
                let own = own::OWN_WORDS
                    .iter()
                    .flat_map(|text| {
                        text.match_indices(form.as_str())
                            .map(move |(at, _)| Own { at, text })
                    })
                    .collect();
                s.push(Secret { value: form, own });
            }
        }
        // Longest first, so a secret containing another is masked whole.
        s.sort_by_key(|v| std::cmp::Reverse(v.value.len()));
    }

    pub fn apply(&self, text: &str) -> String {
        let s = match self.secrets.read() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        let mut out = text.to_string();
        for secret in s.iter() {
            if !out.contains(secret.value.as_str()) {
                continue;
            }
            if secret.own.is_empty() {
                out = out.replace(secret.value.as_str(), "***");
                continue;
            }
            let mut masked = String::with_capacity(out.len());
            let mut last = 0;
            for (at, found) in out.match_indices(secret.value.as_str()) {
                if at < last || is_own(&out, at, secret) {
                    continue;
                }
                masked.push_str(&out[last..at]);
                masked.push_str("***");
                last = at + found.len();
            }
            masked.push_str(&out[last..]);
            out = masked;
        }
        out
    }
}

/// Whether the occurrence of `secret` at `at` in `text` is devloop's own words: a piece of its
/// fixed text holding the value, found right there. The piece must be the whole text or say more
/// than the value itself, so a bare word of external output is still masked.
fn is_own(text: &str, at: usize, secret: &Secret) -> bool {
    secret.own.iter().any(|own| {
        let Some(start) = at.checked_sub(own.at) else {
            return false;
        };
        let whole = start == 0 && own.text.len() == text.len();
        let says_more = own.text.trim().len() >= secret.value.len() + 3;
        (whole || says_more) && text.get(start..).is_some_and(|t| t.starts_with(own.text))
    })
}

impl Mask {
    /// Mask every string (keys included) inside a JSON value, before it is encoded.
    pub fn apply_value(&self, value: &mut serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::String(s) => {
                let masked = self.apply(s);
                if masked != *s {
                    *s = masked;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.apply_value(v)),
            Value::Object(map) => {
                let entries = std::mem::take(map);
                for (k, mut v) in entries {
                    self.apply_value(&mut v);
                    map.insert(self.apply(&k), v);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN KEY-----\nMIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n4lgOEePzNm0tRgeLezV6ffAt0gunVTLw\n-----END KEY-----";

    #[test]
    fn masks_before_json_encoding() {
        let m = Mask::default();
        m.add(["ab\"c\\d-s3cr3t".to_string()]);
        let mut v =
            serde_json::json!({ "line": "echo ab\"c\\d-s3cr3t done", "list": ["ab\"c\\d-s3cr3t"] });
        m.apply_value(&mut v);
        let text = v.to_string();
        assert!(!text.contains("s3cr3t"), "{text}");
        assert_eq!(v["line"], "echo *** done");
    }

    #[test]
    fn masks_longest_first() {
        let m = Mask::default();
        m.add([
            "hunter2".to_string(),
            "hunter2-extended".to_string(),
            "ab".to_string(),
        ]);
        assert_eq!(
            m.apply("pw=hunter2-extended and hunter2, ab"),
            "pw=*** and ***, ab"
        );
    }

    #[test]
    fn every_line_of_a_multi_line_secret_is_masked_on_its_own() {
        let m = Mask::default();
        m.add([PEM.to_string()]);
        // Output reaches the printer line by line.
        for line in PEM.lines() {
            let out = m.apply(&format!("  key | {line}"));
            assert_eq!(out, "  key | ***", "{line}");
        }
        // Whole, as in a JUnit report that joins the lines.
        assert_eq!(m.apply(&format!("x\n{PEM}\ny")), "x\n***\ny");
        // With CRLF line ends, and indented.
        let crlf = PEM.replace('\n', "\r\n");
        assert!(!m.apply(&crlf).contains("MIIE"), "{}", m.apply(&crlf));
        assert_eq!(m.apply("    4lgOEePzNm0tRgeLezV6ffAt0gunVTLw"), "    ***");
    }

    #[test]
    fn a_multi_line_secret_is_masked_in_its_json_and_base64_forms() {
        let m = Mask::default();
        m.add([PEM.to_string()]);
        // A tool printing JSON that holds the key: `\n` escapes instead of line ends.
        let json = serde_json::to_string(&serde_json::json!({ "key": PEM })).unwrap();
        let out = m.apply(&json);
        assert!(!out.contains("MIIE") && !out.contains("4lgO"), "{out}");
        let b64 = base64::engine::general_purpose::STANDARD.encode(PEM);
        let out = m.apply(&format!("auth: {b64}"));
        assert!(!out.contains(&b64[..20]), "{out}");
        // And in a JSON event, masked before encoding.
        let mut v = serde_json::json!({ "line": PEM.lines().nth(1).unwrap() });
        m.apply_value(&mut v);
        assert_eq!(v["line"], "***");
    }

    #[test]
    fn a_secret_that_is_a_word_of_devloop_masks_only_what_devloop_carries() {
        let m = Mask::default();
        m.add(["the".to_string(), "step".to_string()]);
        // devloop's own sentence is left whole.
        assert_eq!(
            m.apply("scanning the build context"),
            "scanning the build context"
        );
        assert_eq!(
            m.apply("cannot reach the Docker daemon at tcp://x:1 (from DOCKER_HOST): the answer"),
            "cannot reach the Docker daemon at tcp://x:1 (from DOCKER_HOST): *** answer"
        );
        // Output devloop carries is masked, wherever the word sits.
        // (A phrase devloop never says: its sentences are learnt from its own source.)
        assert_eq!(m.apply("echo the cat sat there"), "echo *** cat sat ***re");
        // JSON keys are devloop's words; values it carries are not.
        let mut v = serde_json::json!({ "step": "test:unit", "line": "step by step" });
        m.apply_value(&mut v);
        assert_eq!(
            v,
            serde_json::json!({ "step": "test:unit", "line": "*** by ***" })
        );
    }

    #[test]
    fn a_real_secret_is_never_taken_for_devloop_words() {
        let m = Mask::default();
        m.add(["s3cr3t-Tok3n".to_string()]);
        assert_eq!(
            m.apply("scanning the build context s3cr3t-Tok3n"),
            "scanning the build context ***"
        );
    }

    #[test]
    fn values_under_three_characters_are_refused_and_reported_as_too_short() {
        let m = Mask::default();
        m.add(["ab".to_string(), " x ".to_string()]);
        assert_eq!(m.apply("ab x"), "ab x");
        assert!(too_short("ab") && too_short(" x ") && !too_short("abc") && !too_short(""));
    }
}
