use std::path::Path;

use callfull_gen::{CATALOG, Generator};
use callfull_model::{CallStage, Crm, CustomizationInput};
use callfull_world::World;

const SEED: u64 = 2026;

/// Every scenario × CRM × stage for one seed: the payloads of that stage, in order.
#[test]
fn every_scenario_crm_and_stage_is_pinned() {
    let world = World::from_seed(SEED);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots/generate"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_info(&format!("seed {SEED}; reproduce with: callfull generate --seed {SEED} --scenario <name> --crm <crm> --stage <stage> --count 1"));
    settings.bind(|| {
        for crm in [Crm::Bitrix24, Crm::AmoCrm] {
            for scenario in CATALOG {
                let generator = Generator::new(&world, crm, SEED, vec![scenario]);
                let mut payloads = Vec::new();
                generator.payloads(0, |stage, call| payloads.push(CustomizationInput::new(call.clone(), stage)));
                for stage in CallStage::ALL {
                    let at_stage: Vec<&CustomizationInput> =
                        payloads.iter().filter(|p| p.call_stage == stage).collect();
                    insta::assert_json_snapshot!(
                        format!("{}__{}__{}", scenario.name, crm.as_str(), stage.as_str()),
                        at_stage
                    );
                }
            }
        }
    });
}
