//! Lead pipelines and their statuses (`amocrm-api.md` §5) and the custom
//! fields of contacts, companies and leads (§3.4), from the world's account.
//!
//! `GET /api/v4/leads/pipelines` is not paged: `_total_items`, `_links.self`
//! and every pipeline with its statuses. A missing pipeline or status is 204,
//! as a missing record is.

use callfull_world::{CustomField, Pipeline, Status};
use serde_json::{Map, Value, json};

use super::entities::{Kind, links};
use super::{AmoAnswer, AmoError, Ctx, Req, hal};

fn status_object(ctx: &Ctx<'_>, pipeline: &Pipeline, status: &Status, with_descriptions: bool) -> Value {
    let mut object = json!({
        "id": status.id,
        "name": status.name,
        "sort": status.sort,
        "is_editable": status.is_editable,
        "pipeline_id": pipeline.id,
        "color": status.color,
        "type": status.kind,
        "account_id": ctx.account.world().amo.account_id,
        "_links": links(ctx, &format!("leads/pipelines/{}/statuses/{}", pipeline.id, status.id)),
    });
    if with_descriptions {
        object["descriptions"] = json!([]);
    }
    object
}

fn pipeline_object(ctx: &Ctx<'_>, pipeline: &Pipeline, with_descriptions: bool) -> Value {
    let statuses: Vec<Value> =
        pipeline.statuses.iter().map(|s| status_object(ctx, pipeline, s, with_descriptions)).collect();
    json!({
        "id": pipeline.id,
        "name": pipeline.name,
        "sort": pipeline.sort,
        "is_main": pipeline.is_main,
        "is_unsorted_on": true,
        "is_archive": false,
        "account_id": ctx.account.world().amo.account_id,
        "_links": links(ctx, &format!("leads/pipelines/{}", pipeline.id)),
        "_embedded": { "statuses": statuses },
    })
}

fn descriptions(req: &Req<'_>) -> bool {
    req.query.get("with").and_then(Value::as_str).is_some_and(|w| w.split(',').any(|x| x.trim() == "descriptions"))
}

fn pipeline<'w>(ctx: &'w Ctx<'_>, req: &Req<'_>) -> Option<&'w Pipeline> {
    let id: u64 = req.ids.first().and_then(|i| i.parse().ok())?;
    ctx.account.world().amo.pipelines.iter().find(|p| p.id == id)
}

/// `GET /leads/pipelines`.
pub(super) fn list(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    let pipelines = &ctx.account.world().amo.pipelines;
    let items: Vec<Value> = pipelines.iter().map(|p| pipeline_object(ctx, p, descriptions(req))).collect();
    if items.is_empty() {
        return Ok(AmoAnswer::no_content());
    }
    Ok(AmoAnswer::ok(json!({
        "_total_items": items.len(),
        "_links": links(ctx, "leads/pipelines"),
        "_embedded": { "pipelines": items },
    })))
}

/// `GET /leads/pipelines/{id}`.
pub(super) fn get(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    Ok(match pipeline(ctx, req) {
        Some(p) => AmoAnswer::ok(pipeline_object(ctx, p, descriptions(req))),
        None => AmoAnswer::no_content(),
    })
}

/// `GET /leads/pipelines/{id}/statuses`.
pub(super) fn statuses(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    let Some(p) = pipeline(ctx, req) else { return Ok(AmoAnswer::no_content()) };
    let items: Vec<Value> = p.statuses.iter().map(|s| status_object(ctx, p, s, descriptions(req))).collect();
    Ok(AmoAnswer::ok(json!({
        "_total_items": items.len(),
        "_links": links(ctx, &format!("leads/pipelines/{}/statuses", p.id)),
        "_embedded": { "statuses": items },
    })))
}

/// `GET /leads/pipelines/{id}/statuses/{status_id}`.
pub(super) fn status(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    let Some(p) = pipeline(ctx, req) else { return Ok(AmoAnswer::no_content()) };
    let id: Option<u64> = req.ids.get(1).and_then(|i| i.parse().ok());
    Ok(match p.statuses.iter().find(|s| Some(s.id) == id) {
        Some(s) => AmoAnswer::ok(status_object(ctx, p, s, descriptions(req))),
        None => AmoAnswer::no_content(),
    })
}

/// The predefined fields of `kind`: contacts PHONE, EMAIL, POSITION;
/// companies PHONE, EMAIL, WEB; leads none.
pub(super) fn fields_of<'w>(ctx: &'w Ctx<'_>, kind: Kind) -> Vec<&'w CustomField> {
    let amo = &ctx.account.world().amo;
    match kind {
        Kind::Contacts => vec![&amo.position_field, &amo.phone_field, &amo.email_field],
        Kind::Companies => vec![&amo.phone_field, &amo.email_field, &amo.web_field],
        Kind::Leads => Vec::new(),
    }
}

fn field_object(ctx: &Ctx<'_>, kind: Kind, field: &CustomField, sort: usize) -> Value {
    let enums = if field.enums.is_empty() {
        Value::Null
    } else {
        let enums: Vec<Value> = field
            .enums
            .iter()
            .enumerate()
            .map(|(i, (code, id))| json!({ "id": id, "value": code, "sort": (i + 1) * 2 }))
            .collect();
        Value::Array(enums)
    };
    json!({
        "id": field.id,
        "name": field.name,
        "type": field.field_type,
        "account_id": ctx.account.world().amo.account_id,
        "code": field.code,
        "sort": (sort + 1) * 2,
        "is_api_only": false,
        "enums": enums,
        "group_id": null,
        "required_statuses": [],
        "is_deletable": false,
        "is_predefined": true,
        "entity_type": kind.name(),
        "remind": null,
        "_links": links(ctx, &format!("{}/custom_fields/{}", kind.name(), field.id)),
    })
}

fn fields(ctx: &mut Ctx<'_>, req: &Req<'_>, kind: Kind) -> Result<AmoAnswer, AmoError> {
    let ctx: &Ctx<'_> = ctx;
    let items: Vec<Value> =
        fields_of(ctx, kind).into_iter().enumerate().map(|(i, f)| field_object(ctx, kind, f, i)).collect();
    let (_, limit) = hal::page_and_limit(req)?;
    let mut extra = Map::new();
    extra.insert("_total_items".into(), json!(items.len()));
    extra.insert("_page_count".into(), json!(items.len().div_ceil(limit)));
    hal::list(ctx, req, "custom_fields", items, extra)
}

fn field(ctx: &mut Ctx<'_>, req: &Req<'_>, kind: Kind) -> Result<AmoAnswer, AmoError> {
    let ctx: &Ctx<'_> = ctx;
    let id: Option<u64> = req.ids.first().and_then(|i| i.parse().ok());
    let found = fields_of(ctx, kind).into_iter().enumerate().find(|(_, f)| Some(f.id) == id);
    Ok(match found {
        Some((i, f)) => AmoAnswer::ok(field_object(ctx, kind, f, i)),
        None => AmoAnswer::no_content(),
    })
}

/// `GET /contacts/custom_fields`.
pub(super) fn contact_fields(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    fields(ctx, req, Kind::Contacts)
}

/// `GET /companies/custom_fields`.
pub(super) fn company_fields(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    fields(ctx, req, Kind::Companies)
}

/// `GET /leads/custom_fields`.
pub(super) fn lead_fields(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    fields(ctx, req, Kind::Leads)
}

/// `GET /contacts/custom_fields/{id}`.
pub(super) fn contact_field(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    field(ctx, req, Kind::Contacts)
}

/// `GET /companies/custom_fields/{id}`.
pub(super) fn company_field(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    field(ctx, req, Kind::Companies)
}
