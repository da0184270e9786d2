//! Events (`bitrix24-rest.md` §4.8): `event.bind`, `event.unbind`,
//! `event.get`, outgoing webhooks set up by an administrator, and what the
//! portal posts to their handlers when a user clicks a number in the CRM
//! (`ONEXTERNALCALLSTART`) or a visitor asks for a call back
//! (`ONEXTERNALCALLBACKSTART`). The portal builds each delivery; the server
//! posts it (no retries, as Bitrix24's queue server).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Answer, B24Error, Ctx, Portal};
use crate::params;

/// Events `event.bind` accepts. Only the two telephony events are ever sent
/// by the fake; the CRM ones can be bound and listed.
const EVENTS: &[&str] = &[
    "ONEXTERNALCALLSTART",
    "ONEXTERNALCALLBACKSTART",
    "ONAPPINSTALL",
    "ONAPPUNINSTALL",
    "ONCRMCONTACTADD",
    "ONCRMCONTACTUPDATE",
    "ONCRMCONTACTDELETE",
    "ONCRMCOMPANYADD",
    "ONCRMCOMPANYUPDATE",
    "ONCRMLEADADD",
    "ONCRMLEADUPDATE",
    "ONCRMDEALADD",
    "ONCRMDEALUPDATE",
    "ONCRMACTIVITYADD",
    "ONUSERADD",
];

/// One handler bound to an event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Binding {
    id: u64,
    event: String,
    handler: String,
    auth_type: u64,
    /// Bound by an application (`event.bind`), not an outgoing webhook: its
    /// deliveries carry tokens in `auth`.
    application: bool,
}

/// A POST the portal makes to a handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The event, upper case.
    pub event: String,
    /// Where to post it.
    pub handler: String,
    /// The `application/x-www-form-urlencoded` body.
    pub body: String,
}

pub(super) fn bind(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    if !ctx.app {
        return Err(B24Error::new(403, "WRONG_AUTH_TYPE", "Current authorization type is denied for this method"));
    }
    let (event, handler) = event_and_handler(p)?;
    let auth_type = text(p, "auth_type").and_then(|t| t.parse().ok()).unwrap_or(0);
    add_binding(ctx, event, handler, auth_type, true)?;
    Ok(Answer::of(json!(true)))
}

/// An outgoing webhook set up in the portal's UI (the admin API stands in for it).
pub(crate) fn add_outgoing_webhook(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    let (event, handler) = event_and_handler(p)?;
    let id = add_binding(ctx, event, handler, 0, false)?;
    Ok(Answer::of(json!({ "event_handler_id": id, "application_token": ctx.portal.application_token() })))
}

fn event_and_handler(p: &Map<String, Value>) -> Result<(String, String), B24Error> {
    let event =
        text(p, "event").ok_or_else(|| B24Error::new(400, "ERROR_ARGUMENT", "Argument 'event' is null or empty"))?;
    let event = event.to_ascii_uppercase();
    if !EVENTS.contains(&event.as_str()) {
        return Err(B24Error::new(400, "ERROR_EVENT_NOT_FOUND", "Event not found"));
    }
    let handler = text(p, "handler")
        .ok_or_else(|| B24Error::new(400, "ERROR_ARGUMENT", "Argument 'handler' is null or empty"))?;
    if !(handler.starts_with("http://") || handler.starts_with("https://")) {
        return Err(B24Error::new(400, "ERROR_ARGUMENT", "Wrong handler URL"));
    }
    Ok((event, handler))
}

fn add_binding(ctx: &mut Ctx<'_>, event: String, handler: String, auth_type: u64, app: bool) -> Result<u64, B24Error> {
    let bound = &mut ctx.records.events;
    if bound.iter().any(|b| b.event == event && b.handler == handler && b.auth_type == auth_type) {
        return Err(B24Error::new(400, "ERROR_CORE", "Handler already binded"));
    }
    let id = ctx.records.telephony.new_id();
    ctx.records.events.push(Binding { id, event, handler, auth_type, application: app });
    Ok(id)
}

pub(super) fn unbind(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    let (event, handler) = event_and_handler(p)?;
    let auth_type: Option<u64> = text(p, "auth_type").and_then(|t| t.parse().ok());
    let before = ctx.records.events.len();
    ctx.records
        .events
        .retain(|b| !(b.event == event && b.handler == handler && auth_type.is_none_or(|t| t == b.auth_type)));
    Ok(Answer::of(json!({ "count": before - ctx.records.events.len() })))
}

pub(super) fn get(ctx: &mut Ctx<'_>, _: &Map<String, Value>) -> Result<Answer, B24Error> {
    let list: Vec<Value> = ctx
        .records
        .events
        .iter()
        .filter(|b| b.application)
        .map(|b| json!({"event": b.event, "handler": b.handler, "auth_type": b.auth_type.to_string(), "offline": 0}))
        .collect();
    Ok(Answer::of(json!(list)))
}

fn text(p: &Map<String, Value>, name: &str) -> Option<String> {
    match params::get(p, name)? {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// The deliveries of `event` with `data`, one per bound handler.
pub(super) fn deliveries(ctx: &Ctx<'_>, event: &str, data: &Map<String, Value>) -> Vec<Delivery> {
    let portal = ctx.portal;
    ctx.records
        .events
        .iter()
        .filter(|b| b.event == event)
        .map(|b| {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("event", event);
            form.append_pair("event_handler_id", &b.id.to_string());
            for (key, value) in data {
                let value = match value {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                form.append_pair(&format!("data[{key}]"), &value);
            }
            form.append_pair("ts", &ctx.now_micros.div_euclid(1_000_000).to_string());
            for (key, value) in auth_block(portal, b.application) {
                form.append_pair(&format!("auth[{key}]"), &value);
            }
            Delivery { event: event.to_owned(), handler: b.handler.clone(), body: form.finish() }
        })
        .collect()
}

/// `auth[…]` of a delivery: an application's carries its tokens, an
/// outgoing webhook's only says which portal sent it.
fn auth_block(portal: &Portal, application: bool) -> Vec<(&'static str, String)> {
    let base = portal.public_url();
    let domain = base.split("://").nth(1).unwrap_or(base).to_owned();
    let mut auth = Vec::new();
    if application {
        auth.extend([
            ("access_token", portal.access_token().to_owned()),
            ("expires_in", "3600".to_owned()),
            ("scope", "crm,telephony,user".to_owned()),
        ]);
    }
    auth.extend([
        ("domain", domain),
        ("client_endpoint", format!("{base}/rest/")),
        ("server_endpoint", format!("{base}/rest/")),
        ("member_id", portal.member_id()),
    ]);
    if application {
        auth.push(("status", "L".to_owned()));
    }
    auth.push(("application_token", portal.application_token()));
    auth
}
