//! The fake amoCRM through its HTTP routes: Bearer auth, the account, users,
//! HAL paging, problem+json errors, OAuth 2.0 and the 7-per-second limit.

use std::sync::Arc;

use callfull_crm::admin::AdjustableClock;
use callfull_crm::amocrm::AccountOptions;
use callfull_crm::{ManualClock, Shared, bitrix24::Portal, routes};
use callfull_world::World;
use serde_json::{Value, json};

const T0: i64 = 1_794_899_703_000_000;

fn shared(options: AccountOptions) -> Shared {
    let clock = Arc::new(AdjustableClock::new(ManualClock::at(T0)));
    Shared::new(Portal::new(World::from_seed(7)), clock, "http://127.0.0.1:8080").with_amocrm_options(options)
}

fn unlimited() -> Shared {
    shared(AccountOptions { rate_limit: None, ..AccountOptions::default() })
}

/// (status, content type, body or Null for an empty one).
async fn call(s: &Shared, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> (u16, String, Value) {
    let mut request = warp::test::request().method(method).path(path).body(body);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.reply(&routes(s.clone())).await;
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let body = if response.body().is_empty() { Value::Null } else { serde_json::from_slice(response.body()).unwrap() };
    (response.status().as_u16(), content_type, body)
}

#[tokio::test]
async fn the_account_answers_with_hal_and_the_token_in_admin_info() {
    let s = unlimited();
    let (_, _, info) = call(&s, "GET", "/_admin/info", None, b"").await;
    let token = info["amocrm"]["access_token"].as_str().unwrap().to_owned();
    assert_eq!(info["amocrm"]["base_url"], "http://127.0.0.1:8080/api/v4");

    let (status, content_type, account) =
        call(&s, "GET", "/api/v4/account?with=datetime_settings,users_groups", Some(&token), b"").await;
    assert_eq!((status, content_type.as_str()), (200, "application/hal+json"));
    assert_eq!(account["subdomain"], json!(World::from_seed(7).amo.subdomain));
    assert_eq!(account["_links"]["self"]["href"], "http://127.0.0.1:8080/api/v4/account");
    assert_eq!(account["_embedded"]["datetime_settings"]["timezone_offset"], "+03:00");
    assert!(account["_embedded"]["users_groups"].is_array());
}

#[tokio::test]
async fn users_page_with_links_totals_and_204_past_the_end() {
    let s = unlimited();
    let token = s.amocrm.long_lived_token().to_owned();
    let world = World::from_seed(7);
    let (status, _, page) = call(&s, "GET", "/api/v4/users?limit=8&with=phone_number", Some(&token), b"").await;
    assert_eq!(status, 200);
    assert_eq!(
        (page["_total_items"].as_u64(), page["_page_count"].as_u64(), page["_page"].as_u64()),
        (Some(20), Some(3), Some(1))
    );
    let users = page["_embedded"]["users"].as_array().unwrap();
    assert_eq!(users.len(), 8);
    assert_eq!(users[0]["phone_number"], json!(world.employees[0].extension));
    assert_eq!(page["_links"]["next"]["href"], "http://127.0.0.1:8080/api/v4/users?with=phone_number&page=2&limit=8");
    let (_, _, last) = call(&s, "GET", "/api/v4/users?limit=8&page=3", Some(&token), b"").await;
    assert_eq!(last["_embedded"]["users"].as_array().unwrap().len(), 4);
    assert!(last["_links"].get("next").is_none() && last["_links"]["prev"].is_object());
    let (status, _, past) = call(&s, "GET", "/api/v4/users?limit=8&page=4", Some(&token), b"").await;
    assert_eq!((status, past), (204, Value::Null), "past the end: 204, no body");

    let id = world.employees[3].amo_id;
    let (status, _, one) = call(&s, "GET", &format!("/api/v4/users/{id}"), Some(&token), b"").await;
    assert_eq!((status, one["id"].as_u64()), (200, Some(id)));
    assert_eq!(one["_links"]["self"]["href"], format!("http://127.0.0.1:8080/api/v4/users/{id}"));
    let (status, _, _) = call(&s, "GET", "/api/v4/users/1", Some(&token), b"").await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn errors_are_problem_json_with_the_vendor_titles() {
    let s = unlimited();
    let token = s.amocrm.long_lived_token().to_owned();
    let (status, content_type, body) = call(&s, "GET", "/api/v4/account", None, b"").await;
    assert_eq!((status, content_type.as_str()), (401, "application/problem+json"));
    assert_eq!(
        body,
        json!({"title": "Unauthorized", "type": "https://httpstatus.es/401", "status": 401, "detail": "Invalid user name or password"})
    );
    let (status, _, _) = call(&s, "GET", "/api/v4/account", Some("nope"), b"").await;
    assert_eq!(status, 401);
    let (status, _, body) = call(&s, "GET", "/api/v4/nothing/here", Some(&token), b"").await;
    assert_eq!((status, body["detail"].as_str()), (404, Some("Cannot GET http://127.0.0.1:8080/api/v4/nothing/here")));
    let (status, _, body) = call(&s, "DELETE", "/api/v4/account", Some(&token), b"").await;
    assert_eq!((status, body["detail"].as_str()), (405, Some("Method Not Allowed")));
    let (status, _, body) = call(&s, "GET", "/api/v4/users?limit=1000", Some(&token), b"").await;
    assert_eq!((status, body["detail"].as_str()), (422, Some("Limit 250 per page")));
    let (status, _, body) = call(&s, "GET", "/api/v4/users?limit=abc", Some(&token), b"").await;
    assert_eq!((status, body["validation-errors"][0]["errors"][0]["path"].as_str()), (400, Some("limit")));

    let paid = shared(AccountOptions { payment_required: true, rate_limit: None, ..AccountOptions::default() });
    let token = paid.amocrm.long_lived_token().to_owned();
    let (status, _, body) = call(&paid, "GET", "/api/v4/account", Some(&token), b"").await;
    assert_eq!((status, body["detail"].as_str()), (402, Some("Payment required")));
}

#[tokio::test]
async fn seven_requests_a_second_then_429_until_the_next_second() {
    let s = shared(AccountOptions::default());
    let token = s.amocrm.long_lived_token().to_owned();
    for _ in 0..7 {
        assert_eq!(call(&s, "GET", "/api/v4/account", Some(&token), b"").await.0, 200);
    }
    let (status, _, body) = call(&s, "GET", "/api/v4/account", Some(&token), b"").await;
    assert_eq!(
        (status, body["title"].as_str(), body["retry_after"].as_i64()),
        (429, Some("Too Many Requests"), Some(1))
    );
    s.clock.advance(1_000_000);
    assert_eq!(call(&s, "GET", "/api/v4/account", Some(&token), b"").await.0, 200);
}

#[tokio::test]
async fn oauth_codes_become_tokens_that_expire_and_refresh_tokens_rotate() {
    let s = unlimited();
    let (_, _, info) = call(&s, "GET", "/_admin/info", None, b"").await;
    let oauth = info["amocrm"]["oauth"].clone();
    let (_, _, code) = call(&s, "POST", "/_admin/amocrm/oauth/code", None, b"").await;
    let grant = |extra: Value| {
        let mut body = json!({"client_id": oauth["client_id"], "client_secret": oauth["client_secret"], "redirect_uri": oauth["redirect_uri"]});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body.to_string()
    };
    let (status, _, tokens) = call(
        &s,
        "POST",
        "/oauth2/access_token",
        None,
        grant(json!({"grant_type": "authorization_code", "code": code["code"]})).as_bytes(),
    )
    .await;
    assert_eq!(
        (status, tokens["token_type"].as_str(), tokens["expires_in"].as_i64()),
        (200, Some("Bearer"), Some(86_400))
    );
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(call(&s, "GET", "/api/v4/account", Some(&access), b"").await.0, 200);

    // The code worked once.
    let (status, _, again) = call(
        &s,
        "POST",
        "/oauth2/access_token",
        None,
        grant(json!({"grant_type": "authorization_code", "code": code["code"]})).as_bytes(),
    )
    .await;
    assert_eq!((status, again["hint"].as_str()), (400, Some("Authorization code has expired")));
    assert_eq!(again["type"], "https://developers.amocrm.ru/v3/errors/OAuthProblemJson");

    // A day later the access token is refused; the refresh token gives a new pair, once.
    s.clock.advance(86_400 * 1_000_000);
    assert_eq!(call(&s, "GET", "/api/v4/account", Some(&access), b"").await.0, 401);
    let refresh = grant(json!({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}));
    let (status, _, renewed) = call(&s, "POST", "/oauth2/access_token", None, refresh.as_bytes()).await;
    assert_eq!(status, 200);
    assert_ne!(renewed["refresh_token"], tokens["refresh_token"]);
    assert_eq!(call(&s, "GET", "/api/v4/account", Some(renewed["access_token"].as_str().unwrap()), b"").await.0, 200);
    let (status, _, reused) = call(&s, "POST", "/oauth2/access_token", None, refresh.as_bytes()).await;
    assert_eq!((status, reused["hint"].as_str()), (400, Some("Invalid refresh token")));
    let (status, _, bad) = call(&s, "POST", "/oauth2/access_token", None, b"{\"client_id\": \"x\"}").await;
    assert_eq!((status, bad["hint"].as_str()), (400, Some("Check the `client_id` parameter")));
}

#[tokio::test]
async fn adding_a_contact_records_a_contact_added_event() {
    let s = unlimited();
    let token = s.amocrm.long_lived_token().to_owned();
    let body = json!([{"name": "Иван Петров", "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+79990001122", "enum_code": "WORK"}]}]}]);
    let (status, _, added) = call(&s, "POST", "/api/v4/contacts", Some(&token), body.to_string().as_bytes()).await;
    assert_eq!(status, 200, "{added}");
    let id = added["_embedded"]["contacts"][0]["id"].as_u64().unwrap();
    let (status, _, events) = call(&s, "GET", "/api/v4/events?filter[type]=contact_added", Some(&token), b"").await;
    assert_eq!(status, 200, "{events}");
    let event = &events["_embedded"]["events"][0];
    assert_eq!(
        (event["type"].as_str(), event["entity_type"].as_str(), event["entity_id"].as_u64()),
        (Some("contact_added"), Some("contact"), Some(id))
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_as_problem_json() {
    let s = unlimited();
    let token = s.amocrm.long_lived_token().to_owned();
    let big = vec![b' '; (callfull_crm::MAX_BODY + 1) as usize];
    let (status, content_type, body) = call(&s, "POST", "/api/v4/contacts", Some(&token), &big).await;
    assert_eq!((status, content_type.as_str()), (413, "application/problem+json"));
    assert_eq!(body["title"], "Request Entity Too Large");
}

#[tokio::test]
async fn with_a_state_file_the_account_keeps_what_clients_wrote_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json.amocrm");
    let options = || AccountOptions { rate_limit: None, state_file: Some(file.clone()), ..AccountOptions::default() };
    let first = shared(options());
    let token = first.amocrm.long_lived_token().to_owned();
    let body = json!([{"name": "Сохранённый контакт", "custom_fields_values": [
        {"field_code": "PHONE", "values": [{"value": "+7 999 000-11-22", "enum_code": "WORK"}]}]}]);
    let (status, _, added) = call(&first, "POST", "/api/v4/contacts", Some(&token), body.to_string().as_bytes()).await;
    assert_eq!(status, 200);
    let id = added["_embedded"]["contacts"][0]["id"].as_u64().unwrap();
    assert!(file.exists(), "saved before the answer");
    let a_call = json!([{"direction": "inbound", "duration": 7, "source": "t", "phone": "89990001122",
        "call_status": 4, "call_result": "ok", "link": null}]);
    let (status, _, _) = call(&first, "POST", "/api/v4/calls", Some(&token), a_call.to_string().as_bytes()).await;
    assert_eq!(status, 200);
    let notes_path = format!("/api/v4/contacts/{id}/notes");
    let (_, _, notes_before) = call(&first, "GET", &notes_path, Some(&token), b"").await;
    let (_, _, events_before) = call(&first, "GET", "/api/v4/events", Some(&token), b"").await;
    drop(first);

    let second = shared(options());
    let (status, _, contact) = call(&second, "GET", &format!("/api/v4/contacts/{id}"), Some(&token), b"").await;
    assert_eq!((status, contact["name"].as_str()), (200, Some("Сохранённый контакт")));
    let (_, _, notes_after) = call(&second, "GET", &notes_path, Some(&token), b"").await;
    let (_, _, events_after) = call(&second, "GET", "/api/v4/events", Some(&token), b"").await;
    assert_eq!(notes_after["_embedded"]["notes"][0]["params"]["call_result"], "ok");
    assert_eq!((notes_after, events_after), (notes_before, events_before), "calls' notes and events kept too");

    std::fs::write(&file, b"not json").unwrap();
    let clock = Arc::new(AdjustableClock::new(ManualClock::at(T0)));
    let broken = Shared::new(Portal::new(World::from_seed(7)), clock, "http://127.0.0.1:8080")
        .try_with_amocrm_options(options());
    assert!(broken.err().unwrap().to_string().contains("not a callfull state file"));
}
