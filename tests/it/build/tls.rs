//! A daemon reached over TLS with client certificates (`DOCKER_HOST=tcp://…`,
//! `DOCKER_TLS_VERIFY=1`, `DOCKER_CERT_PATH`): bollard's connection and devloop's own BuildKit
//! session both go through it.

use crate::support::tls::{tls_certs, TlsDaemon};
use crate::support::*;

fn config(app: &str, extra: &str) -> String {
    format!("[app]\nname = \"{app}\"\n\n[build]\ntags = [\"{{short_sha}}\"]\n{extra}\n")
}

#[cfg_attr(
    any(devloop_no_docker, devloop_no_openssl),
    ignore = "needs Docker and openssl: run scripts/services.sh"
)]
#[test]
fn builds_through_a_tls_daemon_with_client_certificates() {
    let ctx = TestContext::docker("dl-tls");
    assert!(have("openssl"));
    let certs = tempfile::tempdir().unwrap();
    tls_certs(certs.path(), "devloop-test");
    let daemon = TlsDaemon::start(certs.path());

    let app = ctx.app().to_string();
    let ctx = ctx.with_files(&[
        ("devloop.toml", &config(&app, "buildkit = true")),
        ("Dockerfile", "FROM busybox:1.36\nCOPY msg /msg\n"),
        ("msg", "over tls"),
    ]);
    let build_with = |cert_path: &std::path::Path| {
        ctx.devloop(["build"])
            .env("DOCKER_HOST", format!("tcp://127.0.0.1:{}", daemon.port))
            .env("DOCKER_TLS_VERIFY", "1")
            .env("DOCKER_CERT_PATH", cert_path)
            .run()
    };

    let r = build_with(certs.path());
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("with BuildKit"), "{}", r.stderr);
    let image = ctx.image();
    assert_eq!(docker(&["run", "--rm", &image, "cat", "/msg"]), "over tls");
    // bollard's requests, the session and the build each came over an authenticated connection.
    assert!(
        daemon.accepted() >= 3,
        "{} TLS connections",
        daemon.accepted()
    );

    // Certificates from another CA: the daemon cannot be reached, exit 5, nothing built.
    let strangers = tempfile::tempdir().unwrap();
    tls_certs(strangers.path(), "stranger");
    ctx.write("msg", "changed");
    let r = build_with(strangers.path());
    assert_eq!(r.code, 5, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains(&format!("tcp://127.0.0.1:{}", daemon.port)),
        "{}",
        r.stderr
    );
}
