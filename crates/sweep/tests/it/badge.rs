//! The badge check in a sweep: an enrolled simweb site showing its own badge is recorded
//! valid; a site that copied it shows `badge.invalid` (bound to another domain); once the badge
//! is revoked the enrolled site's unchanged homepage is checked again and is `badge.invalid`.

use crate::support::Fixture;
use chrono::{TimeZone, Utc};
use domain::badge::{self as token, Payload, SigningKey};
use domain::{BadgeState, BadgeVerdict, Category, ProofMethod, ProofResult};
use std::sync::Arc;
use store::{Actor, BadgeChange, FindingFilter, NewBadge, Scope};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_checks_badges_on_enrolled_and_copying_sites() {
    let overlay = tempfile::tempdir().unwrap();
    let world = simweb::World::generate(&simweb::GenParams {
        sites: 16,
        seed: 11,
    })
    .with_overlay(overlay.path());
    let fx = Fixture::with_world(world).await;
    let served: Vec<store::Site> = fx
        .all_sites()
        .await
        .into_iter()
        .filter(|s| {
            s.entity_id.is_some()
                && s.path_prefix.is_empty()
                && fx
                    .world
                    .response(&s.host, "/")
                    .is_some_and(|r| r.status == 200 && r.content_type.contains("utf-8"))
        })
        .collect();
    let (a, b) = (&served[0], &served[1]);
    let sys = Actor::system("cli:test");
    let domain = domain::address::bare_host(&a.host).to_string();
    let entity = fx
        .store
        .entity(Scope::City, a.entity_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    let applied = fx
        .store
        .add_badge(
            Scope::City,
            &NewBadge {
                entity_id: entity.id,
                domain: domain.clone(),
                contact: "x".into(),
                method: ProofMethod::WellKnown,
                tracking: "t".into(),
                proof_token: "p".into(),
            },
            &sys,
        )
        .await
        .unwrap();
    fx.store
        .record_badge_proof(applied.serial, ProofResult::Proven, None, &sys)
        .await
        .unwrap();
    let key = SigningKey::from_bytes(&[8; 32]);
    let payload = Payload::new(
        applied.serial,
        &entity.input.uscc,
        &domain,
        Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
    );
    let signed = token::sign(&payload, &key);
    fx.store
        .change_badge(
            Scope::City,
            applied.serial,
            BadgeState::Proven,
            &BadgeChange::Issue {
                token: signed.clone(),
                issued_at: payload.issued_at,
            },
            &sys,
        )
        .await
        .unwrap();
    let snippet = format!(
        "<a href=\"https://portal.wangjian.test/badge/verify?token={signed}\"><img src=\"https://portal.wangjian.test/badge/{}.svg\" alt=\"亮照\"></a>",
        applied.serial
    );
    // The merchant shows it; another site copied it.
    for host in [&a.host, &b.host] {
        std::fs::write(overlay.path().join(format!("{host}.home.html")), &snippet).unwrap();
    }

    let mut config = fx.config();
    config.badges = Some(sweep::BadgeCheckConfig {
        key: key.verifying_key(),
        portal_host: "portal.wangjian.test".into(),
    });
    let detector = Arc::new(detect::Detector::builtin());
    let first = sweep::run_sweep(fx.store.clone(), detector.clone(), config.clone())
        .await
        .unwrap();
    let badge_findings = |site: domain::SiteId, sweep: domain::SweepId| {
        let store = fx.store.clone();
        async move {
            store
                .list_findings(
                    Scope::City,
                    &FindingFilter {
                        category: Some(Category::BadgeInvalid),
                        site_id: Some(site),
                        limit: 100,
                        ..Default::default()
                    },
                )
                .await
                .unwrap()
                .into_iter()
                .filter(|f| {
                    f.finding.sweep_id == sweep
                        && f.finding.rule_id == "structure.badge-invalid-002"
                })
                .map(|f| f.finding.excerpt)
                .collect::<Vec<_>>()
        }
    };
    let checked = fx
        .store
        .badge(Scope::City, applied.serial)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(checked.check_verdict, Some(BadgeVerdict::Valid));
    assert!(checked.checked_at.is_some());
    assert!(badge_findings(a.id, first.sweep_id).await.is_empty());
    let copied = badge_findings(b.id, first.sweep_id).await;
    assert_eq!(copied.len(), 1, "{copied:?}");
    assert!(copied[0].starts_with("other_domain "), "{copied:?}");

    // Revoked: the next sweep finds the (unchanged) homepage's badge revoked.
    fx.store
        .change_badge(
            Scope::City,
            applied.serial,
            BadgeState::Issued,
            &BadgeChange::Revoke {
                cause: domain::BadgeCause::Staff,
                note: "冒用".into(),
            },
            &sys,
        )
        .await
        .unwrap();
    let second = sweep::run_sweep(fx.store.clone(), detector, config)
        .await
        .unwrap();
    let revoked = badge_findings(a.id, second.sweep_id).await;
    assert_eq!(revoked.len(), 1, "{revoked:?}");
    assert!(revoked[0].starts_with("revoked "), "{revoked:?}");
    let checked = fx
        .store
        .badge(Scope::City, applied.serial)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(checked.check_verdict, Some(BadgeVerdict::Revoked));
}
