//! Compact JSON for the contract's types, written straight into a buffer.
//!
//! The bytes are exactly `serde_json::to_vec`'s (same key order, same string
//! escaping, same numbers); tests compare the two on every generated payload
//! and on arbitrary strings and values.
//!
//! Implementation notes: printing is most of what `generate` and `from-cel`
//! do. Going through serde costs a call per key and per value and an
//! escaping check per key; here keys are constants written with their quotes
//! and colon, and a string is copied whole when it needs no escaping.

use std::cell::RefCell;
use std::ops::Range;
use std::sync::Arc;

use indexmap::IndexMap;

use rustc_hash::FxHashMap;
use serde_json::{Map, Value};

use crate::{
    CallFull, CallStage, CallType, Channel, ChannelState, Conversation, DateTime, Entity, Number, Raw, Registration,
    SipStatus, User,
};

/// A value that can print itself as compact JSON.
pub trait WriteJson {
    /// Appends the value's compact JSON to `out`.
    fn write_json(&self, out: &mut Vec<u8>);
}

/// The customization input `{"call_full":…,"call_stage":…}` as compact JSON.
pub fn write_customization_input(out: &mut Vec<u8>, call: &CallFull, stage: CallStage) {
    out.extend_from_slice(b"{\"call_full\":");
    call.write_json(out);
    out.extend_from_slice(b",\"call_stage\":");
    write_str(out, stage.as_str());
    out.push(b'}');
}

/// What each byte becomes in a JSON string: 0 for itself, else the escape
/// letter (`u` for `\u00XX`).
const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// A JSON string, escaped as serde_json escapes it.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if needs_escape(bytes) {
        write_escaped(out, bytes);
    } else {
        out.extend_from_slice(bytes);
    }
    out.push(b'"');
}

/// Whether anything in `bytes` must be escaped, eight bytes at a time.
fn needs_escape(bytes: &[u8]) -> bool {
    let word = |w: &[u8]| word_needs_escape(u64::from_le_bytes(w.try_into().unwrap_or_default()));
    if bytes.len() < 8 {
        return bytes.iter().any(|&b| ESCAPE[b as usize] != 0);
    }
    // The tail is checked as the last eight bytes, which overlap the words
    // before: copying it to a padded word cost a `memcpy` call per string.
    bytes.chunks_exact(8).any(word) || word(&bytes[bytes.len() - 8..])
}

fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = ESCAPE[b as usize];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match escape {
            b'u' => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 0xf) as usize]]);
            }
            letter => out.extend_from_slice(&[b'\\', letter]),
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Whether any of the eight bytes is below 0x20, `"` or `\` (the classic
/// "has a byte less than n" / "has a zero byte" bit tricks; exact, no false
/// positives).
fn word_needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    control | zero_byte(w ^ (ONES * u64::from(b'"'))) | zero_byte(w ^ (ONES * u64::from(b'\\'))) != 0
}

impl WriteJson for str {
    fn write_json(&self, out: &mut Vec<u8>) {
        write_str(out, self);
    }
}

impl<T: WriteJson + ?Sized> WriteJson for &T {
    fn write_json(&self, out: &mut Vec<u8>) {
        (**self).write_json(out);
    }
}

impl WriteJson for String {
    fn write_json(&self, out: &mut Vec<u8>) {
        write_str(out, self);
    }
}

impl WriteJson for compact_str::CompactString {
    fn write_json(&self, out: &mut Vec<u8>) {
        write_str(out, self);
    }
}

impl WriteJson for bool {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(if *self { b"true" } else { b"false" });
    }
}

impl<T: WriteJson> WriteJson for Option<T> {
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Some(value) => value.write_json(out),
            None => out.extend_from_slice(b"null"),
        }
    }
}

impl<T: WriteJson> WriteJson for [T] {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            item.write_json(out);
        }
        out.push(b']');
    }
}

impl<T: WriteJson> WriteJson for Vec<T> {
    fn write_json(&self, out: &mut Vec<u8>) {
        self.as_slice().write_json(out);
    }
}

impl WriteJson for Value {
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(b) => b.write_json(out),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    out.extend_from_slice(itoa::Buffer::new().format(u).as_bytes());
                } else if let Some(i) = n.as_i64() {
                    out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
                } else {
                    // Floats are rare here: serde_json's own formatting.
                    let _ = serde_json::to_writer(&mut *out, n);
                }
            }
            Value::String(s) => write_str(out, s),
            Value::Array(items) => items.write_json(out),
            Value::Object(map) => map.write_json(out),
        }
    }
}

/// An object from its entries, keys escaped.
fn write_object<'a, V: WriteJson>(out: &mut Vec<u8>, entries: impl Iterator<Item = (&'a String, V)>) {
    out.push(b'{');
    for (i, (key, value)) in entries.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, key);
        out.push(b':');
        value.write_json(out);
    }
    out.push(b'}');
}

impl WriteJson for Map<String, Value> {
    fn write_json(&self, out: &mut Vec<u8>) {
        write_object(out, self.iter());
    }
}

/// A CRM object (kept alive, so its address stays its own) and its JSON.
type PrintedRaw = (Arc<Map<String, Value>>, Box<[u8]>);

/// How many CRM objects' JSON a thread keeps (about 1 kB each).
const RAW_CACHE_ENTRIES: usize = 1024;

thread_local! {
    /// The JSON of CRM objects printed lately, by the address of their
    /// shared map. The cache holds a clone of the `Arc`, so the address
    /// cannot be reused by another map while the entry lives, and the map
    /// cannot change ([`Raw::make_mut`] copies a shared map).
    static RAW_JSON: RefCell<FxHashMap<usize, PrintedRaw>> = RefCell::new(FxHashMap::default());
}

impl WriteJson for Raw {
    /// The same user, entity or deal is in call after call: its object is
    /// printed once and copied afterwards.
    fn write_json(&self, out: &mut Vec<u8>) {
        if self.0.is_empty() {
            out.extend_from_slice(b"{}");
            return;
        }
        RAW_JSON.with_borrow_mut(|cache| {
            let key = Arc::as_ptr(&self.0) as usize;
            if let Some((_, json)) = cache.get(&key) {
                out.extend_from_slice(json);
                return;
            }
            let start = out.len();
            self.0.write_json(out);
            if cache.len() >= RAW_CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(key, (Arc::clone(&self.0), out[start..].into()));
        });
    }
}

impl WriteJson for DateTime {
    fn write_json(&self, out: &mut Vec<u8>) {
        // Digits and separators only: nothing to escape.
        out.push(b'"');
        out.extend_from_slice(&self.to_bytes());
        out.push(b'"');
    }
}

impl WriteJson for SipStatus {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(itoa::Buffer::new().format(self.0).as_bytes());
    }
}

impl WriteJson for ChannelState {
    fn write_json(&self, out: &mut Vec<u8>) {
        write_str(out, self.as_str());
    }
}

impl WriteJson for CallType {
    fn write_json(&self, out: &mut Vec<u8>) {
        write_str(out, self.as_str());
    }
}

/// Writes `{"key":value,…}` from `(key, value)` pairs whose keys need no
/// escaping; the first key opens the object.
macro_rules! object {
    ($out:ident, $first:literal => $first_value:expr $(, $key:literal => $value:expr)* $(,)?) => {{
        $out.extend_from_slice(concat!("{\"", $first, "\":").as_bytes());
        WriteJson::write_json($first_value, $out);
        $(
            $out.extend_from_slice(concat!(",\"", $key, "\":").as_bytes());
            WriteJson::write_json($value, $out);
        )*
        $out.push(b'}');
    }};
}

impl WriteJson for Number {
    fn write_json(&self, out: &mut Vec<u8>) {
        object!(out,
            "base" => &self.base,
            "custom" => &self.custom,
            "is_local" => &self.is_local,
            "original" => &self.original,
            "variants" => &self.variants,
        );
    }
}

impl WriteJson for User {
    fn write_json(&self, out: &mut Vec<u8>) {
        object!(out,
            "email" => &self.email,
            "id" => &self.id,
            "name" => &self.name,
            "phones" => &self.phones,
            "position" => &self.position,
            "raw" => &self.raw,
        );
    }
}

impl WriteJson for Entity {
    fn write_json(&self, out: &mut Vec<u8>) {
        object!(out,
            "id" => &self.id,
            "is_new" => &self.is_new,
            "name" => &self.name,
            "phones" => &self.phones,
            "raw" => &self.raw,
            "responsible" => &self.responsible,
            "responsible_id" => &self.responsible_id,
            "type" => &self.kind,
        );
    }
}

impl WriteJson for Registration {
    fn write_json(&self, out: &mut Vec<u8>) {
        object!(out,
            "activity_id" => &self.activity_id,
            "created_company_id" => &self.created_company_id,
            "created_contact_id" => &self.created_contact_id,
            "created_deal_id" => &self.created_deal_id,
            "created_lead_id" => &self.created_lead_id,
            "entity_id" => &self.entity_id,
            "entity_type" => &self.entity_type,
            "id" => &self.id,
            "responsible_id" => &self.responsible_id,
        );
    }
}

/// The channel numbers already written into one payload, and where: a
/// call's client and trunk numbers are on every one of its channels, and
/// copying their JSON costs a tenth of writing it again.
#[derive(Default)]
struct PrintedNumbers<'a>(Vec<(&'a Number, Range<usize>)>);

/// A part of a payload written with the payload's [`PrintedNumbers`].
struct WithNumbers<'p, 'a, T: ?Sized>(&'a T, &'p RefCell<PrintedNumbers<'a>>);

impl WriteJson for WithNumbers<'_, '_, Number> {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut printed = self.1.borrow_mut();
        if let Some((_, at)) = printed.0.iter().find(|(number, _)| *number == self.0) {
            out.extend_from_within(at.clone());
            return;
        }
        let start = out.len();
        self.0.write_json(out);
        printed.0.push((self.0, start..out.len()));
    }
}

impl WriteJson for WithNumbers<'_, '_, Channel> {
    fn write_json(&self, out: &mut Vec<u8>) {
        let (channel, printed) = (self.0, self.1);
        object!(out,
            "answer_time" => &channel.answer_time,
            "end_time" => &channel.end_time,
            "extra" => &channel.extra,
            "from" => &WithNumbers(&channel.from, printed),
            "id" => &channel.id,
            "is_primary" => &channel.is_primary,
            "name" => &channel.name,
            "start_time" => &channel.start_time,
            "state" => &channel.state,
            "to" => &WithNumbers(&channel.to, printed),
            "trunk" => &WithNumbers(&channel.trunk, printed),
            "type" => &channel.kind,
            "was_answered" => &channel.was_answered,
        );
    }
}

impl WriteJson for WithNumbers<'_, '_, Conversation> {
    fn write_json(&self, out: &mut Vec<u8>) {
        object!(out,
            "channel" => &WithNumbers(&self.0.channel, self.1),
            "is_parked" => &self.0.is_parked,
            "user" => &self.0.user,
        );
    }
}

impl WriteJson for WithNumbers<'_, '_, IndexMap<String, Conversation>> {
    fn write_json(&self, out: &mut Vec<u8>) {
        write_object(out, self.0.iter().map(|(id, conversation)| (id, WithNumbers(conversation, self.1))));
    }
}

impl WriteJson for Channel {
    fn write_json(&self, out: &mut Vec<u8>) {
        WithNumbers(self, &RefCell::default()).write_json(out);
    }
}

impl WriteJson for Conversation {
    fn write_json(&self, out: &mut Vec<u8>) {
        WithNumbers(self, &RefCell::default()).write_json(out);
    }
}

impl WriteJson for CallFull {
    fn write_json(&self, out: &mut Vec<u8>) {
        let printed = RefCell::default();
        object!(out,
            "active_conversation_id" => &self.active_conversation_id,
            "channel" => &WithNumbers(&self.channel, &printed),
            "conversations" => &WithNumbers(&self.conversations, &printed),
            "deal" => &self.deal,
            "entity" => &self.entity,
            "is_ivr" => &self.is_ivr,
            "record" => &self.record,
            "registration" => &self.registration,
            "result" => &self.result,
        );
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn same_as_serde<T: WriteJson + serde::Serialize + ?Sized>(value: &T) {
        let mut ours = Vec::new();
        value.write_json(&mut ours);
        let theirs = serde_json::to_vec(value).unwrap();
        assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
    }

    #[test]
    fn strings_escape_as_serde_json() {
        for s in
            ["", "plain", "quote \" backslash \\ slash /", "\u{0}\u{1f}\u{7f}\t\n\r\u{8}\u{c}", "Иван «Ромашка» 📞"]
        {
            same_as_serde(s);
        }
    }

    #[test]
    fn values_print_as_serde_json() {
        let value: Value = serde_json::from_str(
            r#"{"a":[1,-2,3.5,1e300,-0.0,18446744073709551615,-9223372036854775808],"b":{"c":null,"d":true,"e":false},"f":"x\u0001y","g":[],"h":{}}"#,
        )
        .unwrap();
        same_as_serde(&value);
    }

    #[test]
    fn a_shared_object_prints_the_same_from_the_cache() {
        let map: Map<String, Value> =
            serde_json::from_str(r#"{"ID":"7","NAME":"Иван","PHONE":[{"VALUE":"+7"}]}"#).unwrap();
        let raw = Raw::from(map);
        let copy = raw.clone();
        same_as_serde(&raw);
        same_as_serde(&copy);
        // Changed after printing: a new map, never the cached bytes.
        let mut changed = copy.clone();
        changed.make_mut().insert("NAME".into(), "Пётр".into());
        same_as_serde(&changed);
        same_as_serde(&raw);
    }

    #[test]
    fn a_number_prints_as_serde_json() {
        same_as_serde(&crate::PrefixSettings::default().number_with_custom("+79001234567", "89001234567"));
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((any::<String>(), inner), 0..6)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_string_escapes_as_serde_json(s in any::<String>()) {
            same_as_serde(s.as_str());
        }

        #[test]
        fn any_value_prints_as_serde_json(value in json_value()) {
            same_as_serde(&value);
        }
    }
}
