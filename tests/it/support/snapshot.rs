//! Snapshots of what people read (insta), all taken one way: stored in tests/it/snapshots/ under
//! their own name, with what changes from run to run replaced by a placeholder. Rewrite them
//! with `INSTA_UPDATE=always cargo test --test it`, then read the diff.

/// Where every snapshot of the integration tests lives.
pub const SNAPSHOTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/snapshots");

/// What changes from one run to the next, in the order applied: long hex before short hex, so a
/// short filter never eats part of a long value; release ids and times before the SHA filter.
pub const FILTERS: &[(&str, &str)] = &[
    // Image digests and ids, git SHAs.
    (r"sha256:[0-9a-f]{64}", "sha256:[DIGEST]"),
    (r"\b[0-9a-f]{64}\b", "[DIGEST]"),
    (r"\b[0-9a-f]{40}\b", "[SHA]"),
    (r"\b[0-9a-f]{12}\b", "[ID]"),
    // Timestamps, the time part of release ids (20260101T000000Z-<sha>), clock times.
    (
        r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z\b",
        "[TIMESTAMP]",
    ),
    (r"\b\d{8}T\d{6}Z\b", "[STAMP]"),
    (r"\b[0-9a-f]{7}\b", "[SHA]"),
    (r"\b\d{2}:\d{2}:\d{2}\b", "[TIME]"),
    // Measured durations as devloop writes them (350ms, 1.2s, 2m03s); a quoted config value
    // ("30s", "500ms") is what the user wrote and stays.
    (
        r"(?m)(^|[\s(])(\d+\.\d+s|\d+ms|\d+m\d{1,2}s)\b",
        "${1}[DURATION]",
    ),
    (r"(?m)^(\s*uptime\s+)\S+$", "${1}[UPTIME]"),
    // Sizes, shares of a CPU, sparklines of sampled metrics.
    (r"\b\d+(\.\d+)? (B|KiB|MiB|GiB)\b", "[SIZE]"),
    (r"\b\d+(\.\d+)?%", "[PERCENT]"),
    (r"[▁▂▃▄▅▆▇█]+", "[SPARKLINE]"),
    // Ports the kernel handed out (the ephemeral range, 32768 and up: a free port a test took, a
    // port Docker published), process ids, temporary directories. Ports written in a config or
    // an example ("localhost:5000") stay.
    (
        r"(127\.0\.0\.1|localhost|0\.0\.0\.0|::):(3[2-9]\d{3}|[4-6]\d{4})\b",
        "${1}:[PORT]",
    ),
    (r"\bpid \d+", "pid [PID]"),
    (r"/tmp/\.tmp[0-9A-Za-z]+", "[TMP]"),
];

/// One snapshot being taken: its name, exact replacements (a test's own directory, app name and
/// port) applied before [`FILTERS`], and filters of its own.
pub struct Snapshot {
    name: String,
    description: Option<String>,
    replacements: Vec<(String, String)>,
    filters: Vec<(String, String)>,
}

impl Snapshot {
    pub fn new(name: &str) -> Snapshot {
        Snapshot {
            name: name.to_string(),
            description: None,
            replacements: Vec::new(),
            filters: Vec::new(),
        }
    }

    /// What was run, recorded in the snapshot's header for its reader.
    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Replace every `from` by `placeholder` before the filters run.
    pub fn replace(mut self, from: impl Into<String>, placeholder: &str) -> Self {
        let from = from.into();
        if !from.is_empty() {
            self.replacements.push((from, placeholder.to_string()));
        }
        self
    }

    /// A filter of this snapshot's own, applied after [`FILTERS`].
    pub fn filter(mut self, regex: &str, replacement: &str) -> Self {
        self.filters
            .push((regex.to_string(), replacement.to_string()));
        self
    }

    #[track_caller]
    pub fn assert(self, text: &str) {
        let mut text = text.to_string();
        // Longest first, so a directory is replaced before a path inside it.
        let mut replacements = self.replacements;
        replacements.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        for (from, to) in &replacements {
            text = text.replace(from.as_str(), to);
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(SNAPSHOTS);
        settings.set_prepend_module_to_snapshot(false);
        if let Some(d) = &self.description {
            settings.set_description(d.as_str());
        }
        for (regex, with) in FILTERS {
            settings.add_filter(regex, *with);
        }
        for (regex, with) in &self.filters {
            settings.add_filter(regex, with.as_str());
        }
        settings.bind(|| insta::assert_snapshot!(self.name.as_str(), text));
    }
}
