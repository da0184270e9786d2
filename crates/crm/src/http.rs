//! The server's connections: an accept loop (plain, or TLS with the
//! certificate of [`crate::tls`]) handing each request to
//! [`router::handle`](crate::router::handle) through hyper directly. The
//! warp filter of [`crate::routes`] answers the same way through the same
//! router; serving without it saves its per-request filter chain.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::bitrix24::B24Error;
use crate::router::{self, MAX_BODY, Request, Response};
use crate::server::Shared;

/// Serves `shared` on `listener` (over TLS when `tls` is given) until
/// `shutdown` completes, then stops accepting and lets the open connections
/// finish. A client that never completes a TLS handshake only loses its own
/// connection.
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Shared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        // Taken before any handshake, so shutting down waits for (and then
        // gracefully closes) a connection still shaking hands.
        let watcher = graceful.watcher();
        let (tls, shared) = (tls.clone(), shared.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(answer(&shared, Some(peer), request).await) }
            });
            let builder = auto::Builder::new(TokioExecutor::new());
            // Client resets and broken pipes end here; nothing to do.
            match tls {
                None => {
                    let _ = watcher.watch(builder.serve_connection(TokioIo::new(tcp), service)).await;
                }
                Some(acceptor) => {
                    let Some(stream) = crate::tls::handshake(&acceptor, tcp).await else { return };
                    let _ = watcher.watch(builder.serve_connection(TokioIo::new(stream), service)).await;
                }
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// As `warp::serve` does: connection errors surfacing at accept are ignored;
/// others (out of file descriptors) wait a moment before the next accept.
async fn accept_error(e: io::Error) {
    if !matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    ) {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// One request: read (at most [`MAX_BODY`] bytes), answered by the router,
/// its event deliveries started, its injected latency waited out.
async fn answer(
    shared: &Shared,
    peer: Option<SocketAddr>,
    request: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let declared = parts.headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY) {
        return reply(router::too_large(parts.uri.path()));
    }
    let body = match Limited::new(body, MAX_BODY as usize).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return reply(router::too_large(parts.uri.path())),
        Err(e) => {
            return reply(Response::error(&B24Error::invalid_request(format!("cannot read the request body: {e}"))));
        }
    };
    let mut unreadable = None;
    let mut header = |name: &str| match parts.headers.get(name).map(HeaderValue::to_str) {
        None => None,
        Some(Ok(value)) => Some(value.to_owned()),
        Some(Err(_)) => {
            unreadable = Some(name.to_owned());
            None
        }
    };
    let request = Request {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        content_type: header(CONTENT_TYPE.as_str()),
        authorization: header("authorization"),
        admin_token: header(router::ADMIN_TOKEN_HEADER),
        remote: peer,
        body,
    };
    if let Some(name) = unreadable {
        let e = B24Error::invalid_request(format!("the {name} header is not visible ASCII"));
        return reply(Response::error(&e));
    }
    reply(router::serve_one(shared, &request).await)
}

fn reply(response: Response) -> hyper::Response<Full<Bytes>> {
    let mut reply = hyper::Response::new(Full::new(Bytes::from(response.body)));
    *reply.status_mut() =
        hyper::StatusCode::from_u16(response.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = reply.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(response.content_type));
    headers.insert("x-powered-by", HeaderValue::from_static("callfull"));
    reply
}
