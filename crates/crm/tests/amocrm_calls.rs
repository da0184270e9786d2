//! The fake amoCRM's call routes (`amocrm-api.md` §4): `POST /api/v4/calls`
//! and its attach rule, unsorted SIP leads, call notes, events; bad input;
//! 32 clients adding calls at once over real HTTP; snapshots of every
//! endpoint's request/response pairs under `snapshots/amocrm/`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use callfull_crm::admin::AdjustableClock;
use callfull_crm::amocrm::{AccountOptions, NoEntity};
use callfull_crm::bitrix24::PortalOptions;
use callfull_crm::{ManualClock, ServerOptions, Shared, bitrix24::Portal, routes};
use callfull_world::World;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

const T0: i64 = 1_794_899_703_000_000;

fn shared(options: AccountOptions) -> Shared {
    let clock = Arc::new(AdjustableClock::new(ManualClock::at(T0)));
    Shared::new(Portal::new(World::from_seed(7)), clock, "http://127.0.0.1:8080").with_amocrm_options(options)
}

fn unlimited() -> Shared {
    shared(AccountOptions { rate_limit: None, ..Default::default() })
}

/// (status, content type, body or Null for an empty one).
async fn raw(s: &Shared, method: &str, path: &str, body: &[u8]) -> (u16, String, Value) {
    let token = s.amocrm.long_lived_token().to_owned();
    let response = warp::test::request()
        .method(method)
        .path(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(body)
        .reply(&routes(s.clone()))
        .await;
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let body = if response.body().is_empty() { Value::Null } else { serde_json::from_slice(response.body()).unwrap() };
    (response.status().as_u16(), content_type, body)
}

async fn post(s: &Shared, path: &str, body: &Value) -> (u16, Value) {
    let (status, _, body) = raw(s, "POST", path, body.to_string().as_bytes()).await;
    (status, body)
}

async fn get(s: &Shared, path: &str) -> (u16, Value) {
    let (status, _, body) = raw(s, "GET", path, b"").await;
    (status, body)
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

fn key(text: &str) -> String {
    let d = digits(text);
    d[d.len().saturating_sub(10)..].to_owned()
}

/// Seeded facts: a contact with exactly one open deal (and that deal), a
/// contact with none, a company whose number no contact shares.
struct Facts {
    with_lead: (u64, String, u64),
    alone: (u64, String),
    company: (u64, String),
}

fn facts() -> Facts {
    let world = World::from_seed(7);
    let open_deals = |i: usize| world.deals.iter().filter(|d| d.contact == Some(i) && d.is_open()).collect::<Vec<_>>();
    let any_deal = |i: usize| world.deals.iter().any(|d| d.contact == Some(i));
    let phones_elsewhere = |phone: &str, me: u64| {
        world.contacts.iter().filter(|c| c.amo_id != me).flat_map(|c| &c.phones).any(|p| key(p) == key(phone))
            || world.companies.iter().flat_map(|c| &c.phones).any(|p| key(p) == key(phone))
            || world.leads.iter().flat_map(|l| &l.phones).any(|p| key(p) == key(phone))
    };
    let with_lead = world
        .contacts
        .iter()
        .find(|c| !c.phones.is_empty() && open_deals(c.index).len() == 1 && !phones_elsewhere(&c.phones[0], c.amo_id))
        .map(|c| (c.amo_id, c.phones[0].clone(), open_deals(c.index)[0].amo_id))
        .unwrap();
    let alone = world
        .contacts
        .iter()
        .find(|c| !c.phones.is_empty() && !any_deal(c.index) && !phones_elsewhere(&c.phones[0], c.amo_id))
        .map(|c| (c.amo_id, c.phones[0].clone()))
        .unwrap();
    let company = world
        .companies
        .iter()
        .find(|co| {
            !co.phones.is_empty()
                && !world.contacts.iter().flat_map(|c| &c.phones).any(|p| key(p) == key(&co.phones[0]))
                && !world.leads.iter().flat_map(|l| &l.phones).any(|p| key(p) == key(&co.phones[0]))
                && world.companies.iter().filter(|o| o.phones.iter().any(|p| key(p) == key(&co.phones[0]))).count() == 1
                && world.deals.iter().filter(|d| d.company == Some(co.index) && d.is_open()).count() != 1
        })
        .map(|c| (c.amo_id, c.phones[0].clone()))
        .unwrap();
    Facts { with_lead, alone, company }
}

fn call(direction: &str, phone: &str, uniq: &str) -> Value {
    json!({"direction": direction, "uniq": uniq, "duration": 95, "source": "callfull", "phone": phone,
           "link": format!("https://rec.example/{uniq}.mp3"), "call_status": 4, "call_result": "Разговор состоялся",
           "call_responsible": 504_141, "created_by": 0})
}

#[tokio::test]
async fn a_known_number_gets_its_call_on_the_one_active_lead_or_on_the_card() {
    let s = unlimited();
    let f = facts();
    let (lead_contact, phone, lead) = &f.with_lead;
    let mut first = call("inbound", phone, "1794899703.1");
    first["request_id"] = json!("first");
    let batch =
        json!([first, call("outbound", &f.alone.1, "1794899703.2"), call("inbound", &f.company.1, "1794899703.3")]);
    let (status, content_type, body) = raw(&s, "POST", "/api/v4/calls", batch.to_string().as_bytes()).await;
    assert_eq!((status, content_type.as_str()), (200, "application/hal+json"), "{body}");
    assert_eq!((body["_total_items"].as_u64(), body["errors"].clone()), (Some(3), json!([])));
    let calls = body["_embedded"]["calls"].as_array().unwrap();
    assert_eq!((calls[0]["entity_type"].as_str(), calls[0]["entity_id"].as_u64()), (Some("lead"), Some(*lead)));
    assert_eq!(calls[0]["request_id"], "first");
    assert_eq!(
        calls[0]["_embedded"]["entity"]["_links"]["self"]["href"],
        format!("http://127.0.0.1:8080/api/v4/leads/{lead}")
    );
    assert_eq!((calls[1]["entity_type"].as_str(), calls[1]["entity_id"].as_u64()), (Some("contact"), Some(f.alone.0)));
    assert_eq!(calls[1]["request_id"], "1");
    assert_eq!(calls[2]["entity_type"].as_str(), Some("company"));
    assert_eq!(calls[2]["entity_id"].as_u64(), Some(f.company.0));
    let _ = lead_contact;

    // The call is a call_in note on the lead, every param kept.
    let (status, notes) = get(&s, &format!("/api/v4/leads/{lead}/notes")).await;
    assert_eq!(status, 200);
    let note = &notes["_embedded"]["notes"][0];
    assert_eq!(note["id"], calls[0]["id"]);
    assert_eq!(note["note_type"], "call_in");
    assert_eq!(
        note["params"],
        json!({"uniq": "1794899703.1", "duration": 95, "source": "callfull", "link": "https://rec.example/1794899703.1.mp3",
               "phone": phone, "call_result": "Разговор состоялся", "call_status": 4, "call_responsible": 504_141})
    );
    let (_, out) = get(&s, &format!("/api/v4/contacts/{}/notes?filter[note_type]=call_out", f.alone.0)).await;
    assert_eq!(out["_embedded"]["notes"][0]["id"], calls[1]["id"]);
    let (status, _) = get(&s, &format!("/api/v4/contacts/{}/notes?filter[note_type]=call_in", f.alone.0)).await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn three_spellings_of_a_number_find_the_same_card() {
    let s = unlimited();
    let (id, phone) = facts().alone;
    let ten = key(&phone);
    let spellings = [
        format!("+7{ten}"),
        format!("8{ten}"),
        format!("8 ({}) {}-{}-{}", &ten[..3], &ten[3..6], &ten[6..8], &ten[8..]),
    ];
    for (i, spelling) in spellings.iter().enumerate() {
        let (status, body) = post(&s, "/api/v4/calls", &json!([call("inbound", spelling, &format!("u{i}"))])).await;
        assert_eq!(status, 200, "{spelling}: {body}");
        assert_eq!(body["_embedded"]["calls"][0]["entity_id"].as_u64(), Some(id), "{spelling}");
    }
}

#[tokio::test]
async fn an_unknown_number_is_400_by_default_and_200_with_errors_when_set() {
    let f = facts();
    let unknown = call("inbound", "+79990000001", "x1");
    let s = unlimited();
    let (status, content_type, body) = raw(&s, "POST", "/api/v4/calls", json!([unknown]).to_string().as_bytes()).await;
    assert_eq!((status, content_type.as_str()), (400, "application/problem+json"));
    assert_eq!(body["_total_items"], 0);
    assert_eq!(body["errors"][0]["title"], "Entity not found");
    assert_eq!(body["errors"][0]["request_id"], "0");
    // A batch with one known number: 200, the other call in errors[].
    let (status, body) = post(&s, "/api/v4/calls", &json!([unknown, call("inbound", &f.alone.1, "x2")])).await;
    assert_eq!(
        (status, body["_total_items"].as_u64(), body["errors"][0]["request_id"].as_str()),
        (200, Some(1), Some("0"))
    );
    assert_eq!(body["_embedded"]["calls"][0]["request_id"], "1");

    let lenient =
        shared(AccountOptions { rate_limit: None, calls_without_entity: NoEntity::Errors200, ..Default::default() });
    let (status, body) = post(&lenient, "/api/v4/calls", &json!([unknown])).await;
    assert_eq!((status, body["_total_items"].as_u64()), (200, Some(0)));
    assert_eq!(body["errors"][0]["title"], "Entity not found");
    assert_eq!(body["_embedded"]["calls"], json!([]));
    let (status, _) = get(&lenient, "/api/v4/events?filter[type]=incoming_call").await;
    assert_eq!(status, 204, "nothing was added");
}

#[tokio::test]
async fn a_call_is_validated_item_by_item_and_a_bad_one_stores_nothing() {
    let s = unlimited();
    let f = facts();
    let mut bad = json!({"direction": "sideways", "duration": "95", "phone": 79_161_234_567_u64, "call_status": 9});
    bad["request_id"] = json!("b");
    let (status, body) = post(&s, "/api/v4/calls", &json!([call("inbound", &f.alone.1, "ok"), bad])).await;
    assert_eq!(status, 400);
    assert_eq!(body["detail"], "Request validation failed");
    let blocks = body["validation-errors"].as_array().unwrap();
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0]["request_id"], "b");
    let paths: Vec<&str> =
        blocks[0]["errors"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["direction", "duration", "source", "phone", "call_status"]);
    let (status, _) = get(&s, "/api/v4/events").await;
    assert_eq!(status, 204, "the valid call of a refused batch is not stored");

    // call_status 8 (the PHP library's "undefined") is accepted; 0 is not.
    let mut eight = call("inbound", &f.alone.1, "eight");
    eight["call_status"] = json!(8);
    assert_eq!(post(&s, "/api/v4/calls", &json!([eight])).await.0, 200);
    let mut zero = call("inbound", &f.alone.1, "zero");
    zero["call_status"] = json!(0);
    let (status, body) = post(&s, "/api/v4/calls", &json!([zero])).await;
    assert_eq!((status, body["validation-errors"][0]["errors"][0]["code"].as_str()), (400, Some("NotSupportedChoice")));
}

fn sip(uniq: &str, phone: &str) -> Value {
    json!({
        "source_uid": "asterisk-1", "source_name": "Asterisk", "created_at": 1_794_899_000,
        "metadata": {"uniq": uniq, "phone": phone, "from": phone, "called_at": 1_794_899_000, "duration": 12,
                     "link": "https://rec.example/x.mp3", "service_code": "callfull", "is_call_event_needed": true},
        "_embedded": {
            "leads": [{"name": "Входящий звонок", "price": 0}],
            "contacts": [{"name": "Новый клиент", "custom_fields_values": [
                {"field_code": "PHONE", "values": [{"value": phone, "enum_code": "MOB"}]}]}],
        },
    })
}

#[tokio::test]
async fn an_unsorted_sip_lead_is_made_refused_twice_and_accepted_or_declined() {
    let s = unlimited();
    let world = World::from_seed(7);
    let main = &world.amo.pipelines[0];
    let incoming = main.statuses.iter().find(|st| st.kind == 1).unwrap().id;
    let (status, body) =
        post(&s, "/api/v4/leads/unsorted/sip", &json!([sip("u-1", "+79990001111"), sip("u-2", "+79990002222")])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["_total_items"], 2);
    let first = &body["_embedded"]["unsorted"][0];
    let uid = first["uid"].as_str().unwrap().to_owned();
    assert_eq!(first["request_id"], "0");
    let lead_id = first["_embedded"]["leads"][0]["id"].as_u64().unwrap();
    let contact_id = first["_embedded"]["contacts"][0]["id"].as_u64().unwrap();
    assert_eq!(first["_embedded"]["companies"], json!([]));
    let second_uid = body["_embedded"]["unsorted"][1]["uid"].as_str().unwrap().to_owned();

    // The record reads back; the lead is in the incoming status; the contact is hidden from calls.
    let (status, record) = get(&s, &format!("/api/v4/leads/unsorted/{uid}")).await;
    assert_eq!(
        (status, record["category"].as_str(), record["pipeline_id"].as_u64()),
        (200, Some("sip"), Some(main.id))
    );
    assert!(record["metadata"].get("is_call_event_needed").is_none(), "write-only");
    let dump = s.amocrm.dump();
    let lead = dump["leads"].as_array().unwrap().iter().find(|l| l["id"] == lead_id).unwrap();
    assert_eq!(lead["status_id"].as_u64(), Some(incoming));
    let contact = dump["contacts"].as_array().unwrap().iter().find(|c| c["id"] == contact_id).unwrap();
    assert_eq!(contact["is_unsorted"], true);
    assert_eq!(contact["custom_fields_values"][0]["field_id"].as_u64(), Some(world.amo.phone_field.id));
    assert_eq!(post(&s, "/api/v4/calls", &json!([call("inbound", "+79990001111", "c")])).await.0, 400);
    let (_, list) = get(&s, "/api/v4/leads/unsorted?filter[category][]=sip").await;
    assert_eq!(list["_embedded"]["unsorted"].as_array().unwrap().len(), 2);
    assert_eq!(get(&s, "/api/v4/leads/unsorted?filter[category]=forms").await.0, 204);
    let (_, events) = get(&s, &format!("/api/v4/events?filter[entity]=lead&filter[entity_id]={lead_id}")).await;
    let kinds: Vec<&str> =
        events["_embedded"]["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["incoming_call", "lead_added"], "newest first; the call event was asked for");

    // The same call again is refused.
    let (status, body) = post(&s, "/api/v4/leads/unsorted/sip", &json!([sip("u-1", "+79990001111")])).await;
    assert_eq!((status, body["validation-errors"][0]["errors"][0]["code"].as_str()), (400, Some("NotUnique")));

    // Accept: a working status, the contact shown (and found by calls).
    let (status, accepted) = raw(&s, "POST", &format!("/api/v4/leads/unsorted/{uid}/accept"), b"").await.into_pair();
    assert_eq!(status, 200, "{accepted}");
    assert_eq!(accepted["_embedded"]["leads"][0]["id"].as_u64(), Some(lead_id));
    let dump = s.amocrm.dump();
    let lead = dump["leads"].as_array().unwrap().iter().find(|l| l["id"] == lead_id).unwrap();
    assert_eq!(lead["status_id"].as_u64(), Some(world.amo_first_status().1));
    let (status, body) = post(&s, "/api/v4/calls", &json!([call("inbound", "89990001111", "after")])).await;
    assert_eq!((status, body["_embedded"]["calls"][0]["entity_type"].as_str()), (200, Some("lead")));
    assert_eq!(get(&s, &format!("/api/v4/leads/unsorted/{uid}")).await.0, 204, "no longer unsorted");
    let (status, again) = raw(&s, "POST", &format!("/api/v4/leads/unsorted/{uid}/accept"), b"").await.into_pair();
    assert_eq!((status, again["detail"].as_str()), (400, Some(format!("Unsorted {uid} is already accepted").as_str())));

    // Decline (DELETE, as the docs have it): closed as lost.
    let (status, _) = raw(&s, "DELETE", &format!("/api/v4/leads/unsorted/{second_uid}/decline"), b"").await.into_pair();
    assert_eq!(status, 200);
    let dump = s.amocrm.dump();
    let second_lead = dump["unsorted"][1]["record"]["_embedded"]["leads"][0]["id"].clone();
    let lead = dump["leads"].as_array().unwrap().iter().find(|l| l["id"] == second_lead).unwrap();
    assert_eq!((lead["status_id"].as_u64(), lead["closed_at"].as_i64()), (Some(143), Some(T0 / 1_000_000)));
    assert_eq!(get(&s, "/api/v4/leads/unsorted").await.0, 204);
    let (status, body) = raw(&s, "POST", "/api/v4/leads/unsorted/nope/accept", b"").await.into_pair();
    assert_eq!((status, body["title"].as_str()), (404, Some("Not Found")));
    let (_, changed) = get(&s, "/api/v4/events?filter[type]=lead_status_changed").await;
    assert_eq!(changed["_embedded"]["events"][0]["value_after"][0]["lead_status"]["id"], 143);
}

trait IntoPair {
    fn into_pair(self) -> (u16, Value);
}

impl IntoPair for (u16, String, Value) {
    fn into_pair(self) -> (u16, Value) {
        (self.0, self.2)
    }
}

#[tokio::test]
async fn call_notes_round_trip_their_params_and_are_listed() {
    let s = unlimited();
    let f = facts();
    let id = f.alone.0;
    let params = json!({"uniq": "n-1", "duration": 30, "source": "callfull", "link": "https://rec.example/n-1.mp3",
                        "phone": "+79161234567", "call_status": 6, "call_result": "Не дозвонился",
                        "call_responsible": "Иван", "custom": {"kept": true}});
    let (status, body) = post(
        &s,
        &format!("/api/v4/contacts/{id}/notes"),
        &json!([{"note_type": "call_out", "params": params, "request_id": "n"}]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let added = &body["_embedded"]["notes"][0];
    assert_eq!((added["entity_id"].as_u64(), added["request_id"].as_str()), (Some(id), Some("n")));
    let (status, body) = post(
        &s,
        "/api/v4/contacts/notes",
        &json!([{"entity_id": id, "note_type": "common", "params": {"text": "перезвонить"}}]),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let (_, list) = get(&s, "/api/v4/contacts/notes?filter[note_type]=call_out").await;
    let notes = list["_embedded"]["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["params"], params, "every key kept");
    assert_eq!(
        notes[0]["_links"]["self"]["href"],
        format!("http://127.0.0.1:8080/api/v4/contacts/{id}/notes/{}", added["id"])
    );
    let (_, both) =
        get(&s, &format!("/api/v4/contacts/{id}/notes?filter[note_type][]=call_out&filter[note_type][]=common")).await;
    assert_eq!(both["_embedded"]["notes"].as_array().unwrap().len(), 2);
    let (status, one) = get(&s, &format!("/api/v4/contacts/{id}/notes/{}", added["id"])).await;
    assert_eq!((status, one["note_type"].as_str()), (200, Some("call_out")));
    assert_eq!(get(&s, "/api/v4/leads/notes").await.0, 204, "none on leads");
    assert_eq!(get(&s, "/api/v4/companies/notes").await.0, 204);

    // A missing card, a missing entity_id, an unknown type, a call note without its params.
    let (status, body) = post(
        &s,
        "/api/v4/leads/notes",
        &json!([
            {"entity_id": 1, "note_type": "common", "params": {"text": "x"}},
            {"note_type": "common", "params": {"text": "x"}},
            {"entity_id": id, "note_type": "tweet"},
            {"entity_id": f.with_lead.2, "note_type": "call_in", "params": {"uniq": "z"}},
        ]),
    )
    .await;
    assert_eq!(status, 400);
    let paths: Vec<Vec<&str>> = body["validation-errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["errors"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect())
        .collect();
    assert_eq!(
        paths,
        vec![
            vec!["entity_id"],
            vec!["entity_id"],
            vec!["entity_id", "note_type"],
            vec!["params.duration", "params.source", "params.phone"]
        ]
    );
}

#[tokio::test]
async fn events_filter_by_type_entity_id_and_time() {
    let s = unlimited();
    let f = facts();
    post(&s, "/api/v4/calls", &json!([call("inbound", &f.alone.1, "e1")])).await;
    s.clock.advance(10_000_000);
    post(&s, "/api/v4/calls", &json!([call("outbound", &f.alone.1, "e2"), call("outbound", &f.company.1, "e3")])).await;
    let t0 = T0 / 1_000_000;

    let (status, all) = get(&s, "/api/v4/events").await;
    assert_eq!(status, 200);
    let events = all["_embedded"]["events"].as_array().unwrap();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e["id"].is_string()), "string ids");
    assert_eq!(events[2]["type"], "incoming_call", "newest first");
    assert_eq!(events[2]["entity_type"], "contact");
    assert!(events[2]["value_after"][0]["note"]["id"].is_u64());
    let count = |v: &Value| v["_embedded"]["events"].as_array().map_or(0, Vec::len);
    assert_eq!(count(&get(&s, "/api/v4/events?filter[type]=outgoing_call").await.1), 2);
    assert_eq!(count(&get(&s, "/api/v4/events?filter[type]=incoming_call,outgoing_call").await.1), 3);
    assert_eq!(count(&get(&s, "/api/v4/events?filter[entity]=company").await.1), 1);
    assert_eq!(count(&get(&s, "/api/v4/events?filter[entity]=contacts").await.1), 2, "plural accepted");
    assert_eq!(
        count(&get(&s, &format!("/api/v4/events?filter[entity]=contact&filter[entity_id]={}", f.alone.0)).await.1),
        2
    );
    assert_eq!(count(&get(&s, &format!("/api/v4/events?filter[created_at]={t0}")).await.1), 1);
    assert_eq!(count(&get(&s, &format!("/api/v4/events?filter[created_at][from]={}", t0 + 5)).await.1), 2);
    assert_eq!(count(&get(&s, &format!("/api/v4/events?filter[created_at]={},{}", t0 - 5, t0 + 5)).await.1), 1);
    assert_eq!(get(&s, "/api/v4/events?filter[type]=lead_added").await.0, 204);
    let (status, page) = get(&s, "/api/v4/events?limit=2").await;
    assert_eq!((status, count(&page)), (200, 2));
    assert!(page["_links"]["next"]["href"].as_str().unwrap().ends_with("page=2&limit=2"));
    let id = events[0]["id"].as_str().unwrap();
    let (status, one) = get(&s, &format!("/api/v4/events/{id}")).await;
    assert_eq!((status, one["id"].as_str()), (200, Some(id)));
    let (status, body) = get(&s, "/api/v4/events?filter[entity_id]=1").await;
    assert_eq!((status, body["validation-errors"][0]["errors"][0]["path"].as_str()), (400, Some("filter.entity")));
    let (status, _) = get(&s, "/api/v4/events?filter[created_at]=yesterday").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn bad_bodies_get_the_vendors_problem_json_never_a_500() {
    let s = unlimited();
    let f = facts();
    let id = f.alone.0;
    let paths = [
        "/api/v4/calls".to_owned(),
        "/api/v4/leads/unsorted/sip".to_owned(),
        "/api/v4/contacts/notes".to_owned(),
        format!("/api/v4/contacts/{id}/notes"),
    ];
    for path in &paths {
        let cases: [(&[u8], u16, &str); 7] = [
            (b"", 400, "Request data can not be empty"),
            (b"   ", 400, "Request data can not be empty"),
            (b"[]", 400, "Request data can not be empty"),
            (b"{\"direction\": \"inbound\"", 400, "Request data can not be empty"),
            (b"{\"direction\": \"inbound\"}", 400, "Request validation failed"),
            (b"\"calls\"", 400, "Request validation failed"),
            (b"[1, \"x\", null]", 400, "Request validation failed"),
        ];
        for (body, want, detail) in cases {
            let (status, content_type, answer) = raw(&s, "POST", path, body).await;
            assert_eq!(
                (status, content_type.as_str(), answer["detail"].as_str()),
                (want, "application/problem+json", Some(detail)),
                "{path} {}",
                String::from_utf8_lossy(body)
            );
        }
        let many = Value::Array(vec![json!({}); 251]);
        let (status, _, answer) = raw(&s, "POST", path, many.to_string().as_bytes()).await;
        assert_eq!((status, answer["detail"].as_str()), (422, Some("Limit 250 per page")), "{path}");
    }
    // Wrong types are named by path; unknown fields are ignored (as the vendor does).
    let mut odd = call("inbound", &f.alone.1, "odd");
    odd["whatever"] = json!({"x": 1});
    let (status, body) = post(&s, "/api/v4/calls", &json!([odd])).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(
        &s,
        "/api/v4/calls",
        &json!([{"direction": 1, "duration": -5, "source": [], "phone": {}, "link": 3, "request_id": 7}]),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["validation-errors"][0]["request_id"], "0", "a non-string request_id is not echoed");
    let codes: Vec<&str> = body["validation-errors"][0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert!(codes.iter().all(|c| *c == "InvalidType"), "{codes:?}");
    let (status, body) = post(
        &s,
        "/api/v4/leads/unsorted/sip",
        &json!([{"source_uid": 1, "metadata": "x", "_embedded": {"contacts": [{}, {}]}}]),
    )
    .await;
    assert_eq!(status, 400);
    let paths: Vec<&str> = body["validation-errors"][0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["source_uid", "source_name", "metadata", "_embedded.contacts"]);
    let (status, _, _) = raw(&s, "POST", "/api/v4/contacts/abc/notes", b"[{}]").await;
    assert_eq!(status, 400);
    let (status, _, _) = raw(&s, "PUT", "/api/v4/calls", b"[]").await;
    assert_eq!(status, 405);
    let (status, _, _) = raw(&s, "GET", "/api/v4/events?limit=251", b"").await;
    assert_eq!(status, 422);
    let (status, _, body) = raw(&s, "POST", "/api/v4/leads/unsorted/x/accept", b"{").await;
    assert_eq!((status, body["title"].as_str()), (404, Some("Not Found")));
}

// ----- 32 clients over real HTTP -----

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Client {
    sender: SendRequest<Full<Bytes>>,
    host: String,
    token: String,
}

impl Client {
    async fn connect(addr: SocketAddr, token: String) -> Result<Self, Error> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Client { sender, host: addr.to_string(), token })
    }

    async fn request(&mut self, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value), Error> {
        self.sender.ready().await?;
        let builder = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.host)
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", "application/json");
        let body = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        let response = self.sender.send_request(builder.body(Full::new(body))?).await?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await?.to_bytes();
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes)? };
        Ok((status, body))
    }
}

const CLIENTS: usize = 32;
const BATCHES: usize = 10;
const PER_BATCH: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_clients_add_calls_at_once_and_nothing_is_lost_or_doubled() -> Result<(), Error> {
    let world = World::from_seed(7);
    let phones: Arc<Vec<String>> =
        Arc::new(world.contacts.iter().filter(|c| !c.phones.is_empty()).map(|c| c.phones[0].clone()).collect());
    let clock = Arc::new(AdjustableClock::new(ManualClock::at(T0)));
    let server = callfull_crm::spawn_with(
        world,
        "127.0.0.1:0".parse()?,
        clock,
        PortalOptions { rate_limit: None, ..Default::default() },
        ServerOptions { amocrm: AccountOptions { rate_limit: None, ..Default::default() }, ..Default::default() },
    )
    .await?;
    let addr = server.addr();
    let mut http = Client::connect(addr, String::new()).await?;
    let (_, info) = http.request("GET", "/_admin/info", None).await?;
    let token = info["amocrm"]["access_token"].as_str().unwrap().to_owned();

    let mut tasks = Vec::new();
    for t in 0..CLIENTS {
        let phones = phones.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let mut http = Client::connect(addr, token).await?;
            let mut mine: Vec<(String, u64)> = Vec::new();
            for b in 0..BATCHES {
                let batch: Vec<Value> = (0..PER_BATCH)
                    .map(|i| {
                        let n = (t * BATCHES + b) * PER_BATCH + i;
                        let mut c = call(
                            if n % 2 == 0 { "inbound" } else { "outbound" },
                            &phones[n % phones.len()],
                            &format!("c{n}"),
                        );
                        c["request_id"] = json!(format!("r{n}"));
                        c
                    })
                    .collect();
                let (status, body) = http.request("POST", "/api/v4/calls", Some(&Value::Array(batch))).await?;
                assert_eq!(status, 200, "{body}");
                let calls = body["_embedded"]["calls"].as_array().unwrap();
                assert_eq!(calls.len(), PER_BATCH);
                for (i, c) in calls.iter().enumerate() {
                    let n = (t * BATCHES + b) * PER_BATCH + i;
                    assert_eq!(c["request_id"], format!("r{n}"), "request_id echoes its own item");
                    mine.push((format!("c{n}"), c["id"].as_u64().unwrap()));
                }
            }
            Ok::<_, Error>(mine)
        }));
    }
    let mut answered: HashMap<String, u64> = HashMap::new();
    for task in tasks {
        for (uniq, id) in task.await?? {
            assert!(answered.insert(uniq, id).is_none());
        }
    }
    assert_eq!(answered.len(), CLIENTS * BATCHES * PER_BATCH);
    let ids: std::collections::HashSet<u64> = answered.values().copied().collect();
    assert_eq!(ids.len(), answered.len(), "every call has its own note id");

    // The state holds each call once, under the id it was answered with.
    let (_, state) = http.request("GET", "/_admin/state", None).await?;
    let notes = state["amocrm"]["notes"].as_array().unwrap();
    assert_eq!(notes.len(), answered.len());
    for n in notes {
        let uniq = n["params"]["uniq"].as_str().unwrap();
        assert_eq!(answered.get(uniq).copied(), n["id"].as_u64(), "{uniq}");
    }
    let events = state["amocrm"]["events"].as_array().unwrap();
    assert_eq!(events.len(), answered.len(), "one call event per call");
    Ok(())
}

// ----- snapshots -----

async fn exchange(s: &Shared, method: &str, path: &str, body: Option<Value>) -> Value {
    let bytes = body.as_ref().map(Value::to_string).unwrap_or_default();
    let (status, content_type, response) = raw(s, method, path, bytes.as_bytes()).await;
    json!({ "request": { "method": method, "path": path, "body": body }, "status": status,
            "content_type": content_type, "response": response })
}

#[tokio::test]
async fn every_call_endpoint_answers_as_pinned() {
    let s = unlimited();
    let f = facts();
    let lead = f.with_lead.2;
    let mut c0 = call("inbound", &f.with_lead.1, "1794899703.10");
    c0["request_id"] = json!("a");
    let calls = vec![
        exchange(
            &s,
            "POST",
            "/api/v4/calls",
            Some(json!([
                c0,
                call("outbound", &f.alone.1, "1794899703.11"),
                call("inbound", &f.company.1, "1794899703.12")
            ])),
        )
        .await,
        exchange(&s, "POST", "/api/v4/calls", Some(json!([call("inbound", "+79990000001", "1794899703.13")]))).await,
        exchange(
            &s,
            "POST",
            "/api/v4/calls",
            Some(json!([{"direction": "sideways", "duration": "1", "request_id": "bad"}])),
        )
        .await,
        exchange(&s, "POST", "/api/v4/calls", Some(json!({"direction": "inbound"}))).await,
        exchange(&s, "POST", "/api/v4/calls", None).await,
    ];
    let add = exchange(
        &s,
        "POST",
        "/api/v4/leads/unsorted/sip",
        Some(json!([sip("1794899703.20", "+79990001111"), sip("1794899703.21", "+79990002222")])),
    )
    .await;
    let uid = add["response"]["_embedded"]["unsorted"][0]["uid"].as_str().unwrap().to_owned();
    let uid2 = add["response"]["_embedded"]["unsorted"][1]["uid"].as_str().unwrap().to_owned();
    let unsorted = vec![
        add,
        exchange(&s, "POST", "/api/v4/leads/unsorted/sip", Some(json!([sip("1794899703.20", "+79990001111")]))).await,
        exchange(&s, "POST", "/api/v4/leads/unsorted/sip", Some(json!([{"source_name": "Asterisk"}]))).await,
        exchange(&s, "GET", "/api/v4/leads/unsorted?filter[category][]=sip&limit=1", None).await,
        exchange(&s, "GET", &format!("/api/v4/leads/unsorted/{uid}"), None).await,
        exchange(&s, "POST", &format!("/api/v4/leads/unsorted/{uid}/accept"), Some(json!({"status_id": 1}))).await,
        exchange(&s, "POST", &format!("/api/v4/leads/unsorted/{uid}/accept"), None).await,
        exchange(&s, "POST", &format!("/api/v4/leads/unsorted/{uid}/accept"), None).await,
        exchange(&s, "DELETE", &format!("/api/v4/leads/unsorted/{uid2}/decline"), None).await,
        exchange(&s, "GET", &format!("/api/v4/leads/unsorted/{uid}"), None).await,
        exchange(&s, "POST", "/api/v4/leads/unsorted/nope/decline", None).await,
    ];
    let notes = vec![
        exchange(&s, "POST", &format!("/api/v4/leads/{lead}/notes"), Some(json!([{"note_type": "call_out", "created_by": 0, "params": {"uniq": "1794899703.30", "duration": 60, "source": "callfull", "link": "https://rec.example/1794899703.30.mp3", "phone": "+79161234567", "call_status": 4, "call_result": "Разговор состоялся", "call_responsible": 504_141}}]))).await,
        exchange(&s, "GET", &format!("/api/v4/leads/{lead}/notes?filter[note_type]=call_out"), None).await,
        exchange(&s, "GET", "/api/v4/leads/notes?filter[note_type][]=call_in&limit=1", None).await,
        exchange(&s, "GET", "/api/v4/companies/1/notes", None).await,
        exchange(&s, "POST", "/api/v4/contacts/notes", Some(json!([{"entity_id": 1, "note_type": "call_in", "params": {}}]))).await,
    ];
    let events = vec![
        exchange(&s, "GET", "/api/v4/events?filter[type]=incoming_call,outgoing_call&limit=2", None).await,
        exchange(&s, "GET", &format!("/api/v4/events?filter[entity]=lead&filter[entity_id]={lead}"), None).await,
        exchange(&s, "GET", "/api/v4/events?filter[type]=contact_added", None).await,
        exchange(&s, "GET", "/api/v4/events?filter[type]=customer_added", None).await,
        exchange(&s, "GET", "/api/v4/events?filter[entity_id]=1", None).await,
    ];
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots/amocrm"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        insta::assert_json_snapshot!("calls", calls);
        insta::assert_json_snapshot!("unsorted", unsorted);
        insta::assert_json_snapshot!("notes", notes);
        insta::assert_json_snapshot!("events", events);
    });
}
