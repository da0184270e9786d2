//! The HTTP client: one request at a time, a timeout per request, and
//! back-off when the CRM says "too many requests".
//!
//! Implementation notes: hyper's pooled client over rustls (ring, webpki
//! roots, plus any CA file the caller trusts), HTTP/1.1 with keep-alive, so
//! a replay reuses one connection. The pause between retries goes through
//! [`Sleep`], so tests replace it and never wait.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::error::ReplayError;

/// Waits between retries. Any `Fn(Duration) -> impl Future` is one; the
/// default is `tokio::time::sleep`.
pub trait Sleep: Send + Sync {
    /// Waits `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
}

impl<F, Fut> Sleep for F
where
    F: Fn(Duration) -> Fut + Send + Sync,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        Box::pin(self(duration))
    }
}

/// How often and how long to back off on a rate-limit answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 8).
    pub max_retries: u32,
    /// The first pause (default 500 ms: one slot of Bitrix24's 2-per-second drain).
    pub first_delay: Duration,
    /// The pause doubles up to this (default 8 s).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_retries: 8, first_delay: Duration::from_millis(500), max_delay: Duration::from_secs(8) }
    }
}

impl RetryPolicy {
    /// The pause before retry `n` (0-based).
    pub fn delay(&self, n: u32) -> Duration {
        self.first_delay.saturating_mul(1u32 << n.min(16)).min(self.max_delay)
    }
}

/// A request as the connectors build it.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// `POST telephony.externalcall.register`, `GET /api/v4/contacts`: how errors name it.
    pub label: String,
    pub method: hyper::Method,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
}

/// A complete answer.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub body: Bytes,
}

/// Counters kept across a run.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub nanos: AtomicU64,
}

/// The client with its timeout, retry policy and sleep.
#[derive(Clone)]
pub struct Http {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
    retry: RetryPolicy,
    sleep: Arc<dyn Sleep>,
    pub(crate) counters: Arc<Counters>,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http").field("timeout", &self.timeout).field("retry", &self.retry).finish_non_exhaustive()
    }
}

/// Builds an [`Http`]; every setter says its default.
#[derive(Clone)]
#[must_use = "a builder does nothing until .build()"]
pub struct HttpBuilder {
    timeout: Duration,
    retry: RetryPolicy,
    sleep: Arc<dyn Sleep>,
    extra_ca: Vec<rustls::pki_types::CertificateDer<'static>>,
}

impl Default for HttpBuilder {
    fn default() -> Self {
        HttpBuilder {
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            sleep: Arc::new(tokio::time::sleep),
            extra_ca: Vec::new(),
        }
    }
}

impl HttpBuilder {
    /// The longest wait for one complete answer (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The back-off on rate limits (default [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// How to wait between retries (default `tokio::time::sleep`).
    pub fn sleep(mut self, sleep: impl Sleep + 'static) -> Self {
        self.sleep = Arc::new(sleep);
        self
    }

    /// Trusts the CA certificates of a PEM file besides the webpki roots
    /// (`callfull serve --tls` writes one). Default: webpki roots only.
    pub fn trust_ca_file(mut self, path: &Path) -> Result<Self, ReplayError> {
        use rustls::pki_types::pem::PemObject;
        let bad = |reason: String| ReplayError::BadUrl { url: path.display().to_string(), reason };
        let certs = rustls::pki_types::CertificateDer::pem_file_iter(path).map_err(|e| bad(e.to_string()))?;
        for cert in certs {
            self.extra_ca.push(cert.map_err(|e| bad(e.to_string()))?);
        }
        Ok(self)
    }

    /// The client.
    pub fn build(self) -> Result<Http, ReplayError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots());
        for cert in self.extra_ca {
            roots
                .add(cert)
                .map_err(|e| ReplayError::BadUrl { url: "CA file".into(), reason: format!("bad certificate: {e}") })?;
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| ReplayError::BadUrl { url: String::new(), reason: e.to_string() })?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        // Without it a small request waits on Nagle's algorithm for the ACK of the one before.
        http.set_nodelay(true);
        http.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Http { client, timeout: self.timeout, retry: self.retry, sleep: self.sleep, counters: Arc::default() })
    }
}

fn webpki_roots() -> impl Iterator<Item = rustls::pki_types::TrustAnchor<'static>> {
    webpki_roots::TLS_SERVER_ROOTS.iter().cloned()
}

impl Http {
    /// A builder with the defaults.
    pub fn builder() -> HttpBuilder {
        HttpBuilder::default()
    }

    /// Sends `request`; a response for which `limited` says "rate limit" is
    /// retried after a pause, up to the policy's count.
    pub(crate) async fn send(
        &self,
        request: &Request,
        limited: impl Fn(&Response) -> bool,
    ) -> Result<Response, ReplayError> {
        let mut attempt = 0;
        loop {
            let response = self.once(request).await?;
            if !limited(&response) {
                return Ok(response);
            }
            if attempt >= self.retry.max_retries {
                return Err(ReplayError::RateLimited {
                    request: request.label.clone(),
                    status: response.status,
                    attempts: attempt + 1,
                });
            }
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            self.sleep.sleep(self.retry.delay(attempt)).await;
            attempt += 1;
        }
    }

    async fn once(&self, request: &Request) -> Result<Response, ReplayError> {
        let mut builder = hyper::Request::builder().method(request.method.clone()).uri(&request.url);
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        let body = Full::new(Bytes::from(request.body.clone().unwrap_or_default()));
        let http_request = builder.body(body).map_err(|e| ReplayError::BadUrl {
            url: request.url.clone(),
            reason: format!("cannot make a request of it: {e}"),
        })?;
        let transport = |e: &dyn std::fmt::Display| ReplayError::Transport {
            request: request.label.clone(),
            reason: e.to_string(),
        };
        let started = Instant::now();
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let exchange = async {
            let response = self.client.request(http_request).await.map_err(|e| transport(&error_chain(&e)))?;
            let status = response.status().as_u16();
            let body = response.into_body().collect().await.map_err(|e| transport(&error_chain(&e)))?.to_bytes();
            Ok(Response { status, body })
        };
        let result = tokio::time::timeout(self.timeout, exchange).await;
        self.counters.nanos.fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        match result {
            Ok(answer) => answer,
            Err(_) => Err(ReplayError::Timeout { request: request.label.clone(), timeout: self.timeout }),
        }
    }
}

/// An error and its sources, `: `-joined (hyper's own message is often just
/// "client error (SendRequest)").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
