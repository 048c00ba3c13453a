//! Casework from the console: the forms walk a clue to a decided case (each step checked in
//! the store), a district's inspector neither sees nor works another district's clue or case,
//! refusals are shown in Chinese and change nothing, lists mark what is overdue, and the API
//! answers the same records.

use axum::http::StatusCode;
use axum::Router;
use chrono::NaiveDate;
use domain::{CaseId, CaseStage, ClueId, ClueState, DistrictCode, OutcomeKind, Role};
use store::{OutcomeDetail, Scope};

use crate::{fixture, get, logged_in, post_form, Fixture, Got};

fn today() -> NaiveDate {
    domain::time::beijing_date(chrono::Utc::now())
}

fn by() -> store::Actor {
    store::Actor::system("test")
}

/// The path a form's 303 sends the browser to.
#[track_caller]
fn location(got: &Got) -> String {
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    got.headers["location"].to_str().unwrap().to_string()
}

/// The findings of a site.
async fn findings(fx: &Fixture, site: domain::SiteId) -> Vec<domain::FindingId> {
    fx.state
        .store
        .list_findings(
            Scope::City,
            &store::FindingFilter {
                site_id: Some(site),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .iter()
        .map(|f| f.id)
        .collect()
}

/// A clue of the site's findings, dispatched to `district` (counted from `day`).
async fn dispatched_clue(
    fx: &Fixture,
    site: domain::SiteId,
    district: &str,
    day: NaiveDate,
) -> ClueId {
    let store = fx.state.store.as_ref();
    let clue = store
        .create_clue(
            &store::NewClue {
                site_id: site,
                findings: findings(fx, site).await,
                summary: "测试线索".into(),
            },
            &by(),
        )
        .await
        .unwrap();
    casework::dispatch(
        store,
        Scope::City,
        clue,
        DistrictCode::parse(district).unwrap(),
        None,
        &casework::Limits::default(),
        day,
        &by(),
    )
    .await
    .unwrap();
    clue
}

/// A case opened from a dispatched clue of the site, with the city's supervisor as officer.
async fn case_of(fx: &Fixture, site: domain::SiteId, district: &str) -> (ClueId, CaseId) {
    let clue = dispatched_clue(fx, site, district, today()).await;
    let case = casework::open_case(
        fx.state.store.as_ref(),
        Scope::City,
        &[clue],
        &["supervisor".to_string()],
        None,
        &casework::Limits::default(),
        today(),
        &by(),
    )
    .await
    .unwrap();
    (clue, case)
}

async fn stage(fx: &Fixture, case: CaseId) -> CaseStage {
    fx.state
        .store
        .case(Scope::City, case)
        .await
        .unwrap()
        .unwrap()
        .stage
}

async fn outcomes(fx: &Fixture, case: CaseId) -> Vec<store::Outcome> {
    fx.state
        .store
        .case_outcomes(Scope::City, case)
        .await
        .unwrap()
}

async fn add_user(fx: &Fixture, name: &str, role: Role, districts: &[&str]) {
    people::add_user(
        fx.state.store.as_ref(),
        &people::UserSpec {
            username: name.into(),
            display_name: name.into(),
            role,
            districts: districts
                .iter()
                .map(|d| DistrictCode::parse(d).unwrap())
                .collect(),
            entities: vec![],
        },
        crate::PASSWORD,
        &by(),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn the_forms_walk_a_clue_to_a_decided_case() {
    let fx = fixture().await;
    let store = fx.state.store.clone();
    let (inspector, csrf) =
        logged_in(&fx.state, "inspector-qx", Role::Inspector, &["450103"]).await;
    add_user(&fx, "inspector-qx2", Role::Inspector, &["450103"]).await;
    add_user(&fx, "inspector-jn", Role::Inspector, &["450105"]).await;

    // The city makes a clue of the shop's findings and dispatches it to 青秀区.
    let mut form: Vec<(&str, String)> = vec![("csrf", fx.csrf.clone())];
    for f in findings(&fx, fx.shop).await {
        form.push(("finding", f.to_string()));
    }
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let to = location(&post_form(&fx.router, "/clues", &fields).await);
    let clue = ClueId(
        to.trim_start_matches("/clues/")
            .trim_end_matches("/record")
            .parse()
            .unwrap(),
    );
    let page = get(&fx.router, &format!("/clues/{clue}")).await.ok();
    assert!(
        page.body.contains("待派发") && page.body.contains("派发"),
        "{}",
        page.body
    );
    let got = post_form(
        &fx.router,
        &format!("/clues/{clue}/dispatch"),
        &[("csrf", &fx.csrf), ("district", "450103"), ("reason", "")],
    )
    .await;
    assert_eq!(location(&got), format!("/clues/{clue}"));
    let c = store.clue(Scope::City, clue).await.unwrap().unwrap();
    assert_eq!(c.state, ClueState::Dispatched);
    assert_eq!(c.district, Some(DistrictCode::parse("450103").unwrap()));
    assert!(c.due_on.is_some() && c.verify_by.is_some());
    let list = get(&inspector, "/clues?state=dispatched").await.ok();
    assert!(
        list.body.contains(&format!("href=\"/clues/{clue}\"")),
        "{}",
        list.body
    );
    assert!(list.body.contains("已派发") && list.body.contains("青秀区"));

    // 青秀区 verifies it and opens a case with two of its officers.
    let got = post_form(
        &inspector,
        &format!("/clues/{clue}/feedback"),
        &[
            ("csrf", &csrf),
            ("answer", "verified"),
            ("note", "经核查属实"),
        ],
    )
    .await;
    location(&got);
    let c = store.clue(Scope::City, clue).await.unwrap().unwrap();
    assert_eq!(c.state, ClueState::Verified);
    let page = get(&inspector, &format!("/clues/{clue}")).await.ok();
    assert!(
        page.body.contains("value=\"inspector-qx2\""),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("value=\"inspector-jn\""),
        "only officers who may work 青秀区 are offered"
    );
    assert!(
        !page.body.contains("/dispatch\""),
        "no dispatch form for a district"
    );
    let got = post_form(
        &inspector,
        &format!("/clues/{clue}/case"),
        &[
            ("csrf", &csrf),
            ("officer", "inspector-qx"),
            ("officer", "inspector-qx2"),
            ("summary", "虚假宣传、未亮照"),
        ],
    )
    .await;
    let to = location(&got);
    let case = CaseId(to.trim_start_matches("/cases/").parse().unwrap());
    let k = store.case(Scope::City, case).await.unwrap().unwrap();
    assert_eq!(k.stage, CaseStage::Registered);
    assert_eq!(k.officers.len(), 2);
    assert_eq!(k.clues, vec![clue]);
    assert_eq!(k.summary, "虚假宣传、未亮照");
    assert_eq!(
        store.clue(Scope::City, clue).await.unwrap().unwrap().state,
        ClueState::CaseOpened
    );

    // Investigating; a rectification order and a penalty; decided.
    let advance = |seen: &'static str| {
        let (inspector, csrf) = (inspector.clone(), csrf.clone());
        async move {
            post_form(
                &inspector,
                &format!("/cases/{case}/advance"),
                &[("csrf", &csrf), ("stage", seen)],
            )
            .await
        }
    };
    location(&advance("registered").await);
    assert_eq!(stage(&fx, case).await, CaseStage::Investigating);
    let due = (today() + chrono::Days::new(10)).to_string();
    let got = post_form(
        &inspector,
        &format!("/cases/{case}/outcome"),
        &[
            ("csrf", &csrf),
            ("kind", "rectification"),
            ("due", &due),
            ("urls", "http://shop.example/\r\n"),
        ],
    )
    .await;
    location(&got);
    let got = post_form(
        &inspector,
        &format!("/cases/{case}/outcome"),
        &[
            ("csrf", &csrf),
            ("kind", "penalty"),
            ("decision_no", "南市监网罚〔2017〕1号"),
            ("fine", "573800.00"),
            ("confiscation", ""),
        ],
    )
    .await;
    location(&got);
    let os = outcomes(&fx, case).await;
    assert_eq!(
        os.iter().map(|o| o.detail.kind()).collect::<Vec<_>>(),
        [OutcomeKind::Rectification, OutcomeKind::Penalty]
    );
    match &os[0].detail {
        OutcomeDetail::Rectification { due_on, urls, .. } => {
            assert_eq!(due_on.to_string(), due);
            assert_eq!(urls, &["http://shop.example/".to_string()]);
        }
        other => panic!("{other:?}"),
    }
    match &os[1].detail {
        OutcomeDetail::Penalty {
            fine_fen,
            legal_basis,
            decision_no,
            confiscation,
        } => {
            assert_eq!(*fine_fen, 57_380_000);
            assert_eq!(decision_no, "南市监网罚〔2017〕1号");
            assert!(!legal_basis.is_empty());
            assert_eq!(confiscation, &None);
        }
        other => panic!("{other:?}"),
    }
    location(&advance("investigating").await);
    assert_eq!(stage(&fx, case).await, CaseStage::Decided);

    // The page shows it all, in yuan; the audit log has every step.
    let page = get(&inspector, &format!("/cases/{case}")).await.ok();
    for text in [
        "573,800.00 元",
        "南市监网罚〔2017〕1号",
        "责令整改",
        "行政处罚",
        "已决定",
        "进入下一阶段：已结案",
        "整改中",
        "inspector-qx2",
    ] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    assert!(
        !page.body.contains("/reopen\""),
        "reopening is offered only with its permission"
    );
    let actions: Vec<String> = store
        .audit_of(&format!("case:{case}"))
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(
        actions.iter().filter(|a| *a == "outcome").count(),
        2,
        "{actions:?}"
    );
    assert_eq!(
        actions.iter().filter(|a| *a == "stage").count(),
        2,
        "{actions:?}"
    );
    let audit = store.audit_of(&format!("case:{case}")).await.unwrap();
    assert!(
        audit.iter().all(|a| a.actor == "user:inspector-qx"),
        "{audit:?}"
    );

    // Closing waits for the re-check; the re-check (the fixture's sweep fetched the page and
    // found the same violation) is not compliant and sends the case back to investigation.
    let got = advance("decided").await;
    assert_eq!(got.status, StatusCode::CONFLICT, "{}", got.body);
    assert!(got.body.contains("尚未复查，不能结案"), "{}", got.body);
    assert_eq!(stage(&fx, case).await, CaseStage::Decided);
    let sweep = store
        .fetch(Scope::City, fx.fetch)
        .await
        .unwrap()
        .unwrap()
        .fetch
        .sweep_id;
    let result = casework::record_recheck(store.as_ref(), os[0].id, sweep, &by())
        .await
        .unwrap();
    assert!(matches!(result, casework::Compliance::NotCompliant { .. }));
    assert_eq!(stage(&fx, case).await, CaseStage::Investigating);
    let page = get(&inspector, &format!("/cases/{case}")).await.ok();
    assert!(page.body.contains("复查不合格"), "{}", page.body);
    assert!(
        page.body
            .contains(&format!("href=\"/evidence/{}\"", fx.fetch)),
        "the re-check's evidence is linked: {}",
        page.body
    );

    // The API answers the same case.
    let v = get(&inspector, &format!("/api/v1/cases/{case}"))
        .await
        .ok()
        .json();
    assert_eq!(v["stage"], "investigating");
    assert_eq!(v["district"], "450103");
    assert_eq!(v["clues"], serde_json::json!([clue.0]));
    assert_eq!(v["officers"].as_array().unwrap().len(), 2);
    assert_eq!(v["outcomes"][0]["type"], "rectification");
    assert_eq!(v["outcomes"][0]["compliant"], false);
    assert_eq!(v["outcomes"][0]["recheck_sweep"], sweep.0);
    assert_eq!(v["outcomes"][1]["type"], "penalty");
    assert_eq!(v["outcomes"][1]["fine_fen"], 57_380_000);
    let list = get(
        &inspector,
        "/api/v1/cases?stage=investigating&district=450103",
    )
    .await
    .ok()
    .json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], case.0);
    let none = get(&inspector, "/api/v1/cases?stage=closed")
        .await
        .ok()
        .json();
    assert_eq!(none["total"], 0);
    let clues = get(&inspector, "/api/v1/clues?state=case_opened")
        .await
        .ok()
        .json();
    assert_eq!(clues["total"], 1);
    let item = &clues["items"][0];
    assert_eq!(item["case_id"], case.0);
    assert_eq!(item["district"], "450103");
    assert_eq!(item["overdue"], false);
    assert!(
        item["verify_by"].is_string() && item["due_on"].is_string(),
        "{item}"
    );
    let cases = get(&inspector, "/cases").await.ok();
    assert!(cases.body.contains(&format!("href=\"/cases/{case}\"")));
    assert!(cases.body.contains("调查中"));
}

#[tokio::test]
async fn refusals_are_in_chinese_and_change_nothing() {
    let fx = fixture().await;
    let store = fx.state.store.clone();
    let (_, case) = case_of(&fx, fx.shop, "450103").await;
    let post = |fields: Vec<(&'static str, String)>, path: &'static str| {
        let (router, csrf) = (fx.router.clone(), fx.csrf.clone());
        async move {
            let mut form: Vec<(&str, String)> = vec![("csrf", csrf)];
            form.extend(fields);
            let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(&router, &path.replace("{case}", &case.to_string()), &f).await
        }
    };
    let audit = || async { store.audit_of(&format!("case:{case}")).await.unwrap().len() };
    let before = audit().await;

    // A skipped stage: the page said "investigating" but the case is only registered.
    let got = post(
        vec![("stage", "investigating".into())],
        "/cases/{case}/advance",
    )
    .await;
    assert_eq!(got.status, StatusCode::CONFLICT, "{}", got.body);
    assert!(got.body.contains("现处于“已立案”阶段"), "{}", got.body);
    assert!(got.body.contains("不能跳过"), "{}", got.body);
    assert_eq!(stage(&fx, case).await, CaseStage::Registered);
    // No outcome before investigating.
    let got = post(
        vec![("kind", "warning".into()), ("reason", "提醒".into())],
        "/cases/{case}/outcome",
    )
    .await;
    assert_eq!(got.status, StatusCode::CONFLICT, "{}", got.body);
    assert!(
        got.body.contains("处理结果只能在调查中或已决定时录入"),
        "{}",
        got.body
    );
    assert_eq!(audit().await, before);

    location(
        &post(
            vec![("stage", "registered".into())],
            "/cases/{case}/advance",
        )
        .await,
    );
    let before = audit().await;
    for (fine, words) in [
        ("-5", "罚款金额不能为负数"),
        ("12.345", "最多保留两位小数"),
        ("一百", "不是金额"),
    ] {
        let got = post(
            vec![
                ("kind", "penalty".into()),
                ("decision_no", "南市监网罚〔2017〕2号".into()),
                ("fine", fine.into()),
            ],
            "/cases/{case}/outcome",
        )
        .await;
        assert_eq!(got.status, StatusCode::BAD_REQUEST, "{fine}: {}", got.body);
        assert!(got.body.contains(words), "{fine}: {}", got.body);
    }
    let got = post(
        vec![
            ("kind", "rectification".into()),
            ("due", "2000-01-01".into()),
            ("urls", "http://shop.example/".into()),
        ],
        "/cases/{case}/outcome",
    )
    .await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST, "{}", got.body);
    assert!(got.body.contains("期限 2000-01-01 已过"), "{}", got.body);
    let got = post(
        vec![
            ("kind", "rectification".into()),
            ("due", (today() + chrono::Days::new(5)).to_string()),
            ("urls", "http://casino.example/".into()),
        ],
        "/cases/{case}/outcome",
    )
    .await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST, "{}", got.body);
    assert!(got.body.contains("不是本案网站"), "{}", got.body);
    let got = post(
        vec![
            ("kind", "referral".into()),
            ("to", "".into()),
            ("reason", "无证".into()),
        ],
        "/cases/{case}/outcome",
    )
    .await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST, "{}", got.body);
    assert!(got.body.contains("请填写移送部门"), "{}", got.body);
    // A decision needs two officers and an outcome.
    let got = post(
        vec![("stage", "investigating".into())],
        "/cases/{case}/advance",
    )
    .await;
    assert_eq!(got.status, StatusCode::CONFLICT, "{}", got.body);
    assert!(got.body.contains("作出决定须至少两名"), "{}", got.body);
    let got = post(vec![("name", "nobody".into())], "/cases/{case}/officer").await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST, "{}", got.body);
    assert!(got.body.contains("用户“nobody”不存在"), "{}", got.body);
    assert!(outcomes(&fx, case).await.is_empty());
    assert_eq!(stage(&fx, case).await, CaseStage::Investigating);
    assert_eq!(audit().await, before, "refusals wrote nothing");
    // The page with the refusal is the console's, in Chinese.
    assert!(got.body.contains("请求有误"), "{}", got.body);

    // A clue in the wrong state for the step.
    let clue = dispatched_clue(&fx, fx.casino, "450105", today()).await;
    let got = post_form(
        &fx.router,
        &format!("/clues/{clue}/feedback"),
        &[
            ("csrf", &fx.csrf),
            ("answer", "not_verified"),
            ("reason", ""),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST, "{}", got.body);
    assert!(got.body.contains("不予立案须选择理由"), "{}", got.body);
    let got = post_form(
        &fx.router,
        &format!("/clues/{clue}/dispatch"),
        &[("csrf", &fx.csrf), ("district", "450105"), ("reason", "")],
    )
    .await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST, "{}", got.body);
    assert!(got.body.contains("重新派发须说明理由"), "{}", got.body);
    location(
        &post_form(
            &fx.router,
            &format!("/clues/{clue}/feedback"),
            &[
                ("csrf", &fx.csrf),
                ("answer", "not_verified"),
                ("reason", "first_minor_corrected"),
            ],
        )
        .await,
    );
    let c = store.clue(Scope::City, clue).await.unwrap().unwrap();
    assert_eq!(c.state, ClueState::NotVerified);
    let got = post_form(
        &fx.router,
        &format!("/clues/{clue}/case"),
        &[("csrf", &fx.csrf), ("officer", "supervisor")],
    )
    .await;
    assert_eq!(got.status, StatusCode::CONFLICT, "{}", got.body);
    assert!(
        got.body.contains("当前为“不予立案”，不能立案"),
        "{}",
        got.body
    );
    let page = get(&fx.router, &format!("/clues/{clue}")).await.ok();
    assert!(page.body.contains("首违不罚"), "{}", page.body);

    // An auditor is offered no form and refused one it builds itself.
    let (auditor, csrf) = logged_in(&fx.state, "auditor", Role::Auditor, &[]).await;
    let page = get(&auditor, &format!("/cases/{case}")).await.ok();
    assert!(!page.body.contains("/advance\""), "{}", page.body);
    let got = post_form(
        &auditor,
        &format!("/cases/{case}/advance"),
        &[("csrf", &csrf), ("stage", "investigating")],
    )
    .await;
    assert_eq!(got.status, StatusCode::FORBIDDEN, "{}", got.body);
    assert_eq!(stage(&fx, case).await, CaseStage::Investigating);
}

#[tokio::test]
async fn another_districts_clue_and_case_are_not_found() {
    let fx = fixture().await;
    let store = fx.state.store.clone();
    let (inspector, csrf) =
        logged_in(&fx.state, "inspector-qx", Role::Inspector, &["450103"]).await;
    let (clue, case) = case_of(&fx, fx.casino, "450105").await;
    let other = dispatched_clue(&fx, fx.shop, "450105", today()).await;
    let hidden = |r: &Got| {
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        assert!(!r.body.contains("casino.example"), "{}", r.body);
    };
    for uri in [
        format!("/clues/{clue}"),
        format!("/clues/{other}"),
        format!("/cases/{case}"),
        format!("/api/v1/cases/{case}"),
        format!("/api/v1/clues/{other}"),
    ] {
        hidden(&get(&inspector, &uri).await);
    }
    hidden(
        &post_form(
            &inspector,
            &format!("/clues/{other}/feedback"),
            &[("csrf", &csrf), ("answer", "verified")],
        )
        .await,
    );
    hidden(
        &post_form(
            &inspector,
            &format!("/cases/{case}/advance"),
            &[("csrf", &csrf), ("stage", "registered")],
        )
        .await,
    );
    assert_eq!(
        store.clue(Scope::City, other).await.unwrap().unwrap().state,
        ClueState::Dispatched,
        "the shop's clue, sent to 江南区, is 江南区's now"
    );
    assert_eq!(stage(&fx, case).await, CaseStage::Registered);
    let list = get(&inspector, "/api/v1/cases").await.ok().json();
    assert_eq!(list["total"], 0);
    let list = get(&inspector, "/cases?district=450105").await.ok();
    assert!(!list.body.contains(&format!("/cases/{case}\"")));
    let list = get(&inspector, "/clues").await.ok();
    assert!(!list.body.contains(&format!("/clues/{other}\"")));
    let city = get(&fx.router, "/api/v1/cases?district=450105")
        .await
        .ok()
        .json();
    assert_eq!(city["total"], 1);
}

#[tokio::test]
async fn overdue_clues_are_marked_and_filtered() {
    let fx = fixture().await;
    let router: &Router = &fx.router;
    // Dispatched on 2017-06-01: its deadlines are long past.
    let late = dispatched_clue(
        &fx,
        fx.shop,
        "450103",
        NaiveDate::from_ymd_opt(2017, 6, 1).unwrap(),
    )
    .await;
    let fresh = dispatched_clue(&fx, fx.casino, "450105", today()).await;
    let page = get(router, "/clues?overdue=yes").await.ok();
    assert!(page.body.contains(&format!("href=\"/clues/{late}\"")));
    assert!(!page.body.contains(&format!("href=\"/clues/{fresh}\"")));
    assert!(
        page.body
            .contains("<span class=\"overdue-mark\">逾期</span>"),
        "{}",
        page.body
    );
    let page = get(router, "/clues?overdue=no").await.ok();
    assert!(page.body.contains(&format!("href=\"/clues/{fresh}\"")));
    assert!(!page.body.contains("overdue-mark"), "{}", page.body);
    let v = get(router, "/api/v1/clues?overdue=yes").await.ok().json();
    assert_eq!(v["total"], 1);
    assert_eq!(v["items"][0]["id"], late.0);
    assert_eq!(v["items"][0]["overdue"], true);
    assert_eq!(v["items"][0]["state"], "dispatched");
    let got = get(router, "/api/v1/clues?overdue=maybe").await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    assert!(got.json()["message"].as_str().unwrap().contains("overdue"));
    let got = get(router, "/api/v1/cases?stage=nope").await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    let page = get(router, &format!("/clues/{late}")).await.ok();
    assert!(page.body.contains("overdue-mark"), "{}", page.body);
}
