//! `GET /api/v4/account` (`amocrm-api.md` §1.7): the account, with the
//! `with=` extras, often a connector's token check.

use serde_json::{Map, Value, json};

use super::{AmoAnswer, AmoError, Ctx, Req};

pub(super) fn get(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    let world = ctx.account.world();
    let amo = &world.amo;
    let admin = world.employees.iter().find(|e| e.is_admin()).or(world.employees.first());
    let with: Vec<&str> = req
        .query
        .get("with")
        .and_then(Value::as_str)
        .map(|w| w.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let mut account = json!({
        "id": amo.account_id,
        "name": world.company.name,
        "subdomain": amo.subdomain,
        "created_at": 1_585_840_134,
        "created_by": 0,
        "updated_at": 1_589_472_711,
        "updated_by": 0,
        "current_user_id": admin.map_or(0, |e| e.amo_id),
        "country": "RU",
        "currency": "RUB",
        "currency_symbol": "₽",
        "customers_mode": "disabled",
        "is_unsorted_on": true,
        "mobile_feature_version": 0,
        "is_loss_reason_enabled": true,
        "is_helpbot_enabled": false,
        "is_technical_account": false,
        "contact_name_display_order": 1,
        "_links": { "self": { "href": ctx.href("account") } },
    });
    let mut embedded = Map::new();
    for extra in with {
        match extra {
            "amojo_id" => account["amojo_id"] = json!(crate::bitrix24::token(world.seed, 0xA301, 36)),
            "version" => account["version"] = json!(14),
            "users_groups" => {
                embedded.insert(
                    "users_groups".into(),
                    json!([
                        {"id": 0, "name": "Отдел продаж", "uuid": null},
                        {"id": amo.group_id, "name": "Менеджеры", "uuid": null},
                    ]),
                );
            }
            "task_types" => {
                embedded.insert(
                    "task_types".into(),
                    json!([
                        {"id": 1, "name": "Связаться", "color": null, "icon_id": null, "code": "FOLLOW_UP"},
                        {"id": 2, "name": "Встреча", "color": null, "icon_id": null, "code": "MEETING"},
                    ]),
                );
            }
            "datetime_settings" => {
                let offset = i64::from(world.settings.utc_offset_hours) * 3600;
                embedded.insert(
                    "datetime_settings".into(),
                    json!({
                        "date_pattern": "d.m.Y H:i", "short_date_pattern": "d.m.Y", "short_time_pattern": "H:i",
                        "date_format": "d.m.Y", "time_format": "H:i:s", "timezone": "Europe/Moscow",
                        "timezone_offset": format!("{:+03}:00", offset / 3600),
                    }),
                );
            }
            "amojo_rights" => {
                embedded.insert("amojo_rights".into(), json!({"can_direct": true, "can_create_groups": true}));
            }
            _ => {}
        }
    }
    if !embedded.is_empty() {
        account["_embedded"] = Value::Object(embedded);
    }
    Ok(AmoAnswer::ok(account))
}
