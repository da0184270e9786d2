//! The fake's own work per request, without HTTP: `router::handle` for the
//! two requests `scripts/bench-serve.sh` sends over the wire. The difference
//! between the two figures is what HTTP (hyper, warp, the kernel) costs.
//!
//! Run: `cargo bench -p callfull-crm --bench router`

use std::sync::Arc;

use callfull_crm::admin::AdjustableClock;
use callfull_crm::bitrix24::{Portal, PortalOptions};
use callfull_crm::{ManualClock, Request, Shared, handle};
use callfull_world::World;
use criterion::{Criterion, criterion_group, criterion_main};

// The allocator `callfull serve` runs with.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn router(c: &mut Criterion) {
    let world = World::from_seed(1);
    let options = PortalOptions { rate_limit: None, ..PortalOptions::default() };
    let clock = Arc::new(AdjustableClock::new(ManualClock::at(1_794_899_703_000_000)));
    let shared = Shared::new(Portal::with_options(world.clone(), options), clock, "http://127.0.0.1:8080");
    let hook = shared.bitrix24.webhook_path();
    let user_get = Request {
        method: "GET".into(),
        path: format!("{hook}user.get.json"),
        query: format!("filter[UF_PHONE_INNER]={}", world.employees[0].extension),
        ..Request::default()
    };
    let register = Request {
        method: "POST".into(),
        path: format!("{hook}telephony.externalcall.register.json"),
        content_type: Some("application/json".into()),
        body: format!(
            r#"{{"USER_PHONE_INNER":"{}","PHONE_NUMBER":"+79990001122","TYPE":2,"EXTERNAL_CALL_ID":"bench.1"}}"#,
            world.employees[0].extension
        )
        .into(),
        ..Request::default()
    };
    let shared = shared.with_amocrm_options(callfull_crm::amocrm::AccountOptions {
        rate_limit: None,
        ..callfull_crm::amocrm::AccountOptions::default()
    });
    let bearer = Some(format!("Bearer {}", shared.amocrm.long_lived_token()));
    let phone: String = world.contacts[0].phones[0].chars().filter(char::is_ascii_digit).collect();
    let contacts_query = Request {
        method: "GET".into(),
        path: "/api/v4/contacts".into(),
        query: format!("query={phone}"),
        authorization: bearer.clone(),
        ..Request::default()
    };
    let calls = Request {
        method: "POST".into(),
        path: "/api/v4/calls".into(),
        content_type: Some("application/json".into()),
        authorization: bearer,
        body: format!(
            r#"[{{"direction":"inbound","duration":42,"source":"bench","phone":"{phone}","call_status":4}}]"#
        )
        .into(),
        ..Request::default()
    };
    let mut group = c.benchmark_group("router");
    group.bench_function("user.get", |b| b.iter(|| handle(&shared, &user_get)));
    group.bench_function("telephony.externalcall.register", |b| b.iter(|| handle(&shared, &register)));
    group.bench_function("amocrm contacts?query", |b| b.iter(|| handle(&shared, &contacts_query)));
    group.bench_function("amocrm POST calls", |b| b.iter(|| handle(&shared, &calls)));
    group.finish();
}

criterion_group!(benches, router);
criterion_main!(benches);
