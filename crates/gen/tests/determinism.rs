use callfull_gen::{CATALOG, Format, Generator, RunOptions, generate_to};
use callfull_model::Crm;
use callfull_world::World;

fn run(world: &World, seed: u64, format: Format, jobs: usize, shard: (u64, u64)) -> Vec<u8> {
    let generator = Generator::new(world, Crm::Bitrix24, seed, CATALOG.iter().collect());
    let options = RunOptions { count: 150, shard, jobs, stage: None, format };
    let mut out = Vec::new();
    generate_to(&generator, &options, &mut out, |_| {}).unwrap();
    out
}

#[test]
fn same_seed_same_bytes_whatever_the_jobs() {
    let world = World::from_seed(11);
    let format = Format::Payloads { pretty: false };
    let one = run(&world, 11, format, 1, (1, 1));
    assert_eq!(one, run(&World::from_seed(11), 11, format, 1, (1, 1)), "a second run");
    assert_eq!(one, run(&world, 11, format, 2, (1, 1)), "--jobs 2");
    assert_eq!(one, run(&world, 11, format, 3, (1, 1)), "--jobs 3");
    assert_ne!(one, run(&World::from_seed(12), 12, format, 1, (1, 1)), "another seed");
}

#[test]
fn shards_concatenated_are_the_whole_run() {
    let world = World::from_seed(3);
    for format in [Format::Payloads { pretty: false }, Format::Cel] {
        let whole = run(&world, 3, format, 2, (1, 1));
        let mut joined = Vec::new();
        for i in 1..=3 {
            let mut part = run(&world, 3, format, 1, (i, 3));
            if format == Format::Cel && i > 1 {
                // Every shard prints the CSV header; drop it when concatenating.
                let header_end = part.iter().position(|&b| b == b'\n').unwrap() + 1;
                part.drain(..header_end);
            }
            joined.extend(part);
        }
        assert_eq!(whole, joined, "{format:?}");
    }
}

#[test]
fn compact_payloads_are_byte_for_byte_what_serde_json_prints() {
    let world = World::from_seed(21);
    for crm in [Crm::Bitrix24, Crm::AmoCrm] {
        let generator = Generator::new(&world, crm, 21, CATALOG.iter().collect());
        for index in 0..CATALOG.len() as u64 * 2 {
            generator.payloads(index, |stage, call| {
                let mut ours = Vec::new();
                callfull_gen::write_payload(&mut ours, stage, call, false).unwrap();
                let reference = serde_json::to_string(&serde_json::json!({ "call_full": call, "call_stage": stage }))
                    .unwrap()
                    + "\n";
                assert!(ours == reference.as_bytes(), "call {index}, {crm:?}, {stage:?}");
            });
        }
    }
}
