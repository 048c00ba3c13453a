//! Integration tests of the console: the router over an in-memory SQLite store filled through
//! the `Store` trait, and a real WARC file written with `evidence::WarcWriter` into a temporary
//! evidence directory. Requests go through `tower::ServiceExt::oneshot` (no socket), except in
//! `socket` and `transport`, which serve on 127.0.0.1.

mod api;
mod auth;
mod campaigns;
mod captures;
mod cases;
mod complaints;
mod credit_lists;
mod custody;
mod dashboard;
mod documents;
mod evidence_page;
mod exports;
mod forms;
mod inspections;
mod lists;
mod objects;
mod ops;
mod pages;
mod portal;
mod register;
mod reports;
mod sampling;
mod scope;
mod socket;
mod transparency;
mod transport;

use std::sync::Arc;
use store::prelude::*;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use domain::{
    Category, DistrictCode, DistrictTable, FetchId, Role, SiteId, SiteKind, SweepId, Uscc,
};
use evidence::{ExchangeRecord, WarcWriter, WriterConfig};
use store::{
    EntityInput, EvidencePointer, NewFetch, NewFinding, SiteFilter, SiteSweepState, SqliteStore,
};
use tower::ServiceExt;
use web::AppState;

/// The body of the captured page: hostile on purpose.
pub const HOSTILE_BODY: &str = "<html><head><meta charset=\"utf-8\"><title>最佳商城</title></head>\
    <body><script>alert(1)</script><p>全网最佳，假一赔十</p></body></html>";

/// `<script>` as the pages escape it: askama writes numeric character references (`&#60;` for
/// `<`), which browsers read exactly as `&lt;`.
pub const ESCAPED_SCRIPT: &str = "&#60;script&#62;";

/// A fixture: the state's parts plus the ids tests link to.
pub struct Fixture {
    /// The console as a logged-in city supervisor's browser sees it.
    pub router: Router,
    /// That session's CSRF token.
    pub csrf: String,
    /// That session's `Cookie` header value.
    pub cookie: String,
    pub state: AppState,
    /// Keeps the evidence directory alive.
    pub _dir: tempfile::TempDir,
    /// 青秀区 trading site with a fetch, WARC evidence and an `ad.absolute_term` finding.
    pub shop: SiteId,
    /// 江南区 site with a `content.gambling` finding.
    pub casino: SiteId,
    /// The fetch whose response record is in the WARC file.
    pub fetch: FetchId,
    /// A fetch whose stored pointer tries to leave the evidence directory.
    pub evil_fetch: FetchId,
    /// A fetch that failed: no evidence pointer.
    pub failed_fetch: FetchId,
}

pub fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_496_275_200 + secs, 0).unwrap() // 2017-06-01T00:00:00Z
}

fn entity(org: &str, name: &str, kind: SiteKind, district: &str, domains: &[&str]) -> EntityInput {
    let prefix = format!("9145{}", &district[2..]);
    let uscc = Uscc::complete(&prefix, org)
        .expect("valid test USCC")
        .to_string();
    EntityInput {
        domains: domains.iter().map(|d| d.to_string()).collect(),
        ..EntityInput::new(&uscc, name, kind, DistrictCode::parse(district).unwrap())
    }
}

#[allow(clippy::too_many_arguments)]
fn finding(
    sweep: SweepId,
    site: SiteId,
    fetch: Option<FetchId>,
    url: &str,
    category: Category,
    excerpt: &str,
    location: &str,
    evidence: Option<EvidencePointer>,
) -> NewFinding {
    NewFinding {
        sweep_id: sweep,
        site_id: site,
        fetch_id: fetch,
        url: url.to_string(),
        category,
        rule_id: format!("{}.r1", category.code()),
        rule_pack: "core-2017".to_string(),
        severity: category.severity(),
        excerpt: excerpt.to_string(),
        location: location.to_string(),
        evidence,
        found_at: at(60),
        suppressed: None,
    }
}

pub async fn fixture() -> Fixture {
    let store = SqliteStore::open_in_memory()
        .await
        .expect("in-memory store");
    store
        .upsert_entities(
            &[
                entity(
                    "MA5K1234",
                    "南宁最佳商贸有限公司",
                    SiteKind::TradingSite,
                    "450103",
                    &["shop.example"],
                ),
                entity(
                    "MA5K5678",
                    "江南娱乐有限公司",
                    SiteKind::NonTradingSite,
                    "450105",
                    &["casino.example"],
                ),
            ],
            "test",
        )
        .await
        .expect("entities");
    let sites = store
        .list_sites(store::Scope::City, &SiteFilter::default())
        .await
        .unwrap();
    let id_of = |host: &str| sites.iter().find(|s| s.host == host).expect(host).id;
    let (shop, casino) = (id_of("shop.example"), id_of("casino.example"));
    let sweep = store.create_sweep(&[shop, casino]).await.unwrap();

    // The evidence: one exchange written as a real WARC file.
    let dir = tempfile::tempdir().unwrap();
    let evidence_dir = dir.path().join("evidence");
    let url = "http://shop.example/";
    let response_head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
        HOSTILE_BODY.len()
    );
    let mut writer = WarcWriter::open(WriterConfig::new(&evidence_dir, "test-sweep")).unwrap();
    let refs = writer
        .write_exchange(&ExchangeRecord {
            target_uri: url,
            date: at(30),
            request_head:
                b"GET / HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: wangjian-test/1.0\r\n\r\n",
            response_head: Some(response_head.as_bytes()),
            response_body: HOSTILE_BODY.as_bytes(),
            remote_ip: Some(std::net::Ipv4Addr::new(203, 0, 113, 7).into()),
            metadata: Vec::new(),
        })
        .unwrap();
    writer.flush().unwrap();
    let response = refs.response.expect("response record");
    let pointer = EvidencePointer {
        warc_file: response.file.clone(),
        offset: response.offset as i64,
        digest: response.block_digest.clone(),
    };
    // A WARC file outside the evidence directory, which a tampered pointer names.
    std::fs::copy(
        evidence_dir.join(&response.file),
        dir.path().join("outside.warc.gz"),
    )
    .unwrap();

    let new_fetch = |site: SiteId, url: &str, evidence: Option<EvidencePointer>| NewFetch {
        sweep_id: sweep,
        site_id: site,
        url: url.to_string(),
        fetched_at: at(30),
        status: Some(200),
        content_type: Some("text/html; charset=utf-8".into()),
        bytes: HOSTILE_BODY.len() as i64,
        payload_digest: response.payload_digest.clone(),
        error: None,
        evidence,
        etag: None,
        last_modified: None,
        record_id: None,
        revisit_of: None,
    };
    let fetch = store
        .record_fetch(
            &new_fetch(shop, url, Some(pointer.clone())),
            &[finding(
                sweep,
                shop,
                None,
                url,
                Category::AdAbsoluteTerm,
                "全网最佳，假一赔十",
                "text",
                Some(pointer.clone()),
            )],
        )
        .await
        .unwrap();
    // A register check: no fetch, no evidence record.
    store
        .record_findings(&[finding(
            sweep,
            shop,
            None,
            url,
            Category::LicenseNotDisplayed,
            "首页未见营业执照信息",
            "register",
            None,
        )])
        .await
        .unwrap();
    let evil_pointer = EvidencePointer {
        warc_file: "../outside.warc.gz".into(),
        ..pointer.clone()
    };
    let evil_fetch = store
        .record_fetch(
            &new_fetch(casino, "http://casino.example/", Some(evil_pointer.clone())),
            &[finding(
                sweep,
                casino,
                None,
                "http://casino.example/",
                Category::ContentGambling,
                "真人荷官 在线下注",
                "text",
                Some(evil_pointer),
            )],
        )
        .await
        .unwrap();
    let failed_fetch = store
        .record_fetch(
            &NewFetch {
                status: None,
                bytes: 0,
                error: Some("connection refused".into()),
                ..new_fetch(casino, "http://casino.example/about", None)
            },
            &[],
        )
        .await
        .unwrap();
    store
        .finish_site(sweep, shop, SiteSweepState::Done, None)
        .await
        .unwrap();
    store
        .finish_site(sweep, casino, SiteSweepState::Done, None)
        .await
        .unwrap();
    store.finish_sweep(sweep).await.unwrap();

    // A transparency log with one signed checkpoint, as a sweep leaves it.
    let log_dir = dir.path().join("log");
    let keys_dir = dir.path().join("keys");
    {
        let mut log = evidence::tlog::Log::open(&log_dir).unwrap();
        for i in 0..5u8 {
            log.append(format!("sha256:{i:064}").as_bytes()).unwrap();
        }
        let signer = evidence::tlog::Signer::load_or_create(&keys_dir, "console-test").unwrap();
        evidence::tlog::sign_and_store(
            &log,
            &signer,
            "wangjian.test/log",
            chrono::Utc::now(),
            None,
        )
        .unwrap();
    }
    let state = AppState {
        ops: web::OpsSettings::default(),
        objects: None,
        badges: Some(web::BadgeConsole {
            key: domain::badge::SigningKey::from_bytes(&[7; 32]),
            settings: badge::BadgeSettings {
                public_url: "http://127.0.0.1:8081".into(),
                name_servers: Vec::new(),
                crawl: Arc::new(crawl::CrawlConfig::default()),
            },
        }),
        store: Arc::new(store),
        evidence_dir,
        districts: DistrictTable::nanning(),
        log: Some(web::LogPublication {
            dir: log_dir.clone(),
            public_key_file: keys_dir.join("console-test.pub"),
        }),
        search: None,
        people: people::Policy::default(),
        transport: web::Transport::default(),
        export: Some(sweep::export::ExportConfig {
            evidence_dir: dir.path().join("evidence"),
            log: log_config(&log_dir, &keys_dir),
            software: "wangjian-test".into(),
            objects: None,
        }),
        capture: None,
        inspections: Some(web::InspectionSettings {
            attachments_dir: dir.path().join("attachments"),
            limits: casework::inspection::AttachmentLimits::from_mb(1),
        }),
        schedule: None,
        casework: casework::Limits::default(),
        documents: None,
    };
    let (router, csrf, cookie) =
        logged_in_with_cookie(&state, "supervisor", Role::Supervisor, &[]).await;
    Fixture {
        router,
        csrf,
        cookie,
        state,
        _dir: dir,
        shop,
        casino,
        fetch,
        evil_fetch,
        failed_fetch,
    }
}

/// The transparency log of a test console (key `console-test`).
pub fn log_config(log_dir: &std::path::Path, keys_dir: &std::path::Path) -> sweep::LogConfig {
    sweep::LogConfig {
        dir: log_dir.to_path_buf(),
        keys_dir: keys_dir.to_path_buf(),
        key_name: "console-test".into(),
        origin: "wangjian.test/log".into(),
        tsa_url: None,
        tsa_root: None,
    }
}

/// A logged view of the evidence of `fetch` by the fixture's user, with `reason`.
pub async fn view_evidence(fx: &Fixture, fetch: FetchId, reason: &str) -> Got {
    post_form(
        &fx.router,
        &format!("/evidence/{fetch}/view"),
        &[("csrf", &fx.csrf), ("reason", reason)],
    )
    .await
}

/// The password of every test user.
pub const PASSWORD: &str = "correct horse battery";

/// Adds a user with `role` (and districts) and logs them in: the console as their browser sees
/// it (every request carries the session cookie), and the session's CSRF token.
pub async fn logged_in(
    state: &AppState,
    username: &str,
    role: Role,
    districts: &[&str],
) -> (Router, String) {
    let (router, csrf, _) = logged_in_with_cookie(state, username, role, districts).await;
    (router, csrf)
}

/// [`logged_in`], and the `Cookie` header value of the session (for raw sockets).
pub async fn logged_in_with_cookie(
    state: &AppState,
    username: &str,
    role: Role,
    districts: &[&str],
) -> (Router, String, String) {
    let spec = people::UserSpec {
        username: username.into(),
        display_name: username.into(),
        role,
        districts: districts
            .iter()
            .map(|d| DistrictCode::parse(d).unwrap())
            .collect(),
        entities: vec![],
    };
    let store = state.store.as_ref();
    people::add_user(store, &spec, PASSWORD, &store::Actor::system("test"))
        .await
        .expect("a test user");
    let session = people::login(
        store,
        &people::Policy::default(),
        username,
        PASSWORD,
        "127.0.0.1",
    )
    .await
    .unwrap()
    .expect("the test user logs in");
    let cookie = format!("{}={}", web::SESSION_COOKIE, session.token);
    let sent = cookie.clone();
    let router = web::router(state.clone()).layer(axum::middleware::map_request(
        move |mut req: Request<Body>| {
            let cookie = sent.clone();
            async move {
                req.headers_mut().insert("cookie", cookie.parse().unwrap());
                req
            }
        },
    ));
    (router, session.csrf, cookie)
}

/// POSTs a URL-encoded form (with the browser's same-origin header).
pub async fn post_form(router: &Router, uri: &str, form: &[(&str, &str)]) -> Got {
    let body = form
        .iter()
        .map(|(k, v)| format!("{k}={}", web::encode_form_value(v)))
        .collect::<Vec<_>>()
        .join("&");
    send(
        router,
        Request::post(uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

pub struct Got {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Got {
    #[track_caller]
    pub fn ok(self) -> Got {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("JSON body")
    }
}

pub async fn get(router: &Router, uri: &str) -> Got {
    send(router, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// Sends one request through the router; the body as text (lossy: a download's bytes are
/// looked at with [`bytes`]).
pub async fn send(router: &Router, req: Request<Body>) -> Got {
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    Got {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// Sends `req`; the status, headers and body bytes.
pub async fn bytes(router: &Router, req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, body.to_vec())
}

/// Every response must carry these, whatever its status.
#[track_caller]
pub fn assert_security_headers(headers: &HeaderMap) {
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(headers.contains_key("x-request-id"));
}
