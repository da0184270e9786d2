//! Phones in amoCRM records: the values of the `PHONE` custom field
//! (`custom_fields_values[field_code = PHONE].values[].value`), and matching
//! them the way amoCRM does for calls: by the last 10 digits (`+7 916…`,
//! `8 916…` and `916…` are one number), shorter numbers by all their digits.

use serde_json::{Map, Value};

/// The digits of `text`.
pub(crate) fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// The key two spellings of one number share: its last 10 digits.
pub(crate) fn phone_key(text: &str) -> String {
    let d = digits(text);
    d[d.len().saturating_sub(10)..].to_owned()
}

/// The values of `record`'s `PHONE` field.
pub(crate) fn phones_of(record: &Map<String, Value>) -> impl Iterator<Item = &str> {
    record
        .get("custom_fields_values")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|f| f.get("field_code").and_then(Value::as_str) == Some("PHONE"))
        .filter_map(|f| f.get("values").and_then(Value::as_array))
        .flatten()
        .filter_map(|v| v.get("value").and_then(Value::as_str))
}

/// Whether `record` has `phone` (any spelling) in its `PHONE` field.
pub(crate) fn holds_phone(record: &Map<String, Value>, phone: &str) -> bool {
    let key = phone_key(phone);
    !key.is_empty() && phones_of(record).any(|p| phone_key(p) == key)
}

/// What a full-text `query` looks at in one record, read once: the digits
/// of its phones, and its name, names and field values joined (as written
/// and lower-cased).
#[derive(Debug, Clone, Default)]
pub(crate) struct SearchKey {
    /// The digits of each PHONE value.
    pub phones: Vec<String>,
    /// `name`, `first_name`, `last_name` and every field value, `\0`-joined.
    pub text: String,
    /// `text` lower-cased.
    pub lower: String,
}

impl SearchKey {
    /// The key of `record`.
    pub(crate) fn of(record: &Map<String, Value>) -> Self {
        let mut parts: Vec<String> = ["name", "first_name", "last_name"]
            .into_iter()
            .filter_map(|k| record.get(k).and_then(Value::as_str).map(str::to_owned))
            .collect();
        let values = record
            .get("custom_fields_values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|f| f.get("values").and_then(Value::as_array))
            .flatten()
            .filter_map(|v| v.get("value"));
        for value in values {
            match value {
                Value::String(s) => parts.push(s.clone()),
                Value::Number(n) => parts.push(n.to_string()),
                _ => {}
            }
        }
        let text = parts.join("\0");
        SearchKey { phones: phones_of(record).map(digits).collect(), lower: text.to_lowercase(), text }
    }
}

/// The search keys of each kind of record (`contacts`, …), in record order;
/// dropped whenever a write may have changed a record.
#[derive(Debug, Clone, Default)]
pub(crate) struct SearchCache(std::collections::HashMap<&'static str, Vec<SearchKey>>);

impl SearchCache {
    /// The keys of `records` (of kind `name`), made if not cached.
    pub(crate) fn keys(&mut self, name: &'static str, records: &[Map<String, Value>]) -> &[SearchKey] {
        let keys = self.0.entry(name).or_default();
        if keys.len() != records.len() {
            *keys = records.iter().map(SearchKey::of).collect();
        }
        keys
    }

    /// Forgets every key (after a write).
    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spellings_of_one_number_match_by_their_last_ten_digits() {
        let record = json!({"custom_fields_values": [
            {"field_code": "EMAIL", "values": [{"value": "a@b.ru"}]},
            {"field_code": "PHONE", "values": [{"value": "+7 (916) 123-45-67"}, {"value": "101"}]},
        ]});
        let record = record.as_object().unwrap();
        assert!(
            holds_phone(record, "89161234567")
                && holds_phone(record, "+79161234567")
                && holds_phone(record, "9161234567")
        );
        assert!(holds_phone(record, "101") && !holds_phone(record, "102") && !holds_phone(record, ""));
        assert_eq!(phones_of(record).collect::<Vec<_>>(), ["+7 (916) 123-45-67", "101"]);
    }
}
