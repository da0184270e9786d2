//! The HTTP side: warp routes for the Bitrix24 REST endpoints and the admin
//! API, and a server on a port of your choice or an ephemeral one.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Map, Value, json};
use warp::http::StatusCode;
use warp::{Filter, Rejection, Reply};

use crate::admin::{AdjustableClock, Entry, Fault, Faults, Journal};
use crate::bitrix24::{Auth, B24Error, Portal, normalize_method};
use crate::clock::Clock;
use crate::params;

/// The largest request body accepted (a real call's requests are a few KiB).
pub const MAX_BODY: u64 = 16 << 20;

/// Requests larger than this are journaled without their parameters.
const JOURNAL_PARAMS_MAX: usize = 8 << 10;

/// What every handler shares.
#[derive(Clone)]
pub struct Shared {
    /// The Bitrix24 portal.
    pub bitrix24: Arc<Portal>,
    /// The server's clock (the admin API can move it forward).
    pub clock: Arc<AdjustableClock>,
    /// The base URL clients reach the server at (`http://127.0.0.1:8080`).
    pub base_url: Arc<String>,
    /// The last requests answered.
    pub journal: Arc<Journal>,
    /// Faults to inject.
    pub faults: Arc<Faults>,
}

impl Shared {
    /// The state of a server for `portal` on `clock`, reached at `base_url`.
    pub fn new(portal: Portal, clock: Arc<AdjustableClock>, base_url: impl Into<String>) -> Self {
        Shared {
            bitrix24: Arc::new(portal),
            clock,
            base_url: Arc::new(base_url.into()),
            journal: Arc::default(),
            faults: Arc::default(),
        }
    }
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
async fn bitrix24_call(
    shared: &Shared,
    tail: &str,
    query: &str,
    content_type: Option<&str>,
    authorization: Option<&str>,
    body: &Bytes,
) -> warp::reply::Response {
    let started = shared.clock.now_micros();
    let request_bytes = query.len() + body.len();
    let segments: Vec<&str> = tail.split('/').filter(|s| !s.is_empty()).collect();
    let method = normalize_method(segments.last().copied().unwrap_or(""));
    let mut params = params::parse_form(query.as_bytes());
    let outcome = read_params(&mut params, content_type, body).and_then(|()| match segments.as_slice() {
        [user, code, method] => Ok((Auth::Webhook { user, code }, *method)),
        [method] => Ok((Auth::Token(token_of(authorization, &params)), *method)),
        _ => Err(B24Error::method_not_found()),
    });
    let auth_kind = if segments.len() == 3 { "webhook" } else { "token" };
    let result = match outcome {
        Err(e) => Err(e),
        Ok((auth, method_name)) => {
            let hit = shared.faults.hit(&method);
            if let Some(latency) = hit.as_ref().map(|h| h.latency_ms).filter(|ms| *ms > 0) {
                tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
            }
            match hit.and_then(|h| h.error) {
                Some(error) => Err(error),
                None => shared.bitrix24.call(&auth, method_name, &params, started),
            }
        }
    };
    let (status, body) = match result {
        Ok(answer) => (200, shared.bitrix24.envelope(answer, shared.clock.as_ref(), started)),
        Err(e) => (e.status, e.body()),
    };
    shared.journal.push(Entry {
        seq: 0,
        time_micros: started,
        crm: "bitrix24",
        method,
        auth: auth_kind,
        // Large requests are not kept whole: the journal stays small however
        // big the bodies clients send.
        params: if request_bytes > JOURNAL_PARAMS_MAX {
            json!({ "_truncated": true, "bytes": request_bytes })
        } else {
            Value::Object(params)
        },
        status,
        error: body.get("error").and_then(Value::as_str).map(str::to_owned),
    });
    json_reply(status, &body)
}

/// Adds the body's parameters (form or JSON) to those of the query string.
fn read_params(params: &mut Map<String, Value>, content_type: Option<&str>, body: &Bytes) -> Result<(), B24Error> {
    let content_type = content_type.map(str::to_ascii_lowercase).unwrap_or_default();
    if content_type.starts_with("multipart/") {
        return Err(B24Error::invalid_request(
            "multipart/form-data bodies are not served by this fake yet; use a form or JSON body",
        ));
    }
    let from_body = if content_type.contains("json") {
        params::parse_json(body).map_err(|e| B24Error::invalid_request(e.to_string()))?
    } else {
        params::parse_form(body)
    };
    params.extend(from_body);
    Ok(())
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
                "oauth": {
                    "token_url": format!("{base}/oauth/token/"),
                    "client_id": portal.oauth().client_id,
                    "client_secret": portal.oauth().client_secret,
                    "new_code_url": format!("{base}/_admin/oauth/code"),
                },
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
                    Ok(body) => {
                        bitrix24_call(&shared, tail.as_str(), &query, ct.as_deref(), auth.as_deref(), &body).await
                    }
                    Err(e) => json_reply(e.status, &e.body()),
                }
            },
        );
    let oauth_token = warp::path!("oauth" / "token" / ..)
        .and(warp::get().or(warp::post()).unify())
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(warp::body::stream())
        .and(with_shared.clone())
        .then(|query: String, body, shared: Shared| async move {
            let body = match read_body(body).await {
                Ok(body) => body,
                Err(e) => return json_reply(e.status, &e.body()),
            };
            let mut params = params::parse_form(query.as_bytes());
            params.extend(params::parse_form(&body));
            let (status, body) =
                shared.bitrix24.oauth().token_endpoint(&params, shared.clock.now_micros(), shared.base_url.as_str());
            json_reply(status, &body)
        });
    let new_code = warp::path!("_admin" / "oauth" / "code")
        .and(loopback_only())
        .and(warp::post())
        .and(with_shared.clone())
        .map(|shared: Shared| json_reply(200, &json!({ "code": shared.bitrix24.oauth().new_code() })));
    let info = warp::path!("_admin" / "info")
        .and(loopback_only())
        .and(warp::get())
        .and(with_shared.clone())
        .map(|shared: Shared| admin_info(&shared));
    let admin = warp::path("_admin").and(loopback_only()).and(with_shared);
    let journal = admin.clone().and(warp::path!("journal")).and(warp::get()).and(warp::query::<JournalQuery>()).map(
        |shared: Shared, q: JournalQuery| {
            let entries = shared.journal.query(q.method.as_deref(), q.status, q.limit);
            json_reply(200, &json!({ "entries": entries }))
        },
    );
    let journal_clear = admin.clone().and(warp::path!("journal")).and(warp::delete()).map(|shared: Shared| {
        shared.journal.clear();
        json_reply(200, &json!({ "cleared": true }))
    });
    let reset = admin.clone().and(warp::path!("reset")).and(warp::post()).map(|shared: Shared| {
        shared.bitrix24.reset();
        shared.journal.clear();
        shared.faults.clear();
        json_reply(200, &json!({ "reset": true }))
    });
    let state = admin
        .clone()
        .and(warp::path!("state"))
        .and(warp::get())
        .map(|shared: Shared| json_reply(200, &json!({ "bitrix24": shared.bitrix24.dump() })));
    let clock = admin
        .clone()
        .and(warp::path!("clock"))
        .and(warp::post())
        .and(warp::body::content_length_limit(4096))
        .and(warp::body::json::<ClockChange>())
        .map(|shared: Shared, change: ClockChange| {
            // The clock stays within years 1970–9999 (beyond, its sums overflow).
            const MAX_MICROS: i64 = 253_402_300_799 * 1_000_000;
            let step = change.advance_secs.checked_mul(1_000_000);
            let then = step.and_then(|m| shared.clock.now_micros().checked_add(m));
            match (step, then) {
                (Some(step), Some(then)) if (0..=MAX_MICROS).contains(&then) => {
                    shared.clock.advance(step);
                    json_reply(200, &json!({ "now_micros": shared.clock.now_micros() }))
                }
                _ => json_reply(
                    400,
                    &B24Error::invalid_request("advance_secs would move the clock outside the years 1970-9999").body(),
                ),
            }
        });
    let fault_add = admin
        .clone()
        .and(warp::path!("faults"))
        .and(warp::post())
        .and(warp::body::content_length_limit(4096))
        .and(warp::body::json::<Fault>())
        .map(|shared: Shared, fault: Fault| {
            shared.faults.add(fault);
            json_reply(200, &json!({ "faults": shared.faults.list() }))
        });
    let fault_list = admin
        .clone()
        .and(warp::path!("faults"))
        .and(warp::get())
        .map(|shared: Shared| json_reply(200, &json!({ "faults": shared.faults.list() })));
    let fault_clear = admin.and(warp::path!("faults")).and(warp::delete()).map(|shared: Shared| {
        shared.faults.clear();
        json_reply(200, &json!({ "faults": [] }))
    });
    rest.or(oauth_token)
        .unify()
        .or(new_code)
        .unify()
        .or(info)
        .unify()
        .or(journal)
        .unify()
        .or(journal_clear)
        .unify()
        .or(reset)
        .unify()
        .or(state)
        .unify()
        .or(clock)
        .unify()
        .or(fault_add)
        .unify()
        .or(fault_list)
        .unify()
        .or(fault_clear)
        .unify()
        .recover(recover)
        .unify()
}

#[derive(Debug, serde::Deserialize)]
struct JournalQuery {
    method: Option<String>,
    status: Option<u16>,
    limit: Option<usize>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    advance_secs: i64,
}

/// The admin API answers only clients on this machine.
fn loopback_only() -> impl Filter<Extract = (), Error = Rejection> + Clone {
    warp::addr::remote()
        .and_then(|addr: Option<SocketAddr>| async move {
            match addr {
                Some(a) if !a.ip().is_loopback() => Err(warp::reject::custom(NotLoopback)),
                _ => Ok(()),
            }
        })
        .untuple_one()
}

#[derive(Debug)]
struct NotLoopback;

impl warp::reject::Reject for NotLoopback {}

/// Turns warp's own rejections into Bitrix24-shaped errors: no request gets
/// an HTML page or an empty 500.
async fn recover(rejection: Rejection) -> Result<warp::reply::Response, Infallible> {
    let error = if rejection.find::<NotLoopback>().is_some() {
        B24Error::new(403, "ACCESS_DENIED", "The admin API answers only loopback clients")
    } else if let Some(e) = rejection.find::<warp::filters::body::BodyDeserializeError>() {
        B24Error::invalid_request(format!("admin request body: {e}"))
    } else if let Some(e) = rejection.find::<warp::reject::InvalidHeader>() {
        // A header value that is not visible ASCII (`Content-Type`, `Authorization`).
        B24Error::invalid_request(e.to_string())
    } else if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
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
    clock: Arc<AdjustableClock>,
    options: crate::bitrix24::PortalOptions,
) -> std::io::Result<CrmServer> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let portal = Portal::open(world, options)?;
    let shared = Shared::new(portal, clock, format!("http://{addr}"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = warp::serve(routes(shared.clone())).incoming(listener).graceful(async {
        let _ = rx.await;
    });
    tokio::spawn(server.run());
    Ok(CrmServer { addr, shared, shutdown: Some(tx) })
}
