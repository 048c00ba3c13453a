//! The JSON API: same filters as the pages, JSON errors.

use axum::http::StatusCode;

use crate::{assert_security_headers, fixture, get};

#[tokio::test]
async fn findings_json_with_filters() {
    let fx = fixture().await;
    let all = get(&fx.router, "/api/findings").await.ok();
    assert_security_headers(&all.headers);
    assert!(all.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let v = all.json();
    assert_eq!(v["total"], 3);
    assert_eq!(v["items"].as_array().unwrap().len(), 3);

    let critical = get(&fx.router, "/api/findings?severity=critical")
        .await
        .ok()
        .json();
    assert_eq!(critical["total"], 1);
    let item = &critical["items"][0];
    assert_eq!(item["finding"]["category"], "content.gambling");
    assert_eq!(item["district"], "450105");
    assert_eq!(item["host"], "casino.example");

    let paged = get(&fx.router, "/api/findings?limit=1&offset=1")
        .await
        .ok()
        .json();
    assert_eq!(paged["total"], 3);
    assert_eq!(paged["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn sites_json_with_filters() {
    let fx = fixture().await;
    let v = get(&fx.router, "/api/sites?district=450103")
        .await
        .ok()
        .json();
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["host"], "shop.example");
    assert_eq!(items[0]["kind"], "trading_site");
    assert_eq!(items[0]["id"], fx.shop.0);
}

#[tokio::test]
async fn errors_are_json() {
    let fx = fixture().await;
    let bad = get(&fx.router, "/api/findings?limit=0").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["error"], "bad_request");
    let bad = get(&fx.router, "/api/sites?kind=warehouse").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["error"], "bad_request");
    let missing = get(&fx.router, "/api/nothing").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["error"], "not_found");
    assert_security_headers(&missing.headers);
}
