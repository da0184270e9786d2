//! `crm.{contact,company,lead}.{get,list}` and `crm.duplicate.findbycomm`
//! (`bitrix24-rest.md` §3).

use serde_json::{Map, Value, json};

use super::query::{matches, order_of, page, sort, start_of};
use super::{Answer, B24Error, Ctx, Records};
use crate::params;

#[derive(Clone, Copy)]
enum Kind {
    Contact,
    Company,
    Lead,
}

impl Kind {
    fn rows(self, r: &Records) -> &[Map<String, Value>] {
        match self {
            Kind::Contact => &r.contacts,
            Kind::Company => &r.companies,
            Kind::Lead => &r.leads,
        }
    }
}

const MULTI_FIELDS: [&str; 5] = ["PHONE", "EMAIL", "WEB", "IM", "LINK"];

fn id_param(p: &Map<String, Value>) -> Result<String, B24Error> {
    let id = match params::get(p, "id") {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    if id.parse::<u64>().is_ok_and(|n| n > 0) { Ok(id) } else { Err(B24Error::legacy("ID is not defined or invalid.")) }
}

fn get(ctx: &Ctx<'_>, kind: Kind, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    let id = id_param(p)?;
    kind.rows(ctx.records)
        .iter()
        .find(|r| r.get("ID").and_then(Value::as_str) == Some(id.as_str()))
        .map(|r| Answer::of(Value::Object(r.clone())))
        .ok_or_else(|| B24Error::legacy("Not found"))
}

/// `select`: `*` (the default) is every field but the multi-fields, which
/// come only when named; `UF_*` adds custom fields.
fn project(record: &Map<String, Value>, select: &[String]) -> Map<String, Value> {
    let star = select.is_empty() || select.iter().any(|s| s == "*");
    record
        .iter()
        .filter(|(k, _)| {
            let named = select.iter().any(|s| s.eq_ignore_ascii_case(k));
            let multi = MULTI_FIELDS.contains(&k.as_str());
            named || (star && !multi) || (k.starts_with("UF_") && select.iter().any(|s| s == "UF_*"))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn list(ctx: &Ctx<'_>, kind: Kind, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    let filter = match params::get(p, "filter") {
        None => Map::new(),
        Some(Value::Object(f)) => f.iter().map(|(k, v)| (k.to_ascii_uppercase(), v.clone())).collect(),
        Some(Value::Array(a)) if a.is_empty() => Map::new(),
        Some(_) => return Err(B24Error::legacy("Parameter 'filter' must be array.")),
    };
    let order = match params::get(p, "order") {
        None | Some(Value::Object(_)) => order_of(params::get(p, "order")),
        Some(Value::Array(a)) if a.is_empty() => Vec::new(),
        Some(_) => return Err(B24Error::legacy("Parameter 'order' must be array.")),
    };
    let select: Vec<String> = match params::get(p, "select") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_ascii_uppercase).collect(),
        Some(Value::Object(items)) => items.values().filter_map(Value::as_str).map(str::to_ascii_uppercase).collect(),
        _ => Vec::new(),
    };
    let mut rows: Vec<&Map<String, Value>> = kind.rows(ctx.records).iter().filter(|r| matches(r, &filter)).collect();
    sort(&mut rows, &order);
    let page = page(rows, start_of(params::get(p, "start")));
    Ok(Answer {
        result: Value::Array(page.rows.into_iter().map(|r| Value::Object(project(r, &select))).collect()),
        total: Some(page.total.unwrap_or(0)),
        next: page.next,
    })
}

pub(super) fn contact_get(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    get(ctx, Kind::Contact, p)
}
pub(super) fn contact_list(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    list(ctx, Kind::Contact, p)
}
pub(super) fn company_get(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    get(ctx, Kind::Company, p)
}
pub(super) fn company_list(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    list(ctx, Kind::Company, p)
}
pub(super) fn lead_get(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    get(ctx, Kind::Lead, p)
}
pub(super) fn lead_list(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    list(ctx, Kind::Lead, p)
}

/// `crm.duplicate.findbycomm`: IDs by entity type of the records holding any
/// of up to 20 phones (formatting ignored) or e-mails; `[]` when none.
pub(super) fn find_by_comm(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    let kind = match params::get(p, "type").and_then(Value::as_str) {
        None | Some("") => return Err(B24Error::legacy("Communication type is not defined.")),
        Some(t) if t.eq_ignore_ascii_case("PHONE") => "PHONE",
        Some(t) if t.eq_ignore_ascii_case("EMAIL") => "EMAIL",
        Some(t) => {
            return Err(B24Error::legacy(format!("Communication type '{t}' is not supported in current context.")));
        }
    };
    let values: Vec<&str> = match params::get(p, "values") {
        Some(Value::Array(items)) => {
            items.iter().filter_map(Value::as_str).filter(|v| !v.is_empty()).take(20).collect()
        }
        Some(Value::Object(items)) => {
            items.values().filter_map(Value::as_str).filter(|v| !v.is_empty()).take(20).collect()
        }
        _ => return Err(B24Error::legacy("Communication values is not defined.")),
    };
    let only = params::get(p, "entity_type").and_then(Value::as_str).map(str::to_ascii_uppercase);
    if only.as_deref() == Some("DEAL") {
        return Err(B24Error::legacy("Deal is not supported in current context."));
    }
    let world = ctx.portal.world();
    let mut result = Map::new();
    for (name, kind_rows) in [("LEAD", Kind::Lead), ("CONTACT", Kind::Contact), ("COMPANY", Kind::Company)] {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let ids: Vec<u64> = kind_rows
            .rows(ctx.records)
            .iter()
            .filter(|r| {
                let stored = r.get(kind).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                stored.iter().filter_map(|m| m.get("VALUE").and_then(Value::as_str)).any(|s| {
                    values
                        .iter()
                        .any(|v| if kind == "PHONE" { world.same_number(v, s) } else { v.eq_ignore_ascii_case(s) })
                })
            })
            .filter_map(|r| r.get("ID").and_then(Value::as_str).and_then(|id| id.parse().ok()))
            .take(20)
            .collect();
        if !ids.is_empty() {
            result.insert(name.into(), json!(ids));
        }
    }
    // PHP's empty array prints as [], not {}.
    Ok(Answer::of(if result.is_empty() { json!([]) } else { Value::Object(result) }))
}
