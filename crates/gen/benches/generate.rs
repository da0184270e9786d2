//! Generation throughput on one core for the default mix (every scenario in
//! turn, Bitrix24), against plain serde_json serialization of the same
//! payloads in the same run, sonic-rs (SIMD serde serializer) and the
//! model's own writer, which the generator prints with.
//! The binary uses mimalloc, so the bench does too.
//!
//! Run: `scripts/bench-generate.sh` (or `cargo bench -p callfull-gen --bench generate`).

use std::hint::black_box;

use callfull_gen::{CATALOG, Generator, write_payload};
use callfull_model::{CallFull, CallStage, Crm};
use callfull_world::World;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// The customization input, borrowed, as the plain `serde_json` peer prints it.
#[derive(serde::Serialize)]
struct Envelope<'a> {
    call_full: &'a CallFull,
    call_stage: CallStage,
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench(c: &mut Criterion) {
    const CALLS: u64 = 500;
    let world = World::from_seed(1);
    let generator = Generator::new(&world, Crm::Bitrix24, 1, CATALOG.iter().collect());
    let mut payloads: Vec<(CallStage, CallFull)> = Vec::new();
    for index in 0..CALLS {
        generator.payloads(index, |stage, call| payloads.push((stage, call.clone())));
    }
    let mut buf = Vec::with_capacity(64 << 20);
    for (stage, call) in &payloads {
        write_payload(&mut buf, *stage, call, false).unwrap();
    }
    eprintln!("corpus: {CALLS} calls, {} payloads, {} bytes", payloads.len(), buf.len());

    let mut group = c.benchmark_group("generate-default-mix");
    group.throughput(Throughput::Elements(payloads.len() as u64));
    group.bench_function("generate-and-serialize", |b| {
        b.iter(|| {
            buf.clear();
            for index in 0..CALLS {
                generator
                    .payloads(black_box(index), |stage, call| write_payload(&mut buf, stage, call, false).unwrap());
            }
            black_box(buf.len())
        })
    });
    group.bench_function("serde-json-serialize-only", |b| {
        b.iter(|| {
            buf.clear();
            for (stage, call) in black_box(&payloads) {
                serde_json::to_writer(&mut buf, &Envelope { call_full: call, call_stage: *stage }).unwrap();
                buf.push(b'\n');
            }
            black_box(buf.len())
        })
    });
    group.bench_function("sonic-rs-serialize-only", |b| {
        b.iter(|| {
            buf.clear();
            for (stage, call) in black_box(&payloads) {
                sonic_rs::to_writer(&mut buf, &Envelope { call_full: call, call_stage: *stage }).unwrap();
                buf.push(b'\n');
            }
            black_box(buf.len())
        })
    });
    group.bench_function("callfull-writer-serialize-only", |b| {
        b.iter(|| {
            buf.clear();
            for (stage, call) in black_box(&payloads) {
                write_payload(&mut buf, *stage, call, false).unwrap();
            }
            black_box(buf.len())
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(6));
    targets = bench
}
criterion_main!(benches);
