use callfull_gen::{CATALOG, Generator};
use callfull_model::{CallStage, Crm, Options, validate};
use callfull_world::World;
use proptest::prelude::*;

fn check(seed: u64, scenario: usize, crm: Crm) -> Result<(), TestCaseError> {
    let world = World::from_seed(seed);
    let scenario = &CATALOG[scenario % CATALOG.len()];
    let generator = Generator::new(&world, crm, seed, vec![scenario]);
    let mut stages = Vec::new();
    let mut failures = Vec::new();
    generator.payloads(seed % 1000, |stage, call| {
        stages.push(stage);
        let payload = serde_json::json!({ "call_full": call, "call_stage": stage });
        let report = validate(&payload, &Options::crm(crm).strict(true));
        if !report.findings.is_empty() {
            failures.push(format!("{stage:?}: {:#?}", report.findings));
        }
    });
    prop_assert!(
        failures.is_empty(),
        "seed {seed}, scenario {}, crm {crm:?}: {}\nreproduce: callfull generate --seed {seed} --scenario {} --crm {} | callfull validate --strict",
        scenario.name,
        failures.join("\n"),
        scenario.name,
        crm.as_str()
    );
    prop_assert_eq!(stages.last(), Some(&CallStage::CallEnded));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_generated_payload_passes_strict_validation(seed in any::<u64>(), scenario in 0usize..100, amocrm in any::<bool>()) {
        check(seed, scenario, if amocrm { Crm::AmoCrm } else { Crm::Bitrix24 })?;
    }
}

#[test]
fn every_scenario_passes_strict_validation_for_both_crms_over_many_calls() {
    let world = World::from_seed(5);
    for crm in [Crm::Bitrix24, Crm::AmoCrm] {
        let generator = Generator::new(&world, crm, 5, CATALOG.iter().collect());
        for index in 0..(CATALOG.len() as u64 * 4) {
            let mut bad = Vec::new();
            let scenario = generator.payloads(index, |stage, call| {
                let payload = serde_json::json!({ "call_full": call, "call_stage": stage });
                let report = validate(&payload, &Options::crm(crm).strict(true));
                bad.extend(report.findings.into_iter().map(|f| format!("{stage:?} {f}")));
            });
            assert!(bad.is_empty(), "call {index} ({}, {crm:?}):\n{}", scenario.name, bad.join("\n"));
        }
    }
}
