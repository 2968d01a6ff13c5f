//! What a newcomer reads, snapshotted (insta, with filters for temporary paths, commit hashes
//! and times): the first hour's messages, word for word, so a change to any of them is a
//! reviewed change. `INSTA_UPDATE=always cargo test --test messages` rewrites them.

mod common;

use common::*;

/// The text as a reader sees it, with what changes from run to run replaced: the project's
/// temporary directory, commit hashes and clock times.
fn snapshot(name: &str, dir: &std::path::Path, text: &str) {
    let text = text.replace(&dir.display().to_string(), "[DIR]");
    insta::with_settings!({
        filters => vec![
            (r"\b[0-9a-f]{7}\b", "[SHA]"),
            (r"\b[0-9]{2}:[0-9]{2}:[0-9]{2}\b", "[TIME]"),
        ],
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

fn project_with(config: &str) -> tempfile::TempDir {
    project(&[
        ("devloop.toml", config),
        ("Dockerfile", "FROM busybox:1.36\nEXPOSE 3000\n"),
    ])
}

#[test]
fn a_list_written_as_a_string_says_what_to_write() {
    let dir = project_with(
        "[app]\nname = \"web\"\n[deploy]\ntarget = \"docker\"\n[deploy.docker]\nports = \"18480:80\"\n",
    );
    let r = run(devloop(dir.path()).arg("plan"));
    assert_eq!(r.code, 2);
    snapshot("list_as_string", dir.path(), &r.stderr);
}

#[test]
fn a_duration_written_as_a_number_says_what_to_write() {
    let dir = project_with("[app]\nname = \"web\"\n[deploy]\ntarget = \"docker\"\ntimeout = 30\n");
    let r = run(devloop(dir.path()).arg("plan"));
    assert_eq!(r.code, 2);
    snapshot("duration_as_number", dir.path(), &r.stderr);
}

#[test]
fn a_host_ip_typo_is_refused_where_it_is() {
    let dir = project_with(
        "[app]\nname = \"web\"\n[deploy]\ntarget = \"docker\"\n[deploy.docker]\nports = [\"127.0.0.l:18931:80\"]\n",
    );
    let r = run(devloop(dir.path()).arg("plan"));
    assert_eq!(r.code, 2);
    snapshot("host_ip_typo", dir.path(), &r.stderr);
}

#[test]
fn a_dirty_tree_is_named_in_the_plan() {
    let dir = project_with("[app]\nname = \"web\"\n[deploy]\ntarget = \"docker\"\n");
    std::fs::write(dir.path().join("Dockerfile"), "FROM busybox:1.36\n").unwrap();
    let r = run(devloop(dir.path()).args(["plan", "release"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    snapshot("dirty_plan", dir.path(), &r.stdout);
    let r = run(devloop(dir.path()).arg("release"));
    assert_eq!(r.code, 2);
    snapshot("dirty_release", dir.path(), &r.stderr);
}

#[test]
fn init_says_what_it_wrote_and_why() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM busybox:1.36\nEXPOSE 3000\n",
    )
    .unwrap();
    let r = run(devloop(dir.path()).args(["init", "--name", "web"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    snapshot("init_said", dir.path(), &r.stderr);
    let written = std::fs::read_to_string(dir.path().join("devloop.toml")).unwrap();
    snapshot("init_config", dir.path(), &written);
}
