//! Applications and proofs: the well-known file over a simweb site (its bare domain redirects
//! to `www.`), a DNS TXT record against a local hickory-server, bad input refused with nothing
//! stored, a failed proof issuing nothing; issue, the signed token, the snippet and the
//! verification page's content.

use crate::{cli, now, Db};
use badge::{Application, BadgeError, BadgeSettings, VerifyBy, VerifyProblem};
use domain::badge::{self as token, SigningKey};
use domain::{BadgeState, BadgeVerdict, ProofMethod, ProofResult, SiteAddressProblem};
use hickory_server::authority::{Catalog, ZoneType};
use hickory_server::proto::rr::rdata::{SOA, TXT};
use hickory_server::proto::rr::{LowerName, Name, RData, Record};
use hickory_server::store::in_memory::InMemoryAuthority;
use hickory_server::ServerFuture;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use store::{BadgeFilter, Scope};

fn settings(resolve: Option<SocketAddr>, name_servers: Vec<SocketAddr>) -> BadgeSettings {
    let mut crawl = crawl::CrawlConfig {
        delay_per_host: std::time::Duration::ZERO,
        ..Default::default()
    };
    if let Some(addr) = resolve {
        crawl.resolve.parse_entry(&format!("*:80:{addr}")).unwrap();
    }
    BadgeSettings {
        public_url: "https://portal.wangjian.test".into(),
        name_servers,
        crawl: Arc::new(crawl),
    }
}

fn key() -> SigningKey {
    SigningKey::from_bytes(&[9; 32])
}

async fn well_known_proof_then_issue(db: Db) {
    let overlay = tempfile::tempdir().unwrap();
    let world = simweb::World::generate(&simweb::GenParams { sites: 12, seed: 4 })
        .with_overlay(overlay.path());
    let www = world
        .hosts()
        .into_iter()
        .find(|h| h.starts_with("www.") && world.response(h, "/").is_some_and(|r| r.status == 200))
        .expect("a site served on www.");
    let domain = www.trim_start_matches("www.").to_string();
    let running = simweb::start(Arc::new(world), ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let settings = settings(Some(running.addr), Vec::new());
    let entity = db.entity("MA6KBW01", "南宁市亮照商行", &domain).await;
    let store = &*db.store;

    let app = badge::apply(
        store,
        &Application {
            uscc: entity.input.uscc.clone(),
            domain: format!("https://{www}/"),
            contact: "张三 13800000000".into(),
            method: Some(ProofMethod::WellKnown),
        },
        &cli(),
    )
    .await
    .unwrap();
    assert_eq!(app.domain, domain, "the site key: www. dropped");
    assert_eq!(app.state, BadgeState::Applied);

    // Nothing published yet: not found, stored on the application, nothing issued.
    let failed = badge::prove(store, &settings, app.serial, &cli())
        .await
        .unwrap();
    assert_eq!(failed.state, BadgeState::Applied);
    assert_eq!(failed.proof_result, Some(ProofResult::NotFound));
    assert!(matches!(
        badge::issue(store, &key(), Scope::City, None, app.serial, now(), &cli()).await,
        Err(BadgeError::State(_))
    ));
    // The wrong content.
    let dir = overlay.path().join(&www).join(".well-known/wangjian-badge");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&app.proof_token), "something else").unwrap();
    let wrong = badge::prove(store, &settings, app.serial, &cli())
        .await
        .unwrap();
    assert_eq!(wrong.proof_result, Some(ProofResult::WrongContent));
    assert_eq!(wrong.state, BadgeState::Applied);

    // The token, served over the site (the bare domain redirects to www.).
    std::fs::write(dir.join(&app.proof_token), format!("{}\n", app.proof_token)).unwrap();
    let proven = badge::prove(store, &settings, app.serial, &cli())
        .await
        .unwrap();
    assert_eq!(proven.proof_result, Some(ProofResult::Proven));
    assert_eq!(proven.state, BadgeState::Proven);

    // An inspector may not issue; a supervisor may.
    assert!(matches!(
        badge::issue(
            store,
            &key(),
            Scope::City,
            Some(domain::Role::Inspector),
            app.serial,
            now(),
            &cli()
        )
        .await,
        Err(BadgeError::NotPermitted)
    ));
    let issued = badge::issue(
        store,
        &key(),
        Scope::City,
        Some(domain::Role::Supervisor),
        app.serial,
        now(),
        &cli(),
    )
    .await
    .unwrap();
    assert_eq!(issued.state, BadgeState::Issued);
    let payload = token::verify(issued.token.as_deref().unwrap(), &key().verifying_key()).unwrap();
    assert_eq!(payload.serial, app.serial);
    assert_eq!(payload.uscc, entity.input.uscc);
    assert!(payload.bound_to(&www) && payload.bound_to(&domain));

    let snippet = badge::snippet(&settings, &issued).unwrap();
    assert!(snippet
        .verify_url
        .starts_with("https://portal.wangjian.test/badge/verify?token="));
    assert_eq!(
        snippet.image_url,
        format!("https://portal.wangjian.test/badge/{}.svg", app.serial)
    );
    assert!(
        snippet.html.contains(&snippet.verify_url) && snippet.html.contains(&snippet.image_url)
    );

    let v = badge::verification(
        store,
        &key().verifying_key(),
        &VerifyBy::Token(issued.token.clone().unwrap()),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(v.entity_name, "南宁市亮照商行");
    assert_eq!(v.verdict, BadgeVerdict::Valid);
    assert_eq!(v.domain, domain);
    let by_serial =
        badge::verification(store, &key().verifying_key(), &VerifyBy::Serial(app.serial))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(by_serial, v);
    // Another key's token is not a badge of ours.
    let forged = token::sign(&payload, &SigningKey::from_bytes(&[1; 32]));
    assert_eq!(
        badge::verification(store, &key().verifying_key(), &VerifyBy::Token(forged))
            .await
            .unwrap(),
        Err(VerifyProblem::Token(domain::TokenProblem::BadSignature))
    );

    // Revoked: the verification says so.
    badge::revoke(store, Scope::City, None, app.serial, "", &cli())
        .await
        .expect_err("a reason is required");
    badge::revoke(store, Scope::City, None, app.serial, "冒用", &cli())
        .await
        .unwrap();
    let v = badge::verification(store, &key().verifying_key(), &VerifyBy::Serial(app.serial))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.verdict, BadgeVerdict::Revoked);
    running.shutdown().await;
}

async fn bad_applications_store_nothing(db: Db) {
    let entity = db.entity("MA6KBW02", "南宁市某商行", "bad.example").await;
    let store = &*db.store;
    let app = |uscc: &str, domain: &str, contact: &str| Application {
        uscc: uscc.into(),
        domain: domain.into(),
        contact: contact.into(),
        method: None,
    };
    let uscc = entity.input.uscc.clone();
    let unregistered = domain::Uscc::complete("91450103", "MA6KBW99")
        .unwrap()
        .to_string();
    for (a, want) in [
        (app("91450103MA5K00000X", "bad.example", "x"), "uscc"),
        (app(&unregistered, "bad.example", "x"), "unregistered"),
        (app(&uscc, "bad.example/shop/1", "x"), "path"),
        (app(&uscc, "bad_example", "x"), "domain"),
        (app(&uscc, "bad.example", "  "), "contact"),
    ] {
        let e = badge::apply(store, &a, &cli()).await.unwrap_err();
        let ok = match want {
            "uscc" => matches!(e, BadgeError::BadUscc(_)),
            "unregistered" => matches!(e, BadgeError::NotRegistered),
            "path" => matches!(e, BadgeError::DomainPath),
            "domain" => matches!(
                e,
                BadgeError::BadDomain(
                    SiteAddressProblem::NotQualified | SiteAddressProblem::Label(_)
                )
            ),
            _ => matches!(e, BadgeError::BadContact),
        };
        assert!(ok, "{want}: {e:?}");
    }
    assert_eq!(
        store
            .count_badges(Scope::City, &BadgeFilter::default())
            .await
            .unwrap(),
        0
    );
    // A domain nobody serves: unreachable (the address policy refuses private addresses and
    // this name does not resolve), nothing issued.
    let a = badge::apply(store, &app(&uscc, "bad.example", "李四"), &cli())
        .await
        .unwrap();
    let tried = badge::prove(store, &settings(None, Vec::new()), a.serial, &cli())
        .await
        .unwrap();
    assert_eq!(tried.proof_result, Some(ProofResult::Unreachable));
    assert_eq!(tried.state, BadgeState::Applied);
    assert!(store.issued_badges().await.unwrap().is_empty());
}

/// A name server on a loopback UDP port answering for `bg.test.` with the given TXT records.
async fn name_server(txt: &[(&str, &str)]) -> (SocketAddr, ServerFuture<Catalog>) {
    let origin = Name::from_str("bg.test.").unwrap();
    let mut authority = InMemoryAuthority::empty(origin.clone(), ZoneType::Primary, false);
    authority.upsert_mut(
        Record::from_rdata(
            origin.clone(),
            60,
            RData::SOA(SOA::new(
                Name::from_str("ns.bg.test.").unwrap(),
                Name::from_str("admin.bg.test.").unwrap(),
                1,
                60,
                60,
                600,
                60,
            )),
        ),
        1,
    );
    for (name, value) in txt {
        authority.upsert_mut(
            Record::from_rdata(
                Name::from_str(name).unwrap(),
                60,
                RData::TXT(TXT::new(vec![value.to_string()])),
            ),
            1,
        );
    }
    let mut catalog = Catalog::new();
    catalog.upsert(LowerName::new(&origin), vec![Arc::new(authority)]);
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let mut server = ServerFuture::new(catalog);
    server.register_socket(socket);
    (addr, server)
}

async fn dns_txt_proof(db: Db) {
    let a = db
        .entity("MA6KBD01", "南宁市甲网店", "shop-a.bg.test")
        .await;
    let b = db
        .entity("MA6KBD02", "南宁市乙网店", "shop-b.bg.test")
        .await;
    let c = db
        .entity("MA6KBD03", "南宁市丙网店", "shop-c.bg.test")
        .await;
    let store = &*db.store;
    let mut apps = Vec::new();
    for e in [&a, &b, &c] {
        apps.push(
            badge::apply(
                store,
                &Application {
                    uscc: e.input.uscc.clone(),
                    domain: e.input.domains[0].clone(),
                    contact: "王五".into(),
                    method: Some(ProofMethod::DnsTxt),
                },
                &cli(),
            )
            .await
            .unwrap(),
        );
    }
    let (ns, mut server) = name_server(&[
        ("_wangjian-badge.shop-a.bg.test.", &apps[0].proof_token),
        ("_wangjian-badge.shop-c.bg.test.", "not the token"),
    ])
    .await;
    let settings = settings(None, vec![ns]);
    let results: Vec<_> = {
        let mut out = Vec::new();
        for app in &apps {
            out.push(
                badge::prove(store, &settings, app.serial, &cli())
                    .await
                    .unwrap(),
            );
        }
        out
    };
    assert_eq!(results[0].proof_result, Some(ProofResult::Proven));
    assert_eq!(results[0].state, BadgeState::Proven);
    assert_eq!(results[1].proof_result, Some(ProofResult::DnsNoRecord));
    assert_eq!(results[1].state, BadgeState::Applied);
    assert_eq!(results[2].proof_result, Some(ProofResult::WrongContent));
    // The domain is held now: another application for it is refused.
    let again = badge::apply(
        store,
        &Application {
            uscc: b.input.uscc.clone(),
            domain: "www.shop-a.bg.test".into(),
            contact: "x".into(),
            method: Some(ProofMethod::DnsTxt),
        },
        &cli(),
    )
    .await;
    assert!(matches!(again, Err(BadgeError::DomainHeld)), "{again:?}");
    server.shutdown_gracefully().await.unwrap();
}

crate::on_every_backend!(
    well_known_proof_then_issue,
    bad_applications_store_nothing,
    dns_txt_proof
);
