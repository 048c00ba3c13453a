//! Logging in and out, sessions, throttling, and the guards every state-changing request
//! passes: the same-origin check, the CSRF token, the body limit. Each refusal changes nothing.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use domain::Role;

use crate::{fixture, get, logged_in, post_form, send, PASSWORD};

fn login_request(username: &str, password: &str) -> Request<Body> {
    Request::post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(format!(
            "username={username}&password={}&next=%2Ffindings",
            web::encode_form_value(password)
        )))
        .unwrap()
}

#[tokio::test]
async fn without_a_session_pages_go_to_the_login_and_the_api_answers_401() {
    let fx = fixture().await;
    let anon = web::router(fx.state.clone());
    let got = get(&anon, "/findings?severity=high").await;
    assert_eq!(got.status, StatusCode::SEE_OTHER);
    assert_eq!(
        got.headers["location"],
        "/login?next=%2Ffindings%3Fseverity%3Dhigh"
    );
    let got = get(&anon, &format!("/evidence/{}", fx.fetch)).await;
    assert_eq!(got.status, StatusCode::SEE_OTHER);
    let got = get(&anon, "/api/v1/findings").await;
    assert_eq!(got.status, StatusCode::UNAUTHORIZED);
    assert_eq!(got.json()["error"], "unauthenticated");
    // What the bureau publishes stays public.
    get(&anon, "/login").await.ok();
    get(&anon, "/transparency").await.ok();
    get(&anon, "/static/style.css").await.ok();
    // A forged or stale cookie is no session.
    let got = send(
        &anon,
        Request::get("/")
            .header("cookie", "wj_session=forged")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_login_sets_a_strict_http_only_cookie_and_logout_ends_the_session() {
    let fx = fixture().await;
    let anon = web::router(fx.state.clone());
    let got = send(&anon, login_request("supervisor", PASSWORD)).await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    assert_eq!(got.headers["location"], "/findings");
    let cookie = got.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("wj_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert!(!cookie.contains("Secure"), "no TLS here: {cookie}");
    let token = cookie.split(';').next().unwrap().to_string();
    let with_cookie = |req: axum::http::request::Builder| req.header("cookie", token.clone());
    let got = send(
        &anon,
        with_cookie(Request::get("/")).body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.body.contains("退出登录"));
    // The page's CSRF token, then logout with it.
    let csrf = got
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let got = send(
        &anon,
        with_cookie(Request::post("/logout"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(format!("csrf={csrf}")))
            .unwrap(),
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER);
    assert!(got.headers["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let got = send(
        &anon,
        with_cookie(Request::get("/")).body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "the session has ended");

    // Behind a TLS-terminating proxy (or under TLS) the cookie is Secure.
    let tls = web::router(web::AppState {
        ops: web::OpsSettings::default(),
        badges: None,
        transport: web::Transport {
            trusted_proxy: Some([127, 0, 0, 1].into()),
            ..web::Transport::default()
        },
        ..fx.state.clone()
    });
    let got = send(&tls, login_request("supervisor", PASSWORD)).await;
    assert!(got.headers["set-cookie"]
        .to_str()
        .unwrap()
        .ends_with("; Secure"));
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account() {
    let fx = fixture().await;
    let anon = web::router(fx.state.clone());
    for _ in 0..4 {
        let got = send(&anon, login_request("supervisor", "wrong password!")).await;
        assert_eq!(got.status, StatusCode::UNAUTHORIZED);
        assert!(got.body.contains("用户名或密码错误"));
    }
    // An unknown name gets the same answer as a wrong password.
    let got = send(&anon, login_request("nobody", "wrong password!")).await;
    assert_eq!(got.status, StatusCode::UNAUTHORIZED);
    assert!(got.body.contains("用户名或密码错误"));
    let got = send(&anon, login_request("supervisor", "wrong password!")).await;
    assert_eq!(got.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(got.body.contains("账户已锁定"), "{}", got.body);
    // Locked: even the right password is refused, and no cookie is set.
    let got = send(&anon, login_request("supervisor", PASSWORD)).await;
    assert_eq!(got.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!got.headers.contains_key("set-cookie"));
    let user = fx
        .state
        .store
        .user_by_name("supervisor")
        .await
        .unwrap()
        .unwrap();
    assert!(user.locked_until.is_some());
}

#[tokio::test]
async fn a_disabled_user_cannot_log_in_and_loses_their_session() {
    let fx = fixture().await;
    let store = fx.state.store.as_ref();
    people::set_disabled(store, "supervisor", true, &store::Actor::system("test"))
        .await
        .unwrap();
    assert_eq!(get(&fx.router, "/").await.status, StatusCode::SEE_OTHER);
    let anon = web::router(fx.state.clone());
    let got = send(&anon, login_request("supervisor", PASSWORD)).await;
    assert_eq!(got.status, StatusCode::FORBIDDEN);
    assert!(got.body.contains("已停用"));
}

#[tokio::test]
async fn forms_need_their_token_the_same_origin_and_a_sane_size() {
    let fx = fixture().await;
    let finding = fx
        .state
        .store
        .list_findings(store::Scope::City, &store::FindingFilter::default())
        .await
        .unwrap()[0]
        .id;
    let uri = format!("/findings/{finding}/triage");
    // No token, a stale token (another session's), a forged one: 403, nothing changes.
    let (_, other_csrf) = logged_in(&fx.state, "other", Role::Supervisor, &[]).await;
    for csrf in ["", other_csrf.as_str(), "forged"] {
        let got = post_form(
            &fx.router,
            &uri,
            &[("csrf", csrf), ("decision", "confirmed")],
        )
        .await;
        assert_eq!(got.status, StatusCode::FORBIDDEN, "{csrf:?}");
        assert!(got.body.contains("CSRF"), "{}", got.body);
    }
    // Another site's page posting with the right token: refused by the origin check.
    for (name, value) in [
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let got = send(
            &fx.router,
            Request::post(&uri)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("host", "127.0.0.1:8080")
                .header(name, value)
                .body(Body::from(format!("csrf={}&decision=confirmed", fx.csrf)))
                .unwrap(),
        )
        .await;
        assert_eq!(got.status, StatusCode::FORBIDDEN, "{name}");
        assert!(got.body.contains("其他网站"), "{}", got.body);
    }
    // An oversized form.
    let big = "x".repeat(100 * 1024);
    let got = post_form(
        &fx.router,
        &uri,
        &[
            ("csrf", &fx.csrf),
            ("decision", "dismissed"),
            ("reason", &big),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::PAYLOAD_TOO_LARGE);
    let f = fx
        .state
        .store
        .finding(store::Scope::City, finding)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f.triage, domain::Triage::Open, "nothing changed");
    assert!(fx
        .state
        .store
        .audit_of(&format!("finding:{finding}"))
        .await
        .unwrap()
        .is_empty());
    // The same origin (by Origin header) with the token goes through.
    let got = send(
        &fx.router,
        Request::post(&uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("host", "127.0.0.1:8080")
            .header("origin", "http://127.0.0.1:8080")
            .body(Body::from(format!("csrf={}&decision=confirmed", fx.csrf)))
            .unwrap(),
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
}

#[tokio::test]
async fn an_api_token_acts_as_its_user_without_a_cookie() {
    let fx = fixture().await;
    let store = fx.state.store.as_ref();
    let spec = people::UserSpec {
        username: "reports".into(),
        display_name: String::new(),
        role: Role::Inspector,
        districts: vec![domain::DistrictCode::parse("450105").unwrap()],
        entities: vec![],
    };
    let by = store::Actor::system("test");
    let user = people::add_user(store, &spec, PASSWORD, &by).await.unwrap();
    let (token, _) = people::create_api_token(store, user.id, "报表", &by)
        .await
        .unwrap();
    let anon = web::router(fx.state.clone());
    let got = send(
        &anon,
        Request::get("/api/v1/findings")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .ok();
    let body = got.json();
    let items = body["findings"]
        .as_array()
        .or(body["items"].as_array())
        .unwrap();
    assert!(!items.is_empty());
    assert!(
        items.iter().all(|f| f["district"] == "450105"),
        "only the token user's district: {body}"
    );
    let got = send(
        &anon,
        Request::get("/api/v1/findings")
            .header("authorization", "Bearer wj_revoked-or-made-up")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(got.status, StatusCode::UNAUTHORIZED);
}
