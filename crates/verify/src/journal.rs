//! Reading a journal: the `{"entries": […]}` envelope `GET /_admin/journal`
//! answers, a bare array of entries, or JSON Lines (one entry per line).

use std::io::Read;

use serde::Deserialize;
use serde_json::Value;

use crate::error::JournalError;

/// The largest journal read by default (256 MiB), as `validate`'s largest document.
pub const DEFAULT_MAX_BYTES: usize = 256 << 20;

/// Which CRM a request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CrmKind {
    /// `/rest/…` (and `event:…` deliveries from the portal).
    Bitrix24,
    /// `/api/v4/…`.
    Amocrm,
}

impl CrmKind {
    /// `bitrix24` or `amocrm`, as the journal spells it.
    pub fn name(self) -> &'static str {
        match self {
            CrmKind::Bitrix24 => "bitrix24",
            CrmKind::Amocrm => "amocrm",
        }
    }
}

/// One request the fake answered, as `/_admin/journal` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Order of arrival, from 1.
    pub seq: u64,
    /// Server time, microseconds since the epoch (0 when absent).
    pub time_micros: i64,
    /// The CRM (from `crm`, else from the method's shape, A-VERIFY-4).
    pub crm: CrmKind,
    /// The method: `telephony.externalcall.register`, `POST /calls`, `event:ONEXTERNALCALLSTART`.
    pub method: String,
    /// `webhook`, `token`, `bearer`, `outgoing`.
    pub auth: Option<String>,
    /// The merged parameters (Bitrix24), or the query plus `_body` (amoCRM).
    pub params: Value,
    /// The HTTP status answered (200 when absent, A-VERIFY-4).
    pub status: u16,
    /// The `error` code when it failed.
    pub error: Option<String>,
    /// What the journal kept of the answer (the fake keeps a register's
    /// `{"CALL_ID": …}`): used to learn a register's `CALL_ID` exactly.
    pub result: Option<Value>,
}

impl Entry {
    /// Whether the CRM accepted it (2xx), so it changed the CRM's state.
    pub fn succeeded(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The wire form of an entry; lenient where a hand-made journal may be terse.
#[derive(Deserialize)]
struct RawEntry {
    seq: u64,
    #[serde(default)]
    time_micros: i64,
    #[serde(default)]
    crm: Option<String>,
    method: String,
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    params: Value,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default, alias = "response")]
    result: Option<Value>,
}

/// The requests of a journal, in `seq` order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Journal {
    /// Every entry, sorted by `seq`.
    pub entries: Vec<Entry>,
}

impl Journal {
    /// Parses a journal from text: the envelope, a bare array, or JSON Lines.
    pub fn parse(text: &[u8]) -> Result<Journal, JournalError> {
        let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
        if text.iter().all(u8::is_ascii_whitespace) {
            return Err(JournalError::Empty);
        }
        let mut values = Vec::new();
        for value in serde_json::Deserializer::from_slice(text).into_iter::<Value>() {
            let value = value.map_err(|e| JournalError::Json {
                line: e.line(),
                column: e.column(),
                message: strip_position(&e.to_string()),
            })?;
            values.push(value);
        }
        let items: Vec<(String, Value)> = match values.len() {
            1 => match values.pop() {
                Some(Value::Array(items)) => {
                    items.into_iter().enumerate().map(|(i, v)| (format!("[{i}]"), v)).collect()
                }
                Some(Value::Object(mut object)) => match object.remove("entries") {
                    Some(Value::Array(items)) => {
                        items.into_iter().enumerate().map(|(i, v)| (format!("entries[{i}]"), v)).collect()
                    }
                    Some(other) => {
                        return Err(JournalError::Shape(format!("`entries` is {}, not an array", kind(&other))));
                    }
                    // One JSON Lines entry on its own.
                    None if object.contains_key("seq") && object.contains_key("method") => {
                        vec![("line 1".to_owned(), Value::Object(object))]
                    }
                    None => {
                        return Err(JournalError::Shape(
                            "an object without `entries` (expected {\"entries\": […]} from /_admin/journal, an array of entries, or JSON Lines)"
                                .into(),
                        ));
                    }
                },
                Some(other) => {
                    return Err(JournalError::Shape(format!(
                        "{} (expected {{\"entries\": […]}}, an array of entries, or JSON Lines)",
                        kind(&other)
                    )));
                }
                None => Vec::new(),
            },
            _ => values.into_iter().enumerate().map(|(i, v)| (format!("line {}", i + 1), v)).collect(),
        };
        let mut entries = Vec::with_capacity(items.len());
        for (at, value) in items {
            let raw: RawEntry = serde_json::from_value(value)
                .map_err(|e| JournalError::Entry { at: at.clone(), message: e.to_string() })?;
            let crm = match raw.crm.as_deref() {
                Some("bitrix24") => CrmKind::Bitrix24,
                Some("amocrm") => CrmKind::Amocrm,
                Some(other) => {
                    return Err(JournalError::Entry {
                        at,
                        message: format!("unknown crm {other:?} (bitrix24, amocrm)"),
                    });
                }
                None if looks_amocrm(&raw.method) => CrmKind::Amocrm,
                None => CrmKind::Bitrix24,
            };
            entries.push(Entry {
                seq: raw.seq,
                time_micros: raw.time_micros,
                crm,
                method: raw.method,
                auth: raw.auth,
                params: raw.params,
                status: raw.status.unwrap_or(200),
                error: raw.error,
                result: raw.result,
            });
        }
        entries.sort_by_key(|e| e.seq);
        Ok(Journal { entries })
    }

    /// Reads at most `max_bytes` from `reader` and parses them.
    pub fn read(mut reader: impl Read, max_bytes: usize) -> Result<Journal, JournalError> {
        let mut text = Vec::new();
        let limit = u64::try_from(max_bytes).unwrap_or(u64::MAX).saturating_add(1);
        reader.by_ref().take(limit).read_to_end(&mut text).map_err(JournalError::Io)?;
        if text.len() > max_bytes {
            return Err(JournalError::TooLarge { limit: max_bytes });
        }
        Journal::parse(&text)
    }
}

/// `GET /contacts`, `POST /api/v4/calls`: an amoCRM method.
fn looks_amocrm(method: &str) -> bool {
    method
        .split_once(' ')
        .is_some_and(|(verb, path)| ["GET", "POST", "PATCH", "DELETE", "PUT"].contains(&verb) && path.starts_with('/'))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// serde_json's message without its trailing " at line L column C".
fn strip_position(message: &str) -> String {
    message.rsplit_once(" at line ").map_or(message, |(head, _)| head).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_array_and_json_lines_read_the_same() {
        let one = r#"{"seq":1,"crm":"bitrix24","method":"user.get","params":{},"status":200}"#;
        let two = r#"{"seq":2,"method":"POST /calls","params":{"_body":[]}}"#;
        let envelope = format!(r#"{{"entries":[{one},{two}]}}"#);
        let array = format!("[{one},{two}]");
        let lines = format!("{one}\n{two}\n");
        let a = Journal::parse(envelope.as_bytes()).unwrap();
        assert_eq!(a, Journal::parse(array.as_bytes()).unwrap());
        assert_eq!(a, Journal::parse(lines.as_bytes()).unwrap());
        assert_eq!(a.entries[1].crm, CrmKind::Amocrm, "inferred from the method");
        assert_eq!(a.entries[1].status, 200, "defaulted");
    }

    #[test]
    fn bad_inputs_say_what_is_wrong() {
        assert!(matches!(Journal::parse(b"  \n"), Err(JournalError::Empty)));
        assert!(matches!(Journal::parse(b"{\"entries\": [1,"), Err(JournalError::Json { line: 1, .. })));
        assert!(matches!(Journal::parse(b"42"), Err(JournalError::Shape(_))));
        assert!(matches!(Journal::parse(b"{\"entries\": {}}"), Err(JournalError::Shape(_))));
        let err = Journal::parse(br#"[{"seq":"one","method":"x"}]"#).unwrap_err();
        assert!(err.to_string().starts_with("[0]: "), "{err}");
        let err = Journal::read(&b"[                    ]"[..], 8).unwrap_err();
        assert!(matches!(err, JournalError::TooLarge { limit: 8 }));
    }
}
