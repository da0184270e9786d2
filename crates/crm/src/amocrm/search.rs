//! Phones in amoCRM records: the values of the `PHONE` custom field
//! (`custom_fields_values[field_code = PHONE].values[].value`), and matching
//! them the way amoCRM does for calls: by the last 10 digits (`+7 916…`,
//! `8 916…` and `916…` are one number), shorter numbers by all their digits.

use serde_json::{Map, Value};

pub(crate) use callfull_world::phone::{digits, phone_key};

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
#[cfg(test)]
pub(crate) fn holds_phone(record: &Map<String, Value>, phone: &str) -> bool {
    let key = phone_key(phone);
    !key.is_empty() && phones_of(record).any(|p| phone_key(p) == key)
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
