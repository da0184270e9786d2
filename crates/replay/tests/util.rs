//! The fake CRM in-process on an ephemeral port, a frozen clock, and helpers.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use callfull_crm::admin::AdjustableClock;
use callfull_crm::amocrm::AccountOptions;
use callfull_crm::bitrix24::{PortalOptions, RateLimit};
use callfull_crm::{CrmServer, ManualClock, ServerOptions};
use callfull_model::{CallFull, CallStage, Crm, Options, validate};
use callfull_replay::{Bitrix24Auth, Http, Replay, RunOptions, Summary, Target};
use callfull_world::World;
use serde_json::Value;

/// 2026-11-17 09:00:00 +03:00, the default world's working day.
pub const T0: i64 = 1_794_895_200_000_000;

pub struct Fake {
    pub server: CrmServer,
    pub clock: Arc<AdjustableClock>,
}

pub async fn fake(seed: u64, rate_limited: bool) -> Fake {
    let clock = Arc::new(AdjustableClock::new(ManualClock::at(T0)));
    let server = callfull_crm::spawn_with(
        World::from_seed(seed),
        "127.0.0.1:0".parse().unwrap(),
        clock.clone(),
        PortalOptions { rate_limit: rate_limited.then(RateLimit::default), ..Default::default() },
        ServerOptions {
            amocrm: AccountOptions { rate_limit: rate_limited.then_some(7), ..Default::default() },
            ..Default::default()
        },
    )
    .await
    .unwrap();
    Fake { server, clock }
}

pub fn target(server: &CrmServer, crm: Crm) -> Target {
    match crm {
        Crm::AmoCrm => Target::AmoCrm { url: server.uri(), token: server.amocrm().long_lived_token().to_owned() },
        _ => Target::Bitrix24(Bitrix24Auth::Webhook(server.bitrix24_webhook_url())),
    }
}

/// A target like `target`, at another base URL (a proxy in front of the fake).
pub fn target_at(server: &CrmServer, crm: Crm, base: &str) -> Target {
    match target(server, crm) {
        Target::Bitrix24(Bitrix24Auth::Webhook(url)) => {
            Target::Bitrix24(Bitrix24Auth::Webhook(url.replacen(&server.uri(), base, 1)))
        }
        Target::AmoCrm { token, .. } => Target::AmoCrm { url: base.to_owned(), token },
        other => other,
    }
}

/// A sleep that records its pauses and returns at once.
pub fn recording_sleep() -> (Arc<Mutex<Vec<Duration>>>, impl Fn(Duration) -> std::future::Ready<()> + Send + Sync) {
    let pauses = Arc::new(Mutex::new(Vec::new()));
    let seen = pauses.clone();
    (pauses, move |d| {
        seen.lock().unwrap().push(d);
        std::future::ready(())
    })
}

pub struct Run {
    pub summary: Summary,
    /// (call index, stage, call_full) in the order handed over.
    pub stages: Vec<(u64, CallStage, CallFull)>,
}

pub async fn replay(world: &World, target: Target, http: Http, seed: u64, count: u64) -> Run {
    let options = RunOptions { seed, scenarios: callfull_gen::CATALOG.iter().collect(), count, first: 0 };
    let mut stages = Vec::new();
    let summary = Replay::new(world, target, http)
        .run(&options, |i, stage, cf| stages.push((i, stage, cf.clone())))
        .await
        .unwrap();
    Run { summary, stages }
}

/// Every payload passes strict validation for `crm`.
pub fn assert_valid(run: &Run, crm: Crm) {
    for (i, stage, cf) in &run.stages {
        let payload = serde_json::json!({"call_full": cf, "call_stage": stage});
        let report = validate(&payload, &Options { crm, strict: true });
        assert!(report.findings.is_empty(), "call {i} {stage:?}: {:#?}\n{payload:#}", report.findings);
    }
}

/// GET a path on the fake (the admin API), as JSON.
pub async fn admin(server: &CrmServer, path: &str) -> Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8(response).unwrap();
    let (_, body) = text.split_once("\r\n\r\n").unwrap();
    serde_json::from_str(body).unwrap()
}

pub async fn admin_post(server: &CrmServer, path: &str, body: &Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let body = body.to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8(response).unwrap();
    assert!(text.starts_with("HTTP/1.1 2"), "{text}");
}
