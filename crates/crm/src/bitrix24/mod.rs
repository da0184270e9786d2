//! The fake Bitrix24 portal: its state (the world's users and CRM records),
//! how a request is authenticated and dispatched to a method, and the
//! envelopes it answers with. `bitrix24-rest.md` is the reference.
//!
//! The methods are listed in `METHODS` (and `docs/crm.md`): users, CRM
//! records (`get`, `list`, `add`, `update`, `fields`), duplicates,
//! activities, the external-call lifecycle and lines, events, `batch`.

mod batch;
mod crm;
mod error;
pub mod events;
mod fields;
pub mod oauth;
pub mod query;
mod telephony;
mod users;

use std::path::PathBuf;
use std::sync::Mutex;

use callfull_world::World;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub use error::B24Error;

use crate::clock::Clock;

/// What a method answers: its `result`, and `total`/`next` for lists.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    result: Payload,
    /// `total` (list methods).
    pub total: Option<usize>,
    /// `next` (list methods, when there is another page).
    pub next: Option<usize>,
    /// What the journal keeps of the answer: what later requests refer to
    /// (a register's `{"CALL_ID": …}`), so a journal can be checked alone.
    pub journaled: Option<Value>,
}

/// A result as a value, or already printed (records that never change are
/// printed once, not cloned and printed on every request).
#[derive(Debug, Clone, PartialEq)]
enum Payload {
    Value(Value),
    Json(String),
}

impl Answer {
    /// A plain result.
    pub fn of(result: Value) -> Self {
        Answer { result: Payload::Value(result), total: None, next: None, journaled: None }
    }

    /// A result printed already (valid JSON).
    pub(crate) fn printed(json: String) -> Self {
        Answer { result: Payload::Json(json), total: None, next: None, journaled: None }
    }

    /// `result` as a value.
    pub fn into_result(self) -> Value {
        match self.result {
            Payload::Value(v) => v,
            Payload::Json(text) => serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    fn write_result(&self, out: &mut Vec<u8>) {
        match &self.result {
            Payload::Value(v) => {
                let _ = serde_json::to_writer(&mut *out, v);
            }
            Payload::Json(text) => out.extend_from_slice(text.as_bytes()),
        }
    }
}

/// How the caller proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth<'a> {
    /// `/rest/{user_id}/{code}/{method}`.
    Webhook {
        /// The user id in the URL.
        user: &'a str,
        /// The webhook code in the URL.
        code: &'a str,
    },
    /// `/rest/{method}` with a token (Bearer header, `auth` or `access_token`).
    Token(Option<String>),
}

/// The CRM records a portal serves.
#[derive(Debug, Serialize, Deserialize)]
pub struct Records {
    /// `user.get` items, by world employee order.
    pub users: Vec<Map<String, Value>>,
    /// `crm.contact.get` items.
    pub contacts: Vec<Map<String, Value>>,
    /// `crm.company.get` items.
    pub companies: Vec<Map<String, Value>>,
    /// `crm.lead.get` items (the world's, then those calls created).
    pub leads: Vec<Map<String, Value>>,
    /// `crm.deal.get` items (none in the world: the connector does not use them; clients may add some).
    pub deals: Vec<Map<String, Value>>,
    /// The telephony side: active calls, statistics, call activities.
    pub telephony: telephony::Telephony,
    /// `users` printed, in the same order (users never change through the API).
    #[serde(skip)]
    users_json: Vec<String>,
    /// Handlers bound to events (`event.bind` and outgoing webhooks).
    #[serde(default)]
    pub events: Vec<events::Binding>,
}

impl Records {
    fn with_printed_users(mut self) -> Self {
        self.users_json = self.users.iter().map(|u| serde_json::to_string(u).unwrap_or_default()).collect();
        self
    }
}

/// The leaky bucket of `bitrix24-rest.md` §1.7: each request adds 1, the
/// level drains by `drain_per_sec`, and a request that finds it above `burst`
/// gets 503 `QUERY_LIMIT_EXCEEDED`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// X: the level above which requests are refused (50 on standard plans).
    pub burst: f64,
    /// Y: how much drains per second (2 on standard plans).
    pub drain_per_sec: f64,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit { burst: 50.0, drain_per_sec: 2.0 }
    }
}

/// How a portal behaves. The vendor's sources disagree on a few answers
/// (`bitrix24-rest.md` §8); where they do, the choice is a setting here and
/// the default follows the server source (`docs/ASSUMPTIONS.md`, A-B24-*).
#[derive(Debug, Clone, PartialEq)]
pub struct PortalOptions {
    /// The rate limit, `None` for none (default: standard plan, 50 burst, 2/s).
    pub rate_limit: Option<RateLimit>,
    /// Where the state lives across restarts (`None`: in memory only). Every
    /// write is saved before it is answered.
    pub state_file: Option<PathBuf>,
    /// Telephony methods refuse incoming webhooks with 403 `WRONG_AUTH_TYPE`,
    /// as the current docs say (default `false`: webhooks work, as the source
    /// and connectors in production show).
    pub telephony_app_only: bool,
    /// The `error` code of telephony validation errors: `""` as the server
    /// source and real answers show (default), or `ERROR_CORE` as the docs list.
    pub telephony_error_code: String,
    /// The HTTP status of `INVALID_CREDENTIALS` for a wrong webhook code: 401
    /// as a user report saw it (default) or 403 as the docs say.
    pub wrong_webhook_status: u16,
}

impl Default for PortalOptions {
    fn default() -> Self {
        PortalOptions {
            rate_limit: Some(RateLimit::default()),
            state_file: None,
            telephony_app_only: false,
            telephony_error_code: String::new(),
            wrong_webhook_status: 401,
        }
    }
}

/// Methods that change the state (saved to the state file before answering).
const WRITES: &[&str] = &[
    "crm.contact.add",
    "crm.company.add",
    "crm.lead.add",
    "crm.deal.add",
    "crm.contact.update",
    "crm.company.update",
    "crm.lead.update",
    "crm.deal.update",
    "telephony.externalcall.register",
    "telephony.externalcall.show",
    "telephony.externalcall.hide",
    "telephony.externalcall.finish",
    "telephony.externalcall.attachrecord",
    "upload",
    "telephony.externalline.add",
    "telephony.externalline.update",
    "telephony.externalline.delete",
    "event.bind",
    "event.unbind",
];

#[derive(Debug, Default)]
struct Bucket {
    level: f64,
    last_micros: i64,
}

/// A fake Bitrix24 portal seeded from a world.
pub struct Portal {
    world: World,
    webhook_user: String,
    webhook_code: String,
    access_token: String,
    options: PortalOptions,
    bucket: Mutex<Bucket>,
    records: Mutex<Records>,
    oauth: oauth::OAuth,
    public_url: String,
}

impl Portal {
    /// The portal of `world` with the default options (rate limit on).
    pub fn new(world: World) -> Self {
        Portal::with_options(world, PortalOptions::default())
    }

    /// The portal of `world`: its users and CRM records as the REST API returns them.
    pub fn with_options(world: World, options: PortalOptions) -> Self {
        let records = seeded_records(&world);
        let world_seed = world.seed;
        let first_user = world.employees.first().map_or(1, |e| e.b24_id);
        let webhook_user = first_user.to_string();
        let webhook_code = token(world.seed, 0xB24, 16);
        let access_token = token(world.seed, 0x0A07, 32);
        Portal {
            world,
            webhook_user,
            webhook_code,
            access_token,
            options,
            bucket: Mutex::new(Bucket::default()),
            records: Mutex::new(records),
            oauth: oauth::OAuth::new(world_seed, first_user),
            public_url: "http://127.0.0.1".into(),
        }
    }

    /// The portal of `world`, with its state read from `options.state_file`
    /// when that file exists (a portal saved by an earlier run).
    pub fn open(world: World, options: PortalOptions) -> std::io::Result<Self> {
        let saved = match &options.state_file {
            Some(path) if path.exists() => Some(crate::state::load::<Records>(path)?),
            _ => None,
        };
        let portal = Portal::with_options(world, options);
        if let Some(records) = saved {
            *portal.records.lock().unwrap_or_else(|e| e.into_inner()) = records.with_printed_users();
        }
        Ok(portal)
    }

    /// Back to the seeded state: what clients wrote, registered calls and the
    /// rate-limit bucket are forgotten.
    pub fn reset(&self) {
        *self.records.lock().unwrap_or_else(|e| e.into_inner()) = seeded_records(&self.world);
        *self.bucket.lock().unwrap_or_else(|e| e.into_inner()) = Bucket::default();
    }

    /// The whole state as JSON: users, contacts, companies, leads, deals,
    /// active calls, finished calls and activities.
    pub fn dump(&self) -> Value {
        let r = self.records.lock().unwrap_or_else(|e| e.into_inner());
        json!({
            "users": r.users,
            "contacts": r.contacts,
            "companies": r.companies,
            "leads": r.leads,
            "deals": r.deals,
            "telephony": r.telephony.dump(),
        })
    }

    /// The world it was seeded from.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// `/rest/{user}/{code}/`: the incoming webhook's path prefix.
    pub fn webhook_path(&self) -> String {
        format!("/rest/{}/{}/", self.webhook_user, self.webhook_code)
    }

    /// The long-lived OAuth access token this portal accepts.
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// The URL clients reach the portal at (`http://127.0.0.1:8080`), used in
    /// the URLs it hands out (upload URLs, event `auth` blocks).
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// `auth[member_id]` of the events it sends: the portal's identity.
    pub fn member_id(&self) -> String {
        token(self.world.seed, 0x3E3B, 32)
    }

    /// `auth[application_token]` of the events it sends, which handlers
    /// should check.
    pub fn application_token(&self) -> String {
        token(self.world.seed, 0xA77, 32)
    }

    /// A user clicks a number in the CRM: the call is registered and
    /// `ONEXTERNALCALLSTART` goes to the bound handlers. Returns the event's
    /// `data` and the posts to make.
    pub fn click_to_call(
        &self,
        params: &Map<String, Value>,
        now_micros: i64,
    ) -> Result<(Value, Vec<events::Delivery>), B24Error> {
        self.write(now_micros, |ctx| telephony::click_to_call(ctx, params))
    }

    /// A visitor asks for a call back: `ONEXTERNALCALLBACKSTART` goes to the
    /// bound handlers.
    pub fn callback_request(
        &self,
        params: &Map<String, Value>,
        now_micros: i64,
    ) -> Result<(Value, Vec<events::Delivery>), B24Error> {
        self.write(now_micros, |ctx| telephony::callback_request(ctx, params))
    }

    /// An administrator adds an outgoing webhook (`event`, `handler`) in the
    /// portal's settings.
    pub fn add_outgoing_webhook(&self, params: &Map<String, Value>, now_micros: i64) -> Result<Value, B24Error> {
        self.write(now_micros, |ctx| events::add_outgoing_webhook(ctx, params).map(Answer::into_result))
    }

    /// Runs a change outside the REST methods, saved like theirs.
    fn write<T>(
        &self,
        now_micros: i64,
        change: impl FnOnce(&mut Ctx<'_>) -> Result<T, B24Error>,
    ) -> Result<T, B24Error> {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        let out = change(&mut Ctx { portal: self, records: &mut records, now_micros, app: false })?;
        self.save(&records)?;
        Ok(out)
    }

    fn save(&self, records: &Records) -> Result<(), B24Error> {
        match self.options.state_file.as_deref() {
            Some(path) => crate::state::save(path, records).map_err(|e| {
                B24Error::new(500, "INTERNAL_SERVER_ERROR", format!("the state file could not be written: {e}"))
            }),
            None => Ok(()),
        }
    }

    pub(crate) fn set_public_url(&mut self, url: &str) {
        url.clone_into(&mut self.public_url);
    }

    /// The OAuth application and its tokens.
    pub fn oauth(&self) -> &oauth::OAuth {
        &self.oauth
    }

    fn check_auth(&self, auth: &Auth<'_>, now_micros: i64) -> Result<(), B24Error> {
        match auth {
            Auth::Webhook { user, code } if *user == self.webhook_user && *code == self.webhook_code => Ok(()),
            Auth::Webhook { .. } => {
                Err(B24Error { status: self.options.wrong_webhook_status, ..B24Error::invalid_credentials() })
            }
            Auth::Token(None) => Err(B24Error::no_auth()),
            Auth::Token(Some(t)) if *t == self.access_token => Ok(()),
            Auth::Token(Some(t)) => self.oauth.check(t, now_micros).unwrap_or_else(|| Err(B24Error::invalid_token())),
        }
    }

    /// Runs `method` (any case, with or without `.json`) for a caller at
    /// `now_micros` (the server clock): the rate limit, authentication, then
    /// the method (`batch` runs its commands one by one).
    pub fn call(
        &self,
        auth: &Auth<'_>,
        method: &str,
        params: &Map<String, Value>,
        now_micros: i64,
    ) -> Result<Answer, B24Error> {
        self.take_from_bucket(now_micros)?;
        self.check_auth(auth, now_micros)?;
        let method = normalize_method(method);
        let app = matches!(auth, Auth::Token(_));
        if method == "batch" {
            return batch::run(self, params, now_micros, app);
        }
        self.dispatch(&method, params, now_micros, app)
    }

    /// One method, authenticated and within the limit already; `app` when the
    /// caller came with an OAuth token (an application), not a webhook.
    fn dispatch(
        &self,
        method: &str,
        params: &Map<String, Value>,
        now_micros: i64,
        app: bool,
    ) -> Result<Answer, B24Error> {
        let handler = METHODS.iter().find(|(name, _)| *name == method).map(|(_, h)| *h);
        let Some(handler) = handler else { return Err(B24Error::method_not_found()) };
        let telephony = method.starts_with("telephony.");
        if telephony && !app && self.options.telephony_app_only {
            return Err(B24Error::new(403, "WRONG_AUTH_TYPE", "Current authorization type is denied for this method"));
        }
        // A handler either finishes its change or returns an error before
        // making one, so a poisoned lock still guards consistent state.
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        let answer =
            handler(&mut Ctx { portal: self, records: &mut records, now_micros, app }, params).map_err(|e| {
                if telephony && e.status == 400 && e.code.is_empty() && !self.options.telephony_error_code.is_empty() {
                    B24Error { code: self.options.telephony_error_code.clone().into(), ..e }
                } else {
                    e
                }
            })?;
        if WRITES.contains(&method) {
            self.save(&records)?;
        }
        Ok(answer)
    }

    fn take_from_bucket(&self, now_micros: i64) -> Result<(), B24Error> {
        let Some(limit) = self.options.rate_limit else { return Ok(()) };
        let mut bucket = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
        let elapsed = (now_micros - bucket.last_micros).max(0) as f64 / 1e6;
        bucket.level = (bucket.level - elapsed * limit.drain_per_sec).max(0.0);
        bucket.last_micros = now_micros;
        if bucket.level >= limit.burst {
            return Err(B24Error::new(503, "QUERY_LIMIT_EXCEEDED", "Too many requests"));
        }
        bucket.level += 1.0;
        Ok(())
    }

    /// The success envelope, printed: `{"result":…,"total":…,"next":…,"time":{…}}`.
    pub fn envelope(&self, answer: &Answer, clock: &dyn Clock, started_micros: i64) -> Vec<u8> {
        use std::io::Write;
        let finish = clock.now_micros();
        let mut out = Vec::with_capacity(1024);
        out.extend_from_slice(b"{\"result\":");
        answer.write_result(&mut out);
        if let Some(total) = answer.total {
            let _ = write!(out, ",\"total\":{total}");
        }
        if let Some(next) = answer.next {
            let _ = write!(out, ",\"next\":{next}");
        }
        out.extend_from_slice(b",\"time\":");
        let _ = serde_json::to_writer(&mut out, &self.time_block(started_micros, finish));
        out.push(b'}');
        out
    }

    pub(crate) fn time_block(&self, start: i64, finish: i64) -> Value {
        let secs = |m: i64| m as f64 / 1e6;
        let iso = |m: i64| {
            self.world.bitrix24_time(callfull_model::DateTime::from_unix(
                m.div_euclid(1_000_000),
                i64::from(self.world.settings.utc_offset_hours) * 3600,
            ))
        };
        json!({
            "start": secs(start),
            "finish": secs(finish),
            "duration": secs(finish - start),
            "processing": secs(finish - start),
            "date_start": iso(start),
            "date_finish": iso(finish),
        })
    }
}

/// The records of a freshly seeded portal.
fn seeded_records(world: &World) -> Records {
    let entity = |c: callfull_world::ClientRef<'_>| world.bitrix24_entity_object(c);
    Records {
        users: world.employees.iter().map(|e| world.bitrix24_user_object(e)).collect(),
        contacts: world.contacts.iter().map(|c| entity(callfull_world::ClientRef::Contact(c))).collect(),
        companies: world.companies.iter().map(|c| entity(callfull_world::ClientRef::Company(c))).collect(),
        leads: world.leads.iter().map(|l| entity(callfull_world::ClientRef::Lead(l))).collect(),
        deals: Vec::new(),
        telephony: telephony::Telephony::new(world),
        events: Vec::new(),
        users_json: Vec::new(),
    }
    .with_printed_users()
}

/// `telephony.externalCall.register.json/` → `telephony.externalcall.register`.
pub fn normalize_method(method: &str) -> String {
    let method = method.trim_end_matches('/').to_ascii_lowercase();
    method.strip_suffix(".json").map(str::to_owned).unwrap_or(method)
}

/// `len` lowercase hex digits from the seed.
pub(crate) fn hex_token(seed: u64, salt: u64, len: usize) -> String {
    token(seed, salt, len).bytes().map(|b| char::from(b"0123456789abcdef"[usize::from(b % 16)])).collect()
}

/// A lowercase alphanumeric token of `len` characters from the seed.
pub(crate) fn token(seed: u64, salt: u64, len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ALPHABET[((x >> 33) % ALPHABET.len() as u64) as usize] as char
        })
        .collect()
}

/// What a method handler sees.
pub(crate) struct Ctx<'a> {
    portal: &'a Portal,
    records: &'a mut Records,
    now_micros: i64,
    /// The caller is an application (OAuth token), not an incoming webhook.
    app: bool,
}

impl Ctx<'_> {
    /// Now as Bitrix24 prints dates: `2026-11-17T10:15:03+03:00`.
    fn now_iso(&self) -> String {
        let world = self.portal.world();
        let offset = i64::from(world.settings.utc_offset_hours) * 3600;
        world.bitrix24_time(callfull_model::DateTime::from_unix(self.now_micros.div_euclid(1_000_000), offset))
    }
}

type Handler = fn(&mut Ctx<'_>, &Map<String, Value>) -> Result<Answer, B24Error>;

/// Every method the fake knows, by lower-case name.
const METHODS: &[(&str, Handler)] = &[
    ("user.get", users::get),
    ("user.current", users::current),
    ("user.search", users::search),
    ("crm.contact.get", crm::contact_get),
    ("crm.contact.list", crm::contact_list),
    ("crm.company.get", crm::company_get),
    ("crm.company.list", crm::company_list),
    ("crm.lead.get", crm::lead_get),
    ("crm.lead.list", crm::lead_list),
    ("crm.deal.get", crm::deal_get),
    ("crm.deal.list", crm::deal_list),
    ("crm.contact.add", crm::contact_add),
    ("crm.company.add", crm::company_add),
    ("crm.lead.add", crm::lead_add),
    ("crm.deal.add", crm::deal_add),
    ("crm.contact.update", crm::contact_update),
    ("crm.company.update", crm::company_update),
    ("crm.lead.update", crm::lead_update),
    ("crm.deal.update", crm::deal_update),
    ("crm.contact.fields", crm::contact_fields),
    ("crm.company.fields", crm::company_fields),
    ("crm.lead.fields", crm::lead_fields),
    ("crm.deal.fields", crm::deal_fields),
    ("crm.duplicate.findbycomm", crm::find_by_comm),
    ("crm.activity.get", telephony::activity_get),
    ("crm.activity.list", telephony::activity_list),
    ("telephony.externalcall.register", telephony::register),
    ("telephony.externalcall.finish", telephony::finish),
    ("telephony.externalcall.show", telephony::show),
    ("telephony.externalcall.hide", telephony::hide),
    ("telephony.externalcall.attachrecord", telephony::attach_record),
    ("telephony.externalcall.searchcrmentities", telephony::search_crm_entities),
    ("upload", telephony::upload),
    ("event.bind", events::bind),
    ("event.unbind", events::unbind),
    ("event.get", events::get),
    ("telephony.externalline.add", telephony::line_add),
    ("telephony.externalline.get", telephony::line_get),
    ("telephony.externalline.update", telephony::line_update),
    ("telephony.externalline.delete", telephony::line_delete),
];

/// The names of every method the fake serves.
pub fn methods() -> impl Iterator<Item = &'static str> {
    METHODS.iter().map(|(name, _)| *name)
}
