//! The HTTP side: warp routes for the Bitrix24 REST endpoints and the admin
//! API, and a server on a port of your choice or an ephemeral one.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Map, Value, json};
use warp::http::StatusCode;
use warp::{Filter, Rejection, Reply};

use crate::bitrix24::{Auth, B24Error, Portal};
use crate::clock::Clock;
use crate::params;

/// The largest request body accepted (a real call's requests are a few KiB).
pub const MAX_BODY: u64 = 16 << 20;

/// What every handler shares.
#[derive(Clone)]
pub struct Shared {
    /// The Bitrix24 portal.
    pub bitrix24: Arc<Portal>,
    /// The server's clock.
    pub clock: Arc<dyn Clock>,
    /// The base URL clients reach the server at (`http://127.0.0.1:8080`).
    pub base_url: Arc<String>,
}

fn json_reply(status: u16, body: &Value) -> warp::reply::Response {
    let mut response = warp::reply::with_status(
        warp::reply::with_header(body.to_string(), "content-type", "application/json; charset=utf-8"),
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    )
    .into_response();
    response.headers_mut().insert("x-powered-by", warp::http::HeaderValue::from_static("callfull"));
    response
}

/// The token of an OAuth-style call: `Authorization: Bearer …`, `auth` or `access_token`.
fn token_of(authorization: Option<&str>, params: &Map<String, Value>) -> Option<String> {
    authorization
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::to_owned)
        .or_else(|| params::get(params, "auth").and_then(Value::as_str).map(str::to_owned))
        .or_else(|| params::get(params, "access_token").and_then(Value::as_str).map(str::to_owned))
}

/// `POST|GET /rest/{user}/{code}/{method}` and `/rest/{method}`.
fn bitrix24_call(
    shared: &Shared,
    tail: &str,
    query: &str,
    content_type: Option<&str>,
    authorization: Option<&str>,
    body: &Bytes,
) -> warp::reply::Response {
    let started = shared.clock.now_micros();
    let segments: Vec<&str> = tail.split('/').filter(|s| !s.is_empty()).collect();
    let mut params = params::parse_form(query.as_bytes());
    let is_json = content_type.is_some_and(|c| c.to_ascii_lowercase().contains("json"));
    let is_multipart = content_type.is_some_and(|c| c.to_ascii_lowercase().starts_with("multipart/"));
    if is_multipart {
        return json_reply(
            400,
            &B24Error::invalid_request(
                "multipart/form-data bodies are not served by this fake yet; use a form or JSON body",
            )
            .body(),
        );
    }
    let from_body = if is_json { params::parse_json(body) } else { Ok(params::parse_form(body)) };
    match from_body {
        Ok(body_params) => params.extend(body_params),
        Err(e) => return json_reply(400, &B24Error::invalid_request(e.to_string()).body()),
    }
    let (auth, method) = match segments.as_slice() {
        [user, code, method] => (Auth::Webhook { user, code }, *method),
        [method] => (Auth::Token(token_of(authorization, &params)), *method),
        _ => return json_reply(404, &B24Error::method_not_found().body()),
    };
    match shared.bitrix24.call(&auth, method, &params, started) {
        Ok(answer) => json_reply(200, &shared.bitrix24.envelope(answer, shared.clock.as_ref(), started)),
        Err(e) => json_reply(e.status, &e.body()),
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

/// `GET /_admin/info`: where to reach each fake CRM and with what credentials.
fn admin_info(shared: &Shared) -> warp::reply::Response {
    let base = shared.base_url.as_str();
    let portal = &shared.bitrix24;
    json_reply(
        200,
        &json!({
            "bitrix24": {
                "webhook_url": format!("{base}{}", portal.webhook_path()),
                "oauth_endpoint": format!("{base}/rest/"),
                "access_token": portal.access_token(),
                "methods": crate::bitrix24::methods().collect::<Vec<_>>(),
            },
            "admin_url": format!("{base}/_admin/"),
        }),
    )
}

/// Every route of the server.
pub fn routes(shared: Shared) -> impl Filter<Extract = (warp::reply::Response,), Error = Infallible> + Clone {
    let with_shared = {
        let shared = shared.clone();
        warp::any().map(move || shared.clone())
    };
    let query = warp::query::raw().or(warp::any().map(String::new)).unify();
    let rest = warp::path("rest")
        .and(warp::path::tail())
        .and(warp::get().or(warp::post()).unify())
        .and(query)
        .and(warp::header::optional::<String>("content-type"))
        .and(warp::header::optional::<String>("authorization"))
        .and(warp::header::optional::<u64>("content-length"))
        .and(warp::body::stream())
        .and(with_shared.clone())
        .then(
            |tail: warp::path::Tail,
             query: String,
             ct: Option<String>,
             auth: Option<String>,
             length: Option<u64>,
             body,
             shared: Shared| async move {
                // Refuse a declared oversize body before reading it, and stop
                // reading an undeclared (chunked) one at the limit.
                if length.is_some_and(|l| l > MAX_BODY) {
                    return json_reply(413, &B24Error::too_large(MAX_BODY).body());
                }
                match read_body(body).await {
                    Ok(body) => bitrix24_call(&shared, tail.as_str(), &query, ct.as_deref(), auth.as_deref(), &body),
                    Err(e) => json_reply(e.status, &e.body()),
                }
            },
        );
    let info =
        warp::path!("_admin" / "info").and(warp::get()).and(with_shared).map(|shared: Shared| admin_info(&shared));
    rest.or(info).unify().recover(recover).unify()
}

/// Turns warp's own rejections into Bitrix24-shaped errors: no request gets
/// an HTML page or an empty 500.
async fn recover(rejection: Rejection) -> Result<warp::reply::Response, Infallible> {
    let error = if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        B24Error::new(405, "INVALID_REQUEST", "Use GET or POST")
    } else {
        B24Error::method_not_found()
    };
    Ok(json_reply(error.status, &error.body()))
}

/// A running fake CRM server; dropping it shuts the server down.
pub struct CrmServer {
    addr: SocketAddr,
    shared: Shared,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl CrmServer {
    /// `http://127.0.0.1:PORT`.
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
}

impl Drop for CrmServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts the fake on `addr` (port 0 for an ephemeral one) inside the current
/// tokio runtime.
pub async fn spawn(
    world: callfull_world::World,
    addr: SocketAddr,
    clock: Arc<dyn Clock>,
    options: crate::bitrix24::PortalOptions,
) -> std::io::Result<CrmServer> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let shared = Shared {
        bitrix24: Arc::new(Portal::with_options(world, options)),
        clock,
        base_url: Arc::new(format!("http://{addr}")),
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = warp::serve(routes(shared.clone())).incoming(listener).graceful(async {
        let _ = rx.await;
    });
    tokio::spawn(server.run());
    Ok(CrmServer { addr, shared, shutdown: Some(tx) })
}
