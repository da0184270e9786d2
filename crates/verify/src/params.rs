//! Reading parameters as a CRM does: Bitrix24 casts form strings (`"2"`
//! is 2), so an int may come as a JSON number or a string of digits.

use serde_json::{Map, Value};

/// `params[name]`, the name matched as the portal does (exact, upper, lower, any case).
pub fn get<'a>(params: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    params
        .get(name)
        .or_else(|| params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
        .filter(|v| !v.is_null())
}

/// An int as Bitrix24 reads it: a JSON integer, or a string of one.
pub fn int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A scalar as text (strings as they are, numbers printed); not arrays, objects, booleans.
pub fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A 0/1 flag as Bitrix24 reads it (`0`, `1`, `"Y"`, `"N"`, `true`, `false`).
pub fn is_flag(value: &Value) -> bool {
    match value {
        Value::Bool(_) => true,
        Value::Number(n) => matches!(n.as_i64(), Some(0 | 1)),
        Value::String(s) => matches!(s.trim(), "0" | "1" | "Y" | "N" | "y" | "n" | "true" | "false" | ""),
        _ => false,
    }
}

pub use callfull_world::phone::{digits, phone_key};

/// `YYYY-MM-DDTHH:MM:SS`, optional fraction, then `Z` or `±HH:MM`: ISO 8601 with a zone.
pub fn is_iso8601_with_zone(text: &str) -> bool {
    let (Some(date), Some(sep), Some(time), Some(zone)) =
        (text.get(..10), text.get(10..11), text.get(11..19), text.get(19..))
    else {
        return false;
    };
    if sep != "T" || callfull_model::DateTime::parse(&format!("{date} {time}")).is_err() {
        return false;
    }
    let zone = zone.strip_prefix('.').map_or(zone, |z| z.trim_start_matches(|c: char| c.is_ascii_digit()));
    let b = zone.as_bytes();
    zone == "Z"
        || (b.len() == 6
            && (b[0] == b'+' || b[0] == b'-')
            && b[3] == b':'
            && [1, 2, 4, 5].iter().all(|&i| b[i].is_ascii_digit()))
}

/// Whether `text` is base64 (standard alphabet, padded, white space ignored).
pub fn is_base64(text: &str) -> bool {
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if compact.is_empty() || compact.len() % 4 != 0 {
        return false;
    }
    let body = compact.strip_suffix(b"==").or_else(|| compact.strip_suffix(b"=")).unwrap_or(&compact);
    body.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

/// A short description of a JSON value for messages: `"abc"`, `12`, `an array`.
pub fn show(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "nothing".into(),
        Some(Value::Array(_)) => "an array".into(),
        Some(Value::Object(_)) => "an object".into(),
        Some(v) => {
            let text = v.to_string();
            if text.chars().count() > 60 { format!("{}…", text.chars().take(60).collect::<String>()) } else { text }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_are_read_as_the_portal_casts_them() {
        assert_eq!(int(&json!("15")), Some(15));
        assert_eq!(int(&json!(15)), Some(15));
        assert_eq!(int(&json!(1.5)), None);
        assert_eq!(int(&json!(true)), None);
        assert!(is_flag(&json!("Y")) && is_flag(&json!(0)) && !is_flag(&json!(2)));
        assert_eq!(phone_key("+7 (999) 486-42-68"), "9994864268");
        assert!(is_iso8601_with_zone("2026-11-17T09:00:12+03:00"));
        assert!(is_iso8601_with_zone("2026-11-17T09:00:12.250Z"));
        assert!(!is_iso8601_with_zone("2026-11-17 09:00:12"));
        assert!(!is_iso8601_with_zone("2026-02-30T09:00:12+03:00"));
        assert!(!is_iso8601_with_zone("2026-11-17T09:00:12+0300"));
        assert!(is_base64("UklGRg==") && !is_base64("not base64!"));
    }
}
