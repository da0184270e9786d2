//! Bitrix24 external telephony (bitrix24-rest.md §4): the parameters of
//! `register`, `show`, `hide`, `finish` and `attachRecord`, and the call
//! lifecycle across them.
//!
//! # Implementation notes
//!
//! The fake's journal keeps the `CALL_ID` a `register` got back
//! (`result`); a journal without it needs it inferred (A-VERIFY-1). Each successful `register` leaves a
//! *pending* registration; the first request that names a CALL_ID not seen
//! before takes one that came earlier, preferring the one made in the second
//! the CALL_ID's timestamp names (`externalCall.<hex>.<unix>`). A `register`
//! with the dedup key of a registration still open (same user, number, type,
//! line, external id, within 30 minutes; §4.1) gets the same CALL_ID back
//! and leaves nothing new. A CALL_ID no earlier register can account for
//! breaks B24-LIFE-1. When an entry carries the answer (`result`), its
//! CALL_ID is taken as is.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::params::{self, get, int, is_flag, show, text};
use crate::{Breach, Entry, Rule, Severity, Sink};

const REGISTER: &str = "telephony.externalcall.register";
const FINISH: &str = "telephony.externalcall.finish";
const SHOW: &str = "telephony.externalcall.show";
const HIDE: &str = "telephony.externalcall.hide";
const ATTACH: &str = "telephony.externalcall.attachrecord";
const CALL_START_EVENT: &str = "event:onexternalcallstart";

/// §4.1: a register within 30 minutes of an unfinished twin gets its CALL_ID.
const DEDUP_MICROS: i64 = 30 * 60 * 1_000_000;

/// §4.3: the codes the portal localises.
const STATUS_CODES: [&str; 13] =
    ["200", "304", "603", "603-S", "403", "404", "486", "484", "503", "480", "402", "423", "OTHER"];

/// What makes two registrations the same call (§4.1, re-registration).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct DedupKey {
    user: String,
    phone: String,
    kind: i64,
    line: String,
    external_id: String,
}

#[derive(Debug)]
struct Pending {
    seq: u64,
    micros: i64,
    key: Option<DedupKey>,
}

#[derive(Debug)]
struct Call {
    /// The register (or event) it came from; `None` when nothing accounts for it.
    origin: Option<u64>,
    micros: i64,
    key: Option<DedupKey>,
    finished: Option<u64>,
}

/// The lifecycle seen so far.
#[derive(Debug, Default)]
pub(crate) struct Checker {
    pending: Vec<Pending>,
    calls: HashMap<String, Call>,
    /// CALL_IDs in order of first sight, for a stable end-of-journal report.
    order: Vec<String>,
}

fn breach(entry: &Entry, rule: Rule, severity: Severity, message: String, params: Value) -> Breach {
    Breach {
        rule,
        severity,
        seq: entry.seq,
        method: entry.method.clone(),
        item: None,
        message,
        params,
        related_seq: None,
    }
}

/// The named params as an object (`null` where absent), for the report.
fn pick(p: &Map<String, Value>, names: &[&str]) -> Value {
    Value::Object(names.iter().map(|n| ((*n).to_owned(), get(p, n).cloned().unwrap_or(Value::Null))).collect())
}

impl Checker {
    pub(crate) fn check(&mut self, entry: &Entry, sink: &mut Sink) {
        let method = entry.method.to_ascii_lowercase();
        let method = method.trim_end_matches('/').trim_end_matches(".json");
        let empty = Map::new();
        let p = entry.params.as_object().unwrap_or(&empty);
        match method {
            REGISTER => self.register(entry, p, sink),
            FINISH => self.finish(entry, p, sink),
            SHOW | HIDE => self.push(entry, p, sink),
            ATTACH => self.attach(entry, p, sink),
            CALL_START_EVENT => self.call_start_event(entry),
            "batch" => batch(entry, p, sink),
            _ => {}
        }
    }

    fn register(&mut self, entry: &Entry, p: &Map<String, Value>, sink: &mut Sink) {
        let user = user_param(entry, p, Rule::B24RegisterUser, "register", sink);
        let phone = match get(p, "PHONE_NUMBER") {
            Some(v) => {
                match text(v) {
                    Some(t) if !params::digits(&t).is_empty() => Some(params::digits(&t)),
                    _ => {
                        sink.push(breach(
                        entry,
                        Rule::B24RegisterPhone,
                        Severity::Error,
                        format!("PHONE_NUMBER {} holds no digits (the portal answers \"Unsupported phone number format\")", show(Some(v))),
                        pick(p, &["PHONE_NUMBER"]),
                    ));
                        None
                    }
                }
            }
            None => {
                sink.push(breach(
                    entry,
                    Rule::B24RegisterPhone,
                    Severity::Error,
                    "PHONE_NUMBER is missing".into(),
                    pick(p, &["PHONE_NUMBER"]),
                ));
                None
            }
        };
        let kind = get(p, "TYPE").and_then(int);
        match (get(p, "TYPE"), kind) {
            (_, Some(1..=4)) => {}
            (_, Some(5)) => sink.push(breach(
                entry,
                Rule::B24RegisterType,
                Severity::Warning,
                "TYPE 5 (informational) is only in the newest docs; older portals answer \"Unknown TYPE\"".into(),
                pick(p, &["TYPE"]),
            )),
            (None, _) => sink.push(breach(
                entry,
                Rule::B24RegisterType,
                Severity::Error,
                "TYPE is missing (1 outgoing, 2 incoming, 3 incoming redirected, 4 callback, 5 informational)".into(),
                pick(p, &["TYPE"]),
            )),
            (Some(v), _) => sink.push(breach(
                entry,
                Rule::B24RegisterType,
                Severity::Error,
                format!("TYPE is {}, expected an int 1..5 (the portal answers \"Unknown TYPE\")", show(Some(v))),
                pick(p, &["TYPE"]),
            )),
        }
        if let Some(v) = get(p, "CALL_START_DATE")
            && !v.as_str().is_some_and(params::is_iso8601_with_zone)
        {
            sink.push(breach(
                entry,
                Rule::B24RegisterDate,
                Severity::Error,
                format!(
                    "CALL_START_DATE is {}, expected ISO 8601 with a zone (2026-03-07T10:20:30+03:00)",
                    show(Some(v))
                ),
                pick(p, &["CALL_START_DATE"]),
            ));
        }
        register_optional(entry, p, sink);
        if get(p, "EXTERNAL_CALL_ID").and_then(text).is_none_or(|t| t.trim().is_empty()) {
            sink.push(breach(
                entry,
                Rule::B24RegisterExternalId,
                Severity::Warning,
                "no EXTERNAL_CALL_ID: two concurrent calls between the same numbers would share one CALL_ID".into(),
                pick(p, &["EXTERNAL_CALL_ID"]),
            ));
        }

        if !entry.succeeded() {
            return;
        }
        let key = match (user, phone, kind) {
            (Some(user), Some(phone), Some(kind)) => Some(DedupKey {
                user,
                phone,
                kind,
                line: get(p, "LINE_NUMBER").and_then(text).unwrap_or_default(),
                external_id: get(p, "EXTERNAL_CALL_ID").and_then(text).unwrap_or_default(),
            }),
            _ => None,
        };
        // The answer, when the journal kept it, names the CALL_ID exactly.
        let answered = entry.result.as_ref().and_then(|r| {
            r.get("CALL_ID").or_else(|| r.get("result").and_then(|r| r.get("CALL_ID"))).and_then(Value::as_str)
        });
        if let Some(call_id) = answered {
            if !self.calls.contains_key(call_id) {
                self.order.push(call_id.to_owned());
                self.calls.insert(
                    call_id.to_owned(),
                    Call { origin: Some(entry.seq), micros: entry.time_micros, key, finished: None },
                );
            }
            return;
        }
        // Re-registration of an open call: the same CALL_ID comes back.
        let open_twin = key.as_ref().is_some_and(|key| {
            let recent = |micros: i64| entry.time_micros - micros < DEDUP_MICROS;
            self.pending.iter().any(|pd| pd.key.as_ref() == Some(key) && recent(pd.micros))
                || self.calls.values().any(|c| c.finished.is_none() && c.key.as_ref() == Some(key) && recent(c.micros))
        });
        if !open_twin {
            self.pending.push(Pending { seq: entry.seq, micros: entry.time_micros, key });
        }
    }

    /// The call `CALL_ID` names, bound to an earlier registration on first
    /// sight; `None` (and B24-LIFE-1) when nothing accounts for it.
    fn call(&mut self, entry: &Entry, call_id: &str, sink: &mut Sink) -> &mut Call {
        if !self.calls.contains_key(call_id) {
            let stamp = call_id.rsplit('.').next().and_then(|t| t.parse::<i64>().ok());
            let same_second = self
                .pending
                .iter()
                .position(|pd| pd.seq < entry.seq && stamp.is_some_and(|s| pd.micros.div_euclid(1_000_000) == s));
            let any_earlier = self.pending.iter().position(|pd| pd.seq < entry.seq);
            let call = match same_second.or(any_earlier) {
                Some(at) => {
                    let pd = self.pending.remove(at);
                    Call { origin: Some(pd.seq), micros: pd.micros, key: pd.key, finished: None }
                }
                None => {
                    sink.push(Breach {
                        severity: sink.history(entry.seq, Severity::Error),
                        ..breach(
                            entry,
                            Rule::B24Registered,
                            Severity::Error,
                            format!(
                                "CALL_ID {call_id} was not registered before: no earlier telephony.externalcall.register \
                                 (nor ONEXTERNALCALLSTART) accounts for it"
                            ),
                            json!({ "CALL_ID": call_id }),
                        )
                    });
                    Call { origin: None, micros: entry.time_micros, key: None, finished: None }
                }
            };
            if !is_call_id_shape(call_id) {
                sink.push(breach(
                    entry,
                    Rule::B24CallIdShape,
                    Severity::Warning,
                    format!("CALL_ID {call_id:?} is not externalCall.<32 hex>.<unix time>, as the portal's are"),
                    json!({ "CALL_ID": call_id }),
                ));
            }
            self.order.push(call_id.to_owned());
            self.calls.insert(call_id.to_owned(), call);
        }
        // Inserted just above when absent.
        self.calls.entry(call_id.to_owned()).or_insert(Call { origin: None, micros: 0, key: None, finished: None })
    }

    fn finish(&mut self, entry: &Entry, p: &Map<String, Value>, sink: &mut Sink) {
        user_param(entry, p, Rule::B24FinishUser, "finish", sink);
        finish_typed(entry, p, sink);
        let call_id = match get(p, "CALL_ID") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            other => {
                let message = match other {
                    None => "CALL_ID is missing".to_owned(),
                    Some(v) => {
                        format!("CALL_ID is {}, expected a string (the portal answers INVALID_ARGUMENT)", show(Some(v)))
                    }
                };
                sink.push(breach(entry, Rule::B24FinishCallId, Severity::Error, message, pick(p, &["CALL_ID"])));
                return;
            }
        };
        let call = self.call(entry, &call_id, sink);
        if let Some(first) = call.finished {
            sink.push(Breach {
                related_seq: Some(first),
                ..breach(
                    entry,
                    Rule::B24OneFinish,
                    Severity::Error,
                    format!("CALL_ID {call_id} was already finished at seq {first} (a second finish answers \"Call is not found\")"),
                    pick(p, &["CALL_ID"]),
                )
            });
        } else if entry.succeeded() {
            call.finished = Some(entry.seq);
        }
    }

    fn push(&mut self, entry: &Entry, p: &Map<String, Value>, sink: &mut Sink) {
        let action = if entry.method.to_ascii_lowercase().contains("show") { "show" } else { "hide" };
        match get(p, "USER_ID") {
            None => sink.push(breach(
                entry,
                Rule::B24ShowUser,
                Severity::Warning,
                format!("{action} without USER_ID goes to the registering user only"),
                pick(p, &["CALL_ID", "USER_ID"]),
            )),
            Some(Value::Array(items)) if !items.is_empty() && items.iter().all(|v| int(v).is_some_and(|n| n > 0)) => {}
            Some(v) if !v.is_array() && int(v).is_some_and(|n| n > 0) => {}
            Some(v) => sink.push(breach(
                entry,
                Rule::B24ShowParams,
                Severity::Error,
                format!("USER_ID is {}, expected a user id or an array of them", show(Some(v))),
                pick(p, &["CALL_ID", "USER_ID"]),
            )),
        }
        let call_id = match get(p, "CALL_ID") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            other => {
                sink.push(breach(
                    entry,
                    Rule::B24ShowParams,
                    Severity::Error,
                    format!("CALL_ID is {}, expected the string register answered", show(other)),
                    pick(p, &["CALL_ID", "USER_ID"]),
                ));
                return;
            }
        };
        let call = self.call(entry, &call_id, sink);
        if let Some(finished) = call.finished {
            sink.push(Breach {
                related_seq: Some(finished),
                ..breach(
                    entry,
                    Rule::B24PushAfterFinish,
                    Severity::Warning,
                    format!(
                        "{action} after CALL_ID {call_id} was finished at seq {finished}: the portal answers false"
                    ),
                    pick(p, &["CALL_ID", "USER_ID"]),
                )
            });
        }
    }

    fn attach(&mut self, entry: &Entry, p: &Map<String, Value>, sink: &mut Sink) {
        let url = get(p, "RECORD_URL").and_then(text).filter(|s| !s.trim().is_empty());
        let filename = get(p, "FILENAME").and_then(text).filter(|s| !s.trim().is_empty());
        let content = get(p, "FILE_CONTENT");
        let names = ["CALL_ID", "FILENAME", "RECORD_URL", "FILE_CONTENT"];
        let mut problem = |message: String| {
            let mut shown = pick(p, &names);
            // A record's body is no use in a report.
            if let Some(Value::String(body)) = shown.get_mut("FILE_CONTENT") {
                *body = format!("<{} bytes>", body.len());
            }
            sink.push(breach(entry, Rule::B24RecordParams, Severity::Error, message, shown));
        };
        if url.is_none() && filename.is_none() {
            problem("neither RECORD_URL nor FILENAME (the portal answers \"Required parameters are not set\")".into());
        }
        if let Some(name) = &filename {
            let lower = name.to_ascii_lowercase();
            if !lower.ends_with(".wav") && !lower.ends_with(".mp3") {
                problem(format!("FILENAME {name:?} does not end in .wav or .mp3"));
            }
        }
        if url.is_none() && filename.is_some() && content.is_some() {
            match content {
                Some(Value::String(body)) if params::is_base64(body) => {}
                Some(Value::String(body)) if body.is_empty() => problem("FILE_CONTENT is empty".into()),
                _ => problem("FILE_CONTENT is not base64".into()),
            }
        }
        let call_id = match get(p, "CALL_ID") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            other => {
                problem(format!("CALL_ID is {}, expected the string register answered", show(other)));
                return;
            }
        };
        let call = self.call(entry, &call_id, sink);
        if call.finished.is_none() && call.origin.is_some() {
            sink.push(breach(
                entry,
                Rule::B24RecordAfterFinish,
                Severity::Error,
                format!("attachRecord before CALL_ID {call_id} was finished (the portal answers \"Looks like it is not finished yet\")"),
                pick(p, &["CALL_ID"]),
            ));
        }
    }

    /// `ONEXTERNALCALLSTART`: the portal registered the call itself (§4.8).
    fn call_start_event(&mut self, entry: &Entry) {
        let body = entry.params.get("body");
        let call_id = match body {
            Some(Value::String(form)) => {
                form_urlencoded::parse(form.as_bytes()).find(|(k, _)| k == "data[CALL_ID]").map(|(_, v)| v.into_owned())
            }
            Some(object) => object.pointer("/data/CALL_ID").and_then(Value::as_str).map(str::to_owned),
            None => None,
        };
        if let Some(call_id) = call_id
            && !self.calls.contains_key(&call_id)
        {
            self.order.push(call_id.clone());
            self.calls.insert(
                call_id,
                Call { origin: Some(entry.seq), micros: entry.time_micros, key: None, finished: None },
            );
        }
    }

    /// At the end of the journal: calls never finished.
    pub(crate) fn end(&mut self, sink: &mut Sink) {
        for call_id in &self.order {
            let Some(call) = self.calls.get(call_id) else { continue };
            if let (None, Some(origin)) = (call.finished, call.origin) {
                sink.push(Breach {
                    rule: Rule::B24Finished,
                    severity: Severity::Warning,
                    seq: origin,
                    method: REGISTER.into(),
                    item: None,
                    message: format!("CALL_ID {call_id} was never finished (its card and active call stay open)"),
                    params: json!({ "CALL_ID": call_id }),
                    related_seq: None,
                });
            }
        }
        for pd in &self.pending {
            sink.push(Breach {
                rule: Rule::B24Finished,
                severity: Severity::Warning,
                seq: pd.seq,
                method: REGISTER.into(),
                item: None,
                message: "this register's CALL_ID is never used afterwards: the call was never finished".into(),
                params: Value::Null,
                related_seq: None,
            });
        }
    }
}

/// `USER_ID` (int > 0) or `USER_PHONE_INNER`; the user key for dedup.
fn user_param(entry: &Entry, p: &Map<String, Value>, rule: Rule, what: &str, sink: &mut Sink) -> Option<String> {
    let id = get(p, "USER_ID");
    let inner = get(p, "USER_PHONE_INNER").and_then(text).filter(|s| !s.trim().is_empty());
    match (id, id.and_then(int)) {
        (Some(_), Some(n)) if n > 0 => Some(n.to_string()),
        (Some(v), _) if inner.is_none() => {
            sink.push(breach(
                entry,
                rule,
                Severity::Error,
                format!("{what}: USER_ID is {}, expected a user id (an int > 0)", show(Some(v))),
                pick(p, &["USER_ID", "USER_PHONE_INNER"]),
            ));
            None
        }
        _ => match inner {
            Some(inner) => Some(format!("inner:{inner}")),
            None => {
                sink.push(breach(
                    entry,
                    rule,
                    Severity::Error,
                    format!("{what}: neither USER_ID nor USER_PHONE_INNER (the portal answers \"USER_ID or USER_PHONE_INNER should be set\")"),
                    pick(p, &["USER_ID", "USER_PHONE_INNER"]),
                ));
                None
            }
        },
    }
}

fn register_optional(entry: &Entry, p: &Map<String, Value>, sink: &mut Sink) {
    let mut problem = |message: String, names: &[&str]| {
        sink.push(breach(entry, Rule::B24RegisterOptional, Severity::Error, message, pick(p, names)));
    };
    for flag in ["CRM_CREATE", "SHOW", "ADD_TO_CHAT"] {
        if let Some(v) = get(p, flag)
            && !is_flag(v)
        {
            problem(format!("{flag} is {}, expected 0 or 1", show(Some(v))), &[flag]);
        }
    }
    let kind = get(p, "CRM_ENTITY_TYPE");
    let id = get(p, "CRM_ENTITY_ID");
    if let Some(v) = kind
        && !v.as_str().is_some_and(|t| ["CONTACT", "COMPANY", "LEAD"].contains(&t.to_ascii_uppercase().as_str()))
    {
        problem(
            format!("CRM_ENTITY_TYPE is {}, expected CONTACT, COMPANY or LEAD", show(Some(v))),
            &["CRM_ENTITY_TYPE"],
        );
    }
    if let Some(v) = id
        && int(v).is_none_or(|n| n <= 0)
    {
        problem(format!("CRM_ENTITY_ID is {}, expected an id (int > 0)", show(Some(v))), &["CRM_ENTITY_ID"]);
    }
    if kind.is_some() != id.is_some() {
        problem(
            "CRM_ENTITY_TYPE and CRM_ENTITY_ID go together (one is set without the other)".into(),
            &["CRM_ENTITY_TYPE", "CRM_ENTITY_ID"],
        );
    }
    if let Some(v) = get(p, "CALL_LIST_ID")
        && int(v).is_none()
    {
        problem(format!("CALL_LIST_ID is {}, expected an int", show(Some(v))), &["CALL_LIST_ID"]);
    }
    if let Some(v) = get(p, "LINE_NUMBER") {
        match text(v) {
            Some(line) if line.chars().count() <= 50 => {}
            Some(_) => problem("LINE_NUMBER is longer than 50 characters".into(), &["LINE_NUMBER"]),
            None => problem(format!("LINE_NUMBER is {}, expected a string", show(Some(v))), &["LINE_NUMBER"]),
        }
    }
}

fn finish_typed(entry: &Entry, p: &Map<String, Value>, sink: &mut Sink) {
    let mut typed = |message: String, name: &str| {
        sink.push(breach(entry, Rule::B24FinishTyped, Severity::Error, message, pick(p, &[name])));
    };
    if let Some(v) = get(p, "DURATION")
        && int(v).is_none_or(|n| n < 0)
    {
        typed(format!("DURATION is {}, expected whole seconds (an int ≥ 0)", show(Some(v))), "DURATION");
    }
    if let Some(v) = get(p, "VOTE")
        && !int(v).is_some_and(|n| (0..=5).contains(&n))
    {
        typed(format!("VOTE is {}, expected an int 1..5 (0: no rating)", show(Some(v))), "VOTE");
    }
    if let Some(v) = get(p, "COST")
        && !(v.is_number() || v.as_str().is_some_and(|s| s.trim().parse::<f64>().is_ok()))
    {
        typed(format!("COST is {}, expected a number", show(Some(v))), "COST");
    }
    if let Some(v) = get(p, "ADD_TO_CHAT")
        && !is_flag(v)
    {
        typed(format!("ADD_TO_CHAT is {}, expected 0 or 1", show(Some(v))), "ADD_TO_CHAT");
    }
    let status = get(p, "STATUS_CODE");
    if let Some(v) = status
        && text(v).is_none()
    {
        typed(format!("STATUS_CODE is {}, expected a string such as \"200\"", show(Some(v))), "STATUS_CODE");
    }
    let mut advise = |message: String| {
        sink.push(breach(
            entry,
            Rule::B24FinishStatus,
            Severity::Warning,
            message,
            pick(p, &["DURATION", "STATUS_CODE"]),
        ));
    };
    match status.and_then(text) {
        None if status.is_none() => {
            advise("no STATUS_CODE: the portal records 200 when DURATION > 0, else 304 (missed)".into())
        }
        Some(code) if code.is_empty() => {
            advise("STATUS_CODE is empty: the portal records 200 when DURATION > 0, else 304 (missed)".into())
        }
        Some(code) if !STATUS_CODES.contains(&code.as_str()) => advise(format!(
            "STATUS_CODE {code:?} is not one the portal knows (200 304 603 603-S 403 404 486 484 503 480 402 423 OTHER)"
        )),
        _ => {}
    }
    if get(p, "DURATION").is_none() {
        advise("no DURATION: the portal records 0 seconds".into());
    }
}

/// `batch`: telephony commands inside are not checked (their answers are not journaled).
fn batch(entry: &Entry, p: &Map<String, Value>, sink: &mut Sink) {
    let commands: Vec<&str> = match get(p, "cmd") {
        Some(Value::Object(map)) => map.values().filter_map(Value::as_str).collect(),
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let telephony: Vec<&str> = commands
        .iter()
        .map(|c| c.split('?').next().unwrap_or_default())
        .filter(|m| m.to_ascii_lowercase().starts_with("telephony.externalcall"))
        .collect();
    if !telephony.is_empty() {
        sink.push(breach(
            entry,
            Rule::B24Batch,
            Severity::Warning,
            format!("batch carries {} (not checked: sub-requests are not journaled one by one)", telephony.join(", ")),
            json!({ "cmd": telephony }),
        ));
    }
}

/// `externalCall.<32 hex>.<unix time>` (§4.1).
fn is_call_id_shape(call_id: &str) -> bool {
    let mut parts = call_id.split('.');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("externalCall"), Some(hex), Some(ts), None)
            if hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
                && !ts.is_empty() && ts.bytes().all(|b| b.is_ascii_digit())
    )
}
