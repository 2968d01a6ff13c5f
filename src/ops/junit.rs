//! `--junit FILE`: the test steps of a run as a JUnit XML report (one testsuite, one testcase per test).

use std::path::Path;

use crate::engine::{Outcome, Report};
use crate::error::{Error, Result};
use crate::output::Printer;

use super::test::Transcripts;

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

/// Render the report; secrets are masked through the printer.
pub fn render(app: &str, report: &Report, outputs: &Transcripts, printer: &Printer) -> String {
    let tests: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.name.starts_with("test:"))
        .collect();
    let failures = tests
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
        .count();
    let skipped = tests
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::NotRun(_) | Outcome::Skipped(_)))
        .count();
    let total: f64 = tests.iter().map(|r| r.duration.as_secs_f64()).sum();
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"devloop {}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{total:.3}\">\n",
        escape(app),
        tests.len()
    );
    for r in tests {
        let name = r.name.trim_start_matches("test:");
        xml.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\">\n",
            escape(app),
            escape(name),
            r.duration.as_secs_f64()
        ));
        match &r.outcome {
            Outcome::Failed(e) => {
                let body = printer.mask(&e.detail.join("\n"));
                xml.push_str(&format!(
                    "      <failure message=\"{}\">{}</failure>\n",
                    escape(&printer.mask(&e.message)),
                    escape(&body)
                ));
            }
            Outcome::NotRun(why) | Outcome::Skipped(why) => {
                xml.push_str(&format!("      <skipped message=\"{}\"/>\n", escape(why)));
            }
            Outcome::Done(_) => {}
        }
        let lines = outputs.lines(name);
        if !lines.is_empty() {
            xml.push_str(&format!(
                "      <system-out>{}</system-out>\n",
                escape(&printer.mask(&lines.join("\n")))
            ));
        }
        xml.push_str("    </testcase>\n");
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

/// Write atomically, so a reader never sees half a report.
pub fn write(path: &Path, xml: &str) -> Result<()> {
    let tmp = path.with_extension("xml.tmp");
    std::fs::write(&tmp, xml)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| {
            Error::failed_because(format!("cannot write JUnit report {}", path.display()), e)
        })
}
