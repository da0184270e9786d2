//! Events (`amocrm-api.md` §4.4): what happened to the account's entities,
//! recorded as it happens (`incoming_call` / `outgoing_call` when a call or a
//! call note is added, `lead_added` / `contact_added` when a lead or a
//! contact is created, `lead_status_changed` on accept and decline of an
//! unsorted lead), and `GET /api/v4/events` with its filters. Event ids are
//! strings, as the vendor's are.

use serde_json::{Map, Value, json};

use super::{Account, AmoAnswer, AmoError, Ctx, Records, Req, hal};

/// An event to record.
#[derive(Debug, Clone)]
pub(crate) struct NewEvent<'a> {
    /// `incoming_call`, `outgoing_call`, `lead_added`, `contact_added`, …
    pub kind: &'a str,
    /// Singular: `lead`, `contact`, `company`, `customer`.
    pub entity_type: &'a str,
    /// The entity's id.
    pub entity_id: u64,
    /// The user who did it (0: the robot / the API).
    pub created_by: u64,
    /// Unix seconds.
    pub created_at: i64,
    /// `value_after` (`[{"note": {"id": …}}]` for calls).
    pub value_after: Value,
    /// `value_before`.
    pub value_before: Value,
}

impl<'a> NewEvent<'a> {
    /// An event of `kind` on `entity_type` `entity_id` at `created_at`, by
    /// nobody in particular, with empty `value_after` / `value_before`.
    pub fn new(kind: &'a str, entity_type: &'a str, entity_id: u64, created_at: i64) -> Self {
        NewEvent {
            kind,
            entity_type,
            entity_id,
            created_by: 0,
            created_at,
            value_after: json!([]),
            value_before: json!([]),
        }
    }
}

/// `lead` → `leads`: the path segment of a singular entity type.
pub(crate) fn plural(entity_type: &str) -> &'static str {
    match entity_type {
        "lead" | "leads" => "leads",
        "company" | "companies" => "companies",
        "customer" | "customers" => "customers",
        _ => "contacts",
    }
}

/// `leads` → `lead`: the singular of a path segment.
pub(crate) fn singular(entity: &str) -> &'static str {
    match entity {
        "lead" | "leads" => "lead",
        "company" | "companies" => "company",
        "customer" | "customers" => "customer",
        _ => "contact",
    }
}

/// Records `event` on the account; returns its id (a string). The add
/// routes of contacts, companies and leads call it with `lead_added` /
/// `contact_added` / `company_added`.
pub(crate) fn record_event(records: &mut Records, account: &Account, event: NewEvent<'_>) -> String {
    records.next_id += 1;
    let id = records.next_id.to_string();
    let base = format!("{}/api/v4", account.public_url());
    let entity_path = format!("{base}/{}/{}", plural(event.entity_type), event.entity_id);
    let object = json!({
        "id": id,
        "type": event.kind,
        "entity_id": event.entity_id,
        "entity_type": singular(event.entity_type),
        "created_by": event.created_by,
        "created_at": event.created_at,
        "value_after": event.value_after,
        "value_before": event.value_before,
        "account_id": account.world().amo.account_id,
        "_links": { "self": { "href": format!("{base}/events/{id}") } },
        "_embedded": { "entity": { "id": event.entity_id, "_links": { "self": { "href": entity_path } } } },
    });
    if let Value::Object(object) = object {
        records.events.push(object);
    }
    id
}

/// A filter's values: `filter[x]=a,b`, `filter[x][]=a&filter[x][]=b` or
/// `filter[x][0]=a`; `None` when the filter is absent.
pub(crate) fn filter_values(req: &Req<'_>, name: &str) -> Option<Vec<String>> {
    let value = req.query.get("filter")?.get(name)?;
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Some(match value {
        Value::Array(items) => items.iter().map(text).collect(),
        Value::Object(map) => map.values().map(text).collect(),
        other => text(other).split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
    })
}

/// `filter[created_at]`: one timestamp, `from,to`, or `[from]` / `[to]`.
fn created_at_range(req: &Req<'_>) -> Result<Option<(i64, i64)>, AmoError> {
    let Some(value) = req.query.get("filter").and_then(|f| f.get("created_at")) else { return Ok(None) };
    let bad = || {
        AmoError::validation(vec![json!({"request_id": "0", "errors": [
            {"code": "InvalidType", "path": "filter.created_at", "detail": "This value should be of type int."}]})])
    };
    let number = |v: Option<&Value>| -> Result<Option<i64>, AmoError> {
        match v {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
            Some(_) => Err(bad()),
        }
    };
    Ok(Some(match value {
        Value::Object(range) => {
            (number(range.get("from"))?.unwrap_or(i64::MIN), number(range.get("to"))?.unwrap_or(i64::MAX))
        }
        Value::String(s) => match s.split_once(',') {
            Some((from, to)) => {
                (number(Some(&json!(from)))?.unwrap_or(i64::MIN), number(Some(&json!(to)))?.unwrap_or(i64::MAX))
            }
            None => {
                let at = number(Some(value))?.ok_or_else(bad)?;
                (at, at)
            }
        },
        _ => return Err(bad()),
    }))
}

fn matches(event: &Map<String, Value>, key: &str, wanted: Option<&Vec<String>>) -> bool {
    let Some(wanted) = wanted else { return true };
    let have = match event.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    wanted.contains(&have)
}

/// `GET /api/v4/events`: newest first; `filter[type]`, `filter[entity]`
/// (singular or plural), `filter[entity_id]` (needs one `filter[entity]`),
/// `filter[id]`, `filter[created_by]`, `filter[created_at]`.
pub(super) fn list(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    let kinds = filter_values(req, "type");
    let entities: Option<Vec<String>> =
        filter_values(req, "entity").map(|e| e.iter().map(|e| singular(e).to_owned()).collect());
    let entity_ids = filter_values(req, "entity_id");
    if entity_ids.is_some() && entities.as_ref().is_none_or(|e| e.len() != 1) {
        return Err(AmoError::validation(vec![json!({"request_id": "0", "errors": [
            {"code": "NotBlank", "path": "filter.entity", "detail": "filter[entity_id] needs exactly one filter[entity]."}]})]));
    }
    let ids = filter_values(req, "id");
    let created_by = filter_values(req, "created_by");
    let range = created_at_range(req)?;
    let mut events: Vec<&Map<String, Value>> = ctx
        .records
        .events
        .iter()
        .rev()
        .filter(|e| matches(e, "type", kinds.as_ref()))
        .filter(|e| matches(e, "entity_type", entities.as_ref()))
        .filter(|e| matches(e, "entity_id", entity_ids.as_ref()))
        .filter(|e| matches(e, "id", ids.as_ref()))
        .filter(|e| matches(e, "created_by", created_by.as_ref()))
        .filter(|e| {
            range.is_none_or(|(from, to)| {
                e.get("created_at").and_then(Value::as_i64).is_some_and(|at| from <= at && at <= to)
            })
        })
        .collect();
    // Newest first (a stable sort: the later recorded first among equals).
    events.sort_by_key(|e| std::cmp::Reverse(e.get("created_at").and_then(Value::as_i64)));
    let events: Vec<Value> = events.into_iter().map(|e| Value::Object(e.clone())).collect();
    hal::list(ctx, req, "events", events, Map::new())
}

/// `GET /api/v4/events/{id}`: the event, or 204.
pub(super) fn get(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    let id = req.ids.first().copied().unwrap_or_default();
    match ctx.records.events.iter().find(|e| e.get("id").and_then(Value::as_str) == Some(id)) {
        Some(event) => Ok(AmoAnswer::ok(Value::Object(event.clone()))),
        None => Ok(AmoAnswer::no_content()),
    }
}
