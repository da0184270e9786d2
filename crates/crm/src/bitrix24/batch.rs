//! `batch` (`bitrix24-rest.md` §1.8): up to 50 commands `"method?query"`,
//! keyed by id (a map) or by position (a list), run in order; `halt` stops at
//! the first error; `$result[id][FIELD]…` in a later command is replaced by
//! that value of an earlier result. Sub-errors never change the outer status.

use serde_json::{Map, Value, json};

use super::{Answer, B24Error, Portal, normalize_method};
use crate::params;

const MAX_COMMANDS: usize = 50;

/// The commands of a batch as `(id, "method?query")`.
fn commands(p: &Map<String, Value>) -> Vec<(String, String)> {
    match params::get(p, "cmd") {
        Some(Value::Object(map)) => {
            map.iter().filter_map(|(k, v)| v.as_str().map(|c| (k.clone(), c.to_owned()))).collect()
        }
        Some(Value::Array(list)) => {
            list.iter().enumerate().filter_map(|(i, v)| v.as_str().map(|c| (i.to_string(), c.to_owned()))).collect()
        }
        _ => Vec::new(),
    }
}

/// The parameters of one command: its query decoded first (as PHP's
/// `parse_str` does), then each `$result[…]` in a value replaced, so a
/// reference sent percent-encoded (`%24result%5Bme%5D%5BID%5D`) works and a
/// substituted `+7 …` or `&` is never decoded a second time. A value that is
/// exactly one reference to a list or map takes that list or map.
fn command_params(query: &str, results: &Map<String, Value>) -> Map<String, Value> {
    fn walk(value: &mut Value, results: &Map<String, Value>) {
        match value {
            Value::String(text) if text.contains("$result[") => {
                *value = match whole_reference(text, results) {
                    Some(found @ (Value::Array(_) | Value::Object(_))) => found.clone(),
                    _ => Value::String(substitute(text, results)),
                };
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, results)),
            Value::Object(map) => map.values_mut().for_each(|v| walk(v, results)),
            _ => {}
        }
    }
    let mut params = params::parse_form(query.as_bytes());
    params.values_mut().for_each(|v| walk(v, results));
    params
}

/// The value `text` names when it is exactly one `$result[id][key]…`.
fn whole_reference<'r>(text: &str, results: &'r Map<String, Value>) -> Option<&'r Value> {
    let (path, rest) = reference_path(text.strip_prefix("$result")?);
    if !rest.is_empty() {
        return None;
    }
    lookup(&path, results)
}

/// `[a][b][0]…` → (`["a", "b", "0"]`, what follows).
fn reference_path(mut tail: &str) -> (Vec<&str>, &str) {
    let mut path = Vec::new();
    while let Some(inner) = tail.strip_prefix('[') {
        let Some(end) = inner.find(']') else { break };
        path.push(&inner[..end]);
        tail = &inner[end + 1..];
    }
    (path, tail)
}

fn lookup<'r>(path: &[&str], results: &'r Map<String, Value>) -> Option<&'r Value> {
    path.split_first().and_then(|(id, keys)| {
        keys.iter().try_fold(results.get(*id)?, |v, k| match v {
            Value::Array(items) => items.get(k.parse::<usize>().ok()?),
            Value::Object(map) => map.get(*k),
            _ => None,
        })
    })
}

/// Replaces each `$result[id][key]…` with the text of that value.
fn substitute(command: &str, results: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(command.len());
    let mut rest = command;
    while let Some(at) = rest.find("$result[") {
        out.push_str(&rest[..at]);
        let (path, tail) = reference_path(&rest[at + "$result".len()..]);
        match lookup(&path, results) {
            Some(Value::String(s)) => out.push_str(s),
            Some(Value::Null) | None => {}
            Some(other) => out.push_str(&other.to_string()),
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// PHP prints an empty array as `[]`, not `{}`.
fn php_map(map: Map<String, Value>) -> Value {
    if map.is_empty() { json!([]) } else { Value::Object(map) }
}

pub(super) fn run(portal: &Portal, p: &Map<String, Value>, now_micros: i64, app: bool) -> Result<Answer, B24Error> {
    let commands = commands(p);
    if commands.len() > MAX_COMMANDS {
        return Err(B24Error::new(400, "ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded"));
    }
    let halt = params::get(p, "halt").is_some_and(super::query::php_truthy);
    let (mut result, mut errors, mut totals, mut nexts, mut times) =
        (Map::new(), Map::new(), Map::new(), Map::new(), Map::new());
    for (id, command) in commands {
        let (method, query) = command.split_once('?').unwrap_or((&command, ""));
        let method = normalize_method(method);
        let outcome = if method == "batch" {
            Err(B24Error::new(405, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage"))
        } else {
            portal.dispatch(&method, &command_params(query, &result), now_micros, app)
        };
        match outcome {
            Ok(answer) => {
                if let Some(total) = answer.total {
                    totals.insert(id.clone(), json!(total));
                }
                if let Some(next) = answer.next {
                    nexts.insert(id.clone(), json!(next));
                }
                result.insert(id.clone(), answer.into_result());
                times.insert(id, portal.time_block(now_micros, now_micros));
            }
            Err(e) => {
                errors.insert(id, e.body());
                if halt {
                    break;
                }
            }
        }
    }
    Ok(Answer::of(json!({
        "result": php_map(result),
        "result_error": php_map(errors),
        "result_total": php_map(totals),
        "result_next": php_map(nexts),
        "result_time": php_map(times),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_take_values_from_earlier_results() {
        let results = json!({"u": [{"ID": "7", "NAME": "Анна"}], "c": {"ID": 12}}).as_object().cloned().unwrap();
        assert_eq!(substitute("crm.contact.get?id=$result[c][ID]", &results), "crm.contact.get?id=12");
        assert_eq!(substitute("user.get?ID=$result[u][0][ID]&x=$result[nope][ID]", &results), "user.get?ID=7&x=");
    }

    #[test]
    fn queries_are_decoded_before_references_are_replaced() {
        let results = json!({"me": {"ID": "7", "PHONE": "+7 (914) 694-71-23 & co"}, "ids": ["1", "2"]})
            .as_object()
            .cloned()
            .unwrap();
        let p = command_params(
            "ID=%24result%5Bme%5D%5BID%5D&filter[PHONE]=$result[me][PHONE]&filter[@ID]=$result[ids]&n=x$result[me][ID]",
            &results,
        );
        assert_eq!(
            Value::Object(p),
            json!({"ID": "7", "filter": {"PHONE": "+7 (914) 694-71-23 & co", "@ID": ["1", "2"]}, "n": "x7"})
        );
    }
}
