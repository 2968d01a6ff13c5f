//! Builds, skips and rebuilds with either builder: labels, the digest that finds an identical
//! build, failing instructions, a Dockerfile outside the context, no git, no daemon.

use super::config;
use crate::support::*;

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn builds_labels_skips_unchanged_and_rebuilds_on_change() {
    let ctx = TestContext::docker("dl-build");
    let app = ctx.app().to_string();
    let ctx = ctx.with_files(&[
        (
            "devloop.toml",
            &config(
                &app,
                "args = { WHO = \"world\" }\nlabels = { team = \"core\" }",
            ),
        ),
        (
            "Dockerfile",
            "FROM busybox:1.36\nARG WHO\nCOPY data /data\nRUN echo \"hi $WHO\" > /hi\n",
        ),
        ("data/a.txt", "one\n"),
    ]);
    let sha = ctx.head_sha();

    let r = ctx.run(["build", "-o", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.outcome("build"), "done");
    let image = format!("{app}:{}", &sha[..7]);
    let labels: serde_json::Value = serde_json::from_str(&docker(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Labels}}",
        &image,
    ]))
    .unwrap();
    assert_eq!(labels["org.opencontainers.image.revision"], sha.as_str());
    assert_eq!(labels["team"], "core");
    assert_eq!(labels["devloop.app"], app.as_str());
    let digest = labels["devloop.digest"].as_str().unwrap().to_string();
    assert_eq!(digest.len(), 64);
    assert_eq!(docker(&["run", "--rm", &image, "cat", "/hi"]), "hi world");
    assert!(!docker(&["image", "ls", "-q", &format!("{app}:latest")]).is_empty());

    // Nothing changed: skipped, and the stat cache avoids re-reading files.
    let r = ctx.run(["build", "-o", "json"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.outcome("build"), "skipped");
    assert!(r.stdout.contains("read 0 new or changed"), "{}", r.stdout);

    // A changed file: built again, with another digest.
    ctx.write("data/a.txt", "two\n");
    let r = ctx.run(["build", "-o", "json"]);
    assert_eq!(r.outcome("build"), "done", "{}", r.stdout);
    let labels: serde_json::Value = serde_json::from_str(&docker(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Labels}}",
        &image,
    ]))
    .unwrap();
    assert_ne!(labels["devloop.digest"].as_str().unwrap(), digest);

    // A changed build arg also changes the digest; --no-cache forces a build.
    let r = ctx.run(["build", "--no-cache", "-o", "json"]);
    assert_eq!(r.outcome("build"), "done");
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_broken_dockerfile_shows_the_failing_instruction_and_exits_1() {
    let ctx = TestContext::docker("dl-broken");
    let app = ctx.app().to_string();
    // The classic builder's report (BuildKit's is checked in buildkit_builds_with_labels…).
    let ctx = ctx.with_files(&[
        ("devloop.toml", &config(&app, "buildkit = false")),
        (
            "Dockerfile",
            "FROM busybox:1.36\nRUN echo about to fail && exit 3\n",
        ),
    ]);
    let r = ctx.run(["build"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("build failed at `Step 2/"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("returned a non-zero code: 3"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("about to fail"), "{}", r.stderr);
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_dockerfile_outside_the_context_works() {
    let ctx = TestContext::docker("dl-outside");
    let app = ctx.app().to_string();
    let ctx = ctx.with_files(&[
        (
            "devloop.toml",
            &config(
                &app,
                "context = \"app\"\ndockerfile = \"docker/app.Dockerfile\"",
            ),
        ),
        ("docker/app.Dockerfile", "FROM busybox:1.36\nCOPY . /ctx\n"),
        ("app/main.txt", "hello"),
    ]);
    let r = ctx.run(["build"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let sha = ctx.head_sha();
    let listing = docker(&[
        "run",
        "--rm",
        &format!("{app}:{}", &sha[..7]),
        "sh",
        "-c",
        "ls -A /ctx",
    ]);
    assert!(listing.contains("main.txt"), "{listing}");

    // With BuildKit the Dockerfile's directory is offered on its own: the context holds only the app.
    let r = ctx.run(["build", "--buildkit", "--no-cache"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("with BuildKit"), "{}", r.stderr);
    let listing = docker(&[
        "run",
        "--rm",
        &format!("{app}:{}", &sha[..7]),
        "sh",
        "-c",
        "ls -A /ctx",
    ]);
    assert_eq!(listing, "main.txt");
}

#[test]
fn an_unreachable_daemon_is_exit_5_with_the_address() {
    let ctx = TestContext::new().with_files(&[
        ("devloop.toml", &config("unreachable", "")),
        ("Dockerfile", "FROM busybox:1.36\n"),
    ]);
    let r = ctx
        .devloop(["build"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .run();
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.contains("unix:///nonexistent/docker.sock"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    let r = ctx
        .devloop(["build"])
        .env("DOCKER_HOST", "tcp://127.0.0.1:1")
        .run();
    assert_eq!(r.code, 5, "{}", r.stderr);
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn builds_are_found_by_label_and_pin_no_images() {
    let ctx = TestContext::docker("dl-pin");
    let app = ctx.app().to_string();
    let ctx = ctx.with_files(&[
        ("devloop.toml", &config(&app, "")),
        ("Dockerfile", "FROM busybox:1.36\nCOPY n /n\n"),
        ("n", "0"),
    ]);
    let image = ctx.image();
    let mut ids = Vec::new();
    for i in 1..=3 {
        ctx.write("n", i.to_string());
        let r = ctx.run(["build"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        ids.push(docker(&["image", "inspect", "--format", "{{.Id}}", &image]));
    }
    // The tags moved on; devloop added none of its own, so the older builds are dangling, as
    // the docker CLI leaves them, and `docker image prune` can reclaim them.
    let tags = docker(&["images", "--format", "{{.Tag}}", &app]);
    assert_eq!(tags.lines().filter(|l| !l.is_empty()).count(), 2, "{tags}");
    let first_tags = docker(&["image", "inspect", "--format", "{{len .RepoTags}}", &ids[0]]);
    assert_eq!(first_tags, "0");
    // Back to the first content: found by its label, so a skip, and the tags point at it again.
    ctx.write("n", "1");
    let r = ctx.run(["build", "-o", "json"]);
    assert_eq!(r.outcome("build"), "skipped", "{}", r.stdout);
    assert_eq!(
        docker(&["image", "inspect", "--format", "{{.Id}}", &image]),
        ids[0]
    );
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn init_then_build_works_in_a_directory_without_git() {
    let ctx = TestContext::docker("dl-nogit");
    let app = ctx.app().to_string();
    ctx.write("Dockerfile", "FROM busybox:1.36\nCOPY Dockerfile /\n");
    let r = ctx.run(["init", "--name", &app]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let toml = ctx.read("devloop.toml");
    assert!(toml.contains("tags = [\"{digest}\"]"), "{toml}");
    let r = ctx.run(["build", "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let built = r
        .events()
        .into_iter()
        .find(|e| e["event"] == "step_finished")
        .unwrap();
    let reference = built["result"]["refs"][0].as_str().unwrap().to_string();
    let digest = built["result"]["digest"].as_str().unwrap();
    assert_eq!(reference, format!("{app}:{}", &digest[..12]));
    assert!(!docker(&["image", "inspect", "--format", "{{.Id}}", &reference]).is_empty());

    // A template that needs git says so, and names the fix.
    ctx.write("devloop.toml", toml.replace("{digest}", "{short_sha}"));
    let r = ctx.run(["build"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("\"{digest}\""), "{}", r.stderr);
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn the_classic_builder_adds_no_label_steps_and_equal_inputs_give_an_equal_image() {
    let ctx = TestContext::docker("dl-classic");
    let app = ctx.app().to_string();
    let ctx = ctx.with_files(&[
        ("devloop.toml", &config(&app, "buildkit = false")),
        ("Dockerfile", "FROM busybox:1.36\nCOPY data /data\n"),
        ("data/a.txt", "one\n"),
    ]);
    let image = ctx.image();
    let r = ctx.run(["build", "-v"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Only the Dockerfile's own steps: no LABEL steps added.
    assert!(!r.stderr.contains("LABEL"), "{}", r.stderr);
    let first = docker(&["image", "inspect", "--format", "{{.Id}}", &image]);
    // Found again without a label: skipped.
    let r = ctx.run(["build", "-o", "json"]);
    assert_eq!(r.outcome("build"), "skipped", "{}", r.stdout);
    // Forget devloop's record: the daemon builds again from its layer cache, and equal inputs
    // give the very same image (no label changes from one build to the next).
    ctx.remove(".devloop/cache/classic-builds.json");
    let r = ctx.run(["build", "-o", "json"]);
    assert_eq!(r.outcome("build"), "done", "{}", r.stdout);
    assert_eq!(
        docker(&["image", "inspect", "--format", "{{.Id}}", &image]),
        first
    );
}
