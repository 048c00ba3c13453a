//! The public portal's records: notices published and withdrawn once, each step audited;
//! model sites designated in scope with their entity's class; visit counts added up per day
//! and page; the name lookup of the public credit query.

use crate::{entity, TestStore};
use ::store::*;
use chrono::NaiveDate;
use domain::{CreditClass, SiteKind};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn notices_are_withdrawn_once_and_audited(store: TestStore) {
    let by = Actor::system("cli:test");
    let first = store
        .publish_notice(
            &NewNotice {
                title: "关于开展网络市场专项检查的公告".into(),
                body: "第一段。\n\n第二段 <b>不是标记</b>。".into(),
            },
            &by,
        )
        .await
        .unwrap();
    assert!(first.published());
    assert_eq!(first.published_by, "cli:test");
    let second = store
        .publish_notice(
            &NewNotice {
                title: "第二则".into(),
                body: "正文".into(),
            },
            &by,
        )
        .await
        .unwrap();
    let listed = store.notices(false, 0, 0).await.unwrap();
    assert_eq!(
        listed.iter().map(|n| n.id).collect::<Vec<_>>(),
        [second.id, first.id]
    );

    let withdrawn = store
        .withdraw_notice(first.id, "内容有误", &by)
        .await
        .unwrap();
    assert!(!withdrawn.published());
    assert_eq!(withdrawn.withdrawn_reason.as_deref(), Some("内容有误"));
    assert!(matches!(
        store.withdraw_notice(first.id, "again", &by).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .withdraw_notice(domain::NoticeId(9999), "x", &by)
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.notices(false, 0, 0).await.unwrap().len(), 1);
    assert_eq!(store.notices(true, 0, 0).await.unwrap().len(), 2);
    assert_eq!(
        store.notice(first.id).await.unwrap().unwrap().body,
        "第一段。\n\n第二段 <b>不是标记</b>。"
    );
    let audit = store
        .audit_of(&format!("notice:{}", first.id))
        .await
        .unwrap();
    assert_eq!(
        audit.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
        ["publish", "withdraw"]
    );
}

async fn model_sites_are_designated_in_scope(store: TestStore) {
    store
        .upsert_entities(
            &[
                entity(
                    "MA6KPT01",
                    "南宁市示范网店甲",
                    SiteKind::TradingSite,
                    "450103",
                    &["model-a.test"],
                ),
                entity(
                    "MA6KPT02",
                    "南宁市乙%商行",
                    SiteKind::TradingSite,
                    "450102",
                    &["model-b.test"],
                ),
            ],
            "test",
        )
        .await
        .unwrap();
    let a = store
        .entity_by_uscc(Scope::City, &crate::uscc("MA6KPT01"))
        .await
        .unwrap()
        .unwrap();
    let b = store
        .entity_by_uscc(Scope::City, &crate::uscc("MA6KPT02"))
        .await
        .unwrap()
        .unwrap();
    let site_of = |host: &'static str| {
        let store = store.shared();
        async move {
            store
                .site_for_url(Scope::City, host, "/")
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    let (sa, sb) = (site_of("model-a.test").await, site_of("model-b.test").await);
    let by = Actor::system("cli:test");
    let qingxiu = Scope::Districts([crate::district("450103")].into_iter().collect());
    assert!(matches!(
        store
            .designate_model_site(qingxiu.clone(), sb, None, &by)
            .await,
        Err(StoreError::NotFound(_))
    ));
    let m = store
        .designate_model_site(qingxiu.clone(), sa, Some("首批"), &by)
        .await
        .unwrap();
    assert_eq!((m.entity_id, m.class), (a.id, None));
    assert!(matches!(
        store.designate_model_site(Scope::City, sa, None, &by).await,
        Err(StoreError::Conflict(_))
    ));
    store
        .designate_model_site(Scope::City, sb, None, &by)
        .await
        .unwrap();
    store
        .exec_raw(&format!(
            "INSERT INTO credit_scores (entity_id, score, score_class, class, index_version, \
             points, computed_at) VALUES ({}, 95.0, 'A', 'A', 'test', '{{}}', \
             '2024-03-01T00:00:00Z')",
            a.id
        ))
        .await
        .unwrap();
    let all = store.model_sites(Scope::City).await.unwrap();
    assert_eq!(
        all.iter().map(|m| (m.site_id, m.class)).collect::<Vec<_>>(),
        // By name: 乙 (U+4E59) before 示 (U+793A).
        [(sb, None), (sa, Some(CreditClass::A))]
    );
    assert_eq!(store.model_sites(qingxiu.clone()).await.unwrap().len(), 1);
    assert!(matches!(
        store.remove_model_site(qingxiu, sb, &by).await,
        Err(StoreError::NotFound(_))
    ));
    store.remove_model_site(Scope::City, sb, &by).await.unwrap();
    assert_eq!(store.model_sites(Scope::City).await.unwrap().len(), 1);
    let audit = store.audit_of(&format!("model_site:{sb}")).await.unwrap();
    assert_eq!(
        audit.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
        ["designate", "remove"]
    );

    // The name lookup: anywhere in the name, LIKE's wildcards taken literally.
    let names = |hits: Vec<EntityHit>| hits.into_iter().map(|h| h.id).collect::<Vec<_>>();
    assert_eq!(
        names(store.entities_named(Scope::City, "示范", 20).await.unwrap()),
        [a.id]
    );
    assert_eq!(
        names(store.entities_named(Scope::City, "%", 20).await.unwrap()),
        [b.id]
    );
    assert_eq!(
        names(
            store
                .entities_named(Scope::City, "南宁市", 1)
                .await
                .unwrap()
        )
        .len(),
        1
    );
}

async fn visits_add_up_per_day_and_page(store: TestStore) {
    let count = |d: &str, page: &str, count: i64| VisitCount {
        day: day(d),
        page: page.into(),
        count,
    };
    store
        .add_portal_visits(&[
            count("2024-03-01", "/", 3),
            count("2024-03-01", "/notices", 1),
        ])
        .await
        .unwrap();
    store
        .add_portal_visits(&[count("2024-03-01", "/", 2), count("2024-03-02", "/", 1)])
        .await
        .unwrap();
    store.add_portal_visits(&[]).await.unwrap();
    assert_eq!(
        store.portal_visits(day("2024-03-01")).await.unwrap(),
        [
            count("2024-03-01", "/", 5),
            count("2024-03-01", "/notices", 1),
            count("2024-03-02", "/", 1)
        ]
    );
    assert_eq!(
        store.portal_visits(day("2024-03-02")).await.unwrap().len(),
        1
    );
}

crate::on_every_backend!(
    notices_are_withdrawn_once_and_audited,
    model_sites_are_designated_in_scope,
    visits_add_up_per_day_and_page,
);
