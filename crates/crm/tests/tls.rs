//! HTTPS: a real TLS client that trusts only the CA file the server wrote.

use std::net::SocketAddr;
use std::sync::Arc;

use callfull_crm::admin::AdjustableClock;
use callfull_crm::{CrmServer, ManualClock, TlsConfig};
use callfull_world::World;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

async fn spawn_tls(dir: &tempfile::TempDir) -> CrmServer {
    callfull_crm::spawn_with(
        World::from_seed(7),
        "127.0.0.1:0".parse().unwrap(),
        Arc::new(AdjustableClock::new(ManualClock::at(0))),
        Default::default(),
        callfull_crm::ServerOptions { tls: Some(TlsConfig::new(dir.path().join("ca.pem"))), ..Default::default() },
    )
    .await
    .unwrap()
}

/// A client that trusts the CA in `ca_file` and nothing else (no system roots).
fn connector(ca_file: &std::path::Path) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_file).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// `GET path` over HTTPS to `host` (checked against the certificate), as
/// (status, JSON body).
async fn https_get(server: &CrmServer, host: &str, path: &str) -> (u16, Value) {
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let name = ServerName::try_from(host.to_owned()).unwrap();
    let mut tls = connector(server.tls_ca_file().unwrap()).connect(name, tcp).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    // A server closing without close_notify is an error to rustls; the
    // response is complete by then (Connection: close).
    let _ = tls.read_to_end(&mut response).await;
    let response = String::from_utf8(response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or_else(|| panic!("{response}"));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {response}")))
}

#[tokio::test]
async fn https_serves_the_webhook_to_a_client_trusting_only_the_written_ca() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_tls(&dir).await;
    let port = server.addr().port();
    assert_eq!(server.uri(), format!("https://127.0.0.1:{port}"));
    assert_eq!(server.tls_ca_file(), Some(dir.path().join("ca.pem").as_path()));
    let pem = std::fs::read_to_string(dir.path().join("ca.pem")).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    assert!(!pem.contains("PRIVATE KEY"), "the CA file holds no key");

    let webhook = server.bitrix24().webhook_path();
    for host in ["127.0.0.1", "localhost"] {
        let (status, body) = https_get(&server, host, &format!("{webhook}user.get.json")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["total"], 20, "{body}");
    }

    let (status, info) = https_get(&server, "localhost", "/_admin/info").await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["bitrix24"]["webhook_url"], format!("https://127.0.0.1:{port}{webhook}"));
    assert_eq!(info["bitrix24"]["webhook_url"], server.bitrix24_webhook_url());
    assert_eq!(info["admin_url"], format!("https://127.0.0.1:{port}/_admin/"));
    assert_eq!(info["tls"]["ca_file"], dir.path().join("ca.pem").display().to_string());
}

#[tokio::test]
async fn the_certificate_is_refused_for_a_name_it_is_not_for() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_tls(&dir).await;
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let name = ServerName::try_from("crm.example").unwrap();
    let result = connector(server.tls_ca_file().unwrap()).connect(name, tcp).await;
    let Err(error) = result else { panic!("the handshake must fail") };
    let error = error.to_string();
    assert!(error.contains("certificate not valid for name"), "{error}");
}

#[tokio::test]
async fn plain_http_and_garbage_on_the_tls_port_only_lose_their_connection() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_tls(&dir).await;
    let addr: SocketAddr = server.addr();

    // Plain http: a 400 that says to use https, then the connection closes.
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(format!("GET /_admin/info HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes()).await.unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(response.contains("use https://"), "{response}");

    // A TLS record header followed by garbage: closed, nothing answered.
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(&[0x16, 0x03, 0x01, 0x00, 0x05, 0xde, 0xad, 0xbe, 0xef, 0x00]).await.unwrap();
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer).await;
    assert!(answer.is_empty() || answer[0] == 0x15, "at most a TLS alert: {answer:?}");

    // A client that connects and hangs up at once.
    drop(TcpStream::connect(addr).await.unwrap());

    // The server still answers.
    let (status, body) = https_get(&server, "127.0.0.1", "/_admin/info").await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn dropping_the_server_stops_https() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_tls(&dir).await;
    let addr = server.addr();
    let (status, _) = https_get(&server, "127.0.0.1", "/_admin/info").await;
    assert_eq!(status, 200);
    drop(server);
    // The listener closes once the accept loop sees the signal.
    for _ in 0..100 {
        if TcpStream::connect(addr).await.is_err() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{addr} still accepts connections after the server was dropped");
}

#[tokio::test]
async fn plain_spawn_still_says_http_and_has_no_tls_info() {
    let server = callfull_crm::spawn(
        World::from_seed(7),
        "127.0.0.1:0".parse().unwrap(),
        Arc::new(AdjustableClock::new(ManualClock::at(0))),
        Default::default(),
    )
    .await
    .unwrap();
    assert!(server.uri().starts_with("http://127.0.0.1:"));
    assert_eq!(server.tls_ca_file(), None);
}
