//! The dishonesty lists, credit repair, evaluations and commitments from the console's forms
//! (no browser): a supervisor lists, a repair is applied for and granted, refusals are in
//! Chinese with their status, an evaluator evaluates their assigned entities only, and the
//! API answers the lists in the viewer's scope.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use domain::{EntityId, Role, SiteId};
use store::Scope;

use crate::{fixture, get, logged_in, post_form, Fixture, PASSWORD};

async fn entity_of(fx: &Fixture, site: SiteId) -> EntityId {
    fx.state
        .store
        .site(Scope::City, site)
        .await
        .unwrap()
        .unwrap()
        .entity_id
        .unwrap()
}

fn location(got: &crate::Got) -> String {
    got.headers
        .get("location")
        .expect("a redirect")
        .to_str()
        .unwrap()
        .to_string()
}

/// An evaluator assigned `entities`, logged in: their console and CSRF token.
async fn evaluator(fx: &Fixture, name: &str, entities: Vec<EntityId>) -> (Router, String) {
    let store = fx.state.store.as_ref();
    people::add_user(
        store,
        &people::UserSpec {
            username: name.into(),
            display_name: name.into(),
            role: Role::Evaluator,
            districts: vec![],
            entities,
        },
        PASSWORD,
        &store::Actor::system("test"),
    )
    .await
    .unwrap();
    let session = people::login(
        store,
        &people::Policy::default(),
        name,
        PASSWORD,
        "127.0.0.1",
    )
    .await
    .unwrap()
    .unwrap();
    let cookie = format!("{}={}", web::SESSION_COOKIE, session.token);
    let router = web::router(fx.state.clone()).layer(axum::middleware::map_request(
        move |mut req: Request<Body>| {
            let cookie = cookie.clone();
            async move {
                req.headers_mut().insert("cookie", cookie.parse().unwrap());
                req
            }
        },
    ));
    (router, session.csrf)
}

#[tokio::test]
async fn a_supervisor_lists_an_entity_and_grants_its_repair() {
    let fx = fixture().await;
    let shop = entity_of(&fx, fx.shop).await.0.to_string();
    let csrf = fx.csrf.as_str();
    let got = post_form(
        &fx.router,
        "/credit/lists",
        &[
            ("csrf", csrf),
            ("entity", &shop),
            ("list", "abnormal"),
            ("abnormal_cause", "not_contactable"),
            ("listed_on", "2024-03-01"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    let page = location(&got);
    assert!(page.starts_with("/credit/listings/"), "{page}");
    let list = get(&fx.router, "/credit/lists?list=abnormal&state=open")
        .await
        .ok();
    assert!(list.body.contains("南宁最佳商贸有限公司"), "{}", list.body);
    assert!(
        list.body.contains("通过登记的住所无法联系"),
        "{}",
        list.body
    );
    assert!(!list.body.contains("江南娱乐"), "{}", list.body);

    // Refusals in words, with their status.
    let again = post_form(
        &fx.router,
        "/credit/lists",
        &[
            ("csrf", csrf),
            ("entity", &shop),
            ("list", "abnormal"),
            ("abnormal_cause", "no_annual_report"),
        ],
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(
        again.body.contains("已在“经营异常名录”中"),
        "{}",
        again.body
    );
    let no_cause = post_form(
        &fx.router,
        "/credit/lists",
        &[
            ("csrf", csrf),
            ("entity", &shop),
            ("list", "serious_violation"),
        ],
    )
    .await;
    assert_eq!(
        no_cause.status,
        StatusCode::BAD_REQUEST,
        "{}",
        no_cause.body
    );
    assert!(
        no_cause.body.contains("请填写列入事由"),
        "{}",
        no_cause.body
    );

    // A repair applied for and granted: the listing is removed as repaired.
    let l = get(&fx.router, &page).await.ok();
    assert!(l.body.contains("登记信用修复申请"), "{}", l.body);
    let got = post_form(
        &fx.router,
        &format!("{page}/repair"),
        &[
            ("csrf", csrf),
            ("applicant", "法定代表人"),
            ("statement", "已恢复联系"),
            ("applied_on", "2024-03-05"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    let l = get(&fx.router, &page).await.ok();
    assert!(l.body.contains("审核信用修复申请"), "{}", l.body);
    // A refusal needs its reason.
    let got = post_form(
        &fx.router,
        &format!("{page}/decide"),
        &[("csrf", csrf), ("decision", "refuse"), ("reason", "")],
    )
    .await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST, "{}", got.body);
    assert!(got.body.contains("请填写理由"), "{}", got.body);
    let got = post_form(
        &fx.router,
        &format!("{page}/decide"),
        &[("csrf", csrf), ("decision", "approve")],
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    let l = get(&fx.router, &page).await.ok();
    assert!(l.body.contains("准予修复"), "{}", l.body);
    assert!(l.body.contains("（信用修复）"), "{}", l.body);
    // Its history: listed, applied for, decided, removed.
    for action in ["list", "apply", "decide", "remove"] {
        assert!(
            l.body.contains(&format!("<code>{action}</code>")),
            "{action}: {}",
            l.body
        );
    }
    let got = post_form(
        &fx.router,
        &format!("{page}/remove"),
        &[("csrf", csrf), ("reason", "corrected")],
    )
    .await;
    assert_eq!(got.status, StatusCode::CONFLICT, "{}", got.body);

    // The public preview.
    let public = get(&fx.router, &format!("/entities/{shop}/public"))
        .await
        .ok();
    assert!(public.body.contains("公示信息预览"), "{}", public.body);
    assert!(
        public.body.contains("南宁最佳商贸有限公司"),
        "{}",
        public.body
    );

    // An inspector reads their district's lists but does not change them.
    let (inspector, icsrf) =
        logged_in(&fx.state, "inspector-qx", Role::Inspector, &["450103"]).await;
    let got = post_form(
        &inspector,
        "/credit/lists",
        &[
            ("csrf", &icsrf),
            ("entity", &shop),
            ("list", "abnormal"),
            ("abnormal_cause", "not_contactable"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::FORBIDDEN, "{}", got.body);
    let api = get(&inspector, "/api/v1/credit/listings").await.ok().json();
    assert_eq!(api["total"], 1);
    assert_eq!(api["items"][0]["list"], "abnormal");
    assert_eq!(api["items"][0]["removed_reason"], "repaired");
}

#[tokio::test]
async fn an_evaluator_evaluates_only_the_entities_assigned() {
    let fx = fixture().await;
    let shop = entity_of(&fx, fx.shop).await;
    let casino = entity_of(&fx, fx.casino).await;
    let (ev, csrf) = evaluator(&fx, "pingjia", vec![shop]).await;
    let page = get(&ev, "/evaluations").await.ok();
    assert!(page.body.contains("南宁最佳商贸有限公司"), "{}", page.body);
    assert!(!page.body.contains("江南娱乐"), "{}", page.body);
    let outside = post_form(
        &ev,
        "/evaluations",
        &[
            ("csrf", &csrf),
            ("entity", &casino.0.to_string()),
            ("score", "90"),
            ("summary", "越权"),
        ],
    )
    .await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND, "{}", outside.body);
    assert!(!outside.body.contains("江南娱乐"), "{}", outside.body);
    let bad = post_form(
        &ev,
        "/evaluations",
        &[
            ("csrf", &csrf),
            ("entity", &shop.0.to_string()),
            ("score", "101"),
            ("summary", "好"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(bad.body.contains("0 到 100"), "{}", bad.body);
    let done = post_form(
        &ev,
        "/evaluations",
        &[
            ("csrf", &csrf),
            ("entity", &shop.0.to_string()),
            ("score", "86"),
            ("summary", "经营规范"),
            ("evaluated_on", "2024-03-01"),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = get(&ev, "/evaluations").await.ok();
    assert!(page.body.contains("经营规范"), "{}", page.body);
    let api = get(&ev, "/api/v1/credit/evaluations").await.ok().json();
    assert_eq!(api["total"], 1);
    assert_eq!(api["items"][0]["score"], 86);
    // The city's supervisor reads it, and may not evaluate.
    let api = get(
        &fx.router,
        &format!("/api/v1/credit/evaluations?entity={}", shop.0),
    )
    .await
    .ok()
    .json();
    assert_eq!(api["items"][0]["evaluator"], "pingjia");
    let got = post_form(
        &fx.router,
        "/evaluations",
        &[
            ("csrf", &fx.csrf),
            ("entity", &shop.0.to_string()),
            ("score", "80"),
            ("summary", "x"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::FORBIDDEN, "{}", got.body);
}

#[tokio::test]
async fn commitments_are_recorded_and_broken_once() {
    let fx = fixture().await;
    let shop = entity_of(&fx, fx.shop).await;
    let got = post_form(
        &fx.router,
        "/credit/commitments",
        &[
            ("csrf", &fx.csrf),
            ("entity", &shop.0.to_string()),
            ("text", "诚信经营，假一赔十"),
            ("made_on", "2024-03-01"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    let c = fx
        .state
        .store
        .commitments(Scope::City, Some(shop))
        .await
        .unwrap()
        .remove(0);
    let page = get(&fx.router, "/credit/commitments").await.ok();
    assert!(page.body.contains("诚信经营，假一赔十"), "{}", page.body);
    let path = format!("/credit/commitments/{}/break", c.id);
    let got = post_form(
        &fx.router,
        &path,
        &[
            ("csrf", &fx.csrf),
            ("reason", "销售假货"),
            ("broken_on", "2024-04-01"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    let got = post_form(
        &fx.router,
        &path,
        &[
            ("csrf", &fx.csrf),
            ("reason", "再次"),
            ("broken_on", "2024-04-02"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::CONFLICT, "{}", got.body);
    assert!(got.body.contains("已记录为违背"), "{}", got.body);
    let page = get(&fx.router, "/credit/commitments").await.ok();
    assert!(page.body.contains("已于 2024-04-01 违背"), "{}", page.body);
}
