//! Events (`amocrm-api.md` §4.4): what happened to the account's entities,
//! recorded as it happens (`incoming_call` / `outgoing_call` when a call or a
//! call note is added, `lead_added` / `contact_added` when a lead or a
//! contact is created, `lead_status_changed` on accept and decline of an
//! unsorted lead), and `GET /api/v4/events` with its filters. Event ids are
//! strings, as the vendor's are.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::{AmoAnswer, AmoError, Ctx, Records, Req, hal};

/// An event to record.
#[derive(Debug, Clone)]
pub(crate) struct NewEvent {
    /// `incoming_call`, `outgoing_call`, `lead_added`, `contact_added`, …
    pub kind: &'static str,
    /// `lead`, `contact`, `company`, `customer` (or the plural).
    pub entity_type: &'static str,
    /// The entity's id.
    pub entity_id: u64,
    /// The user who did it (0: the robot / the API).
    pub created_by: u64,
    /// Unix seconds.
    pub created_at: i64,
    /// `value_after` (`[{"note": {"id": …}}]` for calls), as JSON text.
    pub value_after: Box<RawValue>,
    /// `value_before`, as JSON text.
    pub value_before: Box<RawValue>,
}

impl NewEvent {
    /// An event of `kind` on `entity_type` `entity_id` at `created_at`, by
    /// nobody in particular, with empty `value_after` / `value_before`.
    pub fn new(kind: &'static str, entity_type: &'static str, entity_id: u64, created_at: i64) -> Self {
        NewEvent {
            kind,
            entity_type,
            entity_id,
            created_by: 0,
            created_at,
            value_after: raw(&json!([])),
            value_before: raw(&json!([])),
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

/// A recorded event, as typed fields (every call adds one, so they are kept
/// small); [`StoredEvent::render`] gives the object `GET` returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredEvent {
    /// The event's id (a string in JSON, as the vendor's are).
    #[serde(with = "string_id")]
    pub id: u64,
    /// `incoming_call`, `lead_added`, …
    #[serde(rename = "type")]
    pub kind: Cow<'static, str>,
    /// The entity's id.
    pub entity_id: u64,
    /// Singular: `lead`, `contact`, `company`, `customer`.
    pub entity_type: Cow<'static, str>,
    /// The user who did it (0: the robot / the API).
    pub created_by: u64,
    /// Unix seconds.
    pub created_at: i64,
    /// `value_after` (as JSON text: one allocation).
    pub value_after: Box<RawValue>,
    /// `value_before`.
    pub value_before: Box<RawValue>,
}

/// `value` as JSON text.
pub(crate) fn raw(value: &Value) -> Box<RawValue> {
    // A `Value` always serializes; `null` is never reached.
    serde_json::value::to_raw_value(value).unwrap_or_else(|_| RawValue::NULL.to_owned())
}

impl StoredEvent {
    /// The event as `GET` returns it.
    fn render(&self, ctx: &Ctx<'_>) -> Value {
        let entity_path = format!("{}/{}", plural(&self.entity_type), self.entity_id);
        json!({
            "id": self.id.to_string(),
            "type": self.kind,
            "entity_id": self.entity_id,
            "entity_type": self.entity_type,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "value_after": self.value_after,
            "value_before": self.value_before,
            "account_id": ctx.account.world().amo.account_id,
            "_links": { "self": { "href": ctx.href(&format!("events/{}", self.id)) } },
            "_embedded": { "entity": { "id": self.entity_id, "_links": { "self": { "href": ctx.href(&entity_path) } } } },
        })
    }

    /// The value of a filtered field, as the query string spells it.
    fn field(&self, key: &str) -> String {
        match key {
            "type" => self.kind.to_string(),
            "entity_type" => self.entity_type.to_string(),
            "entity_id" => self.entity_id.to_string(),
            "id" => self.id.to_string(),
            "created_by" => self.created_by.to_string(),
            _ => String::new(),
        }
    }
}

/// Records `event` on the account; returns its id (a string). The add
/// routes of contacts, companies and leads call it with `lead_added` /
/// `contact_added` / `company_added`.
pub(crate) fn record_event(records: &mut Records, event: NewEvent) -> u64 {
    records.next_id += 1;
    let id = records.next_id;
    records.events.push(StoredEvent {
        id,
        kind: Cow::Borrowed(event.kind),
        entity_id: event.entity_id,
        entity_type: Cow::Borrowed(singular(event.entity_type)),
        created_by: event.created_by,
        created_at: event.created_at,
        value_after: event.value_after,
        value_before: event.value_before,
    });
    id
}

/// An id kept as a number, written as a string.
mod string_id {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(id: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(id)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(D::Error::custom)
    }
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

fn matches(event: &StoredEvent, key: &str, wanted: Option<&Vec<String>>) -> bool {
    wanted.is_none_or(|wanted| wanted.contains(&event.field(key)))
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
    let mut events: Vec<&StoredEvent> = ctx
        .records
        .events
        .iter()
        .rev()
        .filter(|e| matches(e, "type", kinds.as_ref()))
        .filter(|e| matches(e, "entity_type", entities.as_ref()))
        .filter(|e| matches(e, "entity_id", entity_ids.as_ref()))
        .filter(|e| matches(e, "id", ids.as_ref()))
        .filter(|e| matches(e, "created_by", created_by.as_ref()))
        .filter(|e| range.is_none_or(|(from, to)| from <= e.created_at && e.created_at <= to))
        .collect();
    // Newest first (a stable sort: the later recorded first among equals).
    events.sort_by_key(|e| std::cmp::Reverse(e.created_at));
    let (page, limit) = hal::page_and_limit(req)?;
    let rows = events.iter().skip((page - 1).saturating_mul(limit)).take(limit).map(|e| e.render(ctx)).collect();
    hal::page(ctx, req, "events", (page, limit), events.len(), rows, Map::new())
}

/// `GET /api/v4/events/{id}`: the event, or 204.
pub(super) fn get(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    let id = req.ids.first().copied().unwrap_or_default();
    match ctx.records.events.iter().find(|e| id.parse() == Ok(e.id)) {
        Some(event) => Ok(AmoAnswer::ok(event.render(ctx))),
        None => Ok(AmoAnswer::no_content()),
    }
}
