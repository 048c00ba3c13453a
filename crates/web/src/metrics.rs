//! `/metrics`: the console's figures for an operator's Prometheus, in the text exposition
//! format 0.0.4 (`# HELP` and `# TYPE` before each family's samples, label values escaped,
//! counters ending in `_total`), written here by [`Exposition`] without a client library.
//!
//! What is exposed: the build; the process (resident memory, open files, threads, the async
//! runtime's live tasks); the store's city-wide counts, each one cheap query
//! ([`store::OpsStore`], the `totals` and the dashboard's sweep progress): the current city
//! sweep (the running one, else the last), its sites done of planned, pages and failed fetches
//! by reason code ([`crawl::FetchError::code_of_stored`]), findings by category and severity,
//! the queues waiting for a person; and the console's request latencies as a histogram by
//! route *template* (`/cases/{id}`, never a path with an id), method and status class, kept in
//! memory by the [`observe`] middleware ([`HttpMetrics`]).
//!
//! Access: operators' machines, not people: `Authorization: Bearer` with the configured
//! `[console] metrics_token` (compared in constant time, never a user's session, so a scrape
//! touches no session row); without a configured token `/metrics` is off (404), with a wrong
//! or missing one 401. Nothing here is personal data or a row of anyone's scope: counts only.
//! A scrape never writes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use store::Scope;

use crate::Shared;

/// The exposition format's content type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The latency histogram's upper bounds, in seconds (Prometheus' usual defaults).
pub const LATENCY_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The route label of a request no route matched (404s of unknown paths): one series, so
/// that scanning for paths cannot grow the label set.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// A family's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn code(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// A document in the text exposition format, written family by family.
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
}

impl Exposition {
    /// Starts a family: its `# HELP` and `# TYPE` lines. `name` must be a valid metric name
    /// (checked in debug builds; the tests parse every family the console writes).
    pub fn family(&mut self, name: &str, help: &str, kind: Kind) {
        debug_assert!(valid_name(name), "{name}");
        debug_assert!(kind != Kind::Counter || name.ends_with("_total"), "{name}");
        let _ = writeln!(self.out, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.out, "# TYPE {name} {}", kind.code());
    }

    /// One sample of the family begun last (or of its `_bucket`, `_sum`, `_count` series).
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                debug_assert!(valid_label_name(k), "{k}");
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape_label_value(v));
            }
            self.out.push('}');
        }
        self.out.push(' ');
        self.out.push_str(&number(value));
        self.out.push('\n');
    }

    /// A family of one unlabelled sample.
    pub fn single(&mut self, name: &str, help: &str, kind: Kind, value: f64) {
        self.family(name, help, kind);
        self.sample(name, &[], value);
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// Whether `name` is a metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Whether `name` is a label name: `[a-zA-Z_][a-zA-Z0-9_]*`, not reserved (`__`).
pub fn valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    !name.starts_with("__")
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A label value as the format writes it: backslash, double quote and line feed escaped.
pub fn escape_label_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A `# HELP` text: backslash and line feed escaped.
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A sample value: integers without a fraction, `+Inf`/`-Inf`/`NaN` spelled as the format
/// wants them.
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// One latency histogram: counts per bucket (not cumulative: the writer adds them up), the
/// sum and the count.
#[derive(Debug, Clone, Default)]
struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(i) = LATENCY_BUCKETS.iter().position(|&b| seconds <= b) {
            self.buckets[i] += 1;
        }
        self.sum += seconds;
        self.count += 1;
    }
}

/// A series' labels: route template, method, status class.
type SeriesKey = (String, &'static str, &'static str);

/// The console's request latencies, by route template, method and status class. The label
/// set is bounded: routes are the router's templates (or [`UNMATCHED_ROUTE`]), methods the
/// standard ones (else `other`), statuses five classes.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    series: Mutex<BTreeMap<SeriesKey, Histogram>>,
}

impl HttpMetrics {
    /// Counts one answered request.
    pub fn observe(&self, route: &str, method: &Method, status: StatusCode, took: Duration) {
        let key = (
            route.to_string(),
            method_label(method),
            status_class(status),
        );
        let mut series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        series.entry(key).or_default().observe(took.as_secs_f64());
    }

    /// Writes the histogram family.
    fn write(&self, out: &mut Exposition) {
        const NAME: &str = "wangjian_http_request_duration_seconds";
        out.family(
            NAME,
            "Time the console took to answer a request, by route template, method and status class.",
            Kind::Histogram,
        );
        let series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        for ((route, method, class), h) in series.iter() {
            let base = [
                ("route", route.as_str()),
                ("method", method),
                ("status_class", class),
            ];
            let mut cumulative = 0;
            for (bound, n) in LATENCY_BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                let le = number(*bound);
                let mut labels = base.to_vec();
                labels.push(("le", &le));
                out.sample(&format!("{NAME}_bucket"), &labels, cumulative as f64);
            }
            let mut labels = base.to_vec();
            labels.push(("le", "+Inf"));
            out.sample(&format!("{NAME}_bucket"), &labels, h.count as f64);
            out.sample(&format!("{NAME}_sum"), &base, h.sum);
            out.sample(&format!("{NAME}_count"), &base, h.count as f64);
        }
    }
}

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_class(s: StatusCode) -> &'static str {
    match s.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Middleware: times every request the console's router answers and counts it under its
/// route template ([`UNMATCHED_ROUTE`] when none matched).
pub(crate) async fn observe(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED_ROUTE.to_string(), |p| p.as_str().to_string());
    let method = req.method().clone();
    let started = Instant::now();
    let res = next.run(req).await;
    app.http
        .observe(&route, &method, res.status(), started.elapsed());
    res
}

/// The bearer token `/metrics` asks for (`[console] metrics_token`). `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken(String);

/// The shortest metrics token accepted.
pub const MIN_TOKEN_LEN: usize = 16;

/// Why a metrics token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MetricsTokenError {
    #[error("metrics token shorter than {} characters", MIN_TOKEN_LEN)]
    TooShort,
    #[error("metrics token holds a character other than a visible ASCII one")]
    NotVisibleAscii,
}

impl MetricsTokenError {
    pub fn code(self) -> &'static str {
        match self {
            MetricsTokenError::TooShort => "too_short",
            MetricsTokenError::NotVisibleAscii => "not_visible_ascii",
        }
    }
}

impl MetricsToken {
    /// A token of at least [`MIN_TOKEN_LEN`] visible ASCII characters (it travels in a header).
    pub fn new(token: &str) -> Result<MetricsToken, MetricsTokenError> {
        if !token.chars().all(|c| c.is_ascii_graphic()) {
            return Err(MetricsTokenError::NotVisibleAscii);
        }
        if token.len() < MIN_TOKEN_LEN {
            return Err(MetricsTokenError::TooShort);
        }
        Ok(MetricsToken(token.to_string()))
    }

    fn admits(&self, headers: &HeaderMap) -> bool {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| people::secrets_equal(given.trim(), &self.0))
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(***)")
    }
}

/// `GET /metrics`: the exposition, for the holder of the metrics token.
pub(crate) async fn metrics(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let Some(token) = &app.ops.metrics_token else {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    };
    if !token.admits(&headers) {
        let mut res = plain(StatusCode::UNAUTHORIZED, "metrics token required\n");
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"wangjian-metrics\""),
        );
        return res;
    }
    let mut out = Exposition::default();
    write_build(&mut out);
    write_process(&mut out, app.started_at);
    let store_up = match write_store(&mut out, app.store.as_ref()).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the store's figures could not be read");
            false
        }
    };
    out.single(
        "wangjian_store_up",
        "Whether the store's figures could be read for this scrape (1) or not (0).",
        Kind::Gauge,
        f64::from(u8::from(store_up)),
    );
    app.http.write(&mut out);
    let mut res = (StatusCode::OK, out.finish()).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn plain(status: StatusCode, body: &'static str) -> Response {
    let mut res = (status, body).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn write_build(out: &mut Exposition) {
    out.family(
        "wangjian_build_info",
        "The running build (value 1): its version.",
        Kind::Gauge,
    );
    out.sample(
        "wangjian_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1.0,
    );
}

/// The process as Linux's `/proc/self` shows it (families whose file cannot be read are left
/// out), the async runtime's tasks and workers, and the start time.
fn write_process(out: &mut Exposition, started_at: SystemTime) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok())
    };
    if let Some(kib) = field("VmRSS:") {
        out.single(
            "process_resident_memory_bytes",
            "Resident memory of the process, in bytes.",
            Kind::Gauge,
            (kib * 1024) as f64,
        );
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        out.single(
            "process_open_fds",
            "File descriptors the process holds open.",
            Kind::Gauge,
            fds.count() as f64,
        );
    }
    if let Some(threads) = field("Threads:") {
        out.single(
            "process_threads",
            "Operating-system threads of the process.",
            Kind::Gauge,
            threads as f64,
        );
    }
    if let Ok(since) = started_at.duration_since(UNIX_EPOCH) {
        out.single(
            "process_start_time_seconds",
            "When the console started, in seconds since the Unix epoch.",
            Kind::Gauge,
            since.as_secs() as f64,
        );
    }
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        let m = rt.metrics();
        out.single(
            "wangjian_runtime_alive_tasks",
            "Tasks alive in the console's async runtime (requests, the scheduler, sweeps).",
            Kind::Gauge,
            m.num_alive_tasks() as f64,
        );
        out.single(
            "wangjian_runtime_workers",
            "Worker threads of the console's async runtime.",
            Kind::Gauge,
            m.num_workers() as f64,
        );
    }
}

/// The store's figures: the register, the current city sweep, findings, queues.
async fn write_store(out: &mut Exposition, store: &dyn store::Store) -> store::Result<()> {
    // Read everything first, so that a failure leaves no half-written family.
    let totals = store.totals(Scope::City).await?;
    let running = store.unfinished_sweep().await?;
    let is_running = running.is_some();
    let current = match running {
        Some(s) => Some(s),
        None => store
            .list_sweeps(50)
            .await?
            .into_iter()
            .find(|s| s.kind == store::SweepKind::Sweep),
    };
    let progress = store.sweep_progress(Scope::City).await?;
    let errors = match &current {
        Some(s) => store.fetch_errors(s.id).await?,
        None => Vec::new(),
    };
    let tallies = store.finding_tallies().await?;
    let queues = store.queue_depths().await?;

    out.single(
        "wangjian_entities",
        "Entities in the register.",
        Kind::Gauge,
        totals.entities as f64,
    );
    out.single(
        "wangjian_sites",
        "Sites in the register (registered and promoted discoveries).",
        Kind::Gauge,
        totals.sites as f64,
    );
    out.single(
        "wangjian_fetches_total",
        "HTTP exchanges recorded by every sweep, capture and re-check (fetch rows are never deleted).",
        Kind::Counter,
        totals.fetches as f64,
    );

    out.single(
        "wangjian_sweep_running",
        "Whether a city sweep is running (1) or not (0).",
        Kind::Gauge,
        f64::from(u8::from(is_running)),
    );
    if let Some(sweep) = &current {
        let (planned, done) = match (&progress, is_running) {
            (Some(p), true) if p.sweep == sweep.id => (p.planned, p.done),
            _ => (sweep.sites, sweep.sites),
        };
        out.single(
            "wangjian_sweep_id",
            "The current city sweep's id: the running one, else the last one.",
            Kind::Gauge,
            sweep.id.0 as f64,
        );
        out.family(
            "wangjian_sweep_sites",
            "Sites of the current city sweep: planned, and done (fetched or given up).",
            Kind::Gauge,
        );
        out.sample(
            "wangjian_sweep_sites",
            &[("state", "planned")],
            planned as f64,
        );
        out.sample("wangjian_sweep_sites", &[("state", "done")], done as f64);
        out.single(
            "wangjian_sweep_pages",
            "Pages fetched (a response came) in the current city sweep.",
            Kind::Gauge,
            sweep.pages as f64,
        );
        out.single(
            "wangjian_sweep_findings",
            "Findings first found by the current city sweep.",
            Kind::Gauge,
            sweep.findings as f64,
        );
        let mut by_code: BTreeMap<&'static str, i64> =
            crawl::FETCH_ERROR_CODES.iter().map(|c| (*c, 0)).collect();
        for e in &errors {
            *by_code
                .entry(crawl::FetchError::code_of_stored(&e.error))
                .or_default() += e.count;
        }
        out.family(
            "wangjian_sweep_fetch_errors",
            "Failed fetches of the current city sweep, by reason code.",
            Kind::Gauge,
        );
        for (code, n) in by_code {
            out.sample("wangjian_sweep_fetch_errors", &[("reason", code)], n as f64);
        }
    }

    out.family(
        "wangjian_findings_total",
        "Findings stored, by category code and severity (a finding is stored once, when first found).",
        Kind::Counter,
    );
    for t in &tallies {
        out.sample(
            "wangjian_findings_total",
            &[
                ("category", t.category.code()),
                ("severity", t.severity.code()),
            ],
            t.count as f64,
        );
    }
    out.family(
        "wangjian_queue_depth",
        "Records waiting for a person, by queue.",
        Kind::Gauge,
    );
    for q in &queues {
        out.sample(
            "wangjian_queue_depth",
            &[("queue", q.queue.code())],
            q.count as f64,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_labels_are_checked_and_values_escaped() {
        for ok in ["wangjian_x", "a:b_c9", "_x", ":x"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "9x", "a-b", "a b", "名"] {
            assert!(!valid_name(bad), "{bad}");
        }
        assert!(valid_label_name("route"));
        assert!(!valid_label_name("__name__"));
        assert!(!valid_label_name("a:b"));
        assert_eq!(escape_label_value("a\\b\"c\nd名"), "a\\\\b\\\"c\\nd名");
        let mut out = Exposition::default();
        out.family("x_total", "Help with \\ and\nline.", Kind::Counter);
        out.sample("x_total", &[("l", "q\"")], 3.0);
        out.sample("x_total", &[], 0.25);
        assert_eq!(
            out.finish(),
            "# HELP x_total Help with \\\\ and\\nline.\n# TYPE x_total counter\n\
             x_total{l=\"q\\\"\"} 3\nx_total 0.25\n"
        );
    }

    #[test]
    fn a_histogram_is_cumulative_and_bounded_by_route_templates() {
        let m = HttpMetrics::default();
        let ms = Duration::from_millis;
        m.observe("/cases/{id}", &Method::GET, StatusCode::OK, ms(3));
        m.observe("/cases/{id}", &Method::GET, StatusCode::OK, ms(30));
        m.observe("/cases/{id}", &Method::GET, StatusCode::OK, ms(20_000));
        m.observe(
            UNMATCHED_ROUTE,
            &Method::from_bytes(b"BREW").unwrap(),
            StatusCode::NOT_FOUND,
            ms(1),
        );
        let mut out = Exposition::default();
        m.write(&mut out);
        let text = out.finish();
        let line = |le: &str| {
            format!(
                "wangjian_http_request_duration_seconds_bucket{{route=\"/cases/{{id}}\",method=\"GET\",status_class=\"2xx\",le=\"{le}\"}}"
            )
        };
        assert!(text.contains(&format!("{} 1\n", line("0.005"))), "{text}");
        assert!(text.contains(&format!("{} 1\n", line("0.025"))), "{text}");
        assert!(text.contains(&format!("{} 2\n", line("0.05"))), "{text}");
        assert!(text.contains(&format!("{} 2\n", line("10"))), "{text}");
        assert!(text.contains(&format!("{} 3\n", line("+Inf"))), "{text}");
        assert!(text.contains(
            "wangjian_http_request_duration_seconds_count{route=\"unmatched\",method=\"other\",status_class=\"4xx\"} 1\n"
        ));
    }
}
