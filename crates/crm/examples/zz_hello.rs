use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;
use warp::Filter;
use warp::hyper;
#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:18099").await.unwrap();
    let mode = std::env::args().nth(1).unwrap_or_default();
    if mode == "warp" {
        let route = warp::any().map(|| "{\"result\":[]}");
        warp::serve(route).incoming(listener).run().await;
        return;
    }
    loop {
        let (tcp, _) = listener.accept().await.unwrap();
        let h1 = mode == "h1";
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(|_req| async {
                Ok::<_, Infallible>(hyper::Response::new(String::from("{\"result\":[]}")))
            });
            if h1 {
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tcp), svc).await;
            } else {
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tcp), svc)
                    .await;
            }
        });
    }
}
