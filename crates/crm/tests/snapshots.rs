//! Request/response pairs of the fake Bitrix24, one snapshot per method:
//! each holds the success and the error paths, as a connector sees them on
//! the wire (`time` redacted: it is the server's clock).

use std::path::Path;
use std::sync::Arc;

use callfull_crm::admin::AdjustableClock;
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
