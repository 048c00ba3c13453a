//! Chain of custody in the console, and the extraction record: every evidence view is a form
//! posted with a reason, logged with who and why, and shows the record's trail; a GET never
//! writes; `/sites/{id}/record` and its JSON carry what
//! the spec's evidence record lists, escaped.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use domain::Role;
use store::{verify_custody_chain, CustodyAction, CustodyFilter, NewCustody, Scope, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::{assert_security_headers, fixture, get, logged_in, post_form, send, view_evidence};

async fn all_custody(store: &dyn Store) -> Vec<store::CustodyRecord> {
    store.custody(&CustodyFilter::chain()).await.unwrap()
}

#[tokio::test]
async fn a_posted_view_appends_a_custody_entry_and_shows_the_trail() {
    let fx = fixture().await;
    let store = fx.state.store.as_ref();
    assert!(all_custody(store).await.is_empty());

    let first = view_evidence(&fx, fx.fetch, "立案审查").await.ok();
    assert!(first.body.contains("保管链"), "{}", first.body);
    assert!(first.body.contains("立案审查"));
    assert!(
        first.body.contains("全网最佳，假一赔十"),
        "the record is shown"
    );
    assert_eq!(first.headers["cache-control"], "no-store");

    let second = view_evidence(&fx, fx.fetch, " 复核 ").await.ok();
    let rows = all_custody(store).await;
    assert_eq!(rows.len(), 2);
    let fetch = store.fetch(Scope::City, fx.fetch).await.unwrap().unwrap();
    let p = fetch.fetch.evidence.unwrap();
    let subject = format!("warc:{}@{}", p.warc_file, p.offset);
    for r in &rows {
        assert_eq!(r.action, CustodyAction::View);
        assert_eq!(r.subject, subject);
        assert_eq!(
            r.subject(),
            Ok(store::CustodySubject::record(&p.warc_file, p.offset))
        );
        // The logged-in user.
        assert_eq!(r.actor, "user:supervisor");
    }
    assert_eq!(rows[0].reason, "立案审查");
    assert_eq!(rows[1].reason, "复核");
    assert_eq!(verify_custody_chain(&rows), Ok(()));
    // The second page shows both views (the trail includes the view itself).
    assert!(second.body.contains("立案审查") && second.body.contains("复核"));
    assert!(second.body.contains(&rows[0].hash) && second.body.contains(&rows[1].hash));

    // A view needs a reason: none (or blanks) is asked again, and nothing is logged.
    for reason in ["", "   "] {
        let got = view_evidence(&fx, fx.fetch, reason).await;
        assert_eq!(got.status, StatusCode::UNPROCESSABLE_ENTITY, "{reason:?}");
        assert!(got.body.contains("请填写查看事由"));
        assert!(!got.body.contains("全网最佳"), "no record without a reason");
    }
    // A refused view (no evidence) is not logged.
    let got = view_evidence(&fx, fx.failed_fetch, "核查").await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
    // Nor a form without the session's CSRF token, nor one from another site.
    let got = post_form(
        &fx.router,
        &format!("/evidence/{}/view", fx.fetch),
        &[("csrf", "forged"), ("reason", "核查")],
    )
    .await;
    assert_eq!(got.status, StatusCode::FORBIDDEN);
    let got = send(
        &fx.router,
        Request::post(format!("/evidence/{}/view", fx.fetch))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "cross-site")
            .body(Body::from(format!("csrf={}&reason=x", fx.csrf)))
            .unwrap(),
    )
    .await;
    assert_eq!(got.status, StatusCode::FORBIDDEN);
    assert_eq!(all_custody(store).await.len(), 2);
}

/// The reproduction: a GET (or HEAD) of an evidence page, with or without the old
/// `?reason=`, of its screenshot, or of anything else, never writes a custody row.
#[tokio::test]
async fn a_get_never_writes_custody() {
    let fx = fixture().await;
    let store = fx.state.store.as_ref();
    let evidence = format!("/evidence/{}", fx.fetch);
    for uri in [
        evidence.clone(),
        format!("{evidence}?reason=%E7%AB%8B%E6%A1%88%E5%AE%A1%E6%9F%A5"),
        format!("{evidence}/screenshot"),
        format!("{evidence}/screenshot?reason=x"),
        format!("{evidence}/screenshot?view=forged"),
        format!("{evidence}/view"),
        format!("/sites/{}/record", fx.shop),
        "/exports".to_string(),
        "/exports/replay".to_string(),
        "/captures".to_string(),
    ] {
        for method in ["GET", "HEAD"] {
            let got = send(
                &fx.router,
                Request::builder()
                    .method(method)
                    .uri(&uri)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
            assert_ne!(
                got.status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "{method} {uri}"
            );
            assert!(
                all_custody(store).await.is_empty(),
                "{method} {uri} wrote custody"
            );
        }
    }
    // The GET asks why, and the form posts to the logged view with the session's token.
    let form = get(&fx.router, &evidence).await.ok();
    assert!(form.body.contains("查看事由"), "{}", form.body);
    assert!(form
        .body
        .contains(&format!("action=\"/evidence/{}/view\"", fx.fetch)));
    assert!(form
        .body
        .contains(&format!("name=\"csrf\" value=\"{}\"", fx.csrf)));
    assert!(!form.body.contains("全网最佳"), "no record before a reason");
    assert!(all_custody(store).await.is_empty());
}

#[tokio::test]
async fn a_hostile_reason_is_escaped() {
    let fx = fixture().await;
    let got = view_evidence(&fx, fx.fetch, "<script>x</script>")
        .await
        .ok();
    assert!(!got.body.contains("<script>x"));
    assert!(got.body.contains(&format!("{}x", crate::ESCAPED_SCRIPT)));
}

#[tokio::test]
async fn viewing_evidence_needs_the_permission() {
    let fx = fixture().await;
    let (evaluator, csrf) = logged_in(&fx.state, "evaluator", Role::Evaluator, &[]).await;
    for got in [
        get(&evaluator, &format!("/evidence/{}", fx.fetch)).await,
        post_form(
            &evaluator,
            &format!("/evidence/{}/view", fx.fetch),
            &[("csrf", &csrf), ("reason", "核查")],
        )
        .await,
    ] {
        assert_eq!(got.status, StatusCode::FORBIDDEN);
        assert!(got.body.contains("查看证据"), "{}", got.body);
    }
    assert!(all_custody(fx.state.store.as_ref()).await.is_empty());
}

#[tokio::test]
async fn over_a_socket_the_actor_is_the_logged_in_user() {
    let fx = fixture().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(web::serve_until(fx.state.clone(), listener, async {
        let _ = stopped.await;
    }));
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let body = format!("csrf={}&reason=check", fx.csrf);
    let req = format!(
        "POST /evidence/{}/view HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {}\r\n\
         Origin: http://127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        fx.fetch,
        fx.cookie,
        body.len()
    );
    conn.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).await.unwrap();
    assert!(
        String::from_utf8_lossy(&raw).starts_with("HTTP/1.1 200 OK"),
        "{}",
        String::from_utf8_lossy(&raw)
    );
    let rows = all_custody(fx.state.store.as_ref()).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor, "user:supervisor");
    assert_eq!(rows[0].reason, "check");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn the_extraction_record_page_and_json_carry_the_spec_fields() {
    let fx = fixture().await;
    let store = fx.state.store.as_ref();
    // One view and one export of the site, which the record lists.
    view_evidence(&fx, fx.fetch, "复核").await.ok();
    store
        .append_custody(&NewCustody {
            actor: "officer".into(),
            action: CustodyAction::Export,
            subject: "site:shop.example".into(),
            reason: "移送<b>公安</b>".into(),
        })
        .await
        .unwrap();
    // A view of another site's record is not this site's business.
    store
        .append_custody(&NewCustody {
            actor: "console".into(),
            action: CustodyAction::View,
            subject: "warc:other.warc.gz@0".into(),
            reason: "无关".into(),
        })
        .await
        .unwrap();

    let page = get(&fx.router, &format!("/sites/{}/record", fx.shop))
        .await
        .ok();
    assert_security_headers(&page.headers);
    let b = &page.body;
    for want in [
        "电子数据提取记录",
        "http://shop.example/", // target and final URL
        "203.0.113.7",          // server IP
        "wangjian-test/1.0",    // fetch profile
        "wangjian/",            // capture tool (warcinfo)
        "wangjian-web/",        // record tool
        ".warc.gz",
        "sha256:",
        "系统时钟",
        "未填写",
        "两名",
        "复核",
        "officer",
        "wangjian.test/log", // the checkpoint
    ] {
        assert!(b.contains(want), "record page lacks {want}: {b}");
    }
    assert!(!b.contains("<b>公安"), "reasons are escaped");
    assert!(!b.contains("无关"));

    let json = get(
        &fx.router,
        &format!(
            "/api/sites/{}/record?operators=%E5%BC%A0%E4%B8%89,%E6%9D%8E%E5%9B%9B",
            fx.shop
        ),
    )
    .await
    .ok()
    .json();
    assert_eq!(json["target_url"], "http://shop.example/");
    assert_eq!(json["final_url"], "http://shop.example/");
    assert_eq!(json["redirects"].as_array().unwrap().len(), 0);
    assert_eq!(json["operators"], serde_json::json!(["张三", "李四"]));
    assert!(json["time_source"]
        .as_str()
        .unwrap()
        .contains("system clock"));
    assert!(json["capture_tools"][0]
        .as_str()
        .unwrap()
        .starts_with("wangjian/"));
    let rec = &json["records"][0];
    assert_eq!(rec["fetch_id"], fx.fetch.0);
    assert_eq!(rec["server_ip"], "203.0.113.7");
    assert_eq!(rec["warc_type"], "response");
    assert_eq!(rec["profile"]["user_agent"], "wangjian-test/1.0");
    assert!(rec["block_digest"].as_str().unwrap().starts_with("sha256:"));
    assert!(rec["warc_file"].as_str().unwrap().ends_with(".warc.gz"));
    assert!(rec["offset"].is_i64());
    assert_eq!(rec["problems"].as_array().unwrap().len(), 0, "{rec}");
    let cp = &json["checkpoint"];
    assert_eq!(cp["size"], 5);
    assert_eq!(cp["signature_verified"], true);
    assert!(cp["root"].as_str().is_some_and(|r| !r.is_empty()));
    let custody = json["custody"].as_array().unwrap();
    assert_eq!(custody.len(), 2);
    assert_eq!(custody[0]["reason"], "复核");
    assert_eq!(custody[1]["action"], "export");

    // Unknown sites are 404 in both forms.
    assert_eq!(
        get(&fx.router, "/sites/999/record").await.status,
        axum::http::StatusCode::NOT_FOUND
    );
    let missing = get(&fx.router, "/api/sites/999/record").await;
    assert_eq!(missing.status, axum::http::StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["error"], "not_found");
}
