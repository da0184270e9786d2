use serde_json::Value;

use crate::util::callfull;

#[test]
fn schema_prints_the_libraries_schema_for_each_crm() {
    for (flag, crm) in [
        ("auto", callfull_model::Crm::Auto),
        ("bitrix24", callfull_model::Crm::Bitrix24),
        ("amocrm", callfull_model::Crm::AmoCrm),
    ] {
        let run = callfull(&["schema", "--crm", flag]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let printed: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(printed, callfull_model::customization_input_schema(crm), "{flag}");
    }
}

#[test]
fn schema_bare_describes_call_full() {
    let run = callfull(&["schema", "--bare"]);
    let printed: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(printed["$ref"], "#/$defs/CallFull");
    assert_eq!(printed["$schema"], "https://json-schema.org/draft/2020-12/schema");
}
