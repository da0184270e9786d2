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

/// Replaces each `$result[id][key]…` with the text of that value.
fn substitute(command: &str, results: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(command.len());
    let mut rest = command;
    while let Some(at) = rest.find("$result[") {
        out.push_str(&rest[..at]);
        let mut tail = &rest[at + "$result".len()..];
        let mut path = Vec::new();
        while let Some(inner) = tail.strip_prefix('[') {
            let Some(end) = inner.find(']') else { break };
            path.push(&inner[..end]);
            tail = &inner[end + 1..];
        }
        let value = path.split_first().and_then(|(id, keys)| {
            keys.iter().try_fold(results.get(*id)?, |v, k| match v {
                Value::Array(items) => items.get(k.parse::<usize>().ok()?),
                Value::Object(map) => map.get(*k),
                _ => None,
            })
        });
        match value {
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
    let halt = params::get(p, "halt").is_some_and(|h| matches!(h, Value::Bool(true)) || h == "1" || h == 1);
    let (mut result, mut errors, mut totals, mut nexts, mut times) =
        (Map::new(), Map::new(), Map::new(), Map::new(), Map::new());
    for (id, command) in commands {
        let command = substitute(&command, &result);
        let (method, query) = command.split_once('?').unwrap_or((&command, ""));
        let method = normalize_method(method);
        let outcome = if method == "batch" {
            Err(B24Error::new(405, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage"))
        } else {
            portal.dispatch(&method, &params::parse_form(query.as_bytes()), now_micros, app)
        };
        match outcome {
            Ok(answer) => {
                result.insert(id.clone(), answer.result);
                if let Some(total) = answer.total {
                    totals.insert(id.clone(), json!(total));
                }
                if let Some(next) = answer.next {
                    nexts.insert(id.clone(), json!(next));
                }
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
}
