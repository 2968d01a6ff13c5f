//! The fsutil-compatible walk: order, stats, include/exclude/follow semantics, metadata decoding.

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

use bollard::fsutil::types::Stat;
use tonic::metadata::{MetadataMap, MetadataValue};

use super::filter::{follow_links, match_prefix};
use super::request::query_unescape;
use super::walk::{GO_MODE_DIR, GO_MODE_SETUID, GO_MODE_SYMLINK};
use super::*;

fn tree(files: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for f in files {
        let p = dir.path().join(f);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        if f.ends_with('/') {
            std::fs::create_dir_all(&p).expect("mkdir");
        } else {
            std::fs::write(&p, f.as_bytes()).expect("write");
        }
    }
    dir
}

fn sent(root: &Path, req: &Request) -> Vec<Stat> {
    let mut out = Vec::new();
    walk(root, req, &mut |s| {
        out.push(s.stat);
        true
    })
    .expect("walk");
    out
}

fn paths(root: &Path, req: &Request) -> Vec<String> {
    sent(root, req).into_iter().map(|s| s.path).collect()
}

#[test]
fn walks_depth_first_in_fsutil_path_order() {
    let dir = tree(&["a/b", "a.txt", "a-b", "B", "a/c/d"]);
    let got = paths(dir.path(), &Request::default());
    assert_eq!(got, ["B", "a", "a/b", "a/c", "a/c/d", "a-b", "a.txt"]);
    // fsutil's receiver rejects paths out of this order: '/' sorts before every other byte.
    for pair in got.windows(2) {
        let (x, y) = (pair[0].replace('/', "\0"), pair[1].replace('/', "\0"));
        assert!(x < y, "{} then {}", pair[0], pair[1]);
    }
}

#[test]
fn stats_carry_go_file_modes_sizes_and_links() {
    let dir = tree(&["bin/run", "data.txt"]);
    std::fs::set_permissions(
        dir.path().join("bin/run"),
        std::fs::Permissions::from_mode(0o4755),
    )
    .expect("chmod");
    symlink("data.txt", dir.path().join("link")).expect("symlink");
    let stats = sent(dir.path(), &Request::default());
    let by = |p: &str| stats.iter().find(|s| s.path == p).expect(p).clone();

    let bin = by("bin");
    assert_eq!(bin.mode & GO_MODE_DIR, GO_MODE_DIR);
    assert_eq!(bin.size, 0);
    let run = by("bin/run");
    assert_eq!(run.mode, 0o755 | GO_MODE_SETUID);
    assert_eq!(run.size, "bin/run".len() as i64);
    assert!(
        run.mod_time > 1_000_000_000 * 1_000_000_000,
        "{}",
        run.mod_time
    );
    let link = by("link");
    assert_eq!(link.mode & GO_MODE_SYMLINK, GO_MODE_SYMLINK);
    assert_eq!(link.linkname, "data.txt");
    assert_eq!(link.size, 0);
    assert!(stats.iter().all(|s| s.uid == 0 && s.gid == 0));
}

#[test]
fn excludes_skip_directories_unless_an_exception_reaches_inside() {
    let dir = tree(&[
        "vendor/keep",
        "vendor/drop",
        "logs/a.log",
        "src/main.rs",
        "src/x.tmp",
    ]);
    let req = Request {
        excludes: vec![
            "vendor".into(),
            "!vendor/keep".into(),
            "logs".into(),
            "**/*.tmp".into(),
        ],
        ..Request::default()
    };
    assert_eq!(
        paths(dir.path(), &req),
        ["src", "src/main.rs", "vendor", "vendor/keep"]
    );
}

#[test]
fn includes_select_paths_and_the_directories_leading_to_them() {
    let dir = tree(&[
        "Dockerfile",
        "other",
        "sub/Dockerfile",
        "sub/x",
        "deep/a/b/c",
    ]);
    let req = Request {
        includes: Some(vec!["Dockerfile".into()]),
        ..Request::default()
    };
    assert_eq!(paths(dir.path(), &req), ["Dockerfile"]);

    let req = Request {
        includes: Some(vec!["sub/Dockerfile".into(), "deep/a".into()]),
        ..Request::default()
    };
    assert_eq!(
        paths(dir.path(), &req),
        [
            "deep",
            "deep/a",
            "deep/a/b",
            "deep/a/b/c",
            "sub",
            "sub/Dockerfile"
        ]
    );
}

#[test]
fn follow_paths_bring_the_symlink_target_along() {
    let dir = tree(&["build/Dockerfile.real", "unrelated"]);
    symlink("build/Dockerfile.real", dir.path().join("Dockerfile")).expect("symlink");
    let req = Request {
        follow: vec!["Dockerfile".into(), "Dockerfile.dockerignore".into()],
        ..Request::default()
    };
    assert_eq!(
        paths(dir.path(), &req),
        ["Dockerfile", "build", "build/Dockerfile.real"]
    );
    // A link pointing out of the directory resolves inside it, never outside.
    symlink("/etc/passwd", dir.path().join("out")).expect("symlink");
    let resolved = follow_links(dir.path(), &["out".into()]).expect("follow");
    assert_eq!(resolved, ["etc/passwd", "out"]);
    let looped = dir.path().join("loop");
    symlink("loop", &looped).expect("symlink");
    assert_eq!(
        follow_links(dir.path(), &["loop".into()]).expect("follow"),
        ["loop"]
    );
}

#[test]
fn the_walk_stops_when_told() {
    let dir = tree(&["a", "b", "c"]);
    let mut seen = 0;
    walk(dir.path(), &Request::default(), &mut |_| {
        seen += 1;
        seen < 2
    })
    .expect("walk");
    assert_eq!(seen, 2);
}

#[test]
fn match_prefix_cuts_the_pattern_to_the_path_depth() {
    assert_eq!(match_prefix("a/b/c", "a"), (true, true));
    assert_eq!(match_prefix("a/b/c", "a/b"), (true, true));
    assert_eq!(match_prefix("a/b/c", "a/b/c"), (true, false));
    assert_eq!(match_prefix("a/*/c", "a/x"), (true, true));
    assert_eq!(match_prefix("a/b", "x"), (false, true));
    assert_eq!(match_prefix("*.txt", "f.txt"), (true, false));
    assert_eq!(match_prefix("*.txt", "d/f.txt"), (false, false));
}

#[test]
fn metadata_is_read_and_percent_decoded_when_marked() {
    let mut md = MetadataMap::new();
    md.insert("dir-name", MetadataValue::from_static("context"));
    md.append(
        "exclude-patterns",
        MetadataValue::from_static("node_modules"),
    );
    md.append(
        "exclude-patterns",
        MetadataValue::from_static("caf%C3%A9+bar"),
    );
    md.insert(
        "exclude-patterns-encoded",
        MetadataValue::from_static("true"),
    );
    md.append("followpaths", MetadataValue::from_static("Dockerfile"));
    let req = Request::from_metadata(&md);
    assert_eq!(req.dir, "context");
    assert_eq!(req.includes, None);
    assert_eq!(req.excludes, ["node_modules", "café bar"]);
    assert_eq!(req.follow, ["Dockerfile"]);
}

#[test]
fn query_unescape_handles_malformed_escapes() {
    assert_eq!(query_unescape("a%20b"), "a b");
    assert_eq!(query_unescape("100%"), "100%");
    assert_eq!(query_unescape("%zz"), "%zz");
    assert_eq!(query_unescape("%4"), "%4");
    assert_eq!(query_unescape("é%41"), "éA");
}
