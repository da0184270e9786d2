//! The fake Bitrix24 mounted on a `wiremock::MockServer`: a connector's test
//! suite keeps its own mocks (they win) and gets the stateful portal for
//! every other request.

use callfull_crm::bitrix24::PortalOptions;
use callfull_crm::mock::MountedPortal;
use callfull_world::World;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A one-shot HTTP/1.1 POST of a JSON body; (status, body).
async fn post_json(url: &str, body: &Value) -> (u16, Value) {
    let rest = url.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let body = body.to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8(answer).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_portal_answers_behind_the_tests_own_mocks() {
    let server = MockServer::start().await;
    // The test's own mock: user.get answers a canned empty list.
    Mock::given(method("POST"))
        .and(path_regex(r"/user\.get$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": [], "canned": true})))
        .mount(&server)
        .await;
    let world = World::from_seed(7);
    let options = PortalOptions { rate_limit: None, ..PortalOptions::default() };
    let portal = MountedPortal::mount(&server, world.clone(), options).await;
    let hook = portal.bitrix24_webhook_url();
    assert!(hook.starts_with(&server.uri()), "{hook}");

    let (_, canned) = post_json(&format!("{hook}user.get"), &json!({})).await;
    assert_eq!(canned["canned"], true, "the test's mock wins");

    let user = &world.employees[1];
    let (status, registered) = post_json(
        &format!("{hook}telephony.externalcall.register"),
        &json!({"USER_ID": user.b24_id, "PHONE_NUMBER": world.contacts[0].phones[0], "TYPE": 2}),
    )
    .await;
    assert_eq!(status, 200, "{registered}");
    assert_eq!(registered["result"]["CRM_ENTITY_TYPE"], "CONTACT");
    let call_id = registered["result"]["CALL_ID"].clone();
    let finish = json!({"CALL_ID": call_id, "USER_ID": user.b24_id, "DURATION": 12});
    let (status, _) = post_json(&format!("{hook}telephony.externalcall.finish"), &finish).await;
    assert_eq!(status, 200);
    let (status, again) = post_json(&format!("{hook}telephony.externalcall.finish"), &finish).await;
    assert_eq!((status, again["error"].as_str()), (400, Some("")));

    let (status, missing) = post_json(&format!("{hook}no.such.method"), &json!({})).await;
    assert_eq!((status, missing["error"].as_str()), (404, Some("ERROR_METHOD_NOT_FOUND")));
    let journal = portal.shared().journal.query(Some("telephony.externalcall.finish"), None, None);
    assert_eq!(journal.iter().map(|e| e.status).collect::<Vec<_>>(), [200, 400]);
    // wiremock saw every request, the portal's as well as its own mock's.
    assert_eq!(server.received_requests().await.unwrap().len(), 5);
}
