//! Events: an application binds a handler with `event.bind`, a user clicks a
//! number in the CRM (the admin API stands in for the click), and the
//! portal posts `ONEXTERNALCALLSTART` to the handler — here a wiremock
//! server playing the connector — with a call already registered.

use std::sync::Arc;
use std::time::Duration;

use callfull_crm::admin::AdjustableClock;
use callfull_crm::{ManualClock, Shared, bitrix24::Portal, routes};
use callfull_world::World;
use serde_json::{Map, Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn shared() -> Shared {
    let clock = Arc::new(AdjustableClock::new(ManualClock::at(1_794_899_703_000_000)));
    Shared::new(Portal::new(World::from_seed(7)), clock, "http://127.0.0.1:8080")
}

async fn post(shared: &Shared, path: &str, content_type: &str, body: &str) -> (u16, Value) {
    let response = warp::test::request()
        .method("POST")
        .path(path)
        .header("content-type", content_type)
        .body(body)
        .reply(&routes(shared.clone()))
        .await;
    (response.status().as_u16(), serde_json::from_slice(response.body()).expect("JSON"))
}

/// Waits (on the runtime, not a fixed sleep) until the handler got `n` posts.
async fn received(server: &MockServer, n: usize) -> Vec<wiremock::Request> {
    for _ in 0..2_000 {
        let got = server.received_requests().await.unwrap_or_default();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("the handler did not get {n} posts");
}

fn form(body: &[u8]) -> Map<String, Value> {
    form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), json!(v))).collect()
}

#[tokio::test]
async fn a_click_to_call_reaches_the_bound_handler_with_a_registered_call() {
    let s = shared();
    let connector = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/b24/events"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&connector)
        .await;
    let handler = format!("{}/b24/events", connector.uri());
    let token = s.bitrix24.access_token().to_owned();

    // Only applications bind events; a webhook is told so.
    let bind = format!("event=ONEXTERNALCALLSTART&handler={handler}");
    let (status, refused) =
        post(&s, &format!("{}event.bind", s.bitrix24.webhook_path()), "application/x-www-form-urlencoded", &bind).await;
    assert_eq!((status, refused["error"].as_str()), (403, Some("WRONG_AUTH_TYPE")));
    let (status, bound) =
        post(&s, &format!("/rest/event.bind?auth={token}"), "application/x-www-form-urlencoded", &bind).await;
    assert_eq!((status, bound["result"].clone()), (200, json!(true)), "{bound}");
    let (_, again) =
        post(&s, &format!("/rest/event.bind?auth={token}"), "application/x-www-form-urlencoded", &bind).await;
    assert_eq!(again["error_description"], "Handler already binded");
    let (_, unknown) = post(
        &s,
        &format!("/rest/event.bind?auth={token}"),
        "application/x-www-form-urlencoded",
        &format!("event=ONNOTHING&handler={handler}"),
    )
    .await;
    assert_eq!(unknown["error"], "ERROR_EVENT_NOT_FOUND");
    let (_, listed) = post(&s, &format!("/rest/event.get?auth={token}"), "application/json", "{}").await;
    assert_eq!(
        listed["result"],
        json!([{"event": "ONEXTERNALCALLSTART", "handler": handler, "auth_type": "0", "offline": 0}])
    );

    let world = World::from_seed(7);
    let (contact, user) = (&world.contacts[0], &world.employees[2]);
    let click = json!({"extension": user.extension, "phone": contact.phones[0], "line": "+74952250101"});
    let (status, clicked) = post(&s, "/_admin/bitrix24/click-to-call", "application/json", &click.to_string()).await;
    assert_eq!(status, 200, "{clicked}");
    let posts = received(&connector, 1).await;
    let event = form(&posts[0].body);
    assert_eq!(event["event"], "ONEXTERNALCALLSTART");
    assert_eq!(event["data[USER_ID]"], json!(user.b24_id.to_string()));
    assert_eq!(event["data[CRM_ENTITY_TYPE]"], "CONTACT");
    assert_eq!(event["data[CRM_ENTITY_ID]"], json!(contact.b24_id.to_string()));
    assert_eq!(event["data[CALL_ID]"], clicked["data"]["CALL_ID"]);
    assert_eq!(event["auth[application_token]"], json!(s.bitrix24.application_token()));
    assert_eq!(event["auth[access_token]"], json!(token), "an application's delivery carries its token");
    assert_eq!(posts[0].headers["content-type"], "application/x-www-form-urlencoded");

    // The call is registered already: the connector only finishes it.
    let finish = json!({"CALL_ID": event["data[CALL_ID]"], "USER_ID": user.b24_id, "DURATION": 30});
    let (status, finished) = post(
        &s,
        &format!("{}telephony.externalcall.finish", s.bitrix24.webhook_path()),
        "application/json",
        &finish.to_string(),
    )
    .await;
    assert_eq!(status, 200, "{finished}");
    assert_eq!(finished["result"]["INCOMING"], "1", "an outgoing call");

    // The delivery is in the journal with the handler's status.
    for _ in 0..2_000 {
        let journal = s.journal.query(Some("event:ONEXTERNALCALLSTART"), None, None);
        if let Some(entry) = journal.first() {
            assert_eq!((entry.status, entry.auth), (200, "outgoing"));
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(s.journal.query(Some("event:ONEXTERNALCALLSTART"), None, None).len(), 1);

    let (_, unbound) =
        post(&s, &format!("/rest/event.unbind?auth={token}"), "application/x-www-form-urlencoded", &bind).await;
    assert_eq!(unbound["result"], json!({"count": 1}));
}

#[tokio::test]
async fn an_outgoing_webhook_gets_call_back_requests_and_an_unreachable_handler_is_journaled() {
    let s = shared();
    let connector = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&connector).await;
    let hook = json!({"event": "onExternalCallBackStart", "handler": format!("{}/hook", connector.uri())});
    let (status, added) = post(&s, "/_admin/bitrix24/outgoing-webhook", "application/json", &hook.to_string()).await;
    assert_eq!(status, 200, "{added}");
    // A second handler nobody listens on (port 9 is discard; loopback refuses it).
    let dead = json!({"event": "ONEXTERNALCALLBACKSTART", "handler": "http://127.0.0.1:9/nobody"});
    post(&s, "/_admin/bitrix24/outgoing-webhook", "application/json", &dead.to_string()).await;

    let world = World::from_seed(7);
    let request = json!({"phone": world.contacts[1].phones[0], "text": "Перезвоните мне"});
    let (status, _) = post(&s, "/_admin/bitrix24/callback", "application/json", &request.to_string()).await;
    assert_eq!(status, 200);
    let posts = received(&connector, 1).await;
    let event = form(&posts[0].body);
    assert_eq!(event["event"], "ONEXTERNALCALLBACKSTART");
    assert_eq!(event["data[TEXT]"], "Перезвоните мне");
    assert_eq!(event["data[CRM_ENTITY_TYPE]"], "CONTACT");
    assert!(!event.contains_key("auth[access_token]"), "an outgoing webhook's auth has no tokens");
    assert_eq!(event["auth[member_id]"], json!(s.bitrix24.member_id()));

    for _ in 0..5_000 {
        if s.journal.query(Some("event:ONEXTERNALCALLBACKSTART"), None, None).len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let journal = s.journal.query(Some("event:ONEXTERNALCALLBACKSTART"), None, None);
    let mut statuses: Vec<u16> = journal.iter().map(|e| e.status).collect();
    statuses.sort();
    assert_eq!(statuses, [0, 200]);
    assert!(journal.iter().any(|e| e.status == 0 && e.error.is_some()));

    let (status, bad) =
        post(&s, "/_admin/bitrix24/click-to-call", "application/json", r#"{"phone": "+79990001122"}"#).await;
    assert_eq!((status, bad["error"].as_str()), (400, Some("INVALID_REQUEST")));
    let (status, _) = post(&s, "/_admin/bitrix24/callback", "application/json", "[1,2]").await;
    assert_eq!(status, 400);
}
