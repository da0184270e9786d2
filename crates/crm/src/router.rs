//! One request in, one answer out, whatever carries it: warp (`server.rs`)
//! and a `wiremock::MockServer` (`mock.rs`) both hand requests to [`handle`].
//! Routing is a plain `match` on the path: a warp filter chain this long
//! costs compile time (and type recursion) and a little time per request.

use std::net::SocketAddr;

use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::admin::{Entry, Fault};
use crate::bitrix24::events::Delivery;
use crate::bitrix24::{Auth, B24Error, normalize_method};
use crate::clock::Clock;
use crate::params;
use crate::server::Shared;

/// The largest request body accepted (a real call's requests are a few KiB).
pub const MAX_BODY: u64 = 16 << 20;

/// Requests larger than this are journaled without their parameters.
const JOURNAL_PARAMS_MAX: usize = 8 << 10;

/// The header that opens the admin API to clients off this machine when the
/// server has an admin token.
pub const ADMIN_TOKEN_HEADER: &str = "x-callfull-admin-token";

/// What the fake needs of an HTTP request.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, percent-encoded as it came.
    pub path: String,
    /// The raw query string (no `?`).
    pub query: String,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Authorization`.
    pub authorization: Option<String>,
    /// The admin token header, when sent.
    pub admin_token: Option<String>,
    /// The client's address (`None` in-process: treated as this machine).
    pub remote: Option<SocketAddr>,
    /// The body (at most [`MAX_BODY`] bytes).
    pub body: Bytes,
}

/// What the fake answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: Vec<u8>,
    /// Wait this long before answering (an injected latency).
    pub delay_ms: u64,
    /// Events to post to handlers once answered.
    pub deliveries: Vec<Delivery>,
    /// `Content-Type` of the body.
    pub content_type: &'static str,
}

impl Response {
    fn json(status: u16, body: &Value) -> Self {
        Response {
            status,
            body: serde_json::to_vec(body).unwrap_or_default(),
            delay_ms: 0,
            deliveries: Vec::new(),
            content_type: Response::CONTENT_TYPE,
        }
    }

    /// The answer for an error.
    pub fn error(e: &B24Error) -> Self {
        Response::json(e.status, &e.body())
    }

    /// `application/json; charset=utf-8`, as Bitrix24 labels every answer
    /// (amoCRM answers carry their own types).
    pub const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";
}

/// The answer to a body over [`MAX_BODY`] sent to `path`, in the shape of
/// the CRM the path belongs to.
pub fn too_large(path: &str) -> Response {
    if path.starts_with("/api/v4") || path.starts_with("/oauth2/") {
        let e = crate::amocrm::AmoError::new(
            413,
            "Request Entity Too Large",
            format!("Request body is larger than {MAX_BODY} bytes"),
        );
        amo_response(e.into())
    } else {
        Response::error(&B24Error::too_large(MAX_BODY))
    }
}

/// [`handle`], then what a network transport does with the answer: its
/// event deliveries started and its injected latency waited out.
pub(crate) async fn serve_one(shared: &Shared, request: &Request) -> Response {
    let mut response = handle(shared, request);
    let deliveries = std::mem::take(&mut response.deliveries);
    crate::deliver::spawn_all(deliveries, shared.journal.clone(), shared.clock.now_micros());
    if response.delay_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(response.delay_ms)).await;
    }
    response
}

/// Answers one request.
pub fn handle(shared: &Shared, request: &Request) -> Response {
    let path = request.path.as_str();
    if let Some(tail) = path.strip_prefix("/rest/").filter(|_| shared.crms.bitrix24()) {
        if !matches!(request.method.as_str(), "GET" | "POST") {
            return Response::error(&B24Error::new(405, "INVALID_REQUEST", "Use GET or POST"));
        }
        return rest(shared, tail, request);
    }
    if let Some(api_path) = path.strip_prefix("/api/v4").filter(|_| shared.crms.amocrm()) {
        if api_path.is_empty() || api_path.starts_with('/') {
            return amocrm(shared, api_path, request);
        }
    }
    if path == "/oauth2/access_token" && shared.crms.amocrm() {
        let now = shared.clock.now_micros();
        let answer = shared.amocrm.oauth_token(&request.method, &request.body, now);
        return amo_response(answer);
    }
    if (path == "/oauth/token" || path.starts_with("/oauth/token/")) && shared.crms.bitrix24() {
        let mut params = params::parse_form(request.query.as_bytes());
        params.extend(params::parse_form(&request.body));
        let (status, body) =
            shared.bitrix24.oauth().token_endpoint(&params, shared.clock.now_micros(), shared.base_url.as_str());
        return Response::json(status, &body);
    }
    if let Some(admin_path) = path.strip_prefix("/_admin") {
        if !admin_allowed(shared, request) {
            return Response::error(&B24Error::new(
                403,
                "ACCESS_DENIED",
                "The admin API answers only loopback clients, or clients sending the admin token",
            ));
        }
        return admin(shared, admin_path.trim_end_matches('/'), request);
    }
    Response::error(&B24Error::method_not_found())
}

fn admin_allowed(shared: &Shared, request: &Request) -> bool {
    let local = request.remote.is_none_or(|a| a.ip().is_loopback());
    let token = shared.admin_token.as_deref().is_some_and(|t| request.admin_token.as_deref() == Some(t));
    local || token
}

/// The token of an OAuth-style call: `Authorization: Bearer …`, `auth` or `access_token`.
/// An empty token is no token.
fn token_of(authorization: Option<&str>, params: &Map<String, Value>) -> Option<String> {
    let present = |t: &&str| !t.trim().is_empty();
    authorization
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .filter(present)
        .or_else(|| params::get(params, "auth").and_then(Value::as_str).filter(present))
        .or_else(|| params::get(params, "access_token").and_then(Value::as_str).filter(present))
        .map(|t| t.trim().to_owned())
}

/// `GET|POST /rest/{user}/{code}/{method}` and `/rest/{method}`.
fn rest(shared: &Shared, tail: &str, request: &Request) -> Response {
    let started = shared.clock.now_micros();
    let request_bytes = request.query.len() + request.body.len();
    let segments: Vec<&str> = tail.split('/').filter(|s| !s.is_empty()).collect();
    let method = normalize_method(segments.last().copied().unwrap_or(""));
    let mut params = params::parse_form(request.query.as_bytes());
    let outcome =
        read_params(&mut params, request.content_type.as_deref(), &request.body).and_then(|()| {
            match segments.as_slice() {
                [user, code, method] => Ok((Auth::Webhook { user, code }, *method)),
                [method] => Ok((Auth::Token(token_of(request.authorization.as_deref(), &params)), *method)),
                _ => Err(B24Error::method_not_found()),
            }
        });
    let auth_kind = if segments.len() == 3 { "webhook" } else { "token" };
    let mut delay_ms = 0;
    let result = outcome.and_then(|(auth, method_name)| {
        let hit = shared.faults.hit(&method);
        delay_ms = hit.as_ref().map_or(0, |h| h.latency_ms);
        match hit.and_then(|h| h.error) {
            Some(error) => Err(error),
            None => shared.bitrix24.call(&auth, method_name, &params, started),
        }
    });
    let (response, error, named) = match result {
        Ok(answer) => {
            let body = shared.bitrix24.envelope(&answer, shared.clock.as_ref(), started);
            let named = answer.journaled;
            (Response { status: 200, body, delay_ms, ..Response::json(200, &Value::Null) }, None, named)
        }
        Err(e) => (Response { delay_ms, ..Response::error(&e) }, Some(e.code.into_owned()), None),
    };
    let status = response.status;
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
        error,
        result: named,
    });
    response
}

/// `/api/v4/…`: the amoCRM account, journaled as `GET /contacts` etc.
fn amocrm(shared: &Shared, api_path: &str, request: &Request) -> Response {
    let started = shared.clock.now_micros();
    let method_name = format!("{} {}", request.method, api_path);
    let hit = shared.faults.hit(&method_name);
    let delay_ms = hit.as_ref().map_or(0, |h| h.latency_ms);
    let too_big = request.query.len() + request.body.len() > JOURNAL_PARAMS_MAX;
    // Read once: the account answers from it, then the journal keeps it.
    let read = crate::amocrm::AmoRequest::read(
        &request.method,
        api_path,
        &request.query,
        request.authorization.as_deref(),
        &request.body,
    );
    let answer = match hit.and_then(|h| h.error) {
        Some(e) => crate::amocrm::AmoAnswer::from(crate::amocrm::AmoError::new(e.status, e.code, e.description)),
        None => shared.amocrm.serve(&read, started),
    };
    let params = if too_big {
        json!({ "_truncated": true, "bytes": request.query.len() + request.body.len() })
    } else {
        let mut params = read.query;
        if let Some(body) = read.json {
            params.insert("_body".into(), body);
        }
        Value::Object(params)
    };
    let error = (answer.status >= 400)
        .then(|| answer.body.as_ref().and_then(|b| b.get("title")).and_then(Value::as_str).map(str::to_owned))
        .flatten();
    shared.journal.push(Entry {
        seq: 0,
        time_micros: started,
        crm: "amocrm",
        method: method_name,
        auth: "bearer",
        params,
        status: answer.status,
        error,
        result: None,
    });
    Response { delay_ms, ..amo_response(answer) }
}

fn amo_response(answer: crate::amocrm::AmoAnswer) -> Response {
    Response {
        status: answer.status,
        body: answer.body.map(|b| serde_json::to_vec(&b).unwrap_or_default()).unwrap_or_default(),
        delay_ms: 0,
        deliveries: Vec::new(),
        content_type: answer.content_type,
    }
}

/// Adds the body's parameters (form, multipart or JSON) to those of the query string.
fn read_params(params: &mut Map<String, Value>, content_type: Option<&str>, body: &Bytes) -> Result<(), B24Error> {
    let content_type = content_type.unwrap_or_default();
    let lower = content_type.to_ascii_lowercase();
    let from_body = if lower.starts_with("multipart/") {
        params::parse_multipart(body, content_type).map_err(|e| B24Error::invalid_request(e.to_string()))?
    } else if lower.contains("json") {
        params::parse_json(body).map_err(|e| B24Error::invalid_request(e.to_string()))?
    } else {
        params::parse_form(body)
    };
    params.extend(from_body);
    Ok(())
}

/// `/_admin/…` (the path after `/_admin`, without a trailing `/`).
fn admin(shared: &Shared, path: &str, request: &Request) -> Response {
    let ok = |body: Value| Response::json(200, &body);
    match (request.method.as_str(), path) {
        ("GET", "/info" | "") => ok(info(shared)),
        ("GET", "/journal") => {
            let mut method = None;
            let mut status = None;
            let mut limit = None;
            for (key, value) in form_urlencoded::parse(request.query.as_bytes()) {
                match &*key {
                    "method" => method = Some(value.into_owned()),
                    "status" => match value.parse() {
                        Ok(s) => status = Some(s),
                        Err(_) => return bad_admin(format!("status `{value}` is not an HTTP status")),
                    },
                    "limit" => match value.parse() {
                        Ok(l) => limit = Some(l),
                        Err(_) => return bad_admin(format!("limit `{value}` is not a number")),
                    },
                    other => return bad_admin(format!("unknown journal filter `{other}` (method, status, limit)")),
                }
            }
            ok(json!({ "entries": shared.journal.query(method.as_deref(), status, limit) }))
        }
        ("DELETE", "/journal") => {
            shared.journal.clear();
            ok(json!({ "cleared": true }))
        }
        ("POST", "/reset") => {
            shared.bitrix24.reset();
            shared.amocrm.reset();
            shared.journal.clear();
            shared.faults.clear();
            ok(json!({ "reset": true }))
        }
        ("GET", "/state") => ok(json!({ "bitrix24": shared.bitrix24.dump(), "amocrm": shared.amocrm.dump() })),
        ("POST", "/clock") => match serde_json::from_slice::<ClockChange>(&request.body) {
            Ok(change) => {
                // The clock stays within years 1970–9999 (beyond, its sums overflow).
                const MAX_MICROS: i64 = 253_402_300_799 * 1_000_000;
                let step = change.advance_secs.checked_mul(1_000_000);
                let then = step.and_then(|m| shared.clock.now_micros().checked_add(m));
                match (step, then) {
                    (Some(step), Some(then)) if (0..=MAX_MICROS).contains(&then) => {
                        shared.clock.advance(step);
                        ok(json!({ "now_micros": shared.clock.now_micros() }))
                    }
                    _ => bad_admin("advance_secs would move the clock outside the years 1970-9999".into()),
                }
            }
            Err(e) => bad_admin(format!("admin request body: {e}")),
        },
        ("POST", "/faults") => match serde_json::from_slice::<Fault>(&request.body) {
            Ok(fault) => {
                shared.faults.add(fault);
                ok(json!({ "faults": shared.faults.list() }))
            }
            Err(e) => bad_admin(format!("admin request body: {e}")),
        },
        ("GET", "/faults") => ok(json!({ "faults": shared.faults.list() })),
        ("DELETE", "/faults") => {
            shared.faults.clear();
            ok(json!({ "faults": [] }))
        }
        ("POST", "/oauth/code") => ok(json!({ "code": shared.bitrix24.oauth().new_code(shared.clock.now_micros()) })),
        ("POST", "/amocrm/oauth/code") => {
            ok(json!({ "code": shared.amocrm.oauth().new_code(shared.clock.now_micros()) }))
        }
        ("POST", "/bitrix24/click-to-call" | "/bitrix24/callback" | "/bitrix24/outgoing-webhook") => {
            let params = match params::parse_json(&request.body) {
                Ok(params) => params,
                Err(e) => return bad_admin(format!("admin request body: {e}")),
            };
            let portal = &shared.bitrix24;
            let now = shared.clock.now_micros();
            let outcome = match path {
                "/bitrix24/click-to-call" => portal.click_to_call(&params, now),
                "/bitrix24/callback" => portal.callback_request(&params, now),
                _ => portal.add_outgoing_webhook(&params, now).map(|answer| (answer, Vec::new())),
            };
            match outcome {
                Ok((data, deliveries)) => Response {
                    deliveries: deliveries.clone(),
                    ..ok(
                        json!({ "data": data, "deliveries": deliveries.iter().map(|d| &d.handler).collect::<Vec<_>>() }),
                    )
                },
                Err(e) => Response::error(&e),
            }
        }
        (
            _,
            "/info"
            | ""
            | "/journal"
            | "/reset"
            | "/state"
            | "/clock"
            | "/faults"
            | "/oauth/code"
            | "/bitrix24/click-to-call"
            | "/bitrix24/callback"
            | "/bitrix24/outgoing-webhook",
        ) => Response::error(&B24Error::new(405, "INVALID_REQUEST", "This admin path does not take that HTTP method")),
        _ => Response::error(&B24Error::method_not_found()),
    }
}

fn bad_admin(description: String) -> Response {
    Response::error(&B24Error::invalid_request(description))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    advance_secs: i64,
}

/// `GET /_admin/info`: where to reach each fake CRM and with what credentials.
fn info(shared: &Shared) -> Value {
    let base = shared.base_url.as_str();
    let portal = &shared.bitrix24;
    let mut info = json!({
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
        "amocrm": {
            "base_url": format!("{base}/api/v4"),
            "access_token": shared.amocrm.long_lived_token(),
            "oauth": {
                "token_url": format!("{base}/oauth2/access_token"),
                "client_id": shared.amocrm.oauth().client_id,
                "client_secret": shared.amocrm.oauth().client_secret,
                "redirect_uri": shared.amocrm.oauth().redirect_uri,
                "new_code_url": format!("{base}/_admin/amocrm/oauth/code"),
            },
            "routes": crate::amocrm::routes().collect::<Vec<_>>(),
        },
        "admin_url": format!("{base}/_admin/"),
    });
    if let Some(ca_file) = &shared.tls_ca_file {
        info["tls"] = json!({ "ca_file": ca_file.display().to_string() });
    }
    if let Some(crms) = info.as_object_mut() {
        crms.retain(|key, _| match key.as_str() {
            "bitrix24" => shared.crms.bitrix24(),
            "amocrm" => shared.crms.amocrm(),
            _ => true,
        });
    }
    info
}
