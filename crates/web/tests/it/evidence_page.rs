//! The evidence page: a captured hostile page is shown escaped under the CSP, digests are
//! checked, and no path outside the evidence directory can be reached.

use axum::http::StatusCode;
use store::{EvidencePointer, NewFetch, Scope};

use crate::{assert_security_headers, at, bytes, fixture, get, logged_in, view_evidence};

#[tokio::test]
async fn captured_page_is_escaped_text_with_verified_digests() {
    let fx = fixture().await;
    let got = view_evidence(&fx, fx.fetch, "核查").await.ok();
    assert_security_headers(&got.headers);
    let b = &got.body;
    // The hostile body is text, never markup.
    assert!(
        b.contains(&format!("{}alert(1)", crate::ESCAPED_SCRIPT)),
        "{b}"
    );
    assert!(!b.contains("<script"));
    assert!(!b.contains("<title>最佳商城"));
    assert!(b.contains("全网最佳，假一赔十"));
    // WARC headers, digest check, HTTP head.
    assert!(b.contains("WARC-Type") && b.contains("response"));
    assert!(b.contains("WARC-Block-Digest"));
    assert!(b.contains("校验通过"));
    assert!(b.contains("HTTP/1.1 200 OK"));
    assert!(b.contains("text/html; charset=utf-8"));
    assert!(b.contains(".warc.gz"));
}

#[tokio::test]
async fn tampered_record_fails_the_digest_check_and_gbk_is_decoded() {
    let fx = fixture().await;
    let (body, _, _) = encoding_rs::GBK.encode("<p>南宁市青秀区</p>");
    let mut block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=gbk\r\n\r\n".to_vec();
    block.extend_from_slice(&body);
    let zeros = format!("sha256:{}", "0".repeat(64));
    let mut warc = format!(
        "WARC/1.1\r\nWARC-Type: response\r\n\
         WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\n\
         WARC-Date: 2017-06-01T00:00:30Z\r\nWARC-Target-URI: http://shop.example/tampered\r\n\
         Content-Type: application/http;msgtype=response\r\nWARC-Block-Digest: {zeros}\r\n\
         Content-Length: {}\r\n\r\n",
        block.len()
    )
    .into_bytes();
    warc.extend_from_slice(&block);
    warc.extend_from_slice(b"\r\n\r\n");
    std::fs::write(fx.state.evidence_dir.join("tampered.warc"), &warc).unwrap();

    let original = fx
        .state
        .store
        .fetch(Scope::City, fx.fetch)
        .await
        .unwrap()
        .unwrap();
    let id = fx
        .state
        .store
        .record_fetch(
            &NewFetch {
                url: "http://shop.example/tampered".into(),
                fetched_at: at(90),
                evidence: Some(EvidencePointer {
                    warc_file: "tampered.warc".into(),
                    offset: 0,
                    digest: zeros.clone(),
                }),
                ..original.fetch
            },
            &[],
        )
        .await
        .unwrap();
    let got = view_evidence(&fx, id, "核查").await.ok();
    assert!(got.body.contains("校验未通过"), "{}", got.body);
    assert!(got.body.contains("WARC-Block-Digest mismatch"));
    assert!(got.body.contains("南宁市青秀区"));
    assert!(got.body.contains("&#60;p&#62;南宁市青秀区"));
}

#[tokio::test]
async fn path_traversal_is_refused() {
    let fx = fixture().await;
    // A stored pointer naming a file outside the evidence directory (which exists there).
    let got = view_evidence(&fx, fx.evil_fetch, "核查").await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
    assert!(!got.body.contains("alert"));
    assert_security_headers(&got.headers);
    // Paths from the user never reach the file system.
    for uri in [
        "/evidence/..%2F..%2Fetc%2Fpasswd",
        "/evidence/..%2Foutside.warc.gz",
        "/evidence/../outside.warc.gz",
        "/evidence/%2e%2e/outside.warc.gz",
        "/static/..%2F..%2FCargo.toml",
        "/static/../Cargo.toml",
    ] {
        let got = get(&fx.router, uri).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(
            !got.body.contains("alert") && !got.body.contains("[package]"),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn fetch_without_evidence_is_404() {
    let fx = fixture().await;
    let got = get(&fx.router, &format!("/evidence/{}", fx.failed_fetch)).await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
    assert!(got.body.contains("证据"));
}

#[tokio::test]
async fn a_pointer_past_the_record_says_the_evidence_is_unreadable() {
    let fx = fixture().await;
    let original = fx
        .state
        .store
        .fetch(Scope::City, fx.fetch)
        .await
        .unwrap()
        .unwrap();
    let mut pointer = original.fetch.evidence.clone().unwrap();
    pointer.offset += 1; // inside a gzip member: not a record
    let id = fx
        .state
        .store
        .record_fetch(
            &NewFetch {
                url: "http://shop.example/shifted".into(),
                evidence: Some(pointer),
                ..original.fetch
            },
            &[],
        )
        .await
        .unwrap();
    let got = view_evidence(&fx, id, "核查").await;
    assert_eq!(got.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(got.body.contains("证据记录已损坏"), "{}", got.body);
    assert!(!got.body.contains(fx.state.evidence_dir.to_str().unwrap()));
    assert_security_headers(&got.headers);
}

#[tokio::test]
async fn a_revisit_says_so_and_links_to_its_original() {
    let fx = fixture().await;
    let original = fx
        .state
        .store
        .fetch(Scope::City, fx.fetch)
        .await
        .unwrap()
        .unwrap();
    let pointer = original.fetch.evidence.clone().unwrap();
    let dir = &fx.state.evidence_dir;
    let first =
        evidence::read_record_at(&dir.join(&pointer.warc_file), pointer.offset as u64).unwrap();
    let (head, body) = first.http_parts().unwrap();
    let digest = first.header("WARC-Payload-Digest").unwrap().to_string();
    let mut w = evidence::WarcWriter::open(evidence::WriterConfig::new(dir, "revisit")).unwrap();
    let (refs, revisit) = w
        .write_exchange_or_revisit(
            &evidence::ExchangeRecord {
                target_uri: &original.fetch.url,
                date: at(200),
                request_head: b"GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n",
                response_head: Some(head),
                response_body: body,
                remote_ip: None,
                metadata: vec![],
            },
            Some(&evidence::RevisitOf {
                record_id: first.record_id().unwrap(),
                target_uri: &original.fetch.url,
                date: at(0),
                payload_digest: &digest,
            }),
        )
        .unwrap();
    assert!(revisit);
    let r = refs.response.unwrap();
    let id = fx
        .state
        .store
        .record_fetch(
            &NewFetch {
                fetched_at: at(200),
                evidence: Some(EvidencePointer {
                    warc_file: r.file.clone(),
                    offset: r.offset as i64,
                    digest: r.block_digest.clone(),
                }),
                record_id: Some(r.record_id.clone()),
                revisit_of: Some(fx.fetch),
                ..original.fetch.clone()
            },
            &[],
        )
        .await
        .unwrap();
    let got = view_evidence(&fx, id, "核查").await.ok();
    let b = &got.body;
    assert!(b.contains("校验通过"), "{b}");
    assert!(b.contains("revisit"));
    assert!(
        b.contains(&format!("<a href=\"/evidence/{}\">", fx.fetch)),
        "{b}"
    );
}

#[tokio::test]
async fn a_screenshot_is_shown_within_a_logged_view_only() {
    screenshot_shown_within_a_logged_view_only(true).await;
}

/// Screenshots written before they were stored under `urn:view:` carry the page URL as their
/// target; the console still shows them.
#[tokio::test]
async fn a_screenshot_stored_under_its_page_url_is_still_shown() {
    screenshot_shown_within_a_logged_view_only(false).await;
}

/// A screenshot concurrent to a fetch's response, stored under its view URI (`view_uri`) or,
/// as older captures stored it, under the page's URL.
async fn screenshot_shown_within_a_logged_view_only(view_uri: bool) {
    let fx = fixture().await;
    let original = fx
        .state
        .store
        .fetch(Scope::City, fx.fetch)
        .await
        .unwrap()
        .unwrap();
    let dir = &fx.state.evidence_dir;
    // Not a real picture: the page checks the PNG signature and the record's digests.
    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[7u8; 300]].concat();
    let mut w = evidence::WarcWriter::open(evidence::WriterConfig::new(dir, "capture")).unwrap();
    let refs = w
        .write_exchange(&evidence::ExchangeRecord {
            target_uri: &original.fetch.url,
            date: at(300),
            request_head: b"GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n",
            response_head: Some(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"),
            response_body: b"<p>shop</p>",
            remote_ip: None,
            metadata: vec![("screenshot".into(), "taken 1280x800".into())],
        })
        .unwrap();
    let response = refs.response.unwrap();
    let shot = if view_uri {
        w.write_screenshot(
            &original.fetch.url,
            at(301),
            &png,
            Some(&response.record_id),
        )
    } else {
        w.write_resource_concurrent(
            &original.fetch.url,
            at(301),
            "image/png",
            &png,
            Some(&response.record_id),
        )
    }
    .unwrap();
    let target = if view_uri {
        format!("urn:view:{}", original.fetch.url)
    } else {
        original.fetch.url.clone()
    };
    let id = fx
        .state
        .store
        .record_fetch(
            &NewFetch {
                fetched_at: at(300),
                evidence: Some(EvidencePointer {
                    warc_file: response.file.clone(),
                    offset: response.offset as i64,
                    digest: response.block_digest.clone(),
                }),
                ..original.fetch.clone()
            },
            &[],
        )
        .await
        .unwrap();

    // The logged view shows the screenshot through a grant of the view, and logs both records.
    let page = view_evidence(&fx, id, "核查").await.ok();
    let src = page
        .body
        .split("<img src=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no screenshot in {}", page.body))
        .replace("&#61;", "=");
    assert!(
        src.starts_with(&format!("/evidence/{id}/screenshot?view=")),
        "{src}"
    );
    assert!(page.body.contains(&shot.block_digest));
    let store = &fx.state.store;
    let logged = |offset: u64, file: String| {
        let store = store.clone();
        async move {
            store
                .custody(&store::CustodyFilter::about(
                    store::Scope::City,
                    [store::CustodySubject::record(&file, offset as i64)],
                ))
                .await
                .unwrap()
        }
    };
    let shot_rows = logged(shot.offset, shot.file.clone()).await;
    assert_eq!(shot_rows.len(), 1);
    assert_eq!(shot_rows[0].reason, "核查");
    assert_eq!(shot_rows[0].actor, "user:supervisor");
    assert_eq!(
        logged(response.offset, response.file.clone()).await.len(),
        1
    );
    let custody_rows = store
        .custody(&store::CustodyFilter::chain())
        .await
        .unwrap()
        .len();

    let get_image = |router: axum::Router, uri: String| async move {
        bytes(
            &router,
            axum::http::Request::get(uri)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
    };
    let (status, headers, body) = get_image(fx.router.clone(), src.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["cache-control"], "no-store");
    assert_security_headers(&headers);
    assert_eq!(body, png);
    // Serving the image writes nothing: the view was logged when it was posted.
    assert_eq!(
        store
            .custody(&store::CustodyFilter::chain())
            .await
            .unwrap()
            .len(),
        custody_rows
    );
    // The grant is this session's, for this fetch only; without one the reason is asked.
    let (other, _) = logged_in(&fx.state, "auditor", domain::Role::Auditor, &[]).await;
    let (status, _, body) = get_image(other, src.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(String::from_utf8_lossy(&body).contains("凭证无效或已过期"));
    let token = src.rsplit('=').next().unwrap();
    let (status, _, _) = get_image(
        fx.router.clone(),
        format!("/evidence/{}/screenshot?view={token}", fx.fetch),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, headers, body) =
        get_image(fx.router.clone(), format!("/evidence/{id}/screenshot")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(String::from_utf8_lossy(&body).contains("查看事由"));

    // The extraction record lists it and sends the reader to a logged view to see it.
    let page = get(&fx.router, &format!("/sites/{}/record", fx.shop))
        .await
        .ok();
    assert!(!page.body.contains("<img"), "{}", page.body);
    assert!(page.body.contains(&shot.block_digest));
    assert!(page.body.contains(&format!("<a href=\"/evidence/{id}\">")));
    // It names its target as stored and the page it shows, from either form.
    assert!(
        page.body.contains(&format!("目标 <code>{target}</code>")),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!("（所摄页面 {}）", original.fetch.url)),
        "{}",
        page.body
    );

    // A fetch without a screenshot shows none.
    let page = view_evidence(&fx, fx.fetch, "核查").await.ok();
    assert!(!page.body.contains("<img"));
}

#[tokio::test]
async fn a_clue_has_its_own_extraction_record() {
    let fx = fixture().await;
    let store = &fx.state.store;
    let findings = store
        .list_findings(
            Scope::City,
            &store::FindingFilter {
                site_id: Some(fx.shop),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let finding = findings
        .iter()
        .find(|f| f.finding.evidence.is_some())
        .expect("the fixture's shop has a finding with evidence");
    let id = store
        .create_clue(
            &store::NewClue {
                site_id: fx.shop,
                findings: vec![finding.id],
                summary: "首页绝对化用语".into(),
            },
            &store::Actor::system("inspector-li"),
        )
        .await
        .unwrap();
    let got = get(
        &fx.router,
        &format!("/clues/{id}/record?operators=张三,李四"),
    )
    .await
    .ok();
    assert_security_headers(&got.headers);
    let b = &got.body;
    assert!(b.contains(&format!("线索 #{id}")), "{b}");
    assert!(b.contains("首页绝对化用语"));
    assert!(b.contains("张三") && b.contains("李四"));
    let json = get(&fx.router, &format!("/api/clues/{id}/record"))
        .await
        .ok()
        .json();
    assert_eq!(json["clue"]["id"], id.0);
    assert_eq!(json["clue"]["findings"], serde_json::json!([finding.id.0]));
    let pointer = finding.finding.evidence.clone().unwrap();
    let records = json["records"].as_array().unwrap();
    assert!(!records.is_empty(), "{json}");
    assert!(records
        .iter()
        .all(|r| r["warc_file"] == pointer.warc_file.as_str() && r["offset"] == pointer.offset));
    assert_eq!(
        get(&fx.router, "/clues/999/record").await.status,
        StatusCode::NOT_FOUND
    );
}
