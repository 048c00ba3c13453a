//! Complaints in the console: a hostile complaint (script, SVG with `onload`, a `javascript:`
//! link, 10,000 characters without a break, a right-to-left override) is shown escaped and
//! isolated, the list and the API answer it in scope, and the complainant's contact is on the
//! staff page.

use axum::http::StatusCode;
use store::{Complainant, Intake, NewComplaint, Scope, Subject};

use crate::{fixture, get};

const HOSTILE: &str = "<script>window.__pwned=1</script><svg onload=\"window.__pwned=2\"></svg>\
                       <a href=\"javascript:window.__pwned=3\">点我</a>\u{202E}txt.exe";

#[tokio::test]
async fn a_hostile_complaint_is_escaped_and_isolated() {
    let fx = fixture().await;
    let store = &fx.state.store;
    let shop = store.site(Scope::City, fx.shop).await.unwrap().unwrap();
    let long = "长".repeat(10_000);
    let today = domain::time::beijing_date(chrono::Utc::now());
    let new = NewComplaint {
        tracking_number: domain::TrackingNumber::new(today, 42),
        kind: domain::ComplaintKind::Both,
        channel: domain::ComplaintChannel::Portal,
        subject: Subject {
            name: format!("\u{202E}{HOSTILE}"),
            url: Some("javascript:alert(1)".into()),
            ..Subject::default()
        },
        entity_id: shop.entity_id,
        site_id: Some(shop.id),
        district: None,
        body: format!("{HOSTILE}\n{long}"),
        complainant: Complainant {
            name: "<b>张三</b>".into(),
            phone: Some("13800000000".into()),
            email: None,
        },
        dedup_hash: "hostile".into(),
        accept_by: today,
        verify_by: Some(today),
    };
    let Intake::Filed(c) = store
        .file_complaint(
            &new,
            chrono::Duration::minutes(10),
            &store::Actor::system("t"),
        )
        .await
        .unwrap()
    else {
        panic!("filed")
    };
    let page = get(&fx.router, &format!("/complaints/{}", c.id)).await.ok();
    for raw in [
        "<script>window",
        "<svg onload",
        "href=\"javascript:",
        "<b>张三",
    ] {
        assert!(!page.body.contains(raw), "{raw} unescaped");
    }
    assert!(page
        .body
        .contains("&#60;script&#62;window.__pwned=1&#60;/script&#62;"));
    assert!(page.body.contains("&#60;b&#62;张三&#60;/b&#62;") && page.body.contains("13800000000"));
    assert!(page.body.contains(&long), "the whole text is shown");
    // The override sits inside an isolate, in a block that wraps anywhere.
    assert!(page.body.contains("<bdi>\u{202E}&#60;script&#62;"));
    assert!(page
        .body
        .contains("class=\"submitted complaint-text\" id=\"complaint-text\""));
    let css = get(&fx.router, "/static/style.css").await.ok();
    assert!(css.body.contains(".submitted { overflow-wrap: anywhere;"));
    assert!(css.body.contains("unicode-bidi: isolate"));
    // The list escapes it too, and the API answers it with the overdue mark.
    let list = get(&fx.router, "/complaints").await.ok();
    assert!(
        !list.body.contains("<script>window") && list.body.contains(c.tracking_number.as_str())
    );
    let api = get(&fx.router, "/api/v1/complaints?overdue=no")
        .await
        .ok()
        .json();
    assert_eq!(api["total"], 1, "{api}");
    assert_eq!(
        api["items"][0]["tracking_number"],
        c.tracking_number.as_str()
    );
    let bad = get(&fx.router, "/api/v1/complaints?state=lost").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}
