//! Test servers: a hyper server with two shops told apart by `Host`, and raw TCP servers for
//! checking bytes on the wire.

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub const GBK_TEXT: &str = "营业执照：食品经营许可证";

/// A request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub host: String,
    pub path: String,
}

pub struct ShopServer {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub connections: Arc<AtomicUsize>,
}

impl ShopServer {
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
    /// `--resolve`-style entry sending `host` on port 80 to this server.
    pub fn entry(&self, host: &str) -> String {
        format!("{host}:80:{}", self.addr)
    }
}

pub async fn start_shops() -> ShopServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let connections = Arc::new(AtomicUsize::new(0));
    let (s, c) = (seen.clone(), connections.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            c.fetch_add(1, Ordering::SeqCst);
            let s = s.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let s = s.clone();
                    async move { Ok::<_, Infallible>(route(req, &s)) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    ShopServer {
        addr,
        seen,
        connections,
    }
}

fn html(body: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .header("content-type", "text/html; charset=utf-8")
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap()
}

fn status(code: u16) -> Response<Full<Bytes>> {
    Response::builder()
        .status(code)
        .body(Full::new(Bytes::from_static(b"no")))
        .unwrap()
}

fn route(req: Request<Incoming>, seen: &Mutex<Vec<Seen>>) -> Response<Full<Bytes>> {
    let host = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    seen.lock().unwrap().push(Seen {
        host: host.clone(),
        path: path.clone(),
    });
    let gzip_ok = req
        .headers()
        .get("accept-encoding")
        .is_some_and(|v| v.to_str().unwrap_or("").contains("gzip"));
    match (host.as_str(), path.as_str()) {
        ("shop-a.test", "/robots.txt") => Response::builder()
            .header("content-type", "text/plain")
            .body(Full::new(Bytes::from_static(
                b"User-agent: *\nDisallow: /private\n\nUser-agent: otherbot\nDisallow: /\n",
            )))
            .unwrap(),
        ("shop-a.test", "/") => html(
            r##"<html><body>
            <a href="/p1">p1</a> <a href="p2">p2</a> <a href="/private/secret">secret</a>
            <a href="/old">old</a> <a href="/missing">missing</a> <a href="/gbk">gbk</a>
            <a href="/gz">gz</a> <a href="http://elsewhere.test/x">off site</a>
            <a href="mailto:boss@shop-a.test">mail</a> <a href="/p1#reviews">p1 again</a>
            <a href="https://shop-a.test/secure">tls</a>
            </body></html>"##,
        ),
        ("shop-a.test", "/p1") => html(r#"<a href="/p3">p3</a><a href="/">home</a>"#),
        ("shop-a.test", "/p2") => html(r#"<iframe src="/p1"></iframe>"#),
        ("shop-a.test", "/p3") => html(r#"<a href="/p4">deeper</a>"#),
        ("shop-a.test", "/p4") => html("deepest"),
        ("shop-a.test", "/private/secret") => html("must not be fetched"),
        ("shop-a.test", "/old") => Response::builder()
            .status(301)
            .header("location", "/new")
            .body(Full::new(Bytes::new()))
            .unwrap(),
        ("shop-a.test", "/new") => html(r#"<a href="/old">back</a>"#),
        ("shop-a.test", "/gbk") => {
            let page =
                format!("<html><head><meta charset=\"gbk\"></head><body>{GBK_TEXT}</body></html>");
            Response::builder()
                .header("content-type", "text/html")
                .body(Full::new(Bytes::from(
                    encoding_rs::GBK.encode(&page).0.into_owned(),
                )))
                .unwrap()
        }
        ("shop-a.test", "/gz") if gzip_ok => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all("<p>压缩的页面</p>".as_bytes()).unwrap();
            Response::builder()
                .header("content-type", "text/html; charset=utf-8")
                .header("content-encoding", "gzip")
                .body(Full::new(Bytes::from(gz.finish().unwrap())))
                .unwrap()
        }
        ("shop-b.test", "/") => {
            html(r#"<a href="/item/1">1</a><a href="/item/2">2</a><a href="/item/3">3</a>"#)
        }
        ("shop-b.test", p) if p.starts_with("/item/") => {
            let n: u32 = p["/item/".len()..].parse().unwrap_or(0);
            html(&format!(
                r#"<a href="/item/{}">next</a><a href="/item/{}">next</a>"#,
                n + 10,
                n + 20
            ))
        }
        ("shop-b.test", "/shop/7") => html(
            r#"<a href="/shop/7/p">in</a><a href="/shop/70">sibling</a><a href="/shop/8">other</a><a href="/">home</a>"#,
        ),
        ("shop-b.test", "/shop/7/p") => html(r#"<a href="/shop/7">up</a>"#),
        ("shop-b.test", "/big") => html(&"x".repeat(100_000)),
        ("broken.test", "/robots.txt") => status(503),
        _ => status(404),
    }
}

/// A raw HTTP server: answers every request with `response`, records the exact request bytes,
/// and closes the connection after each response when `close_after` is set.
pub struct RawServer {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<Vec<u8>>>>,
    pub connections: Arc<AtomicUsize>,
}

pub async fn start_raw(response: &'static [u8], close_after: bool) -> RawServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let connections = Arc::new(AtomicUsize::new(0));
    let (r, c) = (requests.clone(), connections.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            c.fetch_add(1, Ordering::SeqCst);
            let r = r.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    let mut chunk = [0u8; 4096];
                    let n = match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    buf.extend_from_slice(&chunk[..n]);
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let request: Vec<u8> = buf.drain(..end + 4).collect();
                        r.lock().unwrap().push(request);
                        if response.is_empty() {
                            // Never answer: lets the client time out.
                            continue;
                        }
                        if stream.write_all(response).await.is_err() {
                            return;
                        }
                        if close_after {
                            return;
                        }
                    }
                }
            });
        }
    });
    RawServer {
        addr,
        requests,
        connections,
    }
}

/// An address on which nothing listens (bound, then released).
pub async fn dead_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// One request as seen by a [`FnServer`].
#[derive(Debug, Clone)]
pub struct Hit {
    pub host: String,
    pub path: String,
    pub headers: hyper::HeaderMap,
    pub at: std::time::Instant,
    /// Which connection (0, 1, ...) carried the request.
    pub conn: usize,
}

impl Hit {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

pub type Handler = Arc<dyn Fn(&Hit, usize) -> Response<Full<Bytes>> + Send + Sync>;

/// A hyper server answering with a closure (given the request and how many requests for the
/// same path came before it); records every request, and the largest number of requests
/// being handled at once (each handled request takes `hold` so overlaps are visible).
pub struct FnServer {
    pub addr: SocketAddr,
    pub hits: Arc<Mutex<Vec<Hit>>>,
    pub connections: Arc<AtomicUsize>,
    pub max_in_flight: Arc<AtomicUsize>,
}

impl FnServer {
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
    pub fn paths(&self) -> Vec<String> {
        self.hits().into_iter().map(|h| h.path).collect()
    }
    pub fn count(&self, path: &str) -> usize {
        self.hits().iter().filter(|h| h.path == path).count()
    }
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
    pub fn entry(&self, host: &str) -> String {
        format!("{host}:80:{}", self.addr)
    }
}

pub async fn start_fn(
    hold: std::time::Duration,
    handler: impl Fn(&Hit, usize) -> Response<Full<Bytes>> + Send + Sync + 'static,
) -> FnServer {
    let handler: Handler = Arc::new(handler);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(Mutex::new(Vec::<Hit>::new()));
    let connections = Arc::new(AtomicUsize::new(0));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max_in_flight = Arc::new(AtomicUsize::new(0));
    let (h, c, f, m) = (
        hits.clone(),
        connections.clone(),
        in_flight.clone(),
        max_in_flight.clone(),
    );
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let conn = c.fetch_add(1, Ordering::SeqCst);
            let (h, f, m, handler) = (h.clone(), f.clone(), m.clone(), handler.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let (h, f, m, handler) = (h.clone(), f.clone(), m.clone(), handler.clone());
                    async move {
                        let now = f.fetch_add(1, Ordering::SeqCst) + 1;
                        m.fetch_max(now, Ordering::SeqCst);
                        let hit = Hit {
                            host: req
                                .headers()
                                .get("host")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_owned(),
                            path: req
                                .uri()
                                .path_and_query()
                                .map(|p| p.as_str().to_owned())
                                .unwrap_or_default(),
                            headers: req.headers().clone(),
                            at: std::time::Instant::now(),
                            conn,
                        };
                        let before = {
                            let mut hits = h.lock().unwrap();
                            let n = hits
                                .iter()
                                .filter(|x| x.path == hit.path && x.host == hit.host)
                                .count();
                            hits.push(hit.clone());
                            n
                        };
                        if !hold.is_zero() {
                            tokio::time::sleep(hold).await;
                        }
                        let resp = handler(&hit, before);
                        f.fetch_sub(1, Ordering::SeqCst);
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    FnServer {
        addr,
        hits,
        connections,
        max_in_flight,
    }
}

pub fn respond(
    status: u16,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut r = Response::builder().status(status);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.body(Full::new(body.into())).unwrap()
}

pub fn page(body: impl Into<String>) -> Response<Full<Bytes>> {
    respond(
        200,
        &[("content-type", "text/html; charset=utf-8")],
        body.into(),
    )
}

pub fn not_found() -> Response<Full<Bytes>> {
    respond(404, &[], "not found")
}
