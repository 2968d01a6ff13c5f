//! Tells the integration tests which local services are missing, so a test that needs one is
//! reported as ignored with the reason, never passed by returning early. Under CI (`CI` set) no
//! service is ever marked missing: those tests run and fail loudly when their peer is absent.
//!
//! It also lists devloop's own words (the string literals of `src/`) for the secret mask: see
//! build/own_words.rs.

use std::process::{Command, Stdio};

#[path = "build/own_words.rs"]
mod own_words;

fn succeeds(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn installed(program: &str) -> bool {
    succeeds("sh", &["-c", &format!("command -v {program}")]).is_some()
}

fn main() {
    const MISSING: [&str; 8] = [
        "devloop_no_docker",
        "devloop_no_swarm",
        "devloop_no_registry",
        "devloop_no_moto",
        "devloop_no_openssl",
        "devloop_no_actionlint",
        "devloop_no_gitlab_ci_local",
        "devloop_no_check_jsonschema",
    ];
    for cfg in MISSING {
        println!("cargo:rustc-check-cfg=cfg({cfg})");
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/own_words.rs");
    if let Some(out) = std::env::var_os("OUT_DIR") {
        own_words::generate(std::path::Path::new("src"), std::path::Path::new(&out));
    }
    println!("cargo:rerun-if-env-changed=CI");
    println!("cargo:rerun-if-env-changed=DOCKER_HOST");
    println!("cargo:rerun-if-changed=/var/run/docker.sock");
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    if ci {
        return;
    }
    let docker = succeeds("docker", &["info", "--format", "{{.Swarm.LocalNodeState}}"]);
    let mut missing = Vec::new();
    if docker.is_none() {
        missing.push("devloop_no_docker");
    }
    if docker.as_deref() != Some("active") {
        missing.push("devloop_no_swarm");
    }
    if !(installed("docker-registry") && installed("htpasswd") && installed("curl")) {
        missing.push("devloop_no_registry");
    }
    if !installed("moto_server") {
        missing.push("devloop_no_moto");
    }
    if !installed("openssl") {
        missing.push("devloop_no_openssl");
    }
    // The linters `ci init`'s files are checked with (scripts/services.sh installs them).
    if !(installed("actionlint") && installed("shellcheck") && installed("action-validator")) {
        missing.push("devloop_no_actionlint");
    }
    if !(installed("gitlab-ci-local") && installed("rsync")) {
        missing.push("devloop_no_gitlab_ci_local");
    }
    if !installed("check-jsonschema") {
        missing.push("devloop_no_check_jsonschema");
    }
    for cfg in missing {
        println!("cargo:rustc-cfg={cfg}");
    }
}
