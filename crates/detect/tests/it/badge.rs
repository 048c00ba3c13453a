//! The wangjian badge check: an enrolled site's homepage with its own valid badge is valid
//! (and its link counts as a license badge, not a foreign one); missing, copied to another
//! domain, forged, suspended, revoked or unknown is `badge.invalid` with the reason first in
//! the excerpt; a page that is not enrolled is checked only for the badge links it shows.

use crate::detector;
use chrono::{TimeZone, Utc};
use detect::{BadgeBook, PageContext, RegisterView};
use domain::badge::{self as token, Payload, SigningKey};
use domain::{BadgeSerial, BadgeState, BadgeVerdict, Category};

fn key() -> SigningKey {
    SigningKey::from_bytes(&[5; 32])
}

fn book(states: &[(i64, BadgeState)]) -> BadgeBook {
    BadgeBook {
        key: key().verifying_key(),
        portal_host: "portal.example".into(),
        states: states
            .iter()
            .map(|(s, st)| (BadgeSerial(*s), *st))
            .collect(),
        enrolled: states
            .iter()
            .any(|(_, s)| matches!(s, BadgeState::Issued | BadgeState::Suspended))
            .then(|| ("shop.example".to_string(), BadgeSerial(1)))
            .into_iter()
            .collect(),
        held: [("shop.example".to_string(), BadgeSerial(1))].into(),
    }
}

fn link(serial: i64, domain: &str, signer: &SigningKey) -> String {
    let p = Payload::new(
        BadgeSerial(serial),
        "91450103MA5KXXXX0X",
        domain,
        Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
    );
    format!(
        "<a href=\"https://portal.example/badge/verify?token={}\"><img src=\"https://portal.example/badge/WJB{serial:08}.svg\" alt=\"亮照 电子标识\"></a>",
        token::sign(&p, signer)
    )
}

fn page(body: &str) -> String {
    format!(
        "<html><body><p>南宁市亮照商行 统一社会信用代码：91450103MA5KXXXX0X 桂ICP备2017001234号-1</p>{body}</body></html>"
    )
}

/// The badge findings' excerpts and the page's recorded verdict.
fn scan(
    url: &str,
    home: bool,
    html: &str,
    book: &BadgeBook,
) -> (Vec<String>, Option<BadgeVerdict>) {
    let ctx = PageContext {
        url,
        is_site_home: home,
        site_kind: None,
        register: RegisterView::NotLoaded,
        badges: Some(book),
    };
    let (found, facts) = detector().scan_html_with_facts(html, &ctx);
    let badge: Vec<String> = found
        .iter()
        .filter(|d| d.category == Category::BadgeInvalid)
        .map(|d| d.excerpt.clone())
        .collect();
    assert!(
        facts.outbound.iter().all(|o| o.host != "portal.example"),
        "the portal is not discovered"
    );
    (badge, facts.badge)
}

#[test]
fn valid_missing_and_copied_badges() {
    let b = book(&[(1, BadgeState::Issued)]);
    let own = link(1, "shop.example", &key());

    let (found, verdict) = scan("http://www.shop.example/", true, &page(&own), &b);
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(verdict, Some(BadgeVerdict::Valid));

    let (found, verdict) = scan("http://shop.example/", true, &page(""), &b);
    assert_eq!(found, vec!["missing".to_string()]);
    assert_eq!(verdict, Some(BadgeVerdict::Missing));

    // Another page of the enrolled site owes nothing.
    let (found, verdict) = scan("http://shop.example/about", false, &page(""), &b);
    assert!(found.is_empty() && verdict.is_none());

    // Copied onto a site it is not bound to (not enrolled): badge.invalid, no verdict recorded.
    let (found, verdict) = scan("http://copy.example/", true, &page(&own), &b);
    assert_eq!(found.len(), 1);
    assert!(found[0].starts_with("other_domain https://portal.example/badge/verify?token="));
    assert_eq!(verdict, None);
}

#[test]
fn forged_suspended_revoked_unknown() {
    let forged = link(1, "shop.example", &SigningKey::from_bytes(&[6; 32]));
    let b = book(&[(1, BadgeState::Issued)]);
    let (found, verdict) = scan("http://shop.example/", true, &page(&forged), &b);
    assert!(found[0].starts_with("bad_signature "), "{found:?}");
    assert_eq!(verdict, Some(BadgeVerdict::BadSignature));

    let own = link(1, "shop.example", &key());
    for (state, want) in [
        (BadgeState::Suspended, BadgeVerdict::Suspended),
        (BadgeState::Revoked, BadgeVerdict::Revoked),
    ] {
        let (found, verdict) = scan(
            "http://shop.example/",
            true,
            &page(&own),
            &book(&[(1, state)]),
        );
        assert!(found[0].starts_with(want.code()), "{found:?}");
        assert_eq!(verdict, Some(want));
    }
    let (found, _) = scan("http://shop.example/", true, &page(&own), &book(&[]));
    assert!(found[0].starts_with("unknown_serial "), "{found:?}");
}

#[test]
fn without_badges_loaded_nothing_changes() {
    let own = link(1, "shop.example", &key());
    let ctx = PageContext {
        is_site_home: true,
        ..PageContext::new("http://copy.example/")
    };
    let (found, facts) = detector().scan_html_with_facts(&page(&own), &ctx);
    assert_eq!(facts.badge, None);
    // Without the portal's host known, a 亮照 link to an unknown host is the old check's
    // foreign badge.
    assert!(found.iter().any(
        |d| d.category == Category::BadgeInvalid && d.rule_id == "structure.badge-invalid-001"
    ));
}
