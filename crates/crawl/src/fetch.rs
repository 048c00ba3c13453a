//! One HTTP/1.1 exchange over hyper client connections (plain, or TLS through [`crate::tls`]),
//! recorded as evidence.
//!
//! Owns the [`Exchange`] record, the exact request head we send (user agent or fetch profile,
//! referer, conditional-GET validators), the reconstructed response head, the body cap, and
//! the connect / response-head / total timeouts. Connections and politeness come from
//! [`crate::hosts`] (one keep-alive connection per host, shared by all sites of a crawl); every
//! new connection is resolved and safety-checked through [`crate::resolve`], so a redirect to a
//! private address is refused like any other URL. It must not decide *what* to fetch (robots,
//! scope and the frontier live in [`crate::site`]) and must not remove the content-coding of a
//! body: evidence keeps the bytes as they came off the wire.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::time::Instant;
use url::Url;

use http_msg::{Decoded, MAX_DECODED_BYTES};

use crate::error::FetchError;
use crate::frontier::Validators;
use crate::hosts::{HostKey, Hosts};
use crate::profile::Profile;
use crate::resolve::DnsAnswer;
use crate::tls::TlsInfo;
use crate::CrawlConfig;

/// What an exchange was fetched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FetchKind {
    /// The site's `/robots.txt` (does not count against the page budget).
    Robots,
    /// A page of the site (homepage, followed link, sitemap entry or redirect target).
    Page,
    /// A sitemap or sitemap index (does not count against the page budget).
    Sitemap,
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
    pub kind: FetchKind,
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
    /// What name resolution answered when the connection used was opened (a kept-alive
    /// connection carries the answer it was opened with).
    pub dns: Option<Arc<DnsAnswer>>,
    /// What the TLS handshake of that connection showed (`https` only).
    pub tls: Option<Arc<TlsInfo>>,
    /// Set when the fetch failed (before or after the response head).
    pub error: Option<FetchError>,
    /// The fetch profile used (cloaking probes); `None` for ordinary crawling.
    pub profile: Option<Profile>,
    /// The validators sent for a conditional GET (`If-None-Match` / `If-Modified-Since`).
    pub sent_validators: Option<Validators>,
    /// The sitemap's `<lastmod>` for this URL, when it was queued from a sitemap.
    pub lastmod: Option<String>,
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

    /// The response's `ETag`, for a later conditional GET.
    pub fn etag(&self) -> Option<&str> {
        self.response.as_ref()?.header("etag")
    }

    /// The response's `Last-Modified`, for a later conditional GET.
    pub fn last_modified(&self) -> Option<&str> {
        self.response.as_ref()?.header("last-modified")
    }

    /// Both validators of the response (what to keep for the next sweep).
    pub fn validators(&self) -> Validators {
        Validators {
            etag: self.etag().map(str::to_owned),
            last_modified: self.last_modified().map(str::to_owned),
        }
    }

    /// True for a `304 Not Modified` answer to a conditional GET.
    pub fn not_modified(&self) -> bool {
        self.status() == Some(304)
    }

    /// True for `text/html` and `application/xhtml+xml`, or — without a `Content-Type` — a
    /// body that starts like HTML.
    pub fn is_html(&self) -> bool {
        match self.content_type() {
            Some(ct) => matches!(
                http_msg::media_type(ct).as_str(),
                "text/html" | "application/xhtml+xml"
            ),
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

    /// The body as text, read by `http_msg`: content-coding removed (at most
    /// [`MAX_DECODED_BYTES`]), then the charset found and decoded. `None` without a response or
    /// for a content-coding `http_msg` does not decode (zstd, compress...).
    pub fn decoded_body(&self) -> Option<Decoded> {
        self.decoded_body_capped(MAX_DECODED_BYTES)
    }

    /// [`decoded_body`](Self::decoded_body) producing at most `cap` decoded bytes; the
    /// result's `truncated` is set when the cap cut it (a decompression bomb stops here).
    pub fn decoded_body_capped(&self, cap: usize) -> Option<Decoded> {
        let head = self.response.as_ref()?;
        http_msg::decode_body(
            &self.body,
            self.content_type(),
            head.header("content-encoding"),
            cap,
        )
        .ok()
    }
}

/// What to send besides the URL: who we claim to be and what we already have.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestOptions {
    /// Fetch profile (User-Agent and Referer); `None`: the crawler's own User-Agent.
    pub(crate) profile: Option<Profile>,
    /// Validators for a conditional GET.
    pub(crate) validators: Option<Validators>,
    /// Sitemap `<lastmod>` to carry on the exchange.
    pub(crate) lastmod: Option<String>,
}

/// Request headers in the order sent. Names are written exactly so (hyper is told to
/// title-case, which yields the same bytes), so `request_head` is what went on the wire.
fn request_headers(
    config: &CrawlConfig,
    url: &Url,
    options: &RequestOptions,
) -> Vec<(&'static str, String)> {
    let host = url.host_str().unwrap_or("");
    let host = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    };
    let user_agent = match &options.profile {
        Some(p) => p.user_agent().to_owned(),
        None => config.user_agent.clone(),
    };
    let mut headers = vec![
        ("Host", host),
        ("User-Agent", user_agent),
        (
            "Accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8".to_owned(),
        ),
    ];
    if let Some(referer) = options.profile.as_ref().and_then(|p| p.referer(url)) {
        headers.push(("Referer", referer));
    }
    if let Some(v) = &options.validators {
        // Header values must be visible ASCII; a stored validator that is not is not sent.
        let ok = |s: &&String| s.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
        if let Some(etag) = v.etag.as_ref().filter(ok) {
            headers.push(("If-None-Match", etag.clone()));
        }
        if let Some(lm) = v.last_modified.as_ref().filter(ok) {
            headers.push(("If-Modified-Since", lm.clone()));
        }
    }
    headers.extend([
        ("Accept-Language", "zh-CN,zh;q=0.9".to_owned()),
        ("Accept-Encoding", "gzip".to_owned()),
        ("Connection", "keep-alive".to_owned()),
    ]);
    headers
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

/// A keep-alive HTTP/1.1 connection and the address it goes to.
pub(crate) struct Conn {
    sender: SendRequest<Empty<Bytes>>,
    remote: SocketAddr,
    dns: Arc<DnsAnswer>,
    tls: Option<Arc<TlsInfo>>,
}

impl Conn {
    pub(crate) fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }
}

/// The host key (name, port) of an http URL.
pub(crate) fn host_key(url: &Url) -> Option<HostKey> {
    Some((url.host_str()?.to_owned(), url.port_or_known_default()?))
}

/// Fetches URLs for one crawl (or one `fetch_one` / `fetch_profiles`), taking turns and
/// connections from the shared [`Hosts`].
#[derive(Clone)]
pub(crate) struct Fetcher<'a> {
    config: &'a CrawlConfig,
    pub(crate) hosts: Arc<Hosts>,
}

impl<'a> Fetcher<'a> {
    /// A fetcher with its own host table (not shared with any crawl).
    pub(crate) fn new(config: &'a CrawlConfig) -> Self {
        Fetcher {
            config,
            hosts: Arc::new(Hosts::new(config)),
        }
    }

    /// A fetcher on a shared host table.
    pub(crate) fn with_hosts(config: &'a CrawlConfig, hosts: Arc<Hosts>) -> Self {
        Fetcher { config, hosts }
    }

    /// Fetches `url` with GET, reading at most `body_cap` bytes of body.
    pub(crate) async fn fetch(
        &self,
        site_key: i64,
        url: &Url,
        depth: u32,
        kind: FetchKind,
        body_cap: usize,
    ) -> Exchange {
        self.fetch_with(
            site_key,
            url,
            depth,
            kind,
            body_cap,
            RequestOptions::default(),
        )
        .await
    }

    /// [`fetch`](Self::fetch) with a profile, validators or sitemap data.
    pub(crate) async fn fetch_with(
        &self,
        site_key: i64,
        url: &Url,
        depth: u32,
        kind: FetchKind,
        body_cap: usize,
        options: RequestOptions,
    ) -> Exchange {
        let target = path_and_query(url);
        let headers = request_headers(self.config, url, &options);
        let sent_validators = options.validators.clone().filter(|v| {
            headers
                .iter()
                .any(|(k, _)| *k == "If-None-Match" || *k == "If-Modified-Since")
                && !v.is_empty()
        });
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
            dns: None,
            tls: None,
            error: None,
            profile: options.profile,
            sent_validators,
            lastmod: options.lastmod,
        };
        if let Err(e) = self.fetch_into(&mut ex, &target, &headers, body_cap).await {
            ex.error = Some(e);
        }
        ex
    }

    async fn fetch_into(
        &self,
        ex: &mut Exchange,
        target: &str,
        headers: &[(&'static str, String)],
        body_cap: usize,
    ) -> Result<(), FetchError> {
        let url = &ex.url;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Unsupported {
                scheme: url.scheme().to_owned(),
            });
        }
        let key = host_key(url).ok_or_else(|| FetchError::InvalidUrl("no host".to_owned()))?;
        let https = url.scheme() == "https";
        // Validate the request before touching the network.
        build_request(target, headers)?;

        let turn = self.hosts.turn(&key).await;
        ex.started_at = Utc::now();
        let config = self.config;
        let deadline = Instant::now() + config.request_timeout;
        let head_deadline = deadline.min(Instant::now() + config.header_timeout);
        let head_timeout = || {
            if config.header_timeout < config.request_timeout {
                FetchError::HeaderTimeout(config.header_timeout)
            } else {
                FetchError::Timeout(config.request_timeout)
            }
        };

        // A pooled connection may have been closed by the server while idle; then the request
        // fails without a response and is retried once on a fresh connection.
        let mut reused = false;
        let response = loop {
            let mut conn = match turn.take_idle() {
                Some(mut c) => match tokio::time::timeout_at(head_deadline, c.sender.ready()).await
                {
                    Ok(Ok(())) => {
                        reused = true;
                        c
                    }
                    _ => self.connect(&key.0, key.1, https).await?,
                },
                None => self.connect(&key.0, key.1, https).await?,
            };
            ex.remote_addr = Some(conn.remote);
            ex.dns = Some(conn.dns.clone());
            ex.tls = conn.tls.clone();
            let req = build_request(target, headers)?;
            match tokio::time::timeout_at(head_deadline, conn.sender.send_request(req)).await {
                Err(_) => return Err(head_timeout()),
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
        let read = read_body(
            &mut body,
            deadline,
            body_cap,
            hint.min(1024 * 1024),
            config.request_timeout,
        )
        .await;
        if read.truncated {
            ex.truncated = true;
        }
        ex.body = read.bytes;
        // Only a connection whose response was read to its end can carry the next request.
        if read.complete {
            turn.put_idle(conn);
        }
        read.result
    }

    /// A new connection to `host:port`, through TLS when `https`.
    async fn connect(&self, host: &str, port: u16, https: bool) -> Result<Conn, FetchError> {
        let config = self.config;
        let (addr, dns) =
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
            if https {
                let (tls, info) = self.hosts.tls()?.connect(host, stream).await?;
                Ok::<_, FetchError>((http1(tls).await?, Some(Arc::new(info))))
            } else {
                Ok((http1(stream).await?, None))
            }
        };
        let (sender, tls) = tokio::time::timeout(timeout, connect)
            .await
            .map_err(|_| FetchError::ConnectTimeout(timeout))??;
        Ok(Conn {
            sender,
            remote: addr,
            dns: Arc::new(dns),
            tls,
        })
    }
}

/// A response body as read: at most the cap, and how the reading ended.
pub(crate) struct BodyRead {
    pub bytes: Bytes,
    /// The body was longer than the cap (`bytes` is its start).
    pub truncated: bool,
    /// The body was read to its end (the connection may carry another request).
    pub complete: bool,
    /// A timeout or a broken body; `bytes` is what arrived before it.
    pub result: Result<(), FetchError>,
}

/// Reads `body` until its end, `cap` bytes or `deadline` (`timeout` is the limit it stands
/// for, named in the error), starting with room for `capacity` bytes.
pub(crate) async fn read_body(
    body: &mut hyper::body::Incoming,
    deadline: Instant,
    cap: usize,
    capacity: usize,
    timeout: std::time::Duration,
) -> BodyRead {
    let mut buf = Vec::with_capacity(capacity.min(cap));
    let mut truncated = false;
    let mut complete = false;
    let result = loop {
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => break Err(FetchError::Timeout(timeout)),
            Ok(None) => {
                complete = true;
                break Ok(());
            }
            Ok(Some(Err(e))) => break Err(FetchError::Body(e.to_string())),
            Ok(Some(Ok(frame))) => {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                if http_msg::extend_within(&mut buf, &data, cap) < data.len() {
                    truncated = true;
                    break Ok(());
                }
            }
        }
    };
    BodyRead {
        bytes: Bytes::from(buf),
        truncated,
        complete,
        result,
    }
}

/// An HTTP/1.1 client connection over `io` sending bodies of type `B`, its driver spawned.
pub(crate) async fn http1<T, B>(io: T) -> Result<SendRequest<B>, FetchError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (sender, connection) = hyper::client::conn::http1::Builder::new()
        .title_case_headers(true)
        .handshake(TokioIo::new(io))
        .await
        .map_err(|e| FetchError::Connect(e.to_string()))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    });
    Ok(sender)
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
        let head = render_request_head(
            &target,
            &request_headers(&config, &url, &RequestOptions::default()),
        );
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with(
            "GET /a%20b?x=1 HTTP/1.1\r\nHost: shop.test:8080\r\nUser-Agent: wangjian/0.1\r\n"
        ));
        assert!(head.contains("\r\nAccept-Language: zh-CN,zh;q=0.9\r\nAccept-Encoding: gzip\r\nConnection: keep-alive\r\n\r\n"));
        assert!(head.ends_with("\r\n\r\n") && head.matches("\r\n\r\n").count() == 1);
        let url = Url::parse("http://shop.test:80/").unwrap();
        assert!(render_request_head(
            &path_and_query(&url),
            &request_headers(&config, &url, &RequestOptions::default())
        )
        .starts_with(b"GET / HTTP/1.1\r\nHost: shop.test\r\n"));
    }

    #[test]
    fn profile_and_validators_headers() {
        let config = CrawlConfig::default();
        let url = Url::parse("http://gov.test/").unwrap();
        let options = RequestOptions {
            profile: Some(Profile::SearchReferral {
                engine: crate::SearchEngine::Baidu,
            }),
            validators: Some(Validators {
                etag: Some("\"v1\"".into()),
                last_modified: Some("Wed, 21 Oct 2015 07:28:00 GMT".into()),
            }),
            lastmod: None,
        };
        let head = render_request_head("/", &request_headers(&config, &url, &options));
        let head = String::from_utf8(head).unwrap();
        assert!(head.contains(&format!("User-Agent: {}\r\n", crate::profile::CHROME_UA)));
        assert!(
            head.contains("\r\nReferer: https://www.baidu.com/link?url="),
            "{head}"
        );
        assert!(head.contains(
            "\r\nIf-None-Match: \"v1\"\r\nIf-Modified-Since: Wed, 21 Oct 2015 07:28:00 GMT\r\n"
        ));
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
