//! The evidence browser's only way to the network: an HTTP proxy on loopback that wangjian runs
//! for one browser and that applies the crawler's address policy to everything the browser
//! asks for.
//!
//! Owns the proxy's listener and its connections (plain `http` requests in absolute form are
//! forwarded one by one, `CONNECT` opens a tunnel that must carry TLS), the address check of
//! every host — through `resolve` ([`crate::resolve`]), the same function and the same
//! `--resolve` map the crawler uses, so a `.test` host reaches simweb on loopback only because
//! the operator mapped it — and the list of what was refused ([`Refused`]). Every sub-resource
//! and every redirect is a request of its own, so each is checked. WebSocket upgrades, other
//! schemes and tunnels that do not start a TLS handshake are refused.
//!
//! It must not decide policy (that is `resolve`'s) nor write evidence: the caller reads the
//! refusals and records them. It runs on a thread of its own with a current-thread runtime,
//! so the blocking browser driver can use it from anywhere; dropping the [`Proxy`] stops it
//! and closes every connection.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::FetchError;
use crate::resolve::{self, ResolveMap};

/// At most this many refusals are kept (a page that asks a million times is cut there).
pub const MAX_REFUSALS_KEPT: usize = 256;

/// Where the browser may go: the crawler's `--resolve` map and its `allow_private` switch; or
/// nowhere at all.
#[derive(Debug, Clone)]
pub(crate) enum Policy {
    /// The crawler's policy (see [`crate::resolve`]).
    Crawler {
        map: ResolveMap,
        allow_private: bool,
    },
    /// Every request is refused (a printed document fetches nothing).
    Offline,
}

/// One request the proxy refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The host as the browser asked for it (`[::1]` for an IPv6 literal).
    pub host: String,
    pub port: u16,
    /// The address the host resolved to, when it did.
    pub addr: Option<IpAddr>,
    pub reason: Refusal,
}

impl std::fmt::Display for Refused {
    /// `HOST:PORT ADDRESS CODE`, e.g. `localhost:80 127.0.0.1 non-public-address (loopback)`;
    /// `-` for no address. One line, as a WARC metadata field takes it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{} ", self.host, self.port)?;
        match self.addr {
            Some(a) => write!(f, "{a} ")?,
            None => write!(f, "- ")?,
        }
        write!(f, "{}", self.reason.code())?;
        if let Refusal::Address { class } = self.reason {
            write!(f, " ({class})")?;
        }
        Ok(())
    }
}

/// Why the proxy refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The address is not public and not allow-listed; its class (`loopback`, `private`…).
    Address { class: &'static str },
    /// The host did not resolve (not mapped, no DNS answer).
    Unresolvable,
    /// Not a plain `http` request nor a TLS tunnel: a WebSocket, another scheme, a tunnel that
    /// does not start with a TLS handshake.
    Protocol,
    /// Nothing may be fetched at all (printing).
    Offline,
}

impl Refusal {
    /// A stable code.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Address { .. } => "non-public-address",
            Refusal::Unresolvable => "unresolvable",
            Refusal::Protocol => "protocol",
            Refusal::Offline => "offline",
        }
    }
}

/// How long connecting to a server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

type ProxyBody = BoxBody<Bytes, hyper::Error>;

struct State {
    policy: Policy,
    refused: Mutex<Vec<Refused>>,
}

impl State {
    fn refuse(&self, r: Refused) {
        let mut list = self.refused.lock().expect("refusals lock");
        if list.len() < MAX_REFUSALS_KEPT && !list.contains(&r) {
            list.push(r);
        }
    }

    /// The address to connect to for `host:port`, or the refusal (recorded).
    async fn check(&self, host: &str, port: u16) -> Result<SocketAddr, ()> {
        let refused = |addr, reason| Refused {
            host: host.to_ascii_lowercase(),
            port,
            addr,
            reason,
        };
        let (map, allow_private) = match &self.policy {
            Policy::Crawler { map, allow_private } => (map, *allow_private),
            Policy::Offline => {
                self.refuse(refused(None, Refusal::Offline));
                return Err(());
            }
        };
        match resolve::resolve(map, allow_private, host, port).await {
            Ok((addr, _)) => Ok(addr),
            Err(FetchError::RefusedAddress { addr, class }) => {
                self.refuse(refused(Some(addr), Refusal::Address { class }));
                Err(())
            }
            Err(_) => {
                self.refuse(refused(None, Refusal::Unresolvable));
                Err(())
            }
        }
    }
}

/// A running proxy; dropping it stops it.
pub(crate) struct Proxy {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    /// Starts a proxy on `127.0.0.1` (an ephemeral port) applying `policy`.
    pub(crate) fn start(policy: Policy) -> std::io::Result<Proxy> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let state = Arc::new(State {
            policy,
            refused: Mutex::new(Vec::new()),
        });
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = state.clone();
        let thread = std::thread::Builder::new()
            .name("browser-proxy".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    loop {
                        tokio::select! {
                            _ = &mut stopped => break,
                            accepted = listener.accept() => {
                                if let Ok((stream, _)) = accepted {
                                    tokio::spawn(serve(serving.clone(), stream));
                                }
                            }
                        }
                    }
                });
                // Dropping the runtime here ends every connection still open.
            })?;
        Ok(Proxy {
            addr,
            state,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Where the proxy listens.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What was refused so far, in order (duplicates once, at most [`MAX_REFUSALS_KEPT`]).
    pub(crate) fn refused(&self) -> Vec<Refused> {
        self.state.refused.lock().expect("refusals lock").clone()
    }

    /// The refusals so far, leaving none behind (one browser rendering several visits in
    /// turn hands each visit its own).
    pub(crate) fn take_refused(&self) -> Vec<Refused> {
        std::mem::take(&mut *self.state.refused.lock().expect("refusals lock"))
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn serve(state: Arc<State>, stream: TcpStream) {
    let service = service_fn(move |req| {
        let state = state.clone();
        async move { Ok::<_, Infallible>(handle(&state, req).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades()
        .await;
}

fn answer(status: StatusCode) -> Response<ProxyBody> {
    let mut r = Response::new(
        Full::new(Bytes::from_static(b""))
            .map_err(|never| match never {})
            .boxed(),
    );
    *r.status_mut() = status;
    r
}

async fn handle(state: &Arc<State>, req: Request<Incoming>) -> Response<ProxyBody> {
    if req.method() == Method::CONNECT {
        return tunnel(state, req).await;
    }
    let uri = req.uri().clone();
    // A proxy request names its target in absolute form; anything else was not meant for us.
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return answer(StatusCode::BAD_REQUEST);
    };
    let host = authority.host();
    let port = authority
        .port_u16()
        .unwrap_or(if scheme == "https" { 443 } else { 80 });
    if scheme != "http" || req.headers().contains_key(header::UPGRADE) {
        state.refuse(Refused {
            host: host.to_ascii_lowercase(),
            port,
            addr: None,
            reason: Refusal::Protocol,
        });
        return answer(StatusCode::FORBIDDEN);
    }
    let Ok(addr) = state.check(host, port).await else {
        return answer(StatusCode::FORBIDDEN);
    };
    let Ok(Ok(stream)) = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await
    else {
        return answer(StatusCode::BAD_GATEWAY);
    };
    let Ok((mut sender, conn)) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    else {
        return answer(StatusCode::BAD_GATEWAY);
    };
    tokio::spawn(conn);
    let (mut parts, body) = req.into_parts();
    let origin = uri.path_and_query().map_or("/", |pq| pq.as_str());
    parts.uri = match origin.parse() {
        Ok(u) => u,
        Err(_) => return answer(StatusCode::BAD_REQUEST),
    };
    strip_hop_by_hop(&mut parts.headers);
    if !parts.headers.contains_key(header::HOST) {
        if let Ok(v) = HeaderValue::from_str(authority.as_str()) {
            parts.headers.insert(header::HOST, v);
        }
    }
    match sender.send_request(Request::from_parts(parts, body)).await {
        Ok(mut resp) => {
            strip_hop_by_hop(resp.headers_mut());
            resp.map(|b| b.boxed())
        }
        Err(_) => answer(StatusCode::BAD_GATEWAY),
    }
}

/// Headers that concern one connection (RFC 9110 §7.6.1), the proxy's own included.
fn strip_hop_by_hop(h: &mut HeaderMap) {
    let named: Vec<String> = h
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .collect();
    for n in named {
        h.remove(n.as_str());
    }
    for n in [
        "connection",
        "proxy-connection",
        "keep-alive",
        "proxy-authorization",
        "proxy-authenticate",
        "te",
        "trailer",
        "upgrade",
    ] {
        h.remove(n);
    }
}

/// `CONNECT host:port`: the address is checked, the server connected, then bytes are copied
/// both ways once the browser's first byte shows a TLS handshake record.
async fn tunnel(state: &Arc<State>, req: Request<Incoming>) -> Response<ProxyBody> {
    let Some(authority) = req.uri().authority().cloned() else {
        return answer(StatusCode::BAD_REQUEST);
    };
    let host = authority.host().to_string();
    let port = authority.port_u16().unwrap_or(443);
    let Ok(addr) = state.check(&host, port).await else {
        return answer(StatusCode::FORBIDDEN);
    };
    let Ok(Ok(mut server)) = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await
    else {
        return answer(StatusCode::BAD_GATEWAY);
    };
    let state = state.clone();
    tokio::spawn(async move {
        let Ok(upgraded) = hyper::upgrade::on(req).await else {
            return;
        };
        let mut browser = TokioIo::new(upgraded);
        // A TLS record of type handshake (22) opens every TLS connection; a WebSocket or plain
        // HTTP sent through a tunnel starts otherwise.
        let mut first = [0u8; 1];
        if browser.read_exact(&mut first).await.is_err() {
            return;
        }
        if first[0] != 22 {
            state.refuse(Refused {
                host: host.to_ascii_lowercase(),
                port,
                addr: Some(addr.ip()),
                reason: Refusal::Protocol,
            });
            return;
        }
        if server.write_all(&first).await.is_err() {
            return;
        }
        let _ = tokio::io::copy_bidirectional(&mut browser, &mut server).await;
    });
    answer(StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read as _, Write as _};

    /// A server on loopback answering every request with `served`; it keeps each request's
    /// head.
    fn server() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let mut buf = [0u8; 2048];
                let n = conn.read(&mut buf).unwrap_or(0);
                seen.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned());
                let _ = conn.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nserved",
                );
            }
        });
        (addr, heads)
    }

    /// Sends `request` to the proxy and returns its answer (head and a `Content-Length` body)
    /// as text.
    fn ask(proxy: &Proxy, request: &str) -> String {
        let mut c = std::net::TcpStream::connect(proxy.addr()).unwrap();
        c.write_all(request.as_bytes()).unwrap();
        let mut out = Vec::new();
        let mut byte = [0u8; 1];
        while !out.ends_with(b"\r\n\r\n") && c.read(&mut byte).unwrap() == 1 {
            out.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&out).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map_or(0, |n| n.trim().parse().unwrap());
        let mut body = vec![0u8; len];
        c.read_exact(&mut body).unwrap();
        out.extend_from_slice(&body);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn the_proxy_forwards_mapped_hosts_and_refuses_the_rest() {
        let (target, heads) = server();
        let mut map = ResolveMap::new();
        map.parse_entry(&format!("shop.test:80:{target}")).unwrap();
        let proxy = Proxy::start(Policy::Crawler {
            map,
            allow_private: false,
        })
        .unwrap();

        let ok = ask(
            &proxy,
            "GET http://shop.test/a?b HTTP/1.1\r\nHost: shop.test\r\nProxy-Connection: keep-alive\r\n\r\n",
        );
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
        assert!(ok.ends_with("served"), "{ok}");
        {
            let heads = heads.lock().unwrap();
            assert_eq!(heads.len(), 1);
            // Origin form to the server, the proxy's own headers gone.
            assert!(heads[0].starts_with("GET /a?b HTTP/1.1\r\n"), "{heads:?}");
            assert!(
                heads[0]
                    .to_ascii_lowercase()
                    .contains("host: shop.test\r\n"),
                "{heads:?}"
            );
            assert!(
                !heads[0].to_ascii_lowercase().contains("proxy-"),
                "{heads:?}"
            );
        }

        // The same server by its address and another port: loopback, not allow-listed.
        let other = format!("127.0.0.1:{}", target.port() + 1);
        let no = ask(
            &proxy,
            &format!("GET http://{other}/ HTTP/1.1\r\nHost: {other}\r\nConnection: close\r\n\r\n"),
        );
        assert!(no.starts_with("HTTP/1.1 403"), "{no}");
        let no = ask(
            &proxy,
            "CONNECT 169.254.169.254:443 HTTP/1.1\r\nHost: 169.254.169.254:443\r\n\r\n",
        );
        assert!(no.starts_with("HTTP/1.1 403"), "{no}");
        let no = ask(
            &proxy,
            "GET http://shop.test/ws HTTP/1.1\r\nHost: shop.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
        );
        assert!(no.starts_with("HTTP/1.1 403"), "{no}");
        // A tunnel to an allowed host that does not start TLS is cut.
        let mut c = std::net::TcpStream::connect(proxy.addr()).unwrap();
        c.write_all(b"CONNECT shop.test:80 HTTP/1.1\r\nHost: shop.test:80\r\n\r\n")
            .unwrap();
        let mut head = [0u8; 12];
        c.read_exact(&mut head).unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
        c.write_all(b"GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n")
            .unwrap();
        let mut rest = Vec::new();
        let _ = c.read_to_end(&mut rest);
        assert!(!String::from_utf8_lossy(&rest).contains("served"));

        let refused: Vec<String> = proxy.refused().iter().map(|r| r.to_string()).collect();
        assert_eq!(
            refused,
            [
                format!("{other} 127.0.0.1 non-public-address (loopback)"),
                "169.254.169.254:443 169.254.169.254 non-public-address (a cloud metadata address)"
                    .to_string(),
                "shop.test:80 - protocol".to_string(),
                format!("shop.test:80 {} protocol", target.ip()),
            ]
        );
    }

    #[test]
    fn an_offline_proxy_refuses_everything() {
        let proxy = Proxy::start(Policy::Offline).unwrap();
        let no = ask(
            &proxy,
            "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
        );
        assert!(no.starts_with("HTTP/1.1 403"), "{no}");
        assert_eq!(proxy.refused()[0].reason, Refusal::Offline);
    }

    #[test]
    fn a_refusal_is_one_line_with_its_code() {
        let r = Refused {
            host: "localhost".into(),
            port: 80,
            addr: Some("127.0.0.1".parse().unwrap()),
            reason: Refusal::Address { class: "loopback" },
        };
        assert_eq!(
            r.to_string(),
            "localhost:80 127.0.0.1 non-public-address (loopback)"
        );
        let r = Refused {
            host: "nowhere.test".into(),
            port: 443,
            addr: None,
            reason: Refusal::Unresolvable,
        };
        assert_eq!(r.to_string(), "nowhere.test:443 - unresolvable");
    }

    #[test]
    fn hop_by_hop_headers_are_dropped() {
        let mut h = HeaderMap::new();
        h.insert("connection", HeaderValue::from_static("close, x-secret"));
        h.insert("x-secret", HeaderValue::from_static("1"));
        h.insert("proxy-connection", HeaderValue::from_static("keep-alive"));
        h.insert("accept", HeaderValue::from_static("*/*"));
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("accept"));
    }
}
