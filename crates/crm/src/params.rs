//! Request parameters as Bitrix24's PHP back end sees them: the query string
//! and a form body in PHP bracket notation (`fields[PHONE][0][VALUE]=…`,
//! `select[]=ID`), or a JSON body, merged into one JSON object.
//!
//! Implementation notes: PHP builds nested arrays from bracketed names and
//! silently drops a variable nested deeper than `max_input_nesting_level`
//! (64); an array whose keys are exactly 0, 1, 2, … becomes a JSON list when
//! the handler's result is encoded. Values from the query string and form
//! bodies are always strings.

use serde_json::{Map, Value};

/// PHP's default `max_input_nesting_level`.
pub const MAX_NESTING: usize = 64;

/// Why a body cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    /// A JSON body that is not JSON (or not an object).
    #[error("{0}")]
    Json(String),
}

/// Parses `a=1&b[c]=2&d[]=x&d[]=y` into `{"a":"1","b":{"c":"2"},"d":["x","y"]}`.
pub fn parse_form(input: &[u8]) -> Map<String, Value> {
    let mut root = Map::new();
    for (key, value) in form_urlencoded::parse(input) {
        insert(&mut root, &key, Value::String(value.into_owned()));
    }
    normalize_map(root)
}

/// Parses a JSON body, which must hold an object (an empty body is no params).
pub fn parse_json(input: &[u8]) -> Result<Map<String, Value>, ParamsError> {
    if input.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(input) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(ParamsError::Json(format!("the JSON body is a {}, not an object", kind(&other)))),
        Err(e) => Err(ParamsError::Json(format!("the JSON body is not valid JSON: {e}"))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// The segments of a PHP variable name: `a[b][]` → `["a", "b", ""]`.
/// `None` for a name nested deeper than PHP accepts.
fn segments(name: &str) -> Option<Vec<&str>> {
    let (base, mut rest) = match name.find('[') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => return Some(vec![name]),
    };
    let mut out = vec![base];
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(end) = stripped.find(']') else { break };
        out.push(&stripped[..end]);
        rest = &stripped[end + 1..];
        if out.len() > MAX_NESTING {
            return None;
        }
    }
    Some(out)
}

fn insert(root: &mut Map<String, Value>, name: &str, value: Value) {
    let Some(path) = segments(name) else { return };
    let mut node = root;
    for (i, segment) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        let key = if segment.is_empty() { next_index(node) } else { (*segment).to_owned() };
        if last {
            node.insert(key, value);
            return;
        }
        let child = node.entry(key).or_insert_with(|| Value::Object(Map::new()));
        if !child.is_object() {
            *child = Value::Object(Map::new());
        }
        let Value::Object(map) = child else { return };
        node = map;
    }
}

/// PHP's `$a[] = v`: one more than the largest integer key, or 0.
fn next_index(map: &Map<String, Value>) -> String {
    map.keys().filter_map(|k| k.parse::<u64>().ok()).max().map_or(0, |m| m + 1).to_string()
}

/// Turns maps keyed 0, 1, 2, … into lists, as PHP's `json_encode` would.
fn normalize_map(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter().map(|(k, v)| (k, normalize(v))).collect()
}

fn normalize(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let sequential = !map.is_empty() && map.keys().enumerate().all(|(i, k)| k == &i.to_string());
            if sequential {
                Value::Array(map.into_iter().map(|(_, v)| normalize(v)).collect())
            } else {
                Value::Object(normalize_map(map))
            }
        }
        other => other,
    }
}

/// Looks a parameter up the way Bitrix24 handlers do: exact name, then
/// upper-case, then lower-case (`id`/`ID`, `filter`/`FILTER`).
pub fn get<'a>(params: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    params
        .get(name)
        .or_else(|| params.get(&name.to_ascii_uppercase()))
        .or_else(|| params.get(&name.to_ascii_lowercase()))
        .or_else(|| params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn brackets_nest_append_and_become_lists() {
        let p = parse_form(
            b"fields[TITLE]=A%26B&fields[PHONE][0][VALUE]=112233&fields[PHONE][0][VALUE_TYPE]=WORK&select[]=ID&select[]=NAME&start=50",
        );
        assert_eq!(
            Value::Object(p),
            json!({
                "fields": {"TITLE": "A&B", "PHONE": [{"VALUE": "112233", "VALUE_TYPE": "WORK"}]},
                "select": ["ID", "NAME"],
                "start": "50"
            })
        );
    }

    #[test]
    fn maps_with_other_keys_stay_maps() {
        let p = parse_form(b"cmd[u]=user.get&cmd[1]=x&order[ID]=DESC");
        assert_eq!(Value::Object(p), json!({"cmd": {"u": "user.get", "1": "x"}, "order": {"ID": "DESC"}}));
    }

    #[test]
    fn names_nested_deeper_than_php_allows_are_dropped() {
        let deep = format!("filter{}=1&start=0", "[a]".repeat(10_000));
        let p = parse_form(deep.as_bytes());
        assert_eq!(Value::Object(p), json!({"start": "0"}));
    }

    #[test]
    fn json_bodies_must_be_objects() {
        assert_eq!(parse_json(b"  ").unwrap(), Map::new());
        assert!(parse_json(b"{\"a\":").unwrap_err().to_string().contains("not valid JSON"));
        assert!(parse_json(b"[1]").unwrap_err().to_string().contains("a list, not an object"));
    }

    #[test]
    fn parameter_names_match_in_any_case() {
        let p = parse_form(b"FILTER[ID]=1&id=5");
        assert_eq!(get(&p, "filter"), Some(&json!({"ID": "1"})));
        assert_eq!(get(&p, "ID"), Some(&json!("5")));
    }
}
