//! Field inspections in the console: the multipart form checks the session's token (the first
//! field) before reading a file, refuses a file too large or of a type not allowed by name with
//! nothing stored, records a good one; the page lists its files, a download is logged in
//! custody first and answered as an attachment; the list and the API show it.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use store::{CustodyAction, CustodyFilter, EntityFilter, InspectionFilter, Scope};

use crate::{fixture, get, post_form, send, Got};

const BOUNDARY: &str = "wjboundary7MA4YWxk";
const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0shop front";

/// A multipart body: text fields in order, then files (field `files`).
fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; \
                 filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_multipart(router: &axum::Router, body: Vec<u8>) -> Got {
    send(
        router,
        Request::post("/inspections")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn an_inspection_is_recorded_from_the_form_and_its_file_downloaded_with_custody() {
    let fx = fixture().await;
    let store = fx.state.store.clone();
    let entity = store
        .list_entities(Scope::City, &EntityFilter::default())
        .await
        .unwrap()[0]
        .id
        .to_string();
    let fields = |csrf: &str| -> Vec<(String, String)> {
        vec![
            ("csrf".into(), csrf.into()),
            ("entity".into(), entity.clone()),
            ("place".into(), "南宁市青秀区民族大道1号".into()),
            ("result".into(), "violation".into()),
            ("inspectors".into(), "supervisor".into()),
            ("at".into(), "2024-03-01T10:30".into()),
            ("notes".into(), "未亮照经营".into()),
        ]
    };
    let body = |csrf: &str, files: &[(&str, &[u8])]| {
        let f = fields(csrf);
        let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        multipart(&refs, files)
    };
    let count = || {
        let store = store.clone();
        async move {
            store
                .count_inspections(Scope::City, &InspectionFilter::default())
                .await
                .unwrap()
        }
    };

    // A forged token, and a token not sent first: refused before any file is read.
    let got = post_multipart(&fx.router, body("forged", &[("a.jpg", JPEG)])).await;
    assert_eq!(got.status, StatusCode::FORBIDDEN, "{}", got.body);
    let mut late = fields(&fx.csrf);
    late.rotate_left(1);
    let refs: Vec<(&str, &str)> = late.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let got = post_multipart(&fx.router, multipart(&refs, &[])).await;
    assert_eq!(got.status, StatusCode::FORBIDDEN, "{}", got.body);

    // Too large (the fixture allows 1 MiB), not an allowed type, a name that lies: refused by
    // name, nothing stored.
    let big = [JPEG, &vec![0u8; 1024 * 1024]].concat();
    for (files, why) in [
        (
            vec![("ok.jpg", JPEG), ("big.jpg", big.as_slice())],
            "附件 big.jpg 超过 1 MiB",
        ),
        (
            vec![("page.png", b"<html><script>alert(1)</script>".as_slice())],
            "附件 page.png 不是允许的类型",
        ),
        (
            vec![("scan.pdf", JPEG)],
            "附件 scan.pdf 的内容是 image/jpeg",
        ),
    ] {
        let got = post_multipart(&fx.router, body(&fx.csrf, &files)).await;
        assert_eq!(got.status, StatusCode::BAD_REQUEST, "{why}: {}", got.body);
        assert!(got.body.contains(why), "{why}: {}", got.body);
    }
    assert_eq!(count().await, 0);
    assert!(store
        .custody(&CustodyFilter::chain())
        .await
        .unwrap()
        .is_empty());

    let got = post_multipart(&fx.router, body(&fx.csrf, &[("门头.jpg", JPEG)])).await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    let location = got.headers["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/inspections/"), "{location}");
    assert_eq!(count().await, 1);

    let page = get(&fx.router, &location).await.ok();
    for text in [
        "南宁市青秀区民族大道1号",
        "发现违法行为",
        "门头.jpg",
        "image/jpeg",
        "下载事由",
    ] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    let list = get(&fx.router, "/inspections").await.ok();
    assert!(list.body.contains("现场检查") && list.body.contains("南宁市青秀区民族大道1号"));
    let id = location.trim_start_matches("/inspections/");
    let api = get(&fx.router, &format!("/api/v1/inspections/{id}"))
        .await
        .ok();
    let json = api.json();
    assert_eq!(json["result"], "violation");
    assert_eq!(json["inspected_at"], "2024-03-01T02:30:00Z");
    assert_eq!(json["attachments"][0]["file_name"], "门头.jpg");
    let listed = get(&fx.router, "/api/v1/inspections").await.ok().json();
    assert_eq!(listed["total"], 1);
    let attachment = json["attachments"][0]["id"].to_string();

    // A download needs a reason; it is logged before the bytes are answered.
    let uri = format!("/attachments/{attachment}/download");
    let got = post_form(&fx.router, &uri, &[("csrf", &fx.csrf)]).await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    let got = post_form(
        &fx.router,
        &uri,
        &[("csrf", &fx.csrf), ("reason", "案卷归档")],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.headers["content-type"], "image/jpeg");
    assert_eq!(got.headers["x-content-type-options"], "nosniff");
    let disposition = got.headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    let custody = store.custody(&CustodyFilter::chain()).await.unwrap();
    assert_eq!(
        custody.iter().map(|r| r.action).collect::<Vec<_>>(),
        [CustodyAction::Store, CustodyAction::Export]
    );
    assert_eq!(custody[1].reason, "案卷归档");
    assert_eq!(custody[1].actor, "user:supervisor");
}
