//! Unsorted ("Неразобранное") SIP leads (`amocrm-api.md` §4.2):
//! `POST /api/v4/leads/unsorted/sip` makes an unsorted record (`uid`), a
//! lead in the pipeline's `type: 1` status and, when sent, a contact
//! (`is_unsorted: true`, hidden from call matching until accepted) and a
//! company; the same `source_uid` + `metadata.uniq` twice is refused.
//! `GET /leads/unsorted` (`filter[category]`, `filter[uid]`,
//! `filter[pipeline_id]`, `order[created_at]`), `GET /leads/unsorted/{uid}`,
//! `POST /leads/unsorted/{uid}/accept` (the lead goes to a working status,
//! the contact is shown) and `/decline` (POST or DELETE: the lead is closed
//! as lost, 143, and the hidden contact deleted).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::calls::{LOST, Problems, validate_all};
use super::events::{NewEvent, filter_values, raw, record_event};
use super::notes::{self, NewNote};
use super::{AmoAnswer, AmoError, Ctx, Req, hal};

/// An unsorted record and where it stands.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredUnsorted {
    /// `pending`, `accepted` or `declined` (only pending ones are listed).
    pub state: String,
    /// The record as `GET /leads/unsorted/{uid}` returns it.
    pub record: Map<String, Value>,
}

fn check_entity(object: &Map<String, Value>, path: &str, p: &mut Problems) {
    p.string(object, "name", &format!("{path}.name"), false);
    p.int(object, "responsible_user_id", &format!("{path}.responsible_user_id"), false);
    match object.get("custom_fields_values") {
        None | Some(Value::Null | Value::Array(_)) => {}
        Some(_) => p.wrong_type(&format!("{path}.custom_fields_values"), "array"),
    }
}

fn check_item(ctx: &Ctx<'_>, item: &Map<String, Value>, p: &mut Problems) {
    p.string(item, "source_uid", "source_uid", true);
    p.string(item, "source_name", "source_name", true);
    p.int(item, "created_at", "created_at", false);
    if let Some(pipeline) = p.int(item, "pipeline_id", "pipeline_id", false)
        && !ctx.account.world().amo.pipelines.iter().any(|pl| pl.id == pipeline)
    {
        p.bad_choice("pipeline_id");
    }
    match item.get("metadata") {
        Some(Value::Object(meta)) => {
            p.string(meta, "uniq", "metadata.uniq", true);
            match meta.get("phone") {
                None | Some(Value::Null) => p.missing("metadata.phone"),
                Some(Value::String(_)) => {}
                Some(v) if v.as_u64().is_some() => {}
                Some(_) => p.wrong_type("metadata.phone", "int|string"),
            }
            p.string(meta, "from", "metadata.from", false);
            p.int_or_string(meta, "call_responsible", "metadata.call_responsible");
            p.int(meta, "called_at", "metadata.called_at", false);
            p.int(meta, "duration", "metadata.duration", false);
            p.string(meta, "link", "metadata.link", false);
            p.string(meta, "service_code", "metadata.service_code", false);
            if meta.get("is_call_event_needed").is_some_and(|v| !v.is_boolean() && !v.is_null()) {
                p.wrong_type("metadata.is_call_event_needed", "bool");
            }
        }
        None | Some(Value::Null) => p.missing("metadata"),
        Some(_) => p.wrong_type("metadata", "array"),
    }
    match item.get("_embedded") {
        None | Some(Value::Null) => {}
        Some(Value::Object(embedded)) => {
            for name in ["leads", "contacts", "companies"] {
                match embedded.get(name) {
                    None | Some(Value::Null) => {}
                    Some(Value::Array(list)) if list.len() > 1 => {
                        p.push(
                            "TooMany",
                            &format!("_embedded.{name}"),
                            "This collection should contain 1 element or less.",
                        );
                    }
                    Some(Value::Array(list)) => {
                        for (i, entity) in list.iter().enumerate() {
                            match entity.as_object() {
                                Some(entity) => check_entity(entity, &format!("_embedded.{name}.{i}"), p),
                                None => p.wrong_type(&format!("_embedded.{name}.{i}"), "array"),
                            }
                        }
                    }
                    Some(_) => p.wrong_type(&format!("_embedded.{name}"), "array"),
                }
            }
        }
        Some(_) => p.wrong_type("_embedded", "array"),
    }
}

/// `(source_uid, metadata.uniq)`: what makes two unsorted entries the same.
fn identity(item: &Map<String, Value>) -> (String, String) {
    let text =
        |v: Option<&Value>| v.map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).unwrap_or_default();
    (text(item.get("source_uid")), text(item.get("metadata").and_then(|m| m.get("uniq"))))
}

/// The values of `custom_fields_values` with the PHONE / EMAIL fields named
/// as the account names them (`field_code` or `field_id`; `enum_code` or
/// `enum_id`, WORK by default).
fn custom_fields(ctx: &Ctx<'_>, fields: Option<&Value>) -> Value {
    let amo = &ctx.account.world().amo;
    let Some(fields) = fields.and_then(Value::as_array).filter(|f| !f.is_empty()) else { return Value::Null };
    let out: Vec<Value> = fields
        .iter()
        .map(|field| {
            let code = field.get("field_code").and_then(Value::as_str);
            let id = field.get("field_id").and_then(Value::as_u64);
            let known = [&amo.phone_field, &amo.email_field]
                .into_iter()
                .find(|f| code.is_some_and(|c| f.code == c) || id == Some(f.id));
            let Some(known) = known else { return field.clone() };
            let values: Vec<Value> = field
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|v| {
                    let by_id = v
                        .get("enum_id")
                        .and_then(Value::as_u64)
                        .and_then(|id| known.enums.iter().find(|(_, e)| *e == id).map(|(c, _)| c.as_str()));
                    let enum_code = v.get("enum_code").and_then(Value::as_str).or(by_id).unwrap_or("WORK");
                    json!({ "value": v.get("value"), "enum_id": known.enum_id(enum_code), "enum_code": enum_code })
                })
                .collect();
            json!({ "field_id": known.id, "field_name": known.name, "field_code": known.code,
                    "field_type": known.field_type, "values": values })
        })
        .collect();
    Value::Array(out)
}

fn link(ctx: &Ctx<'_>, path: String) -> Value {
    json!({ "self": { "href": ctx.href(&path) } })
}

/// `POST /api/v4/leads/unsorted/sip`.
pub(super) fn add_sip(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    let items = req.batch(hal::MAX_LIMIT)?;
    let mut seen: Vec<(String, String)> = ctx.records.unsorted.iter().map(|u| identity(&u.record)).collect();
    let shared: &Ctx<'_> = ctx;
    let valid = validate_all(items, |item, p| {
        check_item(shared, item, p);
        if p.is_empty() {
            let key = identity(item);
            if seen.contains(&key) {
                p.push("NotUnique", "metadata.uniq", "An unsorted entry with this source_uid and uniq already exists.");
            } else {
                seen.push(key);
            }
        }
    })?;
    let world = ctx.account.world();
    let account_id = world.amo.account_id;
    let admin = world.employees.iter().find(|e| e.is_admin()).or(world.employees.first()).map_or(0, |e| e.amo_id);
    let users: Vec<u64> = world.employees.iter().map(|e| e.amo_id).collect();
    let mut out = Vec::new();
    for (rid, item) in valid {
        let now = ctx.now();
        let created_at = item.get("created_at").and_then(Value::as_i64).unwrap_or(now);
        let world = ctx.account.world();
        let pipeline = item
            .get("pipeline_id")
            .and_then(Value::as_u64)
            .and_then(|id| world.amo.pipelines.iter().find(|p| p.id == id))
            .or(world.amo.pipelines.first());
        let pipeline_id = pipeline.map_or(0, |p| p.id);
        let incoming = pipeline.and_then(|p| p.statuses.iter().find(|s| s.kind == 1)).map_or(0, |s| s.id);
        let meta = item.get("metadata").and_then(Value::as_object).cloned().unwrap_or_default();
        let responsible =
            meta.get("call_responsible").and_then(Value::as_u64).filter(|id| users.contains(id)).unwrap_or(admin);
        let embedded = item.get("_embedded");
        let first =
            |name: &str| embedded.and_then(|e| e.get(name)).and_then(|l| l.get(0)).and_then(Value::as_object).cloned();

        let lead_id = ctx.new_id();
        let company = first("companies").map(|c| {
            let id = ctx.new_id();
            let name = c.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
            (id, name, c)
        });
        let contact = first("contacts").map(|c| {
            let id = ctx.new_id();
            (id, c)
        });
        let company_links: Vec<Value> = company
            .iter()
            .map(|(id, ..)| json!({ "id": id, "_links": link(ctx, format!("companies/{id}")) }))
            .collect();
        let contact_links: Vec<Value> =
            contact.iter().map(|(id, _)| json!({ "id": id, "_links": link(ctx, format!("contacts/{id}")) })).collect();
        if let Some((id, name, c)) = &company {
            let object = json!({
                "id": id, "name": name, "responsible_user_id": c.get("responsible_user_id").and_then(Value::as_u64).unwrap_or(responsible),
                "group_id": 0, "created_by": 0, "updated_by": 0, "created_at": created_at, "updated_at": created_at,
                "closest_task_at": null, "is_deleted": false,
                "custom_fields_values": custom_fields(ctx, c.get("custom_fields_values")),
                "account_id": account_id, "_links": link(ctx, format!("companies/{id}")),
                "_embedded": { "tags": [] },
            });
            if let Value::Object(o) = object {
                ctx.records.companies.push(o);
            }
            record_event(ctx.records, NewEvent::new("company_added", "company", *id, created_at));
        }
        if let Some((id, c)) = &contact {
            let text = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
            let phone = meta.get("phone").map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned));
            let name = Some(text("name"))
                .filter(|n| !n.is_empty())
                .or_else(|| {
                    Some(format!("{} {}", text("first_name"), text("last_name")).trim().to_owned())
                        .filter(|n| !n.is_empty())
                })
                .or(phone)
                .unwrap_or_default();
            let object = json!({
                "id": id, "name": name, "first_name": text("first_name"), "last_name": text("last_name"),
                "responsible_user_id": c.get("responsible_user_id").and_then(Value::as_u64).unwrap_or(responsible),
                "group_id": 0, "created_by": 0, "updated_by": 0, "created_at": created_at, "updated_at": created_at,
                "closest_task_at": null, "is_deleted": false, "is_unsorted": true,
                "custom_fields_values": custom_fields(ctx, c.get("custom_fields_values")),
                "account_id": account_id, "_links": link(ctx, format!("contacts/{id}")),
                "_embedded": { "tags": [], "companies": company_links },
            });
            if let Value::Object(o) = object {
                ctx.records.contacts.push(o);
            }
            record_event(ctx.records, NewEvent::new("contact_added", "contact", *id, created_at));
        }
        let lead_in = first("leads").unwrap_or_default();
        let lead_name = lead_in
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| callfull_world::new_deal_name(lead_id), str::to_owned);
        let contacts_of_lead: Vec<Value> = contact
            .iter()
            .map(|(id, _)| json!({ "id": id, "is_main": true, "_links": link(ctx, format!("contacts/{id}")) }))
            .collect();
        let lead = json!({
            "id": lead_id, "name": lead_name, "price": lead_in.get("price").and_then(Value::as_u64).unwrap_or(0),
            "responsible_user_id": responsible, "group_id": 0, "status_id": incoming, "pipeline_id": pipeline_id,
            "loss_reason_id": null, "created_by": 0, "updated_by": 0, "created_at": created_at, "updated_at": created_at,
            "closed_at": null, "closest_task_at": null, "is_deleted": false,
            "custom_fields_values": custom_fields(ctx, lead_in.get("custom_fields_values")),
            "score": null, "account_id": account_id, "labor_cost": null,
            "_links": link(ctx, format!("leads/{lead_id}")),
            "_embedded": { "tags": [], "companies": company_links, "contacts": contacts_of_lead },
        });
        if let Value::Object(o) = lead {
            ctx.records.leads.push(o);
        }
        let added = NewEvent {
            value_after: raw(&json!([{ "lead_status": { "id": incoming, "pipeline_id": pipeline_id } }])),
            ..NewEvent::new("lead_added", "lead", lead_id, created_at)
        };
        record_event(ctx.records, added);
        if meta.get("is_call_event_needed").and_then(Value::as_bool) == Some(true) {
            let get = |k: &str| meta.get(k).cloned().unwrap_or(Value::Null);
            let params = json!({
                "uniq": get("uniq"), "duration": meta.get("duration").cloned().unwrap_or(json!(0)),
                "source": meta.get("service_code").cloned().unwrap_or_else(|| item.get("source_name").cloned().unwrap_or(Value::Null)),
                "link": get("link"), "phone": get("phone"), "call_result": null, "call_status": null,
            });
            let note = NewNote {
                entity: "leads",
                entity_id: lead_id,
                note_type: "call_in",
                params: raw(&params),
                created_by: 0,
                responsible_user_id: Some(responsible),
                created_at: meta.get("called_at").and_then(Value::as_i64).or(Some(created_at)),
            };
            notes::store(ctx, note);
        }

        let uid = crate::bitrix24::token(ctx.account.world().seed ^ lead_id, 0x0A50, 32);
        let mut stored_meta = meta.clone();
        stored_meta.remove("is_call_event_needed");
        let lead_links = vec![json!({ "id": lead_id, "_links": link(ctx, format!("leads/{lead_id}")) })];
        let embedded = json!({ "leads": lead_links, "contacts": contact_links, "companies": company_links });
        let self_link = json!({ "self": { "href": format!("/api/v4/leads/unsorted/{uid}") } });
        let record = json!({
            "uid": uid,
            "source_uid": item.get("source_uid"),
            "source_name": item.get("source_name"),
            "category": "sip",
            "pipeline_id": pipeline_id,
            "created_at": created_at,
            "metadata": stored_meta,
            "account_id": account_id,
            "_links": self_link,
            "_embedded": embedded,
        });
        if let Value::Object(record) = record {
            ctx.records.unsorted.push(StoredUnsorted { state: "pending".into(), record });
        }
        out.push(json!({
            "uid": uid,
            "account_id": account_id,
            "request_id": rid,
            "_links": self_link,
            "_embedded": embedded,
        }));
    }
    Ok(AmoAnswer::ok(json!({ "_total_items": out.len(), "_embedded": { "unsorted": out } })))
}

/// `GET /api/v4/leads/unsorted`: the pending ones.
pub(super) fn list(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    let categories = filter_values(req, "category");
    let uids = filter_values(req, "uid");
    let pipelines = filter_values(req, "pipeline_id");
    let text =
        |v: Option<&Value>| v.map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).unwrap_or_default();
    let hit =
        |wanted: &Option<Vec<String>>, have: Option<&Value>| wanted.as_ref().is_none_or(|w| w.contains(&text(have)));
    let mut rows: Vec<&Map<String, Value>> = ctx
        .records
        .unsorted
        .iter()
        .filter(|u| u.state == "pending")
        .map(|u| &u.record)
        .filter(|u| hit(&categories, u.get("category")))
        .filter(|u| hit(&uids, u.get("uid")))
        .filter(|u| hit(&pipelines, u.get("pipeline_id")))
        .collect();
    let order = req.query.get("order").and_then(|o| o.get("created_at")).and_then(Value::as_str);
    match order {
        Some(o) if o.eq_ignore_ascii_case("desc") => {
            rows.reverse();
            rows.sort_by_key(|u| std::cmp::Reverse(u.get("created_at").and_then(Value::as_i64)));
        }
        Some(_) => rows.sort_by_key(|u| u.get("created_at").and_then(Value::as_i64)),
        None => {}
    }
    let rows: Vec<Value> = rows.into_iter().map(|u| Value::Object(u.clone())).collect();
    hal::list(ctx, req, "unsorted", rows, Map::new())
}

/// `GET /api/v4/leads/unsorted/{uid}`: a pending record, or 204.
pub(super) fn get(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    let uid = req.ids.first().copied().unwrap_or_default();
    let found = ctx
        .records
        .unsorted
        .iter()
        .find(|u| u.state == "pending" && u.record.get("uid").and_then(Value::as_str) == Some(uid));
    match found {
        Some(u) => Ok(AmoAnswer::ok(Value::Object(u.record.clone()))),
        None => Ok(AmoAnswer::no_content()),
    }
}

fn ids_of(record: &Map<String, Value>, name: &str) -> Vec<u64> {
    record
        .get("_embedded")
        .and_then(|e| e.get(name))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|l| l.get("id").and_then(Value::as_u64))
        .collect()
}

/// Accept (`true`) or decline an unsorted record.
fn settle(ctx: &mut Ctx<'_>, req: &Req<'_>, accept: bool) -> Result<AmoAnswer, AmoError> {
    let uid = req.ids.first().copied().unwrap_or_default();
    let Some(index) =
        ctx.records.unsorted.iter().position(|u| u.record.get("uid").and_then(Value::as_str) == Some(uid))
    else {
        return Err(AmoError::new(404, "Not Found", format!("Unsorted {uid} not found")));
    };
    if ctx.records.unsorted[index].state != "pending" {
        return Err(AmoError::new(
            400,
            "Bad Request",
            format!("Unsorted {uid} is already {}", ctx.records.unsorted[index].state),
        ));
    }
    // The body is optional: `{"user_id": …, "status_id": …}`.
    let body: Map<String, Value> = if req.request.body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match req.body()? {
            Value::Object(body) => body.clone(),
            _ => {
                return Err(AmoError::validation(vec![json!({"request_id": "0", "errors": [
                    {"code": "InvalidType", "path": "", "detail": "This value should be of type array."}]})]));
            }
        }
    };
    let record = ctx.records.unsorted[index].record.clone();
    let pipeline_id = record.get("pipeline_id").and_then(Value::as_u64).unwrap_or(0);
    let world = ctx.account.world();
    let pipeline = world.amo.pipelines.iter().find(|p| p.id == pipeline_id);
    let mut problems = Problems::default();
    let user = problems.int(&body, "user_id", "user_id", false);
    if user.is_some_and(|u| !world.employees.iter().any(|e| e.amo_id == u)) {
        problems.bad_choice("user_id");
    }
    let wanted = problems.int(&body, "status_id", "status_id", false);
    let working = |id: u64| pipeline.is_some_and(|p| p.statuses.iter().any(|s| s.id == id && s.kind == 0));
    if wanted.is_some_and(|s| !working(s)) {
        problems.bad_choice("status_id");
    }
    if !problems.is_empty() {
        return Err(AmoError::validation(vec![json!({ "request_id": "0", "errors": problems.0 })]));
    }
    let first_working =
        pipeline.and_then(|p| p.statuses.iter().find(|s| s.kind == 0 && s.is_editable)).map_or(0, |s| s.id);
    let status = if accept { wanted.unwrap_or(first_working) } else { LOST };
    let now = ctx.now();
    let mut changes = Vec::new();
    for lead_id in ids_of(&record, "leads") {
        if let Some(lead) = ctx.records.leads.by_id_mut(lead_id) {
            let before = lead.get("status_id").cloned().unwrap_or(Value::Null);
            lead.insert("status_id".into(), json!(status));
            lead.insert("updated_at".into(), json!(now));
            if let Some(user) = user {
                lead.insert("responsible_user_id".into(), json!(user));
            }
            if !accept {
                lead.insert("closed_at".into(), json!(now));
            }
            changes.push((lead_id, before));
        }
    }
    for contact_id in ids_of(&record, "contacts") {
        if let Some(contact) = ctx.records.contacts.by_id_mut(contact_id) {
            contact.insert("updated_at".into(), json!(now));
            if accept {
                contact.insert("is_unsorted".into(), json!(false));
            } else {
                contact.insert("is_deleted".into(), json!(true));
            }
        }
    }
    for (lead_id, before) in changes {
        let event = NewEvent {
            created_by: user.unwrap_or(0),
            value_before: raw(&json!([{ "lead_status": { "id": before, "pipeline_id": pipeline_id } }])),
            value_after: raw(&json!([{ "lead_status": { "id": status, "pipeline_id": pipeline_id } }])),
            ..NewEvent::new("lead_status_changed", "lead", lead_id, now)
        };
        record_event(ctx.records, event);
    }
    ctx.records.unsorted[index].state = if accept { "accepted" } else { "declined" }.into();
    let action = if accept { "accept" } else { "decline" };
    Ok(AmoAnswer::ok(json!({
        "uid": uid,
        "account_id": record.get("account_id"),
        "_links": { "self": { "href": format!("/api/v4/leads/unsorted/{uid}/{action}") } },
        "_embedded": {
            "leads": record.get("_embedded").and_then(|e| e.get("leads")),
            "contacts": record.get("_embedded").and_then(|e| e.get("contacts")),
        },
    })))
}

/// `POST /api/v4/leads/unsorted/{uid}/accept`.
pub(super) fn accept(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    settle(ctx, req, true)
}

/// `POST` (or `DELETE`) `/api/v4/leads/unsorted/{uid}/decline`.
pub(super) fn decline(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    settle(ctx, req, false)
}
