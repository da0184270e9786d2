use callfull_model::{Crm, customization_input_schema};

use crate::invalid_fixtures::manifest;
use crate::util::{crm_of, fixtures, parse, root};

fn validator(crm: Crm) -> jsonschema::Validator {
    jsonschema::draft202012::new(&customization_input_schema(crm)).expect("the exported schema compiles")
}

#[test]
fn the_exported_schemas_are_pinned() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("snapshots/schema"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for crm in [Crm::Auto, Crm::Bitrix24, Crm::AmoCrm] {
            insta::assert_json_snapshot!(format!("schema-{}", crm.as_str()), customization_input_schema(crm));
        }
    });
}

#[test]
fn every_valid_fixture_passes_the_schema_of_its_crm_and_the_common_one() {
    for (name, text) in fixtures("payloads") {
        let payload = parse(&name, &text);
        for crm in [crm_of(&name), Crm::Auto] {
            let errors: Vec<String> =
                validator(crm).iter_errors(&payload).map(|e| format!("{e} at {}", e.instance_path())).collect();
            assert!(errors.is_empty(), "{name} against the {crm:?} schema: {errors:#?}");
        }
    }
}

#[test]
fn every_type_level_invalid_fixture_fails_the_schema() {
    let cases = manifest();
    assert!(cases.iter().filter(|c| c.schema_rejects).count() >= 10);
    for case in cases {
        let text = std::fs::read_to_string(root().join("fixtures/invalid").join(&case.file)).unwrap();
        let payload = parse(&case.file, &text);
        let crm: Crm = case.crm.parse().unwrap();
        let valid = validator(crm).is_valid(&payload);
        if case.schema_rejects {
            assert!(!valid, "{}: the schema should reject it ({})", case.file, case.note);
        } else {
            assert!(valid, "{}: a consistency rule; the schema cannot see it ({})", case.file, case.note);
        }
    }
}
