//! amoCRM calls and unsorted SIP (amocrm-api.md §4): the body of every
//! write, the fields of `POST /api/v4/calls` and `POST
//! /api/v4/leads/unsorted/sip`, and whether a call's phone belongs to a card.
//!
//! # Implementation notes
//!
//! Which phones the account has (AMO-CALL-3, A-VERIFY-3), by their last 10
//! digits as the account matches them (§3.2, §4.1):
//! - the seeded world's contacts and companies, when [`SeededPhones`] is given;
//! - the `PHONE` field of contacts and companies the journal created
//!   (`POST`/`PATCH /contacts`, `/companies`, `/leads/complex`) with a 2xx answer;
//! - what searches answered: `GET /contacts?query=…` (or `/companies`)
//!   answered 200 found someone, 204 found no one in that table.
//!
//! Contacts created inside an unsorted entry are hidden until it is accepted
//! (§4.2), so a call to them is a warning, not a pass.

use std::collections::{HashMap, HashSet};

use callfull_world::{ClientRef, World};
use serde_json::{Map, Value, json};

use crate::params::{digits, phone_key, show};
use crate::{Breach, Entry, Rule, Severity, Sink};

/// The phones (last 10 digits) of the contacts and companies a fake amoCRM
/// account is seeded with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeededPhones {
    keys: HashSet<String>,
    phone_field_id: Option<u64>,
}

impl SeededPhones {
    /// The phones `callfull serve` seeds its amoCRM account with from `world`
    /// (contacts, the world's leads as contacts, companies).
    pub fn from_world(world: &World) -> SeededPhones {
        let clients = world
            .contacts
            .iter()
            .map(ClientRef::Contact)
            .chain(world.leads.iter().map(ClientRef::Lead))
            .chain(world.companies.iter().map(ClientRef::Company));
        // The seeded records' PHONE field holds exactly the clients' phones.
        let mut keys = HashSet::new();
        for client in clients {
            keys.extend(client.phones().iter().map(|p| phone_key(p)).filter(|k| !k.is_empty()));
        }
        SeededPhones { keys, phone_field_id: Some(world.amo.phone_field.id) }
    }

    /// From a list of phone numbers (any spelling).
    pub fn from_phones<S: AsRef<str>>(phones: impl IntoIterator<Item = S>) -> SeededPhones {
        let keys = phones.into_iter().map(|p| phone_key(p.as_ref())).filter(|k| !k.is_empty()).collect();
        SeededPhones { keys, phone_field_id: None }
    }

    /// How many distinct phones.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether `phone` (any spelling) is one of them.
    pub fn contains(&self, phone: &str) -> bool {
        self.keys.contains(&phone_key(phone))
    }
}

/// The values of a record's `PHONE` field (by `field_code`, or by `field_id`).
fn phones_of(record: &Value, field_id: Option<u64>) -> Vec<String> {
    let fields = record.get("custom_fields_values").and_then(Value::as_array).into_iter().flatten();
    fields
        .filter(|f| {
            f.get("field_code").and_then(Value::as_str).is_some_and(|c| c.eq_ignore_ascii_case("PHONE"))
                || (field_id.is_some() && f.get("field_id").and_then(Value::as_u64) == field_id)
        })
        .filter_map(|f| f.get("values").and_then(Value::as_array))
        .flatten()
        .filter_map(|v| match v.get("value") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Table {
    Contacts,
    Companies,
}

/// What a search answered.
#[derive(Debug)]
struct Search {
    digits: String,
    table: Table,
    found: bool,
}

/// The account as the journal shows it so far.
#[derive(Debug)]
pub(crate) struct Checker<'s> {
    seeded: Option<&'s SeededPhones>,
    created: HashSet<String>,
    hidden: HashSet<String>,
    searches: Vec<Search>,
    /// `uniq` → the seq that logged it first.
    uniqs: HashMap<String, u64>,
    /// `(source_uid, metadata.uniq)` → the seq that added it.
    unsorted: HashMap<(String, String), u64>,
}

fn breach(
    entry: &Entry,
    rule: Rule,
    severity: Severity,
    item: Option<usize>,
    message: String,
    params: Value,
) -> Breach {
    Breach { rule, severity, seq: entry.seq, method: entry.method.clone(), item, message, params, related_seq: None }
}

/// `(verb, path)` with `/api/v4` and a trailing `/` taken off: `("POST", "/calls")`.
fn route(method: &str) -> (String, String) {
    let (verb, path) = method.split_once(' ').unwrap_or(("", method));
    let path = path.split('?').next().unwrap_or_default();
    let path = path.strip_prefix("/api/v4").unwrap_or(path);
    let path = path.trim_end_matches('/');
    (verb.to_ascii_uppercase(), path.to_ascii_lowercase())
}

/// Collection endpoints whose POST/PATCH body is an array, and their item cap.
fn batch_cap(verb: &str, path: &str) -> Option<usize> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let entity = |s: &str| matches!(s, "contacts" | "companies" | "leads" | "customers");
    match (verb, segments.as_slice()) {
        ("POST", ["leads", "complex"]) => Some(50),
        ("POST", ["calls"]) | ("POST", ["leads", "unsorted", "sip" | "forms"]) => Some(250),
        ("POST" | "PATCH", [e]) if entity(e) => Some(250),
        ("POST" | "PATCH", [e, "notes"]) if entity(e) => Some(250),
        ("POST" | "PATCH", [e, id, "notes"]) if entity(e) && id.bytes().all(|b| b.is_ascii_digit()) => Some(250),
        _ => None,
    }
}

impl<'s> Checker<'s> {
    pub(crate) fn new(seeded: Option<&'s SeededPhones>) -> Self {
        Checker {
            seeded,
            created: HashSet::new(),
            hidden: HashSet::new(),
            searches: Vec::new(),
            uniqs: HashMap::new(),
            unsorted: HashMap::new(),
        }
    }

    pub(crate) fn check(&mut self, entry: &Entry, sink: &mut Sink) {
        let (verb, path) = route(&entry.method);
        let body = entry.params.get("_body").filter(|b| !b.is_null());
        let items: &[Value] = match batch_cap(&verb, &path) {
            Some(cap) => match body {
                Some(Value::Array(items)) if !items.is_empty() && items.len() <= cap => items,
                other => {
                    let message = match other {
                        None => "no body (the account answers 400 \"Request data can not be empty\")".to_owned(),
                        Some(Value::Array(items)) if items.is_empty() => {
                            "an empty array (the account answers 400 \"Request data can not be empty\")".to_owned()
                        }
                        Some(Value::Array(items)) => {
                            format!("{} items, more than the {cap} one request takes", items.len())
                        }
                        Some(v) => format!("the body is {}, expected a JSON array of items", show(Some(v))),
                    };
                    let shown = match other {
                        Some(Value::Array(_)) => Value::Null,
                        other => json!({ "_body": other }),
                    };
                    sink.push(breach(entry, Rule::AmoBody, Severity::Error, None, message, shown));
                    return;
                }
            },
            None => &[],
        };
        for (i, item) in items.iter().enumerate() {
            if !item.is_object() {
                sink.push(breach(
                    entry,
                    Rule::AmoBody,
                    Severity::Error,
                    Some(i),
                    format!("item {i} is {}, expected an object", show(Some(item))),
                    item.clone(),
                ));
            }
        }
        let objects = items.iter().enumerate().filter_map(|(i, v)| v.as_object().map(|o| (i, o)));
        match (verb.as_str(), path.as_str()) {
            ("POST", "/calls") => {
                for (i, call) in objects {
                    self.call(entry, i, call, sink);
                }
            }
            ("POST", "/leads/unsorted/sip") => {
                for (i, item) in objects {
                    self.sip(entry, i, item, sink);
                }
            }
            ("POST" | "PATCH", "/contacts" | "/companies") if entry.succeeded() => {
                for (_, record) in objects {
                    self.learn(&Value::Object(record.clone()));
                }
            }
            ("POST", "/leads/complex") if entry.succeeded() => {
                for (_, lead) in objects {
                    for name in ["contacts", "companies"] {
                        let embedded = lead.get("_embedded").and_then(|e| e.get(name)).and_then(Value::as_array);
                        for record in embedded.into_iter().flatten() {
                            self.learn(record);
                        }
                    }
                }
            }
            ("GET", "/contacts" | "/companies") => self.search(entry, &path),
            ("PATCH", p) if entry.succeeded() && (p.starts_with("/contacts/") || p.starts_with("/companies/")) => {
                if let Some(record) = body {
                    self.learn(record);
                }
            }
            ("POST", p) if entry.succeeded() && p.starts_with("/leads/unsorted/") && p.ends_with("/accept") => {
                // Which entry is not in the journal (its uid came in an answer): all of them.
                self.created.extend(self.hidden.drain());
            }
            _ => {}
        }
    }

    fn learn(&mut self, record: &Value) {
        let field = self.seeded.and_then(|s| s.phone_field_id);
        self.created.extend(phones_of(record, field).iter().map(|p| phone_key(p)).filter(|k| !k.is_empty()));
    }

    fn search(&mut self, entry: &Entry, path: &str) {
        let Some(query) = entry.params.get("query").and_then(Value::as_str) else { return };
        let d = digits(query);
        // A name or a short number says nothing about phones.
        if d.len() < 7 || !(entry.status == 200 || entry.status == 204) {
            return;
        }
        let d = phone_key(query);
        let table = if path == "/contacts" { Table::Contacts } else { Table::Companies };
        self.searches.push(Search { digits: d, table, found: entry.status == 200 });
    }

    fn call(&mut self, entry: &Entry, i: usize, call: &Map<String, Value>, sink: &mut Sink) {
        let mut required = |message: String, names: &[&str]| {
            let params = Value::Object(
                names.iter().map(|n| ((*n).to_owned(), call.get(*n).cloned().unwrap_or(Value::Null))).collect(),
            );
            sink.push(breach(entry, Rule::AmoCallRequired, Severity::Error, Some(i), message, params));
        };
        match call.get("direction") {
            Some(Value::String(d)) if d == "inbound" || d == "outbound" => {}
            other => {
                required(format!("direction is {}, expected \"inbound\" or \"outbound\"", show(other)), &["direction"])
            }
        }
        match call.get("duration") {
            Some(v) if v.as_u64().is_some() => {}
            other => {
                required(format!("duration is {}, expected whole seconds (an int ≥ 0)", show(other)), &["duration"])
            }
        }
        match call.get("source") {
            Some(Value::String(s)) if !s.trim().is_empty() => {}
            other => required(format!("source is {}, expected the integration's name", show(other)), &["source"]),
        }
        let phone = match call.get("phone") {
            Some(Value::String(s)) if !digits(s).is_empty() => Some(s.clone()),
            Some(Value::String(s)) if !s.trim().is_empty() => {
                required(format!("phone {s:?} holds no digits: no card can be found by it"), &["phone"]);
                None
            }
            other => {
                required(format!("phone is {}, expected the client's number as a string", show(other)), &["phone"]);
                None
            }
        };
        call_typed(entry, i, call, sink);
        match call.get("uniq").and_then(Value::as_str).filter(|u| !u.is_empty()) {
            None => sink.push(breach(
                entry,
                Rule::AmoCallUniq,
                Severity::Warning,
                Some(i),
                "no uniq: the account cannot tell this call from a repeat".into(),
                json!({ "uniq": call.get("uniq") }),
            )),
            Some(uniq) => match self.uniqs.get(uniq) {
                Some(&first) => sink.push(Breach {
                    related_seq: Some(first),
                    ..breach(
                        entry,
                        Rule::AmoCallUniq,
                        Severity::Warning,
                        Some(i),
                        format!("uniq {uniq:?} was logged already at seq {first}: the same call twice"),
                        json!({ "uniq": uniq }),
                    )
                }),
                None if entry.succeeded() => {
                    self.uniqs.insert(uniq.to_owned(), entry.seq);
                }
                None => {}
            },
        }
        if let Some(phone) = phone {
            self.known_phone(entry, i, &phone, sink);
        }
    }

    fn known_phone(&self, entry: &Entry, i: usize, phone: &str, sink: &mut Sink) {
        let key = phone_key(phone);
        let found_by = |table: Option<Table>, found: bool| {
            self.searches
                .iter()
                .rev()
                .any(|s| key.ends_with(&s.digits) && s.found == found && table.is_none_or(|t| s.table == t))
        };
        if self.created.contains(&key) || self.seeded.is_some_and(|s| s.keys.contains(&key)) || found_by(None, true) {
            return;
        }
        let params = json!({ "phone": phone });
        let (severity, message) = if self.hidden.contains(&key) {
            (
                Severity::Warning,
                format!(
                    "phone {phone} is only on a contact inside an unsorted entry, hidden until the entry is accepted"
                ),
            )
        } else if self.seeded.is_some() {
            (
                sink.history(entry.seq, Severity::Error),
                format!(
                    "phone {phone} belongs to no contact or company: not seeded, not created earlier in the journal"
                ),
            )
        } else if found_by(Some(Table::Contacts), false) && found_by(Some(Table::Companies), false) {
            (
                sink.history(entry.seq, Severity::Error),
                format!(
                    "phone {phone} belongs to no contact or company: earlier searches of both found nobody, and none was created since"
                ),
            )
        } else {
            (
                Severity::Warning,
                format!(
                    "cannot tell whether phone {phone} belongs to a contact or company: the journal never searched \
                     or created it (give the world the fake was seeded with: --seed/--world)"
                ),
            )
        };
        sink.push(breach(entry, Rule::AmoCallKnownPhone, severity, Some(i), message, params));
    }

    fn sip(&mut self, entry: &Entry, i: usize, item: &Map<String, Value>, sink: &mut Sink) {
        let mut shape = |severity: Severity, message: String, name: &str, value: Option<&Value>| {
            let params = json!({ name: value });
            sink.push(breach(entry, Rule::AmoSipShape, severity, Some(i), message, params));
        };
        for key in ["source_uid", "source_name"] {
            match item.get(key) {
                Some(Value::String(s)) if !s.trim().is_empty() => {}
                other => shape(Severity::Error, format!("{key} is {}, expected a string", show(other)), key, other),
            }
        }
        for key in ["pipeline_id", "created_at"] {
            if let Some(v) = item.get(key).filter(|v| !v.is_null())
                && v.as_u64().is_none()
            {
                shape(Severity::Error, format!("{key} is {}, expected an int", show(Some(v))), key, Some(v));
            }
        }
        let meta = match item.get("metadata") {
            Some(Value::Object(meta)) => Some(meta),
            other => {
                shape(
                    Severity::Error,
                    format!("metadata is {}, expected the call's object", show(other)),
                    "metadata",
                    other,
                );
                None
            }
        };
        let mut uniq = String::new();
        if let Some(meta) = meta {
            match meta.get("uniq") {
                Some(Value::String(s)) if !s.is_empty() => uniq = s.clone(),
                None | Some(Value::Null) => shape(
                    Severity::Warning,
                    "metadata.uniq is missing: the call cannot be told from a repeat".into(),
                    "metadata.uniq",
                    None,
                ),
                other => shape(
                    Severity::Error,
                    format!("metadata.uniq is {}, expected a string", show(other)),
                    "metadata.uniq",
                    other,
                ),
            }
            match meta.get("phone") {
                Some(Value::String(_)) => {}
                Some(v) if v.as_u64().is_some() => {}
                None | Some(Value::Null) => {
                    shape(Severity::Warning, "metadata.phone is missing".into(), "metadata.phone", None)
                }
                other => shape(
                    Severity::Error,
                    format!("metadata.phone is {}, expected a string or an int", show(other)),
                    "metadata.phone",
                    other,
                ),
            }
            for key in ["called_at", "duration"] {
                if let Some(v) = meta.get(key).filter(|v| !v.is_null())
                    && v.as_u64().is_none()
                {
                    shape(
                        Severity::Error,
                        format!("metadata.{key} is {}, expected an int", show(Some(v))),
                        &format!("metadata.{key}"),
                        Some(v),
                    );
                }
            }
            for key in ["from", "link", "service_code"] {
                if let Some(v) = meta.get(key).filter(|v| !v.is_null() && !v.is_string()) {
                    shape(
                        Severity::Error,
                        format!("metadata.{key} is {}, expected a string", show(Some(v))),
                        &format!("metadata.{key}"),
                        Some(v),
                    );
                }
            }
            if let Some(v) =
                meta.get("call_responsible").filter(|v| !v.is_null() && !v.is_string() && v.as_u64().is_none())
            {
                shape(
                    Severity::Error,
                    format!("metadata.call_responsible is {}, expected a user id, phone or name", show(Some(v))),
                    "metadata.call_responsible",
                    Some(v),
                );
            }
            if let Some(v) = meta.get("is_call_event_needed").filter(|v| !v.is_null() && !v.is_boolean()) {
                shape(
                    Severity::Error,
                    format!("metadata.is_call_event_needed is {}, expected a boolean", show(Some(v))),
                    "metadata.is_call_event_needed",
                    Some(v),
                );
            }
        }
        let embedded = item.get("_embedded");
        for name in ["leads", "contacts", "companies"] {
            let list = embedded.and_then(|e| e.get(name));
            if let Some(Value::Array(list)) = list
                && list.len() > 1
            {
                shape(
                    Severity::Error,
                    format!("_embedded.{name} has {} items, at most 1", list.len()),
                    &format!("_embedded.{name}"),
                    None,
                );
            }
        }
        let source_uid = item.get("source_uid").and_then(Value::as_str).unwrap_or_default().to_owned();
        if !source_uid.is_empty() && !uniq.is_empty() {
            let key = (source_uid.clone(), uniq.clone());
            match self.unsorted.get(&key) {
                Some(&first) => sink.push(Breach {
                    related_seq: Some(first),
                    ..breach(
                        entry,
                        Rule::AmoSipUnique,
                        Severity::Error,
                        Some(i),
                        format!("an unsorted entry with source_uid {source_uid:?} and uniq {uniq:?} was added at seq {first}"),
                        json!({ "source_uid": source_uid, "metadata.uniq": uniq }),
                    )
                }),
                None if entry.succeeded() => {
                    self.unsorted.insert(key, entry.seq);
                }
                None => {}
            }
        }
        if entry.succeeded() {
            let field = self.seeded.and_then(|s| s.phone_field_id);
            for contact in embedded.and_then(|e| e.get("contacts")).and_then(Value::as_array).into_iter().flatten() {
                self.hidden.extend(phones_of(contact, field).iter().map(|p| phone_key(p)).filter(|k| !k.is_empty()));
            }
        }
    }
}

/// The optional fields of a call, typed (§4.1).
fn call_typed(entry: &Entry, i: usize, call: &Map<String, Value>, sink: &mut Sink) {
    let mut typed = |severity: Severity, message: String, name: &str| {
        let params = json!({ name: call.get(name) });
        sink.push(breach(entry, Rule::AmoCallTyped, severity, Some(i), message, params));
    };
    for key in ["uniq", "link", "call_result", "request_id"] {
        if let Some(v) = call.get(key).filter(|v| !v.is_null() && !v.is_string()) {
            typed(Severity::Error, format!("{key} is {}, expected a string", show(Some(v))), key);
        }
    }
    match call.get("call_status").filter(|v| !v.is_null()).map(Value::as_u64) {
        None | Some(Some(1..=7)) => {}
        Some(Some(8)) => typed(
            Severity::Warning,
            "call_status 8 is the PHP library's \"undefined\"; whether the account takes it is not documented".into(),
            "call_status",
        ),
        Some(_) => typed(
            Severity::Error,
            format!("call_status is {}, expected an int 1..7", show(call.get("call_status"))),
            "call_status",
        ),
    }
    if let Some(v) = call.get("call_responsible").filter(|v| !v.is_null() && !v.is_string() && v.as_u64().is_none()) {
        typed(
            Severity::Error,
            format!("call_responsible is {}, expected a user id, phone or name", show(Some(v))),
            "call_responsible",
        );
    }
    for key in ["responsible_user_id", "created_by", "updated_by", "created_at", "updated_at"] {
        if let Some(v) = call.get(key).filter(|v| !v.is_null() && v.as_u64().is_none()) {
            typed(Severity::Error, format!("{key} is {}, expected an int", show(Some(v))), key);
        }
    }
}
