//! A chat service stand-in: a webhook receiver on a loopback port of its own that records every
//! request it gets (path, headers, body) and answers as told: a status, or never (it hangs).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the receiver answers.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Status(u16),
    /// Read the request and answer nothing, holding the connection open.
    Hang,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// The receiver; it stops serving when dropped (its thread ends with the test binary).
pub struct Webhook {
    pub port: u16,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Webhook {
    pub fn start(answer: Answer) -> Webhook {
        Self::serve(answer, None)
    }

    /// The same behind HTTPS, with `server.pem` and `server-key.pem` from `dir` (made by
    /// [`super::tls::tls_certs`], for localhost and 127.0.0.1).
    pub fn start_tls(answer: Answer, dir: &std::path::Path) -> Webhook {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let _ = rustls::crypto::ring::default_provider().install_default();
        let chain = CertificateDer::pem_file_iter(dir.join("server.pem"))
            .expect("server.pem")
            .collect::<Result<Vec<_>, _>>()
            .expect("server cert");
        let key = PrivateKeyDer::from_pem_file(dir.join("server-key.pem")).expect("server key");
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("server config");
        Self::serve(answer, Some(Arc::new(config)))
    }

    fn serve(answer: Answer, tls: Option<Arc<rustls::ServerConfig>>) -> Webhook {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let record = got.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(tcp) = stream else { continue };
                let record = record.clone();
                let tls = tls.clone();
                std::thread::spawn(move || {
                    let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut stream: Box<dyn ReadWrite> = match tls {
                        Some(config) => match rustls::ServerConnection::new(config) {
                            Ok(conn) => Box::new(rustls::StreamOwned::new(conn, tcp)),
                            Err(_) => return,
                        },
                        None => Box::new(tcp),
                    };
                    let Some(req) = read_request(&mut stream) else {
                        return;
                    };
                    record.lock().unwrap().push(req);
                    match answer {
                        Answer::Status(code) => {
                            let _ = write!(
                                stream,
                                "HTTP/1.1 {code} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nno"
                            );
                            let _ = stream.flush();
                        }
                        Answer::Hang => std::thread::sleep(Duration::from_secs(60)),
                    }
                });
            }
        });
        Webhook { port, got }
    }

    /// A URL of this receiver with a path shaped like Slack's, its last part the "token".
    pub fn url(&self, token: &str) -> String {
        format!(
            "http://127.0.0.1:{}/services/T0001/B0001/{token}",
            self.port
        )
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// A plain or TLS connection.
trait ReadWrite: Read + Write + Send {}
impl<T: Read + Write + Send> ReadWrite for T {}

fn read_request(stream: &mut Box<dyn ReadWrite>) -> Option<Received> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.insert(k.trim().to_lowercase(), v.trim().to_string());
    }
    let len: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}
