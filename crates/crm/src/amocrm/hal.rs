//! HAL list envelopes (`amocrm-api.md` §1.4): `_page`, `_links` (`self`,
//! `next`, `prev`, with the query echoed), `_embedded.{name}`; pages of up to
//! 250 (`limit`, default 50), 1-based `page`; 204 with no body when nothing
//! is on the page.

use serde_json::{Map, Value, json};

use super::{AmoAnswer, AmoError, Ctx, Req};

/// The largest page.
pub(crate) const MAX_LIMIT: usize = 250;

/// `page` and `limit` of a list request: 400 when not numbers, 422 over 250.
pub(crate) fn page_and_limit(req: &Req<'_>) -> Result<(usize, usize), AmoError> {
    let number = |name: &str, default: usize| -> Result<usize, AmoError> {
        match req.query.get(name) {
            None => Ok(default),
            Some(Value::String(s)) => s.trim().parse::<usize>().map_err(|_| {
                AmoError::validation(vec![json!({"request_id": "0", "errors": [
                    {"code": "InvalidType", "path": name, "detail": "This value should be of type int."}]})])
            }),
            Some(_) => Err(AmoError::validation(vec![json!({"request_id": "0", "errors": [
                {"code": "InvalidType", "path": name, "detail": "This value should be of type int."}]})])),
        }
    };
    let page = number("page", 1)?.max(1);
    let limit = number("limit", 50)?;
    if limit > MAX_LIMIT {
        return Err(AmoError::over_limit());
    }
    Ok((page, limit.max(1)))
}

/// The page of `items` the request asks for, as `_embedded.{name}`; 204
/// when it is empty. `extra` keys (`_total_items`, `_page_count`) go first.
pub(crate) fn list(
    ctx: &Ctx<'_>,
    req: &Req<'_>,
    name: &str,
    items: Vec<Value>,
    extra: Map<String, Value>,
) -> Result<AmoAnswer, AmoError> {
    let (page, limit) = page_and_limit(req)?;
    let total = items.len();
    let rows = items.into_iter().skip((page - 1).saturating_mul(limit)).take(limit).collect();
    self::page(ctx, req, name, (page, limit), total, rows, extra)
}

/// Page `page` of `limit` (`rows`, already cut) out of `total` items, with
/// its `_links`; 204 when there are no rows.
pub(crate) fn page(
    ctx: &Ctx<'_>,
    req: &Req<'_>,
    name: &str,
    (page, limit): (usize, usize),
    total: usize,
    rows: Vec<Value>,
    extra: Map<String, Value>,
) -> Result<AmoAnswer, AmoError> {
    if rows.is_empty() {
        return Ok(AmoAnswer::no_content());
    }
    let start = (page - 1).saturating_mul(limit);
    let href = |page: usize| {
        let mut query: Vec<(String, String)> = form_urlencoded::parse(req.raw_query.as_bytes())
            .filter(|(k, _)| k != "page" && k != "limit")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        query.push(("page".into(), page.to_string()));
        query.push(("limit".into(), limit.to_string()));
        let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(query).finish();
        json!({ "href": format!("{}?{query}", ctx.href(ctx.path)) })
    };
    let mut links = Map::new();
    links.insert("self".into(), href(page));
    if start + limit < total {
        links.insert("next".into(), href(page + 1));
    }
    if page > 1 {
        links.insert("first".into(), href(1));
        links.insert("prev".into(), href(page - 1));
    }
    let mut body = extra;
    body.insert("_page".into(), json!(page));
    body.insert("_links".into(), Value::Object(links));
    // Moved in, not `json!`: that would copy every row through serde.
    let mut embedded = Map::new();
    embedded.insert(name.into(), Value::Array(rows));
    body.insert("_embedded".into(), Value::Object(embedded));
    Ok(AmoAnswer::ok(Value::Object(body)))
}
