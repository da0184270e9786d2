//! The fake Bitrix24 through its HTTP routes (warp's test client, no socket),
//! and once over a real socket.

use std::sync::Arc;

use callfull_crm::admin::AdjustableClock;
use callfull_crm::{ManualClock, Shared, bitrix24::Portal, routes};
use callfull_world::World;
use serde_json::{Value, json};

fn shared() -> Shared {
    let clock = Arc::new(AdjustableClock::new(ManualClock::at(1_794_899_703_000_000)));
    Shared::new(Portal::new(World::from_seed(7)), clock, "http://127.0.0.1:8080")
}

async fn call(shared: &Shared, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> (u16, Value) {
    let mut request = warp::test::request().method(method).path(path).body(body);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    let response = request.reply(&routes(shared.clone())).await;
    let status = response.status().as_u16();
    assert_eq!(response.headers()["content-type"], "application/json; charset=utf-8");
    (status, serde_json::from_slice(response.body()).unwrap_or_else(|e| panic!("{path}: not JSON ({e})")))
}

fn hook(shared: &Shared, method: &str) -> String {
    format!("{}{method}", shared.bitrix24.webhook_path())
}

#[tokio::test]
async fn user_get_lists_every_employee_with_the_success_envelope() {
    let s = shared();
    let (status, body) = call(&s, "POST", &hook(&s, "user.get.json"), Some("application/json"), b"{}").await;
    assert_eq!(status, 200);
    let users = body["result"].as_array().unwrap();
    assert_eq!(users.len(), 20);
    assert_eq!(body["total"], 20);
    assert!(body.get("next").is_none());
    assert!(users.iter().all(|u| u["ID"].is_string() && u["ACTIVE"] == true));
    assert_eq!(body["time"]["start"], json!(1_794_899_703.0));
    assert!(body["time"]["date_start"].as_str().unwrap().ends_with("+03:00"));
}

#[tokio::test]
async fn method_names_ignore_case_suffix_and_trailing_slash() {
    let s = shared();
    for path in ["USER.Get", "user.get.json", "user.get/"] {
        let (status, body) = call(&s, "GET", &hook(&s, path), None, b"").await;
        assert_eq!((status, body["total"].as_u64()), (200, Some(20)), "{path}");
    }
}

#[tokio::test]
async fn user_get_filters_by_extension_from_a_query_string() {
    let s = shared();
    let (status, body) =
        call(&s, "GET", &format!("{}?FILTER[UF_PHONE_INNER]=105", hook(&s, "user.get")), None, b"").await;
    assert_eq!(status, 200);
    assert_eq!(body["result"].as_array().unwrap().len(), 1);
    assert_eq!(body["result"][0]["UF_PHONE_INNER"], "105");
    let (_, none) = call(&s, "GET", &format!("{}?filter[UF_PHONE_INNER]=999", hook(&s, "user.get")), None, b"").await;
    assert_eq!(none["result"], json!([]));
    assert!(none.get("total").is_none(), "user.get quirk: no total when nothing matches");
}

#[tokio::test]
async fn crm_lists_page_by_fifty_with_total_and_next() {
    let s = shared();
    let (_, first) =
        call(&s, "POST", &hook(&s, "crm.contact.list"), Some("application/json"), br#"{"order":{"ID":"ASC"}}"#).await;
    assert_eq!(
        (first["result"].as_array().unwrap().len(), first["total"].as_u64(), first["next"].as_u64()),
        (50, Some(60), Some(50))
    );
    assert!(first["result"][0].get("PHONE").is_none(), "multi-fields only when selected");
    let form = b"start=50&select[]=ID&select[]=PHONE&order[ID]=ASC";
    let (_, second) =
        call(&s, "POST", &hook(&s, "crm.contact.list"), Some("application/x-www-form-urlencoded"), form).await;
    assert_eq!((second["result"].as_array().unwrap().len(), second.get("next")), (10, None));
    let row = second["result"][0].as_object().unwrap();
    assert_eq!(row.keys().collect::<Vec<_>>(), ["ID", "PHONE"]);
}

#[tokio::test]
async fn crm_get_answers_the_legacy_errors() {
    let s = shared();
    let (status, body) = call(&s, "GET", &format!("{}?id=999999", hook(&s, "crm.contact.get")), None, b"").await;
    assert_eq!((status, body), (400, json!({"error": "", "error_description": "Not found"})));
    let (status, body) = call(&s, "GET", &hook(&s, "crm.lead.get"), None, b"").await;
    assert_eq!((status, body["error_description"].as_str()), (400, Some("ID is not defined or invalid.")));
    let world = World::from_seed(7);
    let id = world.contacts[0].b24_id;
    let (status, body) = call(&s, "GET", &format!("{}?ID={id}", hook(&s, "crm.contact.get")), None, b"").await;
    assert_eq!((status, body["result"]["ID"].as_str()), (200, Some(id.to_string().as_str())));
}

#[tokio::test]
async fn duplicates_are_found_by_phone_whatever_its_format() {
    let s = shared();
    let world = World::from_seed(7);
    let contact = &world.contacts[3];
    let digits: String = contact.phones[0].chars().filter(char::is_ascii_digit).collect();
    let asked = format!("+7{}", &digits[digits.len() - 10..]);
    let body = json!({"type": "phone", "values": [asked]}).to_string();
    let (status, found) =
        call(&s, "POST", &hook(&s, "crm.duplicate.findbycomm"), Some("application/json"), body.as_bytes()).await;
    assert_eq!(status, 200);
    assert!(found["result"]["CONTACT"].as_array().unwrap().contains(&json!(contact.b24_id)), "{found}");
    let body = json!({"type": "PHONE", "values": ["+70000000000"]}).to_string();
    let (_, nothing) =
        call(&s, "POST", &hook(&s, "crm.duplicate.findbycomm"), Some("application/json"), body.as_bytes()).await;
    assert_eq!(nothing["result"], json!([]), "PHP's empty array");
    let (status, e) = call(&s, "POST", &hook(&s, "crm.duplicate.findbycomm"), Some("application/json"), b"{}").await;
    assert_eq!((status, e["error"].as_str()), (400, Some("")));
}

#[tokio::test]
async fn authentication_errors_have_the_vendor_codes() {
    let s = shared();
    let (status, body) = call(&s, "GET", "/rest/1/wrongcode/user.get", None, b"").await;
    assert_eq!((status, body["error"].as_str()), (401, Some("INVALID_CREDENTIALS")));
    let (status, body) = call(&s, "GET", "/rest/user.get", None, b"").await;
    assert_eq!((status, body["error"].as_str()), (401, Some("NO_AUTH_FOUND")));
    let (status, body) = call(&s, "GET", "/rest/user.get?auth=nope", None, b"").await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_token")));
    let (status, body) = call(&s, "GET", "/rest/user.get?auth=", None, b"").await;
    assert_eq!((status, body["error"].as_str()), (401, Some("NO_AUTH_FOUND")), "an empty token is no token");
    let empty_bearer = warp::test::request().path("/rest/user.get").header("authorization", "Bearer ");
    let response = empty_bearer.reply(&routes(s.clone())).await;
    assert_eq!(serde_json::from_slice::<Value>(response.body()).unwrap()["error"], "NO_AUTH_FOUND");
    let token = s.bitrix24.access_token().to_owned();
    let (status, _) = call(&s, "GET", &format!("/rest/user.current?auth={token}"), None, b"").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bad_requests_get_the_vendor_error_shape_never_a_500() {
    let s = shared();
    let (status, body) = call(&s, "POST", &hook(&s, "crm.contact.nope"), None, b"").await;
    assert_eq!((status, body["error"].as_str()), (404, Some("ERROR_METHOD_NOT_FOUND")));
    let (status, body) = call(&s, "POST", &hook(&s, "user.get"), Some("application/json"), b"{\"filter\": ").await;
    assert_eq!((status, body["error"].as_str()), (400, Some("INVALID_REQUEST")));
    let deep = format!("filter{}=1", "[x]".repeat(10_000));
    let (status, body) =
        call(&s, "POST", &hook(&s, "user.get"), Some("application/x-www-form-urlencoded"), deep.as_bytes()).await;
    assert_eq!((status, body["total"].as_u64()), (200, Some(20)), "PHP drops a variable nested too deep");
    let (status, body) =
        call(&s, "POST", &hook(&s, "crm.contact.list"), Some("application/json"), br#"{"filter":"x"}"#).await;
    assert_eq!((status, body["error_description"].as_str()), (400, Some("Parameter 'filter' must be array.")));
    let big = vec![b'a'; 50 << 20];
    let (status, body) = call(&s, "POST", &hook(&s, "user.get"), Some("application/x-www-form-urlencoded"), &big).await;
    assert_eq!((status, body["error"].as_str()), (413, Some("INVALID_REQUEST")));
    let (status, body) = call(&s, "GET", "/nothing/here", None, b"").await;
    assert_eq!((status, body["error"].as_str()), (404, Some("ERROR_METHOD_NOT_FOUND")));
}

#[tokio::test]
async fn admin_info_names_the_urls_and_credentials() {
    let s = shared();
    let (status, body) = call(&s, "GET", "/_admin/info", None, b"").await;
    assert_eq!(status, 200);
    assert_eq!(body["bitrix24"]["webhook_url"], format!("http://127.0.0.1:8080{}", s.bitrix24.webhook_path()));
    assert_eq!(body["bitrix24"]["access_token"], s.bitrix24.access_token());
}

#[tokio::test]
async fn spawn_serves_on_an_ephemeral_port_until_dropped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = callfull_crm::spawn(
        World::from_seed(7),
        "127.0.0.1:0".parse().unwrap(),
        Arc::new(AdjustableClock::new(ManualClock::at(0))),
        Default::default(),
    )
    .await
    .unwrap();
    let addr = server.addr();
    let path = format!("{}user.current.json", server.bitrix24().webhook_path());
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"result\":{"), "{response}");
    drop(server);
}

#[tokio::test]
async fn batch_runs_commands_in_order_with_references_and_keeps_sub_errors_inside() {
    let s = shared();
    let world = World::from_seed(7);
    let ext = &world.employees[3].extension;
    let body = json!({"halt": 0, "cmd": {
        "me": format!("user.get?FILTER[UF_PHONE_INNER]={ext}"),
        "same": "user.get?ID=$result[me][0][ID]",
        "bad": "crm.contact.get?id=999999",
        "deep": "batch?cmd[x]=user.current",
    }});
    let (status, body) =
        call(&s, "POST", &hook(&s, "batch"), Some("application/json"), body.to_string().as_bytes()).await;
    assert_eq!(status, 200);
    let r = &body["result"];
    assert_eq!(r["result"]["same"][0]["UF_PHONE_INNER"], json!(ext));
    assert_eq!(r["result_total"]["me"], 1);
    assert_eq!(r["result_error"]["bad"], json!({"error": "", "error_description": "Not found"}));
    assert_eq!(r["result_error"]["deep"]["error"], "ERROR_BATCH_METHOD_NOT_ALLOWED");
    assert_eq!(r["result_next"], json!([]), "an empty map prints as PHP's []");

    let halted = json!({"halt": 1, "cmd": ["crm.lead.get?id=0", "user.current"]});
    let (_, body) = call(&s, "POST", &hook(&s, "batch"), Some("application/json"), halted.to_string().as_bytes()).await;
    assert_eq!(
        (body["result"]["result"].clone(), body["result"]["result_error"].as_object().map(|e| e.len())),
        (json!([]), Some(1))
    );

    let many: Vec<String> = (0..51).map(|_| "user.current".to_owned()).collect();
    let (status, body) =
        call(&s, "POST", &hook(&s, "batch"), Some("application/json"), json!({"cmd": many}).to_string().as_bytes())
            .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("ERROR_BATCH_LENGTH_EXCEEDED")));
}

#[tokio::test]
async fn the_leaky_bucket_refuses_the_fifty_first_request_in_a_burst_and_drains_at_two_per_second() {
    let s = shared();
    let clock = s.clock.clone();
    for _ in 0..50 {
        assert_eq!(call(&s, "GET", &hook(&s, "user.current"), None, b"").await.0, 200);
    }
    let (status, body) = call(&s, "GET", &hook(&s, "user.current"), None, b"").await;
    assert_eq!(
        (status, body),
        (503, json!({"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}))
    );
    clock.advance(1_000_000);
    assert_eq!(call(&s, "GET", &hook(&s, "user.current"), None, b"").await.0, 200);
    assert_eq!(call(&s, "GET", &hook(&s, "user.current"), None, b"").await.0, 200);
    assert_eq!(call(&s, "GET", &hook(&s, "user.current"), None, b"").await.0, 503, "two drained in a second");
}

#[tokio::test]
async fn crm_add_and_update_change_what_lookups_return() {
    let s = shared();
    let form = "fields[NAME]=%D0%98%D0%B2%D0%B0%D0%BD&fields[LAST_NAME]=Test&fields[PHONE][0][VALUE]=%2B79990004455&fields[PHONE][0][VALUE_TYPE]=MOBILE";
    let (status, body) =
        call(&s, "POST", &hook(&s, "crm.contact.add"), Some("application/x-www-form-urlencoded"), form.as_bytes())
            .await;
    assert_eq!(status, 200);
    let id = body["result"].as_u64().expect("add answers the new ID as an int");

    let (_, got) = call(&s, "GET", &format!("{}?id={id}", hook(&s, "crm.contact.get")), None, b"").await;
    let contact = &got["result"];
    assert_eq!((contact["NAME"].as_str(), contact["HAS_PHONE"].as_str()), (Some("Иван"), Some("Y")));
    let phone = &contact["PHONE"][0];
    assert_eq!(
        (phone["VALUE"].as_str(), phone["VALUE_TYPE"].as_str(), phone["TYPE_ID"].as_str()),
        (Some("+79990004455"), Some("MOBILE"), Some("PHONE"))
    );
    assert!(phone["ID"].is_string());

    let find = json!({"type": "PHONE", "values": ["8 999 000-44-55"]}).to_string();
    let (_, dup) =
        call(&s, "POST", &hook(&s, "crm.duplicate.findbycomm"), Some("application/json"), find.as_bytes()).await;
    assert_eq!(dup["result"]["CONTACT"], json!([id]));

    let update =
        json!({"id": id, "fields": {"ASSIGNED_BY_ID": 5, "PHONE": [{"ID": phone["ID"], "VALUE": ""}]}}).to_string();
    let (status, body) =
        call(&s, "POST", &hook(&s, "crm.contact.update"), Some("application/json"), update.as_bytes()).await;
    assert_eq!((status, body["result"].clone()), (200, json!(true)));
    let (_, got) = call(&s, "GET", &format!("{}?id={id}", hook(&s, "crm.contact.get")), None, b"").await;
    assert_eq!((got["result"]["ASSIGNED_BY_ID"].as_str(), got["result"]["HAS_PHONE"].as_str()), (Some("5"), Some("N")));
    assert!(got["result"].get("PHONE").is_none(), "an emptied multi-field is absent");

    let (status, body) =
        call(&s, "POST", &hook(&s, "crm.lead.update"), Some("application/json"), br#"{"id": 999999, "fields": {}}"#)
            .await;
    assert_eq!((status, body["error_description"].as_str()), (400, Some("Not found")));
    let (status, body) =
        call(&s, "POST", &hook(&s, "crm.deal.add"), Some("application/json"), br#"{"fields": "x"}"#).await;
    assert_eq!((status, body["error_description"].as_str()), (400, Some("Parameter 'fields' must be array.")));
    let (_, deal) = call(
        &s,
        "POST",
        &hook(&s, "crm.deal.add"),
        Some("application/json"),
        r#"{"fields": {"TITLE": "Поставка", "CONTACT_ID": 5}}"#.as_bytes(),
    )
    .await;
    let (_, deals) = call(&s, "GET", &hook(&s, "crm.deal.list"), None, b"").await;
    assert_eq!(
        (deals["total"].as_u64(), deals["result"][0]["ID"].as_str()),
        (Some(1), Some(deal["result"].to_string().as_str()))
    );
    assert_eq!(deals["result"][0]["STAGE_ID"], "NEW");
}

#[tokio::test]
async fn the_admin_journal_records_each_call_and_faults_hit_the_next_ones() {
    let s = shared();
    call(&s, "GET", &hook(&s, "user.current"), None, b"").await;
    call(&s, "GET", &hook(&s, "crm.contact.get"), None, b"").await;
    let (_, journal) = call(&s, "GET", "/_admin/journal", None, b"").await;
    let entries = journal["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(
        (entries[0]["method"].as_str(), entries[0]["status"].as_u64(), entries[0]["auth"].as_str()),
        (Some("user.current"), Some(200), Some("webhook"))
    );
    assert_eq!((entries[1]["status"].as_u64(), entries[1]["error"].as_str()), (Some(400), Some("")));
    let (_, only) = call(&s, "GET", "/_admin/journal?status=400", None, b"").await;
    assert_eq!(only["entries"].as_array().unwrap().len(), 1);

    let fault =
        json!({"method": "user.current", "times": 2, "status": 500, "error": "INTERNAL_SERVER_ERROR"}).to_string();
    let (status, _) = call(&s, "POST", "/_admin/faults", Some("application/json"), fault.as_bytes()).await;
    assert_eq!(status, 200);
    for _ in 0..2 {
        let (status, body) = call(&s, "GET", &hook(&s, "user.current"), None, b"").await;
        assert_eq!((status, body["error"].as_str()), (500, Some("INTERNAL_SERVER_ERROR")));
    }
    assert_eq!(call(&s, "GET", &hook(&s, "user.current"), None, b"").await.0, 200, "used up after two");
}

#[tokio::test]
async fn the_admin_clock_reset_and_state_drive_the_portal() {
    let s = shared();
    let (_, before) = call(&s, "GET", &hook(&s, "user.current"), None, b"").await;
    let (status, _) = call(&s, "POST", "/_admin/clock", Some("application/json"), br#"{"advance_secs": 3600}"#).await;
    assert_eq!(status, 200);
    let (_, after) = call(&s, "GET", &hook(&s, "user.current"), None, b"").await;
    assert_eq!(after["time"]["start"].as_f64().unwrap() - before["time"]["start"].as_f64().unwrap(), 3600.0);

    call(&s, "POST", &hook(&s, "crm.deal.add"), Some("application/json"), br#"{"fields": {"TITLE": "x"}}"#).await;
    let (_, state) = call(&s, "GET", "/_admin/state", None, b"").await;
    assert_eq!(state["bitrix24"]["deals"].as_array().unwrap().len(), 1);
    call(&s, "POST", "/_admin/reset", None, b"").await;
    let (_, state) = call(&s, "GET", "/_admin/state", None, b"").await;
    assert_eq!(state["bitrix24"]["deals"], json!([]));
    let (status, body) = call(&s, "POST", "/_admin/clock", Some("application/json"), br#"{"advance": 1}"#).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("INVALID_REQUEST")));
    // A step that would overflow the clock is refused, and the portal goes on.
    for huge in [i64::MAX, i64::MIN, 300_000_000_000] {
        let change = json!({ "advance_secs": huge }).to_string();
        let (status, body) = call(&s, "POST", "/_admin/clock", Some("application/json"), change.as_bytes()).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("INVALID_REQUEST")), "{huge}");
    }
    assert_eq!(call(&s, "GET", &hook(&s, "user.current"), None, b"").await.0, 200);
}

#[tokio::test]
async fn the_admin_api_answers_only_loopback_clients() {
    let s = shared();
    let response = warp::test::request()
        .path("/_admin/state")
        .remote_addr("192.0.2.7:5555".parse().unwrap())
        .reply(&routes(s.clone()))
        .await;
    assert_eq!(response.status(), 403);
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(body["error"], "ACCESS_DENIED");

    // With an admin token, a remote client that sends it is let in; a wrong one is not.
    let s = shared().with_admin_token("s3cret");
    let remote = |token: &str| {
        warp::test::request()
            .path("/_admin/state")
            .remote_addr("192.0.2.7:5555".parse().unwrap())
            .header(callfull_crm::ADMIN_TOKEN_HEADER, token)
    };
    assert_eq!(remote("s3cret").reply(&routes(s.clone())).await.status(), 200);
    assert_eq!(remote("guess").reply(&routes(s.clone())).await.status(), 403);
    let local = warp::test::request().path("/_admin/state").remote_addr("127.0.0.1:5555".parse().unwrap());
    assert_eq!(local.reply(&routes(s)).await.status(), 200, "loopback needs no token");
}

#[tokio::test]
async fn oauth_tokens_expire_after_an_hour_and_refresh_tokens_rotate() {
    let s = shared();
    let (_, code) = call(&s, "POST", "/_admin/oauth/code", None, b"").await;
    let oauth = s.bitrix24.oauth();
    let (id, secret) = (oauth.client_id.clone(), oauth.client_secret.clone());
    let grant = format!(
        "grant_type=authorization_code&client_id={id}&client_secret={secret}&code={}",
        code["code"].as_str().unwrap()
    );
    let (status, tokens) = call(&s, "GET", &format!("/oauth/token/?{grant}"), None, b"").await;
    assert_eq!((status, tokens["expires_in"].as_i64()), (200, Some(3600)));
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (again, _) = call(&s, "GET", &format!("/oauth/token/?{grant}"), None, b"").await;
    assert_eq!(again, 400, "a code works once");

    let me = |token: &str| format!("/rest/user.current.json?auth={token}");
    let (status, current) = call(&s, "GET", &me(&access), None, b"").await;
    assert_eq!(status, 200);
    assert_eq!(
        tokens["user_id"].to_string(),
        current["result"]["ID"].as_str().unwrap(),
        "the token's user_id is the user user.current answers for"
    );
    s.clock.advance(3_601 * 1_000_000);
    let (status, body) = call(&s, "GET", &me(&access), None, b"").await;
    assert_eq!((status, body["error"].as_str()), (401, Some("expired_token")));

    let renew = format!("grant_type=refresh_token&client_id={id}&client_secret={secret}&refresh_token={refresh}");
    let (status, fresh) =
        call(&s, "POST", "/oauth/token/", Some("application/x-www-form-urlencoded"), renew.as_bytes()).await;
    assert_eq!(status, 200);
    let new_access = fresh["access_token"].as_str().unwrap();
    assert_eq!(call(&s, "GET", &me(new_access), None, b"").await.0, 200);
    let (status, body) =
        call(&s, "POST", "/oauth/token/", Some("application/x-www-form-urlencoded"), renew.as_bytes()).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "a refresh token works once");
    let (status, body) =
        call(&s, "GET", "/oauth/token/?grant_type=refresh_token&client_id=x&client_secret=y", None, b"").await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn the_journal_keeps_large_requests_without_their_parameters() {
    let s = shared();
    let big = format!("filter[NAME]={}", "x".repeat(20_000));
    call(&s, "POST", &hook(&s, "user.get"), Some("application/x-www-form-urlencoded"), big.as_bytes()).await;
    let (_, journal) = call(&s, "GET", "/_admin/journal", None, b"").await;
    assert_eq!(journal["entries"][0]["params"], json!({"_truncated": true, "bytes": big.len()}));
}

#[tokio::test]
async fn attach_record_mode_three_hands_out_an_upload_url_that_takes_one_multipart_file() {
    let s = shared();
    let world = World::from_seed(7);
    let register = json!({"USER_PHONE_INNER": world.employees[1].extension, "PHONE_NUMBER": "+79990001122", "TYPE": 2});
    let (_, registered) = call(
        &s,
        "POST",
        &hook(&s, "telephony.externalcall.register"),
        Some("application/json"),
        register.to_string().as_bytes(),
    )
    .await;
    let call_id = registered["result"]["CALL_ID"].as_str().unwrap().to_owned();
    let finish = format!("CALL_ID={call_id}&USER_ID={}&DURATION=42", world.employees[1].b24_id);
    let (status, _) = call(
        &s,
        "POST",
        &hook(&s, "telephony.externalcall.finish"),
        Some("application/x-www-form-urlencoded"),
        finish.as_bytes(),
    )
    .await;
    assert_eq!(status, 200);

    // A name without content: an upload URL on this server, field `file`.
    let (status, attach) = call(
        &s,
        "POST",
        &hook(&s, "telephony.externalCall.attachRecord"),
        Some("application/x-www-form-urlencoded"),
        format!("CALL_ID={call_id}&FILENAME=call.mp3").as_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{attach}");
    assert_eq!(attach["result"]["fieldName"], "file");
    let upload_url = attach["result"]["uploadUrl"].as_str().unwrap();
    let path_and_query = upload_url.strip_prefix("http://127.0.0.1:8080").unwrap_or_else(|| panic!("{upload_url}"));
    assert!(
        path_and_query.starts_with("/rest/upload.json?auth=") && path_and_query.contains("&token=telephony%7C"),
        "{upload_url}"
    );

    let boundary = "----callfull7MA4YWxkTrZu0gW";
    let multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"call.mp3\"\r\nContent-Type: audio/mpeg\r\n\r\nID3\u{3}\0fake-mp3\r\n--{boundary}--\r\n"
    );
    let ct = format!("multipart/form-data; boundary={boundary}");
    let (status, uploaded) = call(&s, "POST", path_and_query, Some(&ct), multipart.as_bytes()).await;
    assert_eq!(status, 200, "{uploaded}");
    let file_id = uploaded["result"]["FILE_ID"].as_u64().expect("FILE_ID");
    let finished = s.bitrix24.dump()["telephony"]["finished_calls"].clone();
    let row = finished.as_array().unwrap().iter().find(|r| r["CALL_ID"] == call_id.as_str()).unwrap();
    assert_eq!((row["RECORD_FILE_ID"].clone(), row["CALL_RECORD_URL"].clone()), (json!(file_id), json!("call.mp3")));

    // The URL takes one file; a wrong extension never gets a URL; an empty upload is refused.
    let (status, again) = call(&s, "POST", path_and_query, Some(&ct), multipart.as_bytes()).await;
    assert_eq!((status, again["error"].as_str()), (400, Some("ERROR_UPLOAD")));
    let (status, wav) = call(
        &s,
        "POST",
        &hook(&s, "telephony.externalcall.attachrecord"),
        Some("application/x-www-form-urlencoded"),
        format!("CALL_ID={call_id}&FILENAME=call.ogg").as_bytes(),
    )
    .await;
    assert_eq!(
        (status, wav["error_description"].as_str()),
        (400, Some("Wrong file extension. Only wav and mp3 are allowed"))
    );
    let (_, second) = call(
        &s,
        "POST",
        &hook(&s, "telephony.externalcall.attachrecord"),
        Some("application/x-www-form-urlencoded"),
        format!("CALL_ID={call_id}&FILENAME=b.wav").as_bytes(),
    )
    .await;
    let second_path =
        second["result"]["uploadUrl"].as_str().unwrap().strip_prefix("http://127.0.0.1:8080").unwrap().to_owned();
    let empty =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--{boundary}--\r\n");
    let (status, refused) = call(&s, "POST", &second_path, Some(&ct), empty.as_bytes()).await;
    assert_eq!((status, refused["error_description"].as_str()), (400, Some("File content is empty.")));
}

#[tokio::test]
async fn multipart_bodies_carry_parameters_and_broken_ones_get_the_vendor_shape() {
    let s = shared();
    let boundary = "XyZ";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"FILTER[UF_PHONE_INNER]\"\r\n\r\n{}\r\n--{boundary}--\r\n",
        World::from_seed(7).employees[0].extension
    );
    let ct = format!("multipart/form-data; boundary={boundary}");
    let (status, users) = call(&s, "POST", &hook(&s, "user.get"), Some(&ct), body.as_bytes()).await;
    assert_eq!(status, 200);
    assert_eq!(users["result"].as_array().unwrap().len(), 1);
    let (status, broken) = call(
        &s,
        "POST",
        &hook(&s, "user.get"),
        Some(&ct),
        b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
    )
    .await;
    assert_eq!((status, broken["error"].as_str()), (400, Some("INVALID_REQUEST")));
    assert!(broken["error_description"].as_str().unwrap().contains("closing boundary"));
}

#[tokio::test]
async fn crm_fields_describe_every_field_with_its_type() {
    let s = shared();
    for entity in ["contact", "company", "lead", "deal"] {
        let (status, fields) = call(&s, "GET", &hook(&s, &format!("crm.{entity}.fields")), None, b"").await;
        assert_eq!(status, 200);
        let fields = fields["result"].as_object().unwrap();
        assert_eq!(fields["ID"]["type"], "integer");
        assert_eq!(fields["ID"]["isReadOnly"], true);
        assert_eq!(fields["ASSIGNED_BY_ID"]["type"], "user");
        for (name, field) in fields {
            for flag in ["isRequired", "isReadOnly", "isImmutable", "isMultiple", "isDynamic"] {
                assert!(field[flag].is_boolean(), "{entity}.{name}.{flag}");
            }
            assert!(field["title"].is_string() && field["type"].is_string(), "{entity}.{name}");
        }
        if entity == "deal" {
            assert!(!fields.contains_key("PHONE"), "deals have no multi-fields");
        } else {
            assert_eq!(
                (fields["PHONE"]["type"].as_str(), fields["PHONE"]["isMultiple"].as_bool()),
                (Some("crm_multifield"), Some(true))
            );
        }
    }
    let (_, lead) = call(&s, "GET", &hook(&s, "crm.lead.fields"), None, b"").await;
    assert_eq!(lead["result"]["STATUS_ID"]["statusType"], "STATUS");
}

/// A vendor-shaped answer: a success envelope, or `{error, error_description}`
/// (strings, no `time`) with a 4xx/503 status; never a 500.
fn assert_vendor_shape(what: &str, status: u16, body: &Value) {
    if status == 200 {
        assert!(body.get("result").is_some() && body["time"].is_object(), "{what}: {body}");
    } else {
        assert!(matches!(status, 400 | 401 | 403 | 404 | 405 | 413 | 503), "{what}: status {status} {body}");
        let keys: Vec<&String> = body.as_object().map(|o| o.keys().collect()).unwrap_or_default();
        assert_eq!(keys, ["error", "error_description"], "{what}: {body}");
        assert!(body["error"].is_string() && body["error_description"].is_string(), "{what}: {body}");
    }
}

#[tokio::test]
async fn malformed_bodies_and_deep_nesting_get_the_vendor_error_shape() {
    let s = shared();
    let form = Some("application/x-www-form-urlencoded");
    let json = Some("application/json");

    // Malformed form bodies: bad percent-escapes, raw bytes that are not
    // UTF-8, empty names, stray brackets. PHP reads what it can.
    for body in [&b"%ZZ%&&==&a[=1&]=2&%FF%FE=%C3%28&[]=x&a]]]=1"[..], b"\xff\xfe\x00garbage\x01=\x02", b"&&&&", b"="] {
        let (status, answer) = call(&s, "POST", &hook(&s, "telephony.externalLine.get"), form, body).await;
        assert_eq!((status, &answer["result"]), (200, &json!([])), "{body:?}");
    }

    // Malformed JSON bodies: 400 INVALID_REQUEST.
    let deep_list = "[".repeat(10_000);
    let deep_map = "{\"a\":".repeat(10_000);
    for body in [
        &b"{\"filter\": "[..],
        b"{\"a\":1}}",
        b"\xff\xfe{}",
        b"[1, 2]",
        b"\"text\"",
        b"42",
        b"null",
        b"{\"a\": 1e400}",
        deep_list.as_bytes(),
        deep_map.as_bytes(),
    ] {
        let (status, answer) = call(&s, "POST", &hook(&s, "user.get"), json, body).await;
        assert_vendor_shape(&String::from_utf8_lossy(&body[..body.len().min(20)]), status, &answer);
        assert_eq!((status, answer["error"].as_str()), (400, Some("INVALID_REQUEST")), "{answer}");
    }

    // 10 000-deep bracket nesting, in a form body and in a query string:
    // PHP drops a variable nested deeper than 64, and an unclosed `[` ends
    // the name. Either way the other parameters still count.
    let nested = format!("FILTER{}=1&FILTER[UF_PHONE_INNER]=105", "[x]".repeat(10_000));
    let unclosed = format!("a{}=1&FILTER[UF_PHONE_INNER]=105", "[".repeat(10_000));
    let appended = format!("FILTER{}=1&FILTER[UF_PHONE_INNER]=105", "[]".repeat(10_000));
    for params in [&nested, &unclosed, &appended] {
        let (status, body) = call(&s, "POST", &hook(&s, "user.get"), form, params.as_bytes()).await;
        assert_eq!((status, body["total"].as_u64()), (200, Some(1)), "form {}", &params[..20]);
        let (status, body) = call(&s, "GET", &format!("{}?{params}", hook(&s, "user.get")), None, b"").await;
        assert_eq!((status, body["total"].as_u64()), (200, Some(1)), "query {}", &params[..20]);
    }

    // Header values that are not visible ASCII.
    for (name, value) in [("content-type", "application/json; charset=\u{e9}"), ("authorization", "Bearer \u{e9}")] {
        let response = warp::test::request()
            .method("POST")
            .path(&hook(&s, "user.current"))
            .header(name, value)
            .body("{}")
            .reply(&routes(s.clone()))
            .await;
        let body: Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!((response.status().as_u16(), body["error"].as_str()), (400, Some("INVALID_REQUEST")), "{name}");
    }

    // An empty multipart body is no parameters; a cut-off one is refused with the vendor's shape.
    let multipart = Some("multipart/form-data; boundary=x");
    let (status, _) = call(&s, "POST", &hook(&s, "user.get"), multipart, b"--x--").await;
    assert_eq!(status, 200);
    let cut = b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1";
    let (status, body) = call(&s, "POST", &hook(&s, "user.get"), multipart, cut).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("INVALID_REQUEST")));
}

#[tokio::test]
async fn wrong_tokens_and_unknown_methods_get_the_vendor_errors() {
    let s = shared();
    let webhook = s.bitrix24.webhook_path();
    let code = webhook.split('/').filter(|p| !p.is_empty()).nth(2).unwrap().to_owned();
    // (path, Authorization header, status wanted, error wanted)
    let cases: Vec<(String, Option<&str>, u16, &str)> = vec![
        (format!("/rest/999/{code}/user.current"), None, 401, "INVALID_CREDENTIALS"),
        (format!("/rest/1/{code}x/user.current"), None, 401, "INVALID_CREDENTIALS"),
        ("/rest/user.current?access_token=nope".into(), None, 401, "invalid_token"),
        ("/rest/user.current".into(), Some("Bearer nope"), 401, "invalid_token"),
        ("/rest/user.current".into(), Some("Basic dXNlcjpwYXNz"), 401, "NO_AUTH_FOUND"),
        (hook(&s, "no.such.method"), None, 404, "ERROR_METHOD_NOT_FOUND"),
        (hook(&s, "crm.contact.get/extra/segments"), None, 404, "ERROR_METHOD_NOT_FOUND"),
        (hook(&s, ""), None, 404, "ERROR_METHOD_NOT_FOUND"),
        ("/rest/".into(), None, 404, "ERROR_METHOD_NOT_FOUND"),
    ];
    for (path, authorization, want_status, want_error) in cases {
        let mut request = warp::test::request().method("GET").path(&path);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.reply(&routes(s.clone())).await;
        let body: Value = serde_json::from_slice(response.body()).unwrap();
        let status = response.status().as_u16();
        assert_vendor_shape(&path, status, &body);
        assert_eq!((status, body["error"].as_str()), (want_status, Some(want_error)), "{path} {authorization:?}");
    }
    let response = warp::test::request().method("PUT").path(&hook(&s, "user.current")).reply(&routes(s.clone())).await;
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    assert_vendor_shape("PUT", response.status().as_u16(), &body);
}

#[tokio::test]
async fn parameters_of_the_wrong_type_get_the_vendor_errors() {
    let s = shared();
    let world = World::from_seed(7);
    let user = world.employees[1].b24_id;
    let form = Some("application/x-www-form-urlencoded");
    let json = Some("application/json");
    let register = "telephony.externalcall.register";
    let phone = "PHONE_NUMBER=%2B79990001122";
    // (method, content type, body, status wanted, error_description wanted)
    let cases: Vec<(&str, Option<&str>, String, u16, &str)> = vec![
        // Form values that do not parse as the int the handler wants.
        (register, form, format!("USER_ID=abc&{phone}&TYPE=2"), 400, "USER_ID or USER_PHONE_INNER should be set"),
        (register, form, format!("USER_ID={user}&{phone}&TYPE=abc"), 400, "Unknown TYPE"),
        // Arrays where scalars are expected.
        (register, form, format!("USER_ID={user}&PHONE_NUMBER[]=%2B79990001122&TYPE=2"), 400, "Unsupported phone number format"),
        (register, form, format!("USER_ID={user}&{phone}&TYPE[]=2"), 400, "Unknown TYPE"),
        (register, form, format!("USER_ID[]={user}&{phone}&TYPE=2"), 400, "USER_ID or USER_PHONE_INNER should be set"),
        (register, json, json!({"USER_ID": user, "PHONE_NUMBER": "+79990001122", "TYPE": 2, "CALL_START_DATE": ["2026-11-17T10:00:00+03:00"]}).to_string(), 0, ""),
        // A date with multi-byte characters where the ISO-8601 digits should be.
        (register, json, json!({"USER_ID": user, "PHONE_NUMBER": "+79990001122", "TYPE": 2, "CALL_START_DATE": "2026-11-17T10:00:0ж+03:00"}).to_string(), 400, "CALL_START_DATE should be in the ISO-8601 format"),
        (register, json, json!({"USER_ID": user, "PHONE_NUMBER": "+79990001122", "TYPE": 2, "CALL_START_DATE": "ЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖ"}).to_string(), 400, "CALL_START_DATE should be in the ISO-8601 format"),
        ("telephony.externalcall.finish", form, format!("CALL_ID[]=x&USER_ID={user}"), 400, "CALL_ID must be a string"),
        ("telephony.externalcall.finish", json, json!({"CALL_ID": {"a": 1}, "USER_ID": user}).to_string(), 400, "CALL_ID must be a string"),
        ("crm.contact.get", form, "id[]=1".into(), 400, "ID is not defined or invalid."),
        ("crm.contact.get", json, json!({"id": -3}).to_string(), 400, "ID is not defined or invalid."),
        ("crm.contact.get", json, r#"{"id": 99999999999999999999999}"#.into(), 400, "ID is not defined or invalid."),
        ("crm.contact.list", form, "filter=x".into(), 400, "Parameter 'filter' must be array."),
        ("crm.contact.list", json, json!({"order": "x"}).to_string(), 400, "Parameter 'order' must be array."),
        ("crm.activity.list", json, json!({"filter": 5}).to_string(), 400, "Parameter 'filter' must be array."),
        ("crm.activity.get", form, "id=abc".into(), 400, "ID is not defined or invalid."),
        ("crm.lead.add", form, "fields=x".into(), 400, "Parameter 'fields' must be array."),
        ("crm.lead.update", json, json!({"id": [1], "fields": {}}).to_string(), 400, "ID is not defined or invalid."),
        ("crm.duplicate.findbycomm", form, "type=PHONE&values=x".into(), 400, "Communication values is not defined."),
        ("crm.duplicate.findbycomm", form, "type[]=PHONE&values[]=1".into(), 400, "Communication type is not defined."),
        // Wrong types that PHP casts or ignores: still answered.
        ("user.get", form, "FILTER=x".into(), 200, ""),
        ("user.get", json, json!({"FILTER": [1, 2], "SORT": ["ID"], "ORDER": {"a": 1}, "start": "abc"}).to_string(), 200, ""),
        ("crm.contact.list", json, json!({"select": "x", "start": [1]}).to_string(), 200, ""),
        ("batch", form, "cmd=x".into(), 200, ""),
        ("batch", json, json!({"cmd": {"a": 5, "b": null}, "halt": [1]}).to_string(), 200, ""),
    ];
    for (method, content_type, body, want_status, want_text) in cases {
        let (status, answer) = call(&s, "POST", &hook(&s, method), content_type, body.as_bytes()).await;
        assert_vendor_shape(&format!("{method} {body}"), status, &answer);
        // 0: any vendor-shaped answer (what PHP does with it is not known).
        assert!(want_status == 0 || status == want_status, "{method} {body}: {status} {answer}");
        if want_status != 0 && status != 200 {
            assert_eq!(answer["error_description"], want_text, "{method} {body}");
        }
    }
    // A negative CRM_ENTITY_ID binds nothing (it used to wrap round to 2^64 - 5).
    let body = json!({"USER_ID": user, "PHONE_NUMBER": "+79990009988", "TYPE": 2,
                      "CRM_ENTITY_TYPE": "CONTACT", "CRM_ENTITY_ID": -5});
    let (status, answer) = call(&s, "POST", &hook(&s, register), json, body.to_string().as_bytes()).await;
    assert_eq!(
        (status, &answer["result"]["CRM_ENTITY_TYPE"], &answer["result"]["CRM_ENTITY_ID"]),
        (200, &json!(""), &Value::Null)
    );
}

/// Sends a 50 MB body over a real socket (declared with Content-Length, or
/// chunked) and returns the status line and JSON body the server answered.
async fn send_huge(addr: std::net::SocketAddr, path: &str, chunked: bool) -> (String, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const SIZE: usize = 50 << 20;
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let framing = if chunked { "Transfer-Encoding: chunked".to_owned() } else { format!("Content-Length: {SIZE}") };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n{framing}\r\n\r\n"
    );
    // The server may answer and stop reading long before the end: writes
    // then fail, which is expected.
    let sending = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        let chunk = vec![b'a'; 1 << 20];
        for _ in 0..SIZE / chunk.len() {
            if chunked {
                writer.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).await?;
            }
            writer.write_all(&chunk).await?;
            if chunked {
                writer.write_all(b"\r\n").await?;
            }
        }
        if chunked {
            writer.write_all(b"0\r\n\r\n").await?;
        }
        std::io::Result::Ok(writer)
    });
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = std::time::Duration::from_secs(30);
    let (head, body) = loop {
        let n = tokio::time::timeout(deadline, reader.read(&mut buf)).await.expect("an answer in time").unwrap();
        assert!(n > 0, "closed without an answer: {}", String::from_utf8_lossy(&response));
        response.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&response).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_owned))
                .and_then(|l| l.trim().parse::<usize>().ok())
                .expect("a content-length");
            if body.len() >= length {
                break (head.to_owned(), body[..length].to_owned());
            }
        }
    };
    sending.abort();
    (head.lines().next().unwrap_or_default().to_owned(), serde_json::from_str(&body).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_megabyte_bodies_declared_or_chunked_get_413_over_a_real_socket() {
    let server = callfull_crm::spawn(
        World::from_seed(7),
        "127.0.0.1:0".parse().unwrap(),
        Arc::new(AdjustableClock::new(ManualClock::at(0))),
        Default::default(),
    )
    .await
    .unwrap();
    let path = format!("{}user.get", server.bitrix24().webhook_path());
    for chunked in [false, true] {
        let (status, body) = send_huge(server.addr(), &path, chunked).await;
        assert!(status.starts_with("HTTP/1.1 413"), "chunked {chunked}: {status}");
        assert_eq!(body["error"], "INVALID_REQUEST", "chunked {chunked}");
        assert_vendor_shape("50 MB", 413, &body);
    }
    // The server still answers afterwards.
    let (status, body) = send_small(server.addr(), &format!("{}user.current", server.bitrix24().webhook_path())).await;
    assert!(status.starts_with("HTTP/1.1 200"), "{status} {body}");
}

async fn send_small(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or_default();
    (head.lines().next().unwrap_or_default().to_owned(), body.to_owned())
}
