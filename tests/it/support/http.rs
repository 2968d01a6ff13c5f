//! A plain HTTP/1.0 GET against a published port on 127.0.0.1: what a user's browser would see
//! of the deployed app.

use std::io::{Read, Write};
use std::time::Duration;

/// The status code and the whole response (headers and body), or `None` when nothing answers.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect_timeout(
        &([127, 0, 0, 1], port).into(),
        Duration::from_secs(2),
    )
    .ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    let code = body.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, body))
}

/// The response to `GET /`, or "" when nothing answers.
pub fn page(port: u16) -> String {
    http_get(port, "/")
        .map(|(_, body)| body)
        .unwrap_or_default()
}
