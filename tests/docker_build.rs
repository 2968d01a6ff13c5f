//! `devloop build` against the real Docker daemon, with the docker CLI as the oracle.

mod common;

use common::*;

fn config(app: &str, extra: &str) -> String {
    format!("[app]\nname = \"{app}\"\n\n[build]\ntags = [\"{{short_sha}}\", \"latest\"]\n{extra}\n")
}

fn json_events(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn outcome(stdout: &str, step: &str) -> String {
    json_events(stdout)
        .into_iter()
        .find(|e| e["event"] == "step_finished" && e["step"] == step)
        .map(|e| e["outcome"].as_str().unwrap_or("").to_string())
        .unwrap_or_default()
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn builds_labels_skips_unchanged_and_rebuilds_on_change() {
    require_docker();
    let app = unique("dl-build");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let dir = project(&[
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
    let sha = head_sha(dir.path());

    let r = run(devloop(dir.path()).args(["build", "-o", "json"]));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(outcome(&r.stdout, "build"), "done");
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
    let r = run(devloop(dir.path()).args(["build", "-o", "json"]));
    assert_eq!(r.code, 0);
    assert_eq!(outcome(&r.stdout, "build"), "skipped");
    assert!(r.stdout.contains("read 0 new or changed"), "{}", r.stdout);

    // A changed file: built again, with another digest.
    std::fs::write(dir.path().join("data/a.txt"), "two\n").unwrap();
    let r = run(devloop(dir.path()).args(["build", "-o", "json"]));
    assert_eq!(outcome(&r.stdout, "build"), "done", "{}", r.stdout);
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
    let r = run(devloop(dir.path()).args(["build", "--no-cache", "-o", "json"]));
    assert_eq!(outcome(&r.stdout, "build"), "done");
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_broken_dockerfile_shows_the_failing_instruction_and_exits_1() {
    require_docker();
    let app = unique("dl-broken");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    // The classic builder's report (BuildKit's is checked in buildkit_builds_with_labels…).
    let dir = project(&[
        ("devloop.toml", &config(&app, "buildkit = false")),
        (
            "Dockerfile",
            "FROM busybox:1.36\nRUN echo about to fail && exit 3\n",
        ),
    ]);
    let r = run(devloop(dir.path()).arg("build"));
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

/// Every path in /ctx with its type, permissions and size.
const LIST_CTX: &str =
    "cd /ctx && find . | sort | while read -r p; do stat -c '%n %F %a %s' \"$p\"; done";

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn dockerignore_matches_the_docker_cli() {
    require_docker();
    context_matches_the_docker_cli(false);
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn buildkit_context_matches_the_docker_cli_with_buildkit() {
    require_docker();
    context_matches_the_docker_cli(true);
}

/// The docker CLI that speaks BuildKit without the buildx plugin (Debian's docker.io, 20.10).
fn buildkit_cli() -> &'static str {
    if std::path::Path::new("/usr/bin/docker").exists() {
        "/usr/bin/docker"
    } else {
        "docker"
    }
}

/// Build a context full of tricky `.dockerignore` cases with devloop and with the docker CLI (the
/// same builder for both), and compare what each image holds.
fn context_matches_the_docker_cli(buildkit: bool) {
    let app = unique(if buildkit { "dl-bkignore" } else { "dl-ignore" });
    let oracle = format!("{app}-oracle:1");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![oracle.clone()],
    };
    let ignore = "\
# comment
*.log
!keep.log
**/*.tmp
/build/
docs/**
!docs/README.md
node_modules
src/**/gen
vendor
!vendor/keep
secret?.txt
[ab]x.bin
./dot/../cleaned
Dockerfile
.dockerignore
";
    let extra = if buildkit {
        "buildkit = true"
    } else {
        "buildkit = false"
    };
    let files = [
        ("devloop.toml", config(&app, extra)),
        ("Dockerfile", "FROM busybox:1.36\nCOPY . /ctx\n".to_string()),
        (".dockerignore", ignore.to_string()),
        ("a.log", "x".into()),
        ("keep.log", "x".into()),
        ("dir/b.log", "x".into()),
        ("x.tmp", "x".into()),
        ("deep/er/y.tmp", "x".into()),
        ("build/out.o", "x".into()),
        ("src/build/ok.txt", "x".into()),
        ("docs/guide.md", "x".into()),
        ("docs/README.md", "x".into()),
        ("node_modules/m/index.js", "x".into()),
        ("lib/node_modules/kept.js", "x".into()),
        ("src/a/gen/z.rs", "x".into()),
        ("src/gen/z.rs", "x".into()),
        ("src/main.rs", "x".into()),
        ("vendor/keep", "x".into()),
        ("vendor/drop", "x".into()),
        ("secret1.txt", "x".into()),
        ("secret10.txt", "x".into()),
        ("ax.bin", "x".into()),
        ("cx.bin", "x".into()),
        ("cleaned/c", "x".into()),
        ("space name.txt", "x".into()),
    ];
    let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let dir = project(&refs);
    std::os::unix::fs::symlink("src/main.rs", dir.path().join("link-to-main")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("link-out")).unwrap();
    commit_all(dir.path(), "links");

    // The docker CLI first: devloop's own .devloop/ state must not be in either context.
    let cli = if buildkit { buildkit_cli() } else { "docker" };
    let status = std::process::Command::new(cli)
        .args(["build", "-q", "-t", &oracle, "."])
        .env("DOCKER_BUILDKIT", if buildkit { "1" } else { "0" })
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let theirs = docker(&["run", "--rm", &oracle, "sh", "-c", LIST_CTX]);

    let r = run(devloop(dir.path()).arg("build"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let sha = head_sha(dir.path());
    let ours = docker(&[
        "run",
        "--rm",
        &format!("{app}:{}", &sha[..7]),
        "sh",
        "-c",
        LIST_CTX,
    ]);
    assert_eq!(
        ours, theirs,
        "devloop's context differs from the docker CLI's"
    );
    // And symlinks stay links, pointing where they pointed.
    let link = docker(&[
        "run",
        "--rm",
        &format!("{app}:{}", &sha[..7]),
        "readlink",
        "/ctx/link-out",
    ]);
    assert_eq!(link, "/etc/passwd");
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn a_dockerfile_outside_the_context_works() {
    require_docker();
    let app = unique("dl-outside");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let dir = project(&[
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
    let r = run(devloop(dir.path()).arg("build"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let sha = head_sha(dir.path());
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
    let r = run(devloop(dir.path()).args(["build", "--buildkit", "--no-cache"]));
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
    let dir = project(&[
        ("devloop.toml", &config("unreachable", "")),
        ("Dockerfile", "FROM busybox:1.36\n"),
    ]);
    let r = run(devloop(dir.path())
        .arg("build")
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock"));
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.contains("unix:///nonexistent/docker.sock"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    let r = run(devloop(dir.path())
        .arg("build")
        .env("DOCKER_HOST", "tcp://127.0.0.1:1"));
    assert_eq!(r.code, 5, "{}", r.stderr);
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn buildkit_builds_with_labels_and_reports_the_failing_step() {
    require_docker();
    let app = unique("dl-bk");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let dir = project(&[
        (
            "devloop.toml",
            &config(&app, "buildkit = true\nargs = { WHO = \"kit\" }"),
        ),
        (
            "Dockerfile",
            "FROM busybox:1.36\nARG WHO\nRUN echo \"hi $WHO\" > /hi\n",
        ),
    ]);
    let r = run(devloop(dir.path()).args(["build", "-o", "json"]));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("with BuildKit"), "{}", r.stdout);
    let image = format!("{app}:{}", &head_sha(dir.path())[..7]);
    assert_eq!(docker(&["run", "--rm", &image, "cat", "/hi"]), "hi kit");
    let digest = docker(&[
        "image",
        "inspect",
        "--format",
        "{{index .Config.Labels \"devloop.digest\"}}",
        &image,
    ]);
    assert_eq!(digest.len(), 64, "{digest}");
    // Unchanged: skipped, whichever builder made it.
    let r = run(devloop(dir.path()).args(["build", "-o", "json"]));
    assert!(r.stdout.contains("\"outcome\":\"skipped\""), "{}", r.stdout);

    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM busybox:1.36\nRUN echo bk-about-to-fail && exit 5\n",
    )
    .unwrap();
    let r = run(devloop(dir.path()).arg("build"));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("build failed at `[2/2] RUN echo bk-about-to-fail && exit 5`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("exit code: 5"), "{}", r.stderr);
    assert!(r.stderr.contains("bk-about-to-fail"), "{}", r.stderr);
}

/// The largest "transferring context: N sent" BuildKit reported, in bytes.
fn context_sent(output: &str) -> u64 {
    output
        .lines()
        .filter_map(|l| l.split("transferring context: ").nth(1))
        .filter_map(|rest| {
            let mut parts = rest.split_whitespace();
            let n: f64 = parts.next()?.parse().ok()?;
            let unit = match parts.next()? {
                "B" => 1.0,
                "KiB" => 1024.0,
                "MiB" => 1024.0 * 1024.0,
                "GiB" => 1024.0 * 1024.0 * 1024.0,
                _ => return None,
            };
            Some((n * unit) as u64)
        })
        .max()
        .unwrap_or(0)
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn buildkit_sends_only_what_changed_since_the_last_build() {
    require_docker();
    let app = unique("dl-bkdiff");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let blob = |i: usize| format!("{i:04}").repeat(8 * 1024);
    let mut files = vec![
        ("devloop.toml".to_string(), config(&app, "buildkit = true")),
        (
            "Dockerfile".to_string(),
            "FROM busybox:1.36\nCOPY . /ctx\n".to_string(),
        ),
    ];
    for i in 0..40 {
        files.push((format!("data/f{i:02}.bin"), blob(i)));
    }
    // BuildKit reads the Dockerfile's own ignore file in preference to .dockerignore.
    files.push(("Dockerfile.dockerignore".into(), "notes.txt\n".into()));
    files.push(("notes.txt".into(), "not part of the image".into()));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = project(&refs);
    let image = format!("{app}:{}", &head_sha(dir.path())[..7]);

    let r = run(devloop(dir.path()).args(["-v", "build"]));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let first = context_sent(&format!("{}{}", r.stdout, r.stderr));
    assert!(
        first > 1024 * 1024,
        "first build sent {first} bytes:\n{}",
        r.stderr
    );

    std::fs::write(dir.path().join("data/f07.bin"), "changed").unwrap();
    let r = run(devloop(dir.path()).args(["-v", "build"]));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let second = context_sent(&format!("{}{}", r.stdout, r.stderr));
    assert!(
        second > 0 && second < 64 * 1024,
        "after one small change the build sent {second} bytes:\n{}",
        r.stderr
    );
    assert_eq!(
        docker(&["run", "--rm", &image, "cat", "/ctx/data/f07.bin"]),
        "changed"
    );
    assert_eq!(
        docker(&["run", "--rm", &image, "cat", "/ctx/data/f08.bin"]),
        blob(8)
    );
    // devloop's own state never enters the context, nor what Dockerfile.dockerignore excludes.
    for path in ["/ctx/.devloop", "/ctx/notes.txt"] {
        assert_eq!(
            docker(&[
                "run",
                "--rm",
                &image,
                "sh",
                "-c",
                &format!("test -e {path} && echo present || echo absent"),
            ]),
            "absent",
            "{path}"
        );
    }
    // So changing an excluded file changes nothing: the build is skipped.
    std::fs::write(dir.path().join("notes.txt"), "edited").unwrap();
    let r = run(devloop(dir.path()).args(["build", "-o", "json"]));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(outcome(&r.stdout, "build"), "skipped", "{}", r.stdout);
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn buildkit_mounts_secrets_and_never_shows_them() {
    require_docker();
    let app = unique("dl-secret");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let token = "tok-5f1e2d3c9a";
    let password = "s3cr3t-netrc-pw";
    let toml = format!(
        "{}\n[build.secrets]\napi_token = {{ env = \"DL_TEST_TOKEN\" }}\nnetrc = {{ file = \"creds/netrc\" }}\n\n[env.classic]\nbuild.buildkit = false\n",
        config(&app, "buildkit = true")
    );
    let dir = project(&[
        ("devloop.toml", &toml),
        (
            "Dockerfile",
            "FROM busybox:1.36\n\
             RUN --mount=type=secret,id=api_token --mount=type=secret,id=netrc \\\n\
             echo \"token=$(cat /run/secrets/api_token)\" && cat /run/secrets/netrc && \\\n\
             wc -c < /run/secrets/api_token > /token-length\n",
        ),
        (
            "creds/netrc",
            &format!("machine example.com login bob password {password}\n"),
        ),
        (".dockerignore", "creds\n"),
    ]);

    // --no-cache: BuildKit would otherwise reuse the RUN step of an earlier run of this test.
    let r = run(devloop(dir.path())
        .args(["-v", "build", "--no-cache"])
        .env("DL_TEST_TOKEN", token));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    // The step printed both secrets; devloop showed neither.
    assert!(all.contains("token=***"), "{all}");
    assert!(!all.contains(token), "{all}");
    assert!(!all.contains(password), "{all}");
    let image = format!("{app}:{}", &head_sha(dir.path())[..7]);
    assert_eq!(
        docker(&["run", "--rm", &image, "cat", "/token-length"]),
        token.len().to_string()
    );
    let history = docker(&["history", "--no-trunc", &image]);
    assert!(
        !history.contains(token) && !history.contains(password),
        "{history}"
    );
    let inspect = docker(&["image", "inspect", &image]);
    assert!(!inspect.contains(token) && !inspect.contains(password));

    // A secret that cannot be read stops the build before it starts: exit 2, named.
    let r = run(devloop(dir.path())
        .args(["build", "--no-cache"])
        .env_remove("DL_TEST_TOKEN"));
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("build secret \"api_token\": environment variable DL_TEST_TOKEN is not set"),
        "{}",
        r.stderr
    );
    // The classic builder cannot mount secrets.
    let r = run(devloop(dir.path())
        .args(["-e", "classic", "build", "--no-cache"])
        .env("DL_TEST_TOKEN", token));
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("mounted by BuildKit only"),
        "{}",
        r.stderr
    );
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn builds_are_found_by_label_and_pin_no_images() {
    require_docker();
    let app = unique("dl-pin");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let dir = project(&[
        ("devloop.toml", &config(&app, "")),
        ("Dockerfile", "FROM busybox:1.36\nCOPY n /n\n"),
        ("n", "0"),
    ]);
    let image = format!("{app}:{}", &head_sha(dir.path())[..7]);
    let mut ids = Vec::new();
    for i in 1..=3 {
        std::fs::write(dir.path().join("n"), i.to_string()).unwrap();
        let r = run(devloop(dir.path()).arg("build"));
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
    std::fs::write(dir.path().join("n"), "1").unwrap();
    let r = run(devloop(dir.path()).args(["build", "-o", "json"]));
    assert_eq!(outcome(&r.stdout, "build"), "skipped", "{}", r.stdout);
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
fn a_secret_build_arg_with_quotes_and_backslashes_never_reaches_json_output() {
    require_docker();
    let app = unique("dl-jsonsecret");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let secret = r#"ab"c\d-s3cr3t"#;
    let dir = project(&[
        (
            "devloop.toml",
            &config(
                &app,
                "args = { TOKEN = { value = \"${DL_SECRET_ARG}\", secret = true } }",
            ),
        ),
        (
            "Dockerfile",
            "FROM busybox:1.36\nARG TOKEN\nRUN echo \"token is $TOKEN\"\n",
        ),
    ]);
    for builder in ["--buildkit=true", "--buildkit=false"] {
        let r = run(devloop(dir.path())
            .args(["build", "--no-cache", "-v", "-o", "json", builder])
            .env("DL_SECRET_ARG", secret));
        assert_eq!(r.code, 0, "{builder}: {}", r.stderr);
        assert!(
            r.stdout.contains("token is ***"),
            "{builder}: the RUN output is there, masked: {}",
            r.stdout
        );
        for (what, stream) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
            assert!(!stream.contains("s3cr3t"), "{builder} {what}: {stream}");
        }
    }
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn init_then_build_works_in_a_directory_without_git() {
    require_docker();
    let app = unique("dl-nogit");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM busybox:1.36\nCOPY Dockerfile /\n",
    )
    .unwrap();
    let r = run(devloop(dir.path()).args(["init", "--name", &app]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let toml = std::fs::read_to_string(dir.path().join("devloop.toml")).unwrap();
    assert!(toml.contains("tags = [\"{digest}\"]"), "{toml}");
    let r = run(devloop(dir.path()).args(["build", "-o", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let built = json_events(&r.stdout)
        .into_iter()
        .find(|e| e["event"] == "step_finished")
        .unwrap();
    let reference = built["result"]["refs"][0].as_str().unwrap().to_string();
    let digest = built["result"]["digest"].as_str().unwrap();
    assert_eq!(reference, format!("{app}:{}", &digest[..12]));
    assert!(!docker(&["image", "inspect", "--format", "{{.Id}}", &reference]).is_empty());

    // A template that needs git says so, and names the fix.
    std::fs::write(
        dir.path().join("devloop.toml"),
        toml.replace("{digest}", "{short_sha}"),
    )
    .unwrap();
    let r = run(devloop(dir.path()).arg("build"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("\"{digest}\""), "{}", r.stderr);
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn the_classic_builder_adds_no_label_steps_and_equal_inputs_give_an_equal_image() {
    require_docker();
    let app = unique("dl-classic");
    let _cleanup = DockerCleanup {
        image: app.clone(),
        extra_images: vec![],
    };
    let dir = project(&[
        ("devloop.toml", &config(&app, "buildkit = false")),
        ("Dockerfile", "FROM busybox:1.36\nCOPY data /data\n"),
        ("data/a.txt", "one\n"),
    ]);
    let image = format!("{app}:{}", &head_sha(dir.path())[..7]);
    let r = run(devloop(dir.path()).args(["build", "-v"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Only the Dockerfile's own steps: no LABEL steps added.
    assert!(!r.stderr.contains("LABEL"), "{}", r.stderr);
    let first = docker(&["image", "inspect", "--format", "{{.Id}}", &image]);
    // Found again without a label: skipped.
    let r = run(devloop(dir.path()).args(["build", "-o", "json"]));
    assert_eq!(outcome(&r.stdout, "build"), "skipped", "{}", r.stdout);
    // Forget devloop's record: the daemon builds again from its layer cache, and equal inputs
    // give the very same image (no label changes from one build to the next).
    std::fs::remove_file(dir.path().join(".devloop/cache/classic-builds.json")).unwrap();
    let r = run(devloop(dir.path()).args(["build", "-o", "json"]));
    assert_eq!(outcome(&r.stdout, "build"), "done", "{}", r.stdout);
    assert_eq!(
        docker(&["image", "inspect", "--format", "{{.Id}}", &image]),
        first
    );
}
