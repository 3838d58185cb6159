//! The loopback HTTP/1.1 servers of `serve` and `studio`: one accept loop, one connection task
//! each, keep-alive, and TCP_NODELAY.

use hyper::body::{Body, Incoming};
use std::future::Future;
use tokio::net::TcpListener;
use wasmtime_wasi_http::io::TokioIo;

/// Serves HTTP/1.1 on `listener` until the task is dropped, each request answered by `answer`.
pub async fn serve<F, Fut, B>(listener: TcpListener, answer: F) -> anyhow::Result<()>
where
    F: Fn(hyper::Request<Incoming>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = hyper::Response<B>> + Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    loop {
        let (stream, _) = listener.accept().await?;
        // Without it a body written in several pieces waits for the client's delayed ACK
        // (about 40 ms for the manifest).
        stream.set_nodelay(true)?;
        let answer = answer.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let response = answer(request);
                async move { Ok::<_, std::convert::Infallible>(response.await) }
            });
            // A client that goes away mid-request is not the server's error.
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
