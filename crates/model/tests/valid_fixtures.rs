use callfull_model::{CallFull, CallStage, Crm, CustomizationInput, Options, validate};

use crate::util::{crm_of, fixtures, parse};

#[test]
fn every_valid_fixture_passes_strict_validation_for_its_crm_and_for_auto() {
    for (name, text) in fixtures("payloads") {
        let payload = parse(&name, &text);
        for crm in [crm_of(&name), Crm::Auto] {
            let report = validate(&payload, &Options::crm(crm).strict(true));
            assert!(report.findings.is_empty(), "{name} ({crm:?}):\n{:#?}", report.findings);
            assert!(report.envelope, "{name}: fixtures are customization inputs");
        }
    }
}

#[test]
fn auto_detects_the_crm_from_registration_or_deal() {
    for (name, text) in fixtures("payloads") {
        let payload = parse(&name, &text);
        let call = &payload["call_full"];
        let report = validate(&payload, &Options::default());
        let expected = if !call["registration"].is_null() {
            Crm::Bitrix24
        } else if !call["deal"].is_null() {
            Crm::AmoCrm
        } else {
            Crm::Auto
        };
        assert_eq!(report.crm, expected, "{name}");
    }
}

#[test]
fn parsing_then_printing_gives_the_same_bytes() {
    for (name, text) in fixtures("payloads") {
        let input: CustomizationInput = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let printed = serde_json::to_string_pretty(&input).unwrap() + "\n";
        assert!(printed == text, "{name}: printing changed the bytes");
        // Compact form too: the same as compacting the file.
        let compact = serde_json::to_string(&input).unwrap();
        let expected = serde_json::to_string(&parse(&name, &text)).unwrap();
        assert_eq!(compact, expected, "{name}");
    }
}

#[test]
fn a_bare_call_full_is_accepted_as_well_as_the_envelope() {
    for (name, text) in fixtures("payloads") {
        let payload = parse(&name, &text);
        let bare = &payload["call_full"];
        let report = validate(bare, &Options::crm(crm_of(&name)).strict(true));
        assert!(report.findings.is_empty() && !report.envelope, "{name}: {:#?}", report.findings);
        let typed: CallFull = serde_json::from_value(bare.clone()).unwrap();
        assert_eq!(serde_json::to_value(&typed).unwrap(), *bare, "{name}");
    }
}

#[test]
fn typed_parsing_requires_every_key_even_the_nullable_ones() {
    let (name, text) = &fixtures("payloads")[0];
    for key in ["deal", "entity", "registration", "record"] {
        let mut payload = parse(name, text);
        payload["call_full"].as_object_mut().unwrap().remove(key);
        let err = serde_json::from_value::<CustomizationInput>(payload).unwrap_err().to_string();
        assert!(err.contains(&format!("missing field `{key}`")), "{key}: {err}");
    }
}

#[test]
fn fixtures_cover_every_stage_and_both_crms() {
    let mut seen = std::collections::BTreeSet::new();
    for (name, text) in fixtures("payloads") {
        let input: CustomizationInput = serde_json::from_str(&text).unwrap();
        seen.insert((crm_of(&name).as_str(), input.call_stage.as_str()));
    }
    for stage in CallStage::ALL {
        assert!(seen.iter().any(|(_, s)| *s == stage.as_str()), "no fixture at {stage:?}");
    }
    assert!(seen.iter().any(|(c, _)| *c == "bitrix24") && seen.iter().any(|(c, _)| *c == "amocrm"));
}

#[test]
fn the_vendor_to_example_is_among_the_fixtures_verbatim() {
    let vendor = serde_json::json!({
        "base": "9001234567",
        "custom": "89001234567",
        "is_local": false,
        "original": "+79001234567",
        "variants": ["9001234567", "+74959001234567", "84959001234567", "+79001234567", "79001234567", "89001234567"]
    });
    let found = fixtures("payloads").iter().any(|(name, text)| {
        let p = parse(name, text);
        p["call_full"]["channel"]["to"] == vendor
    });
    assert!(found, "no fixture's channel.to is the vendor's example");
}
