//! `user.get`, `user.current`, `user.search` (`bitrix24-rest.md` §2).

use serde_json::{Map, Value};

use super::query::{Filter, page, sort, start_of};
use super::{Answer, B24Error, Ctx};
use crate::params;

/// The server upper-cases every top-level key of `user.get`.
fn upper(params: &Map<String, Value>) -> Map<String, Value> {
    params.iter().map(|(k, v)| (k.to_ascii_uppercase(), v.clone())).collect()
}

/// `FILTER`, or (without one) the top-level keys themselves, less the
/// keys that are not filters.
fn filter_of(p: &Map<String, Value>) -> Map<String, Value> {
    match p.get("FILTER") {
        Some(Value::Object(f)) => f.iter().map(|(k, v)| (k.to_ascii_uppercase(), v.clone())).collect(),
        _ => p
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "SORT" | "ORDER" | "START" | "SELECT" | "ADMIN_MODE" | "IMAGE_RESIZE" | "AUTH" | "FILTER"
                )
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

fn list(
    ctx: &Ctx<'_>,
    p: &Map<String, Value>,
    extra: impl Fn(&Map<String, Value>) -> bool,
) -> Result<Answer, B24Error> {
    let filter = Filter::new(&filter_of(p));
    let users = &ctx.records.users;
    let mut rows: Vec<&Map<String, Value>> = users.iter().filter(|u| filter.matches(u) && extra(u)).collect();
    // SORT applies only together with ORDER; otherwise ID ascending.
    let order = match (p.get("SORT").and_then(Value::as_str), p.get("ORDER").and_then(Value::as_str)) {
        (Some(field), Some(dir)) => vec![(field.to_ascii_uppercase(), dir.eq_ignore_ascii_case("DESC"))],
        _ => Vec::new(),
    };
    sort(&mut rows, &order);
    let page = page(rows, start_of(p.get("START")));
    let empty = page.rows.is_empty();
    // `select`: the fields named (`UF_*` for every custom one); `*` or none: all.
    let select: Vec<String> = match p.get("SELECT") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_ascii_uppercase).collect(),
        Some(Value::Object(items)) => items.values().filter_map(Value::as_str).map(str::to_ascii_uppercase).collect(),
        _ => Vec::new(),
    };
    let every_field = select.is_empty() || select.iter().any(|f| f == "*");
    let printed = &ctx.records.users_json;
    let answer = if !every_field {
        let wanted = |k: &String| select.contains(k) || (k.starts_with("UF_") && select.iter().any(|f| f == "UF_*"));
        let project = |r: &Map<String, Value>| {
            Value::Object(r.iter().filter(|(k, _)| wanted(k)).map(|(k, v)| (k.clone(), v.clone())).collect())
        };
        Answer::of(Value::Array(page.rows.into_iter().map(project).collect()))
    } else if printed.len() == users.len() {
        // Each row is an element of `users`: its printed form sits at the same index.
        let index = |row: &Map<String, Value>| {
            (std::ptr::from_ref(row) as usize - users.as_ptr() as usize) / std::mem::size_of::<Map<String, Value>>()
        };
        let items: Vec<&str> = page.rows.iter().filter_map(|row| printed.get(index(row)).map(String::as_str)).collect();
        Answer::printed(format!("[{}]", items.join(",")))
    } else {
        Answer::of(Value::Array(page.rows.into_iter().map(|r| Value::Object(r.clone())).collect()))
    };
    // Quirk: with no rows, user.get has no `total` at all.
    Ok(Answer { total: if empty { None } else { page.total }, next: page.next, ..answer })
}

pub(super) fn get(ctx: &mut Ctx<'_>, params: &Map<String, Value>) -> Result<Answer, B24Error> {
    list(ctx, &upper(params), |_| true)
}

pub(super) fn current(ctx: &mut Ctx<'_>, _: &Map<String, Value>) -> Result<Answer, B24Error> {
    let me = ctx
        .records
        .users
        .iter()
        .find(|u| u.get("ID").and_then(Value::as_str) == Some(ctx.portal.webhook_user.as_str()))
        .cloned()
        .unwrap_or_default();
    Ok(Answer::of(Value::Object(me)))
}

pub(super) fn search(ctx: &mut Ctx<'_>, params: &Map<String, Value>) -> Result<Answer, B24Error> {
    let mut p = upper(params);
    let find = match p.get_mut("FILTER") {
        Some(Value::Object(f)) => params::get(f, "FIND").and_then(Value::as_str).map(str::to_lowercase).inspect(|_| {
            f.retain(|k, _| !k.eq_ignore_ascii_case("FIND"));
        }),
        _ => None,
    };
    list(ctx, &p, |u| {
        find.as_ref().is_none_or(|needle| {
            ["NAME", "LAST_NAME", "SECOND_NAME", "WORK_POSITION", "EMAIL"]
                .iter()
                .any(|f| u.get(*f).and_then(Value::as_str).is_some_and(|v| v.to_lowercase().contains(needle.as_str())))
        })
    })
}
