//! `callfull from-cel`'s library side: real CEL (the Wazo corpus) imports
//! with no error into valid payloads, pinned per file; the generator's own
//! CEL imported back gives exactly the generator's payloads.

use std::path::{Path, PathBuf};

use callfull_cel::{CsvWriter, Pattern, PatternLookup, Zone};
use callfull_gen::{CATALOG, Generator, ImportOptions, Importer, WorldLookup, write_payload};
use callfull_model::{CallStage, Crm, Options, validate};
use callfull_world::World;

/// The import as the CLI sets it up by default (seed 1, built-in world).
fn lookup(world: &World, crm: Crm, seed: u64) -> PatternLookup<WorldLookup<'_>> {
    PatternLookup::new(WorldLookup::new(world, crm, seed), Vec::new(), Pattern::list("*trunk*"))
        .trunk_contexts(Pattern::list("from-trunk*,from-pstn*,from-extern*"))
}

fn import(bytes: &[u8], name: &str, lookup: &PatternLookup<WorldLookup<'_>>, crm: Crm, offset: i64) -> Vec<u8> {
    let options = ImportOptions { zone: Zone::fixed(offset), ..ImportOptions::default() };
    let mut importer = Importer::new(lookup, crm, options);
    let mut out = Vec::new();
    importer.read(bytes, name, &mut out, |e| panic!("{name}: broken row: {e}")).unwrap();
    importer.finish(&mut out).unwrap();
    out
}

/// The Wazo corpus, read where it lies (never copied into the repository).
fn corpus() -> Option<Vec<PathBuf>> {
    let dir = std::env::var_os("CALLFULL_CEL_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/cel-wazo"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    Some(files)
}

#[test]
fn every_corpus_file_imports_into_valid_payloads_pinned_at_call_ended() {
    let Some(files) = corpus() else {
        eprintln!("skipped: no CEL corpus (set CALLFULL_CEL_CORPUS to the cel-wazo folder)");
        return;
    };
    assert_eq!(files.len(), 58, "the corpus has 58 CSV files (and a README)");
    let world = World::from_seed(1);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots/from-cel"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_info(&"callfull from-cel --tz UTC --stage call_ended <corpus file> (seed 1, built-in world)");
    settings.bind(|| {
        for crm in [Crm::Bitrix24, Crm::AmoCrm] {
            let lookup = lookup(&world, crm, 1);
            for file in &files {
                let name = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
                let bytes = std::fs::read(file).unwrap();
                let out = import(&bytes, &name, &lookup, crm, 0);
                let payloads: Vec<serde_json::Value> = out
                    .split(|&b| b == b'\n')
                    .filter(|l| !l.is_empty())
                    .map(|l| serde_json::from_slice(l).unwrap())
                    .collect();
                assert!(!payloads.is_empty(), "{name}: no payload");
                for payload in &payloads {
                    let report = validate(payload, &Options::crm(crm));
                    assert_eq!(report.errors(), 0, "{name} ({crm:?}): {:#?}", report.findings);
                }
                if crm == Crm::Bitrix24 {
                    let ended: Vec<&serde_json::Value> =
                        payloads.iter().filter(|p| p["call_stage"] == CallStage::CallEnded.as_str()).collect();
                    insta::assert_json_snapshot!(name, ended);
                }
            }
        }
    });
}

#[test]
fn the_generators_cel_imported_back_gives_the_generators_payloads_for_every_scenario() {
    let seed = 2026;
    let world = World::from_seed(seed);
    for crm in [Crm::Bitrix24, Crm::AmoCrm] {
        let lookup = lookup(&world, crm, seed);
        for scenario in CATALOG {
            let generator = Generator::new(&world, crm, seed, vec![scenario]);
            let offset = generator.utc_offset_secs();
            let mut expected = Vec::new();
            generator.payloads(0, |stage, call| write_payload(&mut expected, stage, call, false).unwrap());
            let mut csv = CsvWriter::new(Vec::new(), offset).unwrap();
            for row in generator.cel(0).rows {
                csv.write(&row).unwrap();
            }
            let cel = csv.finish().unwrap();
            let got = import(&cel, scenario.name, &lookup, crm, offset);
            assert!(
                got == expected,
                "{} ({crm:?}): from-cel differs from generate\nreproduce: callfull generate --seed {seed} --scenario {} --cel | callfull from-cel --seed {seed} -",
                scenario.name,
                scenario.name
            );
        }
    }
}

#[test]
fn a_named_zone_reads_and_prints_as_its_offset_on_the_day() {
    let seed = 2026;
    let world = World::from_seed(seed);
    let crm = Crm::Bitrix24;
    let lookup = lookup(&world, crm, seed);
    // The world's calls are on 2026-11-17: New York is on EST (-05) then,
    // Moscow on MSK (+03, after a history of changes).
    let import_in = |cel: &[u8], zone: Zone| {
        let options = ImportOptions { zone, ..ImportOptions::default() };
        let mut importer = Importer::new(&lookup, crm, options);
        let mut out = Vec::new();
        importer.read(cel, "zone", &mut out, |e| panic!("broken row: {e}")).unwrap();
        importer.finish(&mut out).unwrap();
        out
    };
    for (name, offset) in [("America/New_York", -5 * 3600), ("Europe/Moscow", 3 * 3600)] {
        let generator = Generator::new(&world, crm, seed, CATALOG.iter().collect());
        let mut csv = CsvWriter::new(Vec::new(), offset).unwrap();
        for index in 0..4 {
            for row in generator.cel(index).rows {
                csv.write(&row).unwrap();
            }
        }
        let cel = csv.finish().unwrap();
        let named = import_in(&cel, Zone::parse(name).unwrap());
        assert!(named == import_in(&cel, Zone::fixed(offset)), "{name}");
        assert!(named != import_in(&cel, Zone::fixed(offset + 3600)), "{name}: the zone must matter");
    }
}

/// `--stage S` brings the call up to date only at S (the assembler skips the
/// other stages' work): its payloads must be exactly the S payloads of a
/// full import, for every scenario, both CRMs, every stage, and the corpus.
#[test]
fn one_stage_only_gives_that_stages_payloads_of_a_full_import() {
    let seed = 7;
    let world = World::from_seed(seed);
    let stages = [
        CallStage::ConversationRequested,
        CallStage::ConversationAccepted,
        CallStage::ConversationEnded,
        CallStage::CallEnded,
    ];
    let import_stage = |cel: &[u8], lookup: &PatternLookup<WorldLookup<'_>>, crm, offset, stage| {
        let options = ImportOptions { zone: Zone::fixed(offset), stage, ..ImportOptions::default() };
        let mut importer = Importer::new(lookup, crm, options);
        let mut out = Vec::new();
        importer.read(cel, "stage", &mut out, |e| panic!("broken row: {e}")).unwrap();
        importer.finish(&mut out).unwrap();
        out
    };
    let lines_of = |out: &[u8], stage: CallStage| -> Vec<Vec<u8>> {
        let tag = format!("\"call_stage\":\"{}\"}}", stage.as_str());
        out.split(|&b| b == b'\n').filter(|l| l.ends_with(tag.as_bytes())).map(<[u8]>::to_vec).collect()
    };
    let mut inputs: Vec<(String, Vec<u8>, i64)> = Vec::new();
    let generator = Generator::new(&world, Crm::Bitrix24, seed, CATALOG.iter().collect());
    let offset = generator.utc_offset_secs();
    let mut csv = CsvWriter::new(Vec::new(), offset).unwrap();
    for index in 0..CATALOG.len() as u64 * 2 {
        for row in generator.cel(index).rows {
            csv.write(&row).unwrap();
        }
    }
    inputs.push(("every scenario twice".into(), csv.finish().unwrap(), offset));
    for file in corpus().unwrap_or_default() {
        inputs.push((file.display().to_string(), std::fs::read(&file).unwrap(), 0));
    }
    for crm in [Crm::Bitrix24, Crm::AmoCrm] {
        let lookup = lookup(&world, crm, seed);
        for (name, cel, offset) in &inputs {
            let all = import_stage(cel, &lookup, crm, *offset, None);
            for stage in stages {
                let only = import_stage(cel, &lookup, crm, *offset, Some(stage));
                let only: Vec<Vec<u8>> =
                    only.split(|&b| b == b'\n').filter(|l| !l.is_empty()).map(<[u8]>::to_vec).collect();
                assert!(only == lines_of(&all, stage), "{name} ({crm:?}), --stage {}", stage.as_str());
            }
        }
    }
}
