//! The HTTP side: warp routes for the Bitrix24 REST endpoints and the admin
//! API, and a server on a port of your choice or an ephemeral one.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use warp::Filter;
use warp::http::{HeaderValue, StatusCode};

use crate::admin::{AdjustableClock, Faults, Journal};
use crate::bitrix24::{B24Error, Portal};
use crate::router::{MAX_BODY, Request, Response};

/// What every handler shares.
#[derive(Clone)]
pub struct Shared {
    /// The Bitrix24 portal.
    pub bitrix24: Arc<Portal>,
    /// The amoCRM account.
    pub amocrm: Arc<crate::amocrm::Account>,
    /// The server's clock (the admin API can move it forward).
    pub clock: Arc<AdjustableClock>,
    /// The base URL clients reach the server at (`http://127.0.0.1:8080`).
    pub base_url: Arc<String>,
    /// The last requests answered.
    pub journal: Arc<Journal>,
    /// Faults to inject.
    pub faults: Arc<Faults>,
    /// The token that opens the admin API to clients off this machine.
    pub admin_token: Option<Arc<str>>,
    /// Which CRMs answer.
    pub crms: Crms,
    /// Where the CA certificate of an HTTPS server was written (`None`: plain http).
    pub tls_ca_file: Option<Arc<std::path::PathBuf>>,
}

impl Shared {
    /// The state of a server for `portal` on `clock`, reached at `base_url`.
    pub fn new(mut portal: Portal, clock: Arc<AdjustableClock>, base_url: impl Into<String>) -> Self {
        let base_url = base_url.into();
        portal.set_public_url(&base_url);
        let options = crate::amocrm::AccountOptions::default();
        let amocrm = crate::amocrm::Account::seeded(portal.world().clone(), options, &base_url);
        Shared::of(portal, amocrm, clock, base_url)
    }

    /// [`Shared::new`] with the amoCRM account behaving as `amocrm` says;
    /// fails when its state file exists but cannot be read.
    pub fn open(
        mut portal: Portal,
        clock: Arc<AdjustableClock>,
        base_url: impl Into<String>,
        amocrm: crate::amocrm::AccountOptions,
    ) -> std::io::Result<Self> {
        let base_url = base_url.into();
        portal.set_public_url(&base_url);
        let amocrm = crate::amocrm::Account::open(portal.world().clone(), amocrm, &base_url)?;
        Ok(Shared::of(portal, amocrm, clock, base_url))
    }

    fn of(portal: Portal, amocrm: crate::amocrm::Account, clock: Arc<AdjustableClock>, base_url: String) -> Self {
        Shared {
            bitrix24: Arc::new(portal),
            amocrm: Arc::new(amocrm),
            clock,
            base_url: Arc::new(base_url),
            journal: Arc::default(),
            faults: Arc::default(),
            admin_token: None,
            crms: Crms::Both,
            tls_ca_file: None,
        }
    }

    /// The amoCRM account behaves as `options` say (default: the vendor's 7
    /// requests per second).
    ///
    /// # Panics
    ///
    /// When `options.state_file` exists and cannot be read: a test's setup
    /// error. Servers use [`Shared::try_with_amocrm_options`].
    pub fn with_amocrm_options(self, options: crate::amocrm::AccountOptions) -> Self {
        match self.try_with_amocrm_options(options) {
            Ok(shared) => shared,
            Err(e) => panic!("the amoCRM state file cannot be read: {e}"),
        }
    }

    /// [`Shared::with_amocrm_options`], failing when `options.state_file`
    /// exists but cannot be read.
    pub fn try_with_amocrm_options(mut self, options: crate::amocrm::AccountOptions) -> std::io::Result<Self> {
        self.amocrm = Arc::new(crate::amocrm::Account::open(self.bitrix24.world().clone(), options, &self.base_url)?);
        Ok(self)
    }

    /// Opens the admin API to clients that send `token` in the
    /// `X-Callfull-Admin-Token` header (loopback clients need none).
    pub fn with_admin_token(mut self, token: impl Into<Arc<str>>) -> Self {
        self.admin_token = Some(token.into());
        self
    }
}

/// Collects a request body of at most [`MAX_BODY`] bytes.
async fn read_body<S, B>(mut body: S) -> Result<Bytes, B24Error>
where
    S: futures_util::Stream<Item = Result<B, warp::Error>> + Unpin,
    B: bytes::Buf,
{
    use futures_util::StreamExt;
    let mut out = bytes::BytesMut::new();
    while let Some(chunk) = body.next().await {
        let mut chunk = chunk.map_err(|e| B24Error::invalid_request(format!("cannot read the request body: {e}")))?;
        if out.len() as u64 + chunk.remaining() as u64 > MAX_BODY {
            return Err(B24Error::too_large(MAX_BODY));
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            out.extend_from_slice(part);
            let n = part.len();
            chunk.advance(n);
        }
    }
    Ok(out.freeze())
}

fn to_warp(response: Response) -> warp::reply::Response {
    let mut reply = warp::reply::Response::new(response.body.into());
    *reply.status_mut() = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = reply.headers_mut();
    headers.insert("content-type", HeaderValue::from_static(response.content_type));
    headers.insert("x-powered-by", HeaderValue::from_static("callfull"));
    reply
}

/// Every route of the server, as one warp filter: the request is read, then
/// [`router::handle`](crate::router::handle) answers it.
pub fn routes(shared: Shared) -> impl Filter<Extract = (warp::reply::Response,), Error = Infallible> + Clone {
    let header = |name: &'static str| warp::header::optional::<String>(name);
    warp::method()
        .and(warp::path::full())
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(header("content-type"))
        .and(header("authorization"))
        .and(header(crate::router::ADMIN_TOKEN_HEADER))
        .and(warp::header::optional::<u64>("content-length").or(warp::any().map(|| None)).unify())
        .and(warp::addr::remote())
        .and(warp::body::stream())
        .then(
            move |method: warp::http::Method,
                  path: warp::path::FullPath,
                  query: String,
                  content_type: Option<String>,
                  authorization: Option<String>,
                  admin_token: Option<String>,
                  length: Option<u64>,
                  remote: Option<SocketAddr>,
                  body| {
                let shared = shared.clone();
                async move {
                    // Refuse a declared oversize body before reading it, and stop
                    // reading an undeclared (chunked) one at the limit.
                    if length.is_some_and(|l| l > MAX_BODY) {
                        return to_warp(crate::router::too_large(path.as_str()));
                    }
                    let body = match read_body(body).await {
                        Ok(body) => body,
                        Err(e) if e.status == 413 => return to_warp(crate::router::too_large(path.as_str())),
                        Err(e) => return to_warp(Response::error(&e)),
                    };
                    let request = Request {
                        method: method.as_str().to_owned(),
                        path: path.as_str().to_owned(),
                        query,
                        content_type,
                        authorization,
                        admin_token,
                        remote,
                        body,
                    };
                    to_warp(crate::router::serve_one(&shared, &request).await)
                }
            },
        )
        .recover(|rejection: warp::Rejection| async move {
            // Only a header that cannot be read gets here (the path, method
            // and body are never refused by the filters above).
            let e = B24Error::invalid_request(format!("the request headers cannot be read: {rejection:?}"));
            Ok::<_, Infallible>(to_warp(Response::error(&e)))
        })
        .unify()
}

/// How the server itself (not the CRMs behind it) runs.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Serve HTTPS with a certificate made at start (`None`: plain http).
    pub tls: Option<crate::TlsConfig>,
    /// Open the admin API to clients off this machine that send this token.
    pub admin_token: Option<String>,
    /// Which CRMs answer (default both).
    pub crms: Crms,
    /// How the amoCRM account behaves (rate limit, state file, …).
    pub amocrm: crate::amocrm::AccountOptions,
}

/// Which fake CRMs a server answers for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Crms {
    /// Bitrix24 (`/rest/…`) and amoCRM (`/api/v4/…`).
    #[default]
    Both,
    /// Bitrix24 only.
    Bitrix24,
    /// amoCRM only.
    AmoCrm,
}

impl Crms {
    /// Whether the Bitrix24 portal answers.
    pub fn bitrix24(self) -> bool {
        self != Crms::AmoCrm
    }

    /// Whether the amoCRM account answers.
    pub fn amocrm(self) -> bool {
        self != Crms::Bitrix24
    }
}

/// A running fake CRM server; dropping it shuts the server down.
pub struct CrmServer {
    addr: SocketAddr,
    shared: Shared,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl CrmServer {
    /// `http://127.0.0.1:PORT` (`https://…` when served with TLS).
    pub fn uri(&self) -> String {
        self.shared.base_url.as_str().to_owned()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The Bitrix24 incoming-webhook URL (`…/rest/{user}/{code}/`).
    pub fn bitrix24_webhook_url(&self) -> String {
        format!("{}{}", self.uri(), self.shared.bitrix24.webhook_path())
    }

    /// The Bitrix24 portal behind it.
    pub fn bitrix24(&self) -> &Portal {
        &self.shared.bitrix24
    }

    /// The amoCRM account behind it.
    pub fn amocrm(&self) -> &crate::amocrm::Account {
        &self.shared.amocrm
    }

    /// The requests it answered (the last [`JOURNAL_CAP`](crate::admin::JOURNAL_CAP)), as `GET /_admin/journal` lists them.
    pub fn journal(&self) -> &crate::admin::Journal {
        &self.shared.journal
    }

    /// Which CRMs it answers for.
    pub fn crms(&self) -> Crms {
        self.shared.crms
    }

    /// The CA certificate file clients must trust, when served with TLS.
    pub fn tls_ca_file(&self) -> Option<&std::path::Path> {
        self.shared.tls_ca_file.as_deref().map(std::path::PathBuf::as_path)
    }
}

impl Drop for CrmServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts the fake on `addr` (port 0 for an ephemeral one) inside the current
/// tokio runtime, over plain http.
pub async fn spawn(
    world: callfull_world::World,
    addr: SocketAddr,
    clock: Arc<AdjustableClock>,
    options: crate::bitrix24::PortalOptions,
) -> std::io::Result<CrmServer> {
    spawn_with(world, addr, clock, options, ServerOptions::default()).await
}

/// [`spawn`], over HTTPS when `tls` is given: a certificate is made for this
/// run and its CA written to [`TlsConfig::ca_file`](crate::TlsConfig::ca_file)
/// (see [`crate::tls`]), and the URLs are `https://…`.
pub async fn spawn_with(
    world: callfull_world::World,
    addr: SocketAddr,
    clock: Arc<AdjustableClock>,
    options: crate::bitrix24::PortalOptions,
    server: ServerOptions,
) -> std::io::Result<CrmServer> {
    let ServerOptions { tls, admin_token, crms, amocrm } = server;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let portal = Portal::open(world, options)?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async {
        let _ = rx.await;
    };
    let identity = match &tls {
        Some(tls) => {
            let identity = crate::tls::Identity::generate(&crate::tls::certificate_names(addr.ip(), &tls.extra_names))?;
            identity.write_ca(&tls.ca_file)?;
            Some(identity)
        }
        None => None,
    };
    let base_url = if tls.is_some() { crate::tls::base_url(addr) } else { format!("http://{addr}") };
    let mut shared = Shared::open(portal, clock, base_url, amocrm)?;
    shared.tls_ca_file = tls.map(|tls| Arc::new(tls.ca_file));
    shared.admin_token = admin_token.map(Into::into);
    shared.crms = crms;
    tokio::spawn(crate::http::serve(listener, identity.map(|i| i.acceptor()), shared.clone(), shutdown));
    Ok(CrmServer { addr, shared, shutdown: Some(tx) })
}
