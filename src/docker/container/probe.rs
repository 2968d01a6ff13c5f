//! One plain HTTP GET, for the health gate's `http` probe and the tests: the status code, or
//! nothing when no answer came in time.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One HTTP GET on 127.0.0.1; returns the status code.
pub async fn http_status(port: u16, path: &str, timeout: Duration) -> Option<u16> {
    http_status_at(std::net::IpAddr::from([127, 0, 0, 1]), port, path, timeout).await
}

/// One HTTP GET to `ip:port`; returns the status code.
pub async fn http_status_at(
    ip: std::net::IpAddr,
    port: u16,
    path: &str,
    timeout: Duration,
) -> Option<u16> {
    let attempt = async {
        let mut s = tokio::net::TcpStream::connect((ip, port)).await.ok()?;
        let req =
            format!("GET {path} HTTP/1.0\r\nHost: {ip}:{port}\r\nUser-Agent: devloop\r\n\r\n");
        s.write_all(req.as_bytes()).await.ok()?;
        let mut buf = [0u8; 64];
        let mut n = 0;
        while n < 12 {
            let r = s.read(&mut buf[n..]).await.ok()?;
            if r == 0 {
                break;
            }
            n += r;
        }
        let head = String::from_utf8_lossy(&buf[..n]).into_owned();
        head.split_whitespace().nth(1)?.parse().ok()
    };
    tokio::time::timeout(timeout, attempt).await.ok().flatten()
}
