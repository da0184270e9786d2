//! The fake amoCRM (Kommo) account, API v4 (`amocrm-api.md` is the
//! reference): its state (the world's users, contacts, companies and leads,
//! plus what clients wrote), Bearer authentication, the HAL envelopes and
//! `application/problem+json` errors, and the routes under `/api/v4`.
//!
//! Requests reach it through the same router as Bitrix24
//! ([`crate::handle`]): `/api/v4/…` and `/oauth2/access_token`.

mod account;
mod calls;
mod complex;
mod entities;
mod error;
pub(crate) mod events;
mod hal;
mod notes;
pub mod oauth;
mod pipelines;
pub(crate) mod search;
mod table;
mod unsorted;
mod users;

use std::sync::Mutex;

use callfull_world::World;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use error::AmoError;
pub use events::StoredEvent;
pub use notes::StoredNote;
pub use table::{Record, Table};
pub use unsorted::StoredUnsorted;

/// `application/hal+json`: every success.
pub const HAL_JSON: &str = "application/hal+json";
/// `application/problem+json`: every error.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// What the account answers: a status and a JSON body (`None`: 204, no body).
#[derive(Debug, Clone, PartialEq)]
pub struct AmoAnswer {
    /// HTTP status.
    pub status: u16,
    /// The body; `None` for 204 No Content.
    pub body: Option<Value>,
    /// `application/hal+json`, `application/problem+json` or `application/json`.
    pub content_type: &'static str,
}

impl AmoAnswer {
    /// 200 with a HAL body.
    pub fn ok(body: Value) -> Self {
        AmoAnswer { status: 200, body: Some(body), content_type: HAL_JSON }
    }

    /// 204 No Content: an empty list, nothing found.
    pub fn no_content() -> Self {
        AmoAnswer { status: 204, body: None, content_type: HAL_JSON }
    }
}

impl From<AmoError> for AmoAnswer {
    fn from(e: AmoError) -> Self {
        AmoAnswer { status: e.status, body: Some(e.body()), content_type: PROBLEM_JSON }
    }
}

/// How an account behaves; where the spec leaves a question open
/// (`amocrm-api.md` §7) the choice is a setting here.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountOptions {
    /// Requests per second before 429 (`None`: no limit; default 7, the vendor's).
    pub rate_limit: Option<u32>,
    /// The account's paid period is over: every API call answers 402.
    pub payment_required: bool,
    /// Where the records live across restarts (`None`: in memory only).
    /// Every write is saved before it is answered.
    pub state_file: Option<std::path::PathBuf>,
    /// What `POST /api/v4/calls` answers when no call of the batch found a
    /// card for its number (§7.1).
    pub calls_without_entity: NoEntity,
}

impl Default for AccountOptions {
    fn default() -> Self {
        AccountOptions {
            rate_limit: Some(7),
            payment_required: false,
            state_file: None,
            calls_without_entity: NoEntity::default(),
        }
    }
}

/// `POST /api/v4/calls` when nobody has a call's number: the call is not
/// added and is listed in `errors[]` (`{request_id, title: "Entity not
/// found", type, status: 404, detail}`); this says the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoEntity {
    /// 400 with the calls envelope (`_total_items: 0`, `errors[]`) when no
    /// call of the batch was added, 200 when some were: what a real account
    /// answered (amocrm/amocrm-api-php#52) and what connectors rely on to
    /// fall back to unsorted leads.
    #[default]
    BadRequest400,
    /// Always 200, the failures only in `errors[]`.
    Errors200,
}

/// The records an account serves.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Records {
    /// `GET /api/v4/users` items.
    pub users: Vec<Map<String, Value>>,
    /// Contacts (the world's contacts and Bitrix24-only leads shown as contacts, then added ones).
    pub contacts: Table,
    /// Companies.
    pub companies: Table,
    /// Leads ("сделки").
    pub leads: Table,
    /// The next id for anything created.
    pub next_id: u64,
    /// Notes on contacts, leads and companies (calls among them).
    #[serde(default)]
    pub notes: crate::log::Log<StoredNote>,
    /// Unsorted (incoming) leads, pending, accepted and declined.
    #[serde(default)]
    pub unsorted: Vec<StoredUnsorted>,
    /// Events, oldest first.
    #[serde(default)]
    pub events: crate::log::Log<StoredEvent>,
}

/// A fake amoCRM account seeded from a world.
pub struct Account {
    world: World,
    long_lived_token: String,
    options: AccountOptions,
    records: Mutex<Records>,
    public_url: String,
    limiter: Mutex<Limiter>,
    oauth: oauth::OAuth,
}

/// Requests in the current second (the 7-per-second limit).
#[derive(Debug, Default)]
struct Limiter {
    second: i64,
    count: u32,
}

impl Account {
    /// The account of `world` with `options`, served at `http://127.0.0.1`
    /// from its seeded records (`options.state_file` is not read: see [`Account::open`]).
    pub fn new(world: World, options: AccountOptions) -> Self {
        Account::seeded(world, options, "http://127.0.0.1")
    }

    /// The account of `world` with `options`, served at `url`, from its
    /// seeded records (`options.state_file` is not read).
    pub fn seeded(world: World, options: AccountOptions, url: &str) -> Self {
        let records = seeded_records(&world, url);
        Account::with_records(world, options, url, records)
    }

    /// The account of `world` with `options`, served at `url` (hrefs in
    /// `_links` name it), with the records of `options.state_file` when that
    /// file exists (an account saved by an earlier run), else the seeded ones.
    pub fn open(world: World, options: AccountOptions, url: &str) -> std::io::Result<Self> {
        let records = match &options.state_file {
            Some(path) if path.exists() => crate::state::load::<Records>(path)?,
            _ => seeded_records(&world, url),
        };
        Ok(Account::with_records(world, options, url, records))
    }

    fn with_records(world: World, options: AccountOptions, url: &str, records: Records) -> Self {
        Account {
            long_lived_token: crate::bitrix24::token(world.seed, 0xA30C, 48),
            oauth: oauth::OAuth::new(world.seed),
            world,
            options,
            records: Mutex::new(records),
            public_url: url.to_owned(),
            limiter: Mutex::default(),
        }
    }

    /// The long-lived token (`Authorization: Bearer …`), printed at start; it
    /// never expires and has no refresh token.
    pub fn long_lived_token(&self) -> &str {
        &self.long_lived_token
    }

    /// The OAuth integration and its tokens.
    pub fn oauth(&self) -> &oauth::OAuth {
        &self.oauth
    }

    /// `POST /oauth2/access_token`.
    pub fn oauth_token(&self, method: &str, body: &[u8], now_micros: i64) -> AmoAnswer {
        self.oauth.token_endpoint(method, body, now_micros)
    }

    /// The world it was seeded from.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// `http://127.0.0.1:PORT`: the base of every `_links` href.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Back to the seeded state.
    pub fn reset(&self) {
        *self.records.lock().unwrap_or_else(|e| e.into_inner()) = seeded_records(&self.world, &self.public_url);
        *self.limiter.lock().unwrap_or_else(|e| e.into_inner()) = Limiter::default();
    }

    /// The whole state as JSON.
    pub fn dump(&self) -> Value {
        serde_json::to_value(&*self.records.lock().unwrap_or_else(|e| e.into_inner())).unwrap_or_default()
    }

    /// Answers `method path?query` under `/api/v4` (`path` without that
    /// prefix, e.g. `/contacts/12`) for a caller with `authorization`, at
    /// `now_micros` on the server clock.
    pub fn handle(
        &self,
        method: &str,
        path: &str,
        query: &str,
        authorization: Option<&str>,
        body: &[u8],
        now_micros: i64,
    ) -> AmoAnswer {
        self.serve(&AmoRequest::read(method, path, query, authorization, body), now_micros)
    }

    /// Answers a request read once by [`AmoRequest::read`] (the server
    /// journals the same parsed query and body afterwards).
    pub fn serve(&self, request: &AmoRequest<'_>, now_micros: i64) -> AmoAnswer {
        self.answer(request, now_micros).unwrap_or_else(AmoAnswer::from)
    }

    fn answer(&self, request: &AmoRequest<'_>, now_micros: i64) -> Result<AmoAnswer, AmoError> {
        let AmoRequest { method, path, .. } = *request;
        self.authenticate(request.authorization, now_micros)?;
        if self.options.payment_required {
            return Err(AmoError::new(402, "Payment Required", "Payment required"));
        }
        self.take_from_limiter(now_micros)?;
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut known_path = false;
        // The most literal route wins: `/leads/unsorted` before `/leads/{id}`.
        let mut best: Option<(&Route, Vec<&str>)> = None;
        for route in ROUTES {
            let Some(ids) = route.matches(&segments) else { continue };
            known_path = true;
            if route.method == method && best.as_ref().is_none_or(|(_, b)| ids.len() < b.len()) {
                best = Some((route, ids));
            }
        }
        if let Some((route, ids)) = best {
            let req = Req { request, query: &request.query, raw_query: request.raw_query, ids };
            let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
            let mut ctx = Ctx { account: self, records: &mut records, now_micros, path };
            let answer = (route.handler)(&mut ctx, &req)?;
            if let Some(file) = self.options.state_file.as_deref().filter(|_| method != "GET") {
                crate::state::save(file, &*records).map_err(|e| {
                    AmoError::new(500, "ErrInternalServer", format!("the state file could not be written: {e}"))
                })?;
            }
            return Ok(answer);
        }
        let url = format!("{}/api/v4{path}", self.public_url);
        if known_path {
            return Err(AmoError::new(405, "Method Not Allowed", "Method Not Allowed"));
        }
        Err(AmoError::new(404, "Not Found", format!("Cannot {method} {url}")))
    }

    /// The long-lived token, or a live OAuth token; anything else is 401.
    fn authenticate(&self, authorization: Option<&str>, now_micros: i64) -> Result<(), AmoError> {
        let token = authorization.and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")));
        match token.map(str::trim) {
            Some(t) if t == self.long_lived_token => Ok(()),
            Some(t) if self.oauth.check(t, now_micros) == crate::oauth::TokenState::Live => Ok(()),
            _ => Err(AmoError::unauthorized()),
        }
    }

    fn take_from_limiter(&self, now_micros: i64) -> Result<(), AmoError> {
        let Some(per_second) = self.options.rate_limit else { return Ok(()) };
        let mut limiter = self.limiter.lock().unwrap_or_else(|e| e.into_inner());
        let second = now_micros.div_euclid(1_000_000);
        if limiter.second != second {
            *limiter = Limiter { second, count: 0 };
        }
        if limiter.count >= per_second {
            return Err(AmoError::too_many_requests());
        }
        limiter.count += 1;
        Ok(())
    }
}

/// The records of a freshly seeded account, with `_links` naming `base`.
fn seeded_records(world: &World, base: &str) -> Records {
    use callfull_world::ClientRef;
    let rebase = |object: Map<String, Value>| -> Map<String, Value> {
        // The world names the account's real host; the fake serves its own.
        let text = serde_json::to_string(&object).unwrap_or_default();
        let text = text.replace(&world.amo.base_url(), base);
        serde_json::from_str(&text).unwrap_or(object)
    };
    let contacts = world
        .contacts
        .iter()
        .map(ClientRef::Contact)
        .chain(world.leads.iter().map(ClientRef::Lead))
        .map(|c| rebase(world.amocrm_entity_object(c)))
        .collect();
    Records {
        users: world.employees.iter().map(|e| rebase(world.amocrm_user_object(e))).collect(),
        contacts,
        companies: world.companies.iter().map(|c| rebase(world.amocrm_entity_object(ClientRef::Company(c)))).collect(),
        leads: world.deals.iter().map(|d| rebase(world.amocrm_deal_object(d))).collect(),
        next_id: world.next_amo_id(),
        notes: Default::default(),
        unsorted: Vec::new(),
        events: Default::default(),
    }
}

/// An `/api/v4` request, its query string and JSON body parsed once.
#[derive(Debug)]
pub struct AmoRequest<'a> {
    /// `GET`, `POST`, `PATCH`, …
    pub method: &'a str,
    /// The path under `/api/v4`.
    pub path: &'a str,
    /// The query string as sent (echoed in `_links`).
    pub raw_query: &'a str,
    /// The query string, parsed as PHP does (`filter[id][]=1`).
    pub query: Map<String, Value>,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The body as sent.
    pub body: &'a [u8],
    /// The body as JSON; `None` when empty or not JSON.
    pub json: Option<Value>,
}

impl<'a> AmoRequest<'a> {
    /// Parses the query string and the body.
    pub fn read(
        method: &'a str,
        path: &'a str,
        query: &'a str,
        authorization: Option<&'a str>,
        body: &'a [u8],
    ) -> Self {
        AmoRequest {
            method,
            path,
            raw_query: query,
            query: crate::params::parse_form(query.as_bytes()),
            authorization,
            body,
            json: serde_json::from_slice(body).ok(),
        }
    }
}

/// What a route handler gets of the request.
pub(crate) struct Req<'a> {
    /// The whole request.
    pub request: &'a AmoRequest<'a>,
    /// The query string, parsed as PHP does (`filter[id][]=1`).
    pub query: &'a Map<String, Value>,
    /// The query string as sent (echoed in `_links`).
    pub raw_query: &'a str,
    /// The `{id}` segments of the path, in order.
    pub ids: Vec<&'a str>,
}

impl Req<'_> {
    /// The JSON body of a write. An empty body, `null`, and one that is not
    /// JSON (PHP's `json_decode` reads it as `null`) are all 400 `Request
    /// data can not be empty`.
    pub fn body(&self) -> Result<&Value, AmoError> {
        match &self.request.json {
            None | Some(Value::Null) => Err(AmoError::empty_request()),
            Some(value) => Ok(value),
        }
    }

    /// The items of a write body: a JSON array of 1..=`max` items. An empty
    /// array is 400 `Request data can not be empty`, more than `max` items
    /// 422, anything but an array a 400 validation error.
    pub fn batch(&self, max: usize) -> Result<&[Value], AmoError> {
        match self.body()? {
            Value::Array(items) if items.is_empty() => Err(AmoError::empty_request()),
            Value::Array(items) if items.len() > max => {
                Err(AmoError::new(422, "Unprocessable Entity", format!("Limit {max} per page")))
            }
            Value::Array(items) => Ok(items),
            _ => Err(AmoError::validation(vec![serde_json::json!({"request_id": "0", "errors": [
                {"code": "InvalidType", "path": "", "detail": "This value should be of type array."}]})])),
        }
    }
}

/// What a route handler works on.
pub(crate) struct Ctx<'a> {
    pub account: &'a Account,
    pub records: &'a mut Records,
    pub now_micros: i64,
    /// The path under `/api/v4` (for `_links.self`).
    pub path: &'a str,
}

impl Ctx<'_> {
    /// Now, in Unix seconds (amoCRM's timestamps).
    pub fn now(&self) -> i64 {
        self.now_micros.div_euclid(1_000_000)
    }

    /// A new id.
    pub fn new_id(&mut self) -> u64 {
        self.records.next_id += 1;
        self.records.next_id
    }

    /// `{base}/api/v4/{path}`.
    pub fn href(&self, path: &str) -> String {
        format!("{}/api/v4/{}", self.account.public_url, path.trim_start_matches('/'))
    }
}

type Handler = fn(&mut Ctx<'_>, &Req<'_>) -> Result<AmoAnswer, AmoError>;

/// A route: an HTTP method and path segments, `{id}` matching any one
/// segment, `{n}` one of digits only (so `contacts/{n}` leaves
/// `contacts/custom_fields` and `contacts/notes` to their own routes).
struct Route {
    method: &'static str,
    pattern: &'static [&'static str],
    handler: Handler,
}

impl Route {
    fn matches<'a>(&self, segments: &[&'a str]) -> Option<Vec<&'a str>> {
        if segments.len() != self.pattern.len() {
            return None;
        }
        let mut ids = Vec::new();
        for (want, have) in self.pattern.iter().zip(segments) {
            if *want == "{id}" {
                ids.push(*have);
            } else if *want == "{n}" {
                if have.is_empty() || !have.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                ids.push(*have);
            } else if !want.eq_ignore_ascii_case(have) {
                return None;
            }
        }
        Some(ids)
    }
}

/// Every route under `/api/v4`.
const ROUTES: &[Route] = &[
    Route { method: "GET", pattern: &["account"], handler: account::get },
    Route { method: "GET", pattern: &["users"], handler: users::list },
    Route { method: "GET", pattern: &["users", "{id}"], handler: users::get },
    // Contacts, companies, leads, pipelines and custom fields (amo-entities).
    Route { method: "GET", pattern: &["contacts"], handler: entities::contacts_list },
    Route { method: "POST", pattern: &["contacts"], handler: entities::contacts_add },
    Route { method: "PATCH", pattern: &["contacts"], handler: entities::contacts_update },
    Route { method: "GET", pattern: &["contacts", "{n}"], handler: entities::contacts_get },
    Route { method: "PATCH", pattern: &["contacts", "{n}"], handler: entities::contacts_update_one },
    Route { method: "GET", pattern: &["contacts", "custom_fields"], handler: pipelines::contact_fields },
    Route { method: "GET", pattern: &["contacts", "custom_fields", "{n}"], handler: pipelines::contact_field },
    Route { method: "GET", pattern: &["companies"], handler: entities::companies_list },
    Route { method: "POST", pattern: &["companies"], handler: entities::companies_add },
    Route { method: "PATCH", pattern: &["companies"], handler: entities::companies_update },
    Route { method: "GET", pattern: &["companies", "{n}"], handler: entities::companies_get },
    Route { method: "PATCH", pattern: &["companies", "{n}"], handler: entities::companies_update_one },
    Route { method: "GET", pattern: &["companies", "custom_fields"], handler: pipelines::company_fields },
    Route { method: "GET", pattern: &["companies", "custom_fields", "{n}"], handler: pipelines::company_field },
    Route { method: "GET", pattern: &["leads"], handler: entities::leads_list },
    Route { method: "POST", pattern: &["leads"], handler: entities::leads_add },
    Route { method: "PATCH", pattern: &["leads"], handler: entities::leads_update },
    Route { method: "GET", pattern: &["leads", "{n}"], handler: entities::leads_get },
    Route { method: "PATCH", pattern: &["leads", "{n}"], handler: entities::leads_update_one },
    Route { method: "GET", pattern: &["leads", "custom_fields"], handler: pipelines::lead_fields },
    Route { method: "POST", pattern: &["leads", "complex"], handler: complex::add },
    Route { method: "GET", pattern: &["leads", "pipelines"], handler: pipelines::list },
    Route { method: "GET", pattern: &["leads", "pipelines", "{n}"], handler: pipelines::get },
    Route { method: "GET", pattern: &["leads", "pipelines", "{n}", "statuses"], handler: pipelines::statuses },
    Route { method: "GET", pattern: &["leads", "pipelines", "{n}", "statuses", "{n}"], handler: pipelines::status },
    // Calls, unsorted, notes, events (§4).
    Route { method: "POST", pattern: &["calls"], handler: calls::add },
    Route { method: "POST", pattern: &["leads", "unsorted", "sip"], handler: unsorted::add_sip },
    Route { method: "GET", pattern: &["leads", "unsorted"], handler: unsorted::list },
    Route { method: "GET", pattern: &["leads", "unsorted", "{id}"], handler: unsorted::get },
    Route { method: "POST", pattern: &["leads", "unsorted", "{id}", "accept"], handler: unsorted::accept },
    Route { method: "POST", pattern: &["leads", "unsorted", "{id}", "decline"], handler: unsorted::decline },
    Route { method: "DELETE", pattern: &["leads", "unsorted", "{id}", "decline"], handler: unsorted::decline },
    Route { method: "GET", pattern: &["leads", "notes"], handler: notes::list },
    Route { method: "POST", pattern: &["leads", "notes"], handler: notes::add },
    Route { method: "GET", pattern: &["leads", "{id}", "notes"], handler: notes::list },
    Route { method: "POST", pattern: &["leads", "{id}", "notes"], handler: notes::add },
    Route { method: "GET", pattern: &["leads", "{id}", "notes", "{id}"], handler: notes::get },
    Route { method: "GET", pattern: &["contacts", "notes"], handler: notes::list },
    Route { method: "POST", pattern: &["contacts", "notes"], handler: notes::add },
    Route { method: "GET", pattern: &["contacts", "{id}", "notes"], handler: notes::list },
    Route { method: "POST", pattern: &["contacts", "{id}", "notes"], handler: notes::add },
    Route { method: "GET", pattern: &["contacts", "{id}", "notes", "{id}"], handler: notes::get },
    Route { method: "GET", pattern: &["companies", "notes"], handler: notes::list },
    Route { method: "POST", pattern: &["companies", "notes"], handler: notes::add },
    Route { method: "GET", pattern: &["companies", "{id}", "notes"], handler: notes::list },
    Route { method: "POST", pattern: &["companies", "{id}", "notes"], handler: notes::add },
    Route { method: "GET", pattern: &["companies", "{id}", "notes", "{id}"], handler: notes::get },
    Route { method: "GET", pattern: &["events"], handler: events::list },
    Route { method: "GET", pattern: &["events", "{id}"], handler: events::get },
];

/// The `(method, path)` of every route, for `/_admin/info`.
pub fn routes() -> impl Iterator<Item = String> {
    ROUTES.iter().map(|r| format!("{} /api/v4/{}", r.method, r.pattern.join("/").replace("{n}", "{id}")))
}
