//! `--output json`: one JSON object per line on stdout, each with `event` and `ts`.

use std::io::Write;

use super::Mask;

#[derive(Default)]
pub struct JsonRenderer;

impl JsonRenderer {
    pub fn emit(&mut self, mask: &Mask, event: &str, mut body: serde_json::Value) {
        if let serde_json::Value::Object(map) = &mut body {
            map.insert("event".into(), event.into());
            map.insert("ts".into(), super::text::rfc3339_now().into());
        }
        self.document(mask, body);
    }

    /// Masking happens on every string of the value before it is encoded, so JSON escaping
    /// (quotes, backslashes) can never hide a secret from the mask.
    pub fn document(&mut self, mask: &Mask, mut value: serde_json::Value) {
        mask.apply_value(&mut value);
        let line = value.to_string();
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}
