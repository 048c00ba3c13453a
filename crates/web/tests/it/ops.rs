//! The operator's surface: `/healthz` and `/readyz` without a login (naming the check that
//! failed: database, migrations, data directory), `/metrics` only for the metrics token, its
//! text checked line by line by a strict reader of the exposition format here and by
//! Prometheus' own Python client (`prometheus_client.parser`), and the portal's probes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use web::metrics::MetricsToken;
use web::{AppState, OpsSettings};

use crate::{assert_security_headers, fixture, get, send, Got};

const TOKEN: &str = "metrics-token-0123456789";

fn with_ops(state: &AppState, ops: OpsSettings) -> Router {
    let mut state = state.clone();
    state.ops = ops;
    web::router(state)
}

fn token() -> Option<MetricsToken> {
    Some(MetricsToken::new(TOKEN).unwrap())
}

async fn scrape(router: &Router, auth: Option<&str>) -> Got {
    let mut req = Request::get("/metrics");
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    send(router, req.body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn probes_answer_without_a_login() {
    let fx = fixture().await;
    let data = tempfile::tempdir().unwrap();
    let router = with_ops(
        &fx.state,
        OpsSettings {
            metrics_token: None,
            writable: vec![data.path().to_path_buf()],
        },
    );
    let audit_before = fx.state.store.recent_audit(10_000).await.unwrap().len();
    let live = get(&router, "/healthz").await;
    assert_eq!(live.status, StatusCode::OK);
    assert_eq!(live.body, "ok\n");
    assert_security_headers(&live.headers);
    assert_eq!(live.headers["cache-control"], "no-store");
    let ready = get(&router, "/readyz").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    assert_eq!(
        ready.json(),
        serde_json::json!({"status": "ready", "failed": []})
    );
    assert_security_headers(&ready.headers);
    assert_eq!(ready.headers["cache-control"], "no-store");
    // A probe writes nothing.
    assert_eq!(
        fx.state.store.recent_audit(10_000).await.unwrap().len(),
        audit_before
    );
    assert_eq!(std::fs::read_dir(data.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn readiness_names_the_check_that_failed() {
    let fx = fixture().await;
    let ready = |router: Router| async move {
        let got = get(&router, "/readyz").await;
        assert_eq!(got.status, StatusCode::SERVICE_UNAVAILABLE, "{}", got.body);
        got.json()
    };
    // A data directory that cannot be made (its parent is missing), or a plain file where it
    // should be.
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    for dir in [data.path().join("missing/warc"), file] {
        let body = ready(with_ops(
            &fx.state,
            OpsSettings {
                metrics_token: None,
                writable: vec![data.path().to_path_buf(), dir],
            },
        ))
        .await;
        assert_eq!(
            body,
            serde_json::json!({"status": "not_ready", "failed": ["data_dir"]})
        );
    }

    // A database a newer build has migrated since this one opened it.
    let db = store::testing::TestDb::new(store::testing::Backend::Sqlite).await;
    let newer = db.open(None).await.unwrap();
    db.exec_raw(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from a newer build', TRUE, X'00', 0)",
    )
    .await
    .unwrap();
    let mut state = fx.state.clone();
    state.store = newer;
    let body = ready(with_ops(&state, OpsSettings::default())).await;
    assert_eq!(
        body,
        serde_json::json!({"status": "not_ready", "failed": ["migrations"]})
    );

    // A database that cannot be reached (its pool closed), and an unwritable directory too.
    let dir = tempfile::tempdir().unwrap();
    let closed = store::SqliteStore::open(&dir.path().join("w.db"))
        .await
        .unwrap();
    closed.close().await;
    let mut state = fx.state.clone();
    state.store = Arc::new(closed);
    let body = ready(with_ops(
        &state,
        OpsSettings {
            metrics_token: None,
            writable: vec![dir.path().join("gone/warc")],
        },
    ))
    .await;
    assert_eq!(
        body,
        serde_json::json!({"status": "not_ready", "failed": ["database", "data_dir"]})
    );
}

#[tokio::test]
async fn metrics_answer_only_the_metrics_token() {
    let fx = fixture().await;
    // No token configured: there is no /metrics, for anyone (a logged-in supervisor too).
    let off = with_ops(&fx.state, OpsSettings::default());
    assert_eq!(scrape(&off, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        scrape(&off, Some(&format!("Bearer {TOKEN}"))).await.status,
        StatusCode::NOT_FOUND
    );
    let mut state = fx.state.clone();
    state.ops.metrics_token = token();
    // The fixture's router carries a supervisor's session cookie: a session is not the token.
    let (with_session, _) = crate::logged_in(&state, "ops-admin", domain::Role::Admin, &[]).await;
    let refused = scrape(&with_session, None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused.headers["www-authenticate"],
        "Bearer realm=\"wangjian-metrics\""
    );
    assert!(!refused.body.contains("wangjian_"), "{}", refused.body);
    let router = web::router(state);
    for wrong in [
        "Bearer metrics-token-0123456780",
        "Bearer metrics-token-01234567890",
        "Basic bWV0cmljczp0b2tlbg==",
        TOKEN,
        "Bearer ",
    ] {
        assert_eq!(
            scrape(&router, Some(wrong)).await.status,
            StatusCode::UNAUTHORIZED,
            "{wrong}"
        );
    }
    let ok = scrape(&router, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(
        ok.headers["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert_eq!(ok.headers["cache-control"], "no-store");
    assert_security_headers(&ok.headers);
    // A token too short, or not one header value, is refused when configured.
    assert!(MetricsToken::new("short").is_err());
    assert!(MetricsToken::new("sixteen chars but spaced").is_err());
}

#[tokio::test]
async fn metrics_parse_and_count_the_store_and_the_requests() {
    let fx = fixture().await;
    let mut state = fx.state.clone();
    state.ops.metrics_token = token();
    let router = web::router(state);
    // Requests of routes with ids, an unknown path and a probe: counted by template.
    for path in [
        format!("/sites/{}", fx.shop),
        format!("/sites/{}", fx.casino),
        "/no/such/page/42".into(),
        "/healthz".into(),
        "/api/v1/openapi.json".into(),
    ] {
        get(&router, &path).await;
    }
    let got = scrape(&router, Some(&format!("Bearer {TOKEN}"))).await.ok();
    let text = got.body;
    let parsed = parse_exposition(&text);

    // The build, the process, the store's figures.
    assert_eq!(
        parsed.value(
            "wangjian_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        Some(1.0)
    );
    assert_eq!(parsed.value("wangjian_store_up", &[]), Some(1.0));
    assert!(parsed.value("process_resident_memory_bytes", &[]).unwrap() > 1e6);
    assert!(parsed.value("process_open_fds", &[]).unwrap() >= 3.0);
    assert!(parsed.value("process_threads", &[]).unwrap() >= 1.0);
    assert!(parsed.value("wangjian_runtime_alive_tasks", &[]).is_some());
    let totals = fx.state.store.totals(store::Scope::City).await.unwrap();
    assert_eq!(
        parsed.value("wangjian_fetches_total", &[]),
        Some(totals.fetches as f64)
    );
    assert_eq!(
        parsed.value("wangjian_entities", &[]),
        Some(totals.entities as f64)
    );
    for code in ["ad.absolute_term", "content.gambling"] {
        let category: domain::Category = code.parse().unwrap();
        assert_eq!(
            parsed.value(
                "wangjian_findings_total",
                &[("category", code), ("severity", category.severity().code())]
            ),
            Some(1.0),
            "{text}"
        );
    }
    let findings: f64 = parsed
        .samples
        .iter()
        .filter(|s| s.name == "wangjian_findings_total")
        .map(|s| s.value)
        .sum();
    assert_eq!(findings, totals.findings as f64);
    // The fixture's sweep is finished: not running, its sites all done, its failed fetch
    // ("connection refused", a text no crawler variant writes) under `other`.
    assert_eq!(parsed.value("wangjian_sweep_running", &[]), Some(0.0));
    assert!(parsed.value("wangjian_sweep_id", &[]).is_some());
    assert_eq!(
        parsed.value("wangjian_sweep_sites", &[("state", "planned")]),
        parsed.value("wangjian_sweep_sites", &[("state", "done")])
    );
    assert_eq!(
        parsed.value("wangjian_sweep_fetch_errors", &[("reason", "other")]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        parsed.value("wangjian_sweep_fetch_errors", &[("reason", "timeout")]),
        Some(0.0)
    );
    for q in store::ops::Queue::ALL {
        assert!(
            parsed
                .value("wangjian_queue_depth", &[("queue", q.code())])
                .is_some(),
            "{}",
            q.code()
        );
    }

    // Latencies by route template, never by raw path or id.
    let routes: BTreeSet<&str> = parsed
        .samples
        .iter()
        .filter(|s| s.name == "wangjian_http_request_duration_seconds_count")
        .map(|s| s.label("route").unwrap())
        .collect();
    for want in [
        "/sites/{id}",
        "unmatched",
        "/healthz",
        "/api/v1/openapi.json",
    ] {
        assert!(routes.contains(want), "{want} not in {routes:?}");
    }
    for r in &routes {
        assert!(
            !r.split('/')
                .any(|seg| !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit())),
            "an id in {r}"
        );
    }
    assert_eq!(
        parsed.value(
            "wangjian_http_request_duration_seconds_count",
            &[
                ("route", "/sites/{id}"),
                ("method", "GET"),
                // No session: both were sent to the login page.
                ("status_class", "3xx")
            ]
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        parsed.value(
            "wangjian_http_request_duration_seconds_count",
            &[
                ("route", "unmatched"),
                ("method", "GET"),
                ("status_class", "4xx")
            ]
        ),
        Some(1.0),
        "{text}"
    );

    // Prometheus' own parser reads the same families and samples.
    let python = python_with_prometheus_client();
    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for fam in text_string_to_metric_families(sys.stdin.read()):
    out[fam.name] = [fam.type, len(fam.samples)]
print(json.dumps(out, sort_keys=True))
"#;
    let mut child = Command::new(&python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "prometheus_client refused the exposition: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: BTreeMap<String, (String, usize)> =
        serde_json::from_slice(&out.stdout).expect("the script's JSON");
    // prometheus_client names a counter's family without `_total`.
    let ours: BTreeMap<String, (String, usize)> = parsed
        .types
        .iter()
        .map(|(name, kind)| {
            let family = match kind.as_str() {
                "counter" => name.strip_suffix("_total").unwrap_or(name).to_string(),
                _ => name.clone(),
            };
            let n = parsed.samples.iter().filter(|s| s.family == *name).count();
            (family, (kind.clone(), n))
        })
        .collect();
    assert_eq!(theirs, ours);
}

#[tokio::test]
async fn the_portal_has_the_probes_and_no_metrics() {
    let fx = fixture().await;
    let portal = web::portal_router(web::PortalState {
        store: fx.state.store.clone(),
        districts: domain::DistrictTable::nanning(),
        transport: web::Transport::default(),
        settings: web::PortalSettings::new("http://127.0.0.1:8081"),
        badges: None,
    });
    let live = get(&portal, "/healthz").await;
    assert_eq!((live.status, live.body.as_str()), (StatusCode::OK, "ok\n"));
    let ready = get(&portal, "/readyz").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    assert_eq!(ready.json()["status"], "ready");
    assert_security_headers(&ready.headers);
    assert_eq!(
        scrape(&portal, Some(&format!("Bearer {TOKEN}")))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// One sample line, read.
#[derive(Debug)]
struct Sample {
    /// The family it belongs to (a histogram's `_bucket`, `_sum`, `_count` belong to it).
    family: String,
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

impl Sample {
    fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Default)]
struct Parsed {
    /// Family name → type.
    types: BTreeMap<String, String>,
    samples: Vec<Sample>,
}

impl Parsed {
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples
            .iter()
            .find(|s| {
                s.name == name
                    && s.labels.len() == labels.len()
                    && labels.iter().all(|(k, v)| s.label(k) == Some(v))
            })
            .map(|s| s.value)
    }
}

fn valid_name(n: &str) -> bool {
    let mut c = n.chars();
    c.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && c.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Reads an exposition strictly: every line a `# HELP`/`# TYPE` comment or a sample of the
/// family typed last; names and label names valid; label values with only the three escapes;
/// values numbers; counters ending in `_total`; each series once; histogram buckets
/// cumulative with `+Inf` equal to `_count`. Panics naming the first bad line.
fn parse_exposition(text: &str) -> Parsed {
    assert!(text.ends_with('\n'), "the exposition ends with a line feed");
    let mut parsed = Parsed::default();
    let mut current: Option<(String, String)> = None;
    let mut helped = BTreeSet::new();
    let mut series = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        macro_rules! bad {
            ($why:expr) => {
                panic!("line {}: {}: {:?}", i + 1, $why, line)
            };
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (kw, name) = (parts.next().unwrap(), parts.next().unwrap_or(""));
            let arg = parts.next().unwrap_or("");
            if !valid_name(name) {
                bad!("a bad metric name");
            }
            match kw {
                "HELP" => {
                    if !helped.insert(name.to_string()) {
                        bad!("a second HELP");
                    }
                    // Only `\\` and `\n` escapes in help text.
                    let mut chars = arg.chars();
                    while let Some(c) = chars.next() {
                        if c == '\\' && !matches!(chars.next(), Some('\\' | 'n')) {
                            bad!("a bad escape in HELP");
                        }
                    }
                }
                "TYPE" => {
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&arg) {
                        bad!("an unknown type");
                    }
                    if arg == "counter" && !name.ends_with("_total") {
                        bad!("a counter not ending in _total");
                    }
                    if parsed.types.insert(name.into(), arg.into()).is_some() {
                        bad!("a second TYPE");
                    }
                    current = Some((name.to_string(), arg.to_string()));
                }
                _ => bad!("a comment that is neither HELP nor TYPE"),
            }
            continue;
        }
        if line.starts_with('#') || line.trim().is_empty() {
            bad!("a stray comment or blank line");
        }
        let Some((family, kind)) = current.clone() else {
            bad!("a sample before any TYPE")
        };
        // name, then optional {labels}, then a space and the value.
        let name_end = line.find(['{', ' ']).unwrap_or_else(|| bad!("no value"));
        let name = &line[..name_end];
        if !valid_name(name) {
            bad!("a bad metric name");
        }
        let allowed: Vec<String> = match kind.as_str() {
            "histogram" => ["_bucket", "_sum", "_count"]
                .iter()
                .map(|s| format!("{family}{s}"))
                .collect(),
            _ => vec![family.clone()],
        };
        if !allowed.iter().any(|a| a == name) {
            bad!("a sample of another family than the one typed last");
        }
        let mut rest = &line[name_end..];
        let mut labels = Vec::new();
        if let Some(r) = rest.strip_prefix('{') {
            let mut chars = r.char_indices().peekable();
            loop {
                // label name
                let start = chars.peek().map(|(j, _)| *j).unwrap_or_else(|| bad!("cut"));
                let mut end = start;
                while let Some(&(j, c)) = chars.peek() {
                    if c == '=' {
                        end = j;
                        break;
                    }
                    chars.next();
                }
                let lname = &r[start..end];
                let mut lc = lname.chars();
                if !(lc
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && lc.all(|c| c.is_ascii_alphanumeric() || c == '_'))
                    || lname.starts_with("__")
                {
                    bad!("a bad label name");
                }
                chars.next(); // '='
                if chars.next().map(|(_, c)| c) != Some('"') {
                    bad!("a label value not quoted");
                }
                let mut value = String::new();
                loop {
                    match chars.next().map(|(_, c)| c) {
                        Some('\\') => match chars.next().map(|(_, c)| c) {
                            Some('\\') => value.push('\\'),
                            Some('"') => value.push('"'),
                            Some('n') => value.push('\n'),
                            _ => bad!("a bad escape in a label value"),
                        },
                        Some('"') => break,
                        Some(c) => value.push(c),
                        None => bad!("an unterminated label value"),
                    }
                }
                if labels.iter().any(|(k, _): &(String, String)| k == lname) {
                    bad!("a label twice");
                }
                labels.push((lname.to_string(), value));
                match chars.next() {
                    Some((_, ',')) => continue,
                    Some((j, '}')) => {
                        rest = &r[j + 1..];
                        break;
                    }
                    _ => bad!("labels not closed"),
                }
            }
        }
        let value_text = rest
            .strip_prefix(' ')
            .unwrap_or_else(|| bad!("no space before the value"));
        if value_text.contains(' ') {
            bad!("a timestamp or trailing text (none is written)");
        }
        let value = match value_text {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            v => v
                .parse::<f64>()
                .unwrap_or_else(|_| bad!("a value that is no number")),
        };
        if kind == "histogram"
            && name.ends_with("_bucket")
            && !labels.iter().any(|(k, _)| k == "le")
        {
            bad!("a bucket without le");
        }
        let mut key = labels.clone();
        key.sort();
        if !series.insert((name.to_string(), key)) {
            bad!("a series twice");
        }
        parsed.samples.push(Sample {
            family,
            name: name.to_string(),
            labels,
            value,
        });
    }
    // Every family has its HELP; histogram buckets are cumulative and end at `_count`.
    for name in parsed.types.keys() {
        assert!(helped.contains(name), "{name} has no HELP");
    }
    // A series' labels but `le` → its buckets as (upper bound, cumulative count).
    type Series = Vec<(String, String)>;
    let mut buckets: BTreeMap<Series, Vec<(f64, f64)>> = BTreeMap::new();
    for s in &parsed.samples {
        if s.name.ends_with("_bucket") {
            let key: Vec<_> = s
                .labels
                .iter()
                .filter(|(k, _)| k != "le")
                .cloned()
                .collect();
            let le = match s.label("le").unwrap() {
                "+Inf" => f64::INFINITY,
                v => v.parse().unwrap(),
            };
            buckets.entry(key).or_default().push((le, s.value));
        }
    }
    for (key, mut b) in buckets {
        b.sort_by(|x, y| x.0.partial_cmp(&y.0).unwrap());
        assert!(b.windows(2).all(|w| w[0].1 <= w[1].1), "{key:?}: {b:?}");
        assert_eq!(b.last().unwrap().0, f64::INFINITY, "{key:?}");
        let count = parsed
            .samples
            .iter()
            .find(|s| s.name.ends_with("_count") && s.labels == key && !s.name.ends_with("_bucket"))
            .unwrap_or_else(|| panic!("no _count for {key:?}"));
        assert_eq!(b.last().unwrap().1, count.value, "{key:?}");
    }
    parsed
}

#[test]
fn the_strict_reader_refuses_what_the_format_does_not_allow() {
    let ok = "# HELP a_total A.\n# TYPE a_total counter\na_total{l=\"x\\\"y\"} 1\n";
    assert_eq!(parse_exposition(ok).samples[0].label("l"), Some("x\"y"));
    for bad in [
        "# TYPE a counter\na 1\n",                         // counter without _total
        "# HELP a A.\n# TYPE a gauge\na{l=\"x\\ty\"} 1\n", // bad escape
        "# HELP a A.\n# TYPE a gauge\nb 1\n",              // another family
        "# HELP a A.\n# TYPE a gauge\na one\n",            // no number
        "# HELP 9a A.\n# TYPE 9a gauge\n9a 1\n",           // bad name
        "# HELP a A.\n# TYPE a gauge\na{l=\"x\"} 1\na{l=\"x\"} 2\n", // twice
    ] {
        assert!(
            std::panic::catch_unwind(|| parse_exposition(bad)).is_err(),
            "{bad:?} was read"
        );
    }
}

/// The Python holding `prometheus_client`: `WANGJIAN_PYTOOLS`'s if set, else the repository's
/// `.venv-ci`, installed from `tests/python-tools.txt` (PyPI) when it lacks the module. A
/// missing tool fails the test.
fn python_with_prometheus_client() -> PathBuf {
    static SETUP: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = SETUP.lock().unwrap_or_else(|e| e.into_inner());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let has_module = |python: &Path| {
        Command::new(python)
            .args(["-c", "import prometheus_client.parser"])
            .status()
            .is_ok_and(|s| s.success())
    };
    let python = match std::env::var_os("WANGJIAN_PYTOOLS") {
        Some(d) => PathBuf::from(d).join("python"),
        None => {
            let venv = root.join(".venv-ci");
            let python = venv.join("bin/python");
            if !has_module(&python) {
                let ok = Command::new("python3")
                    .args(["-m", "venv"])
                    .arg(&venv)
                    .status()
                    .is_ok_and(|s| s.success())
                    && Command::new(venv.join("bin/pip"))
                        .args(["install", "-q", "--disable-pip-version-check", "-r"])
                        .arg(root.join("tests/python-tools.txt"))
                        .status()
                        .is_ok_and(|s| s.success());
                assert!(
                    ok,
                    "cannot install tests/python-tools.txt into {}",
                    venv.display()
                );
            }
            python
        }
    };
    assert!(
        has_module(&python),
        "prometheus_client not importable by {}: unset WANGJIAN_PYTOOLS to let the tests \
         install tests/python-tools.txt into .venv-ci",
        python.display()
    );
    python
}
