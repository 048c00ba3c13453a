//! Two-person evidence capture in the console, over a real simulated web: one inspector asks,
//! their own confirmation is refused, a second inspector confirms, the capture runs in the
//! background and is done, and the custody and audit rows name both users; the capture is then
//! exported from the console and the download passes py-wacz's validator.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::Router;
use domain::Role;
use store::prelude::*;
use store::{CustodyAction, CustodyFilter, Scope, SiteFilter, SqliteStore};

use crate::{bytes, get, log_config, logged_in, post_form, Got};

/// The directory holding py-wacz's `wacz`: `WANGJIAN_PYTOOLS` if set, else the repository's
/// `.venv-ci/bin`, created from `tests/python-tools.txt` (PyPI) the first time it is needed
/// (as the binary's tests do). A tool that cannot be had fails the test; it never skips it.
fn pytools() -> PathBuf {
    static SETUP: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = SETUP.lock().unwrap_or_else(|e| e.into_inner());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = match std::env::var_os("WANGJIAN_PYTOOLS") {
        Some(d) => PathBuf::from(d),
        None => {
            let venv = root.join(".venv-ci");
            let bin = venv.join("bin");
            if !bin.join("wacz").is_file() {
                let ok = Command::new("python3")
                    .args(["-m", "venv"])
                    .arg(&venv)
                    .status()
                    .is_ok_and(|s| s.success())
                    && Command::new(bin.join("pip"))
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
            bin
        }
    };
    assert!(
        dir.join("wacz").is_file(),
        "wacz not found in {}: unset WANGJIAN_PYTOOLS to let the tests install it",
        dir.display()
    );
    dir
}

/// The console over simweb's register, able to capture from simweb (no browser: the binary's
/// tests take screenshots), and the homepage of a registered trading site with its district.
struct World {
    _server: simweb::Running,
    _dir: tempfile::TempDir,
    state: web::AppState,
    url: String,
    district: String,
}

async fn world() -> World {
    let world = Arc::new(simweb::World::generate(&simweb::GenParams {
        sites: 6,
        seed: 1,
    }));
    let server = simweb::start(world.clone(), ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in_memory().await.unwrap();
    let register = dir.path().join("register.csv");
    std::fs::write(&register, world.register_csv()).unwrap();
    let opts = store::import::ImportOptions {
        encoding: store::import::SourceEncoding::Utf8,
        format: None,
        batch_size: 100,
        ..Default::default()
    };
    store::import::import_entities(&store, &register, &opts)
        .await
        .unwrap();
    let site = store
        .list_sites(
            Scope::City,
            &SiteFilter {
                kind: Some(domain::SiteKind::TradingSite),
                limit: 100,
                ..SiteFilter::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.path_prefix.is_empty() && s.district.is_some())
        .expect("a trading site with its own host");
    let (log_dir, keys_dir) = (dir.path().join("log"), dir.path().join("keys"));
    let evidence_dir = dir.path().join("warc");
    let mut crawl = crawl::CrawlConfig {
        request_timeout: Duration::from_secs(10),
        delay_per_host: Duration::ZERO,
        ..crawl::CrawlConfig::default()
    };
    crawl
        .resolve
        .parse_entry(&format!("*:80:{}", server.addr))
        .unwrap();
    let state = web::AppState {
        ops: web::OpsSettings::default(),
        objects: None,
        badges: None,
        store: Arc::new(store),
        evidence_dir: evidence_dir.clone(),
        districts: domain::DistrictTable::nanning(),
        log: None,
        search: None,
        people: people::Policy::default(),
        transport: web::Transport::default(),
        export: Some(sweep::export::ExportConfig {
            evidence_dir: evidence_dir.clone(),
            log: log_config(&log_dir, &keys_dir),
            software: "wangjian-test".into(),
            objects: None,
        }),
        capture: Some(web::CaptureSettings {
            sweep: sweep::SweepConfig {
                crawl,
                evidence_dir,
                warc_max_bytes: 1 << 20,
                software: "wangjian-test".into(),
                progress: false,
                badges: None,
                discovery: sweep::DiscoveryConfig::default(),
                render_probes: None,
                log: Some(log_config(&log_dir, &keys_dir)),
            },
            browser: Err("no screenshot in this test".into()),
        }),
        inspections: None,
        schedule: None,
        casework: casework::Limits::default(),
        documents: None,
    };
    World {
        _server: server,
        _dir: dir,
        state,
        url: format!("http://{}/", site.host),
        district: site.district.unwrap().to_string(),
    }
}

/// The request id a `POST /captures` redirected to.
fn request_of(got: &Got) -> String {
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    let to = got.headers["location"].to_str().unwrap();
    to.strip_prefix("/captures/")
        .unwrap_or_else(|| panic!("{to}"))
        .to_string()
}

/// Polls the request's page until its capture has finished; returns the final page.
async fn finished(router: &Router, id: &str) -> Got {
    loop {
        let page = get(router, &format!("/captures/{id}")).await.ok();
        if !page.body.contains("data-state=\"confirmed\"") {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_is_asked_by_one_inspector_and_confirmed_by_another() {
    let w = world().await;
    let store = w.state.store.clone();
    let (li, li_csrf) = logged_in(&w.state, "li", Role::Inspector, &[&w.district]).await;
    let (wang, wang_csrf) = logged_in(&w.state, "wang", Role::Inspector, &[&w.district]).await;
    let (auditor, auditor_csrf) = logged_in(&w.state, "audit", Role::Auditor, &[]).await;

    // A reason is required; a URL of no known site is refused with the reason.
    let got = post_form(
        &li,
        "/captures",
        &[("csrf", &li_csrf), ("url", &w.url), ("reason", " ")],
    )
    .await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    assert!(got.body.contains("请填写取证事由"), "{}", got.body);
    let got = post_form(
        &li,
        "/captures",
        &[
            ("csrf", &li_csrf),
            ("url", "http://unknown.test/"),
            ("reason", "核查"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    assert!(
        got.body.contains("不属于您权限范围内的任何已知网站"),
        "{}",
        got.body
    );

    let id = request_of(
        &post_form(
            &li,
            "/captures",
            &[("csrf", &li_csrf), ("url", &w.url), ("reason", "举报核查")],
        )
        .await,
    );
    // Pending, listed for the second inspector with the way to confirm it.
    let list = get(&wang, "/captures").await.ok();
    assert!(
        list.body.contains(&w.url) && list.body.contains("举报核查"),
        "{}",
        list.body
    );
    let page = get(&wang, &format!("/captures/{id}")).await.ok();
    assert!(page
        .body
        .contains(&format!("action=\"/captures/{id}/confirm\"")));
    let own_page = get(&li, &format!("/captures/{id}")).await.ok();
    assert!(!own_page.body.contains("/confirm\""), "{}", own_page.body);
    assert!(own_page.body.contains("须由另一名"));

    // The requester cannot confirm their own request; a role without the permission cannot
    // either; neither changes anything.
    let got = post_form(
        &li,
        &format!("/captures/{id}/confirm"),
        &[("csrf", &li_csrf)],
    )
    .await;
    assert_eq!(got.status, StatusCode::FORBIDDEN);
    assert!(
        got.body.contains("不能确认自己发起的取证申请"),
        "{}",
        got.body
    );
    let got = post_form(
        &auditor,
        &format!("/captures/{id}/confirm"),
        &[("csrf", &auditor_csrf)],
    )
    .await;
    assert_eq!(got.status, StatusCode::FORBIDDEN);
    assert!(get(&li, &format!("/captures/{id}"))
        .await
        .ok()
        .body
        .contains("data-state=\"pending\""));

    // The second inspector confirms: the capture runs in the background and is done.
    let got = post_form(
        &wang,
        &format!("/captures/{id}/confirm"),
        &[("csrf", &wang_csrf)],
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    let page = finished(&wang, &id).await;
    assert!(page.body.contains("data-state=\"done\""), "{}", page.body);
    let request = store
        .capture_request(Scope::City, domain::CaptureRequestId(id.parse().unwrap()))
        .await
        .unwrap()
        .unwrap();
    let sweep = request.sweep_id.expect("the capture's sweep");
    assert_eq!(request.requested_by_name, "li");
    assert_eq!(request.confirmed_by_name.as_deref(), Some("wang"));

    // Custody and audit name the two users.
    let custody = store
        .custody(&CustodyFilter::about(
            Scope::City,
            [store::CustodySubject::Sweep(sweep)],
        ))
        .await
        .unwrap();
    assert_eq!(custody.len(), 1);
    assert_eq!(custody[0].action, CustodyAction::Capture);
    assert_eq!(custody[0].actor, "user:li, user:wang");
    assert_eq!(custody[0].reason, "举报核查");
    let audit = store
        .audit_of(&format!("capture_request:{id}"))
        .await
        .unwrap();
    let steps: Vec<(&str, &str)> = audit
        .iter()
        .map(|a| (a.action.as_str(), a.actor.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            ("request", "user:li"),
            ("confirm", "user:wang"),
            ("done", "user:wang")
        ]
    );
    // The evidence itself names them: the final hop's metadata record.
    let fetches = store.sweep_fetches(Scope::City, sweep).await.unwrap();
    let last = fetches.last().unwrap().fetch.evidence.clone().unwrap();
    let path = w.state.evidence_dir.join(&last.warc_file);
    let records: Vec<evidence::Record> = evidence::open_reader(&path)
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let meta = records
        .iter()
        .find(|r| {
            r.warc_type() == Some("metadata")
                && String::from_utf8_lossy(&r.block).contains("operators:")
        })
        .expect("the capture's metadata");
    let fields = String::from_utf8_lossy(&meta.block);
    assert!(fields.contains("operators: user:li, user:wang"), "{fields}");
    assert!(fields.contains("capture-reason: 举报核查"), "{fields}");

    // Once done, nobody can confirm it again.
    let got = post_form(
        &wang,
        &format!("/captures/{id}/confirm"),
        &[("csrf", &wang_csrf)],
    )
    .await;
    assert_eq!(got.status, StatusCode::CONFLICT);

    // The capture exports from its page's form as a WACZ that py-wacz validates.
    let sweep_id = sweep.to_string();
    assert!(page
        .body
        .contains(&format!("name=\"sweep\" value=\"{sweep_id}\"")));
    let (status, headers, package) = bytes(
        &wang,
        axum::http::Request::post("/exports")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "same-origin")
            .body(axum::body::Body::from(format!(
                "csrf={wang_csrf}&sweep={sweep_id}&reason={}",
                web::encode_form_value("移送立案")
            )))
            .unwrap(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&package)
    );
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("capture.wacz");
    std::fs::write(&file, &package).unwrap();
    let out = Command::new(pytools().join("wacz"))
        .args(["validate", "-f"])
        .arg(&file)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("Validation succeeded"), "{said}");
    let exported = store
        .custody(&CustodyFilter::chain())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.action == CustodyAction::Export)
        .collect::<Vec<_>>();
    assert_eq!(exported.len(), 1);
    assert_eq!(exported[0].actor, "user:wang");
    assert_eq!(exported[0].reason, "移送立案");
    assert_eq!(exported[0].subject, format!("sweep:{sweep_id}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_request_is_cancelled_and_scope_is_kept() {
    let w = world().await;
    let (li, li_csrf) = logged_in(&w.state, "li", Role::Inspector, &[&w.district]).await;
    // An inspector of another district sees neither the site nor the request.
    let other_district = if w.district == "450102" {
        "450103"
    } else {
        "450102"
    };
    let (other, other_csrf) = logged_in(&w.state, "zhao", Role::Inspector, &[other_district]).await;
    let got = post_form(
        &other,
        "/captures",
        &[("csrf", &other_csrf), ("url", &w.url), ("reason", "核查")],
    )
    .await;
    // Outside their scope the site is not known to them: refused like an unknown site.
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    assert!(
        got.body.contains("不属于您权限范围内的任何已知网站"),
        "{}",
        got.body
    );

    let id = request_of(
        &post_form(
            &li,
            "/captures",
            &[("csrf", &li_csrf), ("url", &w.url), ("reason", "核查")],
        )
        .await,
    );
    assert_eq!(
        get(&other, &format!("/captures/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let got = post_form(
        &other,
        &format!("/captures/{id}/confirm"),
        &[("csrf", &other_csrf)],
    )
    .await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
    assert!(!get(&other, "/captures").await.ok().body.contains(&w.url));

    let got = post_form(
        &li,
        &format!("/captures/{id}/cancel"),
        &[("csrf", &li_csrf)],
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    let page = get(&li, &format!("/captures/{id}")).await.ok();
    assert!(
        page.body.contains("data-state=\"cancelled\""),
        "{}",
        page.body
    );
    assert!(w
        .state
        .store
        .custody(&CustodyFilter::chain())
        .await
        .unwrap()
        .is_empty());
}
