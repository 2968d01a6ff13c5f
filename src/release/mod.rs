//! What a release is, and the ledger that remembers them.
//!
//! A release is an image pinned by digest with its tags, the git state it came from, who made it and
//! when, and the digest of the devloop.toml in force. Records are JSON files in `.devloop/releases/`
//! and, when `release.ledger` is set, in S3. A record is never overwritten, and a crash leaves either
//! the whole record or none. Deploy and rollback read the ledger to find "the release before this one".

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

mod ledger;
mod registry;

pub use ledger::{ensure_writable, history, record};
pub use registry::{Destination, RegistryKind};

/// Record format of a release of one image; a release of a set is format 2.
pub const FORMAT_ONE: u32 = 1;
pub const FORMAT_SET: u32 = 2;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GitRecord {
    pub sha: String,
    pub branch: Option<String>,
    pub dirty: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Record {
    /// Record format version.
    pub format: u32,
    /// `<UTC time>-<short sha or digest>`, sortable.
    pub id: String,
    pub app: String,
    /// The image pinned: `repo@sha256:…` in a registry, or `image@sha256:<id>` in the local daemon.
    pub image: String,
    /// The local image ID it was made from.
    pub image_id: String,
    /// Registry host and namespace, or null for a local release.
    pub registry: Option<String>,
    /// Full repository name (`host/ns/name`, or the local image name).
    pub repository: String,
    pub tags: Vec<String>,
    pub moving_tags: Vec<String>,
    /// The build's input digest (label `devloop.digest`).
    pub build_digest: Option<String>,
    pub git: Option<GitRecord>,
    pub created_at: String,
    pub created_by: String,
    /// sha256 of the devloop.toml in force.
    pub config_digest: String,
    pub devloop_version: String,
    /// A release of a set of services (format 2): every built service's image, pinned. The
    /// image fields above are then empty; [`Record::for_service`] gives each service's view.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceImage>,
}

/// The tag of a service's image reference before its first release: `devloop provision` makes a
/// service with it and no task, and the first deploy starts the service.
pub const NO_RELEASE_YET: &str = "no-release-yet";

/// One service's image in the release of a set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServiceImage {
    pub service: String,
    /// The image pinned by digest (or by local image ID).
    pub image: String,
    pub image_id: String,
    pub registry: Option<String>,
    pub repository: String,
    pub tags: Vec<String>,
    pub moving_tags: Vec<String>,
    pub build_digest: Option<String>,
}

impl Record {
    /// Whether this release holds a set of services.
    pub fn is_set(&self) -> bool {
        !self.services.is_empty()
    }

    /// The release as one service sees it: the same id and provenance with that service's image.
    /// A release of one image serves the one service of a file without `[services]`.
    pub fn for_service(&self, name: &str) -> Option<Record> {
        if !self.is_set() {
            return Some(self.clone());
        }
        let s = self.services.iter().find(|s| s.service == name)?;
        Some(Record {
            image: s.image.clone(),
            image_id: s.image_id.clone(),
            registry: s.registry.clone(),
            repository: s.repository.clone(),
            tags: s.tags.clone(),
            moving_tags: s.moving_tags.clone(),
            build_digest: s.build_digest.clone(),
            services: Vec::new(),
            ..self.clone()
        })
    }

    /// What the release holds, in one line: its image, or each service's.
    pub fn images(&self) -> String {
        if !self.is_set() {
            return self.image.clone();
        }
        self.services
            .iter()
            .map(|s| format!("{}={}", s.service, s.image))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether `wanted` names this release by one of its tags or images.
    fn named_by(&self, wanted: &str) -> bool {
        // A set is named by its own tags (this release's), not by the older tags a service
        // carried over from an earlier release kept.
        self.tags.iter().any(|t| t == wanted)
            || self.image == wanted
            || self.services.iter().any(|s| s.image == wanted)
    }
}

#[cfg(test)]
impl Record {
    /// A release of `image` (`host/repo@digest`) as `devloop release` records it, for tests.
    pub fn sample(image: &str) -> Record {
        let repository = image.split('@').next().unwrap_or(image).to_string();
        Record {
            format: 1,
            id: "20260101T000000Z-abc1234".into(),
            app: "web".into(),
            image: image.into(),
            image_id: "sha256:new".into(),
            registry: repository.split('/').next().map(str::to_string),
            repository,
            tags: vec!["abc1234".into()],
            moving_tags: vec![],
            build_digest: None,
            git: None,
            created_at: "2026-01-01T00:00:00Z".into(),
            created_by: "test".into(),
            config_digest: "c".into(),
            devloop_version: "0".into(),
            services: Vec::new(),
        }
    }
}

pub fn parse(bytes: &[u8]) -> Result<Record> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::failed("not a release record: the file is empty"));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::failed(format!(
            "not a release record: not UTF-8 text (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })?;
    serde_json::from_str(text).map_err(|e| Error::failed_because("not a release record", e))
}

/// Oldest first, by creation time then id.
pub fn sort(records: &mut [Record]) {
    // By time, parsed: records written with seconds and with milliseconds sort together.
    let time = |r: &Record| humantime::parse_rfc3339_weak(&r.created_at).ok();
    records.sort_by(|a, b| (time(a), a.id.as_str()).cmp(&(time(b), b.id.as_str())));
}

/// The release to deploy: by id or tag, else the latest.
pub fn choose<'a>(records: &'a [Record], wanted: Option<&str>) -> Result<&'a Record> {
    match wanted {
        None => records.last().ok_or_else(|| {
            Error::usage("no release recorded yet")
                .with_hint("run `devloop release` (or `devloop ship`) first")
        }),
        Some(w) => {
            if let Some(exact) = records.iter().find(|r| r.id == w) {
                return Ok(exact);
            }
            let matching: Vec<&Record> = records.iter().rev().filter(|r| r.named_by(w)).collect();
            match matching.as_slice() {
                [] => Err(Error::usage(format!(
                    "no release \"{w}\" in the ledger (see `devloop release --list`)"
                ))),
                [newest, rest @ ..] if rest.iter().all(|r| r.images() == newest.images()) => {
                    Ok(newest)
                }
                // One tag (a commit) released more than once, as different images: which one
                // is meant is the user's to say.
                several => Err(Error::usage(format!(
                    "\"{w}\" names {} releases with different images: {}",
                    several.len(),
                    several
                        .iter()
                        .map(|r| format!("{} ({})", r.id, r.images()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .with_hint("pass the release id, e.g. --release ".to_string() + &several[0].id)),
            }
        }
    }
}

/// The release of a set to deploy: by id or tag, else the latest release of a set.
pub fn choose_set<'a>(records: &'a [Record], wanted: Option<&str>) -> Result<&'a Record> {
    match wanted {
        Some(_) => choose(records, wanted),
        None => records.iter().rev().find(|r| r.is_set()).ok_or_else(|| {
            Error::usage("no release of the set of services recorded yet")
                .with_hint("run `devloop release` (or `devloop ship`) first")
        }),
    }
}

/// The release recorded before `current`.
pub fn previous<'a>(records: &'a [Record], current: &str) -> Option<&'a Record> {
    let i = records.iter().position(|r| r.id == current)?;
    i.checked_sub(1).map(|j| &records[j])
}

/// Merge records from several places, one per id.
pub fn merge(mut a: Vec<Record>, b: Vec<Record>) -> Vec<Record> {
    for r in b {
        if !a.iter().any(|x| x.id == r.id) {
            a.push(r);
        }
    }
    sort(&mut a);
    a
}

#[cfg(test)]
mod tests {
    use super::ledger::LocalLedger;
    use super::*;

    #[test]
    fn a_tag_released_as_two_images_asks_for_the_id() {
        let mut a = Record::sample("reg/app@sha256:aaa");
        a.id = "20260101T000000Z-abc1234".into();
        a.tags = vec!["abc1234".into()];
        let mut b = Record::sample("reg/app@sha256:bbb");
        b.id = "20260101T010000Z-abc1234".into();
        b.tags = vec!["abc1234".into()];
        let records = vec![a.clone(), b.clone()];
        let err = choose(&records, Some("abc1234")).unwrap_err();
        assert_eq!(err.kind, crate::error::ExitKind::Usage);
        assert!(err.message.contains("names 2 releases"), "{}", err.message);
        assert_eq!(choose(&records, Some(&a.id)).unwrap().id, a.id);
        // The same image twice: the newest, nothing to ask.
        b.image = a.image.clone();
        let records = vec![a, b.clone()];
        assert_eq!(choose(&records, Some("abc1234")).unwrap().id, b.id);
    }

    fn record(id: &str, at: &str) -> Record {
        Record {
            format: 1,
            id: id.into(),
            app: "a".into(),
            image: "a@sha256:00".into(),
            image_id: "sha256:00".into(),
            registry: None,
            repository: "a".into(),
            tags: vec!["t".into()],
            moving_tags: vec![],
            build_digest: None,
            git: None,
            created_at: at.into(),
            created_by: "me".into(),
            config_digest: "c".into(),
            devloop_version: "0".into(),
            services: Vec::new(),
        }
    }

    #[test]
    fn releases_made_within_one_second_are_ordered_by_time_not_by_id() {
        let mut records = vec![
            record("20260101T000000Z-aaa", "2026-01-01T00:00:00.900Z"),
            record("20260101T000000Z-zzz", "2026-01-01T00:00:00.100Z"),
            record("20251231T235959Z-old", "2025-12-31T23:59:59Z"),
        ];
        sort(&mut records);
        let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "20251231T235959Z-old",
                "20260101T000000Z-zzz",
                "20260101T000000Z-aaa"
            ]
        );
    }

    #[test]
    fn records_are_written_once_and_listed_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = LocalLedger::new(dir.path());
        ledger.write(&record("2", "2026-01-02T00:00:00Z")).unwrap();
        ledger.write(&record("1", "2026-01-01T00:00:00Z")).unwrap();
        let err = ledger
            .write(&record("1", "2026-01-03T00:00:00Z"))
            .unwrap_err();
        assert!(err.message.contains("never overwritten"));
        let ids: Vec<String> = ledger.list().unwrap().0.into_iter().map(|r| r.id).collect();
        assert_eq!(ids, ["1", "2"]);
        // No temp files are left behind.
        let names: Vec<String> = std::fs::read_dir(ledger.dir())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }

    #[test]
    fn files_that_are_not_records_are_skipped_with_a_warning_naming_each() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = LocalLedger::new(dir.path());
        ledger
            .write(&record("good", "2026-01-02T00:00:00Z"))
            .unwrap();
        let body = serde_json::to_vec(&record("cut", "2026-01-03T00:00:00Z")).unwrap();
        let files: [(&str, &[u8]); 5] = [
            ("empty.json", b""),
            ("blank.json", b"  \n"),
            ("cut.json", &body[..body.len() / 2]),
            ("latin1.json", b"{\"id\": \"caf\xe9\"}"),
            ("other.json", b"{\"hello\": 1}"),
        ];
        for (name, bytes) in files {
            std::fs::write(ledger.dir().join(name), bytes).unwrap();
        }
        let (records, skipped) = ledger.list().unwrap();
        let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["good"]);
        assert_eq!(skipped.len(), files.len(), "{skipped:#?}");
        for (name, _) in files {
            let w = skipped
                .iter()
                .find(|w| w.contains(&format!("/{name} ")))
                .unwrap_or_else(|| panic!("no warning names {name}: {skipped:#?}"));
            assert!(
                w.starts_with("skipped ") && w.contains("release ledger"),
                "{w}"
            );
        }
        let says = |name: &str, what: &str| {
            skipped
                .iter()
                .any(|w| w.contains(&format!("/{name} ")) && w.contains(what))
        };
        assert!(says("empty.json", "the file is empty"), "{skipped:#?}");
        assert!(says("latin1.json", "not UTF-8"), "{skipped:#?}");
        assert!(says("cut.json", "EOF"), "{skipped:#?}");
    }
}
