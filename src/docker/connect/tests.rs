//! Choosing the endpoint, checking the address, and saying transport failures in plain words.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use super::address::with_default_port;
use super::endpoint::DEFAULT_SOCKET;
use super::{endpoint, Daemon, Endpoint};
use crate::config::Ambient;
use crate::error::{ExitKind, Result};

#[test]
fn docker_host_with_tls() {
    let a = Ambient::from_pairs([
        ("DOCKER_HOST", "tcp://10.0.0.5:2376"),
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CERT_PATH", "/certs"),
    ]);
    let e = endpoint(&a).unwrap();
    assert_eq!(e.host, "tcp://10.0.0.5:2376");
    assert_eq!(e.tls.unwrap().ca, PathBuf::from("/certs/ca.pem"));
}

#[test]
fn active_context_is_read_from_docker_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"currentContext":"remote"}"#,
    )
    .unwrap();
    let id = hex::encode(Sha256::digest(b"remote"));
    let meta = dir.path().join("contexts/meta").join(id);
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(
        meta.join("meta.json"),
        r#"{"Name":"remote","Endpoints":{"docker":{"Host":"unix:///run/other.sock","SkipTLSVerify":false}}}"#,
    )
    .unwrap();
    let a = Ambient::from_pairs([("DOCKER_CONFIG", dir.path().to_str().unwrap())]);
    let e = endpoint(&a).unwrap();
    assert_eq!(e.host, "unix:///run/other.sock");
    assert_eq!(e.source, "docker context \"remote\"");
    let none = Ambient::from_pairs([("HOME", "/nonexistent")]);
    assert_eq!(endpoint(&none).unwrap().host, DEFAULT_SOCKET);
}

fn from_host(host: &str) -> Result<Endpoint> {
    endpoint(&Ambient::from_pairs([("DOCKER_HOST", host)]))
}

#[test]
fn a_malformed_docker_host_is_a_usage_error_with_the_reason() {
    for (host, why) in [
        ("tcp://[::1", "the IPv6 address has no closing \"]\""),
        ("tcp://[zz::1]:2375", "\"zz::1\" is not an IPv6 address"),
        ("tcp://", "it names no host"),
        ("tcp://:2375", "it names no host"),
        ("tcp://host:notaport", "port \"notaport\" is not a number"),
        ("tcp://host:0", "port \"0\" is not a number"),
        ("tcp://host:99999", "port \"99999\" is not a number"),
        ("tcp://bad host:2375", "\"bad host\" is not a host name"),
        ("unix://", "it names no socket path"),
        ("garbage://x", "unsupported Docker host"),
    ] {
        let e = from_host(host).unwrap_err();
        assert_eq!(e.kind, ExitKind::Usage, "{host}: {}", e.message);
        assert!(e.message.contains(why), "{host}: {}", e.message);
        assert!(e.message.contains(host), "{host}: {}", e.message);
    }
    for host in [
        "tcp://127.0.0.1:2375",
        "tcp://[::1]:2375",
        "tcp://[::1]",
        "tcp://docker.example.com",
        "tcp://my_host-1.local:2376/",
        "https://10.0.0.5:2376",
        "unix:///var/run/docker.sock",
    ] {
        assert!(from_host(host).is_ok(), "{host}");
    }
}

#[test]
fn tcp_without_a_port_means_the_docker_port() {
    assert_eq!(from_host("tcp://h").unwrap().host, "tcp://h:2375");
    let tls = Ambient::from_pairs([
        ("DOCKER_HOST", "tcp://h"),
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CERT_PATH", "/certs"),
    ]);
    assert_eq!(endpoint(&tls).unwrap().host, "tcp://h:2376");
    assert_eq!(with_default_port("tcp://h", false), "tcp://h:2375");
    assert_eq!(with_default_port("tcp://h", true), "tcp://h:2376");
    assert_eq!(with_default_port("tcp://[::1]", false), "tcp://[::1]:2375");
    assert_eq!(with_default_port("tcp://[::1]:9", false), "tcp://[::1]:9");
    assert_eq!(with_default_port("tcp://h:9/x", false), "tcp://h:9/x");
    assert_eq!(with_default_port("tcp://h/x", false), "tcp://h:2375/x");
    assert_eq!(with_default_port("unix:///s", false), "unix:///s");
}

#[tokio::test]
async fn a_unix_path_that_is_not_a_socket_says_so_and_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("docker.sock");
    std::fs::write(&file, "not a socket").unwrap();
    for (path, what) in [
        (file.display().to_string(), "a regular file"),
        (dir.path().display().to_string(), "a directory"),
    ] {
        let host = format!("unix://{path}");
        let e = match Daemon::connect(&Ambient::from_pairs([("DOCKER_HOST", host.as_str())])).await
        {
            Ok(_) => panic!("{host} connected"),
            Err(e) => e,
        };
        assert_eq!(e.kind, ExitKind::Usage, "{}", e.message);
        assert!(
            e.message
                .contains(&format!("{path} is {what}, not a socket")),
            "{}",
            e.message
        );
        assert!(!e.message.contains("refused"), "{}", e.message);
        assert!(!e.hint.unwrap_or_default().contains("start Docker"));
    }
}

#[tokio::test]
async fn transport_failures_are_said_in_plain_words() {
    // A socket nobody listens on: left behind by a daemon that stopped.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for host in [
        format!("unix://{}", path.display()),
        format!("tcp://127.0.0.1:{port}"),
    ] {
        let e = match Daemon::connect(&Ambient::from_pairs([("DOCKER_HOST", host.as_str())])).await
        {
            Ok(_) => panic!("{host} connected"),
            Err(e) => e,
        };
        assert_eq!(e.kind, ExitKind::Unreachable, "{}", e.message);
        assert!(
            e.message
                .ends_with("connection refused: nothing is listening at that address"),
            "{}",
            e.message
        );
        assert!(!e.message.contains("hyper"), "{}", e.message);
        assert!(!e.message.contains("client error"), "{}", e.message);
    }
}
