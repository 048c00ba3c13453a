//! One HTTP/1.1 exchange over hyper client connections, recorded as evidence.
//!
//! Owns the [`Exchange`] record, the exact request head we send, the reconstructed response
//! head, the body cap, timeouts, and a small per-crawl connection pool ([`Fetcher`]: one
//! keep-alive connection per host, reconnect when it closes). It resolves and safety-checks
//! addresses through [`crate::resolve`] before every new connection. It must not decide *what*
//! to fetch (robots, scope and the frontier live in [`crate::site`]) and must not remove the
//! content-coding of a body: evidence keeps the bytes as they came off the wire.

use std::collections::HashMap;
use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::time::Instant;
use url::Url;

use crate::decode::{decode_html, decompress, Decoded, Decompressed};
use crate::error::FetchError;
use crate::CrawlConfig;

/// What an exchange was fetched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageKind {
    /// The site's `/robots.txt` (does not count against the page budget).
    Robots,
    /// A page of the site (homepage, followed link or redirect target).
    Page,
}

/// The head of a response as received (header names as hyper reports them: lower case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// Status code, e.g. 200.
    pub status: u16,
    /// Reason phrase as sent by the server (the canonical one if hyper did not keep it).
    pub reason: String,
    /// Header fields in received order, `Transfer-Encoding` included.
    pub headers: Vec<(String, String)>,
    /// Reconstructed `HTTP/1.1 200 OK\r\n` + headers + `\r\n`, without `Transfer-Encoding`
    /// fields because the body is stored de-chunked, so `raw` + body is a self-consistent
    /// HTTP message (for WARC `response` records).
    pub raw: Vec<u8>,
}

impl ResponseHead {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One fetch attempt, successful or not: the unit of evidence.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The caller's opaque id of the site this fetch belongs to.
    pub site_key: i64,
    /// The URL fetched (canonical form).
    pub url: Url,
    /// Link depth from the start URL (robots.txt: 0).
    pub depth: u32,
    /// Why it was fetched.
    pub kind: PageKind,
    /// When the fetch started.
    pub started_at: DateTime<Utc>,
    /// Exact request bytes as sent: `GET /path HTTP/1.1\r\nHost: ...\r\n...\r\n\r\n`.
    pub request_head: Vec<u8>,
    /// `None` when the fetch failed before a response head arrived.
    pub response: Option<ResponseHead>,
    /// Payload as received: transfer-coding removed, content-coding (gzip...) kept.
    pub body: Bytes,
    /// True when the body was cut at `max_body_bytes`.
    pub truncated: bool,
    /// The address actually connected to.
    pub remote_addr: Option<SocketAddr>,
    /// Set when the fetch failed (before or after the response head).
    pub error: Option<FetchError>,
}

impl Exchange {
    /// The `Content-Type` header, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.response.as_ref()?.header("content-type")
    }

    /// The HTTP status, if a response arrived.
    pub fn status(&self) -> Option<u16> {
        self.response.as_ref().map(|r| r.status)
    }

    /// True for `text/html` and `application/xhtml+xml`, or — without a `Content-Type` — a
    /// body that starts like HTML.
    pub fn is_html(&self) -> bool {
        match self.content_type() {
            Some(ct) => {
                let mime = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "text/html" || mime == "application/xhtml+xml"
            }
            None if self.response.is_some() => {
                let encoded = self
                    .response
                    .as_ref()
                    .and_then(|r| r.header("content-encoding"))
                    .is_some();
                let start: Vec<u8> = self
                    .body
                    .iter()
                    .skip_while(|b| b.is_ascii_whitespace())
                    .take(14)
                    .copied()
                    .collect();
                let start = start.to_ascii_lowercase();
                !encoded && (start.starts_with(b"<!doctype html") || start.starts_with(b"<html"))
            }
            None => false,
        }
    }

    /// The body as text: content-coding (gzip/deflate) removed with a cap, then the charset
    /// decoded by [`decode_html`]. `None` without a response or for a content-coding this
    /// crate cannot decode (br, zstd...).
    pub fn decoded_body(&self) -> Option<Decoded> {
        let head = self.response.as_ref()?;
        match decompress(&self.body, head.header("content-encoding")) {
            Decompressed::Bytes(b) => Some(decode_html(&b, self.content_type())),
            Decompressed::Unsupported => None,
        }
    }
}

/// Request headers in the order sent. Names are written exactly so (hyper is told to
/// title-case, which yields the same bytes), so `request_head` is what went on the wire.
fn request_headers(config: &CrawlConfig, url: &Url) -> Vec<(&'static str, String)> {
    let host = url.host_str().unwrap_or("");
    let host = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    };
    vec![
        ("Host", host),
        ("User-Agent", config.user_agent.clone()),
        (
            "Accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8".to_owned(),
        ),
        ("Accept-Language", "zh-CN,zh;q=0.9".to_owned()),
        ("Accept-Encoding", "gzip".to_owned()),
        ("Connection", "keep-alive".to_owned()),
    ]
}

pub(crate) fn path_and_query(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{}", url.path(), q),
        None => url.path().to_owned(),
    }
}

fn render_request_head(target: &str, headers: &[(&'static str, String)]) -> Vec<u8> {
    let mut head = format!("GET {target} HTTP/1.1\r\n").into_bytes();
    for (k, v) in headers {
        head.extend_from_slice(k.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(v.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head
}

fn build_request(
    target: &str,
    headers: &[(&'static str, String)],
) -> Result<http::Request<Empty<Bytes>>, FetchError> {
    let mut req = http::Request::builder()
        .method(http::Method::GET)
        .uri(target);
    for (k, v) in headers {
        req = req.header(*k, v.as_str());
    }
    req.body(Empty::new())
        .map_err(|e| FetchError::InvalidUrl(e.to_string()))
}

struct Conn {
    sender: SendRequest<Empty<Bytes>>,
    remote: SocketAddr,
}

/// Key of the connection pool and of the politeness clock.
type HostKey = (String, u16);

/// Fetches URLs for one crawl (one site, or one `fetch_one`), keeping one keep-alive
/// connection per host and the time of the last request to each host.
pub(crate) struct Fetcher<'a> {
    config: &'a CrawlConfig,
    conns: HashMap<HostKey, Conn>,
    last_request: HashMap<HostKey, Instant>,
    /// Number of TCP connections opened (for logs and tests of connection reuse).
    pub(crate) connections_opened: usize,
}

impl<'a> Fetcher<'a> {
    pub(crate) fn new(config: &'a CrawlConfig) -> Self {
        Fetcher {
            config,
            conns: HashMap::new(),
            last_request: HashMap::new(),
            connections_opened: 0,
        }
    }

    /// Fetches `url` with GET, reading at most `body_cap` bytes of body.
    pub(crate) async fn fetch(
        &mut self,
        site_key: i64,
        url: &Url,
        depth: u32,
        kind: PageKind,
        body_cap: usize,
    ) -> Exchange {
        let target = path_and_query(url);
        let headers = request_headers(self.config, url);
        let mut ex = Exchange {
            site_key,
            url: url.clone(),
            depth,
            kind,
            started_at: Utc::now(),
            request_head: render_request_head(&target, &headers),
            response: None,
            body: Bytes::new(),
            truncated: false,
            remote_addr: None,
            error: None,
        };
        if let Err(e) = self.fetch_into(&mut ex, &target, &headers, body_cap).await {
            ex.error = Some(e);
        }
        ex
    }

    async fn fetch_into(
        &mut self,
        ex: &mut Exchange,
        target: &str,
        headers: &[(&'static str, String)],
        body_cap: usize,
    ) -> Result<(), FetchError> {
        let url = &ex.url;
        if url.scheme() != "http" {
            return Err(FetchError::Unsupported {
                scheme: url.scheme().to_owned(),
            });
        }
        let host = url
            .host_str()
            .ok_or_else(|| FetchError::InvalidUrl("no host".to_owned()))?
            .to_owned();
        let port = url.port_or_known_default().unwrap_or(80);
        let key: HostKey = (host.clone(), port);
        // Validate the request before touching the network.
        build_request(target, headers)?;

        if !self.config.delay_per_host.is_zero() {
            if let Some(last) = self.last_request.get(&key) {
                tokio::time::sleep_until(*last + self.config.delay_per_host).await;
            }
        }
        self.last_request.insert(key.clone(), Instant::now());
        ex.started_at = Utc::now();
        let deadline = Instant::now() + self.config.request_timeout;

        // A pooled connection may have been closed by the server while idle; then the request
        // fails without a response and is retried once on a fresh connection.
        let mut reused = false;
        let response = loop {
            let mut conn = match self.conns.remove(&key) {
                Some(mut c) if !c.sender.is_closed() => {
                    match tokio::time::timeout_at(deadline, c.sender.ready()).await {
                        Ok(Ok(())) => {
                            reused = true;
                            c
                        }
                        _ => self.connect(&host, port).await?,
                    }
                }
                _ => self.connect(&host, port).await?,
            };
            ex.remote_addr = Some(conn.remote);
            let req = build_request(target, headers)?;
            match tokio::time::timeout_at(deadline, conn.sender.send_request(req)).await {
                Err(_) => return Err(FetchError::Timeout(self.config.request_timeout)),
                Ok(Ok(resp)) => break (resp, conn),
                // No response arrived, and GET is idempotent: one retry on a fresh connection
                // is safe whatever way the stale connection failed (reset, EOF, broken pipe).
                Ok(Err(e)) if reused => {
                    tracing::debug!(%url, error = %e, "pooled connection was closed, reconnecting");
                    reused = false;
                    continue;
                }
                Ok(Err(e)) => return Err(FetchError::Http(e.to_string())),
            }
        };
        let (resp, conn) = response;
        let (parts, mut body) = resp.into_parts();
        ex.response = Some(response_head(&parts));

        let hint = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
            .unwrap_or(0);
        let mut buf = BytesMut::with_capacity(hint.min(body_cap).min(1024 * 1024));
        let mut complete = false;
        let result = loop {
            match tokio::time::timeout_at(deadline, body.frame()).await {
                Err(_) => break Err(FetchError::Timeout(self.config.request_timeout)),
                Ok(None) => {
                    complete = true;
                    break Ok(());
                }
                Ok(Some(Err(e))) => break Err(FetchError::Body(e.to_string())),
                Ok(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    let room = body_cap - buf.len();
                    if data.len() > room {
                        buf.extend_from_slice(&data[..room]);
                        ex.truncated = true;
                        break Ok(());
                    }
                    buf.extend_from_slice(&data);
                }
            }
        };
        ex.body = buf.freeze();
        // Only a connection whose response was read to its end can carry the next request.
        if complete {
            self.conns.insert(key, conn);
        }
        result
    }

    async fn connect(&mut self, host: &str, port: u16) -> Result<Conn, FetchError> {
        let config = self.config;
        let addr =
            crate::resolve::resolve(&config.resolve, config.allow_private, host, port).await?;
        let timeout = config.connect_timeout;
        let connect = async {
            let stream =
                tokio::net::TcpStream::connect(addr)
                    .await
                    .map_err(|e| match e.kind() {
                        std::io::ErrorKind::ConnectionRefused => FetchError::ConnectRefused,
                        _ => FetchError::Connect(e.to_string()),
                    })?;
            let _ = stream.set_nodelay(true);
            let (sender, connection) = hyper::client::conn::http1::Builder::new()
                .title_case_headers(true)
                .handshake(TokioIo::new(stream))
                .await
                .map_err(|e| FetchError::Connect(e.to_string()))?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            });
            Ok::<_, FetchError>(sender)
        };
        let sender = tokio::time::timeout(timeout, connect)
            .await
            .map_err(|_| FetchError::ConnectTimeout(timeout))??;
        self.connections_opened += 1;
        Ok(Conn {
            sender,
            remote: addr,
        })
    }
}

fn response_head(parts: &http::response::Parts) -> ResponseHead {
    let status = parts.status.as_u16();
    let reason = parts
        .extensions
        .get::<hyper::ext::ReasonPhrase>()
        .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
        .or_else(|| parts.status.canonical_reason().map(str::to_owned))
        .unwrap_or_default();
    let version = match parts.version {
        http::Version::HTTP_10 => "HTTP/1.0",
        _ => "HTTP/1.1",
    };
    let mut raw = format!("{version} {status} {reason}\r\n").into_bytes();
    let mut headers = Vec::with_capacity(parts.headers.len());
    for (name, value) in &parts.headers {
        headers.push((
            name.as_str().to_owned(),
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        ));
        if name == http::header::TRANSFER_ENCODING {
            continue;
        }
        raw.extend_from_slice(name.as_str().as_bytes());
        raw.extend_from_slice(b": ");
        raw.extend_from_slice(value.as_bytes());
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"\r\n");
    ResponseHead {
        status,
        reason,
        headers,
        raw,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_head_is_well_formed() {
        let config = CrawlConfig {
            user_agent: "wangjian/0.1".into(),
            ..CrawlConfig::default()
        };
        let url = Url::parse("http://Shop.test:8080/a%20b?x=1#frag").unwrap();
        let target = path_and_query(&url);
        let head = render_request_head(&target, &request_headers(&config, &url));
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with(
            "GET /a%20b?x=1 HTTP/1.1\r\nHost: shop.test:8080\r\nUser-Agent: wangjian/0.1\r\n"
        ));
        assert!(head.contains("\r\nAccept-Language: zh-CN,zh;q=0.9\r\nAccept-Encoding: gzip\r\nConnection: keep-alive\r\n\r\n"));
        assert!(head.ends_with("\r\n\r\n") && head.matches("\r\n\r\n").count() == 1);
        let url = Url::parse("http://shop.test:80/").unwrap();
        assert!(
            render_request_head(&path_and_query(&url), &request_headers(&config, &url))
                .starts_with(b"GET / HTTP/1.1\r\nHost: shop.test\r\n")
        );
    }

    #[test]
    fn response_head_drops_transfer_encoding_from_raw() {
        let resp = http::Response::builder()
            .status(200)
            .header("content-type", "text/html")
            .header("transfer-encoding", "chunked")
            .header("set-cookie", "a=1")
            .header("set-cookie", "b=2")
            .body(())
            .unwrap();
        let (parts, ()) = resp.into_parts();
        let head = response_head(&parts);
        assert_eq!(head.reason, "OK");
        assert_eq!(head.headers.len(), 4);
        assert_eq!(
            String::from_utf8(head.raw).unwrap(),
            "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n\r\n"
        );
    }
}
