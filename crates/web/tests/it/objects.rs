//! `/objects` (证据存储) and `/api/v1/objects` over a real S3-compatible server (s3s-fs): an
//! administrator uploads the finished WARC files through the form, every role sees what the
//! store holds, and only an administrator may upload.

use axum::http::StatusCode;
use domain::Role;
use evidence::{WarcWriter, WriterConfig};
use objects::testing::S3Server;

use crate::{fixture, get, logged_in, post_form};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_uploads_the_finished_evidence_and_everyone_sees_it() {
    let fx = fixture().await;
    let server = S3Server::start();
    let dir = tempfile::tempdir().unwrap();
    let store = fx.state.store.as_ref();
    let sweep = store.create_sweep(&[]).await.unwrap();
    store.finish_sweep(sweep).await.unwrap();
    let mut w = WarcWriter::open(WriterConfig::new(
        dir.path(),
        format!("wangjian-sweep{}", sweep.0),
    ))
    .unwrap();
    w.write_resource(
        "http://shop.example/",
        chrono::Utc::now(),
        "text/plain",
        b"page",
    )
    .unwrap();
    w.flush().unwrap();
    let file = w.current_file().to_path_buf();
    drop(w);
    let name = file.file_name().unwrap().to_str().unwrap().to_string();
    let state = web::AppState {
        objects: Some(objects::Objects::connect(&server.config("warc")).unwrap()),
        evidence_dir: dir.path().to_path_buf(),
        ..fx.state.clone()
    };

    let (admin, csrf) = logged_in(&state, "chief", Role::Admin, &[]).await;
    let page = get(&admin, "/objects").await.ok().body;
    assert!(page.contains("s3://evidence/warc"), "{page}");
    assert!(page.contains("对象存储中还没有证据文件"), "{page}");
    assert!(page.contains("上传已完成的证据文件"), "{page}");

    let (inspector, inspector_csrf) = logged_in(&state, "li", Role::Inspector, &["450103"]).await;
    let page = get(&inspector, "/objects").await.ok().body;
    assert!(!page.contains("上传已完成的证据文件"), "{page}");
    let refused = post_form(&inspector, "/objects/upload", &[("csrf", &inspector_csrf)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("证据归档"), "{}", refused.body);
    assert!(!server.object_file(&format!("warc/{name}")).exists());

    let done = post_form(&admin, "/objects/upload", &[("csrf", &csrf)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let to = done.headers["location"].to_str().unwrap().to_string();
    assert_eq!(to, "/objects?uploaded=1&kept=0&open=0&failed=");
    let page = get(&admin, &to).await.ok().body;
    assert!(page.contains("已上传 1 个文件。"), "{page}");
    assert!(page.contains(&format!("<code>{name}</code>")), "{page}");
    assert!(
        std::fs::read(server.object_file(&format!("warc/{name}"))).unwrap()
            == std::fs::read(&file).unwrap(),
        "stored byte for byte"
    );
    let again = post_form(&admin, "/objects/upload", &[("csrf", &csrf)]).await;
    assert_eq!(
        again.headers["location"],
        "/objects?uploaded=0&kept=1&open=0&failed="
    );

    let listed = get(&inspector, "/api/v1/objects").await.ok().json();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["name"], name.as_str());
    assert_eq!(listed["items"][0]["local"], true);
    assert_eq!(
        listed["items"][0]["size"],
        std::fs::metadata(&file).unwrap().len()
    );

    // The store gone: the page says so in words, the API with its envelope.
    drop(server);
    let gone = get(&admin, "/objects").await;
    assert_eq!(gone.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(gone.body.contains("对象存储无法访问"), "{}", gone.body);
    let gone = get(&admin, "/api/v1/objects").await;
    assert_eq!(gone.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(gone.json()["error"], "unavailable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_whose_local_file_is_gone_is_read_from_the_object_store_by_range() {
    let fx = fixture().await;
    let server = S3Server::start();
    let objects = objects::Objects::connect(&server.config("warc")).unwrap();
    let files = evidence::warc_files(&fx.state.evidence_dir).unwrap();
    assert!(!files.is_empty());
    for f in &files {
        objects.upload(f).await.unwrap();
    }
    for f in &files {
        std::fs::remove_file(f).unwrap();
    }
    // Without an object store the evidence is gone.
    let gone = crate::view_evidence(&fx, fx.fetch, "核查").await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.body);

    let state = web::AppState {
        objects: Some(objects),
        ..fx.state.clone()
    };
    let (router, csrf) = logged_in(&state, "chief", Role::Admin, &[]).await;
    let got = post_form(
        &router,
        &format!("/evidence/{}/view", fx.fetch),
        &[("csrf", &csrf), ("reason", "核查")],
    )
    .await
    .ok();
    let b = &got.body;
    assert!(b.contains("全网最佳，假一赔十"), "{b}");
    assert!(b.contains("校验通过"), "{b}");
    assert!(!b.contains("<script"), "still text, never markup");
}
