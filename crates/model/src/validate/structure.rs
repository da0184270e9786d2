//! Rules R01–R06: the shape of the payload, walked once, top down.

use super::json::{Json, Object};

use super::{Crm, Finding, Rule, Severity, describe, describe_typed};
use crate::DateTime;
use crate::types::{CallStage, CallType, ChannelState, entity_type};

// The keys of every object, in the contract's order. A test checks them against
// the JSON Schema generated from the serde types, so the two cannot drift.
pub(crate) const CALL_FULL_KEYS: &[&str] = &[
    "active_conversation_id",
    "channel",
    "conversations",
    "deal",
    "entity",
    "is_ivr",
    "record",
    "registration",
    "result",
];
pub(crate) const CONVERSATION_KEYS: &[&str] = &["channel", "is_parked", "user"];
pub(crate) const CHANNEL_KEYS: &[&str] = &[
    "answer_time",
    "end_time",
    "extra",
    "from",
    "id",
    "is_primary",
    "name",
    "start_time",
    "state",
    "to",
    "trunk",
    "type",
    "was_answered",
];
pub(crate) const NUMBER_KEYS: &[&str] = &["base", "custom", "is_local", "original", "variants"];
pub(crate) const USER_KEYS: &[&str] = &["email", "id", "name", "phones", "position", "raw"];
pub(crate) const ENTITY_KEYS: &[&str] =
    &["id", "is_new", "name", "phones", "raw", "responsible", "responsible_id", "type"];
pub(crate) const REGISTRATION_KEYS: &[&str] = &[
    "activity_id",
    "created_company_id",
    "created_contact_id",
    "created_deal_id",
    "created_lead_id",
    "entity_id",
    "entity_type",
    "id",
    "responsible_id",
];

const STATES: [&str; 4] = ["ringing", "talking", "ended", "processed"];
const TYPES: [&str; 4] = ["local", "incoming", "outgoing", "unknown"];

/// Walks a payload, keeping the JSON path of where it is.
pub(crate) struct Walker<'a> {
    path: String,
    out: &'a mut Vec<Finding>,
    strict: bool,
}

impl<'a> Walker<'a> {
    pub(crate) fn new(out: &'a mut Vec<Finding>, strict: bool) -> Self {
        Walker { path: String::from("call_full"), out, strict }
    }

    fn report(&mut self, rule: Rule, severity: Severity, found: String, expected: impl Into<String>) {
        let severity = if self.strict { Severity::Error } else { severity };
        self.out.push(Finding { path: self.path.clone(), rule, severity, found, expected: expected.into() });
    }

    fn error(&mut self, rule: Rule, found: String, expected: impl Into<String>) {
        self.report(rule, Severity::Error, found, expected);
    }

    /// Runs `f` with `.key` appended to the path.
    fn at<R>(&mut self, key: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        let len = self.path.len();
        self.path.push('.');
        self.path.push_str(key);
        let r = f(self);
        self.path.truncate(len);
        r
    }

    /// Runs `f` with `[index]` appended to the path.
    fn at_index<R>(&mut self, index: usize, f: impl FnOnce(&mut Self) -> R) -> R {
        use std::fmt::Write;
        let len = self.path.len();
        let _ = write!(self.path, "[{index}]");
        let r = f(self);
        self.path.truncate(len);
        r
    }

    /// Runs `f` with `["key"]` appended to the path.
    fn at_map_key<R>(&mut self, key: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        use std::fmt::Write;
        let len = self.path.len();
        let _ = write!(self.path, "[{key:?}]");
        let r = f(self);
        self.path.truncate(len);
        r
    }

    /// Checks that `value` is an object holding exactly `keys`; returns it
    /// when it is an object. Missing keys are errors, unknown keys warnings.
    fn object<'v>(&mut self, value: &'v Json, keys: &[&str], what: &str) -> Option<&'v Object> {
        let Some(object) = value.as_object() else {
            self.error(Rule::Keys, describe_typed(value), format!("{what} object"));
            return None;
        };
        for key in keys {
            if !object.contains_key(key) {
                self.at(key, |w| w.error(Rule::Keys, "nothing (key missing)".into(), format!("key {key:?} of {what}")));
            }
        }
        if object.len() != keys.len() || keys.iter().any(|k| !object.contains_key(k)) {
            for (i, key) in object.keys().enumerate() {
                if !keys.contains(&key) {
                    self.at(key, |w| {
                        w.report(
                            Rule::Keys,
                            Severity::Warning,
                            format!("unknown key {key:?}"),
                            format!("only the keys of {what}: {}", keys.join(", ")),
                        )
                    });
                } else if object.keys().take(i).any(|earlier| earlier == key) {
                    self.at(key, |w| {
                        w.error(
                            Rule::Keys,
                            format!("key {key:?} twice (JSON parsers disagree on which one counts)"),
                            "each key once",
                        )
                    });
                }
            }
        }
        Some(object)
    }

    fn string<'v>(&mut self, object: &'v Object, key: &str) -> Option<&'v str> {
        let value = object.get(key)?;
        let s = value.as_str();
        if s.is_none() {
            self.at(key, |w| w.type_error(value, "string"));
        }
        s
    }

    fn boolean(&mut self, object: &Object, key: &str) {
        if let Some(value) = object.get(key).filter(|v| v.as_bool().is_none()) {
            self.at(key, |w| w.type_error(value, "boolean"));
        }
    }

    fn type_error(&mut self, value: &Json, expected: &str) {
        self.error(Rule::Keys, describe_typed(value), expected.to_owned());
    }

    fn datetime(&mut self, object: &Object, key: &str) {
        let Some(text) = self.string(object, key) else { return };
        if let Err(e) = DateTime::parse(text) {
            self.at(key, |w| {
                w.error(
                    Rule::Datetime,
                    format!("{text:?} ({e})"),
                    "YYYY-MM-DD HH:MM:SS, a real date, or 0001-01-01 00:00:00",
                )
            });
        }
    }

    fn one_of(&mut self, object: &Object, key: &str, values: &[&str]) {
        let Some(text) = self.string(object, key) else { return };
        if !values.contains(&text) {
            self.at(key, |w| w.error(Rule::Enums, format!("{text:?}"), format!("one of {}", values.join(", "))));
        }
    }

    /// The envelope's `call_stage` (the envelope may carry other hook keys).
    pub(crate) fn envelope_stage(&mut self, envelope: &Json) {
        let saved = std::mem::replace(&mut self.path, "call_stage".to_owned());
        match envelope.get("call_stage") {
            None => {
                self.error(Rule::Keys, "nothing (key missing)".into(), "key \"call_stage\" of the customization input")
            }
            Some(Json::Str(stage)) if CallStage::ALL.iter().any(|s| s.as_str() == stage) => {}
            Some(Json::Str(stage)) => {
                let names: Vec<_> = CallStage::ALL.iter().map(|s| s.as_str()).collect();
                self.error(Rule::Enums, format!("{stage:?}"), format!("one of {}", names.join(", ")));
            }
            Some(other) => self.type_error(other, "string"),
        }
        self.path = saved;
    }

    /// Walks the `call_full` object; returns the CRM whose rules were applied.
    pub(crate) fn call_full(&mut self, value: &Json, crm: Crm) -> Crm {
        let Some(call) = self.object(value, CALL_FULL_KEYS, "call_full") else { return crm };
        self.string(call, "active_conversation_id");
        if let Some(channel) = call.get("channel") {
            self.at("channel", |w| w.channel(channel));
        }
        if let Some(conversations) = call.get("conversations") {
            self.at("conversations", |w| w.conversations(conversations));
        }
        let crm = self.crm_flavour(call, crm);
        if let Some(deal) = call.get("deal").filter(|v| !v.is_null()) {
            self.at("deal", |w| w.entity(deal, "deal", crm));
        }
        if let Some(entity) = call.get("entity").filter(|v| !v.is_null()) {
            self.at("entity", |w| w.entity(entity, "entity", crm));
        }
        self.boolean(call, "is_ivr");
        self.string(call, "record");
        if let Some(registration) = call.get("registration").filter(|v| !v.is_null()) {
            self.at("registration", |w| w.registration(registration, crm));
        }
        if let Some(result) = call.get("result").filter(|v| !(v.is_integer())) {
            self.at("result", |w| w.error(Rule::Enums, describe_typed(result), "an integer SIP status"));
        }
        crm
    }

    /// Rule R04 at the top level; returns the CRM the payload is for.
    fn crm_flavour(&mut self, call: &Object, crm: Crm) -> Crm {
        let is_set = |key: &str| call.get(key).is_some_and(|v| !v.is_null());
        let (has_registration, has_deal) = (is_set("registration"), is_set("deal"));
        let crm = match crm {
            Crm::Auto if has_registration && has_deal => {
                self.at("deal", |w| {
                    w.error(
                        Rule::CrmFlavour,
                        "both registration (Bitrix24 only) and deal (amoCRM only) set".into(),
                        "one of them null: registration for Bitrix24, deal for amoCRM",
                    )
                });
                return Crm::Auto;
            }
            Crm::Auto if has_registration => Crm::Bitrix24,
            Crm::Auto if has_deal => Crm::AmoCrm,
            other => other,
        };
        match crm {
            Crm::Bitrix24 if has_deal => self.at("deal", |w| {
                w.error(
                    Rule::CrmFlavour,
                    call.get("deal").map_or_else(String::new, describe),
                    "null (Bitrix24 payloads have no deal)",
                )
            }),
            Crm::AmoCrm if has_registration => self.at("registration", |w| {
                w.error(
                    Rule::CrmFlavour,
                    call.get("registration").map_or_else(String::new, describe),
                    "null (registration is Bitrix24 only)",
                )
            }),
            _ => {}
        }
        crm
    }

    fn conversations(&mut self, value: &Json) {
        let Some(map) = value.as_object() else {
            return self.type_error(value, "object of conversations keyed by uniqueid");
        };
        for (key, conversation) in map.iter() {
            self.at_map_key(key, |w| {
                let Some(c) = w.object(conversation, CONVERSATION_KEYS, "conversation") else { return };
                if let Some(channel) = c.get("channel") {
                    w.at("channel", |w| w.channel(channel));
                }
                w.boolean(c, "is_parked");
                if let Some(user) = c.get("user").filter(|v| !v.is_null()) {
                    w.at("user", |w| w.user(user));
                }
            });
        }
    }

    fn channel(&mut self, value: &Json) {
        let Some(ch) = self.object(value, CHANNEL_KEYS, "channel") else { return };
        self.datetime(ch, "answer_time");
        self.datetime(ch, "end_time");
        if let Some(extra) = ch.get("extra").filter(|v| v.as_object().is_none()) {
            self.at("extra", |w| w.type_error(extra, "object (the CEL extra field, parsed)"));
        }
        for key in ["from", "to", "trunk"] {
            if let Some(number) = ch.get(key) {
                self.at(key, |w| w.number(number));
            }
        }
        self.string(ch, "id");
        self.boolean(ch, "is_primary");
        self.string(ch, "name");
        self.datetime(ch, "start_time");
        self.one_of(ch, "state", &STATES);
        self.one_of(ch, "type", &TYPES);
        self.boolean(ch, "was_answered");
        debug_assert!(STATES.iter().zip(ChannelState::ALL).all(|(s, st)| *s == st.as_str()));
        debug_assert!(TYPES.iter().zip(CallType::ALL).all(|(s, t)| *s == t.as_str()));
    }

    fn number(&mut self, value: &Json) {
        let Some(n) = self.object(value, NUMBER_KEYS, "number") else { return };
        self.string(n, "base");
        self.string(n, "custom");
        self.boolean(n, "is_local");
        self.string(n, "original");
        self.string_list(n, "variants", Rule::Keys);
    }

    /// A list of strings; a non-string item breaks `item_rule`.
    fn string_list(&mut self, object: &Object, key: &str, item_rule: Rule) {
        let Some(value) = object.get(key) else { return };
        self.at(key, |w| {
            let Some(items) = value.as_array() else { return w.type_error(value, "array of strings") };
            for (i, item) in items.iter().enumerate().filter(|(_, v)| v.as_str().is_none()) {
                w.at_index(i, |w| w.error(item_rule, describe_typed(item), "a string"));
            }
        });
    }

    fn user(&mut self, value: &Json) {
        let Some(u) = self.object(value, USER_KEYS, "user") else { return };
        self.string(u, "email");
        self.string(u, "id");
        self.string(u, "name");
        self.string_list(u, "phones", Rule::Phones);
        self.string(u, "position");
        self.raw(u);
    }

    fn raw(&mut self, object: &Object) {
        let Some(value) = object.get("raw") else { return };
        self.at("raw", |w| {
            let Some(raw) = value.as_object() else {
                return w.type_error(value, "object (the CRM's record, non-empty fields only)");
            };
            for (key, field) in raw.iter().filter(|(_, v)| v.is_empty_value()) {
                w.at(key, |w| {
                    w.error(
                        Rule::RawNonEmpty,
                        describe(field),
                        "no such field (raw keeps only non-empty, non-zero values)",
                    )
                });
            }
        });
    }

    fn entity(&mut self, value: &Json, what: &str, crm: Crm) {
        let Some(e) = self.object(value, ENTITY_KEYS, what) else { return };
        self.string(e, "id");
        self.boolean(e, "is_new");
        self.string(e, "name");
        if let Some(phones) = e.get("phones") {
            self.at("phones", |w| {
                let Some(items) = phones.as_array() else { return w.type_error(phones, "array of number objects") };
                for (i, item) in items.iter().enumerate() {
                    w.at_index(i, |w| {
                        if item.as_object().is_some() {
                            w.number(item);
                        } else {
                            w.error(Rule::Phones, describe_typed(item), "a number object");
                        }
                    });
                }
            });
        }
        self.raw(e);
        if let Some(responsible) = e.get("responsible") {
            self.at("responsible", |w| w.user(responsible));
        }
        self.string(e, "responsible_id");
        let Some(kind) = self.string(e, "type") else { return };
        let expected: Option<&[&str]> = match (what, crm) {
            ("deal", _) => Some(&[entity_type::DEAL]),
            (_, Crm::Bitrix24) => Some(&entity_type::BITRIX24),
            _ => None,
        };
        if let Some(expected) = expected.filter(|e| !e.contains(&kind)) {
            self.at("type", |w| {
                w.error(Rule::CrmFlavour, format!("{kind:?}"), format!("one of {}", expected.join(", ")))
            });
        }
    }

    fn registration(&mut self, value: &Json, crm: Crm) {
        let Some(r) = self.object(value, REGISTRATION_KEYS, "registration") else { return };
        for key in REGISTRATION_KEYS {
            let Some(text) = self.string(r, key) else { continue };
            if *key == "entity_type"
                && crm == Crm::Bitrix24
                && !text.is_empty()
                && !entity_type::BITRIX24.contains(&text)
            {
                self.at(key, |w| {
                    w.error(
                        Rule::CrmFlavour,
                        format!("{text:?}"),
                        format!("one of {}", entity_type::BITRIX24.join(", ")),
                    )
                });
            }
        }
    }
}
