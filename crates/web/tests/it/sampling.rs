//! Random inspections in the console: a plan created from the form (ratios pre-filled from
//! the local scheme, refusals in Chinese with nothing written, only for those who plan), a
//! draw from the plan's page with the seed offered, the draw's page and its publication (which
//! replays), each viewer seeing the drawn entities of their scope only, a field inspection
//! recorded as a result.

use axum::http::StatusCode;
use domain::{InspectionResult, Role};
use store::{NewInspection, Scope};

use crate::{at, fixture, get, logged_in, post_form, Fixture};

async fn create(fx: &Fixture, form: &[(&str, &str)]) -> crate::Got {
    let mut all = vec![("csrf", fx.csrf.as_str())];
    all.extend_from_slice(form);
    post_form(&fx.router, "/sampling", &all).await
}

/// Everyone drawn (every ratio 1), one inspector each, from supervisor, li (青秀区) and wang
/// (江南区).
const PLAN: &[(&str, &str)] = &[
    ("name", "2017年网络交易双随机抽查"),
    ("items", "亮照经营\n商品质量"),
    ("ratio_A", "1"),
    ("ratio_B", "100%"),
    ("ratio_C", "1"),
    ("ratio_D", "1"),
    ("inspector", "supervisor"),
    ("inspector", "li"),
    ("inspector", "wang"),
    ("inspectors_per_entity", "1"),
    ("exclude_same_district", "1"),
];

fn location(got: &crate::Got) -> String {
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    got.headers["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn a_plan_is_created_from_the_form_and_bad_ones_are_refused() {
    let fx = fixture().await;
    let (inspector, inspector_csrf) =
        logged_in(&fx.state, "li", Role::Inspector, &["450103"]).await;
    let _wang = logged_in(&fx.state, "wang", Role::Inspector, &["450105"]).await;
    let page = get(&fx.router, "/sampling").await.ok().body;
    assert!(page.contains("新建抽查计划"), "{page}");
    // The local scheme's ratios, pre-filled; the pool offers who may inspect.
    for (field, value) in [
        ("ratio_A", "0.03"),
        ("ratio_B", "0.1"),
        ("ratio_C", "0.3"),
        ("ratio_D", "0.7"),
    ] {
        assert!(
            page.contains(&format!("name=\"{field}\" value=\"{value}\"")),
            "{field}: {page}"
        );
    }
    assert!(page.contains("value=\"li\""), "{page}");

    let with = |change: &[(&'static str, &'static str)]| {
        let mut form: Vec<(&str, &str)> = PLAN
            .iter()
            .filter(|(k, _)| !change.iter().any(|(c, _)| c == k))
            .copied()
            .collect();
        form.extend(change.iter().filter(|(_, v)| !v.is_empty()));
        form
    };
    for (form, says) in [
        (
            with(&[("ratio_C", "1.5")]),
            "C类（较高风险）的抽查比例“1.5”无效",
        ),
        (with(&[("ratio_D", "")]), "请填写D类（高风险）的抽查比例"),
        (with(&[("items", " ")]), "请至少填写一项检查事项"),
        (with(&[("name", "")]), "请填写计划名称"),
        (
            with(&[("inspector", ""), ("inspectors_per_entity", "2")]),
            "执法检查人员名录只有 0 人",
        ),
        (with(&[("inspectors_per_entity", "x")]), "不是整数"),
    ] {
        let got = create(&fx, &form).await;
        assert_eq!(
            got.status,
            StatusCode::BAD_REQUEST,
            "{form:?}: {}",
            got.body
        );
        assert!(got.body.contains(says), "{form:?}: {}", got.body);
    }
    assert!(fx
        .state
        .store
        .list_sampling_plans()
        .await
        .unwrap()
        .is_empty());
    // An inspector does not plan.
    let mut form = vec![("csrf", inspector_csrf.as_str())];
    form.extend_from_slice(PLAN);
    let got = post_form(&inspector, "/sampling", &form).await;
    assert_eq!(got.status, StatusCode::FORBIDDEN);
    assert!(!get(&inspector, "/sampling")
        .await
        .ok()
        .body
        .contains("新建抽查计划"));

    assert_eq!(location(&create(&fx, PLAN).await), "/sampling/plans/1");
    let plans = get(&fx.router, "/api/v1/sampling/plans").await.ok().json();
    assert_eq!(plans["total"], 1);
    let plan = &plans["items"][0];
    assert_eq!(plan["ratios"]["B"], "1");
    assert_eq!(plan["items"], serde_json::json!(["亮照经营", "商品质量"]));
    assert_eq!(plan["inspectors"].as_array().unwrap().len(), 3);
    assert_eq!(plan["exclude_same_district"], true);
}

#[tokio::test]
async fn a_draw_shows_each_viewer_the_entities_of_their_scope() {
    let fx = fixture().await;
    let (li, li_csrf) = logged_in(&fx.state, "li", Role::Inspector, &["450103"]).await;
    let _wang = logged_in(&fx.state, "wang", Role::Inspector, &["450105"]).await;
    location(&create(&fx, PLAN).await);
    let page = get(&fx.router, "/sampling/plans/1").await.ok().body;
    // A random seed is offered: 32 hex digits.
    let seed = page
        .split("name=\"seed\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap();
    assert_eq!(seed.len(), 32, "{page}");
    assert!(seed.bytes().all(|b| b.is_ascii_hexdigit()));
    // An inspector does not draw; an empty seed is refused.
    let got = post_form(
        &li,
        "/sampling/plans/1/draw",
        &[("csrf", &li_csrf), ("seed", "s")],
    )
    .await;
    assert_eq!(got.status, StatusCode::FORBIDDEN);
    let got = post_form(
        &fx.router,
        "/sampling/plans/1/draw",
        &[("csrf", &fx.csrf), ("seed", "")],
    )
    .await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    assert!(got.body.contains("请填写随机种子"), "{}", got.body);

    let drawn = location(
        &post_form(
            &fx.router,
            "/sampling/plans/1/draw",
            &[("csrf", &fx.csrf), ("seed", "2017-06-01 公开摇号")],
        )
        .await,
    );
    assert_eq!(drawn, "/sampling/draws/1");
    let page = get(&fx.router, &drawn).await.ok().body;
    for text in [
        "南宁最佳商贸有限公司",
        "江南娱乐有限公司",
        "2017-06-01 公开摇号",
        "wangjian-draw-1",
        "/api/v1/sampling/draws/1",
        "B类（一般风险）",
    ] {
        assert!(page.contains(text), "{text}: {page}");
    }
    // The publication replays; every entity got one inspector of another district.
    let published = get(&fx.router, "/api/v1/sampling/draws/1").await.ok();
    let replay = sampling::replay(&published.body).unwrap();
    assert!(replay.matches, "{replay:?}");
    let p = published.json();
    assert_eq!(p["complete"], true);
    for s in p["selected"].as_array().unwrap() {
        let inspectors = s["inspectors"].as_array().unwrap();
        assert_eq!(inspectors.len(), 1);
        let own = if s["district"] == "450103" {
            "li"
        } else {
            "wang"
        };
        assert_ne!(inspectors[0], own, "{s}");
    }
    // 青秀区's inspector sees 青秀区's entity only, and a copy that says it is partial.
    let theirs = get(&li, &drawn).await.ok().body;
    assert!(theirs.contains("南宁最佳商贸有限公司"), "{theirs}");
    assert!(!theirs.contains("江南娱乐"), "{theirs}");
    let partial = get(&li, "/api/v1/sampling/draws/1").await.ok().json();
    assert_eq!(partial["complete"], false);
    assert!(!partial.to_string().contains("江南娱乐"));
    let draws = get(&li, "/api/v1/sampling/draws").await.ok().json();
    assert_eq!(draws["items"][0]["selected"], 1);

    // A field inspection recorded as the result of 青秀区's entity.
    let store = fx.state.store.as_ref();
    let shop = store
        .site(Scope::City, fx.shop)
        .await
        .unwrap()
        .unwrap()
        .entity_id
        .unwrap();
    let uscc = store
        .entity(Scope::City, shop)
        .await
        .unwrap()
        .unwrap()
        .input
        .uscc;
    let supervisor = store.user_by_name("supervisor").await.unwrap().unwrap();
    let inspection = store
        .record_inspection(
            Scope::City,
            &NewInspection {
                entity_id: shop,
                case_id: None,
                inspected_at: at(3600),
                place: "南宁市青秀区".into(),
                result: InspectionResult::Violation,
                notes: String::new(),
                officers: vec![supervisor.id],
                attachments: vec![],
                created_by: supervisor.id,
            },
            &store::Actor::system("test"),
        )
        .await
        .unwrap();
    let got = post_form(
        &fx.router,
        "/sampling/draws/1/result",
        &[("csrf", &fx.csrf), ("uscc", &uscc), ("inspection", "abc")],
    )
    .await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    assert!(got.body.contains("不是数字"), "{}", got.body);
    let id = inspection.id.to_string();
    assert_eq!(
        location(
            &post_form(
                &fx.router,
                "/sampling/draws/1/result",
                &[("csrf", &fx.csrf), ("uscc", &uscc), ("inspection", &id)],
            )
            .await
        ),
        "/sampling/draws/1"
    );
    let page = get(&fx.router, "/sampling/draws/1").await.ok().body;
    assert!(page.contains(&format!("/inspections/{id}")), "{page}");
    let got = post_form(
        &fx.router,
        "/sampling/draws/1/result",
        &[("csrf", &fx.csrf), ("uscc", &uscc), ("inspection", &id)],
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER);

    // An empty population is refused by name; unknown ids answer 404.
    let mut form: Vec<(&str, &str)> = PLAN.to_vec();
    form.push(("district", "450127"));
    location(&create(&fx, &form).await);
    let got = post_form(
        &fx.router,
        "/sampling/plans/2/draw",
        &[("csrf", &fx.csrf), ("seed", "s")],
    )
    .await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    assert!(got.body.contains("抽查对象名录为空"), "{}", got.body);
    for path in [
        "/sampling/plans/99",
        "/sampling/draws/99",
        "/api/v1/sampling/draws/99",
        "/sampling/draws/abc",
    ] {
        assert_eq!(
            get(&fx.router, path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // Closing a plan ends its drawing.
    location(&post_form(&fx.router, "/sampling/plans/1/close", &[("csrf", &fx.csrf)]).await);
    let got = post_form(
        &fx.router,
        "/sampling/plans/1/draw",
        &[("csrf", &fx.csrf), ("seed", "again")],
    )
    .await;
    assert_eq!(got.status, StatusCode::CONFLICT);
    assert!(got.body.contains("已结束"), "{}", got.body);
}
