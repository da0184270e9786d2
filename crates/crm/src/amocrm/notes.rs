//! Notes (`amocrm-api.md` §4.3) on contacts, leads and companies:
//! `POST /api/v4/{entity}/notes` (each item with `entity_id`) and
//! `/{entity}/{id}/notes`, `GET` of both (HAL, 204 when none,
//! `filter[note_type]`, `filter[entity_id]`, `filter[id]`), and
//! `GET /{entity}/{id}/notes/{note_id}`. `call_in` / `call_out` notes keep
//! every key of `params` (`call_status`, `call_result`, `call_responsible`
//! round-trip) and record an `incoming_call` / `outgoing_call` event.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::calls::{Problems, validate_all};
use super::events::{NewEvent, filter_values, plural, raw, record_event, singular};
use super::{AmoAnswer, AmoError, Ctx, Records, Req, hal};

/// A stored note and the kind of entity it is on, as typed fields (calls
/// add one each, so they are kept small); [`StoredNote::render`] gives the
/// object `GET` returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredNote {
    /// `leads`, `contacts` or `companies`.
    #[serde(rename = "_entity")]
    pub entity: Cow<'static, str>,
    /// The note's id.
    pub id: u64,
    /// The id of the lead, contact or company it is on.
    pub entity_id: u64,
    /// Who added it (0: the API).
    pub created_by: u64,
    /// Who changed it last.
    pub updated_by: u64,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// Its responsible user.
    pub responsible_user_id: u64,
    /// The responsible user's group.
    pub group_id: u64,
    /// `call_in`, `call_out`, `common`, …
    pub note_type: Cow<'static, str>,
    /// The type's parameters, every key as sent (kept as JSON text: one allocation).
    pub params: Box<RawValue>,
}

impl StoredNote {
    /// The note as `GET` returns it.
    fn render(&self, ctx: &Ctx<'_>) -> Value {
        json!({
            "id": self.id,
            "entity_id": self.entity_id,
            "created_by": self.created_by,
            "updated_by": self.updated_by,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "responsible_user_id": self.responsible_user_id,
            "group_id": self.group_id,
            "note_type": self.note_type,
            "params": self.params,
            "account_id": ctx.account.world().amo.account_id,
            "_links": { "self": { "href": ctx.href(&format!("{}/{}/notes/{}", self.entity, self.entity_id, self.id)) } },
        })
    }
}

/// The note types the fake accepts.
const NOTE_TYPES: &[&str] = &[
    "common",
    "call_in",
    "call_out",
    "service_message",
    "extended_service_message",
    "message_cashier",
    "geolocation",
    "sms_in",
    "sms_out",
    "attachment",
];

/// A note to store.
pub(super) struct NewNote {
    /// `leads`, `contacts` or `companies`.
    pub entity: &'static str,
    pub entity_id: u64,
    /// One of [`NOTE_TYPES`].
    pub note_type: &'static str,
    pub params: Box<RawValue>,
    pub created_by: u64,
    /// Defaults (also when 0) to `created_by`, else the entity's responsible user.
    pub responsible_user_id: Option<u64>,
    /// Defaults to now.
    pub created_at: Option<i64>,
}

fn entity_records<'r>(records: &'r Records, entity: &str) -> &'r super::Table {
    match entity {
        "leads" => &records.leads,
        "companies" => &records.companies,
        _ => &records.contacts,
    }
}

/// The entity `entity` `id`, if it exists and is not deleted.
fn find_entity<'r>(records: &'r Records, entity: &str, id: u64) -> Option<&'r Map<String, Value>> {
    entity_records(records, entity).by_id(id).filter(|r| r.get("is_deleted").and_then(Value::as_bool) != Some(true))
}

/// Stores `note` and, for call notes, its call event; returns the note id.
pub(super) fn store(ctx: &mut Ctx<'_>, note: NewNote) -> u64 {
    let id = ctx.new_id();
    let now = ctx.now();
    let at = note.created_at.unwrap_or(now);
    let owner = find_entity(ctx.records, note.entity, note.entity_id)
        .and_then(|r| r.get("responsible_user_id"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let responsible = note.responsible_user_id.filter(|&u| u != 0).unwrap_or(if note.created_by != 0 {
        note.created_by
    } else {
        owner
    });
    ctx.records.notes.push(StoredNote {
        entity: Cow::Borrowed(note.entity),
        id,
        entity_id: note.entity_id,
        created_by: note.created_by,
        updated_by: note.created_by,
        created_at: at,
        updated_at: at,
        responsible_user_id: responsible,
        group_id: 0,
        note_type: Cow::Borrowed(note.note_type),
        params: note.params,
    });
    let kind = match note.note_type {
        "call_in" => Some("incoming_call"),
        "call_out" => Some("outgoing_call"),
        "common" => Some("common_note_added"),
        _ => None,
    };
    if let Some(kind) = kind {
        let event = NewEvent {
            created_by: note.created_by,
            value_after: RawValue::from_string(format!(r#"[{{"note":{{"id":{id}}}}}]"#))
                .unwrap_or_else(|_| RawValue::NULL.to_owned()),
            ..NewEvent::new(kind, singular(note.entity), note.entity_id, at)
        };
        record_event(ctx.records, event);
    }
    id
}

/// `leads` / `contacts` / `companies`: the first segment of the path.
fn entity_of(ctx: &Ctx<'_>) -> &'static str {
    plural(ctx.path.split('/').find(|s| !s.is_empty()).unwrap_or("contacts"))
}

/// The `{id}` of `/{entity}/{id}/notes…`: 400 when not a number.
fn path_id(req: &Req<'_>) -> Result<Option<u64>, AmoError> {
    let Some(raw) = req.ids.first() else { return Ok(None) };
    raw.parse().map(Some).map_err(|_| {
        AmoError::validation(vec![json!({"request_id": "0", "errors": [
            {"code": "InvalidType", "path": "entity_id", "detail": "This value should be of type int."}]})])
    })
}

fn check_params(note_type: &str, params: Option<&Value>, p: &mut Problems) {
    let params = match params {
        None | Some(Value::Null) if matches!(note_type, "call_in" | "call_out" | "common") => {
            p.missing("params");
            return;
        }
        None | Some(Value::Null) => return,
        Some(Value::Object(params)) => params,
        Some(_) => {
            p.wrong_type("params", "array");
            return;
        }
    };
    match note_type {
        "call_in" | "call_out" => {
            p.string(params, "uniq", "params.uniq", false);
            p.int(params, "duration", "params.duration", true);
            p.string(params, "source", "params.source", true);
            p.string(params, "phone", "params.phone", true);
            p.string(params, "link", "params.link", false);
            p.string(params, "call_result", "params.call_result", false);
            if let Some(status) = p.int(params, "call_status", "params.call_status", false)
                && !(1..=8).contains(&status)
            {
                p.bad_choice("params.call_status");
            }
            p.int_or_string(params, "call_responsible", "params.call_responsible");
        }
        "common" => {
            p.string(params, "text", "params.text", true);
        }
        _ => {}
    }
}

/// `POST /api/v4/{entity}/notes` and `/{entity}/{id}/notes`.
pub(super) fn add(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    let entity = entity_of(ctx);
    let in_path = path_id(req)?;
    let items = req.batch(hal::MAX_LIMIT)?;
    let records: &Records = ctx.records;
    let notes = validate_all(items, |note, p| {
        let entity_id = match in_path {
            Some(id) => Some(id),
            None => p.int(note, "entity_id", "entity_id", true),
        };
        if let Some(id) = entity_id
            && find_entity(records, entity, id).is_none()
        {
            p.push("NotFound", "entity_id", "Entity not found");
        }
        let note_type = p.string(note, "note_type", "note_type", true);
        if let Some(kind) = note_type {
            if NOTE_TYPES.contains(&kind) {
                check_params(kind, note.get("params"), p);
            } else {
                p.bad_choice("note_type");
            }
        }
        for key in ["created_by", "responsible_user_id", "created_at"] {
            p.int(note, key, key, false);
        }
    })?;
    let mut out = Vec::new();
    for (rid, note) in notes {
        let number = |key: &str| note.get(key).and_then(Value::as_u64);
        let entity_id = in_path.or(number("entity_id")).unwrap_or(0);
        let new = NewNote {
            entity,
            entity_id,
            note_type: note
                .get("note_type")
                .and_then(Value::as_str)
                .and_then(|t| NOTE_TYPES.iter().copied().find(|known| *known == t))
                .unwrap_or("common"),
            params: raw(note.get("params").unwrap_or(&json!({}))),
            created_by: number("created_by").unwrap_or(0),
            responsible_user_id: number("responsible_user_id"),
            created_at: note.get("created_at").and_then(Value::as_i64),
        };
        let id = store(ctx, new);
        out.push(json!({
            "id": id,
            "entity_id": entity_id,
            "request_id": rid,
            "_links": { "self": { "href": ctx.href(&format!("{entity}/{entity_id}/notes/{id}")) } },
        }));
    }
    Ok(AmoAnswer::ok(json!({
        "_links": { "self": { "href": ctx.href(ctx.path) } },
        "_embedded": { "notes": out },
    })))
}

/// `GET /api/v4/{entity}/notes` and `/{entity}/{id}/notes`.
pub(super) fn list(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    let entity = entity_of(ctx);
    let in_path = path_id(req)?;
    let types = filter_values(req, "note_type");
    let entity_ids = filter_values(req, "entity_id");
    let ids = filter_values(req, "id");
    let hit = |wanted: &Option<Vec<String>>, have: &str| wanted.as_ref().is_none_or(|w| w.iter().any(|w| w == have));
    let notes: Vec<&StoredNote> = ctx
        .records
        .notes
        .iter()
        .filter(|n| n.entity == entity)
        .filter(|n| in_path.is_none_or(|id| n.entity_id == id))
        .filter(|n| hit(&types, &n.note_type))
        .filter(|n| hit(&entity_ids, &n.entity_id.to_string()))
        .filter(|n| hit(&ids, &n.id.to_string()))
        .collect();
    let (page, limit) = hal::page_and_limit(req)?;
    let rows = notes.iter().skip((page - 1).saturating_mul(limit)).take(limit).map(|n| n.render(ctx)).collect();
    hal::page(ctx, req, "notes", (page, limit), notes.len(), rows, Map::new())
}

/// `GET /api/v4/{entity}/{id}/notes/{note_id}`: the note, or 204.
pub(super) fn get(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    let entity = entity_of(ctx);
    let entity_id = path_id(req)?;
    let note_id: Option<u64> = req.ids.get(1).and_then(|i| i.parse().ok());
    let found = ctx
        .records
        .notes
        .iter()
        .find(|n| n.entity == entity && Some(n.entity_id) == entity_id && Some(n.id) == note_id);
    match found {
        Some(n) => Ok(AmoAnswer::ok(n.render(ctx))),
        None => Ok(AmoAnswer::no_content()),
    }
}
