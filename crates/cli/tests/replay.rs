//! `callfull replay` against a spawned `callfull serve`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::util::callfull;

/// Kills the server when the test ends, whatever happens.
struct Server {
    child: std::process::Child,
    url: String,
    _stdout: Box<dyn std::any::Any>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `callfull serve --port 0` with a frozen clock and no rate limit.
fn serve(seed: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_callfull"))
        .args(["serve", "--port", "0", "--seed", seed, "--no-rate-limit", "--clock-at", "1794895200"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    let url = banner.split(" on ").nth(1).unwrap().split(' ').next().unwrap().to_owned();
    // The reader stays open: `serve` stops when its stdout closes.
    Server { child, url, _stdout: Box::new(lines) }
}

#[test]
fn replay_against_serve_prints_valid_payloads_and_the_same_bytes_twice() {
    let mut outputs = Vec::new();
    for _ in 0..2 {
        let server = serve("42");
        let run = callfull(&["replay", "--crm", "bitrix24", "--url", &server.url, "--seed", "42", "--count", "30"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stderr.contains("replayed 30 calls against bitrix24: 30 ok, 0 failed"), "{}", run.stderr);
        outputs.push(run.stdout);
    }
    assert_eq!(outputs[0], outputs[1], "a fresh serve with the same seed gives the same bytes");
    for line in outputs[0].lines() {
        let payload: serde_json::Value = serde_json::from_str(line).unwrap();
        let report = callfull_model::validate(
            &payload,
            &callfull_model::Options { crm: callfull_model::Crm::Bitrix24, strict: true },
        );
        assert!(report.findings.is_empty(), "{:?}\n{line}", report.findings);
    }
    assert!(outputs[0].contains("\"id\":\"externalCall."), "registrations carry the portal's CALL_ID");
}

#[test]
fn replay_amocrm_with_a_token_and_one_stage() {
    let server = serve("5");
    let info = callfull(&["replay", "--crm", "amocrm", "--url", &server.url, "--seed", "5", "--stage", "call_ended"]);
    assert_eq!(info.code, 0, "{}", info.stderr);
    let lines: Vec<&str> = info.stdout.lines().collect();
    assert_eq!(lines.len(), callfull_gen_count(), "one call_ended per scenario");
    assert!(lines.iter().all(|l| l.ends_with("\"call_stage\":\"call_ended\"}")));
    let wrong = callfull(&["replay", "--crm", "amocrm", "--url", &server.url, "--token", "nope", "--count", "2"]);
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);
    assert!(wrong.stderr.contains("could not start: GET /api/v4/users: HTTP 401 Unauthorized"), "{}", wrong.stderr);
}

fn callfull_gen_count() -> usize {
    callfull(&["scenarios"]).stdout.lines().count()
}

#[test]
fn an_unreachable_crm_exits_1_with_the_reason() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let run = callfull(&["replay", "--url", &url, "--webhook", "/rest/1/x/", "--count", "3"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("could not start: POST user.get: connection failed"), "{}", run.stderr);
    assert!(run.stderr.contains("replayed 0 calls against bitrix24"), "{}", run.stderr);
}

#[test]
fn webhook_and_token_conflict() {
    let run = callfull(&["replay", "--url", "http://x", "--webhook", "/rest/1/x/", "--token", "t"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn a_failed_call_is_reported_the_next_goes_on_and_the_exit_code_is_1() {
    use std::io::{Read, Write};
    let server = serve("42");
    let host = server.url.strip_prefix("http://").unwrap();
    let fault = r#"{"method": "telephony.externalcall.finish", "status": 500, "error": "INTERNAL_SERVER_ERROR", "description": "boom", "times": 1}"#;
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "POST /_admin/faults HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{fault}",
        fault.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 2"), "{answer}");

    let run = callfull(&["replay", "--url", &server.url, "--seed", "42", "--count", "4"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("replayed 4 calls against bitrix24: 3 ok, 1 failed"), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "call 0 (incoming_answered): POST telephony.externalcall.finish: HTTP 500 INTERNAL_SERVER_ERROR: boom"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--first 0 --count 1"), "{}", run.stderr);
    assert!(run.stdout.lines().count() > 4, "the other calls were printed");
}
