//! Every scenario replayed against the in-process fake, for both CRMs: the
//! fake's journal of that traffic passes verify with no breach at all.

use std::sync::Arc;

use callfull_crm::admin::AdjustableClock;
use callfull_crm::amocrm::AccountOptions;
use callfull_crm::bitrix24::PortalOptions;
use callfull_crm::{CrmServer, ManualClock, ServerOptions};
use callfull_replay::{AmoSettings, Bitrix24Auth, Http, Replay, RunOptions, Target};
use callfull_verify::{CrmKind, Journal, Options, SeededPhones, verify};
use callfull_world::World;

const SEED: u64 = 7;
/// 2026-11-17 09:00:00 +03:00, the default world's working day.
const T0: i64 = 1_794_895_200_000_000;

async fn fake() -> CrmServer {
    let clock = Arc::new(AdjustableClock::new(ManualClock::at(T0)));
    callfull_crm::spawn_with(
        World::from_seed(SEED),
        "127.0.0.1:0".parse().unwrap(),
        clock,
        PortalOptions { rate_limit: None, ..Default::default() },
        ServerOptions { amocrm: AccountOptions { rate_limit: None, ..Default::default() }, ..Default::default() },
    )
    .await
    .unwrap()
}

/// `GET /_admin/journal`, as bytes.
async fn journal(server: &CrmServer) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(b"GET /_admin/journal HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let at = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    response[at + 4..].to_vec()
}

async fn replay(server: &CrmServer, target: Target, amo: AmoSettings) {
    let world = World::from_seed(SEED);
    let options = RunOptions {
        seed: SEED,
        scenarios: callfull_gen::CATALOG.iter().collect(),
        count: callfull_gen::CATALOG.len() as u64,
        first: 0,
    };
    // Rate limits are off; should one still answer, no test waits for real.
    let http = Http::builder().sleep(|_| std::future::ready(())).build().unwrap();
    let summary = Replay::new(&world, target, http).amocrm_settings(amo).run(&options, |_, _, _| {}).await.unwrap();
    assert!(summary.is_ok(), "{summary}");
    let _ = server;
}

fn check(bytes: &[u8], crm: CrmKind) {
    let journal = Journal::parse(bytes).unwrap();
    let options = Options { crm: Some(crm), seeded: Some(SeededPhones::from_world(&World::from_seed(SEED))) };
    let report = verify(&journal, &options);
    assert!(report.requests() > 30, "{crm:?}: {} requests", report.requests());
    assert!(report.breaches.is_empty(), "{crm:?}: {:#?}", report.breaches);
    // Without the world, the journal's own searches say which phones exist.
    let report = verify(&journal, &Options { crm: Some(crm), seeded: None });
    assert!(report.breaches.is_empty(), "{crm:?} without the world: {:#?}", report.breaches);
}

#[tokio::test]
async fn a_bitrix24_replay_of_every_scenario_breaks_nothing() {
    // Arrange
    let server = fake().await;
    let target = Target::Bitrix24(Bitrix24Auth::Webhook(server.bitrix24_webhook_url()));
    // Act
    replay(&server, target, AmoSettings::default()).await;
    // Assert
    let bytes = journal(&server).await;
    check(&bytes, CrmKind::Bitrix24);
    let text = String::from_utf8_lossy(&bytes);
    for method in ["register", "show", "hide", "finish", "attachrecord"] {
        assert!(text.contains(&format!("telephony.externalcall.{method}")), "the replay made {method}");
    }
}

#[tokio::test]
async fn an_amocrm_replay_of_every_scenario_breaks_nothing_in_each_mode() {
    let modes = [
        AmoSettings::default(),
        AmoSettings { create_contact: false, ..AmoSettings::default() },
        AmoSettings { unsorted_for_missed: false, create_lead: false, ..AmoSettings::default() },
    ];
    let mut saw_unsorted = false;
    for amo in modes {
        let server = fake().await;
        let target = Target::AmoCrm { url: server.uri(), token: server.amocrm().long_lived_token().to_owned() };
        replay(&server, target, amo).await;
        let bytes = journal(&server).await;
        check(&bytes, CrmKind::Amocrm);
        saw_unsorted |= String::from_utf8_lossy(&bytes).contains("POST /leads/unsorted/sip");
    }
    assert!(saw_unsorted, "some mode sent unsorted SIP entries");
}
