//! The end-of-run summary as JSON and as GitHub Markdown.

use crate::engine::{Outcome, Report};

pub fn json(command: &str, report: &Report) -> serde_json::Value {
    let steps: Vec<serde_json::Value> = report
        .results
        .iter()
        .map(|r| {
            serde_json::json!({
                "step": r.name,
                "outcome": r.outcome.label(),
                "message": r.outcome.message(),
                "duration_ms": r.duration.as_millis() as u64,
                "result": r.result_json(),
            })
        })
        .collect();
    serde_json::json!({
        "command": command,
        "ok": report.status().code() == 0,
        "exit_code": report.status().code(),
        "interrupted": report.interrupted,
        "duration_ms": report.duration.as_millis() as u64,
        "steps": steps,
    })
}

/// The step summary in Markdown; each value is masked before Markdown escaping can split a secret.
pub fn markdown(command: &str, report: &Report, mask: &super::Mask) -> String {
    let mut md = format!(
        "### devloop {command}\n\n| step | outcome | duration | detail |\n|---|---|---|---|\n"
    );
    for r in &report.results {
        let icon = match r.outcome {
            Outcome::Done(_) => "✅",
            Outcome::Skipped(_) => "⏭️",
            Outcome::Failed(_) => "❌",
            Outcome::NotRun(_) => "➖",
        };
        md.push_str(&format!(
            "| {} | {icon} {} | {} | {} |\n",
            r.name,
            r.outcome.label(),
            crate::units::short_duration(r.duration),
            mask.apply(&r.outcome.message())
                .replace('|', "\\|")
                .replace('\n', " ")
        ));
    }
    md.push_str(&format!("\nexit code {}\n\n", report.status().code()));
    md
}
