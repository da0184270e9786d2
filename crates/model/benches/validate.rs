//! Validation throughput of NDJSON on one core: callfull's validator (all 14
//! rules, parsing included) against the `jsonschema` crate checking the same
//! payloads against the exported schema (types only, parsing included), and
//! plain `serde_json` parsing as the floor both stand on.
//!
//! Run: `cargo bench -p callfull-model --bench validate`

use std::hint::black_box;
use std::path::Path;

use callfull_model::{Crm, Json, Options, PayloadReader, customization_input_schema, validate_json};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;

/// Every valid fixture, compacted, repeated to `lines` NDJSON lines.
fn corpus(lines: usize) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/payloads");
    let mut payloads = Vec::new();
    for crm in ["bitrix24", "amocrm"] {
        let mut names: Vec<_> = std::fs::read_dir(root.join(crm)).unwrap().map(|e| e.unwrap().path()).collect();
        names.sort();
        for path in names {
            let value: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            payloads.push(serde_json::to_string(&value).unwrap());
        }
    }
    let mut out = Vec::new();
    for line in payloads.iter().cycle().take(lines) {
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

fn bench(c: &mut Criterion) {
    const LINES: usize = 1_000;
    let ndjson = corpus(LINES);
    let options = Options::crm(Crm::Auto).strict(true);
    let schema = jsonschema::draft202012::new(&customization_input_schema(Crm::Auto)).unwrap();
    eprintln!("corpus: {LINES} payloads, {} bytes", ndjson.len());

    let mut group = c.benchmark_group("validate-ndjson");
    group.throughput(Throughput::Bytes(ndjson.len() as u64));
    group.bench_function("callfull-validate", |b| {
        b.iter(|| {
            let mut findings = 0;
            for payload in PayloadReader::<_, Json>::new(black_box(&ndjson[..])) {
                findings += validate_json(&payload.unwrap().value, &options).findings.len();
            }
            assert_eq!(findings, 0);
        })
    });
    group.bench_function("jsonschema-is-valid", |b| {
        b.iter(|| {
            let mut valid = 0;
            for line in black_box(&ndjson[..]).split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                let value: Value = serde_json::from_slice(line).unwrap();
                valid += usize::from(schema.is_valid(&value));
            }
            assert_eq!(valid, LINES);
        })
    });
    group.bench_function("callfull-json-parse-only", |b| {
        b.iter(|| {
            for payload in PayloadReader::<_, Json>::new(black_box(&ndjson[..])) {
                black_box(payload.unwrap());
            }
        })
    });
    group.bench_function("serde-json-value-parse-only", |b| {
        b.iter(|| {
            for line in black_box(&ndjson[..]).split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                black_box(serde_json::from_slice::<Value>(line).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
