//! Evidence exports from the console: `POST /exports` with a selection and a reason answers a
//! signed WACZ as a download, built by `sweep::export::export_wacz` and logged in the chain of
//! custody with the user and the reason; no reason, no permission or no evidence: no package,
//! no custody row.

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use domain::{Role, SweepId};
use store::{CustodyAction, CustodyFilter, EvidencePointer, NewFetch, Scope, SiteSweepState};

use crate::{at, bytes, fixture, get, logged_in, post_form, Fixture, HOSTILE_BODY};

/// A sweep of the shop whose one record is written through the fixture's transparency log (the
/// fixture's first record is not in the log, so an export of it would be refused).
async fn logged_sweep(fx: &Fixture) -> SweepId {
    let store = &fx.state.store;
    let original = store.fetch(Scope::City, fx.fetch).await.unwrap().unwrap();
    let log_dir = fx._dir.path().join("log");
    let log = evidence::tlog::Log::open(&log_dir).unwrap();
    let mut w = evidence::WarcWriter::open_with_log(
        evidence::WriterConfig::new(&fx.state.evidence_dir, "logged"),
        Some(log),
    )
    .unwrap();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
        HOSTILE_BODY.len()
    );
    let refs = w
        .write_exchange(&evidence::ExchangeRecord {
            target_uri: "http://shop.example/",
            date: at(400),
            request_head: b"GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n",
            response_head: Some(head.as_bytes()),
            response_body: HOSTILE_BODY.as_bytes(),
            remote_ip: None,
            metadata: vec![],
        })
        .unwrap();
    w.flush().unwrap();
    drop(w);
    let r = refs.response.unwrap();
    let sweep = store.create_sweep(&[fx.shop]).await.unwrap();
    store
        .record_fetch(
            &NewFetch {
                sweep_id: sweep,
                fetched_at: at(400),
                evidence: Some(EvidencePointer {
                    warc_file: r.file.clone(),
                    offset: r.offset as i64,
                    digest: r.block_digest.clone(),
                }),
                record_id: Some(r.record_id.clone()),
                ..original.fetch
            },
            &[],
        )
        .await
        .unwrap();
    store
        .finish_site(sweep, fx.shop, SiteSweepState::Done, None)
        .await
        .unwrap();
    store.finish_sweep(sweep).await.unwrap();
    sweep
}

async fn exports(fx: &Fixture) -> Vec<store::CustodyRecord> {
    fx.state
        .store
        .custody(&CustodyFilter::chain())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.action == CustodyAction::Export)
        .collect()
}

fn form(uri: &str, fields: &[(&str, &str)]) -> Request<Body> {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", web::encode_form_value(v)))
        .collect::<Vec<_>>()
        .join("&");
    Request::post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn an_export_is_a_logged_wacz_download() {
    let fx = fixture().await;
    let sweep = logged_sweep(&fx).await;
    let id = sweep.to_string();

    // The export page offers the sweep, and links to how a package is opened in
    // ReplayWeb.page; that page shows no signing key before the first export and makes none.
    let page = get(&fx.router, "/exports").await.ok();
    assert!(
        page.body.contains(&format!("<option value=\"{id}\">")),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<a href=\"/exports/replay\">在 ReplayWeb.page 中查看</a>"),
        "{}",
        page.body
    );
    let keys = fx._dir.path().join("keys");
    let help = get(&fx.router, "/exports/replay").await.ok();
    crate::assert_security_headers(&help.headers);
    assert!(
        help.body.contains("尚未生成（首次导出证据包时生成）"),
        "{}",
        help.body
    );
    assert!(!keys.join(evidence::wacz::SIGNING_KEY_FILE).exists());

    let (status, headers, package) = bytes(
        &fx.router,
        form(
            "/exports",
            &[("csrf", &fx.csrf), ("sweep", &id), ("reason", "移送公安")],
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&package)
    );
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with(&format!("attachment; filename=\"wangjian-sweep-{id}-"))
            && disposition.ends_with(".wacz\""),
        "{disposition}"
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["content-type"], "application/zip");
    crate::assert_security_headers(&headers);

    // A WACZ: a zip with its data package, which wangjian's own verifier accepts whole.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(package.clone())).unwrap();
    let mut datapackage = String::new();
    zip.by_name("datapackage.json")
        .unwrap()
        .read_to_string(&mut datapackage)
        .unwrap();
    let dp: serde_json::Value = serde_json::from_str(&datapackage).unwrap();
    assert_eq!(dp["profile"], "data-package");
    assert!(zip.by_name("archive/data.warc.gz").is_ok());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("download.wacz");
    std::fs::write(&path, &package).unwrap();
    let verdict = evidence::wacz::verify_wacz(&path, None);
    assert!(verdict.ok(), "{:?}", verdict.failures().collect::<Vec<_>>());
    // The request and response records copied, each with its inclusion proof.
    assert!(verdict.logged >= 2, "{} records proven", verdict.logged);

    // The help page shows the key that signed the package, as ReplayWeb.page shows it
    // (`Observer Public Key`: the package's `publicKey`), and writes nothing.
    let mut digest = String::new();
    zip.by_name("datapackage-digest.json")
        .unwrap()
        .read_to_string(&mut digest)
        .unwrap();
    let digest: serde_json::Value = serde_json::from_str(&digest).unwrap();
    let public_key = digest["signedData"]["publicKey"].as_str().unwrap();
    let help = get(&fx.router, "/exports/replay").await.ok();
    assert!(
        help.body
            .contains(&format!("<pre class=\"key\">{public_key}</pre>")),
        "{}",
        help.body
    );
    for says in [
        "在 ReplayWeb.page 中查看证据包",
        "本控制台不内置 ReplayWeb.page，也不依赖互联网",
        "Observer Public Key",
        "wangjian evidence verify",
    ] {
        assert!(help.body.contains(says), "{says} not in {}", help.body);
    }

    // Custody names the user and the reason, about the sweep.
    let rows = exports(&fx).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor, "user:supervisor");
    assert_eq!(rows[0].reason, "移送公安");
    assert_eq!(rows[0].subject, format!("sweep:{id}"));
}

#[tokio::test]
async fn exports_need_a_reason_a_selection_the_permission_and_evidence() {
    let fx = fixture().await;
    let sweep = logged_sweep(&fx).await.to_string();
    let site = fx.shop.to_string();
    let casino = fx.casino.to_string();
    for (fields, status, says) in [
        (
            vec![("sweep", sweep.as_str()), ("reason", "  ")],
            StatusCode::BAD_REQUEST,
            "请填写导出事由",
        ),
        (vec![("reason", "核查")], StatusCode::BAD_REQUEST, "请选择"),
        (
            vec![
                ("sweep", sweep.as_str()),
                ("site", site.as_str()),
                ("reason", "核查"),
            ],
            StatusCode::BAD_REQUEST,
            "只选一项",
        ),
        (
            vec![("sweep", "999"), ("reason", "核查")],
            StatusCode::NOT_FOUND,
            "巡查 999",
        ),
        // The shop's first record is not in the transparency log: no package.
        (
            vec![("site", site.as_str()), ("reason", "核查")],
            StatusCode::CONFLICT,
            "不在透明日志中",
        ),
        // The casino's one record has a pointer out of the evidence directory.
        (
            vec![("site", casino.as_str()), ("reason", "核查")],
            StatusCode::CONFLICT,
            "证据指针异常",
        ),
    ] {
        let mut all = vec![("csrf", fx.csrf.as_str())];
        all.extend(fields.iter().copied());
        let got = post_form(&fx.router, "/exports", &all).await;
        assert_eq!(got.status, status, "{fields:?}: {}", got.body);
        assert!(got.body.contains(says), "{fields:?}: {}", got.body);
    }
    // An auditor may view evidence but not export it; an inspector of another district does
    // not see the shop's site.
    let (auditor, csrf) = logged_in(&fx.state, "auditor", Role::Auditor, &[]).await;
    let got = post_form(
        &auditor,
        "/exports",
        &[("csrf", &csrf), ("sweep", &sweep), ("reason", "核查")],
    )
    .await;
    assert_eq!(got.status, StatusCode::FORBIDDEN);
    let (other, csrf) = logged_in(&fx.state, "jiangnan", Role::Inspector, &["450105"]).await;
    let got = post_form(
        &other,
        "/exports",
        &[("csrf", &csrf), ("site", &site), ("reason", "核查")],
    )
    .await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
    assert!(exports(&fx).await.is_empty());
}
