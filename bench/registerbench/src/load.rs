//! `load`: an open-loop, constant-rate HTTP/1.1 load generator.
//!
//! Request `k` is scheduled at `start + k / rate`, whatever happened to earlier requests; `C`
//! worker threads, each with one keep-alive connection, take the next request number, sleep
//! until its scheduled time if they are early, send it, and record the latency from the
//! SCHEDULED time to the end of the response. A request that waited for a free connection
//! because the server was slow is charged that wait: no coordinated omission (the wrk2
//! approach). Requests scheduled before `--duration` but still not sent `--timeout` seconds after
//! the end are counted as `unsent` (their latency would be at least that long).
//!
//! URL templates: `{q}` takes the queries of `--queries FILE` (one per line, URL-encoded, cycled
//! in file order); `{id}` takes integers drawn uniformly from `--ids A..B` (inclusive) with a
//! generator seeded by `--seed` (request `k` always gets the same id).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{Args, Rng};

enum Source {
    Queries(Vec<String>),
    Ids { lo: u64, hi: u64, seed: u64 },
}

impl Source {
    fn path(&self, template: &str, k: u64) -> String {
        match self {
            Source::Queries(qs) => {
                template.replace("{q}", &encode(&qs[(k % qs.len() as u64) as usize]))
            }
            Source::Ids { lo, hi, seed } => {
                let id = lo + Rng::for_item(*seed, 3, k).below(hi - lo + 1);
                template.replace("{id}", &id.to_string())
            }
        }
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `http://host:port/path` → (host, port, path).
fn split_url(url: &str) -> Result<(String, u16, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: only http:// URLs are supported"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().map_err(|_| format!("{url}: bad port"))?),
        None => (authority, 80),
    };
    Ok((host.to_string(), port, path.to_string()))
}

struct Conn {
    reader: BufReader<TcpStream>,
}

struct Response {
    status: u16,
    keep_alive: bool,
    /// `index` and `db` durations (ms) of a `Server-Timing` header, when the server sent one.
    timing: Option<(f64, f64)>,
}

/// `index;dur=1.2, db;dur=0.4, …` → (index, db) in milliseconds.
fn server_timing(v: &str) -> Option<(f64, f64)> {
    let mut index = None;
    let mut db = None;
    for metric in v.split(',') {
        let mut parts = metric.split(';').map(str::trim);
        let name = parts.next()?;
        let dur = parts
            .find_map(|p| p.strip_prefix("dur="))
            .and_then(|d| d.parse::<f64>().ok());
        match name {
            "index" => index = dur,
            "db" => db = dur,
            _ => {}
        }
    }
    Some((index?, db?))
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

impl Conn {
    fn open(addr: &std::net::SocketAddr, timeout: Duration) -> io::Result<Conn> {
        let s = TcpStream::connect_timeout(addr, timeout)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(timeout))?;
        s.set_write_timeout(Some(timeout))?;
        Ok(Conn {
            reader: BufReader::with_capacity(64 * 1024, s),
        })
    }

    fn line(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        buf.clear();
        if self.reader.read_until(b'\n', buf)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        Ok(())
    }

    /// `extra`: further header lines, each ending in CRLF (or empty).
    fn get(&mut self, host: &str, extra: &str, path: &str) -> io::Result<Response> {
        let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: registerbench\r\nAccept: */*\r\n{extra}\r\n");
        self.reader.get_mut().write_all(req.as_bytes())?;
        let mut buf = Vec::with_capacity(256);
        self.line(&mut buf)?;
        let status_line = String::from_utf8_lossy(&buf).into_owned();
        let mut parts = status_line.split_whitespace();
        let version = parts.next().unwrap_or_default().to_string();
        let status: u16 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(format!("bad status line {status_line:?}")))?;
        let mut keep_alive = version == "HTTP/1.1";
        let mut length: Option<u64> = None;
        let mut chunked = false;
        let mut timing = None;
        loop {
            self.line(&mut buf)?;
            if buf.is_empty() {
                break;
            }
            let h = String::from_utf8_lossy(&buf);
            let Some((k, v)) = h.split_once(':') else {
                continue;
            };
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase());
            if k == "server-timing" {
                timing = server_timing(&v);
            }
            match k.as_str() {
                "content-length" => {
                    length = Some(v.parse().map_err(|_| bad("bad content-length"))?)
                }
                "transfer-encoding" => chunked = v.contains("chunked"),
                "connection" if v.contains("close") => keep_alive = false,
                "connection" if v.contains("keep-alive") => keep_alive = true,
                _ => {}
            }
        }
        if status == 204 || status == 304 || (100..200).contains(&status) {
            // no body
        } else if chunked {
            loop {
                self.line(&mut buf)?;
                let size_hex = String::from_utf8_lossy(&buf);
                let size_hex = size_hex.split(';').next().unwrap_or("").trim();
                let size = u64::from_str_radix(size_hex, 16)
                    .map_err(|_| bad(format!("bad chunk size {size_hex:?}")))?;
                if size == 0 {
                    loop {
                        self.line(&mut buf)?; // trailers, then the empty line
                        if buf.is_empty() {
                            break;
                        }
                    }
                    break;
                }
                self.skip(size)?;
                self.line(&mut buf)?;
            }
        } else if let Some(n) = length {
            self.skip(n)?;
        } else {
            io::copy(&mut self.reader, &mut io::sink())?;
            keep_alive = false;
        }
        Ok(Response {
            status,
            keep_alive,
            timing,
        })
    }

    fn skip(&mut self, n: u64) -> io::Result<()> {
        let got = io::copy(&mut (&mut self.reader).take(n), &mut io::sink())?;
        if got < n {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "body cut short",
            ));
        }
        Ok(())
    }
}

#[derive(Default)]
struct WorkerStats {
    latencies_us: Vec<u64>,
    /// Server-Timing `index` and `db` of each answer that had one (µs).
    index_us: Vec<u64>,
    db_us: Vec<u64>,
    sent: u64,
    non2xx: u64,
    errors: u64,
    first_error: Option<String>,
    first_non2xx: Option<String>,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64 / 1000.0
}

pub fn run(a: &Args) -> Result<(), String> {
    let template = a.req("--url-template")?.to_string();
    let (host, port, path_template) = split_url(&template)?;
    let source = match (a.str("--queries"), a.str("--ids")) {
        (Some(f), None) => {
            if !path_template.contains("{q}") {
                return Err("--queries needs {q} in the URL template".into());
            }
            let text = std::fs::read_to_string(f).map_err(|e| format!("{f}: {e}"))?;
            let qs: Vec<String> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(String::from)
                .collect();
            if qs.is_empty() {
                return Err(format!("{f}: no queries"));
            }
            Source::Queries(qs)
        }
        (None, Some(r)) => {
            if !path_template.contains("{id}") {
                return Err("--ids needs {id} in the URL template".into());
            }
            let (lo, hi) = r.split_once("..").ok_or("--ids A..B")?;
            let lo: u64 = lo.parse().map_err(|_| "--ids A..B: A is not a number")?;
            let hi: u64 = hi.parse().map_err(|_| "--ids A..B: B is not a number")?;
            if hi < lo {
                return Err("--ids A..B: B < A".into());
            }
            Source::Ids {
                lo,
                hi,
                seed: a.num("--seed", 1)?,
            }
        }
        _ => return Err("exactly one of --queries FILE and --ids A..B".into()),
    };
    let rate: f64 = a.num("--rate", 0.0)?;
    let duration: f64 = a.num("--duration", 0.0)?;
    if rate <= 0.0 || duration <= 0.0 {
        return Err("--rate R and --duration SECS are required (> 0)".into());
    }
    let connections: usize = a.num("--connections", 16)?;
    // `--header 'Name: value'`, e.g. an `Authorization: Bearer TOKEN` for a console that wants
    // a login.
    let extra = match a.str("--header") {
        Some(h) if h.contains(':') && !h.contains('\n') && !h.contains('\r') => format!("{h}\r\n"),
        Some(h) => return Err(format!("--header {h:?}: expected 'Name: value'")),
        None => String::new(),
    };
    let timeout = Duration::from_secs_f64(a.num("--timeout", 10.0)?);
    let addr = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| format!("{host}:{port}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host}:{port}: no address"))?;
    let host_header = if port == 80 {
        host.clone()
    } else {
        format!("{host}:{port}")
    };

    let total = (rate * duration).floor() as u64;
    let next = Arc::new(AtomicU64::new(0));
    let source = Arc::new(source);
    let start = Instant::now() + Duration::from_millis(50);
    let give_up = start + Duration::from_secs_f64(duration) + timeout;
    let workers: Vec<_> = (0..connections.max(1))
        .map(|_| {
            let (next, source, path_template, host_header, extra) = (
                next.clone(),
                source.clone(),
                path_template.clone(),
                host_header.clone(),
                extra.clone(),
            );
            std::thread::spawn(move || {
                let mut st = WorkerStats::default();
                let mut conn: Option<Conn> = None;
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= total {
                        break;
                    }
                    let scheduled = start + Duration::from_secs_f64(k as f64 / rate);
                    let now = Instant::now();
                    if now > give_up {
                        break; // k and the rest stay unsent
                    }
                    if scheduled > now {
                        std::thread::sleep(scheduled - now);
                    }
                    let path = source.path(&path_template, k);
                    st.sent += 1;
                    let mut result = match conn.as_mut() {
                        Some(c) => c.get(&host_header, &extra, &path),
                        None => Err(io::ErrorKind::NotConnected.into()),
                    };
                    // A fresh connection when there is none, or when a kept-alive one turned out
                    // to be closed by the server (GET is idempotent: one retry).
                    if let Err(e) = &result {
                        if matches!(
                            e.kind(),
                            io::ErrorKind::NotConnected
                                | io::ErrorKind::UnexpectedEof
                                | io::ErrorKind::ConnectionReset
                                | io::ErrorKind::BrokenPipe
                        ) {
                            conn = None;
                            result = Conn::open(&addr, timeout).and_then(|mut c| {
                                let r = c.get(&host_header, &extra, &path);
                                conn = Some(c);
                                r
                            });
                        }
                    }
                    let done = Instant::now();
                    match result {
                        Ok(resp) => {
                            st.latencies_us
                                .push(done.duration_since(scheduled).as_micros() as u64);
                            if let Some((index, db)) = resp.timing {
                                st.index_us.push((index * 1000.0) as u64);
                                st.db_us.push((db * 1000.0) as u64);
                            }
                            if !(200..300).contains(&resp.status) {
                                st.non2xx += 1;
                                st.first_non2xx
                                    .get_or_insert_with(|| format!("{} {path}", resp.status));
                            }
                            if !resp.keep_alive {
                                conn = None;
                            }
                        }
                        Err(e) => {
                            st.errors += 1;
                            st.first_error.get_or_insert_with(|| format!("{path}: {e}"));
                            conn = None;
                        }
                    }
                }
                st
            })
        })
        .collect();

    let mut all = WorkerStats::default();
    for w in workers {
        let st = w.join().map_err(|_| "a worker panicked")?;
        all.latencies_us.extend(st.latencies_us);
        all.index_us.extend(st.index_us);
        all.db_us.extend(st.db_us);
        all.sent += st.sent;
        all.non2xx += st.non2xx;
        all.errors += st.errors;
        if all.first_error.is_none() {
            all.first_error = st.first_error;
        }
        if all.first_non2xx.is_none() {
            all.first_non2xx = st.first_non2xx;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let completed = all.latencies_us.len() as u64;
    all.latencies_us.sort_unstable();
    let l = &all.latencies_us;
    println!(
        "load scheduled {total} sent {} completed {completed} non2xx {} errors {} unsent {} rate {rate} \
         achieved_rps {:.1} connections {connections} p50_ms {:.2} p90_ms {:.2} p99_ms {:.2} max_ms {:.2}",
        all.sent,
        all.non2xx,
        all.errors,
        total - all.sent,
        completed as f64 / elapsed.max(duration),
        percentile(l, 0.50),
        percentile(l, 0.90),
        percentile(l, 0.99),
        l.last().map_or(f64::NAN, |&m| m as f64 / 1000.0),
    );
    if !all.index_us.is_empty() {
        // Where the server's time went (its own Server-Timing), apart from queueing and I/O.
        all.index_us.sort_unstable();
        all.db_us.sort_unstable();
        println!(
            "server_timing answers {} index_p50_ms {:.2} index_p99_ms {:.2} db_p50_ms {:.2} db_p99_ms {:.2}",
            all.index_us.len(),
            percentile(&all.index_us, 0.50),
            percentile(&all.index_us, 0.99),
            percentile(&all.db_us, 0.50),
            percentile(&all.db_us, 0.99),
        );
    }
    if let Some(e) = all.first_error {
        eprintln!("registerbench load: first error: {e}");
    }
    if let Some(e) = all.first_non2xx {
        eprintln!("registerbench load: first non-2xx: {e}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding_and_splitting() {
        assert_eq!(encode("南宁 a&b"), "%E5%8D%97%E5%AE%81%20a%26b");
        assert_eq!(encode("Az09-._~"), "Az09-._~");
        let (h, p, path) = split_url("http://127.0.0.1:8080/api/search?q={q}").unwrap();
        assert_eq!(
            (h.as_str(), p, path.as_str()),
            ("127.0.0.1", 8080, "/api/search?q={q}")
        );
        assert!(split_url("https://x/").is_err());
    }

    #[test]
    fn server_timing_header() {
        assert_eq!(
            server_timing("index;dur=1.25, db;dur=0.50, render;dur=0.1"),
            Some((1.25, 0.5))
        );
        assert_eq!(server_timing("db;dur=2"), None);
    }

    #[test]
    fn percentiles_nearest_rank() {
        let v: Vec<u64> = (1..=100).map(|x| x * 1000).collect();
        assert_eq!(percentile(&v, 0.5), 50.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert_eq!(percentile(&v[..1], 0.99), 1.0);
    }

    #[test]
    fn ids_are_deterministic_and_in_range() {
        let s = Source::Ids {
            lo: 5,
            hi: 9,
            seed: 1,
        };
        let a: Vec<String> = (0..200).map(|k| s.path("/e/{id}", k)).collect();
        let b: Vec<String> = (0..200).map(|k| s.path("/e/{id}", k)).collect();
        assert_eq!(a, b);
        for p in &a {
            let id: u64 = p.trim_start_matches("/e/").parse().unwrap();
            assert!((5..=9).contains(&id));
        }
        assert!((5..=9).all(|i| a.contains(&format!("/e/{i}"))));
    }
}
