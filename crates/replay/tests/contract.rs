//! The contract end to end: every scenario replayed against a fresh fake,
//! for both CRMs. Pinned in `snapshots/contract/{crm}__{scenario}.snap`: the
//! payload customizations get at each stage, and the requests the CRM got
//! (method, parameters, status), in order. Every payload is strictly valid,
//! every journal passes `callfull verify` with no breach (not even a
//! warning), and a broken connector's journal does not.

use std::path::Path;

use callfull_model::Crm;
use callfull_replay::{AmoSettings, Http, Replay, RunOptions};
use callfull_world::World;
use serde_json::{Value, json};

use crate::util::*;

const SEED: u64 = 7;

/// One scenario's call against a fresh fake: its stages and the journal.
async fn contract_of(crm: Crm, scenario: &'static callfull_gen::Scenario, settings: AmoSettings) -> Value {
    let fake = fake(SEED, false).await;
    let world = World::from_seed(SEED);
    let options = RunOptions { seed: SEED, scenarios: vec![scenario], count: 1, first: 0 };
    let mut stages = Vec::new();
    let summary = Replay::new(&world, target(&fake.server, crm), Http::builder().build().unwrap())
        .amocrm_settings(settings)
        .run(&options, |_, stage, call_full| stages.push(json!({ "call_stage": stage, "call_full": call_full })))
        .await
        .unwrap();
    assert!(summary.is_ok(), "{} {}: {summary}", crm.as_str(), scenario.name);
    for stage in &stages {
        let report = callfull_model::validate(stage, &callfull_model::Options { crm, strict: true });
        assert!(report.findings.is_empty(), "{} {}: {:#?}", crm.as_str(), scenario.name, report.findings);
    }
    let journal = admin(&fake.server, "/_admin/journal").await;
    // The reference connector's traffic keeps the vendor contract.
    let parsed = callfull_verify::Journal::parse(journal.to_string().as_bytes()).unwrap();
    let seeded = Some(callfull_verify::SeededPhones::from_world(&world));
    let report = callfull_verify::verify(&parsed, &callfull_verify::Options { crm: None, seeded });
    assert!(report.breaches.is_empty(), "{} {}: {:#?}", crm.as_str(), scenario.name, report.breaches);
    let requests: Vec<Value> = journal["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let mut request = json!({ "method": e["method"], "params": e["params"], "status": e["status"] });
            if !e["error"].is_null() {
                request["error"] = e["error"].clone();
            }
            request
        })
        .collect();
    let contract = json!({ "scenario": scenario.name, "crm": crm.as_str(), "requests": requests, "stages": stages });
    // amoCRM `_links` name the fake's address, which changes per run.
    let text = contract.to_string().replace(&fake.server.uri(), "http://fake");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn every_scenario_pins_its_payloads_and_the_crm_requests() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots/contract"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    for crm in [Crm::Bitrix24, Crm::AmoCrm] {
        for scenario in callfull_gen::CATALOG {
            let contract = contract_of(crm, scenario, AmoSettings::default()).await;
            settings.bind(|| insta::assert_json_snapshot!(format!("{}__{}", crm.as_str(), scenario.name), contract));
        }
    }
    // A connector set not to create contacts logs an unknown caller as an unsorted SIP lead.
    let unknown = callfull_gen::CATALOG.iter().find(|s| s.name == "incoming_unknown_client").unwrap();
    let no_contacts = AmoSettings { create_contact: false, ..AmoSettings::default() };
    let contract = contract_of(Crm::AmoCrm, unknown, no_contacts).await;
    settings.bind(|| insta::assert_json_snapshot!("amocrm__incoming_unknown_client__unsorted", contract));
}

/// A connector that finishes a call it never registered, then registers one
/// without USER_ID: `verify` names both requests.
#[tokio::test]
async fn a_broken_connectors_traffic_fails_verify_with_the_requests_named() {
    let fake = fake(SEED, false).await;
    let world = World::from_seed(SEED);
    let hook = fake.server.bitrix24_webhook_url();
    let phone = &world.contacts[0].phones[0];
    let user = world.employees[1].b24_id;
    let finish =
        json!({"CALL_ID": "externalCall.0000.1794895200", "USER_ID": user, "DURATION": 3, "STATUS_CODE": "200"});
    post(&format!("{hook}telephony.externalcall.finish.json"), &finish).await;
    post(&format!("{hook}telephony.externalcall.register.json"), &json!({"PHONE_NUMBER": phone, "TYPE": 2})).await;

    let journal = admin(&fake.server, "/_admin/journal").await;
    let parsed = callfull_verify::Journal::parse(journal.to_string().as_bytes()).unwrap();
    let report = callfull_verify::verify(&parsed, &callfull_verify::Options::default());
    let errors: Vec<(String, u64)> = report
        .breaches
        .iter()
        .filter(|b| b.severity == callfull_verify::Severity::Error)
        .map(|b| (b.rule.id().to_owned(), b.seq))
        .collect();
    assert!(errors.contains(&("B24-LIFE-1".to_owned(), 1)), "finish before register: {:#?}", report.breaches);
    assert!(errors.contains(&("B24-REG-1".to_owned(), 2)), "register without a user: {:#?}", report.breaches);
}

/// POSTs JSON, whatever the answer.
async fn post(url: &str, body: &Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let body = body.to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.read_to_end(&mut Vec::new()).await.unwrap();
}
