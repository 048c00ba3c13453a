//! Random inspections on every backend: a plan stored with its pool and audited; the
//! population follows the filter, leaves out deregistered entities and counts an unscored
//! entity as class B; a draw is saved in one audited transaction and read in scope; the
//! officers of earlier cases are found; an inspection of the same entity in scope is linked
//! once.

use crate::{at, district, on_every_backend, uscc, TestStore, T0};
use ::store::*;
use domain::{
    CreditClass, DrawId, EntityId, EntityStatus, InspectionResult, LegalForm, Role, SamplingPlanId,
    SiteKind, UserId,
};
use std::collections::BTreeMap;

on_every_backend!(
    a_plan_is_stored_with_its_pool_and_audited,
    the_population_follows_the_filter_and_counts_unscored_as_b,
    a_draw_is_saved_whole_and_read_in_scope,
    an_inspection_of_the_drawn_entity_is_linked_once,
);

fn user(name: &str, role: Role, districts: &[&str]) -> NewUser {
    NewUser {
        username: name.into(),
        display_name: format!("{name}（显示名）"),
        role,
        districts: districts.iter().map(|d| district(d)).collect(),
        entities: vec![],
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
    }
}

struct Setup {
    li: User,
    wang: User,
    chen: User,
    /// 甲 (450103, class C), 乙 (450103, no score), 丙 (450102, class A, deregistered),
    /// 丁 (450102, an individual business's platform shop, class D).
    e: [EntityId; 4],
}

async fn setup(store: &TestStore) -> Setup {
    let sys = Actor::system("test");
    let mut batch = vec![
        EntityInput::new(
            &uscc("CHK00001"),
            "甲公司",
            SiteKind::TradingSite,
            district("450103"),
        ),
        EntityInput::new(
            &uscc("CHK00002"),
            "乙公司",
            SiteKind::TradingSite,
            district("450103"),
        ),
        EntityInput::new(
            &uscc("CHK00003"),
            "丙公司",
            SiteKind::TradingSite,
            district("450102"),
        ),
        EntityInput::new(
            &uscc("CHK00004"),
            "丁商行",
            SiteKind::PlatformShop,
            district("450102"),
        ),
    ];
    batch[0].domains = vec!["samp.test".into()];
    batch[2].status = EntityStatus::Deregistered;
    batch[3].legal_form = LegalForm::Individual;
    store.upsert_entities(&batch, "test").await.unwrap();
    let mut e = [EntityId(0); 4];
    for (i, input) in batch.iter().enumerate() {
        e[i] = store
            .entity_by_uscc(Scope::City, &input.uscc)
            .await
            .unwrap()
            .unwrap()
            .id;
    }
    for (entity, class) in [(e[0], "C"), (e[2], "A"), (e[3], "D")] {
        store
            .exec_raw(&format!(
                "INSERT INTO credit_scores (entity_id, score, score_class, class, override, \
                 index_version, points, computed_at) VALUES ({entity}, 50.0, '{class}', \
                 '{class}', NULL, 'test', '{{}}', '2024-03-01T00:00:00Z')"
            ))
            .await
            .unwrap();
    }
    let li = store
        .create_user(&user("li", Role::Inspector, &["450103"]), &sys)
        .await
        .unwrap();
    let wang = store
        .create_user(&user("wang", Role::Inspector, &["450102"]), &sys)
        .await
        .unwrap();
    let chen = store
        .create_user(&user("chen", Role::Supervisor, &[]), &sys)
        .await
        .unwrap();
    Setup { li, wang, chen, e }
}

fn new_plan(s: &Setup) -> NewSamplingPlan {
    NewSamplingPlan {
        name: "2024年网络交易双随机抽查".into(),
        items: vec!["亮照经营".into(), "商品质量".into()],
        filter: PopulationFilter::default(),
        ratios: BTreeMap::from([
            (CreditClass::A, "0.03".to_string()),
            (CreditClass::B, "0.1".to_string()),
            (CreditClass::C, "0.3".to_string()),
            (CreditClass::D, "0.7".to_string()),
        ]),
        exclude_same_district: true,
        inspectors_per_entity: 2,
        inspectors: vec![s.wang.id, s.li.id, s.chen.id, s.li.id],
    }
}

async fn a_plan_is_stored_with_its_pool_and_audited(store: TestStore) {
    let s = setup(&store).await;
    let by = Actor::user(&s.chen, None);
    let mut new = new_plan(&s);
    new.filter.classes = vec![CreditClass::C, CreditClass::D];
    new.filter.districts = vec![district("450103")];
    let plan = store.create_sampling_plan(&new, &by).await.unwrap();
    assert_eq!(plan.name, new.name);
    assert_eq!(plan.items, new.items);
    assert_eq!(plan.filter, new.filter);
    assert_eq!(plan.ratios, new.ratios);
    assert!(plan.exclude_same_district);
    assert_eq!(plan.inspectors_per_entity, 2);
    assert_eq!(plan.state, PlanState::Active);
    assert_eq!(plan.created_by, by.name);
    let pool: Vec<(&str, Vec<domain::DistrictCode>)> = plan
        .inspectors
        .iter()
        .map(|i| (i.username.as_str(), i.districts.clone()))
        .collect();
    assert_eq!(
        pool,
        [
            ("chen", vec![]),
            ("li", vec![district("450103")]),
            ("wang", vec![district("450102")]),
        ]
    );
    assert_eq!(
        store.sampling_plan(plan.id).await.unwrap(),
        Some(plan.clone())
    );
    assert_eq!(
        store.list_sampling_plans().await.unwrap(),
        vec![plan.clone()]
    );
    let audit = store
        .audit_of(&format!("sampling_plan:{}", plan.id))
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "create");
    let logged = audit[0].new_value.as_ref().unwrap();
    assert_eq!(logged["ratios"]["A"], "0.03");
    assert_eq!(logged["filter"]["classes"], serde_json::json!(["C", "D"]));

    let closed = store.close_sampling_plan(plan.id, &by).await.unwrap();
    assert_eq!(closed.state, PlanState::Closed);
    assert!(matches!(
        store.close_sampling_plan(plan.id, &by).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.close_sampling_plan(SamplingPlanId(999), &by).await,
        Err(StoreError::NotFound(_))
    ));
    let mut ghost = new_plan(&s);
    ghost.inspectors.push(UserId(999));
    assert!(matches!(
        store.create_sampling_plan(&ghost, &by).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.list_sampling_plans().await.unwrap().len(), 1);
    assert_eq!(
        store.sampling_plan(SamplingPlanId(999)).await.unwrap(),
        None
    );
}

fn ids(rows: &[PopulationRow]) -> Vec<(EntityId, CreditClass, bool)> {
    rows.iter()
        .map(|r| (r.entity_id, r.class, r.scored))
        .collect()
}

async fn the_population_follows_the_filter_and_counts_unscored_as_b(store: TestStore) {
    let s = setup(&store).await;
    let [a, b, _c, d] = s.e;
    let all = store
        .sampling_population(Scope::City, &PopulationFilter::default())
        .await
        .unwrap();
    // By USCC; the deregistered 丙 is not in it; 乙 has no score: class B.
    assert_eq!(
        ids(&all),
        [
            (a, CreditClass::C, true),
            (b, CreditClass::B, false),
            (d, CreditClass::D, true)
        ]
    );
    assert!(all.windows(2).all(|w| w[0].uscc < w[1].uscc));
    assert_eq!(all[0].name, "甲公司");
    assert_eq!(all[2].district, district("450102"));
    let only = |f: PopulationFilter| {
        let store = &store;
        async move {
            ids(&store.sampling_population(Scope::City, &f).await.unwrap())
                .into_iter()
                .map(|(e, _, _)| e)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        only(PopulationFilter {
            classes: vec![CreditClass::B],
            ..Default::default()
        })
        .await,
        [b]
    );
    assert_eq!(
        only(PopulationFilter {
            classes: vec![CreditClass::A],
            ..Default::default()
        })
        .await,
        Vec::<EntityId>::new()
    );
    assert_eq!(
        only(PopulationFilter {
            districts: vec![district("450102")],
            ..Default::default()
        })
        .await,
        [d]
    );
    assert_eq!(
        only(PopulationFilter {
            legal_forms: vec![LegalForm::Enterprise],
            ..Default::default()
        })
        .await,
        [a, b]
    );
    assert_eq!(
        only(PopulationFilter {
            kinds: vec![SiteKind::PlatformShop, SiteKind::Platform],
            ..Default::default()
        })
        .await,
        [d]
    );
    let scoped = store
        .sampling_population(
            Scope::district(district("450103")),
            &PopulationFilter::default(),
        )
        .await
        .unwrap();
    assert_eq!(ids(&scoped).len(), 2);
}

/// A draw of 甲 (li, chen) and 丁 (chen, li) of a new plan.
async fn saved_draw(store: &TestStore, s: &Setup) -> (SamplingPlan, Draw) {
    let by = Actor::user(&s.chen, None);
    let plan = store.create_sampling_plan(&new_plan(s), &by).await.unwrap();
    let draw = NewDraw {
        plan: plan.id,
        seed: "种子-1".into(),
        algorithm: "wangjian-draw-1".into(),
        ratios: r#"{"A":"0.03"}"#.into(),
        population: r#"[{"uscc":"x"}]"#.into(),
        pool: "[]".into(),
        entities: vec![
            NewDrawEntity {
                entity_id: s.e[0],
                uscc: uscc("CHK00001"),
                class: CreditClass::C,
                district: district("450103"),
                excluded: r#"[{"username":"wang","conflict":"earlier_case"}]"#.into(),
                inspectors: vec![s.li.id, s.chen.id],
            },
            NewDrawEntity {
                entity_id: s.e[3],
                uscc: uscc("CHK00004"),
                class: CreditClass::D,
                district: district("450102"),
                excluded: "[]".into(),
                inspectors: vec![s.chen.id, s.li.id],
            },
        ],
    };
    let saved = store.save_draw(&draw, &by).await.unwrap();
    (plan, saved)
}

async fn a_draw_is_saved_whole_and_read_in_scope(store: TestStore) {
    let s = setup(&store).await;
    let (plan, draw) = saved_draw(&store, &s).await;
    assert_eq!(draw.plan_id, plan.id);
    assert_eq!(draw.plan_name, plan.name);
    assert_eq!(draw.seed, "种子-1");
    assert_eq!(draw.algorithm, "wangjian-draw-1");
    assert_eq!(draw.population, r#"[{"uscc":"x"}]"#);
    assert_eq!(draw.ratios, r#"{"A":"0.03"}"#);
    assert_eq!(draw.drawn_by, Actor::user(&s.chen, None).name);
    let names = |e: &DrawEntity| {
        e.inspectors
            .iter()
            .map(|i| i.username.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(draw.entities.len(), 2);
    assert_eq!(draw.entities[0].entity_id, s.e[0]);
    assert_eq!(draw.entities[0].name, "甲公司");
    assert_eq!(draw.entities[0].class, CreditClass::C);
    assert_eq!(names(&draw.entities[0]), ["li", "chen"]);
    assert_eq!(names(&draw.entities[1]), ["chen", "li"]);
    assert!(draw.entities[0].excluded.contains("earlier_case"));
    assert_eq!(draw.entities[0].result, None);

    // An inspector of 450103 sees 甲 only; the draw is the city's.
    let li = Scope::district(district("450103"));
    let seen = store
        .sampling_draw(li.clone(), draw.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        seen.entities
            .iter()
            .map(|e| e.entity_id)
            .collect::<Vec<_>>(),
        [s.e[0]]
    );
    let evaluator = Scope::Entities(vec![s.e[3]].into());
    let seen = store
        .sampling_draw(evaluator, draw.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        seen.entities
            .iter()
            .map(|e| e.entity_id)
            .collect::<Vec<_>>(),
        [s.e[3]]
    );
    assert_eq!(
        store.sampling_draw(Scope::City, DrawId(999)).await.unwrap(),
        None
    );

    let list = store.list_draws(li, None).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].selected, list[0].done), (1, 0));
    let list = store.list_draws(Scope::City, Some(plan.id)).await.unwrap();
    assert_eq!((list[0].selected, list[0].seed.as_str()), (2, "种子-1"));
    assert!(store
        .list_draws(Scope::City, Some(SamplingPlanId(999)))
        .await
        .unwrap()
        .is_empty());

    let audit = store
        .audit_of(&format!("sampling_draw:{}", draw.id))
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "draw");
    assert_eq!(
        audit[0].new_value.as_ref().unwrap()["selected"],
        serde_json::json!([uscc("CHK00001"), uscc("CHK00004")])
    );

    // A closed plan draws no more; nothing of the refused draw is kept.
    let by = Actor::user(&s.chen, None);
    store.close_sampling_plan(plan.id, &by).await.unwrap();
    let again = NewDraw {
        plan: plan.id,
        seed: "种子-2".into(),
        algorithm: "wangjian-draw-1".into(),
        ratios: "{}".into(),
        population: "[]".into(),
        pool: "[]".into(),
        entities: vec![],
    };
    assert!(matches!(
        store.save_draw(&again, &by).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.list_draws(Scope::City, None).await.unwrap().len(), 1);

    // The officers of every case on the entities.
    let site = store
        .site_for_url(Scope::City, "samp.test", "/")
        .await
        .unwrap()
        .unwrap();
    store
        .exec_raw(&format!(
            "INSERT INTO cases (number, site_id, entity_id, district, summary, opened_at, \
             opened_by, decide_by) VALUES ('案1', {}, {}, '450103', 'test', \
             '2024-03-01T00:00:00Z', 'user:li', '2024-06-01')",
            site.id, s.e[0]
        ))
        .await
        .unwrap();
    for u in [s.wang.id, s.li.id] {
        store
            .exec_raw(&format!(
                "INSERT INTO case_officers (case_id, user_id) SELECT id, {u} FROM cases \
                 WHERE number = '案1'"
            ))
            .await
            .unwrap();
    }
    let mut expected = vec![(s.e[0], s.li.id), (s.e[0], s.wang.id)];
    expected.sort();
    assert_eq!(
        store
            .case_officers_of(&[s.e[0], s.e[1], s.e[3]])
            .await
            .unwrap(),
        expected
    );
    assert!(store.case_officers_of(&[]).await.unwrap().is_empty());
}

async fn an_inspection_of_the_drawn_entity_is_linked_once(store: TestStore) {
    let s = setup(&store).await;
    let (_, draw) = saved_draw(&store, &s).await;
    let by = Actor::user(&s.li, None);
    let li = Scope::district(district("450103"));
    let record = |entity: EntityId| NewInspection {
        entity_id: entity,
        case_id: None,
        inspected_at: at(T0 - 60),
        place: "南宁市青秀区".into(),
        result: InspectionResult::Compliant,
        notes: String::new(),
        officers: vec![s.li.id, s.chen.id],
        attachments: vec![],
        created_by: s.li.id,
    };
    let on_a = store
        .record_inspection(Scope::City, &record(s.e[0]), &by)
        .await
        .unwrap();
    let on_b = store
        .record_inspection(Scope::City, &record(s.e[1]), &by)
        .await
        .unwrap();
    let on_d = store
        .record_inspection(Scope::City, &record(s.e[3]), &by)
        .await
        .unwrap();
    // Another entity's inspection; an entity out of scope; an entity not drawn.
    for (entity, inspection, scope) in [
        (s.e[0], on_b.id, li.clone()),
        (s.e[3], on_d.id, li.clone()),
        (s.e[1], on_b.id, Scope::City),
    ] {
        assert!(
            matches!(
                store
                    .link_draw_inspection(scope, draw.id, entity, inspection, &by)
                    .await,
                Err(StoreError::NotFound(_))
            ),
            "{entity} {inspection}"
        );
    }
    let linked = store
        .link_draw_inspection(li.clone(), draw.id, s.e[0], on_a.id, &by)
        .await
        .unwrap();
    let result = linked.result.unwrap();
    assert_eq!(result.inspection, on_a.id);
    assert_eq!(result.result, InspectionResult::Compliant);
    assert_eq!(result.inspected_at, at(T0 - 60));
    // The same link again changes nothing; another inspection is refused.
    store
        .link_draw_inspection(li.clone(), draw.id, s.e[0], on_a.id, &by)
        .await
        .unwrap();
    let second = store
        .record_inspection(Scope::City, &record(s.e[0]), &by)
        .await
        .unwrap();
    assert!(matches!(
        store
            .link_draw_inspection(li.clone(), draw.id, s.e[0], second.id, &by)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let audit = store
        .audit_of(&format!("sampling_draw:{}", draw.id))
        .await
        .unwrap();
    assert_eq!(
        audit.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
        ["draw", "result"]
    );
    let list = store.list_draws(Scope::City, None).await.unwrap();
    assert_eq!((list[0].selected, list[0].done), (2, 1));
}
