//! BuildKit through devloop's own session: labels and the failing step, only what changed sent,
//! secrets mounted and never shown, secret build args kept out of JSON output.

use super::config;
use crate::support::*;

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn buildkit_builds_with_labels_and_reports_the_failing_step() {
    let ctx = TestContext::docker("dl-bk");
    let app = ctx.app().to_string();
    let ctx = ctx.with_files(&[
        (
            "devloop.toml",
            &config(&app, "buildkit = true\nargs = { WHO = \"kit\" }"),
        ),
        (
            "Dockerfile",
            "FROM busybox:1.36\nARG WHO\nRUN echo \"hi $WHO\" > /hi\n",
        ),
    ]);
    let r = ctx.run(["build", "-o", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("with BuildKit"), "{}", r.stdout);
    let image = ctx.image();
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
    let r = ctx.run(["build", "-o", "json"]);
    assert!(r.stdout.contains("\"outcome\":\"skipped\""), "{}", r.stdout);

    ctx.write(
        "Dockerfile",
        "FROM busybox:1.36\nRUN echo bk-about-to-fail && exit 5\n",
    );
    let r = ctx.run(["build"]);
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
    let ctx = TestContext::docker("dl-bkdiff");
    let app = ctx.app().to_string();
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
    let ctx = ctx.with_files(&refs);
    let image = ctx.image();

    let r = ctx.run(["-v", "build"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let first = context_sent(&format!("{}{}", r.stdout, r.stderr));
    assert!(
        first > 1024 * 1024,
        "first build sent {first} bytes:\n{}",
        r.stderr
    );

    ctx.write("data/f07.bin", "changed");
    let r = ctx.run(["-v", "build"]);
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
    ctx.write("notes.txt", "edited");
    let r = ctx.run(["build", "-o", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.outcome("build"), "skipped", "{}", r.stdout);
}

#[cfg_attr(
    devloop_no_docker,
    ignore = "no Docker daemon answers: run scripts/services.sh"
)]
#[test]
fn buildkit_mounts_secrets_and_never_shows_them() {
    let ctx = TestContext::docker("dl-secret");
    let app = ctx.app().to_string();
    let token = "tok-5f1e2d3c9a";
    let password = "s3cr3t-netrc-pw";
    let toml = format!(
        "{}\n[build.secrets]\napi_token = {{ env = \"DL_TEST_TOKEN\" }}\nnetrc = {{ file = \"creds/netrc\" }}\n\n[env.classic]\nbuild.buildkit = false\n",
        config(&app, "buildkit = true")
    );
    let ctx = ctx.with_files(&[
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
    let r = ctx
        .devloop(["-v", "build", "--no-cache"])
        .env("DL_TEST_TOKEN", token)
        .run();
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    // The step printed both secrets; devloop showed neither.
    assert!(all.contains("token=***"), "{all}");
    assert!(!all.contains(token), "{all}");
    assert!(!all.contains(password), "{all}");
    let image = ctx.image();
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
    let r = ctx
        .devloop(["build", "--no-cache"])
        .env_remove("DL_TEST_TOKEN")
        .run();
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("build secret \"api_token\": environment variable DL_TEST_TOKEN is not set"),
        "{}",
        r.stderr
    );
    // The classic builder cannot mount secrets.
    let r = ctx
        .devloop(["-e", "classic", "build", "--no-cache"])
        .env("DL_TEST_TOKEN", token)
        .run();
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
fn a_secret_build_arg_with_quotes_and_backslashes_never_reaches_json_output() {
    let ctx = TestContext::docker("dl-jsonsecret");
    let app = ctx.app().to_string();
    let secret = r#"ab"c\d-s3cr3t"#;
    let ctx = ctx.with_files(&[
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
        let r = ctx
            .devloop(["build", "--no-cache", "-v", "-o", "json", builder])
            .env("DL_SECRET_ARG", secret)
            .run();
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
