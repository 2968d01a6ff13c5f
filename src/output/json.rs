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

    pub fn document(&mut self, mask: &Mask, value: serde_json::Value) {
        let line = mask.apply(&value.to_string());
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}
