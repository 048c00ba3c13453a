//! The console's actions: triage (with the rules page it feeds), clues from selected findings,
//! decisions on discovered sites; each audited with the user and refused, changing nothing,
//! to a role or a district that may not.

use axum::http::StatusCode;
use domain::{Role, Triage};
use store::{FindingFilter, Scope};

use crate::{fixture, get, logged_in, post_form};

async fn findings(fx: &crate::Fixture) -> Vec<store::Finding> {
    fx.state
        .store
        .list_findings(Scope::City, &FindingFilter::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_finding_is_triaged_audited_and_counted_for_its_rule() {
    let fx = fixture().await;
    let all = findings(&fx).await;
    let f = all.iter().find(|f| f.finding.site_id == fx.shop).unwrap();
    let page = get(&fx.router, &format!("/findings/{}", f.id))
        .await
        .ok()
        .body;
    assert!(
        page.contains("待研判") && page.contains("提交研判"),
        "{page}"
    );
    let uri = format!("/findings/{}/triage", f.id);

    // A dismissal without a reason is refused.
    let got = post_form(
        &fx.router,
        &uri,
        &[("csrf", &fx.csrf), ("decision", "dismissed")],
    )
    .await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    assert!(got.body.contains("须说明理由"));

    let got = post_form(
        &fx.router,
        &uri,
        &[
            ("csrf", &fx.csrf),
            ("decision", "false_positive"),
            ("reason", "页脚已展示营业执照"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    let page = get(&fx.router, &format!("/findings/{}", f.id))
        .await
        .ok()
        .body;
    assert!(page.contains("误报") && page.contains("页脚已展示营业执照"));
    // The history names the user.
    assert!(page.contains("user:supervisor"), "{page}");
    let audit = fx
        .state
        .store
        .audit_of(&format!("finding:{}", f.id))
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor, "user:supervisor");
    assert!(audit[0].request_id.is_some());

    let rules = get(&fx.router, "/rules").await.ok().body;
    assert!(rules.contains(&f.finding.rule_id));
    assert!(
        rules.contains("0.0%"),
        "one decision, a false positive: {rules}"
    );
    assert!(
        rules.contains("研判不足") && !rules.contains("<strong class=\"flag\">"),
        "one decision is too few to flag the rule: {rules}"
    );
    let listed = get(&fx.router, "/findings?triage=false_positive")
        .await
        .ok()
        .body;
    assert!(listed.contains(&format!("/findings/{}", f.id)));
    let open = get(&fx.router, "/findings?triage=open").await.ok().body;
    assert!(!open.contains(&format!("\"/findings/{}\"", f.id)));
}

#[tokio::test]
async fn an_auditor_reads_but_changes_nothing_and_an_inspector_stays_in_their_district() {
    let fx = fixture().await;
    let all = findings(&fx).await;
    let casino = all.iter().find(|f| f.finding.site_id == fx.casino).unwrap();
    let shop = all.iter().find(|f| f.finding.site_id == fx.shop).unwrap();

    let (auditor, csrf) = logged_in(&fx.state, "audit", Role::Auditor, &[]).await;
    let page = get(&auditor, &format!("/findings/{}", shop.id))
        .await
        .ok()
        .body;
    assert!(!page.contains("提交研判"), "no triage form for an auditor");
    assert!(!get(&auditor, "/findings")
        .await
        .ok()
        .body
        .contains("生成线索"));
    let got = post_form(
        &auditor,
        &format!("/findings/{}/triage", shop.id),
        &[("csrf", &csrf), ("decision", "confirmed")],
    )
    .await;
    assert_eq!(got.status, StatusCode::FORBIDDEN);
    assert!(got.body.contains("无权"));
    let got = post_form(
        &auditor,
        "/clues",
        &[("csrf", &csrf), ("finding", &shop.id.to_string())],
    )
    .await;
    assert_eq!(got.status, StatusCode::FORBIDDEN);

    // 青秀 (450103) holds the shop; the casino is 江南's (450105).
    let (inspector, csrf) = logged_in(&fx.state, "qingxiu", Role::Inspector, &["450103"]).await;
    assert_eq!(
        get(&inspector, &format!("/findings/{}", casino.id))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let got = post_form(
        &inspector,
        &format!("/findings/{}/triage", casino.id),
        &[("csrf", &csrf), ("decision", "confirmed")],
    )
    .await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
    let list = get(&inspector, "/findings").await.ok().body;
    assert!(list.contains("shop.example") && !list.contains("casino.example"));
    let got = post_form(
        &inspector,
        &format!("/findings/{}/triage", shop.id),
        &[("csrf", &csrf), ("decision", "confirmed")],
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER);
    for f in findings(&fx).await {
        let expected = if f.id == shop.id {
            Triage::Confirmed
        } else {
            Triage::Open
        };
        assert_eq!(f.triage, expected, "finding {}", f.id);
    }
}

#[tokio::test]
async fn selected_findings_of_one_site_make_a_clue() {
    let fx = fixture().await;
    let all = findings(&fx).await;
    let shop: Vec<String> = all
        .iter()
        .filter(|f| f.finding.site_id == fx.shop)
        .map(|f| f.id.to_string())
        .collect();
    let casino = all
        .iter()
        .find(|f| f.finding.site_id == fx.casino)
        .unwrap()
        .id
        .to_string();
    assert!(shop.len() >= 2);
    let page = get(&fx.router, "/findings").await.ok().body;
    assert!(page.contains("将所选发现生成线索"));

    // Findings of two sites, or none: refused, no clue.
    let got = post_form(
        &fx.router,
        "/clues",
        &[
            ("csrf", &fx.csrf),
            ("finding", &shop[0]),
            ("finding", &casino),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    assert!(got.body.contains("同一网站"), "{}", got.body);
    let got = post_form(&fx.router, "/clues", &[("csrf", &fx.csrf)]).await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    assert!(get(&fx.router, "/clues")
        .await
        .ok()
        .body
        .contains("没有符合条件的线索"));

    let got = post_form(
        &fx.router,
        "/clues",
        &[
            ("csrf", &fx.csrf),
            ("finding", &shop[0]),
            ("finding", &shop[1]),
            ("summary", "首页<b>违规</b>"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    let to = got.headers["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/clues/") && to.ends_with("/record"), "{to}");
    let list = get(&fx.router, "/clues").await.ok().body;
    assert!(list.contains("shop.example") && list.contains("user:supervisor"));
    assert!(
        list.contains("首页&#60;b&#62;违规&#60;/b&#62;"),
        "escaped: {list}"
    );
    let clues = fx
        .state
        .store
        .list_clues(Scope::City, &store::ClueFilter::default())
        .await
        .unwrap();
    assert_eq!(clues.len(), 1);
    assert_eq!(clues[0].findings.len(), 2);
    let audit = fx
        .state
        .store
        .audit_of(&format!("clue:{}", clues[0].id))
        .await
        .unwrap();
    assert_eq!(audit[0].action, "create");
    assert_eq!(audit[0].actor, "user:supervisor");
    // Filtered to another district: not listed.
    assert!(get(&fx.router, "/clues?district=450105")
        .await
        .ok()
        .body
        .contains("没有符合条件的线索"));
}

#[tokio::test]
async fn a_discovered_site_is_confirmed_or_rejected_from_the_console() {
    let (fx, entity) = crate::register::joined().await;
    let list = fx
        .state
        .store
        .list_discovered(Scope::City, &store::DiscoveryFilter::default())
        .await
        .unwrap();
    let d = &list[0];
    let page = get(&fx.router, "/discovered").await.ok().body;
    assert!(page.contains(&format!("/discovered/{}/confirm", d.id)));

    // No proposal and no USCC: refused with what to do.
    let uri = format!("/discovered/{}/confirm", d.id);
    let got = post_form(&fx.router, &uri, &[("csrf", &fx.csrf)]).await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST, "{}", got.body);
    assert!(got.body.contains("统一社会信用代码"));
    let got = post_form(
        &fx.router,
        &uri,
        &[("csrf", &fx.csrf), ("entity", "91450000MA00000000")],
    )
    .await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);

    let e = fx
        .state
        .store
        .entity(Scope::City, domain::EntityId(entity))
        .await
        .unwrap()
        .unwrap();
    let got = post_form(
        &fx.router,
        &uri,
        &[("csrf", &fx.csrf), ("entity", &e.input.uscc)],
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    let d = fx
        .state
        .store
        .discovered(Scope::City, d.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.state, store::DiscoveryState::Confirmed);
    let audit = fx
        .state
        .store
        .audit_of(&format!("discovered:{}", d.id))
        .await
        .unwrap();
    assert_eq!(audit[0].actor, "user:supervisor");
    assert_eq!(audit[0].new_value.as_ref().unwrap()["state"], "confirmed");
    let page = get(&fx.router, "/discovered").await.ok().body;
    assert!(!page.contains(&format!("/discovered/{}/confirm", d.id)));
}

#[tokio::test]
async fn an_administrator_manages_users_from_the_console() {
    let fx = fixture().await;
    // A supervisor may not.
    assert_eq!(
        get(&fx.router, "/users").await.status,
        StatusCode::FORBIDDEN
    );
    assert!(!get(&fx.router, "/")
        .await
        .ok()
        .body
        .contains("href=\"/users\""));

    let (admin, csrf) = logged_in(&fx.state, "chief", Role::Admin, &[]).await;
    assert!(get(&admin, "/").await.ok().body.contains("href=\"/users\""));
    let got = post_form(
        &admin,
        "/users",
        &[
            ("csrf", &csrf),
            ("username", "zhang"),
            ("display_name", "张三"),
            ("role", "inspector"),
            ("district", "450102"),
            ("district", "450103"),
        ],
    )
    .await
    .ok();
    assert!(
        got.body.contains("新密码"),
        "a generated password is shown once"
    );
    let store = fx.state.store.as_ref();
    let zhang = store.user_by_name("zhang").await.unwrap().unwrap();
    assert_eq!(zhang.role, Role::Inspector);
    assert_eq!(zhang.districts.len(), 2);
    // An inspector without a district, a taken name: refused.
    let got = post_form(
        &admin,
        "/users",
        &[("csrf", &csrf), ("username", "wang"), ("role", "inspector")],
    )
    .await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    assert!(got.body.contains("辖区"));
    let got = post_form(
        &admin,
        "/users",
        &[("csrf", &csrf), ("username", "zhang"), ("role", "auditor")],
    )
    .await;
    assert_eq!(got.status, StatusCode::CONFLICT);

    let id = zhang.id;
    let got = post_form(&admin, &format!("/users/{id}/disable"), &[("csrf", &csrf)]).await;
    assert_eq!(got.status, StatusCode::SEE_OTHER);
    assert!(store.user(id).await.unwrap().unwrap().disabled);
    let got = post_form(&admin, &format!("/users/{id}/enable"), &[("csrf", &csrf)]).await;
    assert_eq!(got.status, StatusCode::SEE_OTHER);
    let got = post_form(&admin, &format!("/users/{id}/password"), &[("csrf", &csrf)])
        .await
        .ok();
    assert!(got.body.contains("zhang"));
    let got = post_form(
        &admin,
        &format!("/users/{id}/role"),
        &[("csrf", &csrf), ("role", "auditor"), ("district", "")],
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    let zhang = store.user(id).await.unwrap().unwrap();
    assert_eq!(zhang.role, Role::Auditor);
    assert!(zhang.districts.is_empty());
    // The user's page shows every change, with who made it.
    let page = get(&admin, &format!("/users/{id}")).await.ok().body;
    for action in ["创建", "停用", "启用", "重设密码", "变更角色"] {
        assert!(page.contains(action), "{action}: {page}");
    }
    assert!(page.contains("user:chief"));
    // The administrator cannot lock themselves out.
    let me = store.user_by_name("chief").await.unwrap().unwrap().id;
    let got = post_form(&admin, &format!("/users/{me}/disable"), &[("csrf", &csrf)]).await;
    assert_eq!(got.status, StatusCode::CONFLICT);
}

/// The administrators' page shows the latest backup the command line recorded, read-only
/// (backups are taken on the server, never by a form).
#[tokio::test]
async fn the_users_page_shows_the_last_backup() {
    let fx = fixture().await;
    let (admin, _) = logged_in(&fx.state, "chief", Role::Admin, &[]).await;
    let page = get(&admin, "/users").await.ok().body;
    assert!(page.contains("尚无备份记录"), "{page}");
    let record = store::BackupRecord {
        destination: "/srv/backup/2026-12-06.tar.gz".into(),
        files: 42,
        bytes: 123_456,
        manifest_sha256: "ab".repeat(32),
        schema: 19,
        database_included: true,
    };
    fx.state
        .store
        .record_backup(&record, &store::Actor::system("cli:operator"))
        .await
        .unwrap();
    let page = get(&admin, "/users").await.ok().body;
    assert!(!page.contains("尚无备份记录"), "{page}");
    assert!(page.contains("42 个文件"), "{page}");
    assert!(page.contains("/srv/backup/2026-12-06.tar.gz"), "{page}");
    assert!(page.contains("cli:operator"), "{page}");
    assert!(
        !page.contains("action=\"/backup"),
        "no form starts a backup"
    );
}
