//! Every scenario replayed against the fake, for both CRMs: payloads pass
//! strict validation, and the CRM side comes from the fake's answers.

use std::collections::BTreeMap;

use callfull_model::{CallStage, Crm};
use callfull_replay::Http;
use callfull_world::World;
use serde_json::Value;

use crate::util::*;

const SEED: u64 = 7;

fn count() -> u64 {
    callfull_gen::CATALOG.len() as u64
}

#[tokio::test]
async fn bitrix24_every_scenario_validates_and_registration_is_the_portals() {
    // Arrange
    let fake = fake(SEED, false).await;
    let world = World::from_seed(SEED);
    // Act
    let run =
        replay(&world, target(&fake.server, Crm::Bitrix24), Http::builder().build().unwrap(), SEED, count()).await;
    // Assert
    assert!(run.summary.is_ok(), "{}", run.summary);
    assert_eq!(run.summary.calls, count());
    assert_valid(&run, Crm::Bitrix24);
    let state = fake.server.bitrix24().dump();
    let finished: BTreeMap<String, Value> = state["telephony"]["finished_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row["CALL_ID"].as_str().unwrap().to_owned(), row.clone()))
        .collect();
    assert!(state["telephony"]["active_calls"].as_array().unwrap().is_empty(), "every registered call is finished");
    let mut registered = 0;
    for (i, stage, cf) in &run.stages {
        assert!(cf.deal.is_none());
        if *stage != CallStage::CallEnded {
            continue;
        }
        let Some(registration) = &cf.registration else {
            assert!(cf.entity.is_none() || cf.channel.kind == callfull_model::CallType::Local, "call {i}");
            continue;
        };
        registered += 1;
        let row = finished
            .get(&registration.id)
            .unwrap_or_else(|| panic!("call {i}: {} unknown to the portal", registration.id));
        assert_eq!(row["CALL_FAILED_CODE"].as_str().unwrap(), cf.result.0.to_string(), "call {i}");
        assert_eq!(row["CRM_ACTIVITY_ID"].to_string(), registration.activity_id, "call {i}");
        let entity = cf.entity.as_ref().unwrap();
        assert_eq!(
            (entity.id.as_str(), entity.kind.as_str()),
            (registration.entity_id.as_str(), registration.entity_type.as_str())
        );
        assert_eq!(entity.is_new, !registration.created_lead_id.is_empty(), "call {i}");
        if entity.is_new {
            let lead = state["leads"].as_array().unwrap().iter().find(|l| l["ID"].as_str() == Some(entity.id.as_str()));
            assert!(lead.is_some(), "call {i}: new lead {} is in the portal", entity.id);
        }
    }
    assert!(registered >= 15, "most scenarios are bound to the CRM ({registered})");
    // The first stage is handed over before registration, every later one after.
    let firsts: Vec<_> = run.stages.iter().filter(|(_, s, _)| *s == CallStage::ConversationRequested).collect();
    assert!(firsts.iter().any(|(_, _, cf)| cf.registration.is_none()));
}

#[tokio::test]
async fn bitrix24_rings_are_shown_and_hidden() {
    let fake = fake(SEED, false).await;
    let world = World::from_seed(SEED);
    let incoming = callfull_gen::find_scenario("incoming_answered").unwrap();
    let options = callfull_replay::RunOptions { seed: SEED, scenarios: vec![incoming], count: 1, first: 0 };
    let summary =
        callfull_replay::Replay::new(&world, target(&fake.server, Crm::Bitrix24), Http::builder().build().unwrap())
            .run(&options, |_, _, _| {})
            .await
            .unwrap();
    assert!(summary.is_ok(), "{summary}");
    let journal = admin(&fake.server, "/_admin/journal?limit=100").await;
    let methods: Vec<String> =
        journal["entries"].as_array().unwrap().iter().map(|e| e["method"].as_str().unwrap().to_owned()).collect();
    for method in [
        "user.get",
        "crm.duplicate.findbycomm",
        "telephony.externalcall.register",
        "telephony.externalcall.show",
        "telephony.externalcall.hide",
        "telephony.externalcall.finish",
    ] {
        assert!(methods.iter().any(|m| m.eq_ignore_ascii_case(method)), "{method} in {methods:?}");
    }
}

#[tokio::test]
async fn amocrm_every_scenario_validates_and_cards_are_the_accounts() {
    // Arrange
    let fake = fake(SEED, false).await;
    let world = World::from_seed(SEED);
    // Act
    let run = replay(&world, target(&fake.server, Crm::AmoCrm), Http::builder().build().unwrap(), SEED, count()).await;
    // Assert
    assert!(run.summary.is_ok(), "{}", run.summary);
    assert_valid(&run, Crm::AmoCrm);
    let state = fake.server.amocrm().dump();
    let ids = |key: &str| -> Vec<String> {
        state[key].as_array().map(|a| a.iter().map(|r| r["id"].to_string()).collect()).unwrap_or_default()
    };
    let (contacts, companies, leads) = (ids("contacts"), ids("companies"), ids("leads"));
    let mut new = 0;
    for (i, stage, cf) in &run.stages {
        assert!(cf.registration.is_none());
        if let Some(entity) = &cf.entity {
            let known = if entity.kind == "company" { &companies } else { &contacts };
            assert!(known.contains(&entity.id), "call {i} {stage:?}: {} {} is in the account", entity.kind, entity.id);
            new += usize::from(entity.is_new && *stage == CallStage::CallEnded);
        }
        if let Some(deal) = &cf.deal {
            assert!(leads.contains(&deal.id), "call {i}: lead {} is in the account", deal.id);
        }
    }
    assert!(new > 0, "some calls came from unknown numbers");
    let calls = state["notes"]
        .as_array()
        .map_or(0, |n| n.iter().filter(|n| n["note_type"].as_str().is_some_and(|t| t.starts_with("call_"))).count());
    assert!(
        calls > 0,
        "POST /calls left call notes: {}",
        state.as_object().unwrap().keys().cloned().collect::<Vec<_>>().join(",")
    );
}

#[tokio::test]
async fn the_same_seed_against_a_fresh_fake_gives_the_same_bytes() {
    for crm in [Crm::Bitrix24, Crm::AmoCrm] {
        let mut outputs = Vec::new();
        for _ in 0..2 {
            let fake = fake(SEED, false).await;
            let world = World::from_seed(SEED);
            let run = replay(&world, target(&fake.server, crm), Http::builder().build().unwrap(), SEED, 12).await;
            assert!(run.summary.is_ok(), "{}", run.summary);
            let mut bytes = Vec::new();
            for (_, stage, cf) in &run.stages {
                callfull_gen::write_payload(&mut bytes, *stage, cf, false).unwrap();
            }
            // amoCRM's `_links` name the server's own URL, here an ephemeral port.
            outputs.push(String::from_utf8(bytes).unwrap().replace(&fake.server.uri(), "http://fake"));
        }
        assert!(outputs[0] == outputs[1], "{crm:?}: two runs differ");
    }
}
