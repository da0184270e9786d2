//! The peer for `scripts/bench-serve.sh`: a `wiremock::MockServer` serving one
//! canned Bitrix24 `user.get` answer (what people write by hand today), on
//! the port given, until killed.
//!
//! Run: `cargo run --release -p callfull-crm --example wiremock_peer -- PORT BODY_FILE`

use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let body = args.next().map(|f| std::fs::read(f).unwrap_or_default()).unwrap_or_else(|| b"{\"result\":[]}".to_vec());
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind");
    let server = MockServer::builder().listener(listener).start().await;
    Mock::given(method("GET"))
        .and(path_regex(r"/rest/.*user\.get"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json; charset=utf-8"))
        .mount(&server)
        .await;
    println!("{}", server.uri());
    std::future::pending::<()>().await;
}
