//! The JSON API (`/api/v1/`): the list envelope and paging, the filters of the console's lists,
//! JSON errors, logins (401 without one, API tokens), scopes (404 outside them) and the
//! OpenAPI document.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use domain::{Category, FindingId, Role, SiteId};
use serde_json::Value;
use store::{
    DiscoveryFilter, DiscoveryState, FindingFilter, FrontierUpdate, NewClue, NewDiscovery, Scope,
    Sighting, SiteProgress, SiteSweepState,
};
use tower::ServiceExt;

use crate::{assert_security_headers, fixture, get, logged_in, Fixture, Got};

/// The findings of a site, by id.
async fn findings_of(fx: &Fixture, site: SiteId) -> Vec<FindingId> {
    fx.state
        .store
        .list_findings(
            Scope::City,
            &FindingFilter {
                site_id: Some(site),
                ..FindingFilter::default()
            },
        )
        .await
        .unwrap()
        .iter()
        .map(|f| f.id)
        .collect()
}

/// A clue of each site, and three discovered sites seen from the shop (one proposed for the
/// shop's entity, one rejected).
async fn casework(fx: &Fixture) -> (i64, i64) {
    let store = fx.state.store.as_ref();
    let mut clues = Vec::new();
    for site in [fx.shop, fx.casino] {
        let id = store
            .create_clue(
                &NewClue {
                    site_id: site,
                    findings: findings_of(fx, site).await,
                    summary: "测试线索".into(),
                },
                &store::Actor::system("user:supervisor"),
            )
            .await
            .unwrap();
        clues.push(id.0);
    }
    let sweep = store.create_sweep(&[fx.shop]).await.unwrap();
    let seen = |host: &str| NewDiscovery {
        host: host.into(),
        path_prefix: String::new(),
        sighting: Sighting {
            from_url: "http://shop.example/".into(),
            anchor: "友情链接".into(),
            hidden: true,
            evidence: None,
            ..Sighting::default()
        },
        source: store::DiscoverySource::Link,
        hops: 1,
        indicators: Vec::new(),
    };
    store
        .commit_progress(&SiteProgress {
            sweep,
            site: fx.shop,
            fetches: vec![],
            frontier: FrontierUpdate::Keep,
            finish: Some((SiteSweepState::Done, None)),
            discoveries: vec![seen("a.example"), seen("b.example"), seen("c.example")],
            classified: None,
            shown: None,
        })
        .await
        .unwrap();
    let found = store
        .list_discovered(Scope::City, &DiscoveryFilter::default())
        .await
        .unwrap();
    let shop_entity = store
        .site(Scope::City, fx.shop)
        .await
        .unwrap()
        .unwrap()
        .entity_id
        .unwrap();
    store
        .set_proposal(
            found[0].id,
            Some(&store::Proposal {
                entity: shop_entity,
                basis: store::ProposalBasis::Text {
                    text: "页面显示其统一社会信用代码".into(),
                },
            }),
        )
        .await
        .unwrap();
    store
        .decide_discovery(
            found[1].id,
            DiscoveryState::Rejected,
            None,
            &store::Actor::system("user:supervisor"),
        )
        .await
        .unwrap();
    (clues[0], clues[1])
}

/// `GET uri` answered 200 with JSON; the body.
#[track_caller]
fn ok_json(got: Got) -> Value {
    assert!(got.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    got.ok().json()
}

async fn json(router: &Router, uri: &str) -> Value {
    ok_json(get(router, uri).await)
}

/// The error envelope of a failed request, checked against `status` and `code`.
async fn refused(router: &Router, uri: &str, status: StatusCode, code: &str) -> Value {
    let got = get(router, uri).await;
    assert_eq!(got.status, status, "{uri}: {}", got.body);
    assert_security_headers(&got.headers);
    let v = got.json();
    assert_eq!(v["error"], code, "{uri}");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    assert_eq!(v.as_object().unwrap().len(), 2, "{v}");
    v
}

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().expect("items")
}

fn field<'v>(v: &'v Value, name: &str) -> Vec<&'v Value> {
    items(v).iter().map(|i| &i[name]).collect()
}

#[tokio::test]
async fn every_list_answers_one_envelope() {
    let fx = fixture().await;
    casework(&fx).await;
    for (path, total) in [
        ("/api/v1/entities", 2),
        ("/api/v1/sites", 2),
        ("/api/v1/findings", 3),
        ("/api/v1/clues", 2),
        ("/api/v1/discovered", 3),
    ] {
        let got = get(&fx.router, path).await;
        assert_security_headers(&got.headers);
        let v = ok_json(got);
        let mut keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["items", "limit", "offset", "total"], "{path}");
        assert_eq!(v["total"], total, "{path}");
        assert_eq!(v["limit"], 50, "{path}");
        assert_eq!(v["offset"], 0, "{path}");
        assert_eq!(items(&v).len(), total, "{path}");
    }
}

/// The rules with findings in scope, each with its decisions, precision and standing.
#[tokio::test]
async fn rules_answer_their_decisions_and_standing() {
    let fx = fixture().await;
    let findings = json(&fx.router, "/api/v1/findings").await;
    let mut ids: Vec<String> = items(&findings)
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    let v = json(&fx.router, "/api/v1/rules").await;
    assert_eq!(v["total"], ids.len(), "{v}");
    let mut listed: Vec<String> = items(&v)
        .iter()
        .map(|r| r["rule_id"].as_str().unwrap().to_string())
        .collect();
    listed.sort();
    assert_eq!(listed, ids);
    for r in items(&v) {
        // No decision yet: no precision, not judged.
        assert_eq!(r["precision"], serde_json::Value::Null, "{r}");
        assert_eq!(r["standing"], "too_few_decisions", "{r}");
        assert_eq!(r["confirmed"], 0);
    }
    let total_open: i64 = items(&v).iter().map(|r| r["open"].as_i64().unwrap()).sum();
    assert_eq!(total_open, findings["total"].as_i64().unwrap());
}

/// Discovery's counts per source and the CT logs' state: one page each, the logs only for the
/// city's staff.
#[tokio::test]
async fn discovery_stats_and_ct_logs_are_lists_too() {
    let fx = fixture().await;
    casework(&fx).await;
    let stats = json(&fx.router, "/api/v1/discovered/stats").await;
    let sources: Vec<&str> = items(&stats)
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["link", "filing", "ct"]);
    let link = &items(&stats)[0];
    assert_eq!(link["total"], 3);
    let (confirmed, rejected) = (
        link["confirmed"].as_f64().unwrap(),
        link["rejected"].as_f64().unwrap(),
    );
    if confirmed + rejected > 0.0 {
        assert_eq!(
            link["precision"],
            confirmed / (confirmed + rejected),
            "{link}"
        );
    } else {
        assert!(link["precision"].is_null(), "{link}");
    }
    assert!(
        items(&stats)[2]["precision"].is_null(),
        "no CT site decided"
    );

    let store = fx.state.store.as_ref();
    store
        .ct_log("sim", "http://ct.test/", "ab12")
        .await
        .unwrap();
    store
        .ct_failure("sim", "bad_signature", "forged head")
        .await
        .unwrap();
    let logs = json(&fx.router, "/api/v1/discovered/ct-logs").await;
    assert_eq!(logs["total"], 1);
    let log = &items(&logs)[0];
    assert_eq!(
        (&log["name"], &log["failure_code"]),
        (&"sim".into(), &"bad_signature".into())
    );
    assert_eq!(log["entries_read"], 0);
    let (inspector, _) =
        crate::logged_in(&fx.state, "inspector", domain::Role::Inspector, &["450103"]).await;
    let none = json(&inspector, "/api/v1/discovered/ct-logs").await;
    assert_eq!(none["total"], 0);
}

#[tokio::test]
async fn pages_are_windows_of_the_whole_list() {
    let fx = fixture().await;
    let all = json(&fx.router, "/api/v1/findings").await;
    let ids: Vec<&Value> = field(&all, "id");
    // Newest first.
    let mut sorted: Vec<i64> = ids.iter().map(|v| v.as_i64().unwrap()).collect();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(
        sorted,
        ids.iter().map(|v| v.as_i64().unwrap()).collect::<Vec<_>>()
    );
    for offset in 0..4 {
        let page = json(
            &fx.router,
            &format!("/api/v1/findings?limit=2&offset={offset}"),
        )
        .await;
        assert_eq!(page["total"], 3);
        assert_eq!(page["limit"], 2);
        assert_eq!(page["offset"], offset);
        let want: Vec<&Value> = ids.iter().skip(offset).take(2).copied().collect();
        assert_eq!(field(&page, "id"), want, "offset {offset}");
    }
    let most = json(&fx.router, "/api/v1/sites?limit=500").await;
    assert_eq!(most["limit"], 500);
    assert_eq!(items(&most).len(), 2);
    // Blank values are the defaults.
    let blank = json(&fx.router, "/api/v1/entities?limit=&offset=&district=").await;
    assert_eq!(
        (blank["limit"].as_i64(), blank["total"].as_i64()),
        (Some(50), Some(2))
    );
}

#[tokio::test]
async fn bad_paging_and_filters_are_400_in_the_envelope() {
    let fx = fixture().await;
    for uri in [
        "/api/v1/findings?limit=0",
        "/api/v1/findings?limit=501",
        "/api/v1/findings?limit=-1",
        "/api/v1/sites?limit=ten",
        "/api/v1/entities?offset=-1",
        "/api/v1/clues?offset=1.5",
        "/api/v1/discovered?limit=99999999999999999999",
        "/api/v1/findings?category=nope",
        "/api/v1/findings?severity=grave",
        "/api/v1/findings?triage=maybe",
        "/api/v1/findings?district=45010",
        "/api/v1/findings?site=shop",
        "/api/v1/sites?kind=warehouse",
        "/api/v1/sites?registered=perhaps",
        "/api/v1/entities?status=asleep",
        "/api/v1/clues?district=abcdef",
        "/api/v1/discovered?state=pending",
        "/api/v1/findings?limit=1&limit=2",
    ] {
        refused(&fx.router, uri, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    let v = refused(
        &fx.router,
        "/api/v1/findings?limit=501",
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    assert!(v["message"].as_str().unwrap().contains("limit"), "{v}");
}

#[tokio::test]
async fn filters_are_the_console_lists_filters() {
    let fx = fixture().await;
    let (shop_clue, casino_clue) = casework(&fx).await;
    let r = &fx.router;

    let critical = json(r, "/api/v1/findings?severity=critical").await;
    assert_eq!(critical["total"], 1);
    let f = &items(&critical)[0];
    assert_eq!(f["category"], "content.gambling");
    assert_eq!(f["category_title"], Category::ContentGambling.title());
    assert_eq!(f["district"], "450105");
    assert_eq!(f["host"], "casino.example");
    assert_eq!(f["site_id"], fx.casino.0);
    assert_eq!(f["triage"], "open");
    assert_eq!(f["evidence"]["warc_file"], "../outside.warc.gz");
    let shop = json(r, &format!("/api/v1/findings?site={}", fx.shop)).await;
    assert_eq!(shop["total"], 2);
    let register = &items(&shop)
        .iter()
        .find(|f| f["location"] == "register")
        .unwrap();
    assert_eq!(register["evidence"], Value::Null);
    assert_eq!(register["fetch_id"], Value::Null);
    for (q, total) in [
        ("category=ad.absolute_term", 1),
        ("district=450103", 2),
        ("district=450105&severity=critical", 1),
        ("district=450103&severity=critical", 0),
        ("triage=open", 3),
        ("triage=confirmed", 0),
    ] {
        let v = json(r, &format!("/api/v1/findings?{q}")).await;
        assert_eq!(v["total"], total, "{q}");
        assert_eq!(items(&v).len(), total, "{q}");
    }

    let sites = json(r, "/api/v1/sites?district=450103").await;
    assert_eq!(sites["total"], 1);
    let s = &items(&sites)[0];
    assert_eq!(s["id"], fx.shop.0);
    assert_eq!(s["host"], "shop.example");
    assert_eq!(s["address"], "shop.example");
    assert_eq!(s["kind"], "trading_site");
    assert_eq!(s["origin"], "register");
    assert_eq!(s["entity_name"], "南宁最佳商贸有限公司");
    assert_eq!(s["kind_disagrees"], false);
    for (q, total) in [
        ("kind=non_trading_site", 1),
        ("kind=platform", 0),
        ("registered=yes", 2),
        ("registered=no", 0),
    ] {
        assert_eq!(
            json(r, &format!("/api/v1/sites?{q}")).await["total"],
            total,
            "{q}"
        );
    }

    let entities = json(r, "/api/v1/entities?district=450105").await;
    assert_eq!(entities["total"], 1);
    let e = &items(&entities)[0];
    assert_eq!(e["name"], "江南娱乐有限公司");
    assert_eq!(e["district"], "450105");
    assert_eq!(e["district_name"], "江南区");
    assert_eq!(e["kind"], "non_trading_site");
    assert_eq!(e["status"], "active");
    assert_eq!(e["domains"], serde_json::json!(["casino.example"]));
    for (q, total) in [
        ("kind=trading_site", 1),
        ("status=active", 2),
        ("status=deregistered", 0),
    ] {
        assert_eq!(
            json(r, &format!("/api/v1/entities?{q}")).await["total"],
            total,
            "{q}"
        );
    }

    let clues = json(r, "/api/v1/clues").await;
    // Newest first.
    assert_eq!(
        field(&clues, "id"),
        [&casino_clue.into(), &shop_clue.into()] as [&Value; 2]
    );
    let by_site = json(r, &format!("/api/v1/clues?site={}", fx.shop)).await;
    assert_eq!(by_site["total"], 1);
    let c = &items(&by_site)[0];
    assert_eq!(c["site"], "shop.example");
    assert_eq!(c["district"], "450103");
    assert_eq!(c["summary"], "测试线索");
    assert_eq!(c["findings"].as_array().unwrap().len(), 2);
    assert_eq!(json(r, "/api/v1/clues?district=450105").await["total"], 1);
    assert_eq!(json(r, "/api/v1/clues?district=450107").await["total"], 0);

    let discovered = json(r, "/api/v1/discovered").await;
    assert_eq!(
        field(&discovered, "address"),
        ["a.example", "b.example", "c.example"]
            .map(Value::from)
            .iter()
            .collect::<Vec<_>>()
    );
    let d = &items(&discovered)[0];
    assert_eq!(d["state"], "new");
    assert_eq!(d["sightings"], 1);
    assert_eq!(d["evidence"][0]["hidden"], true);
    assert_eq!(d["evidence"][0]["from_url"], "http://shop.example/");
    assert!(d["proposed_entity"].is_i64());
    for (q, total) in [
        ("state=new", 2),
        ("state=rejected", 1),
        ("state=confirmed", 0),
    ] {
        assert_eq!(
            json(r, &format!("/api/v1/discovered?{q}")).await["total"],
            total,
            "{q}"
        );
    }
}

#[tokio::test]
async fn items_by_id_are_the_list_items() {
    let fx = fixture().await;
    let (shop_clue, _) = casework(&fx).await;
    let r = &fx.router;
    for list in ["entities", "sites", "findings", "clues"] {
        let all = json(r, &format!("/api/v1/{list}")).await;
        for item in items(&all) {
            let one = json(r, &format!("/api/v1/{list}/{}", item["id"])).await;
            assert_eq!(&one, item, "{list}");
        }
    }
    let c = json(r, &format!("/api/v1/clues/{shop_clue}")).await;
    assert_eq!(c["site_id"], fx.shop.0);
    // Ids that are not ids, or of no row, are 404 in the envelope.
    for uri in [
        "/api/v1/sites/0",
        "/api/v1/sites/-1",
        "/api/v1/sites/shop",
        "/api/v1/entities/999",
        "/api/v1/findings/999",
        "/api/v1/clues/999",
        "/api/v1/clues/99999999999999999999",
        "/api/v1/nothing",
        "/api/v1/discovered/1",
    ] {
        refused(r, uri, StatusCode::NOT_FOUND, "not_found").await;
    }
}

#[tokio::test]
async fn without_a_login_the_api_answers_401() {
    let fx = fixture().await;
    let anonymous = web::router(fx.state.clone());
    for uri in [
        "/api/v1/entities",
        "/api/v1/sites/1",
        "/api/v1/findings?limit=0",
        "/api/v1/clues",
        "/api/v1/discovered",
    ] {
        refused(&anonymous, uri, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    }
    let forged = bearer(&anonymous, "/api/v1/sites", "wj_not-a-token").await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    assert_eq!(forged.json()["error"], "unauthenticated");
}

async fn bearer(router: &Router, uri: &str, token: &str) -> Got {
    let res = router
        .clone()
        .oneshot(
            Request::get(uri)
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    Got {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

#[tokio::test]
async fn an_api_token_acts_as_its_user_and_a_revoked_one_does_not() {
    let fx = fixture().await;
    let store = fx.state.store.as_ref();
    // An inspector of 青秀区 (the shop's district), by token.
    let _ = logged_in(&fx.state, "inspector", Role::Inspector, &["450103"]).await;
    let user = store.user_by_name("inspector").await.unwrap().unwrap();
    let (token, row) =
        people::create_api_token(store, user.id, "script", &store::Actor::system("test"))
            .await
            .unwrap();
    let anonymous = web::router(fx.state.clone());
    let got = bearer(&anonymous, "/api/v1/sites", &token).await;
    let v = ok_json(got);
    assert_eq!(v["total"], 1);
    assert_eq!(items(&v)[0]["host"], "shop.example");
    store
        .revoke_api_token(row.id, &store::Actor::system("test"))
        .await
        .unwrap();
    let got = bearer(&anonymous, "/api/v1/sites", &token).await;
    assert_eq!(got.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn rows_outside_the_viewers_scope_are_404() {
    let fx = fixture().await;
    let (shop_clue, casino_clue) = casework(&fx).await;
    let (inspector, _) = logged_in(&fx.state, "inspector", Role::Inspector, &["450103"]).await;
    let all = json(&fx.router, "/api/v1/findings").await;
    let casino_finding = items(&all)
        .iter()
        .find(|f| f["site_id"] == fx.casino.0)
        .unwrap()["id"]
        .clone();
    let shop_finding = items(&all)
        .iter()
        .find(|f| f["site_id"] == fx.shop.0)
        .unwrap()["id"]
        .clone();
    let entities = json(&fx.router, "/api/v1/entities").await;
    let entity_of = |district: &str| {
        items(&entities)
            .iter()
            .find(|e| e["district"] == district)
            .unwrap()["id"]
            .clone()
    };

    // Outside: 404, exactly as for a row that does not exist.
    for uri in [
        format!("/api/v1/sites/{}", fx.casino),
        format!("/api/v1/findings/{casino_finding}"),
        format!("/api/v1/clues/{casino_clue}"),
        format!("/api/v1/entities/{}", entity_of("450105")),
    ] {
        let v = refused(&inspector, &uri, StatusCode::NOT_FOUND, "not_found").await;
        assert!(!v["message"].as_str().unwrap().contains("casino"), "{v}");
    }
    // Inside: the row.
    for uri in [
        format!("/api/v1/sites/{}", fx.shop),
        format!("/api/v1/findings/{shop_finding}"),
        format!("/api/v1/clues/{shop_clue}"),
        format!("/api/v1/entities/{}", entity_of("450103")),
    ] {
        json(&inspector, &uri).await;
    }
    // Lists and their totals hold only the scope's rows, whatever the filters ask.
    for (uri, total) in [
        ("/api/v1/entities", 1),
        ("/api/v1/sites", 1),
        ("/api/v1/findings", 2),
        ("/api/v1/findings?district=450105", 0),
        ("/api/v1/clues", 1),
        ("/api/v1/clues?district=450105", 0),
        // The discovered site proposed for the shop's entity; the others are the city's.
        ("/api/v1/discovered", 1),
    ] {
        let v = json(&inspector, uri).await;
        assert_eq!(v["total"], total, "{uri}");
        assert_eq!(items(&v).len(), total, "{uri}");
        for item in items(&v) {
            if let Some(d) = item.get("district") {
                assert_eq!(d, "450103", "{uri}");
            }
        }
    }
    // An evaluator with no entities assigned sees nothing.
    let (evaluator, _) = logged_in(&fx.state, "evaluator", Role::Evaluator, &[]).await;
    assert_eq!(json(&evaluator, "/api/v1/findings").await["total"], 0);
    refused(
        &evaluator,
        &format!("/api/v1/sites/{}", fx.shop),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn the_openapi_document_is_public_and_lists_every_v1_path() {
    let fx = fixture().await;
    let (shop_clue, _) = casework(&fx).await;
    // A case of the shop's clue, so that the case list and item answer too.
    {
        let store = fx.state.store.as_ref();
        let (limits, today) = (
            casework::Limits::default(),
            domain::time::beijing_date(chrono::Utc::now()),
        );
        let by = store::Actor::system("test");
        let clue = domain::ClueId(shop_clue);
        casework::dispatch(
            store,
            Scope::City,
            clue,
            domain::DistrictCode::parse("450103").unwrap(),
            None,
            &limits,
            today,
            &by,
        )
        .await
        .unwrap();
        casework::open_case(
            store,
            Scope::City,
            &[clue],
            &["supervisor".to_string()],
            None,
            &limits,
            today,
            &by,
        )
        .await
        .unwrap();
    }
    // A field inspection, so that its list and item answer too.
    let settings = fx.state.inspections.clone().unwrap();
    let store = fx.state.store.as_ref();
    let supervisor = store.user_by_name("supervisor").await.unwrap().unwrap();
    let entity = store
        .list_entities(store::Scope::City, &store::EntityFilter::default())
        .await
        .unwrap()[0]
        .id;
    casework::inspection::record_inspection(
        store,
        &settings.attachments_dir,
        &settings.limits,
        &store::Scope::City,
        &casework::inspection::InspectionInput {
            entity,
            case: None,
            inspected_at: chrono::Utc::now(),
            place: "现场".into(),
            result: domain::InspectionResult::Compliant,
            notes: String::new(),
            inspectors: vec!["supervisor".into()],
        },
        &[],
        &store::Actor::user(&supervisor, None),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let anonymous = web::router(fx.state.clone());
    let doc = ok_json(get(&anonymous, "/api/v1/openapi.json").await);
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"],
        serde_json::json!({
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "wj_…",
            "description": doc["components"]["securitySchemes"]["bearer"]["description"],
        })
    );
    assert_eq!(doc["security"], serde_json::json!([{"bearer": []}]));
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    let mut want = vec![
        "/api/v1/badges",
        "/api/v1/campaigns",
        "/api/v1/campaigns/{id}",
        "/api/v1/schedule",
        "/api/v1/cases",
        "/api/v1/cases/{id}",
        "/api/v1/clues",
        "/api/v1/clues/{id}",
        "/api/v1/complaints",
        "/api/v1/discovered",
        "/api/v1/discovered/stats",
        "/api/v1/discovered/ct-logs",
        "/api/v1/entities",
        "/api/v1/entities/{id}",
        "/api/v1/entities/{id}/credit",
        "/api/v1/credit/scores",
        "/api/v1/findings",
        "/api/v1/findings/{id}",
        "/api/v1/rules",
        "/api/v1/inspections",
        "/api/v1/inspections/{id}",
        "/api/v1/notices",
        "/api/v1/model-sites",
        "/api/v1/sampling/plans",
        "/api/v1/sampling/draws",
        "/api/v1/sampling/draws/{id}",
        "/api/v1/sites",
        "/api/v1/sites/{id}",
        "/api/v1/credit/listings",
        "/api/v1/credit/listings/{id}",
        "/api/v1/credit/evaluations",
        "/api/v1/objects",
    ];
    want.sort();
    let mut got = paths.clone();
    got.sort();
    assert_eq!(got, want);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "Entity",
        "Site",
        "Finding",
        "Clue",
        "Discovered",
        "Inspection",
        "Attachment",
        "Campaign",
        "Case",
        "Outcome",
        "OutcomeDetail",
        "Officer",
        "SamplingPlan",
        "SamplingDraw",
        "SamplingPublication",
        "Listing",
        "Evaluation",
        "ErrorBody",
        "StoredObject",
    ] {
        assert!(schemas.contains_key(name), "{name}: {:?}", schemas.keys());
    }
    // A campaign, so that its item answers too.
    fx.state
        .store
        .create_campaign(
            &store::NewCampaign {
                name: "专项".into(),
                starts_on: chrono::NaiveDate::from_ymd_opt(2017, 1, 1).unwrap(),
                ends_on: chrono::NaiveDate::from_ymd_opt(2017, 12, 31).unwrap(),
                targets: store::CampaignTargets {
                    sites: vec![fx.shop],
                    ..store::CampaignTargets::default()
                },
                packs: vec![],
                schedule: String::new(),
            },
            &[fx.shop],
            &store::Actor::system("test"),
        )
        .await
        .unwrap();
    // A sampling plan and a draw, so that the draw's publication answers too (its inspector
    // has worked no case of the fixture's).
    let _sampler = crate::logged_in(&fx.state, "sampler", domain::Role::Supervisor, &[]).await;
    let operator = sampling::Who::operator("test");
    let plan = sampling::plan::create(
        fx.state.store.as_ref(),
        &operator,
        &sampling::plan::PlanInput {
            name: "双随机".into(),
            items: vec!["亮照经营".into()],
            filter: store::PopulationFilter::default(),
            ratios: domain::CreditClass::ALL
                .iter()
                .map(|c| (*c, "1".to_string()))
                .collect(),
            exclude_same_district: false,
            inspectors_per_entity: Some(1),
            inspectors: vec!["sampler".into()],
        },
    )
    .await
    .unwrap();
    sampling::run(fx.state.store.as_ref(), &operator, plan.id, "seed")
        .await
        .unwrap();
    // A listing, likewise.
    let shop_entity = fx
        .state
        .store
        .site(store::Scope::City, fx.shop)
        .await
        .unwrap()
        .unwrap()
        .entity_id
        .unwrap();
    fx.state
        .store
        .add_listing(
            store::Scope::City,
            &store::ListingInput {
                entity_id: shop_entity,
                list: domain::ListKind::Abnormal,
                cause: "not_contactable".into(),
                decision_no: None,
                listed_on: chrono::NaiveDate::from_ymd_opt(2017, 6, 1).unwrap(),
            },
            &store::Actor::system("test"),
        )
        .await
        .unwrap();
    // Every entity graded, so that its credit answers.
    credit::rescore::load_index(
        store,
        credit::index::DEFAULT_INDEX,
        &store::Actor::system("test"),
        None,
    )
    .await
    .unwrap();
    credit::rescore::rescore_all(store, domain::time::beijing_date(chrono::Utc::now()))
        .await
        .unwrap();
    for path in paths {
        let op = &doc["paths"][path]["get"];
        for status in ["200", "400", "401", "404"] {
            assert!(op["responses"][status].is_object(), "{path} {status}");
        }
        // Every path the document lists answers: a list its envelope, an item (the first of
        // its list) the item.
        let uri = match path.strip_suffix("/{id}") {
            // A sub-resource of an item: the first of its list.
            None if path.contains("/{id}/") => {
                let list = &path[..path.find("/{id}/").unwrap()];
                let first = json(&fx.router, list).await;
                path.replace("{id}", &items(&first)[0]["id"].to_string())
            }
            None => path.clone(),
            Some(list) => {
                let first = json(&fx.router, list).await;
                format!("{list}/{}", items(&first)[0]["id"])
            }
        };
        if uri == "/api/v1/objects" {
            // The fixture's console has no object store (tests/it/objects.rs has one).
            assert!(op["responses"]["503"].is_object(), "{path} 503");
            refused(&fx.router, &uri, StatusCode::NOT_FOUND, "not_found").await;
            continue;
        }
        let v = json(&fx.router, &uri).await;
        assert!(v.is_object(), "{uri}");
    }
    // The filters are documented with their codes.
    let params = doc["paths"]["/api/v1/findings"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let names: Vec<&str> = params.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "category",
            "district",
            "severity",
            "site",
            "triage",
            "sweep",
            "suppressed",
            "limit",
            "offset"
        ]
    );
    let category = &params[0]["schema"]["enum"];
    assert!(category
        .as_array()
        .unwrap()
        .contains(&Value::from("content.gambling")));
    assert!(params
        .iter()
        .all(|p| p["in"] == "query" && p["required"] != true));
}
