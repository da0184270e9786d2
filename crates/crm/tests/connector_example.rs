//! A worked example (docs/contract-testing.md): the test suite of a
//! connector written in Rust, using the fake Bitrix24 two ways.
//!
//! `MyConnector` stands for your code: it logs a missed call (register, then
//! finish with the PBX's status) and retries once on the portal's 503
//! `QUERY_LIMIT_EXCEEDED`. The tests check what the portal received, from
//! the fake's journal and state, not from the connector's own word.

use std::sync::Arc;

use callfull_crm::admin::AdjustableClock;
use callfull_crm::bitrix24::PortalOptions;
use callfull_crm::mock::MountedPortal;
use callfull_crm::{ManualClock, ServerOptions};
use callfull_world::World;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

// ----------------------------------------------------- the code under test --

/// Your connector (here: the smallest one that does something real).
struct MyConnector {
    webhook: String,
}

impl MyConnector {
    /// Logs a missed incoming call from `phone` to `user_id`; the CALL_ID.
    async fn log_missed_call(&self, user_id: u32, phone: &str) -> Result<String, String> {
        let registered = self
            .call(
                "telephony.externalcall.register",
                json!({"USER_ID": user_id, "PHONE_NUMBER": phone, "TYPE": 2, "CRM_CREATE": 1}),
            )
            .await?;
        let call_id = registered["result"]["CALL_ID"].as_str().ok_or("no CALL_ID")?.to_owned();
        let finish = json!({"CALL_ID": call_id, "USER_ID": user_id, "DURATION": 0, "STATUS_CODE": "304"});
        self.call("telephony.externalcall.finish", finish).await?;
        Ok(call_id)
    }

    /// One REST call, retried once after a 503.
    async fn call(&self, name: &str, params: Value) -> Result<Value, String> {
        for _ in 0..2 {
            let (status, answer) = post_json(&format!("{}{name}", self.webhook), &params).await;
            match status {
                200 => return Ok(answer),
                503 => continue,
                _ => return Err(format!("{name}: {status} {answer}")),
            }
        }
        Err(format!("{name}: still rate limited"))
    }
}

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
    (head.split_whitespace().nth(1).unwrap().parse().unwrap(), serde_json::from_str(body).unwrap_or(Value::Null))
}

// ------------------------------------------------------- the connector's tests --

/// The world the fake is seeded with: the test knows its users and clients.
fn world() -> World {
    World::from_seed(7)
}

#[tokio::test]
async fn standalone_a_missed_call_is_registered_and_finished_as_missed() {
    // Arrange: the fake on an ephemeral port, its clock frozen.
    let world = world();
    let clock = Arc::new(AdjustableClock::new(ManualClock::at(1_794_895_200_000_000)));
    let options = PortalOptions { rate_limit: None, ..PortalOptions::default() };
    let server = callfull_crm::spawn_with(
        world.clone(),
        "127.0.0.1:0".parse().unwrap(),
        clock,
        options,
        ServerOptions::default(),
    )
    .await
    .unwrap();
    let connector = MyConnector { webhook: server.bitrix24_webhook_url() };
    let (user, client) = (&world.employees[1], &world.contacts[0]);

    // Act
    let call_id = connector.log_missed_call(user.b24_id, &client.phones[0]).await.unwrap();

    // Assert: the portal's side of it.
    let methods: Vec<String> = server.journal().query(None, None, None).into_iter().map(|e| e.method).collect();
    assert_eq!(methods, ["telephony.externalcall.register", "telephony.externalcall.finish"]);
    let finished = server.bitrix24().dump()["telephony"]["finished_calls"].clone();
    let row = finished.as_array().unwrap().iter().find(|r| r["CALL_ID"] == call_id.as_str()).unwrap();
    assert_eq!((row["CALL_FAILED_CODE"].as_str(), row["CALL_DURATION"].as_u64()), (Some("304"), Some(0)));
    assert_eq!(row["CRM_ENTITY_ID"].as_u64(), Some(u64::from(client.b24_id)), "on the caller's card");
}

#[tokio::test]
async fn on_a_mock_server_the_tests_own_mock_injects_a_rate_limit_and_the_connector_retries() {
    // Arrange: the test's own mock answers the first finish with the
    // portal's 503; the mounted fake answers everything else.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"telephony\.externalcall\.finish$"))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_json(json!({"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let world = world();
    let portal =
        MountedPortal::mount(&server, world.clone(), PortalOptions { rate_limit: None, ..PortalOptions::default() })
            .await;
    let connector = MyConnector { webhook: portal.bitrix24_webhook_url() };

    // Act
    let call_id = connector.log_missed_call(world.employees[1].b24_id, &world.contacts[0].phones[0]).await.unwrap();

    // Assert: one 503 seen by the connector, one finish reached the portal.
    let finishes = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path().ends_with("telephony.externalcall.finish"))
        .count();
    assert_eq!(finishes, 2, "the 503 and the retry");
    let journal = portal.shared().journal.query(Some("telephony.externalcall.finish"), None, None);
    assert_eq!(journal.len(), 1, "only the retry got to the portal");
    assert_eq!(journal[0].params["CALL_ID"], call_id.as_str());
}
