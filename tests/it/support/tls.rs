//! The real Docker daemon behind TLS with client certificates, as `dockerd --tlsverify` serves
//! it, and the certificates for it (made with the openssl CLI).

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

/// Certificates for a TLS daemon endpoint, made with the openssl CLI: `ca.pem`, the daemon's
/// `server.pem`/`server-key.pem` (for 127.0.0.1), and the client's `cert.pem`/`key.pem`, laid out
/// as `DOCKER_CERT_PATH` expects.
pub fn tls_certs(dir: &Path, cn: &str) {
    let script = format!(
        "set -e
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 -subj /CN={cn}-ca
openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=localhost
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server.pem -days 2 -extfile server.ext
openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN={cn}-client
printf 'extendedKeyUsage=clientAuth\\n' > client.ext
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 2 -extfile client.ext
"
    );
    let out = Command::new("sh")
        .args(["-c", &script])
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The real daemon behind TLS with client-certificate verification, as `dockerd --tlsverify`
/// serves it: TLS on 127.0.0.1:<port>, relayed to the local socket. Stops on drop.
pub struct TlsDaemon {
    pub port: u16,
    accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TlsDaemon {
    /// Serve with the certificates in `dir` (see [`tls_certs`]).
    pub fn start(dir: &Path) -> TlsDaemon {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;

        // ring and aws-lc-rs are both linked; name one, as devloop does.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(dir.join("ca.pem")).expect("ca.pem") {
            roots.add(c.expect("ca cert")).expect("add ca");
        }
        let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots))
            .build()
            .expect("client verifier");
        let chain = CertificateDer::pem_file_iter(dir.join("server.pem"))
            .expect("server.pem")
            .collect::<Result<Vec<_>, _>>()
            .expect("server chain");
        let key = PrivateKeyDer::from_pem_file(dir.join("server-key.pem")).expect("server key");
        let config = rustls::ServerConfig::builder()
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    let tcp = tokio::select! {
                        _ = &mut stopped => break,
                        r = listener.accept() => match r {
                            Ok((tcp, _)) => tcp,
                            Err(_) => continue,
                        },
                    };
                    let (acceptor, counter) = (acceptor.clone(), counter.clone());
                    tokio::spawn(async move {
                        // A client without a certificate signed by the CA fails here.
                        let Ok(mut tls) = acceptor.accept(tcp).await else {
                            return;
                        };
                        counter.fetch_add(1, Ordering::SeqCst);
                        let Ok(mut daemon) =
                            tokio::net::UnixStream::connect("/var/run/docker.sock").await
                        else {
                            return;
                        };
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut daemon).await;
                    });
                }
            });
        });
        TlsDaemon {
            port,
            accepted,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// TLS connections that presented a valid client certificate.
    pub fn accepted(&self) -> usize {
        self.accepted.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for TlsDaemon {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
