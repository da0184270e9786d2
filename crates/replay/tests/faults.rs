//! A proxy in front of the fake that breaks one chosen request (garbage,
//! a reset connection, no answer): the failing request is reported, the
//! call stops, the next calls go on.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use callfull_model::Crm;
use callfull_replay::{Http, ReplayError};
use callfull_world::World;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};

use crate::util::*;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Break {
    Garbage,
    Reset,
    Hang,
}

/// Starts a proxy to `upstream` that breaks the first request whose path
/// contains `needle`; returns its base URL.
async fn proxy(upstream: String, needle: &'static str, how: Break) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let (upstream, hits, client) = (upstream.clone(), hits.clone(), client.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let (upstream, hits, client) = (upstream.clone(), hits.clone(), client.clone());
                    async move {
                        let path = req.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default();
                        if path.contains(needle) && hits.fetch_add(1, Ordering::SeqCst) == 0 {
                            match how {
                                Break::Garbage => {
                                    return Ok(hyper::Response::builder()
                                        .status(200)
                                        .body(Full::new(Bytes::from_static(b"<html>502 Bad Gateway</html>")))
                                        .unwrap());
                                }
                                Break::Reset => return Err("reset"),
                                Break::Hang => std::future::pending::<()>().await,
                            }
                        }
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        let mut forward =
                            hyper::Request::builder().method(parts.method).uri(format!("{upstream}{path}"));
                        for (name, value) in &parts.headers {
                            forward = forward.header(name, value);
                        }
                        let response = client.request(forward.body(Full::new(body)).unwrap()).await.unwrap();
                        let (parts, body) = response.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        Ok::<_, &str>(hyper::Response::from_parts(parts, Full::new(body)))
                    }
                });
                let _ =
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    let _: Option<Infallible> = None;
    format!("http://{addr}")
}

async fn broken_run(crm: Crm, needle: &'static str, how: Break) -> Run {
    let fake = fake(7, false).await;
    let world = World::from_seed(7);
    let base = proxy(fake.server.uri(), needle, how).await;
    let http = Http::builder().timeout(Duration::from_millis(300)).build().unwrap();
    let run = replay(&world, target_at(&fake.server, crm, &base), http, 7, 4).await;
    drop(fake);
    run
}

fn the_only_failure(run: &Run) -> &ReplayError {
    assert_eq!(run.summary.failures.len(), 1, "{}", run.summary);
    assert_eq!(run.summary.ok, run.summary.calls - 1, "{}", run.summary);
    assert!(!run.summary.is_ok());
    &run.summary.failures[0].error
}

#[tokio::test]
async fn a_garbage_answer_names_the_request_and_the_next_call_goes_on() {
    let run = broken_run(Crm::Bitrix24, "telephony.externalcall.register", Break::Garbage).await;
    let error = the_only_failure(&run);
    assert!(matches!(error, ReplayError::Garbage { status: 200, .. }), "{error}");
    assert_eq!(error.request(), "POST telephony.externalcall.register");
    assert!(error.to_string().contains("not a JSON object"), "{error}");
    assert!(
        run.summary.to_string().contains("call 0 (incoming_answered): POST telephony.externalcall.register"),
        "{}",
        run.summary
    );
    assert!(run.stages.iter().any(|(i, _, _)| *i == 3), "later calls were replayed");
}

#[tokio::test]
async fn a_reset_connection_names_the_request_and_the_next_call_goes_on() {
    let run = broken_run(Crm::AmoCrm, "/api/v4/calls", Break::Reset).await;
    let error = the_only_failure(&run);
    assert!(matches!(error, ReplayError::Transport { .. }), "{error}");
    assert_eq!(error.request(), "POST /api/v4/calls");
}

#[tokio::test]
async fn no_answer_times_out_names_the_request_and_the_next_call_goes_on() {
    let run = broken_run(Crm::Bitrix24, "crm.duplicate.findbycomm", Break::Hang).await;
    let error = the_only_failure(&run);
    assert!(matches!(error, ReplayError::Timeout { .. }), "{error}");
    assert_eq!(error.to_string(), "POST crm.duplicate.findbycomm: no answer within 300 ms");
}

#[tokio::test]
async fn an_unreachable_crm_stops_the_run_before_any_call() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let world = World::from_seed(7);
    let target = callfull_replay::Target::AmoCrm { url: format!("http://{addr}"), token: "t".into() };
    let run = replay(&world, target, Http::builder().build().unwrap(), 7, 3).await;
    assert!(matches!(run.summary.setup, Some(ReplayError::Transport { .. })), "{}", run.summary);
    assert_eq!(run.summary.calls, 0);
    assert!(
        run.summary.to_string().contains("could not start: GET /api/v4/users: connection failed"),
        "{}",
        run.summary
    );
}

#[tokio::test]
async fn a_crm_error_is_reported_in_its_own_words() {
    let fake = fake(7, false).await;
    admin_post(
        &fake.server,
        "/_admin/faults",
        &serde_json::json!({"method": "telephony.externalcall.finish", "status": 500, "error": "INTERNAL_SERVER_ERROR", "description": "boom", "times": 1}),
    )
    .await;
    let world = World::from_seed(7);
    let run = replay(&world, target(&fake.server, Crm::Bitrix24), Http::builder().build().unwrap(), 7, 3).await;
    let error = the_only_failure(&run);
    assert_eq!(error.to_string(), "POST telephony.externalcall.finish: HTTP 500 INTERNAL_SERVER_ERROR: boom");
}
