//! Request/response pairs of the fake Bitrix24, one snapshot per method:
//! each holds the success and the error paths, as a connector sees them on
//! the wire (`time` redacted: it is the server's clock).

use std::path::Path;
use std::sync::Arc;

use callfull_crm::admin::AdjustableClock;
use callfull_crm::bitrix24::PortalOptions;
use callfull_crm::{ManualClock, Shared, bitrix24::Portal, routes};
use callfull_world::World;
use serde_json::{Value, json};

async fn exchange(s: &Shared, method: &str, body: Value) -> Value {
    let path = format!("{}{method}", s.bitrix24.webhook_path());
    let response = warp::test::request()
        .method("POST")
        .path(&path)
        .header("content-type", "application/json")
        .body(body.to_string())
        .reply(&routes(s.clone()))
        .await;
    let answer: Value = serde_json::from_slice(response.body()).unwrap();
    json!({ "request": { "method": method, "body": body }, "status": response.status().as_u16(), "response": answer })
}

#[tokio::test]
async fn every_method_answers_as_pinned() {
    let clock = Arc::new(AdjustableClock::new(ManualClock::at(1_794_899_703_000_000)));
    let s = Shared::new(Portal::new(World::from_seed(7)), clock, "http://127.0.0.1:8080");
    let world = World::from_seed(7);
    let contact = &world.contacts[0];
    let user = &world.employees[1];

    let register = exchange(&s, "telephony.externalcall.register", json!({"USER_PHONE_INNER": user.extension, "PHONE_NUMBER": contact.phones[0], "TYPE": 2, "LINE_NUMBER": "+74952250101", "EXTERNAL_CALL_ID": "1794899703.1840"})).await;
    let call_id = register["response"]["result"]["CALL_ID"].clone();
    let cases: Vec<(&str, Vec<Value>)> = vec![
        ("user.get", vec![
            exchange(&s, "user.get", json!({"FILTER": {"UF_PHONE_INNER": user.extension}})).await,
            exchange(&s, "user.get", json!({"FILTER": {"UF_PHONE_INNER": "999"}})).await,
        ]),
        ("crm.contact.get", vec![
            exchange(&s, "crm.contact.get", json!({"id": contact.b24_id})).await,
            exchange(&s, "crm.contact.get", json!({"id": 999_999})).await,
            exchange(&s, "crm.contact.get", json!({})).await,
        ]),
        ("crm.contact.list", vec![
            exchange(&s, "crm.contact.list", json!({"filter": {"PHONE": contact.phones[0]}, "select": ["ID", "NAME", "LAST_NAME", "ASSIGNED_BY_ID", "PHONE"]})).await,
            exchange(&s, "crm.contact.list", json!({"filter": "x"})).await,
        ]),
        ("crm.duplicate.findbycomm", vec![
            exchange(&s, "crm.duplicate.findbycomm", json!({"type": "PHONE", "values": [contact.phones[0]]})).await,
            exchange(&s, "crm.duplicate.findbycomm", json!({"type": "PHONE", "values": ["+70000000000"]})).await,
            exchange(&s, "crm.duplicate.findbycomm", json!({"type": "FAX", "values": ["1"]})).await,
        ]),
        ("telephony.externalcall.register", vec![
            register.clone(),
            exchange(&s, "telephony.externalcall.register", json!({"PHONE_NUMBER": "+79990001122", "TYPE": 2})).await,
            exchange(&s, "telephony.externalcall.register", json!({"USER_ID": user.b24_id, "PHONE_NUMBER": "+79990001122", "TYPE": 7})).await,
        ]),
        ("telephony.externalcall.finish", vec![
            exchange(&s, "telephony.externalcall.finish", json!({"CALL_ID": call_id, "USER_ID": user.b24_id, "DURATION": 95, "STATUS_CODE": "200"})).await,
            exchange(&s, "telephony.externalcall.finish", json!({"CALL_ID": call_id, "USER_ID": user.b24_id})).await,
        ]),
        ("telephony.externalCall.attachRecord", vec![
            exchange(&s, "telephony.externalCall.attachRecord", json!({"CALL_ID": call_id, "FILENAME": "call.mp3", "FILE_CONTENT": "SUQzBAAAAAAA"})).await,
            exchange(&s, "telephony.externalCall.attachRecord", json!({"CALL_ID": call_id, "FILENAME": "call.ogg", "FILE_CONTENT": "SUQzBAAAAAAA"})).await,
        ]),
        ("unknown.method", vec![exchange(&s, "unknown.method", json!({})).await]),
    ];
    pin(cases);
}

/// Asserts each case's exchanges against `snapshots/bitrix24/{name}.snap`.
fn pin(mut cases: Vec<(&str, Vec<Value>)>) {
    // A batch's `result_time` holds one time block per command: keep the
    // command ids, redact the blocks.
    for pair in cases.iter_mut().flat_map(|(_, pairs)| pairs.iter_mut()) {
        if let Some(times) = pair.pointer_mut("/response/result/result_time").and_then(Value::as_object_mut) {
            times.values_mut().for_each(|t| *t = json!("[time]"));
        }
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots/bitrix24"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for (name, pairs) in cases {
            insta::assert_json_snapshot!(name, pairs, { "[].response.time" => "[time]" });
        }
    });
}

/// A portal without the rate limit (the test's clock stands still while it
/// makes a hundred calls).
fn unlimited() -> Shared {
    let clock = Arc::new(AdjustableClock::new(ManualClock::at(1_794_899_703_000_000)));
    let options = PortalOptions { rate_limit: None, ..PortalOptions::default() };
    Shared::new(Portal::with_options(World::from_seed(7), options), clock, "http://127.0.0.1:8080")
}

/// One request to any path, described in the snapshot by `request` (which
/// names the auth used rather than printing codes and tokens).
async fn exchange_at(s: &Shared, request: Value, path: &str, bearer: Option<&str>, body: &Value) -> Value {
    let mut builder = warp::test::request()
        .method("POST")
        .path(path)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(token) = bearer {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    let response = builder.reply(&routes(s.clone())).await;
    let answer: Value = serde_json::from_slice(response.body()).unwrap();
    json!({ "request": request, "status": response.status().as_u16(), "response": answer })
}

#[tokio::test]
async fn the_other_methods_answer_as_pinned() {
    let s = unlimited();
    let world = World::from_seed(7);
    let contact = &world.contacts[0];
    let company = &world.companies[0];
    // A seeded lead with a sum (`OPPORTUNITY` is null on some seeded leads,
    // which the spec does not confirm: see the report).
    let seeded = s.bitrix24.dump();
    let lead = seeded["leads"].as_array().unwrap().iter().find(|l| l["OPPORTUNITY"].is_string()).unwrap();
    let lead_id_seeded: u64 = lead["ID"].as_str().unwrap().parse().unwrap();
    let user = &world.employees[1];
    let ok = |v: &Value| v["response"]["result"].clone();

    // A finished call bound to the contact (its activity) and an active one.
    let finished_call = exchange(&s, "telephony.externalcall.register", json!({"USER_ID": user.b24_id, "PHONE_NUMBER": contact.phones[0], "TYPE": 1, "EXTERNAL_CALL_ID": "1794899703.1"})).await;
    let finished_id = ok(&finished_call)["CALL_ID"].clone();
    let finish = exchange(
        &s,
        "telephony.externalcall.finish",
        json!({"CALL_ID": finished_id, "USER_ID": user.b24_id, "DURATION": 42}),
    )
    .await;
    let activity_id = ok(&finish)["CRM_ACTIVITY_ID"].clone();
    let active = exchange(
        &s,
        "telephony.externalcall.register",
        json!({"USER_ID": user.b24_id, "PHONE_NUMBER": "+79990001122", "TYPE": 2, "EXTERNAL_CALL_ID": "1794899703.2"}),
    )
    .await;
    let active_id = ok(&active)["CALL_ID"].clone();

    let deal_add =
        exchange(&s, "crm.deal.add", json!({"fields": {"TITLE": "Поставка", "CONTACT_ID": contact.b24_id}})).await;
    let deal_id = ok(&deal_add);
    let contact_add = exchange(&s, "crm.contact.add", json!({"fields": {"NAME": "Иван", "LAST_NAME": "Петров", "PHONE": [{"VALUE": "+79990004455", "VALUE_TYPE": "MOBILE"}], "EMAIL": [{"VALUE": "ivan@example.ru", "VALUE_TYPE": "WORK"}]}})).await;
    let contact_id = ok(&contact_add);
    let contact_added = exchange(&s, "crm.contact.get", json!({"id": contact_id})).await;
    let phone_id = ok(&contact_added)["PHONE"][0]["ID"].clone();
    let company_add = exchange(
        &s,
        "crm.company.add",
        json!({"fields": {"TITLE": "ООО «Тест»", "PHONE": [{"VALUE": "+74950001122", "VALUE_TYPE": "WORK"}]}}),
    )
    .await;
    let company_id = ok(&company_add);
    let company_added = exchange(&s, "crm.company.get", json!({"id": company_id})).await;
    let company_phone_id = ok(&company_added)["PHONE"][0]["ID"].clone();
    let lead_add = exchange(&s, "crm.lead.add", json!({"fields": {"TITLE": "+79990005566 - Входящий звонок", "SOURCE_ID": "CALL", "PHONE": [{"VALUE": "+79990005566", "VALUE_TYPE": "WORK"}], "ASSIGNED_BY_ID": user.b24_id}})).await;
    let lead_id = ok(&lead_add);

    let cases: Vec<(&str, Vec<Value>)> = vec![
        ("user.current", vec![
            exchange(&s, "user.current", json!({})).await,
            exchange_at(&s, json!({"method": "user.current", "auth": "Bearer: the portal's access token", "body": {}}), "/rest/user.current", Some(s.bitrix24.access_token()), &json!({})).await,
        ]),
        ("user.search", vec![
            exchange(&s, "user.search", json!({"FILTER": {"FIND": user.last_name}})).await,
            exchange(&s, "user.search", json!({"FILTER": {"FIND": "Несуществующий"}})).await,
        ]),
        ("crm.company.get", vec![
            exchange(&s, "crm.company.get", json!({"id": company.b24_id})).await,
            exchange(&s, "crm.company.get", json!({"id": 999_999})).await,
            exchange(&s, "crm.company.get", json!({"id": "abc"})).await,
            exchange(&s, "crm.company.get", json!({})).await,
        ]),
        ("crm.company.list", vec![
            exchange(&s, "crm.company.list", json!({"filter": {"%TITLE": company.title}, "select": ["ID", "TITLE", "ASSIGNED_BY_ID", "PHONE"]})).await,
            exchange(&s, "crm.company.list", json!({"filter": {"TITLE": "нет такой"}})).await,
            exchange(&s, "crm.company.list", json!({"filter": "x"})).await,
            exchange(&s, "crm.company.list", json!({"order": "x"})).await,
        ]),
        ("crm.lead.get", vec![
            exchange(&s, "crm.lead.get", json!({"id": lead_id_seeded})).await,
            exchange(&s, "crm.lead.get", json!({"id": 999_999})).await,
            exchange(&s, "crm.lead.get", json!({})).await,
        ]),
        ("crm.lead.list", vec![
            exchange(&s, "crm.lead.list", json!({"filter": {"ID": lead_id_seeded}, "select": ["ID", "TITLE", "STATUS_ID", "ASSIGNED_BY_ID", "PHONE"]})).await,
            exchange(&s, "crm.lead.list", json!({"filter": {">ID": 0}, "select": ["ID"], "order": {"ID": "DESC"}, "start": -1})).await,
            exchange(&s, "crm.lead.list", json!({"filter": "x"})).await,
        ]),
        ("crm.deal.add", vec![
            deal_add.clone(),
            exchange(&s, "crm.deal.list", json!({"filter": {"ID": deal_id}, "select": ["ID", "TITLE", "STAGE_ID", "CATEGORY_ID", "CLOSED", "CONTACT_ID", "ASSIGNED_BY_ID", "CREATED_BY_ID"]})).await,
            exchange(&s, "crm.deal.add", json!({"fields": "x"})).await,
            exchange(&s, "crm.deal.add", json!({})).await,
        ]),
        // No success case: a deal made by crm.deal.add lacks the fields it was
        // not given, where the vendor prints null (see the report).
        ("crm.deal.get", vec![
            exchange(&s, "crm.deal.get", json!({"id": 999_999})).await,
            exchange(&s, "crm.deal.get", json!({"id": 0})).await,
        ]),
        ("crm.deal.update", vec![
            exchange(&s, "crm.deal.update", json!({"id": deal_id, "fields": {"STAGE_ID": "PREPARATION", "ASSIGNED_BY_ID": user.b24_id}})).await,
            exchange(&s, "crm.deal.list", json!({"filter": {"ID": deal_id}, "select": ["ID", "TITLE", "STAGE_ID", "CATEGORY_ID", "CLOSED", "CONTACT_ID", "ASSIGNED_BY_ID", "CREATED_BY_ID"]})).await,
            exchange(&s, "crm.deal.update", json!({"id": 999_999, "fields": {"TITLE": "x"}})).await,
            exchange(&s, "crm.deal.update", json!({"id": deal_id})).await,
            exchange(&s, "crm.deal.update", json!({"fields": {"TITLE": "x"}})).await,
        ]),
        ("crm.deal.list", vec![
            exchange(&s, "crm.deal.list", json!({"filter": {"CONTACT_ID": contact.b24_id}, "select": ["ID", "TITLE", "STAGE_ID", "CONTACT_ID"]})).await,
            exchange(&s, "crm.deal.list", json!({"filter": {"STAGE_ID": "WON"}})).await,
            exchange(&s, "crm.deal.list", json!({"order": "x"})).await,
        ]),
        ("crm.contact.add", vec![
            contact_add.clone(),
            exchange(&s, "crm.contact.list", json!({"filter": {"ID": contact_id}, "select": ["ID", "NAME", "LAST_NAME", "TYPE_ID", "ASSIGNED_BY_ID", "CREATED_BY_ID", "HAS_PHONE", "HAS_EMAIL", "HAS_IMOL", "PHONE", "EMAIL"]})).await,
            exchange(&s, "crm.contact.add", json!({"fields": "x"})).await,
            exchange(&s, "crm.contact.add", json!({})).await,
        ]),
        ("crm.contact.update", vec![
            exchange(&s, "crm.contact.update", json!({"id": contact_id, "fields": {"ASSIGNED_BY_ID": user.b24_id, "PHONE": [{"ID": phone_id, "VALUE": "+79990004456"}, {"VALUE": "+79990004457", "VALUE_TYPE": "WORK"}]}})).await,
            exchange(&s, "crm.contact.list", json!({"filter": {"ID": contact_id}, "select": ["ID", "NAME", "LAST_NAME", "TYPE_ID", "ASSIGNED_BY_ID", "CREATED_BY_ID", "HAS_PHONE", "HAS_EMAIL", "HAS_IMOL", "PHONE", "EMAIL"]})).await,
            exchange(&s, "crm.contact.update", json!({"id": 999_999, "fields": {"NAME": "x"}})).await,
            exchange(&s, "crm.contact.update", json!({"id": contact_id, "fields": "x"})).await,
            exchange(&s, "crm.contact.update", json!({"fields": {"NAME": "x"}})).await,
        ]),
        ("crm.company.add", vec![
            company_add.clone(),
            exchange(&s, "crm.company.list", json!({"filter": {"ID": company_id}, "select": ["ID", "TITLE", "COMPANY_TYPE", "ASSIGNED_BY_ID", "HAS_PHONE", "HAS_EMAIL", "HAS_IMOL", "PHONE", "EMAIL"]})).await,
            exchange(&s, "crm.company.add", json!({"fields": "x"})).await,
        ]),
        ("crm.company.update", vec![
            exchange(&s, "crm.company.update", json!({"id": company_id, "fields": {"TITLE": "ООО «Тест-2»", "PHONE": [{"ID": company_phone_id, "VALUE": ""}]}})).await,
            exchange(&s, "crm.company.list", json!({"filter": {"ID": company_id}, "select": ["ID", "TITLE", "COMPANY_TYPE", "ASSIGNED_BY_ID", "HAS_PHONE", "HAS_EMAIL", "HAS_IMOL", "PHONE", "EMAIL"]})).await,
            exchange(&s, "crm.company.update", json!({"id": 999_999, "fields": {"TITLE": "x"}})).await,
            exchange(&s, "crm.company.update", json!({"id": company_id})).await,
        ]),
        ("crm.lead.add", vec![
            lead_add.clone(),
            exchange(&s, "crm.lead.list", json!({"filter": {"ID": lead_id}, "select": ["ID", "TITLE", "NAME", "STATUS_ID", "SOURCE_ID", "OPPORTUNITY", "CURRENCY_ID", "ASSIGNED_BY_ID", "HAS_PHONE", "HAS_EMAIL", "PHONE"]})).await,
            exchange(&s, "crm.lead.add", json!({"fields": "x"})).await,
        ]),
        ("crm.lead.update", vec![
            exchange(&s, "crm.lead.update", json!({"id": lead_id, "fields": {"STATUS_ID": "IN_PROCESS", "NAME": "Пётр"}})).await,
            exchange(&s, "crm.lead.list", json!({"filter": {"ID": lead_id}, "select": ["ID", "TITLE", "NAME", "STATUS_ID", "SOURCE_ID", "OPPORTUNITY", "CURRENCY_ID", "ASSIGNED_BY_ID", "HAS_PHONE", "HAS_EMAIL", "PHONE"]})).await,
            exchange(&s, "crm.lead.update", json!({"id": 999_999, "fields": {"TITLE": "x"}})).await,
            exchange(&s, "crm.lead.update", json!({"id": lead_id, "fields": "x"})).await,
        ]),
        ("crm.activity.get", vec![
            exchange(&s, "crm.activity.get", json!({"id": activity_id})).await,
            exchange(&s, "crm.activity.get", json!({"id": 999_999})).await,
            exchange(&s, "crm.activity.get", json!({})).await,
        ]),
        ("crm.activity.list", vec![
            exchange(&s, "crm.activity.list", json!({"filter": {"OWNER_TYPE_ID": 3, "OWNER_ID": contact.b24_id, "TYPE_ID": 2}})).await,
            exchange(&s, "crm.activity.list", json!({"filter": {"ORIGIN_ID": format!("VI_{}", finished_id.as_str().unwrap())}, "select": ["ID", "OWNER_TYPE_ID", "OWNER_ID", "FILES"]})).await,
            exchange(&s, "crm.activity.list", json!({"filter": {"ORIGIN_ID": "VI_externalCall.none"}})).await,
            exchange(&s, "crm.activity.list", json!({"filter": "x"})).await,
            exchange(&s, "crm.activity.list", json!({"order": "x"})).await,
        ]),
        ("telephony.externalcall.show", vec![
            exchange(&s, "telephony.externalcall.show", json!({"CALL_ID": active_id, "USER_ID": [user.b24_id]})).await,
            exchange(&s, "telephony.externalcall.show", json!({"CALL_ID": finished_id})).await,
            exchange(&s, "telephony.externalcall.show", json!({})).await,
        ]),
        ("telephony.externalcall.hide", vec![
            exchange(&s, "telephony.externalcall.hide", json!({"CALL_ID": active_id, "USER_ID": user.b24_id})).await,
            exchange(&s, "telephony.externalcall.hide", json!({"CALL_ID": finished_id})).await,
        ]),
        ("telephony.externalCall.searchCrmEntities", vec![
            exchange(&s, "telephony.externalCall.searchCrmEntities", json!({"PHONE_NUMBER": contact.phones[0]})).await,
            exchange(&s, "telephony.externalCall.searchCrmEntities", json!({"PHONE_NUMBER": "+70000000000"})).await,
            exchange(&s, "telephony.externalCall.searchCrmEntities", json!({})).await,
        ]),
        ("telephony.externalLine.add", vec![
            exchange(&s, "telephony.externalLine.add", json!({"NUMBER": "+74952250101", "NAME": "Приём"})).await,
            exchange(&s, "telephony.externalLine.add", json!({"NUMBER": " +74952250101 "})).await,
            exchange(&s, "telephony.externalLine.add", json!({"NAME": "без номера"})).await,
        ]),
        ("telephony.externalLine.update", vec![
            exchange(&s, "telephony.externalLine.update", json!({"NUMBER": "+74952250101", "CRM_AUTO_CREATE": "N"})).await,
            exchange(&s, "telephony.externalLine.update", json!({"NUMBER": "+74952250101"})).await,
            exchange(&s, "telephony.externalLine.update", json!({"NUMBER": "+70000000000", "NAME": "x"})).await,
            exchange(&s, "telephony.externalLine.update", json!({"NAME": "x"})).await,
        ]),
        ("telephony.externalLine.get", vec![exchange(&s, "telephony.externalLine.get", json!({})).await]),
        ("telephony.externalLine.delete", vec![
            exchange(&s, "telephony.externalLine.delete", json!({"NUMBER": "+74952250101"})).await,
            exchange(&s, "telephony.externalLine.delete", json!({"NUMBER": "+74952250101"})).await,
            exchange(&s, "telephony.externalLine.get", json!({})).await,
        ]),
        ("batch", vec![
            exchange(&s, "batch", json!({"halt": 0, "cmd": {
                "line": "telephony.externalLine.get",
                "contact": format!("crm.contact.list?filter[ID]={}&select[]=ID&select[]=ASSIGNED_BY_ID", contact.b24_id),
                "owner": "user.get?ID=$result[contact][0][ASSIGNED_BY_ID]",
                "missing": "crm.lead.get?id=999999",
                "nested": "batch?cmd[0]=user.current",
                "unknown": "no.such.method",
            }})).await,
            exchange(&s, "batch", json!({"halt": 1, "cmd": ["crm.deal.get?id=999999", "telephony.externalLine.get"]})).await,
            exchange(&s, "batch", json!({"cmd": []})).await,
            exchange(&s, "batch", json!({"cmd": vec!["telephony.externalLine.get"; 51]})).await,
        ]),
    ];
    pin(cases);
}

#[tokio::test]
async fn authentication_errors_answer_as_pinned() {
    let s = unlimited();
    let webhook = s.bitrix24.webhook_path();
    let parts: Vec<&str> = webhook.split('/').filter(|p| !p.is_empty()).collect();
    let (user, code) = (parts[1], parts[2]);
    let method = "telephony.externalLine.get";
    let asked = |auth: &str| json!({"method": method, "auth": auth, "body": {}});
    let token_path = format!("/rest/{method}");

    // An OAuth token from an authorization code: used, then an hour later.
    let new_code = exchange_at(&s, json!({}), "/_admin/oauth/code", None, &json!({})).await;
    let oauth = s.bitrix24.oauth();
    let grant = format!(
        "/oauth/token/?grant_type=authorization_code&client_id={}&client_secret={}&code={}",
        oauth.client_id,
        oauth.client_secret,
        new_code["response"]["code"].as_str().unwrap()
    );
    let tokens = exchange_at(&s, json!({}), &grant, None, &json!({})).await;
    let access = tokens["response"]["access_token"].as_str().unwrap().to_owned();
    let fresh = exchange_at(&s, asked("Bearer: a fresh OAuth token"), &token_path, Some(&access), &json!({})).await;
    let advanced = exchange_at(&s, json!({}), "/_admin/clock", None, &json!({"advance_secs": 3601})).await;
    assert_eq!(advanced["status"], 200);
    let expired =
        exchange_at(&s, asked("Bearer: the same token 3601 s later"), &token_path, Some(&access), &json!({})).await;

    let cases: Vec<(&str, Vec<Value>)> = vec![(
        "auth.errors",
        vec![
            exchange_at(
                &s,
                asked("webhook: a wrong code"),
                &format!("/rest/{user}/wrongcode{code}/{method}"),
                None,
                &json!({}),
            )
            .await,
            exchange_at(&s, asked("webhook: a wrong user"), &format!("/rest/999/{code}/{method}"), None, &json!({}))
                .await,
            exchange_at(&s, asked("none"), &token_path, None, &json!({})).await,
            exchange_at(&s, asked("Bearer: an unknown token"), &token_path, Some("nope"), &json!({})).await,
            exchange_at(
                &s,
                json!({"method": method, "auth": "auth parameter: an unknown token", "body": {"auth": "nope"}}),
                &token_path,
                None,
                &json!({"auth": "nope"}),
            )
            .await,
            fresh,
            expired,
        ],
    )];
    pin(cases);
}

#[tokio::test]
async fn the_rate_limit_answers_as_pinned() {
    // The standard plan's bucket: 50 requests in a burst, then 503 until it drains (2 per second).
    let clock = Arc::new(AdjustableClock::new(ManualClock::at(1_794_899_703_000_000)));
    let s = Shared::new(Portal::new(World::from_seed(7)), clock, "http://127.0.0.1:8080");
    let method = "telephony.externalLine.get";
    for _ in 0..50 {
        assert_eq!(exchange(&s, method, json!({})).await["status"], 200);
    }
    let refused = exchange(&s, method, json!({})).await;
    let batch_refused = exchange(&s, "batch", json!({"cmd": [method]})).await;
    s.clock.advance(1_000_000);
    let drained = exchange(&s, method, json!({})).await;
    pin(vec![("rate.limit", vec![refused, batch_refused, drained])]);
}

#[tokio::test]
async fn the_methods_added_with_events_and_uploads_answer_as_pinned() {
    let s = unlimited();
    let world = World::from_seed(7);
    let user = &world.employees[1];
    let token = s.bitrix24.access_token().to_owned();
    // A call with the application's token (named, not printed, in the snapshot).
    let app = |method: &'static str, body: Value| {
        let (s, path) = (s.clone(), format!("/rest/{method}?auth={token}"));
        async move {
            let request = json!({"method": method, "auth": "application token", "body": body});
            exchange_at(&s, request, &path, None, &body).await
        }
    };
    let handler = "http://127.0.0.1:9/connector/events";

    let register = exchange(
        &s,
        "telephony.externalcall.register",
        json!({"USER_ID": user.b24_id, "PHONE_NUMBER": "+79990001122", "TYPE": 2}),
    )
    .await;
    let call_id = register["response"]["result"]["CALL_ID"].clone();
    exchange(&s, "telephony.externalcall.finish", json!({"CALL_ID": call_id, "USER_ID": user.b24_id, "DURATION": 30}))
        .await;
    let attach =
        exchange(&s, "telephony.externalCall.attachRecord", json!({"CALL_ID": call_id, "FILENAME": "call.mp3"})).await;
    let upload_url = attach["response"]["result"]["uploadUrl"].as_str().unwrap_or_default().to_owned();
    let upload_path = upload_url.strip_prefix("http://127.0.0.1:8080").unwrap_or_default().to_owned();
    let upload = |body: &'static str| {
        let (s, path) = (s.clone(), upload_path.clone());
        async move {
            let response = warp::test::request()
                .method("POST")
                .path(&path)
                .header("content-type", "multipart/form-data; boundary=B")
                .body(body)
                .reply(&routes(s))
                .await;
            let answer: Value = serde_json::from_slice(response.body()).unwrap();
            json!({"request": {"path": "uploadUrl", "multipart": body}, "status": response.status().as_u16(), "response": answer})
        }
    };
    let file = "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"call.mp3\"\r\n\r\nID3\r\n--B--\r\n";
    let cases: Vec<(&str, Vec<Value>)> = vec![
        ("crm.contact.fields", vec![exchange(&s, "crm.contact.fields", json!({})).await]),
        ("crm.company.fields", vec![exchange(&s, "crm.company.fields", json!({})).await]),
        ("crm.lead.fields", vec![exchange(&s, "crm.lead.fields", json!({})).await]),
        ("crm.deal.fields", vec![exchange(&s, "crm.deal.fields", json!({})).await]),
        ("attachRecord.upload", vec![attach.clone(), upload(file).await, upload(file).await]),
        (
            "event.bind",
            vec![
                exchange(&s, "event.bind", json!({"event": "ONEXTERNALCALLSTART", "handler": handler})).await,
                app("event.bind", json!({"event": "ONEXTERNALCALLSTART", "handler": handler})).await,
                app("event.bind", json!({"event": "ONEXTERNALCALLSTART", "handler": handler})).await,
                app("event.bind", json!({"event": "ONNOSUCHEVENT", "handler": handler})).await,
                app("event.bind", json!({"event": "ONEXTERNALCALLSTART"})).await,
            ],
        ),
        ("event.get", vec![app("event.get", json!({})).await]),
        (
            "event.unbind",
            vec![
                app("event.unbind", json!({"event": "ONEXTERNALCALLSTART", "handler": handler})).await,
                app("event.unbind", json!({"event": "ONEXTERNALCALLSTART", "handler": handler})).await,
            ],
        ),
    ];
    pin(cases);
}
