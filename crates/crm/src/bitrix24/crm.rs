//! `crm.{contact,company,lead}.{get,list}` and `crm.duplicate.findbycomm`
//! (`bitrix24-rest.md` §3).

use serde_json::{Map, Value, json};

use super::query::{Filter, order_of, page, sort, start_of};
use super::{Answer, B24Error, Ctx, Records};
use crate::params;

#[derive(Clone, Copy)]
enum Kind {
    Contact,
    Company,
    Lead,
    Deal,
}

impl Kind {
    fn rows(self, r: &Records) -> &[Map<String, Value>] {
        match self {
            Kind::Contact => &r.contacts,
            Kind::Company => &r.companies,
            Kind::Lead => &r.leads,
            Kind::Deal => &r.deals,
        }
    }

    fn rows_mut(self, r: &mut Records) -> &mut Vec<Map<String, Value>> {
        match self {
            Kind::Contact => &mut r.contacts,
            Kind::Company => &mut r.companies,
            Kind::Lead => &mut r.leads,
            Kind::Deal => &mut r.deals,
        }
    }

    /// The fields `add` fills when the caller does not (deals have no
    /// multi-fields, so no `HAS_PHONE`/`HAS_EMAIL`/`HAS_IMOL` either).
    fn defaults(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Contact => &[
                ("TYPE_ID", "CLIENT"),
                ("SOURCE_ID", "CALL"),
                ("OPENED", "Y"),
                ("EXPORT", "Y"),
                ("HAS_PHONE", "N"),
                ("HAS_EMAIL", "N"),
                ("HAS_IMOL", "N"),
            ],
            Kind::Company => &[
                ("COMPANY_TYPE", "CUSTOMER"),
                ("OPENED", "Y"),
                ("IS_MY_COMPANY", "N"),
                ("HAS_PHONE", "N"),
                ("HAS_EMAIL", "N"),
                ("HAS_IMOL", "N"),
            ],
            Kind::Lead => &[
                ("HAS_PHONE", "N"),
                ("HAS_EMAIL", "N"),
                ("HAS_IMOL", "N"),
                ("STATUS_ID", "NEW"),
                ("STATUS_SEMANTIC_ID", "P"),
                ("OPENED", "Y"),
                ("OPPORTUNITY", "0.00"),
                ("CURRENCY_ID", "RUB"),
            ],
            Kind::Deal => &[
                ("STAGE_ID", "NEW"),
                ("STAGE_SEMANTIC_ID", "P"),
                ("CATEGORY_ID", "0"),
                ("CLOSED", "N"),
                ("OPENED", "Y"),
                ("OPPORTUNITY", "0.00"),
                ("CURRENCY_ID", "RUB"),
            ],
        }
    }
}

const MULTI_FIELDS: [&str; 5] = ["PHONE", "EMAIL", "WEB", "IM", "LINK"];

pub(super) fn id_param(p: &Map<String, Value>) -> Result<String, B24Error> {
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

/// `select`: `*` (the default) is every field but `only_named` (the
/// multi-fields of CRM records), which come only when named; `UF_*` adds
/// custom fields.
pub(super) fn project(record: &Map<String, Value>, select: &[String], only_named: &[&str]) -> Map<String, Value> {
    let star = select.is_empty() || select.iter().any(|s| s == "*");
    record
        .iter()
        .filter(|(k, _)| {
            let named = select.iter().any(|s| s.eq_ignore_ascii_case(k));
            let multi = only_named.contains(&k.as_str());
            named || (star && !multi) || (k.starts_with("UF_") && select.iter().any(|s| s == "UF_*"))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `filter`, `order` and `select` of a legacy CRM list method, with its
/// errors for a filter or an order that is not an array.
pub(super) struct ListParams {
    pub filter: Filter,
    pub order: Vec<(String, bool)>,
    pub select: Vec<String>,
}

pub(super) fn list_params(p: &Map<String, Value>) -> Result<ListParams, B24Error> {
    let filter = match params::get(p, "filter") {
        None => Map::new(),
        Some(Value::Object(f)) => f.iter().map(|(k, v)| (k.to_ascii_uppercase(), v.clone())).collect(),
        Some(Value::Array(a)) if a.is_empty() => Map::new(),
        Some(_) => return Err(B24Error::legacy("Parameter 'filter' must be array.")),
    };
    let filter = Filter::new(&filter);
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
    Ok(ListParams { filter, order, select })
}

fn list(ctx: &Ctx<'_>, kind: Kind, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    let ListParams { filter, order, select } = list_params(p)?;
    let mut rows: Vec<&Map<String, Value>> = kind.rows(ctx.records).iter().filter(|r| filter.matches(r)).collect();
    sort(&mut rows, &order);
    let page = page(rows, start_of(params::get(p, "start")));
    let (total, next) = (Some(page.total.unwrap_or(0)), page.next);
    Ok(Answer {
        total,
        next,
        ..Answer::of(Value::Array(
            page.rows.into_iter().map(|r| Value::Object(project(r, &select, &MULTI_FIELDS))).collect(),
        ))
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
pub(super) fn deal_get(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    get(ctx, Kind::Deal, p)
}
pub(super) fn deal_list(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    list(ctx, Kind::Deal, p)
}
pub(super) fn contact_add(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    add(ctx, Kind::Contact, p)
}
pub(super) fn company_add(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    add(ctx, Kind::Company, p)
}
pub(super) fn lead_add(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    add(ctx, Kind::Lead, p)
}
pub(super) fn deal_add(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    add(ctx, Kind::Deal, p)
}
pub(super) fn contact_update(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    update(ctx, Kind::Contact, p)
}
pub(super) fn company_update(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    update(ctx, Kind::Company, p)
}
pub(super) fn lead_update(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    update(ctx, Kind::Lead, p)
}
pub(super) fn deal_update(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    update(ctx, Kind::Deal, p)
}

fn fields(ctx: &Ctx<'_>, kind: Kind) -> Result<Answer, B24Error> {
    let entity = match kind {
        Kind::Contact => "CONTACT",
        Kind::Company => "COMPANY",
        Kind::Lead => "LEAD",
        Kind::Deal => "DEAL",
    };
    let sample = match kind {
        Kind::Deal => None,
        _ => kind.rows(ctx.records).first(),
    };
    Ok(Answer::of(super::fields::describe(entity, sample)))
}
pub(super) fn contact_fields(ctx: &mut Ctx<'_>, _: &Map<String, Value>) -> Result<Answer, B24Error> {
    fields(ctx, Kind::Contact)
}
pub(super) fn company_fields(ctx: &mut Ctx<'_>, _: &Map<String, Value>) -> Result<Answer, B24Error> {
    fields(ctx, Kind::Company)
}
pub(super) fn lead_fields(ctx: &mut Ctx<'_>, _: &Map<String, Value>) -> Result<Answer, B24Error> {
    fields(ctx, Kind::Lead)
}
pub(super) fn deal_fields(ctx: &mut Ctx<'_>, _: &Map<String, Value>) -> Result<Answer, B24Error> {
    fields(ctx, Kind::Deal)
}

/// `fields` of an add or update: an object (a form's `fields[…]` is one too).
fn fields_param(p: &Map<String, Value>) -> Result<Map<String, Value>, B24Error> {
    match params::get(p, "fields") {
        Some(Value::Object(f)) => Ok(f.iter().map(|(k, v)| (k.to_ascii_uppercase(), v.clone())).collect()),
        _ => Err(B24Error::legacy("Parameter 'fields' must be array.")),
    }
}

/// A value as Bitrix24 stores and prints it: scalars become strings.
fn as_stored(value: &Value) -> Value {
    match value {
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(if *b { "Y" } else { "N" }.into()),
        other => other.clone(),
    }
}

/// Applies `fields` to `record`; multi-fields (`PHONE`, `EMAIL`, …) append
/// items without an `ID`, change the item with that `ID`, and drop it when its
/// `VALUE` is empty.
fn apply(ctx: &mut Ctx<'_>, record: &mut Map<String, Value>, fields: Map<String, Value>) {
    for (key, value) in fields {
        if key == "ID" {
            continue;
        }
        if key == "OPPORTUNITY" {
            // Money prints with two decimals, as the portal stores it.
            let amount = as_stored(&value).as_str().and_then(|t| t.trim().parse::<f64>().ok());
            record.insert(key, amount.map_or(Value::Null, |a| json!(format!("{a:.2}"))));
            continue;
        }
        if MULTI_FIELDS.contains(&key.as_str()) {
            let items = match &value {
                Value::Array(items) => items.clone(),
                Value::Object(map) => map.values().cloned().collect(),
                _ => Vec::new(),
            };
            let mut current = record.get(&key).and_then(Value::as_array).cloned().unwrap_or_default();
            for item in items.iter().filter_map(Value::as_object) {
                let text = |k: &str| item.get(k).map(as_stored).and_then(|v| v.as_str().map(str::to_owned));
                let value = text("VALUE").unwrap_or_default();
                match text("ID") {
                    Some(id) => {
                        if value.is_empty() {
                            current.retain(|c| c.get("ID").and_then(Value::as_str) != Some(id.as_str()));
                        } else if let Some(c) =
                            current.iter_mut().find(|c| c.get("ID").and_then(Value::as_str) == Some(id.as_str()))
                        {
                            c["VALUE"] = json!(value);
                        }
                    }
                    None if !value.is_empty() => {
                        let id = ctx.records.telephony.new_id();
                        current.push(json!({
                            "ID": id.to_string(),
                            "VALUE_TYPE": text("VALUE_TYPE").unwrap_or_else(|| "WORK".into()),
                            "VALUE": value,
                            "TYPE_ID": key,
                        }));
                    }
                    None => {}
                }
            }
            let flag = format!("HAS_{key}");
            if key == "PHONE" || key == "EMAIL" {
                record.insert(flag, json!(if current.is_empty() { "N" } else { "Y" }));
            }
            if current.is_empty() {
                record.remove(&key);
            } else {
                record.insert(key, Value::Array(current));
            }
        } else {
            record.insert(key, as_stored(&value));
        }
    }
    record.insert("DATE_MODIFY".into(), json!(ctx.now_iso()));
    record.insert("MODIFY_BY_ID".into(), json!(ctx.portal.webhook_user));
}

fn add(ctx: &mut Ctx<'_>, kind: Kind, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    let fields = fields_param(p)?;
    let id = ctx.records.telephony.new_id();
    let me = ctx.portal.webhook_user.clone();
    let now = ctx.now_iso();
    // Every field of the kind, absent ones null (as records read back from a portal are).
    let (entity, sample) = match kind {
        Kind::Contact => ("CONTACT", ctx.records.contacts.first()),
        Kind::Company => ("COMPANY", ctx.records.companies.first()),
        Kind::Lead => ("LEAD", ctx.records.leads.first()),
        Kind::Deal => ("DEAL", None),
    };
    let mut record: Map<String, Value> = super::fields::names(entity, sample)
        .into_iter()
        .filter(|k| *k != "CONTACT_IDS")
        .map(|k| (k.to_owned(), Value::Null))
        .collect();
    record.insert("ID".into(), json!(id.to_string()));
    for (k, v) in kind.defaults() {
        record.insert((*k).into(), json!(v));
    }
    for k in ["ASSIGNED_BY_ID", "CREATED_BY_ID"] {
        record.insert(k.into(), json!(me));
    }
    record.insert("DATE_CREATE".into(), json!(now));
    apply(ctx, &mut record, fields);
    kind.rows_mut(ctx.records).push(record);
    Ok(Answer::of(json!(id)))
}

fn update(ctx: &mut Ctx<'_>, kind: Kind, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    let id = id_param(p)?;
    let fields = fields_param(p)?;
    let Some(index) =
        kind.rows(ctx.records).iter().position(|r| r.get("ID").and_then(Value::as_str) == Some(id.as_str()))
    else {
        return Err(B24Error::legacy("Not found"));
    };
    let mut record = std::mem::take(&mut kind.rows_mut(ctx.records)[index]);
    apply(ctx, &mut record, fields);
    kind.rows_mut(ctx.records)[index] = record;
    Ok(Answer::of(json!(true)))
}

/// Whether `record`'s multi-field `field` (`PHONE`, `EMAIL`) holds `value`:
/// phones compared whatever their spelling, e-mails without case.
pub(super) fn holds(record: &Map<String, Value>, field: &str, world: &callfull_world::World, value: &str) -> bool {
    let stored = record.get(field).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    stored
        .iter()
        .filter_map(|m| m.get("VALUE").and_then(Value::as_str))
        .any(|s| if field == "PHONE" { world.same_number(value, s) } else { value.eq_ignore_ascii_case(s) })
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
            .filter(|r| values.iter().any(|v| holds(r, kind, world, v)))
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
