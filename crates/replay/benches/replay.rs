//! Calls replayed per second against the in-process fake (rate limits off),
//! and the same calls built without HTTP (generation, assembly, printing),
//! so the difference is the HTTP share.
//!
//! `cargo bench -p callfull-replay --bench replay`

use std::sync::Arc;

use callfull_crm::admin::AdjustableClock;
use callfull_crm::amocrm::AccountOptions;
use callfull_crm::bitrix24::PortalOptions;
use callfull_crm::{ManualClock, ServerOptions};
use callfull_gen::{CATALOG, Generator, write_payload};
use callfull_model::Crm;
use callfull_replay::{Bitrix24Auth, Http, Replay, RunOptions, Target};
use callfull_world::World;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const SEED: u64 = 7;
const CALLS: u64 = 25;

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let world = World::from_seed(SEED);
    let server = runtime.block_on(async {
        callfull_crm::spawn_with(
            World::from_seed(SEED),
            "127.0.0.1:0".parse().unwrap(),
            Arc::new(AdjustableClock::new(ManualClock::at(1_794_895_200_000_000))),
            PortalOptions { rate_limit: None, ..Default::default() },
            ServerOptions { amocrm: AccountOptions { rate_limit: None, ..Default::default() }, ..Default::default() },
        )
        .await
        .unwrap()
    });
    let options = RunOptions { seed: SEED, scenarios: CATALOG.iter().collect(), count: CALLS, first: 0 };
    let mut group = c.benchmark_group("replay");
    group.throughput(Throughput::Elements(CALLS));
    group.sample_size(10);
    for crm in [Crm::Bitrix24, Crm::AmoCrm] {
        let target = match crm {
            Crm::AmoCrm => Target::AmoCrm { url: server.uri(), token: server.amocrm().long_lived_token().to_owned() },
            _ => Target::Bitrix24(Bitrix24Auth::Webhook(server.bitrix24_webhook_url())),
        };
        let http = Http::builder().build().unwrap();
        let replay = Replay::new(&world, target, http);
        // Each run starts from the seeded portal (reset, not timed): the
        // fake's state would otherwise grow across iterations.
        group.bench_function(format!("{}/end_to_end", crm.as_str()), |b| {
            b.to_async(&runtime).iter_custom(|iters| {
                let (replay, options, server) = (&replay, &options, &server);
                async move {
                    let mut total = std::time::Duration::ZERO;
                    for _ in 0..iters {
                        server.bitrix24().reset();
                        server.amocrm().reset();
                        let started = std::time::Instant::now();
                        let mut out = Vec::with_capacity(1 << 20);
                        let summary = replay
                            .run(options, |_, stage, call| write_payload(&mut out, stage, call, false).unwrap())
                            .await
                            .unwrap();
                        total += started.elapsed();
                        assert!(summary.is_ok(), "{summary}");
                    }
                    total
                }
            })
        });
        // One more run for the split: time in HTTP against building payloads.
        server.bitrix24().reset();
        server.amocrm().reset();
        let summary = runtime.block_on(replay.run(&options, |_, _, _| {})).unwrap();
        eprintln!("{} split: {summary}", crm.as_str());
        let generator = Generator::new(&world, crm, SEED, CATALOG.iter().collect());
        group.bench_function(format!("{}/payloads_only", crm.as_str()), |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(1 << 20);
                for i in 0..CALLS {
                    generator.payloads(i, |stage, call| write_payload(&mut out, stage, call, false).unwrap());
                }
                out
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
