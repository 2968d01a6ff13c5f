//! A deployed app's log lines and what a log query asks, shared by the Docker and the AWS log
//! readers (and `monitor --logs`, which prints them).

use std::time::Duration;

/// What `monitor --logs` asks for.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub follow: bool,
    pub since: Option<Duration>,
    pub tail: Option<usize>,
    /// Only lines containing this text.
    pub filter: Option<String>,
}

/// One log line of the deployed app.
#[derive(Debug, Clone)]
pub struct LogLine {
    /// RFC 3339 time the line was written, as the source reports it.
    pub time: String,
    /// Which container or task wrote it.
    pub source: String,
    pub stderr: bool,
    pub line: String,
}
