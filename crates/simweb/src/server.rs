//! The loopback HTTP server: one port, dispatch by `Host`. It owns sockets and HTTP framing
//! only (with gzip for the sites that compress, when the client accepts it); what a URL returns is `World::response_as` (given the User-Agent and Referer), or,
//! for the hostile hosts, `hostile.rs` (whose bodies may be streamed, stalled or cut).

use crate::hostile::{boxed_full, ServerBody};
use crate::World;
use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

/// Serves `world` on `listener` until the future is dropped (or its task aborted). Connections
/// live in a `JoinSet` owned by this future, so dropping it closes them too.
pub async fn serve(world: Arc<World>, listener: TcpListener) -> std::io::Result<()> {
    let mut conns = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors and the like: transient, keep serving.
                tracing::warn!(error = %e, "simweb accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let world = world.clone();
        conns.spawn(async move {
            let svc = service_fn(move |req| {
                let world = world.clone();
                async move { Ok::<_, Infallible>(handle(&world, req).await) }
            });
            if let Err(e) = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc)
                .await
            {
                tracing::debug!(error = %e, "simweb connection ended");
            }
        });
    }
}

fn simple(status: StatusCode, body: &'static str) -> Response<ServerBody> {
    let mut r = Response::new(boxed_full(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CONTENT_LENGTH,
        header::HeaderValue::from(body.len()),
    );
    r
}

async fn handle(world: &World, req: Request<Incoming>) -> Response<ServerBody> {
    let head = req.method() == http::Method::HEAD;
    if req.method() != http::Method::GET && !head {
        return simple(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    let Some(host) = host else {
        return simple(StatusCode::BAD_REQUEST, "missing Host header\n");
    };
    let pq = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let header_str = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    if let Some(hostile) = &world.hostile {
        let path = pq
            .split(['?', '#'])
            .next()
            .filter(|p| !p.is_empty())
            .unwrap_or("/");
        let query = pq
            .split('#')
            .next()
            .and_then(|p| p.split_once('?'))
            .map_or("", |(_, q)| q);
        if let Some(r) = hostile
            .respond(&crate::normalise_host(&host), path, query)
            .await
        {
            return r;
        }
    }
    let (ua, referer) = (header_str(header::USER_AGENT), header_str(header::REFERER));
    let Some(sr) = world.response_as(&host, pq, ua.as_deref(), referer.as_deref()) else {
        return simple(StatusCode::NOT_FOUND, "unknown host\n");
    };
    let gzip = sr.gzip && header_str(header::ACCEPT_ENCODING).is_some_and(|v| accepts_gzip(&v));
    let sent = if gzip { gzip_bytes(&sr.body) } else { sr.body };
    let len = sent.len();
    let body = if head {
        Bytes::new()
    } else {
        Bytes::from(sent)
    };
    let mut r = Response::new(boxed_full(body));
    *r.status_mut() = StatusCode::from_u16(sr.status).unwrap_or(StatusCode::OK);
    let h = r.headers_mut();
    if let Ok(v) = header::HeaderValue::from_str(&sr.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, header::HeaderValue::from(len));
    if sr.gzip {
        h.insert(
            header::VARY,
            header::HeaderValue::from_static("Accept-Encoding"),
        );
    }
    if gzip {
        h.insert(
            header::CONTENT_ENCODING,
            header::HeaderValue::from_static("gzip"),
        );
    }
    for (k, v) in sr.headers {
        if let (Ok(k), Ok(v)) = (
            header::HeaderName::from_bytes(k.as_bytes()),
            header::HeaderValue::from_str(&v),
        ) {
            h.insert(k, v);
        }
    }
    r
}

/// Whether an `Accept-Encoding` value allows gzip: `gzip`, `x-gzip` or `*` with a non-zero
/// `q` (RFC 9110 §12.5.3).
fn accepts_gzip(value: &str) -> bool {
    value.split(',').any(|item| {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or_default().trim();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        ["gzip", "x-gzip", "*"]
            .iter()
            .any(|c| coding.eq_ignore_ascii_case(c))
            && !refused
    })
}

fn gzip_bytes(body: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body).expect("writing to memory");
    gz.finish().expect("writing to memory")
}

/// A server running in a background task; stops when dropped or shut down.
pub struct Running {
    /// The bound address (useful with port 0).
    pub addr: SocketAddr,
    handle: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops the server and waits until its task (and every connection) has ended.
    pub async fn shutdown(mut self) {
        self.handle.abort();
        let _ = (&mut self.handle).await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// Binds `addr` (use port 0 for any) and serves `world` in a background task.
pub async fn start(world: Arc<World>, addr: SocketAddr) -> std::io::Result<Running> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let handle = tokio::spawn(serve(world, listener));
    Ok(Running { addr, handle })
}

#[cfg(test)]
mod tests {
    use super::accepts_gzip;

    #[test]
    fn accept_encoding() {
        for yes in [
            "gzip",
            "GZIP",
            "deflate, gzip;q=0.5",
            "x-gzip",
            "*",
            "br, * ;q=0.1",
        ] {
            assert!(accepts_gzip(yes), "{yes}");
        }
        for no in [
            "",
            "identity",
            "deflate, br",
            "gzip;q=0",
            "gzip; q=0.0",
            "gzipx",
        ] {
            assert!(!accepts_gzip(no), "{no}");
        }
    }
}
