//! HTTPS to a backend: the TLS stack genpath ships (rustls with the ring
//! provider) completes a handshake, verifies the server's certificate
//! against the system's trust store (`SSL_CERT_FILE` here), and says why
//! when it refuses one.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::common;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");

/// An AUTOMATIC1111-shaped HTTPS server on 127.0.0.1 (one model, one
/// sampler, everything else empty): its URL and how many requests it has
/// answered over TLS.
fn serve() -> (String, Arc<AtomicUsize>) {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(Path::new(FIXTURES).join("server.pem")).unwrap().map(|c| c.unwrap()).collect();
    let key = PrivateKeyDer::from_pem_file(Path::new(FIXTURES).join("server.key")).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://localhost:{}", listener.local_addr().unwrap().port());
    let answered = Arc::new(AtomicUsize::new(0));
    let count = answered.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let (config, count) = (config.clone(), count.clone());
            std::thread::spawn(move || {
                let Ok(conn) = rustls::ServerConnection::new(config) else { return };
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                // One request per connection: read the head (and any body), answer, close.
                let mut reader = BufReader::new(&mut tls);
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    return; // the client refused our certificate
                }
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let path = first.split_whitespace().nth(1).unwrap_or("").to_string();
                let json = match path.as_str() {
                    "/sdapi/v1/sd-models" => {
                        r#"[{"title":"over-tls.safetensors [0123456789]","model_name":"over-tls","hash":"0123456789"}]"#
                    }
                    "/sdapi/v1/samplers" => r#"[{"name":"Euler a","aliases":["k_euler_a"],"options":{}}]"#,
                    "/sdapi/v1/options" => r#"{"sd_model_checkpoint":"over-tls.safetensors [0123456789]"}"#,
                    _ => "[]",
                };
                let status = if path.starts_with("/sdapi/") { "200 OK" } else { "404 Not Found" };
                let answer = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                    json.len()
                );
                if tls.write_all(answer.as_bytes()).and_then(|_| tls.flush()).is_ok() {
                    count.fetch_add(1, Ordering::SeqCst);
                }
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    (url, answered)
}

fn workspace(url: &str) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("genpath.toml"), format!("[backends.secure]\nkind = \"a1111\"\nurl = \"{url}\"\n"))
        .unwrap();
    ws
}

/// With the test CA trusted, `backend test` talks to the server over TLS
/// and reads its model list.
#[test]
fn https_backend_with_a_trusted_certificate_is_reached() {
    let (url, answered) = serve();
    let ws = workspace(&url);
    let o = common::genpath(ws.path())
        .args(["backend", "test", "secure"])
        .env("SSL_CERT_FILE", Path::new(FIXTURES).join("ca.pem"))
        .output()
        .unwrap();
    let (out, err) = (common::stdout(&o), common::stderr(&o));
    assert!(o.status.success(), "{out}\n{err}");
    assert!(out.contains("reachable: yes") && out.contains("over-tls"), "{out}");
    assert!(answered.load(Ordering::SeqCst) >= 2, "answered {answered:?}");
}

/// Without it, the certificate is refused, and the message names the cause
/// (not only "error sending request").
#[test]
fn https_backend_with_an_unknown_issuer_is_refused_with_the_reason() {
    let (url, answered) = serve();
    let ws = workspace(&url);
    let o = common::genpath(ws.path())
        .args(["backend", "test", "secure"])
        .env("SSL_CERT_FILE", Path::new(FIXTURES).join("other-ca.pem"))
        .output()
        .unwrap();
    let (out, err) = (common::stdout(&o), common::stderr(&o));
    assert!(!o.status.success(), "{out}\n{err}");
    assert!(err.contains("invalid peer certificate") && err.contains("UnknownIssuer"), "{err}");
    assert_eq!(answered.load(Ordering::SeqCst), 0);
}
