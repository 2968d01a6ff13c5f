//! The parts of the notifications a chat service never shows: the signature, the URL as shown,
//! the headlines, and how a post retries (429 with `Retry-After`, a cap, a 4xx that is final).

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use super::post::{post, shown, sign};
use super::*;

#[test]
fn the_signature_is_hmac_sha256_of_the_body() {
    // RFC 4231, test case 2.
    assert_eq!(
        sign(b"Jefe", b"what do ya want for nothing?"),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn a_url_is_shown_by_its_host_only() {
    assert_eq!(
        shown("https://hooks.slack.com/services/T1/B2/xyz"),
        "https://hooks.slack.com/***"
    );
    assert_eq!(
        shown("https://user:pw@h.example:8443/x?t=1"),
        "https://h.example:8443/***"
    );
    assert_eq!(shown("${UNSET}"), "***");
}

/// A server that answers each connection with the next of `answers` (raw status line and
/// headers), and counts them.
fn server(answers: Vec<&'static str>) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let n = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = n.clone();
    std::thread::spawn(move || {
        for (stream, answer) in l.incoming().zip(answers.into_iter().cycle()) {
            let mut s = stream.unwrap();
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "{answer}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    (port, n)
}

#[tokio::test]
async fn a_429_is_retried_after_the_time_it_asks_for() {
    let (port, n) = server(vec![
        "HTTP/1.1 429 Slow Down\r\nretry-after: 1",
        "HTTP/1.1 200 OK",
    ]);
    let started = Instant::now();
    let deadline = started + BUDGET;
    let r = post(
        &format!("http://127.0.0.1:{port}/x"),
        b"{}",
        "test",
        None,
        deadline,
    )
    .await;
    assert_eq!(r, Ok(2));
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(n.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_long_retry_after_and_a_404_end_the_tries_at_once() {
    let (port, n) = server(vec!["HTTP/1.1 429 Slow Down\r\nretry-after: 120"]);
    let deadline = Instant::now() + BUDGET;
    let r = post(
        &format!("http://127.0.0.1:{port}/x"),
        b"{}",
        "test",
        None,
        deadline,
    )
    .await;
    assert_eq!(
        r,
        Err("the server answered 429 Too Many Requests".to_string())
    );
    assert_eq!(n.load(std::sync::atomic::Ordering::SeqCst), 1);
    let (port, n) = server(vec!["HTTP/1.1 404 Not Found"]);
    let r = post(
        &format!("http://127.0.0.1:{port}/x"),
        b"{}",
        "test",
        None,
        deadline,
    )
    .await;
    assert_eq!(r, Err("the server answered 404 Not Found".to_string()));
    assert_eq!(n.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refused_connection_is_tried_three_times_within_the_deadline() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let r = post(
        &format!("http://127.0.0.1:{port}/x"),
        b"{}",
        "test",
        None,
        started + BUDGET,
    )
    .await;
    let why = r.unwrap_err();
    assert!(why.starts_with("cannot connect: "), "{why}");
    assert!(why.ends_with("(after 3 attempts)"), "{why}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn headlines_say_what_happened_in_one_line() {
    let config = crate::config::load_text(
        "[app]\nname = \"web\"\n[deploy]\ntarget = \"docker\"\n",
        None,
        &[],
    )
    .unwrap();
    let ambient = crate::config::Ambient::from_pairs([]);
    let mut e = Event::sample(&config, &ambient);
    assert_eq!(
        e.headline(),
        "web: test notification from devloop for default: this channel is set up"
    );
    e.command = Command::Deploy;
    e.release = Some("R1".into());
    assert_eq!(e.headline(), "web: deployed R1 to default");
    e.verdict = On::TimedOut;
    e.exit_code = 4;
    assert_eq!(e.headline(), "web: deploy to default timed out (exit 4)");
    e.command = Command::Monitor;
    e.verdict = On::Failed;
    e.exit_code = 1;
    assert_eq!(e.headline(), "web: default is unhealthy (exit 1)");
}
