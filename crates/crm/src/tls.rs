//! HTTPS for the fake: a certificate made at start for this machine, and the
//! same warp routes served over rustls.
//!
//! Real Bitrix24 SDKs speak only https (the official Python SDK builds
//! `https://{domain}/rest`), so a connector under test cannot be pointed at a
//! plain-http fake without changing it. With a [`TlsConfig`] the server:
//!
//! 1. makes a CA certificate and a server certificate signed by it, for
//!    `localhost`, `127.0.0.1`, `::1`, the address it is bound to and
//!    [`TlsConfig::extra_names`];
//! 2. writes the CA certificate (PEM, not its key) to [`TlsConfig::ca_file`],
//!    so that a client trusts it with `REQUESTS_CA_BUNDLE` / `SSL_CERT_FILE`
//!    and no other change;
//! 3. serves over TLS 1.2/1.3 (rustls, `ring` provider), HTTP/1.1 or HTTP/2
//!    by ALPN (the accept loop is in `http.rs`).
//!
//! **Not reproducible, on purpose.** The keys come from the operating
//! system's random generator at every start, so the certificates (and the CA
//! file) differ between runs even for the same seed. They are not part of the
//! "same seed, same bytes" contract, which covers the world and the CRM's
//! answers only. The CA's private key is dropped once the server certificate
//! is signed: the CA file can sign nothing, and trusting it trusts this run's
//! server and nothing else.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// How long a client has to finish the TLS handshake before it is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The first byte of a TLS handshake record (`ContentType::handshake`).
const TLS_HANDSHAKE: u8 = 0x16;

/// The answer to a plain-http request on the https port (nginx answers the
/// same case with its own 497).
const PLAIN_HTTP_ANSWER: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
content-type: text/plain; charset=utf-8\r\n\
connection: close\r\n\
content-length: 46\r\n\
\r\n\
This port speaks HTTPS: use https:// instead.\n";

/// How to serve HTTPS: where the CA certificate goes, and for which more
/// names the server certificate is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// The file the CA certificate (PEM) is written to at start, replacing
    /// what was there. Point `REQUESTS_CA_BUNDLE` / `SSL_CERT_FILE` at it.
    pub ca_file: PathBuf,
    /// Names (DNS names or IP addresses) the server certificate is for, beyond
    /// `localhost`, `127.0.0.1`, `::1` and the address the server is bound to.
    pub extra_names: Vec<String>,
}

impl TlsConfig {
    /// HTTPS with the CA certificate written to `ca_file`.
    pub fn new(ca_file: impl Into<PathBuf>) -> Self {
        TlsConfig { ca_file: ca_file.into(), extra_names: Vec::new() }
    }

    /// The CLI's default CA file: `callfull-ca.pem` in the system's temporary
    /// directory.
    pub fn default_ca_file() -> PathBuf {
        std::env::temp_dir().join("callfull-ca.pem")
    }
}

/// What the server presents: its certificate and key, and the CA's
/// certificate that clients trust.
pub(crate) struct Identity {
    ca_pem: String,
    server_config: Arc<rustls::ServerConfig>,
}

impl Identity {
    /// Makes a CA and a server certificate for `names` (fresh random keys:
    /// see the module's documentation).
    pub(crate) fn generate(names: &[String]) -> io::Result<Identity> {
        let ((y0, m0, d0), (y1, m1, d1)) = validity();

        let mut ca = CertificateParams::default();
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        ca.distinguished_name.push(DnType::OrganizationName, "callfull");
        ca.distinguished_name.push(DnType::CommonName, "callfull fake CRM local CA (this run only)");
        ca.not_before = rcgen::date_time_ymd(y0, m0, d0);
        ca.not_after = rcgen::date_time_ymd(y1, m1, d1);
        let ca_key = KeyPair::generate().map_err(cert_error)?;
        let ca_pem = ca.self_signed(&ca_key).map_err(cert_error)?.pem();
        let issuer = Issuer::new(ca, ca_key);

        let mut leaf = CertificateParams::new(names.to_vec()).map_err(cert_error)?;
        leaf.distinguished_name.push(DnType::OrganizationName, "callfull");
        leaf.distinguished_name.push(DnType::CommonName, names.first().map_or("localhost", String::as_str));
        leaf.is_ca = IsCa::ExplicitNoCa;
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.use_authority_key_identifier_extension = true;
        leaf.not_before = rcgen::date_time_ymd(y0, m0, d0);
        leaf.not_after = rcgen::date_time_ymd(y1, m1, d1);
        let leaf_key = KeyPair::generate().map_err(cert_error)?;
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(cert_error)?;
        drop(issuer); // the CA's key: nothing else is ever signed with it

        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let chain: Vec<CertificateDer<'static>> = vec![leaf_cert.der().clone()];
        let mut server_config =
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(cert_error)?
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .map_err(cert_error)?;
        server_config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Identity { ca_pem, server_config: Arc::new(server_config) })
    }

    /// The acceptor of TLS connections for this identity.
    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.server_config.clone())
    }

    /// The CA certificate, PEM.
    pub(crate) fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Writes the CA certificate to `path` whole or not at all (a client that
    /// reads it meanwhile sees the old file or the new one).
    pub(crate) fn write_ca(&self, path: &Path) -> io::Result<()> {
        let with_path = |e: io::Error| {
            io::Error::new(e.kind(), format!("cannot write the CA certificate to {}: {e}", path.display()))
        };
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(".{}.tmp", std::process::id()));
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, self.ca_pem()).map_err(with_path)?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            with_path(e)
        })
    }
}

/// The names the server certificate is made for when bound to `bound`.
pub(crate) fn certificate_names(bound: IpAddr, extra: &[String]) -> Vec<String> {
    let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    let mut add = |name: String| {
        let same = |n: &String| match (n.parse::<IpAddr>(), name.parse::<IpAddr>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => n.eq_ignore_ascii_case(&name),
        };
        if !name.is_empty() && !names.iter().any(same) {
            names.push(name);
        }
    };
    if !bound.is_unspecified() {
        add(bound.to_string());
    }
    for name in extra {
        add(name.trim().trim_start_matches('[').trim_end_matches(']').to_owned());
    }
    names
}

/// `https://HOST:PORT` for a server bound to `addr`. The unspecified address
/// (`0.0.0.0`, `::`) cannot be in a certificate, so it becomes the loopback
/// address of its family, which is.
pub(crate) fn base_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("https://{}", SocketAddr::new(ip, addr.port()))
}

fn cert_error(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("cannot make the TLS certificate: {e}"))
}

/// From yesterday to a year from now: short enough for clients that refuse
/// long-lived server certificates (Apple's 398 days), long enough for any run.
/// (Year, month, day) each, in UTC.
fn validity() -> ((i32, u8, u8), (i32, u8, u8)) {
    let days = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() / 86_400);
    let days = i64::try_from(days).unwrap_or(0);
    (civil_from_days(days - 1), civil_from_days(days + 365))
}

/// The proleptic Gregorian date of a day counted from 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i32, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m as u8, d as u8)
}

/// The TLS stream of a new connection, or `None` when the client does not
/// complete a handshake in time.
pub(crate) async fn handshake(
    acceptor: &TlsAcceptor,
    tcp: TcpStream,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    let deadline = tokio::time::Instant::now() + HANDSHAKE_TIMEOUT;
    let mut first = [0u8; 1];
    match tokio::time::timeout_at(deadline, tcp.peek(&mut first)).await {
        Ok(Ok(1)) if first[0] == TLS_HANDSHAKE => {}
        Ok(Ok(1)) => {
            answer_plain_http(tcp).await;
            return None;
        }
        _ => return None,
    }
    tokio::time::timeout_at(deadline, acceptor.accept(tcp)).await.ok()?.ok()
}

/// Tells a plain-http client to use https, then closes.
async fn answer_plain_http(mut tcp: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        tcp.write_all(PLAIN_HTTP_ANSWER).await?;
        tcp.shutdown().await?;
        // Lingering close: closing a socket with unread data resets the
        // connection, and the client may then lose the answer. Read (a
        // bounded amount) until the client closes its side or time is up.
        let mut sink = [0u8; 4 << 10];
        let mut left: usize = 64 << 10;
        while left > 0 {
            match tcp.read(&mut sink).await? {
                0 => break,
                n => left = left.saturating_sub(n),
            }
        }
        Ok::<_, io::Error>(())
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_000), (2024, 10, 4));
    }

    #[test]
    fn names_cover_loopback_the_bound_address_and_extras_once() {
        let names = certificate_names("0.0.0.0".parse().unwrap(), &[]);
        assert_eq!(names, ["localhost", "127.0.0.1", "::1"]);
        let names = certificate_names(
            "192.0.2.7".parse().unwrap(),
            &["LOCALHOST".into(), "crm.test".into(), "[::1]".into(), "0:0::1".into()],
        );
        assert_eq!(names, ["localhost", "127.0.0.1", "::1", "192.0.2.7", "crm.test"]);
    }

    #[test]
    fn base_url_never_names_the_unspecified_address() {
        assert_eq!(base_url("0.0.0.0:443".parse().unwrap()), "https://127.0.0.1:443");
        assert_eq!(base_url("[::]:8443".parse().unwrap()), "https://[::1]:8443");
        assert_eq!(base_url("127.0.0.1:8080".parse().unwrap()), "https://127.0.0.1:8080");
    }

    #[test]
    fn plain_http_answer_declares_its_length() {
        let (head, body) = std::str::from_utf8(PLAIN_HTTP_ANSWER).unwrap().split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())), "{}", body.len());
    }

    #[test]
    fn identity_is_a_ca_and_a_server_certificate() {
        let names = certificate_names("127.0.0.1".parse().unwrap(), &[]);
        let identity = Identity::generate(&names).unwrap();
        assert!(identity.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(identity.server_config.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
    }
}
