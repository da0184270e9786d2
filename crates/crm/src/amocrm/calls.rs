//! `POST /api/v4/calls` (`amocrm-api.md` §4.1): calls logged onto the cards
//! that hold the caller's number (the last 10 digits of `phone`), by the
//! vendor's attach rule; each becomes a `call_in` / `call_out` note and an
//! `incoming_call` / `outgoing_call` event. Also the batch reading and item
//! validation every write route here shares.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::events::plural;
use super::table::{Row, Table};
use super::{AmoAnswer, AmoError, Ctx, NoEntity, PROBLEM_JSON, Records, Req, hal, notes};

/// amoCRM's "Успешно реализовано" and "Закрыто и не реализовано".
pub(super) const WON: u64 = 142;
pub(super) const LOST: u64 = 143;

/// The item's `request_id` (a string), else its index.
pub(super) fn request_id(item: &Value, index: usize) -> String {
    match item.get("request_id") {
        Some(Value::String(s)) => s.clone(),
        _ => index.to_string(),
    }
}

/// The errors of one item, as `{code, path, detail}`.
#[derive(Debug, Default)]
pub(super) struct Problems(pub Vec<Value>);

impl Problems {
    pub fn push(&mut self, code: &str, path: &str, detail: &str) {
        self.0.push(json!({ "code": code, "path": path, "detail": detail }));
    }

    pub fn missing(&mut self, path: &str) {
        self.push("NotBlank", path, "This value should not be blank.");
    }

    pub fn wrong_type(&mut self, path: &str, kind: &str) {
        self.push("InvalidType", path, &format!("This value should be of type {kind}."));
    }

    pub fn bad_choice(&mut self, path: &str) {
        self.push("NotSupportedChoice", path, "The value you selected is not a valid choice.");
    }

    /// `object[key]` must be a string (if `required`, present and not empty).
    pub fn string<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        key: &str,
        path: &str,
        required: bool,
    ) -> Option<&'v str> {
        match object.get(key) {
            None | Some(Value::Null) if required => {
                self.missing(path);
                None
            }
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if required && s.trim().is_empty() => {
                self.missing(path);
                None
            }
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                self.wrong_type(path, "string");
                None
            }
        }
    }

    /// `object[key]` must be a whole number ≥ 0.
    pub fn int(&mut self, object: &Map<String, Value>, key: &str, path: &str, required: bool) -> Option<u64> {
        match object.get(key) {
            None | Some(Value::Null) if required => {
                self.missing(path);
                None
            }
            None | Some(Value::Null) => None,
            Some(v) => match v.as_u64() {
                Some(n) => Some(n),
                None => {
                    self.wrong_type(path, "int");
                    None
                }
            },
        }
    }

    /// `object[key]` must be a whole number or a string.
    pub fn int_or_string(&mut self, object: &Map<String, Value>, key: &str, path: &str) {
        match object.get(key) {
            None | Some(Value::Null | Value::String(_)) => {}
            Some(v) if v.as_u64().is_some() => {}
            Some(_) => self.wrong_type(path, "int|string"),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A valid item and its `request_id`.
pub(super) type Valid<'v> = (String, &'v Map<String, Value>);

/// Validates each item with `check`; any failing item makes the whole batch
/// a 400 with one `validation-errors` block per failing item (nothing is
/// written). `Ok` holds `(request_id, item)` per item.
pub(super) fn validate_all(
    items: &[Value],
    mut check: impl FnMut(&Map<String, Value>, &mut Problems),
) -> Result<Vec<Valid<'_>>, AmoError> {
    let mut blocks = Vec::new();
    let mut valid = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let rid = request_id(item, index);
        let mut problems = Problems::default();
        let Some(object) = item.as_object() else {
            problems.wrong_type("", "array");
            blocks.push(json!({ "request_id": rid, "errors": problems.0 }));
            continue;
        };
        if object.get("request_id").is_some_and(|v| !v.is_string() && !v.is_null()) {
            problems.wrong_type("request_id", "string");
        }
        check(object, &mut problems);
        if problems.is_empty() {
            valid.push((rid, object));
        } else {
            blocks.push(json!({ "request_id": rid, "errors": problems.0 }));
        }
    }
    if blocks.is_empty() { Ok(valid) } else { Err(AmoError::validation(blocks)) }
}

fn check_call(call: &Map<String, Value>, p: &mut Problems) {
    match p.string(call, "direction", "direction", true) {
        Some("inbound" | "outbound") | None => {}
        Some(_) => p.bad_choice("direction"),
    }
    p.int(call, "duration", "duration", true);
    p.string(call, "source", "source", true);
    p.string(call, "phone", "phone", true);
    p.string(call, "uniq", "uniq", false);
    p.string(call, "link", "link", false);
    p.string(call, "call_result", "call_result", false);
    // 1–7 are documented; 8 is the PHP library's "undefined", accepted.
    if let Some(status) = p.int(call, "call_status", "call_status", false)
        && !(1..=8).contains(&status)
    {
        p.bad_choice("call_status");
    }
    p.int_or_string(call, "call_responsible", "call_responsible");
    for key in ["responsible_user_id", "created_by", "updated_by", "created_at", "updated_at"] {
        p.int(call, key, key, false);
    }
}

/// Where a call from `phone` goes: `(singular entity type, id)`. The first
/// contact holding the number (else the first company), not deleted and
/// not hidden in an unsorted lead; then the vendor's rule: exactly one
/// active (not won or lost, not deleted) lead linking it, and no customers
/// (the fake has none) → that lead; otherwise the contact/company itself.
/// `None`: nobody has the number.
pub(super) fn attach_target(records: &Records, phone: &str) -> Option<(&'static str, u64)> {
    let holder = |table: &Table| {
        let index = table.index();
        index
            .holding_phone(phone)
            .iter()
            .map(|&at| &index.rows[at])
            .find(|r| !r.is_deleted && !r.is_unsorted)
            .map(|r| r.id)
    };
    let (entity, id) = holder(&records.contacts)
        .map(|id| ("contact", id))
        .or_else(|| holder(&records.companies).map(|id| ("company", id)))?;
    let links: fn(&Row) -> &Vec<u64> = if entity == "contact" { |r| &r.contacts } else { |r| &r.companies };
    let mut active = records.leads.index().rows.iter().filter(|lead| {
        links(lead).contains(&id) && lead.status_id != WON && lead.status_id != LOST && !lead.is_deleted
    });
    match (active.next(), active.next()) {
        (Some(lead), None) => Some(("lead", lead.id)),
        _ => Some((entity, id)),
    }
}

/// A call note's `params`, in the vendor's key order.
#[derive(Serialize)]
struct CallParams<'a> {
    uniq: &'a Value,
    duration: &'a Value,
    source: &'a Value,
    link: &'a Value,
    phone: &'a Value,
    call_result: &'a Value,
    call_status: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    call_responsible: Option<&'a Value>,
}

/// `POST /api/v4/calls`.
pub(super) fn add(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    let items = req.batch(hal::MAX_LIMIT)?;
    let calls = validate_all(items, check_call)?;
    let account_id = ctx.account.world().amo.account_id;
    let mut added = Vec::new();
    let mut errors = Vec::new();
    for (rid, call) in calls {
        let phone = call.get("phone").and_then(Value::as_str).unwrap_or_default();
        let Some((entity_type, entity_id)) = attach_target(ctx.records, phone) else {
            errors.push(json!({
                "request_id": rid,
                "title": "Entity not found",
                "type": "https://httpstatus.es/404",
                "status": 404,
                "detail": format!("No contact or company has the phone {phone}"),
            }));
            continue;
        };
        let inbound = call.get("direction").and_then(Value::as_str) == Some("inbound");
        let number = |key: &str| call.get(key).and_then(Value::as_u64);
        let field = |key: &str| call.get(key).unwrap_or(&Value::Null);
        let params = CallParams {
            uniq: field("uniq"),
            duration: field("duration"),
            source: field("source"),
            link: field("link"),
            phone: field("phone"),
            call_result: field("call_result"),
            call_status: field("call_status"),
            call_responsible: call.get("call_responsible").filter(|v| !v.is_null()),
        };
        let created_by = number("created_by").unwrap_or(0);
        let note = notes::NewNote {
            entity: plural(entity_type),
            entity_id,
            note_type: if inbound { "call_in" } else { "call_out" },
            // Written straight to JSON text: calls are the hot path.
            params: serde_json::value::to_raw_value(&params).unwrap_or_else(|_| RawValue::NULL.to_owned()),
            created_by,
            responsible_user_id: number("responsible_user_id"),
            created_at: call.get("created_at").and_then(Value::as_i64),
        };
        let note_id = notes::store(ctx, note);
        added.push(json!({
            "id": note_id,
            "entity_id": entity_id,
            "entity_type": entity_type,
            "account_id": account_id,
            "request_id": rid,
            "_embedded": { "entity": {
                "id": entity_id,
                "_links": { "self": { "href": ctx.href(&format!("{}/{entity_id}", plural(entity_type))) } },
            } },
        }));
    }
    let nothing_added = added.is_empty();
    // Built by moving the parts in: `json!` would copy them through serde.
    let mut body = Map::new();
    body.insert("_total_items".into(), added.len().into());
    body.insert("errors".into(), Value::Array(errors));
    let mut embedded = Map::new();
    embedded.insert("calls".into(), Value::Array(added));
    body.insert("_embedded".into(), Value::Object(embedded));
    let body = Value::Object(body);
    if nothing_added && ctx.account.options.calls_without_entity == NoEntity::BadRequest400 {
        return Ok(AmoAnswer { status: 400, body: Some(body), content_type: PROBLEM_JSON });
    }
    Ok(AmoAnswer::ok(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn card(id: u64, phone: &str) -> Map<String, Value> {
        object(json!({"id": id, "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": phone}]}]}))
    }

    fn lead(id: u64, status: u64, contact: u64) -> Map<String, Value> {
        object(json!({"id": id, "status_id": status, "_embedded": {"contacts": [{"id": contact}], "companies": []}}))
    }

    #[test]
    fn the_attach_rule_picks_the_one_active_lead_else_the_card() {
        // From JSON, so the fields other routes add to `Records` need not be named here.
        let mut records: Records = serde_json::from_value(json!({
            "users": [],
            "contacts": [card(1, "+7 916 000-00-01"), card(2, "+7 916 000-00-02"), card(3, "+7 916 000-00-03")],
            "companies": [card(9, "+7 495 000-00-09")],
            "leads": [lead(10, 200, 1), lead(11, WON, 1), lead(12, LOST, 2), lead(13, 200, 3), lead(14, 201, 3)],
            "next_id": 100,
        }))
        .unwrap();
        assert_eq!(
            attach_target(&records, "89160000001"),
            Some(("lead", 10)),
            "one active lead (the won one does not count)"
        );
        assert_eq!(attach_target(&records, "9160000002"), Some(("contact", 2)), "only a lost lead");
        assert_eq!(attach_target(&records, "+79160000003"), Some(("contact", 3)), "two active leads");
        assert_eq!(attach_target(&records, "84950000009"), Some(("company", 9)));
        assert_eq!(attach_target(&records, "+79160000004"), None);
        records.contacts.by_id_mut(1).map(|c| c.insert("is_unsorted".into(), json!(true)));
        records.contacts.by_id_mut(2).map(|c| c.insert("is_deleted".into(), json!(true)));
        assert_eq!(attach_target(&records, "89160000001"), None, "hidden in an unsorted lead");
        assert_eq!(attach_target(&records, "89160000002"), None, "deleted");
    }
}
