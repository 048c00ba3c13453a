//! The hostile web: a fixed set of sites that misbehave the ways real servers do — a
//! slow-loris, a gzip bomb, redirect loops, a 1 GiB page, an infinite calendar, 429/503 with
//! `Retry-After`, a server that hangs up mid-body, robots.txt that disallows everything, and
//! pages that are not HTML, and a page whose markup and scripts try to reach loopback, private
//! ranges, the cloud metadata address and the console from a visitor's browser. Added to a world only on request ([`crate::World::with_hostile_sites`]),
//! so generated worlds, their truth and `wangjian eval` are unchanged.
//!
//! It owns what those hosts answer, including streamed bodies (never held in memory whole) and
//! per-host request counts for tests to check politeness. It must not open connections. The
//! hostile sites carry no violation truth: they are not in [`crate::World::truth`].

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame};
use std::collections::BTreeMap;
use std::io::Write;
use std::pin::Pin;
use std::sync::{Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The error type of streamed bodies (a deliberate mid-body failure).
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The body type the server sends.
pub(crate) type ServerBody = http_body_util::combinators::BoxBody<Bytes, BoxError>;

/// Dribbles one byte per second; a crawler's request timeout must cut it.
pub const SLOWLORIS: &str = "slowloris.hostile.test";
/// Serves a small gzip member that inflates to 1 GiB.
pub const GZIP_BOMB: &str = "gzipbomb.hostile.test";
/// Redirects in a cycle (`/loop/a` ⇄ `/loop/b`) and in an endless chain (`/r/N` → `/r/N+1`).
pub const REDIRECT_LOOP: &str = "redirect-loop.hostile.test";
/// A 1 GiB HTML page, streamed.
pub const HUGE: &str = "huge.hostile.test";
/// An endless calendar: every `/cal/YYYY/MM/` links to the next and previous month.
pub const CALENDAR: &str = "calendar.hostile.test";
/// Answers every other page request with 429 or 503 and `Retry-After: 1`.
pub const RATE_LIMIT: &str = "ratelimit.hostile.test";
/// Announces a body length, then closes the connection after a few KiB.
pub const HANGUP: &str = "hangup.hostile.test";
/// robots.txt disallows everything.
pub const ROBOTS_DENY: &str = "robots-deny.hostile.test";
/// Images, octet streams, PDF, and binary garbage labelled `text/html`.
pub const BINARY: &str = "binary.hostile.test";

/// A page that, opened in a browser, tries to reach the console on loopback, private ranges,
/// the cloud metadata address, IPv6 and IPv4-embedded forms of them and an unmapped `.test`
/// host — by `<img>`, `<script>`, `<link>`, `<iframe>`, `fetch()`, XHR, WebSocket, WebRTC and
/// a redirect ([`intruder_page`]). `/?console=PORT` names the console's port on 127.0.0.1;
/// `/redirect?console=PORT` answers 302 to it.
pub const INTRUDER: &str = "intruder.hostile.test";

/// Every hostile host, in register order.
pub const HOSTILE_HOSTS: [&str; 10] = [
    SLOWLORIS,
    GZIP_BOMB,
    REDIRECT_LOOP,
    HUGE,
    CALENDAR,
    RATE_LIMIT,
    HANGUP,
    ROBOTS_DENY,
    BINARY,
    INTRUDER,
];

/// Size of the huge page and of the gzip bomb once inflated.
pub const HUGE_BYTES: u64 = 1 << 30;
/// The `Retry-After` the rate-limited host sends, in seconds.
pub const RETRY_AFTER_SECS: u64 = 1;

/// What one hostile host has seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostileStats {
    /// Every request, robots.txt included.
    pub requests: u64,
    /// Requests other than robots.txt.
    pub page_requests: u64,
    /// Requests answered 429 or 503.
    pub throttled: u64,
    /// Requests that arrived before the `Retry-After` of the previous 429/503 had passed.
    pub impolite: u64,
}

/// Request bookkeeping of the hostile hosts (interior mutability: the world is shared).
#[derive(Debug, Default)]
pub(crate) struct Hostile {
    stats: Mutex<BTreeMap<&'static str, HostileStats>>,
    /// When the rate-limited host last asked to wait.
    throttled_at: Mutex<Option<Instant>>,
}

impl Hostile {
    pub(crate) fn stats(&self, host: &str) -> HostileStats {
        self.stats
            .lock()
            .expect("stats lock")
            .get(host)
            .copied()
            .unwrap_or_default()
    }

    /// The response for a request to hostile `host` (already normalised); `None` if `host` is
    /// not hostile.
    pub(crate) async fn respond(
        &self,
        host: &str,
        path: &str,
        query: &str,
    ) -> Option<Response<ServerBody>> {
        let host = *HOSTILE_HOSTS.iter().find(|h| **h == host)?;
        let robots = path == "/robots.txt";
        let page_no = {
            let mut stats = self.stats.lock().expect("stats lock");
            let s = stats.entry(host).or_default();
            s.requests += 1;
            if !robots {
                s.page_requests += 1;
            }
            s.page_requests
        };
        if robots {
            return Some(if host == ROBOTS_DENY {
                full(200, "text/plain", b"User-agent: *\nDisallow: /\n".to_vec())
            } else {
                full(404, "text/plain", b"no robots.txt\n".to_vec())
            });
        }
        Some(match host {
            SLOWLORIS => match path {
                "/drip" => stream(200, "text/html", Some(1000), |tx| async move {
                    loop {
                        if tx.send(Ok(Bytes::from_static(b"<"))).await.is_err() {
                            return;
                        }
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }),
                "/stall" => {
                    // The head never comes in time: the crawler's header timeout must cut it.
                    tokio::time::sleep(Duration::from_secs(120)).await;
                    html_page("stalled", &[])
                }
                _ => html_page("slow loris", &["/drip", "/stall"]),
            },
            GZIP_BOMB => {
                let mut r = full(200, "text/html; charset=utf-8", gzip_bomb().to_vec());
                r.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                r
            }
            REDIRECT_LOOP => match path {
                "/loop/a" => redirect("/loop/b"),
                "/loop/b" => redirect("/loop/a"),
                _ => match path.strip_prefix("/r/").and_then(|n| n.parse::<u64>().ok()) {
                    Some(n) => redirect(&format!("/r/{}", n + 1)),
                    None => html_page("redirects", &["/loop/a", "/r/1"]),
                },
            },
            HUGE => {
                let chunk = huge_chunk();
                stream(
                    200,
                    "text/html; charset=utf-8",
                    Some(HUGE_BYTES),
                    move |tx| async move {
                        let head = Bytes::from_static(
                            b"<!DOCTYPE html><html><head><title>huge</title></head><body>",
                        );
                        let mut left = HUGE_BYTES - head.len() as u64;
                        if tx.send(Ok(head)).await.is_err() {
                            return;
                        }
                        while left > 0 {
                            let n = left.min(chunk.len() as u64) as usize;
                            if tx.send(Ok(chunk.slice(..n))).await.is_err() {
                                return;
                            }
                            left -= n as u64;
                        }
                    },
                )
            }
            CALENDAR => match calendar_month(path) {
                Some((y, m)) => {
                    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                    let (py, pm) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
                    html_page(
                        &format!("{y}年{m}月"),
                        &[
                            &format!("/cal/{ny:04}/{nm:02}/"),
                            &format!("/cal/{py:04}/{pm:02}/"),
                        ],
                    )
                }
                None => html_page("calendar", &["/cal/2024/01/"]),
            },
            RATE_LIMIT => self.rate_limited(path, page_no),
            HANGUP => {
                let len = match path {
                    "/broken" => Some(100_000),
                    "/broken-chunked" => None,
                    _ => return Some(html_page("hang up", &["/broken", "/broken-chunked"])),
                };
                stream(200, "text/html; charset=utf-8", len, |tx| async move {
                    let part = Bytes::from(format!(
                        "<!DOCTYPE html><html><body>{}",
                        "<p>断开</p>".repeat(400)
                    ));
                    let _ = tx.send(Ok(part)).await;
                    // Let the first part reach the socket before the connection is aborted.
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    let _ = tx.send(Err("server hung up mid-body".into())).await;
                })
            }
            ROBOTS_DENY => html_page("no robots allowed", &["/secret"]),
            BINARY => binary(path),
            INTRUDER => {
                let console = query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("console="))
                    .and_then(|p| p.parse::<u16>().ok())
                    .unwrap_or(80);
                match path {
                    "/redirect" => redirect(&format!("http://127.0.0.1:{console}/after-redirect")),
                    _ => full(
                        200,
                        "text/html; charset=utf-8",
                        intruder_page(console).into_bytes(),
                    ),
                }
            }
            _ => return None,
        })
    }

    fn rate_limited(&self, path: &str, page_no: u64) -> Response<ServerBody> {
        let now = Instant::now();
        {
            let mut at = self.throttled_at.lock().expect("throttle lock");
            // A little slack for timer granularity: this counts requests that clearly ignored
            // the wait, not ones that came a few milliseconds early.
            let min_gap = Duration::from_secs(RETRY_AFTER_SECS) - Duration::from_millis(50);
            if at.is_some_and(|t| now.duration_since(t) < min_gap) {
                self.bump(RATE_LIMIT, |s| s.impolite += 1);
            }
            if page_no % 2 == 1 {
                *at = Some(now);
            }
        }
        if page_no % 2 == 1 {
            self.bump(RATE_LIMIT, |s| s.throttled += 1);
            let status = if page_no % 4 == 1 { 429 } else { 503 };
            let mut r = full(status, "text/plain", b"slow down\n".to_vec());
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
            return r;
        }
        match path {
            "/" => html_page("rate limited", &["/p/1", "/p/2", "/p/3"]),
            _ => html_page("rate limited page", &["/"]),
        }
    }

    fn bump(&self, host: &'static str, f: impl FnOnce(&mut HostileStats)) {
        f(self
            .stats
            .lock()
            .expect("stats lock")
            .entry(host)
            .or_default());
    }
}

/// Every target [`intruder_page`] tries, as `(host, port)` the way a browser names it to a
/// proxy (IP literals in their canonical form), given the console's port. All but
/// `unmapped.test` (which no one resolves) are non-public addresses or resolve to one.
pub fn intruder_targets(console: u16) -> Vec<(String, u16)> {
    [
        ("127.0.0.1", console),
        ("localhost", console),
        ("127.0.0.2", console),
        ("0.0.0.0", console),
        ("10.0.0.1", 80),
        ("10.20.30.40", 8080),
        ("192.168.1.1", 80),
        ("172.16.0.1", 80),
        ("169.254.169.254", 80),
        ("[::1]", console),
        ("[::ffff:7f00:1]", console),
        ("[::ffff:a9fe:a9fe]", 80),
        ("[fd00::1]", 80),
        ("unmapped.test", 80),
    ]
    .into_iter()
    .map(|(h, p)| (h.to_string(), p))
    .collect()
}

/// The intruder's page: markup and scripts reaching for `127.0.0.1:console` and the other
/// [`intruder_targets`], plus a redirect through `/redirect` and a WebSocket to its own host.
/// It shows a heading, so a screenshot of it is not blank.
pub fn intruder_page(console: u16) -> String {
    format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>恶意页面</title>
<link rel="dns-prefetch" href="//prefetch.unmapped.test">
<link rel="preconnect" href="http://10.9.9.9/">
<link rel="stylesheet" href="http://10.0.0.1/style.css">
<script src="http://localhost:{console}/script.js"></script>
</head><body><h1>恶意页面：访问内网与控制台</h1>
<p>本页的标记和脚本试图访问回环地址、内网、云元数据地址与控制台。</p>
<img src="http://127.0.0.1:{console}/img.png" alt="">
<img src="http://2130706434:{console}/decimal.png" alt="">
<img src="http://192.168.1.1/router.png" alt="">
<img src="http://[::ffff:127.0.0.1]:{console}/mapped.png" alt="">
<img src="http://[fd00::1]/ula.png" alt="">
<iframe src="http://169.254.169.254/latest/meta-data/"></iframe>
<iframe src="/redirect?console={console}"></iframe>
<script src="http://unmapped.test/x.js"></script>
<script>
const hit = (u) => fetch(u, {{mode: "no-cors"}}).catch(() => {{}});
hit("http://[::1]:{console}/fetch");
hit("http://0.0.0.0:{console}/zero");
hit("http://[::ffff:169.254.169.254]/latest/meta-data/");
const x = new XMLHttpRequest();
x.open("GET", "http://172.16.0.1/xhr");
x.send();
const y = new XMLHttpRequest();
y.open("POST", "http://10.20.30.40:8080/api/v1/sites");
y.send("{{}}");
try {{ new WebSocket("ws://127.0.0.1:{console}/ws"); }} catch (e) {{}}
try {{ new WebSocket("ws://" + location.host + "/ws"); }} catch (e) {{}}
try {{
  const pc = new RTCPeerConnection({{iceServers: [
    {{urls: "turn:127.0.0.1:{console}?transport=tcp", username: "u", credential: "p"}},
    {{urls: "stun:127.0.0.1:{console}"}}]}});
  pc.createDataChannel("x");
  pc.createOffer().then((o) => pc.setLocalDescription(o)).catch(() => {{}});
}} catch (e) {{}}
</script>
</body></html>
"#
    )
}

/// `/cal/YYYY/MM/` → (year, month).
fn calendar_month(path: &str) -> Option<(i32, u32)> {
    let rest = path.strip_prefix("/cal/")?.trim_end_matches('/');
    let (y, m) = rest.split_once('/')?;
    let (y, m) = (y.parse().ok()?, m.parse().ok()?);
    (1..=12).contains(&m).then_some((y, m))
}

fn binary(path: &str) -> Response<ServerBody> {
    // A fixed pseudo-random byte soup with NULs and invalid UTF-8.
    let garbage: Vec<u8> = (0u32..8192)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    match path {
        "/img.png" => {
            let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
            b.extend_from_slice(&garbage);
            full(200, "image/png", b)
        }
        "/blob" => full(200, "application/octet-stream", garbage),
        "/doc.pdf" => {
            let mut b = b"%PDF-1.4\n".to_vec();
            b.extend_from_slice(&garbage);
            full(200, "application/pdf", b)
        }
        "/fake.html" => full(200, "text/html", garbage),
        "/untyped" => {
            let mut r = full(200, "", garbage);
            r.headers_mut().remove(header::CONTENT_TYPE);
            r
        }
        _ => html_page(
            "not html",
            &["/img.png", "/blob", "/doc.pdf", "/fake.html", "/untyped"],
        ),
    }
}

/// A gzip member that inflates to [`HUGE_BYTES`] of spaces inside an HTML page; built once.
fn gzip_bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let head = b"<!DOCTYPE html><html><head><title>bomb</title></head><body>";
        let block = vec![b' '; 1 << 20];
        let _ = gz.write_all(head);
        let mut left = HUGE_BYTES as usize - head.len();
        while left > 0 {
            let n = left.min(block.len());
            let _ = gz.write_all(&block[..n]);
            left -= n;
        }
        gz.finish().expect("writing to a Vec cannot fail")
    })
}

/// One 64 KiB chunk of the huge page (shared, so streaming it costs no allocation).
fn huge_chunk() -> Bytes {
    static CHUNK: OnceLock<Bytes> = OnceLock::new();
    CHUNK
        .get_or_init(|| {
            let unit = "<p>巨大的页面</p>\n".as_bytes();
            let mut b = Vec::with_capacity(64 * 1024);
            while b.len() + unit.len() <= 64 * 1024 {
                b.extend_from_slice(unit);
            }
            b.resize(64 * 1024, b'\n');
            Bytes::from(b)
        })
        .clone()
}

fn html_page(title: &str, links: &[&str]) -> Response<ServerBody> {
    let mut body = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h1>{title}</h1>"
    );
    for l in links {
        body.push_str(&format!("<p><a href=\"{l}\">{l}</a></p>"));
    }
    body.push_str("</body></html>\n");
    full(200, "text/html; charset=utf-8", body.into_bytes())
}

fn redirect(to: &str) -> Response<ServerBody> {
    let mut r = full(
        302,
        "text/html; charset=utf-8",
        format!("<a href=\"{to}\">moved</a>").into_bytes(),
    );
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// A response with a body held in memory.
pub(crate) fn full(status: u16, content_type: &str, body: Vec<u8>) -> Response<ServerBody> {
    let len = body.len();
    let mut r = Response::new(boxed_full(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    r
}

pub(crate) fn boxed_full(body: Bytes) -> ServerBody {
    Full::new(body).map_err(|never| match never {}).boxed()
}

/// A response whose body a spawned task produces; the task ends when the client goes away
/// (its sends fail). `len`: the announced `Content-Length` (may be a lie); `None`: chunked.
fn stream<F, Fut>(
    status: u16,
    content_type: &str,
    len: Option<u64>,
    produce: F,
) -> Response<ServerBody>
where
    F: FnOnce(mpsc::Sender<Result<Bytes, BoxError>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    // A small channel: the producer runs at most a few chunks ahead of the socket.
    let (tx, rx) = mpsc::channel(2);
    tokio::spawn(produce(tx));
    let mut r = Response::new(ChannelBody { rx }.boxed());
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    if let Some(len) = len {
        r.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    r
}

/// A body fed by a channel; an `Err` item makes hyper abort the connection mid-body.
struct ChannelBody {
    rx: mpsc::Receiver<Result<Bytes, BoxError>>,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.rx
            .poll_recv(cx)
            .map(|item| item.map(|r| r.map(Frame::data)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_paths() {
        assert_eq!(calendar_month("/cal/2024/01/"), Some((2024, 1)));
        assert_eq!(calendar_month("/cal/2024/13/"), None);
        assert_eq!(calendar_month("/"), None);
    }

    #[test]
    fn gzip_bomb_is_small_and_inflates_to_a_gibibyte() {
        let bomb = gzip_bomb();
        assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
        // ISIZE, the last four bytes: the inflated length mod 2^32 (2^30 fits).
        let isize = u32::from_le_bytes(bomb[bomb.len() - 4..].try_into().unwrap());
        assert_eq!(u64::from(isize), HUGE_BYTES);
    }
}
