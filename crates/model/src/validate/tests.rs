use serde_json::{Value, json};

use super::structure::{
    CALL_FULL_KEYS, CHANNEL_KEYS, CONVERSATION_KEYS, ENTITY_KEYS, NUMBER_KEYS, REGISTRATION_KEYS, USER_KEYS,
};
use super::*;
use crate::customization_input_schema;

fn fixture() -> Value {
    serde_json::from_str(include_str!("../../../../fixtures/payloads/bitrix24/incoming_answered.json")).unwrap()
}

fn found(payload: &Value, options: Options) -> Vec<(&'static str, String)> {
    validate(payload, &options).findings.into_iter().map(|f| (f.rule.id(), f.path)).collect()
}

#[test]
fn the_validators_key_lists_match_the_schema_generated_from_the_types() {
    let schema = customization_input_schema(Crm::Auto);
    for (def, keys) in [
        ("CallFull", CALL_FULL_KEYS),
        ("Conversation", CONVERSATION_KEYS),
        ("Channel", CHANNEL_KEYS),
        ("Number", NUMBER_KEYS),
        ("User", USER_KEYS),
        ("Entity", ENTITY_KEYS),
        ("Registration", REGISTRATION_KEYS),
    ] {
        let properties: Vec<&str> =
            schema["$defs"][def]["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(properties, keys, "{def}");
        let mut sorted = keys.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, keys, "{def}: the vendor prints keys alphabetically");
    }
}

#[test]
fn all_findings_are_reported_not_only_the_first() {
    let mut p = fixture();
    p["call_full"]["record"] = json!(5);
    p["call_full"]["channel"]["start_time"] = json!("yesterday");
    p["call_full"]["channel"]["state"] = json!("paused");
    p["call_full"]["entity"]["raw"]["X"] = json!(null);
    assert_eq!(
        found(&p, Options::default()),
        [
            ("R02", "call_full.channel.start_time".to_owned()),
            ("R03", "call_full.channel.state".to_owned()),
            ("R06", "call_full.entity.raw.X".to_owned()),
            ("R01", "call_full.record".to_owned()),
        ]
    );
}

#[test]
fn conversation_paths_quote_the_uniqueid() {
    let mut p = fixture();
    let conversations = p["call_full"]["conversations"].as_object_mut().unwrap();
    let (key, conversation) = conversations.iter_mut().next().unwrap();
    let key = key.clone();
    conversation["channel"]["answer_time"] = json!("2026-11-17 25:00:00");
    assert_eq!(
        found(&p, Options::default()),
        [("R02", format!("call_full.conversations[\"{key}\"].channel.answer_time"))]
    );
}

#[test]
fn a_missing_object_is_one_finding_and_the_consistency_rules_skip_it() {
    let mut p = fixture();
    p["call_full"].as_object_mut().unwrap().remove("channel");
    let report = validate(&p, &Options::default());
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    assert_eq!(report.findings[0].found, "nothing (key missing)");
}

#[test]
fn a_payload_that_is_not_an_object_says_what_it_is() {
    let report = validate(&json!([1, 2]), &Options::default());
    assert_eq!(report.findings.len(), 1);
    assert_eq!(
        report.findings[0].to_string(),
        "error[R01 keys-and-types]: call_full: found an array of 2 items, expected call_full object"
    );
}

#[test]
fn strict_turns_warnings_into_errors() {
    let mut p = fixture();
    p["call_full"]["channel"]["is_primary"] = json!(false);
    let lenient = validate(&p, &Options::default());
    assert_eq!((lenient.errors(), lenient.warnings(), lenient.is_valid()), (0, 1, true));
    let strict = validate(&p, &Options::default().strict(true));
    assert_eq!((strict.errors(), strict.warnings(), strict.is_valid()), (1, 0, false));
}

#[test]
fn wrong_call_stage_and_missing_call_stage_are_reported_at_the_envelope() {
    let mut p = fixture();
    p["call_stage"] = json!("call_started");
    let f = &validate(&p, &Options::default()).findings[0];
    assert_eq!((f.rule, f.path.as_str()), (Rule::Enums, "call_stage"));
    assert!(f.expected.contains("conversation_requested"), "{}", f.expected);
    p.as_object_mut().unwrap().remove("call_stage");
    let f = &validate(&p, &Options::default()).findings[0];
    assert_eq!((f.rule, f.path.as_str()), (Rule::Keys, "call_stage"));
}

#[test]
fn hook_keys_beside_call_full_are_allowed() {
    let mut p = fixture();
    p["phone"] = json!("+79001234567");
    assert!(validate(&p, &Options::default().strict(true)).findings.is_empty());
}

#[test]
fn long_strings_are_cut_in_found() {
    let mut p = fixture();
    p["call_full"]["result"] = json!("x".repeat(500));
    let f = &validate(&p, &Options::default()).findings[0];
    assert!(f.found.len() < 120 && f.found.ends_with("(500 chars)"), "{}", f.found);
}

#[test]
fn rules_are_found_by_id_slug_or_number() {
    for rule in Rule::ALL {
        assert_eq!(Rule::find(rule.id()), Some(rule));
        assert_eq!(Rule::find(rule.slug()), Some(rule));
        assert_eq!(Rule::find(&rule.number().to_string()), Some(rule));
        assert_eq!(rule.is_derived(), rule.number() >= 7);
    }
    assert_eq!(Rule::find("R15"), None);
}

#[test]
fn empty_numbers_may_have_no_variants_but_others_must() {
    let mut p = fixture();
    p["call_full"]["channel"]["trunk"] =
        json!({"base": "", "custom": "", "is_local": false, "original": "", "variants": []});
    assert!(found(&p, Options::default()).is_empty());
    p["call_full"]["channel"]["trunk"]["base"] = json!("2250101");
    assert_eq!(found(&p, Options::default()), [("R11", "call_full.channel.trunk.variants".to_owned())]);
}
