//! Posts event deliveries to their handlers, as Bitrix24's queue server does:
//! one attempt, no retries, the outcome kept in the journal (method
//! `event:NAME`, the handler's HTTP status, or 0 with the reason when it
//! could not be reached). Plain `http://` handlers only: the fake does not
//! carry a TLS client.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::admin::{Entry, Journal};
use crate::bitrix24::events::Delivery;

/// How long a handler may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Posts every delivery in the background and journals each outcome.
pub fn spawn_all(deliveries: Vec<Delivery>, journal: std::sync::Arc<Journal>, now_micros: i64) {
    for delivery in deliveries {
        let journal = journal.clone();
        tokio::spawn(async move {
            let outcome = tokio::time::timeout(TIMEOUT, post(&delivery.handler, &delivery.body)).await;
            let (status, error) = match outcome {
                Ok(Ok(status)) => (status, None),
                Ok(Err(e)) => (0, Some(e)),
                Err(_) => (0, Some(format!("no answer within {} s", TIMEOUT.as_secs()))),
            };
            journal.push(Entry {
                seq: 0,
                time_micros: now_micros,
                crm: "bitrix24",
                method: format!("event:{}", delivery.event),
                auth: "outgoing",
                params: json!({ "handler": delivery.handler, "body": delivery.body }),
                status,
                error,
                result: None,
            });
        });
    }
}

/// One form POST over HTTP/1.1; the handler's status code.
async fn post(url: &str, body: &str) -> Result<u16, String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| format!("{url}: only http:// handlers are reached"))?;
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
    let address = if authority.contains(':') { authority.to_owned() } else { format!("{authority}:80") };
    let mut stream = tokio::net::TcpStream::connect(&address).await.map_err(|e| format!("{address}: {e}"))?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nUser-Agent: Bitrix24 Webhook Engine\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 8192 {
        let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    line.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("{url}: not an HTTP answer"))
}
