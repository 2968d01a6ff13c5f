//! The build context devloop sends is the one the docker CLI sends: a context full of tricky
//! `.dockerignore` cases built by both, and the images' file lists compared.

use super::config;
use crate::support::*;

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
    let ctx = TestContext::new().with_app(if buildkit { "dl-bkignore" } else { "dl-ignore" });
    let app = ctx.app().to_string();
    let oracle = format!("{app}-oracle:1");
    let ctx = ctx.also_remove_image(&oracle);
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
    let ctx = ctx.with_files(&refs);
    std::os::unix::fs::symlink("src/main.rs", ctx.join("link-to-main")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", ctx.join("link-out")).unwrap();
    ctx.commit("links");

    // The docker CLI first: devloop's own .devloop/ state must not be in either context.
    let cli = if buildkit { buildkit_cli() } else { "docker" };
    let status = std::process::Command::new(cli)
        .args(["build", "-q", "-t", &oracle, "."])
        .env("DOCKER_BUILDKIT", if buildkit { "1" } else { "0" })
        .current_dir(ctx.path())
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let theirs = docker(&["run", "--rm", &oracle, "sh", "-c", LIST_CTX]);

    let r = ctx.run(["build"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ours = docker(&["run", "--rm", &ctx.image(), "sh", "-c", LIST_CTX]);
    assert_eq!(
        ours, theirs,
        "devloop's context differs from the docker CLI's"
    );
    // And symlinks stay links, pointing where they pointed.
    let link = docker(&["run", "--rm", &ctx.image(), "readlink", "/ctx/link-out"]);
    assert_eq!(link, "/etc/passwd");
}
