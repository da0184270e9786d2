//! `GET /api/v4/users` and `/users/{id}` (`amocrm-api.md` §2): the account's
//! users with their rights; `with=phone_number` gives each user's extension
//! (the world's), `with=group` / `role` / `uuid` / `amojo_id` / `user_rank`
//! the other extras. The fake's token acts as an administrator.

use serde_json::{Map, Value, json};

use super::{AmoAnswer, AmoError, Ctx, Req, hal};

fn expanded(ctx: &Ctx<'_>, user: &Map<String, Value>, with: &[&str]) -> Value {
    let mut user = user.clone();
    let id = user.get("id").and_then(Value::as_u64).unwrap_or(0);
    let world = ctx.account.world();
    let employee = world.employees.iter().find(|e| e.amo_id == id);
    let mut embedded = Map::new();
    for extra in with {
        match *extra {
            "phone_number" => {
                let ext = employee.map(|e| e.extension.clone()).filter(|x| !x.is_empty());
                user.insert("phone_number".into(), json!(ext));
            }
            "uuid" => {
                user.insert("uuid".into(), json!(crate::bitrix24::token(world.seed ^ id, 0x0D1D, 32)));
            }
            "amojo_id" => {
                user.insert("amojo_id".into(), json!(crate::bitrix24::token(world.seed ^ id, 0xA301, 36)));
            }
            "user_rank" => {
                user.insert("user_rank".into(), json!("master"));
            }
            "group" => {
                let group = user.get("rights").and_then(|r| r.get("group_id")).and_then(Value::as_u64).unwrap_or(0);
                let name = if group == 0 { "Отдел продаж" } else { "Менеджеры" };
                embedded.insert("groups".into(), json!([{ "id": group, "name": name }]));
            }
            "role" => {
                embedded.insert("roles".into(), json!([]));
            }
            _ => {}
        }
    }
    if !embedded.is_empty() {
        user.insert("_embedded".into(), Value::Object(embedded));
    }
    Value::Object(user)
}

fn with_of<'a>(req: &'a Req<'_>) -> Vec<&'a str> {
    req.query.get("with").and_then(Value::as_str).map(|w| w.split(',').map(str::trim).collect()).unwrap_or_default()
}

pub(super) fn list(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    let with = with_of(req);
    let users: Vec<Value> = ctx.records.users.iter().map(|u| expanded(ctx, u, &with)).collect();
    let (_, limit) = hal::page_and_limit(req)?;
    let mut extra = Map::new();
    extra.insert("_total_items".into(), json!(users.len()));
    extra.insert("_page_count".into(), json!(users.len().div_ceil(limit)));
    hal::list(ctx, req, "users", users, extra)
}

pub(super) fn get(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    let id: u64 = req.ids.first().and_then(|i| i.parse().ok()).unwrap_or(0);
    let with = with_of(req);
    match ctx.records.users.iter().find(|u| u.get("id").and_then(Value::as_u64) == Some(id)) {
        Some(user) => Ok(AmoAnswer::ok(expanded(ctx, user, &with))),
        None => Ok(AmoAnswer::no_content()),
    }
}
