use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

/// Kills the server when the test ends, whatever happens.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_prints_its_urls_and_answers_the_webhook() {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_callfull"))
            .args(["serve", "--port", "0", "--seed", "3"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    assert!(banner.starts_with("callfull: fake Bitrix24 on http://127.0.0.1:"), "{banner}");
    let webhook = lines.next().unwrap().unwrap();
    let url = webhook.trim().strip_prefix("webhook:").unwrap().trim().to_owned();
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();

    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(stream, "GET /{path}user.get.json HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"total\":20"), "{response}");
}

#[test]
fn serve_tls_prints_https_urls_and_writes_the_ca_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_callfull"))
            .args(["serve", "--port", "0", "--seed", "3", "--tls", "--tls-ca"])
            .arg(&ca)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // The reader stays open to the end: `serve` stops when its stdout closes.
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let lines: Vec<String> = stdout.by_ref().take(5).map(Result::unwrap).collect();
    assert!(lines[0].starts_with("callfull: fake Bitrix24 on https://127.0.0.1:"), "{lines:?}");
    assert!(lines[1].trim().strip_prefix("webhook:").unwrap().trim().starts_with("https://127.0.0.1:"), "{lines:?}");
    let ca = ca.display().to_string();
    assert_eq!(lines[4], format!("  CA:       {ca}  (REQUESTS_CA_BUNDLE={ca} SSL_CERT_FILE={ca})"));
    let pem = std::fs::read_to_string(&ca).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");

    // Plain http on that port is told to use https.
    let port = lines[0].split("127.0.0.1:").nth(1).unwrap().split(' ').next().unwrap().to_owned();
    let mut stream = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    write!(stream, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
}

#[test]
fn serve_tls_ca_needs_tls() {
    let output = Command::new(env!("CARGO_BIN_EXE_callfull"))
        .args(["serve", "--port", "0", "--tls-ca", "ca.pem"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("--tls"), "{output:?}");
}

/// One request over a fresh connection; the raw answer.
fn exchange(host: &str, request: &str) -> String {
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn serve_flags_switch_to_the_documented_answers() {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_callfull"))
            .args(["serve", "--port", "0", "--b24-telephony-app-only", "--b24-telephony-error-code", "ERROR_CORE"])
            .args(["--b24-wrong-webhook-status", "403", "--admin-token", "t0ken"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let lines: Vec<String> = stdout.by_ref().take(5).map(Result::unwrap).collect();
    assert!(lines[4].starts_with("  oauth:    client_id "), "{lines:?}");
    let url = lines[1].trim().strip_prefix("webhook:").unwrap().trim().to_owned();
    let token = lines[2].trim().strip_prefix("token:").unwrap().split_whitespace().next().unwrap().to_owned();
    let (host, path) = url.strip_prefix("http://").unwrap().split_once('/').unwrap();
    let post = |path: &str, body: &str| {
        exchange(
            host,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
    };
    let register = r#"{"USER_PHONE_INNER": "101", "PHONE_NUMBER": "+79990001122", "TYPE": 2}"#;
    let by_webhook = post(&format!("/{path}telephony.externalcall.register"), register);
    assert!(by_webhook.starts_with("HTTP/1.1 403") && by_webhook.contains("WRONG_AUTH_TYPE"), "{by_webhook}");
    let invalid = post(&format!("/rest/telephony.externalcall.register?auth={token}"), r#"{"TYPE": 2}"#);
    assert!(invalid.starts_with("HTTP/1.1 400") && invalid.contains(r#""error":"ERROR_CORE""#), "{invalid}");
    let user = path.split('/').nth(1).unwrap();
    let wrong = post(&format!("/rest/{user}/wrongcode/user.current"), "{}");
    assert!(wrong.starts_with("HTTP/1.1 403") && wrong.contains("INVALID_CREDENTIALS"), "{wrong}");
    let admin = exchange(host, &format!("GET /_admin/info HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"));
    assert!(admin.starts_with("HTTP/1.1 200"), "loopback needs no token: {admin}");
}

#[test]
fn serve_crm_chooses_which_fake_answers() {
    let start = |crm: &str| {
        let mut child = Child(
            Command::new(env!("CARGO_BIN_EXE_callfull"))
                .args(["serve", "--port", "0", "--no-rate-limit", "--crm", crm])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let stdout = BufReader::new(child.0.stdout.take().unwrap());
        (child, stdout)
    };
    let (_amo_child, mut stdout) = start("amocrm");
    let lines: Vec<String> = stdout.by_ref().lines().take(3).map(Result::unwrap).collect();
    assert!(lines[0].starts_with("callfull: fake amoCRM on http://127.0.0.1:"), "{lines:?}");
    let api = lines[2].trim().strip_prefix("amoCRM:").unwrap().trim().to_owned();
    let (base, rest) = api.split_once("  (Authorization: Bearer ").unwrap();
    let token = rest.trim_end_matches(')');
    let host = base.strip_prefix("http://").unwrap().split('/').next().unwrap();
    let get = |path: &str, auth: &str| {
        exchange(
            host,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {auth}\r\nConnection: close\r\n\r\n"
            ),
        )
    };
    let account = get("/api/v4/account", token);
    assert!(account.starts_with("HTTP/1.1 200") && account.contains("application/hal+json"), "{account}");
    let bitrix = get("/rest/user.current", token);
    assert!(bitrix.starts_with("HTTP/1.1 404"), "no Bitrix24 with --crm amocrm: {bitrix}");

    let (_b24_child, mut stdout) = start("bitrix24");
    let lines: Vec<String> = stdout.by_ref().lines().take(4).map(Result::unwrap).collect();
    let host = lines[0].split("http://").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    let amo = exchange(&host, &format!("GET /api/v4/account HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"));
    assert!(amo.starts_with("HTTP/1.1 404"), "no amoCRM with --crm bitrix24: {amo}");
    assert!(lines.iter().all(|l| !l.contains("amoCRM")), "{lines:?}");
}
