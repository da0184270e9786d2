//! Rate limits: Bitrix24's 503 `QUERY_LIMIT_EXCEEDED` and amoCRM's 429 are
//! retried after a pause (injected: no test sleeps), up to the policy's count.

use std::time::Duration;

use callfull_model::Crm;
use callfull_replay::{Http, ReplayError, RetryPolicy};
use callfull_world::World;
use serde_json::json;

use crate::util::*;

#[tokio::test]
async fn bitrix24_503_query_limit_exceeded_is_retried_then_succeeds() {
    let fake = fake(7, false).await;
    admin_post(
        &fake.server,
        "/_admin/faults",
        &json!({"method": "telephony.externalcall.register", "status": 503, "error": "QUERY_LIMIT_EXCEEDED", "description": "Too many requests", "times": 2}),
    )
    .await;
    let (pauses, sleep) = recording_sleep();
    let http = Http::builder().sleep(sleep).build().unwrap();
    let run = replay(&World::from_seed(7), target(&fake.server, Crm::Bitrix24), http, 7, 2).await;
    assert!(run.summary.is_ok(), "{}", run.summary);
    assert_eq!(run.summary.retries, 2);
    assert_eq!(*pauses.lock().unwrap(), vec![Duration::from_millis(500), Duration::from_millis(1000)]);
}

#[tokio::test]
async fn amocrm_429_is_retried_then_succeeds() {
    let fake = fake(7, false).await;
    admin_post(
        &fake.server,
        "/_admin/faults",
        &json!({"method": "POST /calls", "status": 429, "error": "Too Many Requests", "description": "", "times": 3}),
    )
    .await;
    let (pauses, sleep) = recording_sleep();
    let http = Http::builder().sleep(sleep).build().unwrap();
    let run = replay(&World::from_seed(7), target(&fake.server, Crm::AmoCrm), http, 7, 2).await;
    assert!(run.summary.is_ok(), "{}", run.summary);
    assert_eq!(run.summary.retries, 3);
    assert_eq!(pauses.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn past_the_retry_budget_the_call_fails_as_rate_limited() {
    let fake = fake(7, false).await;
    admin_post(
        &fake.server,
        "/_admin/faults",
        &json!({"method": "telephony.externalcall.register", "status": 503, "error": "QUERY_LIMIT_EXCEEDED", "description": "", "times": 3}),
    )
    .await;
    let (_, sleep) = recording_sleep();
    let retry = RetryPolicy { max_retries: 2, ..RetryPolicy::default() };
    let http = Http::builder().sleep(sleep).retry(retry).build().unwrap();
    let run = replay(&World::from_seed(7), target(&fake.server, Crm::Bitrix24), http, 7, 2).await;
    assert_eq!(run.summary.failures.len(), 1, "{}", run.summary);
    let error = &run.summary.failures[0].error;
    assert_eq!(
        *error,
        ReplayError::RateLimited { request: "POST telephony.externalcall.register".into(), status: 503, attempts: 3 }
    );
}

/// With the fake's own limits on, a sleep that moves the fake's clock
/// instead of waiting gets every call through.
#[tokio::test]
async fn the_fakes_real_rate_limits_are_honoured_on_its_clock() {
    for crm in [Crm::Bitrix24, Crm::AmoCrm] {
        let fake = fake(7, true).await;
        let clock = fake.clock.clone();
        let sleep = move |d: Duration| {
            clock.advance(d.as_micros() as i64);
            std::future::ready(())
        };
        let http = Http::builder().sleep(sleep).build().unwrap();
        let run = replay(&World::from_seed(7), target(&fake.server, crm), http, 7, 25).await;
        assert!(run.summary.is_ok(), "{crm:?}: {}", run.summary);
        assert!(run.summary.retries > 0, "{crm:?}: the limit was hit ({})", run.summary);
        assert_valid(&run, crm);
    }
}
