//! `World::generate` with the default settings, and the lookups the
//! assembler makes for every call.

use callfull_model::Crm;
use callfull_world::{World, WorldSettings};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn generate(c: &mut Criterion) {
    let settings = WorldSettings::default_settings();
    c.bench_function("world/generate_default", |b| b.iter(|| World::generate(black_box(&settings), black_box(42))));
    let world = World::generate(&settings, 42);
    let phone = world.contacts[world.contacts.len() - 1].phones[0].clone();
    c.bench_function("world/client_by_number_last_contact", |b| {
        b.iter(|| world.client_by_number(black_box(&phone), Crm::Bitrix24))
    });
    c.bench_function("world/bitrix24_entity", |b| {
        let client = world.client_by_number(&phone, Crm::Bitrix24).expect("a client");
        b.iter(|| world.bitrix24_entity(black_box(client)))
    });
}

criterion_group!(benches, generate);
criterion_main!(benches);
