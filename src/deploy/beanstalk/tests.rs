//! The Elastic Beanstalk verdict on environments shaped as DescribeEnvironments documents them,
//! and the bundle checked by opening the zip.

use std::io::Read;
use std::path::Path;

use aws_sdk_elasticbeanstalk::types::{
    EnvironmentDescription, EnvironmentHealth, EnvironmentHealthStatus, EnvironmentStatus,
};

use super::bundle;
use super::verdict::{judge, Progress};
use crate::config::schema::BeanstalkTarget;

mod monitor;
mod plan;
mod rollout;
mod script;
mod set;

pub const OURS: &str = "20260101T000000Z-abc1234-0123456789ab";
pub const PREV: &str = "20251201T000000Z-def5678-ba9876543210";

/// An environment as DescribeEnvironments returns it.
pub fn env(
    status: EnvironmentStatus,
    health: EnvironmentHealth,
    health_status: Option<EnvironmentHealthStatus>,
    label: &str,
) -> EnvironmentDescription {
    EnvironmentDescription::builder()
        .environment_name("web-prod")
        .environment_id("e-abcdef1234")
        .application_name("web")
        .version_label(label)
        .abortable_operation_in_progress(status == EnvironmentStatus::Updating)
        .status(status)
        .health(health)
        .set_health_status(health_status)
        .build()
}

use EnvironmentHealth::{Green, Grey, Red, Yellow};
use EnvironmentStatus::{Ready, Updating};

#[test]
fn success_needs_ready_green_ok_and_our_label() {
    let ok = Some(EnvironmentHealthStatus::Ok);
    assert_eq!(
        judge(&env(Ready, Green, ok.clone(), OURS), OURS, Some(PREV), true),
        Progress::Done
    );
    // Basic health reports no HealthStatus: Green alone is enough there.
    assert_eq!(
        judge(&env(Ready, Green, None, OURS), OURS, Some(PREV), true),
        Progress::Done
    );
    for (status, health, hs) in [
        (Updating, Grey, Some(EnvironmentHealthStatus::Info)),
        (Ready, Yellow, Some(EnvironmentHealthStatus::Warning)),
        (Ready, Green, Some(EnvironmentHealthStatus::Info)),
        (Ready, Grey, Some(EnvironmentHealthStatus::NoData)),
    ] {
        let p = judge(&env(status, health, hs, OURS), OURS, Some(PREV), true);
        assert!(matches!(p, Progress::Changing(_)), "{p:?}");
    }
}

#[test]
fn red_or_severe_on_our_label_is_unhealthy_for_the_watch_to_weigh_against_the_grace() {
    for (health, hs) in [
        (Red, Some(EnvironmentHealthStatus::Severe)),
        (Red, None),
        (Yellow, Some(EnvironmentHealthStatus::Degraded)),
    ] {
        let p = judge(&env(Ready, health, hs, OURS), OURS, Some(PREV), true);
        assert!(
            matches!(p, Progress::Unhealthy(ref w) if w.contains("health")),
            "{p:?}"
        );
    }
}

#[test]
fn nothing_is_a_verdict_before_the_update_is_seen_to_start() {
    // A read from before the update (stale): even our own label, Ready and Green, is no news.
    for e in [
        env(Ready, Green, Some(EnvironmentHealthStatus::Ok), OURS),
        env(Ready, Green, Some(EnvironmentHealthStatus::Ok), PREV),
        env(Ready, Red, Some(EnvironmentHealthStatus::Severe), OURS),
    ] {
        let p = judge(&e, OURS, Some(PREV), false);
        assert!(
            matches!(p, Progress::Changing(ref w) if w.contains("waiting for the update to start")),
            "{p:?}"
        );
    }
}

#[test]
fn statuses_are_read_in_any_case_and_unknown_values_are_named_never_success() {
    use super::verdict::{health, version_state, Health, VersionState};
    use aws_sdk_elasticbeanstalk::types::{
        ApplicationVersionDescription, ApplicationVersionStatus,
    };
    let version = |status: &str| {
        ApplicationVersionDescription::builder()
            .status(ApplicationVersionStatus::from(status))
            .build()
    };
    // The live API's spelling (upper case) and the model's both mean the same.
    for usable in ["PROCESSED", "Processed", "UNPROCESSED"] {
        assert_eq!(
            version_state(&version(usable)),
            VersionState::Usable,
            "{usable}"
        );
    }
    assert_eq!(version_state(&version("FAILED")), VersionState::Failed);
    assert!(matches!(
        version_state(&version("BUILDING")),
        VersionState::Working(_)
    ));
    assert_eq!(
        version_state(&version("ARCHIVED")),
        VersionState::Unknown("ARCHIVED".into())
    );
    let strange = env(
        Ready,
        EnvironmentHealth::from("Blue"),
        Some(EnvironmentHealthStatus::from("Sparkling")),
        OURS,
    );
    assert!(
        matches!(health(&strange), Health::Wait(ref w) if w.contains("does not know")),
        "{:?}",
        health(&strange)
    );
    let green_upper = env(
        EnvironmentStatus::from("READY"),
        EnvironmentHealth::from("GREEN"),
        Some(EnvironmentHealthStatus::from("OK")),
        OURS,
    );
    assert_eq!(judge(&green_upper, OURS, Some(PREV), true), Progress::Done);
}

#[test]
fn back_on_the_previous_label_while_green_is_a_rollback_never_a_success() {
    let e = env(Ready, Green, Some(EnvironmentHealthStatus::Ok), PREV);
    let p = judge(&e, OURS, Some(PREV), true);
    assert!(
        matches!(p, Progress::Reverted(ref w) if w.contains(PREV)),
        "{p:?}"
    );
    // Before the update is known to have started, Ready on the old label is not a verdict.
    assert!(matches!(
        judge(&e, OURS, Some(PREV), false),
        Progress::Changing(_)
    ));
    // Another label altogether: someone else deployed.
    let other = env(Ready, Green, None, "someone-else");
    assert!(matches!(
        judge(&other, OURS, Some(PREV), true),
        Progress::Superseded(_)
    ));
    // Back on the previous label but Red: a failure, not a rollback.
    let red = env(Ready, Red, Some(EnvironmentHealthStatus::Severe), PREV);
    assert!(matches!(
        judge(&red, OURS, Some(PREV), true),
        Progress::Failed(_)
    ));
}

fn settings(extra: &str) -> BeanstalkTarget {
    toml::from_str(&format!(
        "application = \"web\"\nenvironment = \"web-prod\"\n{extra}"
    ))
    .unwrap()
}

/// Every entry of the zip at `path`: name, unix mode, content.
pub fn unzip(path: &Path) -> Vec<(String, u32, String)> {
    let file = std::fs::File::open(path).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            (
                f.name().to_string(),
                f.unix_mode().unwrap_or(0) & 0o777,
                text,
            )
        })
        .collect()
}

fn write(root: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

const IMAGE: &str = "reg.example/team/web@sha256:0123";

#[test]
fn an_image_bundle_pins_the_image_and_carries_the_platform_directories() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (".ebextensions/01-env.config", "option_settings: {}\n"),
            (".platform/hooks/prebuild/01.sh", "#!/bin/sh\necho hi\n"),
            ("src/app.py", "print('not in an image bundle')\n"),
        ],
    );
    let hook = dir.path().join(".platform/hooks/prebuild/01.sh");
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o750)).unwrap();
    let b = bundle::build(dir.path(), &settings("port = 8080\n"), "web", IMAGE, false).unwrap();
    let entries = unzip(&b.path);
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        names,
        [
            ".ebextensions/01-env.config",
            ".platform/hooks/prebuild/01.sh",
            "Dockerrun.aws.json"
        ]
    );
    let manifest: serde_json::Value = serde_json::from_str(&entries[2].2).unwrap();
    assert_eq!(manifest["AWSEBDockerrunVersion"], "1");
    assert_eq!(manifest["Image"]["Name"], IMAGE);
    assert_eq!(manifest["Ports"][0]["ContainerPort"], 8080);
    assert_eq!(entries[1].1, 0o755, "hooks stay executable");
    assert_eq!(entries[0].1, 0o644);
    assert_eq!(b.files.len(), 3);
    assert!(
        b.summary().contains("image bundle, 3 files"),
        "{}",
        b.summary()
    );

    // The same content gives the same digest; another image another one.
    let again = bundle::build(dir.path(), &settings("port = 8080\n"), "web", IMAGE, false).unwrap();
    assert_eq!(again.digest, b.digest);
    assert_eq!(again.label("r1"), b.label("r1"));
    let other = bundle::build(
        dir.path(),
        &settings("port = 8080\n"),
        "web",
        "x@sha256:9",
        false,
    )
    .unwrap();
    assert_ne!(other.digest, b.digest);
    let path = b.path.clone();
    drop(b);
    assert!(!path.exists(), "the temporary zip is removed");
}

#[test]
fn a_compose_bundle_maps_port_80_and_reads_the_platform_env_file() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings("manifest = \"compose\"\nport = 3000\n");
    let b = bundle::build(dir.path(), &s, "web", IMAGE, true).unwrap();
    let entries = unzip(&b.path);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].0, "docker-compose.yml");
    assert_eq!(
        entries[0].2,
        format!("services:\n  web:\n    image: \"{IMAGE}\"\n    ports:\n      - \"80:3000\"\n    env_file:\n      - .env\n")
    );
}

#[test]
fn registry_credentials_are_named_in_dockerrun_for_both_manifests() {
    let dir = tempfile::tempdir().unwrap();
    let auth = "registry_auth = \"s3://creds/docker/config.json\"\n";
    let want = serde_json::json!({ "Bucket": "creds", "Key": "docker/config.json" });
    let b = bundle::build(dir.path(), &settings(auth), "web", IMAGE, false).unwrap();
    let entries = unzip(&b.path);
    let v: serde_json::Value = serde_json::from_str(&entries[0].2).unwrap();
    assert_eq!(v["Authentication"], want);
    // Compose: a Dockerrun.aws.json v3 beside the compose file carries only the credentials.
    let s = settings(&format!("manifest = \"compose\"\n{auth}"));
    let b = bundle::build(dir.path(), &s, "web", IMAGE, false).unwrap();
    let entries = unzip(&b.path);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].0, "Dockerrun.aws.json");
    let v: serde_json::Value = serde_json::from_str(&entries[0].2).unwrap();
    assert_eq!(
        v,
        serde_json::json!({ "AWSEBDockerrunVersion": "3", "Authentication": want })
    );
}

#[test]
fn a_source_bundle_honours_ebignore_else_gitignore_and_never_takes_git_or_devloop() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("Dockerfile", "FROM busybox:1.36\n"),
            ("app/main.sh", "echo hi\n"),
            ("app/secret.env", "X=1\n"),
            ("build/out.bin", "xx\n"),
            (".gitignore", "build/\n*.env\n"),
            (".git/HEAD", "ref: refs/heads/main\n"),
            (".devloop/releases/r.json", "{}\n"),
        ],
    );
    let s = settings("bundle = \"source\"\n");
    let names =
        |b: &bundle::Bundle| -> Vec<String> { unzip(&b.path).into_iter().map(|e| e.0).collect() };
    let b = bundle::build(dir.path(), &s, "web", IMAGE, false).unwrap();
    assert_eq!(names(&b), [".gitignore", "Dockerfile", "app/main.sh"]);

    // With .ebignore, .gitignore no longer applies.
    write(dir.path(), &[(".ebignore", "app/main.sh\n")]);
    let b = bundle::build(dir.path(), &s, "web", IMAGE, false).unwrap();
    assert_eq!(
        names(&b),
        [
            ".ebignore",
            ".gitignore",
            "Dockerfile",
            "app/secret.env",
            "build/out.bin"
        ]
    );
}
