//! Secret masking: registered values are replaced by `***` in everything the printer writes.

use std::sync::RwLock;

#[derive(Default)]
pub struct Mask {
    secrets: RwLock<Vec<String>>,
}

impl Mask {
    pub fn add<I: IntoIterator<Item = String>>(&self, values: I) {
        let mut s = match self.secrets.write() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        // Very short values would mask ordinary words; they are refused as secrets by being skipped.
        s.extend(values.into_iter().filter(|v| v.len() >= 3));
        // Longest first, so a secret containing another is masked whole.
        s.sort_by_key(|v| std::cmp::Reverse(v.len()));
        s.dedup();
    }

    pub fn apply(&self, text: &str) -> String {
        let s = match self.secrets.read() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        let mut out = text.to_string();
        for secret in s.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "***");
            }
        }
        out
    }
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
}
