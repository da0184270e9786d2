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
    /// A multipart body that cannot be split into its parts.
    #[error("{0}")]
    Multipart(String),
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

/// Parses a `multipart/form-data` body (`content_type` carries its boundary).
/// Text parts become string parameters, nested by their bracketed names as in
/// a form; a file part becomes `[filename, base64 content]`, the shape
/// Bitrix24 methods take files in.
pub fn parse_multipart(input: &[u8], content_type: &str) -> Result<Map<String, Value>, ParamsError> {
    let bad = |why: &str| ParamsError::Multipart(format!("the multipart body cannot be read: {why}"));
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"'))
        .filter(|b| !b.is_empty())
        .ok_or_else(|| bad("no boundary in the Content-Type"))?;
    let delimiter = format!("--{boundary}");
    let mut root = Map::new();
    let mut rest = match find(input, delimiter.as_bytes()) {
        Some(at) => &input[at + delimiter.len()..],
        None => return Err(bad("the boundary never occurs")),
    };
    let closing = format!("\r\n{delimiter}");
    loop {
        if rest.starts_with(b"--") {
            return Ok(normalize_map(root));
        }
        rest = rest.strip_prefix(b"\r\n").ok_or_else(|| bad("a boundary is not followed by a line break"))?;
        let head_end = find(rest, b"\r\n\r\n").ok_or_else(|| bad("a part has no end of headers"))?;
        let head = std::str::from_utf8(&rest[..head_end]).map_err(|_| bad("part headers are not UTF-8"))?;
        let body_start = head_end + 4;
        let body_len =
            find(&rest[body_start..], closing.as_bytes()).ok_or_else(|| bad("the closing boundary is missing"))?;
        let content = &rest[body_start..body_start + body_len];
        rest = &rest[body_start + body_len + closing.len()..];
        let disposition = head
            .split("\r\n")
            .find_map(|line| line.split_once(':').filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-disposition")))
            .map(|(_, v)| v)
            .ok_or_else(|| bad("a part has no Content-Disposition"))?;
        let Some(name) = disposition_param(disposition, "name") else { continue };
        let value = match disposition_param(disposition, "filename") {
            Some(filename) => Value::Array(vec![Value::String(filename), Value::String(base64_encode(content))]),
            None => Value::String(
                String::from_utf8(content.to_vec())
                    .map_err(|_| bad(&format!("the part `{name}` is not UTF-8 text")))?,
            ),
        };
        insert(&mut root, &name, value);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `name` from `form-data; name="file"; filename="a.mp3"`.
fn disposition_param(disposition: &str, name: &str) -> Option<String> {
    disposition
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find_map(|(k, v)| k.trim().eq_ignore_ascii_case(name).then(|| v.trim().trim_matches('"').to_owned()))
}

/// Standard base64 with padding.
pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
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
    fn multipart_text_parts_nest_and_files_become_name_and_base64() {
        let body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"fields[TITLE]\"\r\n\r\nA & B\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rec.mp3\"\r\nContent-Type: audio/mpeg\r\n\r\nabcd\r\n--XyZ--\r\n";
        let p = parse_multipart(body, "multipart/form-data; boundary=\"XyZ\"").unwrap();
        assert_eq!(Value::Object(p), json!({"fields": {"TITLE": "A & B"}, "file": ["rec.mp3", "YWJjZA=="]}));
    }

    #[test]
    fn broken_multipart_bodies_are_refused_with_the_reason() {
        let ct = "multipart/form-data; boundary=XyZ";
        assert!(parse_multipart(b"--XyZ\r\n", "multipart/form-data").unwrap_err().to_string().contains("no boundary"));
        assert!(parse_multipart(b"nothing", ct).unwrap_err().to_string().contains("never occurs"));
        let unclosed = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1";
        assert!(parse_multipart(unclosed, ct).unwrap_err().to_string().contains("closing boundary"));
    }

    #[test]
    fn base64_pads_like_the_standard() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foo"), "Zm9v");
        assert_eq!(base64_encode(&[0xff, 0xfe, 0x00, 0x01]), "//4AAQ==");
    }

    #[test]
    fn parameter_names_match_in_any_case() {
        let p = parse_form(b"FILTER[ID]=1&id=5");
        assert_eq!(get(&p, "filter"), Some(&json!({"ID": "1"})));
        assert_eq!(get(&p, "ID"), Some(&json!("5")));
    }
}
