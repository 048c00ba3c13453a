//! The public portal: its router answers no console route (every route the console's source
//! declares is asked on it); its pages are the portal's own, in Chinese or English, under the
//! strict security headers; public forms pass the guard (cross-site, rate limit, size, honeypot,
//! the challenge: wrong answer, reused, too fast, expired, forged) before a handler keeps
//! anything; notices published and withdrawn from the console are audited and a withdrawn one
//! answers 410; visits are counted per route pattern and day, nothing about the visitor; the
//! credit query shows only public facts.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use axum::Router;
use domain::Role;
use web::portal::{GuardSettings, Lang, Portal, PublicForm};
use web::{PortalSettings, PortalState};

use crate::{assert_security_headers, fixture, get, logged_in, post_form, send, Fixture, Got};

fn state(fx: &Fixture, guard: GuardSettings) -> PortalState {
    let mut settings = PortalSettings::new("http://127.0.0.1:8081/");
    settings.guard = guard;
    PortalState {
        store: fx.state.store.clone(),
        districts: fx.state.districts.clone(),
        transport: web::Transport::default(),
        settings,
        badges: None,
    }
}

/// Every path the console's router source declares (`.route("…"` in `crates/web/src`, the
/// portal's own folder aside), its ids filled in.
fn console_paths() -> BTreeSet<String> {
    route_paths(false)
}

/// The paths of the portal's own routes (`src/portal/`), ids filled in likewise.
fn portal_paths() -> BTreeSet<String> {
    route_paths(true)
}

/// The route paths written in the crate's source: the portal's (`src/portal/`) or all others.
fn route_paths(portal: bool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let root = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
    let mut files = vec![if portal { root.join("portal") } else { root }];
    while let Some(p) = files.pop() {
        if !portal && p.ends_with("src/portal") {
            continue;
        }
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else if p.extension().is_some_and(|e| e == "rs") {
            let source = std::fs::read_to_string(&p).unwrap();
            let mut rest = source.as_str();
            while let Some(at) = rest.find(".route(") {
                rest = &rest[at + ".route(".len()..];
                let path = rest
                    .trim_start()
                    .strip_prefix('"')
                    .and_then(|p| p.split('"').next())
                    .expect("a route's path is a string literal");
                let mut filled = String::new();
                let mut in_id = false;
                for c in path.chars() {
                    match c {
                        '{' => in_id = true,
                        '}' => {
                            in_id = false;
                            filled.push('1');
                        }
                        _ if in_id => {}
                        c => filled.push(c),
                    }
                }
                out.insert(filled);
            }
        }
    }
    out
}

fn is_portal_page(got: &Got) -> bool {
    got.body
        .contains(r#"<link rel="stylesheet" href="/static/portal.css">"#)
        && !got.body.contains(r#"href="/static/style.css">"#)
}

#[tokio::test]
async fn the_portal_answers_no_console_route() {
    let fx = fixture().await;
    let portal = web::portal_router(state(&fx, GuardSettings::default()));
    let paths = console_paths();
    assert!(paths.len() > 80, "{paths:?}");
    assert!(paths.contains("/login") && paths.contains("/api/v1/entities/1"));
    let own = portal_paths();
    assert!(own.contains("/") && own.contains("/notices/1"), "{own:?}");
    for path in &paths {
        for post in [false, true] {
            let got = if post {
                post_form(&portal, path, &[("csrf", "x")]).await
            } else {
                get(&portal, path).await
            };
            assert!(got.headers.get("location").is_none(), "{path} redirects");
            assert_security_headers(&got.headers);
            if !post && web::ops::PROBES.contains(&path.as_str()) {
                // The operator's probes are on both routers by design: the portal answers its
                // own (about its database), which is no page.
                assert_eq!(got.status, StatusCode::OK, "{path}: {}", got.body);
                assert!(!got.body.contains('<'), "{path}: {}", got.body);
                continue;
            }
            assert!(is_portal_page(&got), "{path}: {}", got.body);
            if path == "/" {
                // A path both have: the portal's home page (a POST: not allowed).
                let want = if post {
                    StatusCode::METHOD_NOT_ALLOWED
                } else {
                    StatusCode::OK
                };
                assert_eq!(got.status, want, "{path}");
            } else if own.contains(path.as_str()) {
                // A path both have (`/complaints`: the staff's list in the console, the
                // public's form here): the portal's own page, never the console's.
                assert_ne!(got.status, StatusCode::NOT_FOUND, "{path} (post: {post})");
            } else {
                assert_eq!(got.status, StatusCode::NOT_FOUND, "{path} (post: {post})");
                assert!(got.body.contains("页面不存在"), "{path}");
            }
            assert!(
                !got.body.contains("监测总览") && !got.body.contains("登录"),
                "{path}"
            );
        }
    }
    // The console's stylesheet is not the portal's.
    assert_eq!(get(&portal, "/static/style.css").await.status, 404);
    let css = get(&portal, "/static/portal.css").await;
    assert_eq!(css.status, 200);
    assert!(css.body.contains(":focus-visible"));
}

#[tokio::test]
async fn pages_are_chinese_first_with_english() {
    let fx = fixture().await;
    let portal = web::portal_router(state(&fx, GuardSettings::default()));
    let zh = get(&portal, "/").await;
    assert_eq!(zh.status, 200);
    assert!(zh.body.contains(r#"<html lang="zh-CN">"#));
    assert!(zh.body.contains(r##"<a class="skip" href="#main">"##));
    assert!(
        zh.body.contains(r#"href="/?lang=en""#),
        "the switch: {}",
        zh.body
    );
    assert!(zh.body.contains(r#"href="/lookup""#));
    for link in [
        "/badge",
        "/complaints",
        "/notices",
        "/commitments",
        "/model-sites",
    ] {
        assert!(zh.body.contains(&format!(r#"href="{link}""#)), "{link}");
    }
    let en = get(&portal, "/lookup?q=%E6%9C%80%E4%BD%B3&lang=en").await;
    assert!(en.body.contains(r#"<html lang="en">"#));
    assert!(en.body.contains("Credit query"));
    // Links keep the language; the switch keeps the query.
    assert!(en.body.contains(r#"href="/notices?lang=en""#));
    assert!(
        en.body.contains(r#"href="/lookup?q=%E6%9C%80%E4%BD%B3""#),
        "{}",
        en.body
    );
    let missing = get(&portal, "/nowhere?lang=en").await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("Page not found"));
    // The language switch never links off the site.
    let sneaky = get(&portal, "//evil.example/x").await;
    assert!(
        sneaky.body.contains(r#"class="switch" href="/?lang=en""#),
        "{}",
        sneaky.body
    );
}

/// The number a question in English words asks for.
fn answer(question: &str) -> i64 {
    let words = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    let q = question
        .trim_start_matches("What is ")
        .split('?')
        .next()
        .unwrap();
    let parts: Vec<&str> = q.split(' ').collect();
    let n = |w: &str| words.iter().position(|x| *x == w).unwrap() as i64;
    match parts[..] {
        [a, "plus", b] => n(a) + n(b),
        [a, "minus", b] => n(a) - n(b),
        _ => panic!("{question}"),
    }
}

#[derive(Debug, serde::Deserialize)]
struct Message {
    #[serde(default)]
    text: String,
}

/// A public form that keeps what it accepts.
fn form_router(portal: Arc<Portal>, kept: Arc<Mutex<Vec<String>>>) -> Router {
    Router::new()
        .route(
            "/form",
            post(move |lang: Lang, PublicForm(form): PublicForm<Message>| {
                let kept = kept.clone();
                async move {
                    match form {
                        Ok(m) => {
                            kept.lock().unwrap().push(m.text);
                            (StatusCode::OK, "accepted".to_string())
                        }
                        Err(refused) => (refused.reason.status(), refused.reason.words(lang)),
                    }
                }
            }),
        )
        .with_state(portal)
}

async fn submit(
    router: &Router,
    peer: &str,
    fields: &[(&str, &str)],
    site: &str,
    lang: &str,
) -> Got {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", web::encode_form_value(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut req = Request::post(format!("/form?lang={lang}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", site)
        .body(Body::from(body))
        .unwrap();
    let peer: SocketAddr = peer.parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(peer));
    send(router, req).await
}

/// A form filled in right (the question read as a person would).
fn filled(portal: &Portal, text: &'static str) -> (String, String, &'static str) {
    let c = portal.challenge();
    let a = answer(c.question(Lang::En)).to_string();
    (c.token, a, text)
}

#[tokio::test]
async fn public_forms_pass_the_guard_before_anything_is_kept() {
    let fx = fixture().await;
    let kept = Arc::new(Mutex::new(Vec::new()));
    let guard = GuardSettings {
        min_fill: Duration::ZERO,
        burst: 100,
        form_limit: 1024,
        ..GuardSettings::default()
    };
    let portal = Portal::new(state(&fx, guard));
    let router = form_router(portal.clone(), kept.clone());
    let peer = "192.0.2.1:5000";
    let post = |fields: Vec<(&'static str, String)>, site: &'static str, lang: &'static str| {
        let router = router.clone();
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            submit(&router, peer, &fields, site, lang).await
        }
    };
    let form = |(token, answer, text): (String, String, &'static str)| {
        vec![
            ("challenge", token),
            ("answer", answer),
            ("website", String::new()),
            ("text", text.to_string()),
        ]
    };

    // Right: accepted once; the same token again is refused.
    let right = filled(&portal, "第一条");
    let ok = post(form(right.clone()), "same-origin", "zh").await;
    assert_eq!((ok.status, ok.body.as_str()), (StatusCode::OK, "accepted"));
    let again = post(form(right), "same-origin", "zh").await;
    assert_eq!(again.status, 400);
    assert!(again.body.contains("已提交过"), "{}", again.body);

    // A wrong answer, in both languages.
    let (token, answer, text) = filled(&portal, "错的");
    let wrong = (
        token,
        (answer.parse::<i64>().unwrap() + 1).to_string(),
        text,
    );
    let got = post(form(wrong), "same-origin", "en").await;
    assert_eq!(got.status, 400);
    assert!(
        got.body.contains("answer to the check question is wrong"),
        "{}",
        got.body
    );

    // The honeypot filled.
    let mut bot = form(filled(&portal, "机器人"));
    bot[2].1 = "http://spam.example".into();
    let got = post(bot, "same-origin", "zh").await;
    assert_eq!(got.status, 400);
    assert!(got.body.contains("请勿填写"), "{}", got.body);

    // A forged token, and one of an earlier process (another key).
    let other = Portal::new(state(&fx, guard));
    let got = post(form(filled(&other, "旧表单")), "same-origin", "zh").await;
    assert_eq!(got.status, 400);
    assert!(got.body.contains("验证题已失效"), "{}", got.body);

    // Posted from another site.
    let got = post(form(filled(&portal, "跨站")), "cross-site", "zh").await;
    assert_eq!(got.status, 403);
    assert!(got.body.contains("其他网站"), "{}", got.body);

    // Over the size limit.
    let mut big = form(filled(&portal, "大"));
    big[3].1 = "很".repeat(1000);
    let got = post(big, "same-origin", "zh").await;
    assert_eq!(got.status, 413);
    assert!(got.body.contains("过大"), "{}", got.body);

    assert_eq!(*kept.lock().unwrap(), ["第一条"]);
}

#[tokio::test]
async fn a_form_sent_too_fast_or_too_late_is_refused() {
    let fx = fixture().await;
    let kept = Arc::new(Mutex::new(Vec::new()));
    let slow = Portal::new(state(
        &fx,
        GuardSettings {
            min_fill: Duration::from_secs(3600),
            ..GuardSettings::default()
        },
    ));
    let (token, answer, _) = filled(&slow, "");
    let router = form_router(slow.clone(), kept.clone());
    let fields = [
        ("challenge", token.as_str()),
        ("answer", answer.as_str()),
        ("text", "太快"),
    ];
    let got = submit(&router, "192.0.2.1:1", &fields, "same-origin", "zh").await;
    assert_eq!(got.status, 400);
    assert!(got.body.contains("提交过快"), "{}", got.body);

    let short = Portal::new(state(
        &fx,
        GuardSettings {
            min_fill: Duration::ZERO,
            challenge_ttl: Duration::from_millis(200),
            ..GuardSettings::default()
        },
    ));
    let (token, answer, _) = filled(&short, "");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let router = form_router(short.clone(), kept.clone());
    let fields = [
        ("challenge", token.as_str()),
        ("answer", answer.as_str()),
        ("text", "太迟"),
    ];
    let got = submit(&router, "192.0.2.1:1", &fields, "same-origin", "en").await;
    assert_eq!(got.status, 400);
    assert!(got.body.contains("has expired"), "{}", got.body);
    assert!(kept.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_rate_limit_is_per_client_address() {
    let fx = fixture().await;
    let kept = Arc::new(Mutex::new(Vec::new()));
    let portal = Portal::new(state(
        &fx,
        GuardSettings {
            min_fill: Duration::ZERO,
            burst: 2,
            per_minute: 1,
            ..GuardSettings::default()
        },
    ));
    let router = form_router(portal.clone(), kept.clone());
    let mut statuses = Vec::new();
    for peer in ["192.0.2.7:1", "192.0.2.7:2", "192.0.2.7:3", "192.0.2.8:1"] {
        let (token, answer, _) = filled(&portal, "");
        let fields = [
            ("challenge", token.as_str()),
            ("answer", answer.as_str()),
            ("text", peer),
        ];
        let got = submit(&router, peer, &fields, "same-origin", "zh").await;
        if got.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(got.body.contains("提交过于频繁"), "{}", got.body);
        }
        statuses.push(got.status.as_u16());
    }
    assert_eq!(statuses, [200, 200, 429, 200]);
    assert_eq!(kept.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn notices_are_published_and_withdrawn_from_the_console() {
    let fx = fixture().await;
    let portal = web::portal_router(state(&fx, GuardSettings::default()));
    let got = post_form(
        &fx.router,
        "/portal/notices",
        &[
            ("csrf", &fx.csrf),
            ("title", "关于<script>的公告"),
            ("body", "第一段<script>alert(1)</script>\n\n第二段"),
        ],
    )
    .await;
    assert_eq!(got.status, 303, "{}", got.body);
    let store = &fx.state.store;
    let notice = store.notices(true, 0, 0).await.unwrap().remove(0);
    let audit = store
        .audit_of(&format!("notice:{}", notice.id))
        .await
        .unwrap();
    assert_eq!(audit[0].action, "publish");

    let list = get(&portal, "/notices").await;
    assert!(list
        .body
        .contains(&format!(r#"href="/notices/{}""#, notice.id)));
    let page = get(&portal, &format!("/notices/{}", notice.id)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<p>第二段</p>"), "{}", page.body);
    assert!(!page.body.contains("<script>"), "{}", page.body);
    assert!(page.body.contains(crate::ESCAPED_SCRIPT));

    // An inspector may not withdraw it; a supervisor does, with a reason.
    let (inspector, csrf) = logged_in(&fx.state, "qx", Role::Inspector, &["450103"]).await;
    let id = notice.id.to_string();
    let refused = post_form(
        &inspector,
        "/portal/notices/withdraw",
        &[("csrf", &csrf), ("notice", &id), ("reason", "x")],
    )
    .await;
    assert_eq!(refused.status, 403);
    let no_reason = post_form(
        &fx.router,
        "/portal/notices/withdraw",
        &[("csrf", &fx.csrf), ("notice", &id)],
    )
    .await;
    assert_eq!(no_reason.status, 400);
    assert!(no_reason.body.contains("请填写撤回理由"));
    let done = post_form(
        &fx.router,
        "/portal/notices/withdraw",
        &[("csrf", &fx.csrf), ("notice", &id), ("reason", "内容有误")],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let audit = store.audit_of(&format!("notice:{id}")).await.unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[1].action, "withdraw");

    let gone = get(&portal, &format!("/notices/{id}")).await;
    assert_eq!(gone.status, 410);
    assert!(gone.body.contains("已由发布机关撤回"), "{}", gone.body);
    let gone_en = get(&portal, &format!("/notices/{id}?lang=en")).await;
    assert!(gone_en.body.contains("has been withdrawn"));
    assert!(!get(&portal, "/notices").await.body.contains("关于"));
    assert_eq!(get(&portal, "/notices/999").await.status, 404);
    assert_eq!(get(&portal, "/notices/abc").await.status, 404);

    let console = get(&fx.router, "/portal/notices").await;
    assert!(console.body.contains("内容有误"));
}

#[tokio::test]
async fn visits_are_counted_per_route_pattern_and_day() {
    let fx = fixture().await;
    let portal = Portal::new(state(&fx, GuardSettings::default()));
    let router = web::portal::router(portal.clone());
    for path in [
        "/",
        "/?lang=en",
        "/notices/17",
        "/notices/18",
        "/nowhere/at/all",
        "/static/portal.css",
    ] {
        get(&router, path).await;
    }
    portal.flush_visits().await.unwrap();
    let today = web::portal::visits::beijing_today();
    let stored: Vec<(String, i64)> = fx
        .state
        .store
        .portal_visits(today)
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.page, v.count))
        .collect();
    assert_eq!(
        stored,
        [
            ("(404)".to_string(), 1),
            ("/".to_string(), 2),
            ("/notices/{id}".to_string(), 2)
        ]
    );
    // A second write adds up.
    get(&router, "/").await;
    portal.flush_visits().await.unwrap();
    let root = fx.state.store.portal_visits(today).await.unwrap();
    assert!(root.iter().any(|v| v.page == "/" && v.count == 3));
    // The dashboard shows them.
    let dash = get(&fx.router, "/").await;
    assert!(dash.body.contains("公众门户访问量"));
    assert!(dash.body.contains("/notices/{id}"));
}

#[tokio::test]
async fn the_credit_query_shows_public_facts_only() {
    let fx = fixture().await;
    let portal = web::portal_router(state(&fx, GuardSettings::default()));
    let entity = fx
        .state
        .store
        .site(store::Scope::City, fx.shop)
        .await
        .unwrap()
        .unwrap()
        .entity_id
        .unwrap();
    let uscc = fx
        .state
        .store
        .entity(store::Scope::City, entity)
        .await
        .unwrap()
        .unwrap()
        .input
        .uscc;
    let by_name = get(&portal, "/lookup?q=%E6%9C%80%E4%BD%B3").await;
    assert_eq!(by_name.status, 200);
    assert!(by_name.body.contains("南宁最佳商贸有限公司"));
    assert!(by_name.body.contains(&format!("/lookup/{uscc}")));
    assert!(!by_name.body.contains("江南娱乐"));
    let by_code = get(&portal, &format!("/lookup?q={uscc}")).await;
    assert!(by_code.body.contains("南宁最佳商贸有限公司"));
    let nothing = get(&portal, "/lookup?q=%25").await;
    assert!(nothing.body.contains("没有找到"));

    let page = get(&portal, &format!("/lookup/{uscc}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("南宁最佳商贸有限公司"));
    assert!(page.body.contains("尚未评定"));
    assert!(page.body.contains("公示期内没有行政处罚信息"));
    // Nothing of the monitoring: no finding, site, clue or evidence.
    for secret in [
        "ad.absolute_term",
        "shop.example",
        "线索",
        "证据",
        "/evidence/",
    ] {
        assert!(!page.body.contains(secret), "{secret}: {}", page.body);
    }
    assert_eq!(get(&portal, "/lookup/91450100XXXXXXXXXX").await.status, 404);
    assert_eq!(get(&portal, "/commitments").await.status, 200);
    assert_eq!(get(&portal, "/model-sites").await.status, 200);
}

#[tokio::test]
async fn only_a_class_a_entity_s_site_becomes_a_model_site() {
    let fx = fixture().await;
    let site = fx.shop.to_string();
    // The shop's entity was never scored: refused, nothing stored.
    let got = post_form(
        &fx.router,
        "/portal/model-sites",
        &[("csrf", &fx.csrf), ("site", &site), ("note", "首批")],
    )
    .await;
    assert_eq!(got.status, 409, "{}", got.body);
    assert!(got.body.contains("只有 A 级"), "{}", got.body);
    assert!(fx
        .state
        .store
        .model_sites(store::Scope::City)
        .await
        .unwrap()
        .is_empty());
    // Another district's inspector cannot name the casino's site.
    let (inspector, csrf) = logged_in(&fx.state, "qx", Role::Inspector, &["450103"]).await;
    let got = post_form(
        &inspector,
        "/portal/model-sites/remove",
        &[("csrf", &csrf), ("site", &fx.casino.to_string())],
    )
    .await;
    assert_eq!(got.status, 403);
    let got = post_form(
        &fx.router,
        "/portal/model-sites/remove",
        &[("csrf", &fx.csrf), ("site", &site)],
    )
    .await;
    assert_eq!(got.status, 404);
    let portal = web::portal_router(state(&fx, GuardSettings::default()));
    assert!(get(&portal, "/model-sites")
        .await
        .body
        .contains("暂无示范网店"));
}
