//! Integration tests of sampling on every backend: a published seed reproduces a draw exactly
//! in a second database built from the same register and classes (entities and users stored
//! in another order, so every id differs), the publication replays from its JSON alone and a
//! changed one does not; bad input is refused; a field inspection is linked as a result.

use chrono::{TimeZone, Utc};
use domain::{CreditClass, DistrictCode, InspectionResult, Role, SiteKind, Uscc};
use sampling::draw::Conflict;
use sampling::plan::PlanInput;
use sampling::{DrawError, SamplingError, Who};
use std::collections::BTreeMap;
use std::sync::Arc;
use store::testing::{Backend, TestDb};
use store::{Actor, EntityInput, NewInspection, NewUser, PopulationFilter, Scope, Store};

fn district(code: &str) -> DistrictCode {
    DistrictCode::parse(code).unwrap()
}

fn uscc(i: usize) -> String {
    Uscc::complete("91450103", &format!("MA5K{i:04}"))
        .unwrap()
        .to_string()
}

const CLASSES: [CreditClass; 4] = [
    CreditClass::A,
    CreditClass::B,
    CreditClass::C,
    CreditClass::D,
];

/// The register: 80 entities, half in 青秀区 (450103), half in 兴宁区 (450102); classes by
/// number (every fifth unscored: B); every tenth deregistered; one with a case whose officers
/// are `li` and `zhou`. Users: inspectors li (450103), wang (450102), zhou (450102), zhao
/// (450103, 450102); supervisor chen. `reversed` stores everything in the other order.
async fn build(db: &TestDb, reversed: bool) -> Arc<dyn Store> {
    let store = db.open(None).await.unwrap();
    let mut batch: Vec<EntityInput> = (0..80)
        .map(|i| {
            let d = if i % 2 == 0 { "450103" } else { "450102" };
            let mut e = EntityInput::new(
                &uscc(i),
                &format!("第{i}号商行"),
                SiteKind::TradingSite,
                district(d),
            );
            if i % 10 == 9 {
                e.status = domain::EntityStatus::Deregistered;
            }
            if i == 4 {
                e.domains = vec!["case.test".into()];
            }
            e
        })
        .collect();
    if reversed {
        batch.reverse();
    }
    for e in &batch {
        store
            .upsert_entities(std::slice::from_ref(e), "test")
            .await
            .unwrap();
    }
    let mut users = vec![
        ("li", Role::Inspector, vec!["450103"]),
        ("wang", Role::Inspector, vec!["450102"]),
        ("zhou", Role::Inspector, vec!["450102"]),
        ("zhao", Role::Inspector, vec!["450103", "450102"]),
        ("chen", Role::Supervisor, vec![]),
        ("sun", Role::Auditor, vec![]),
    ];
    if reversed {
        users.reverse();
    }
    let sys = Actor::system("test");
    for (name, role, ds) in users {
        store
            .create_user(
                &NewUser {
                    username: name.into(),
                    display_name: name.into(),
                    role,
                    districts: ds.into_iter().map(district).collect(),
                    entities: vec![],
                    password_hash: "x".into(),
                },
                &sys,
            )
            .await
            .unwrap();
    }
    for i in 0..80 {
        if i % 5 == 4 {
            continue;
        }
        let id = store
            .entity_by_uscc(Scope::City, &uscc(i))
            .await
            .unwrap()
            .unwrap()
            .id;
        let class = CLASSES[(i * 7) % 4].code();
        db.exec_raw(&format!(
            "INSERT INTO credit_scores (entity_id, score, score_class, class, override, \
             index_version, points, computed_at) VALUES ({id}, 60.0, '{class}', '{class}', \
             NULL, 'test', '{{}}', '2026-12-01T00:00:00Z')"
        ))
        .await
        .unwrap();
    }
    // A case on entity 4 (450103) with officers li and zhou.
    let site = store
        .site_for_url(Scope::City, "case.test", "/")
        .await
        .unwrap()
        .unwrap();
    db.exec_raw(&format!(
        "INSERT INTO cases (number, site_id, entity_id, district, summary, opened_at, \
         opened_by, decide_by) VALUES ('南市监网案〔2026〕1号', {}, {}, '450103', 'test', \
         '2026-11-01T00:00:00Z', 'user:li', '2027-02-01')",
        site.id,
        site.entity_id.unwrap()
    ))
    .await
    .unwrap();
    for name in ["li", "zhou"] {
        let u = store.user_by_name(name).await.unwrap().unwrap();
        db.exec_raw(&format!(
            "INSERT INTO case_officers (case_id, user_id) SELECT id, {} FROM cases",
            u.id
        ))
        .await
        .unwrap();
    }
    store
}

fn plan_input() -> PlanInput {
    PlanInput {
        name: "2026年第四季度网络交易双随机抽查".into(),
        items: vec!["亮照经营".into(), " ".into(), "网络交易平台规则公示".into()],
        filter: PopulationFilter::default(),
        ratios: BTreeMap::from([
            (CreditClass::A, "3%".to_string()),
            (CreditClass::B, "0.10".to_string()),
            (CreditClass::C, "0.3".to_string()),
            (CreditClass::D, "0.7".to_string()),
        ]),
        exclude_same_district: true,
        inspectors_per_entity: None,
        inspectors: vec![
            "li".into(),
            "wang".into(),
            "user:zhou".into(),
            "zhao".into(),
            "chen".into(),
        ],
    }
}

fn cli() -> Who {
    Who::operator("cli:test")
}

const SEED: &str = "2026-12-05 第四季度 公开摇号";

async fn a_published_seed_reproduces_the_draw_in_a_second_database(backend: Backend) {
    let first_db = TestDb::new(backend).await;
    let second_db = TestDb::new(backend).await;
    let first = build(&first_db, false).await;
    let second = build(&second_db, true).await;

    let plan = sampling::plan::create(first.as_ref(), &cli(), &plan_input())
        .await
        .unwrap();
    assert_eq!(plan.items, ["亮照经营", "网络交易平台规则公示"]);
    assert_eq!(plan.ratios[&CreditClass::A], "0.03");
    assert_eq!(plan.ratios[&CreditClass::B], "0.1");
    assert_eq!(plan.inspectors_per_entity, 2);
    let drawn = sampling::run(first.as_ref(), &cli(), plan.id, SEED)
        .await
        .unwrap();
    let published = sampling::publication(first.as_ref(), &cli(), drawn.id)
        .await
        .unwrap();
    assert!(published.complete);
    assert_eq!(published.algorithm, "wangjian-draw-1");
    assert_eq!(published.seed, SEED);
    // 80 entities, 8 deregistered: 72; the unscored count as B.
    assert_eq!(published.population.len(), 72);
    assert_eq!(published.population_size.values().sum::<usize>(), 72);
    assert!(published
        .population
        .windows(2)
        .all(|w| w[0].uscc < w[1].uscc));
    // ⌈ratio × count⌉ per class.
    for class in CLASSES {
        let count = published.population_size[class.code()];
        let ratio = published.ratios.get(class).unwrap();
        let taken = published
            .selected
            .iter()
            .filter(|s| s.class == class)
            .count();
        assert_eq!(taken, ratio.take(count), "{class}");
    }
    // No inspector of the entity's district, none of its earlier case; two each.
    for s in &published.selected {
        assert_eq!(s.inspectors.len(), 2);
        for name in &s.inspectors {
            let member = published.pool.iter().find(|m| &m.username == name).unwrap();
            assert!(!member.districts.contains(&s.district), "{name} {s:?}");
        }
        assert!(s.result.is_none());
    }
    if let Some(s) = published.selected.iter().find(|s| s.uscc == uscc(4)) {
        assert!(s
            .excluded
            .iter()
            .any(|x| x.username == "zhou" && x.conflict == Conflict::EarlierCase));
    }

    // The second database: another plan id space, other entity and user ids, same draw.
    let plan2 = sampling::plan::create(second.as_ref(), &cli(), &plan_input())
        .await
        .unwrap();
    let drawn2 = sampling::run(second.as_ref(), &cli(), plan2.id, SEED)
        .await
        .unwrap();
    let published2 = sampling::publication(second.as_ref(), &cli(), drawn2.id)
        .await
        .unwrap();
    assert_eq!(published2.population, published.population);
    assert_eq!(published2.pool, published.pool);
    assert_eq!(published2.selected, published.selected);
    assert_ne!(drawn2.entities[0].entity_id, drawn.entities[0].entity_id);
    assert!(!published.selected.is_empty());

    // Replay from the JSON alone.
    let json = serde_json::to_string_pretty(&published).unwrap();
    let replayed = sampling::replay(&json).unwrap();
    assert!(replayed.matches, "{replayed:?}");
    assert_eq!(
        replayed.selected,
        published
            .selected
            .iter()
            .map(|s| s.uscc.clone())
            .collect::<Vec<_>>()
    );
    // Another seed draws otherwise.
    let mut other = published.clone();
    other.seed = "another seed".into();
    let r = sampling::replay(&serde_json::to_string(&other).unwrap()).unwrap();
    assert!(!r.matches);
    // A selected entity dropped, or an inspector swapped, is caught.
    let mut dropped = published.clone();
    let gone = dropped.selected.remove(0);
    let r = sampling::replay(&serde_json::to_string(&dropped).unwrap()).unwrap();
    assert!(!r.matches);
    assert_eq!(r.missing, std::slice::from_ref(&gone.uscc));
    let mut swapped = published.clone();
    let first_sel = &mut swapped.selected[0];
    let outsider = published
        .pool
        .iter()
        .find(|m| {
            !first_sel.inspectors.contains(&m.username)
                && !first_sel.excluded.iter().any(|x| x.username == m.username)
        })
        .map(|m| m.username.clone());
    if let Some(o) = outsider {
        first_sel.inspectors[1] = o;
        let r = sampling::replay(&serde_json::to_string(&swapped).unwrap()).unwrap();
        assert_eq!(r.inspectors_differ, [gone.uscc]);
    }
    assert!(matches!(
        sampling::replay("{\"not\": 1}"),
        Err(SamplingError::BadPublication(_))
    ));
    let mut renamed = serde_json::to_value(&published).unwrap();
    renamed["algorithm"] = "other-1".into();
    assert!(matches!(
        sampling::replay(&renamed.to_string()),
        Err(SamplingError::Draw(DrawError::UnknownAlgorithm(_)))
    ));
}

async fn bad_input_is_refused(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = build(&db, false).await;
    let s = store.as_ref();
    for bad in ["0", "1.5", "abc", "-0.1", "0.00001"] {
        let mut input = plan_input();
        input.ratios.insert(CreditClass::C, bad.into());
        assert!(
            matches!(
                sampling::plan::create(s, &cli(), &input).await,
                Err(SamplingError::BadRatio {
                    class: CreditClass::C,
                    ..
                })
            ),
            "{bad}"
        );
    }
    let mut input = plan_input();
    input.ratios.remove(&CreditClass::D);
    assert!(matches!(
        sampling::plan::create(s, &cli(), &input).await,
        Err(SamplingError::MissingRatio(CreditClass::D))
    ));
    // A filter of classes C and D needs those ratios only.
    input.filter.classes = vec![CreditClass::C];
    sampling::plan::create(s, &cli(), &input).await.unwrap();
    let mut input = plan_input();
    input.inspectors.push("sun".into());
    assert!(matches!(
        sampling::plan::create(s, &cli(), &input).await,
        Err(SamplingError::NotAnInspector(n)) if n == "sun"
    ));
    input.inspectors = vec!["nobody".into()];
    assert!(matches!(
        sampling::plan::create(s, &cli(), &input).await,
        Err(SamplingError::NoUser(_))
    ));
    input.inspectors = vec!["li".into()];
    assert!(matches!(
        sampling::plan::create(s, &cli(), &input).await,
        Err(SamplingError::PoolTooSmall { have: 1, need: 2 })
    ));
    let mut input = plan_input();
    input.name = "  ".into();
    assert!(matches!(
        sampling::plan::create(s, &cli(), &input).await,
        Err(SamplingError::NameMissing)
    ));
    let mut input = plan_input();
    input.inspectors_per_entity = Some(0);
    assert!(matches!(
        sampling::plan::create(s, &cli(), &input).await,
        Err(SamplingError::BadInspectorsPerEntity(0))
    ));
    // An inspector may not plan.
    let li = s.user_by_name("li").await.unwrap().unwrap();
    assert!(matches!(
        sampling::plan::create(s, &Who::user(&li, None), &plan_input()).await,
        Err(SamplingError::NotPermitted(domain::Permission::Sampling))
    ));

    // An empty population: a district with no entity.
    let mut input = plan_input();
    input.filter.districts = vec![district("450105")];
    let empty = sampling::plan::create(s, &cli(), &input).await.unwrap();
    assert!(matches!(
        sampling::run(s, &cli(), empty.id, SEED).await,
        Err(SamplingError::Draw(DrawError::EmptyPopulation))
    ));
    let plan = sampling::plan::create(s, &cli(), &plan_input())
        .await
        .unwrap();
    assert!(matches!(
        sampling::run(s, &cli(), plan.id, "").await,
        Err(SamplingError::Draw(DrawError::EmptySeed))
    ));
    assert!(matches!(
        sampling::run(s, &Who::user(&li, None), plan.id, SEED).await,
        Err(SamplingError::NotPermitted(_))
    ));
    // Class D of 450103 only, everyone, three inspectors each: li and zhao are of 450103,
    // so three candidates remain (wang, zhou, chen) except for entity 4, whose case's
    // officer zhou is out too.
    let mut input = plan_input();
    input.filter.districts = vec![district("450103")];
    input.ratios = CLASSES.iter().map(|c| (*c, "1".to_string())).collect();
    input.inspectors_per_entity = Some(3);
    let tight = sampling::plan::create(s, &cli(), &input).await.unwrap();
    match sampling::run(s, &cli(), tight.id, SEED).await {
        Err(SamplingError::Draw(DrawError::TooFewInspectors {
            uscc: u,
            have,
            need,
        })) => {
            assert_eq!((u, have, need), (uscc(4), 2, 3));
        }
        other => panic!("{other:?}"),
    }
    assert!(s.list_draws(Scope::City, None).await.unwrap().is_empty());
    sampling::plan::close(s, &cli(), plan.id).await.unwrap();
    assert!(matches!(
        sampling::run(s, &cli(), plan.id, SEED).await,
        Err(SamplingError::PlanClosed(_))
    ));
    assert!(matches!(
        sampling::plan::close(s, &cli(), plan.id).await,
        Err(SamplingError::PlanClosed(_))
    ));
}

async fn a_field_inspection_is_the_result_of_a_drawn_entity(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = build(&db, false).await;
    let s = store.as_ref();
    let plan = sampling::plan::create(s, &cli(), &plan_input())
        .await
        .unwrap();
    let drawn = sampling::run(s, &cli(), plan.id, SEED).await.unwrap();
    let target = drawn
        .entities
        .iter()
        .find(|e| e.district == district("450103"))
        .unwrap()
        .clone();
    let li = s.user_by_name("li").await.unwrap().unwrap();
    let wang = s.user_by_name("wang").await.unwrap().unwrap();
    let sys = Actor::system("test");
    let recorded = s
        .record_inspection(
            Scope::City,
            &NewInspection {
                entity_id: target.entity_id,
                case_id: None,
                inspected_at: Utc.with_ymd_and_hms(2026, 12, 5, 2, 0, 0).unwrap(),
                place: "南宁市青秀区".into(),
                result: InspectionResult::Compliant,
                notes: String::new(),
                officers: target.inspectors.iter().map(|i| i.id).collect(),
                attachments: vec![],
                created_by: li.id,
            },
            &sys,
        )
        .await
        .unwrap();
    // wang (450102) sees neither the entity nor the inspection.
    assert!(matches!(
        sampling::link_result(
            s,
            &Who::user(&wang, None),
            drawn.id,
            &target.uscc,
            recorded.id
        )
        .await,
        Err(SamplingError::NotDrawn { .. })
    ));
    let not_drawn = uscc(9);
    assert!(matches!(
        sampling::link_result(s, &cli(), drawn.id, &not_drawn, recorded.id).await,
        Err(SamplingError::NotDrawn { .. })
    ));
    let other = drawn
        .entities
        .iter()
        .find(|e| e.entity_id != target.entity_id)
        .unwrap();
    assert!(matches!(
        sampling::link_result(s, &cli(), drawn.id, &other.uscc, recorded.id).await,
        Err(SamplingError::NoInspection { .. })
    ));
    let linked = sampling::link_result(
        s,
        &Who::user(&li, None),
        drawn.id,
        &target.uscc.to_lowercase(),
        recorded.id,
    )
    .await
    .unwrap();
    assert_eq!(linked.result.unwrap().inspection, recorded.id);
    let published = sampling::publication(s, &cli(), drawn.id).await.unwrap();
    let shown = published
        .selected
        .iter()
        .find(|p| p.uscc == target.uscc)
        .unwrap();
    assert_eq!(
        shown.result.as_ref().map(|r| r.result),
        Some(InspectionResult::Compliant)
    );
    // The results do not change the replay.
    assert!(
        sampling::replay(&serde_json::to_string(&published).unwrap())
            .unwrap()
            .matches
    );
    // An inspector's copy holds their districts only, and says so.
    let theirs = sampling::publication(s, &Who::user(&li, None), drawn.id)
        .await
        .unwrap();
    assert!(!theirs.complete);
    assert!(theirs
        .selected
        .iter()
        .all(|p| p.district == district("450103")));
    assert!(theirs
        .population
        .iter()
        .all(|p| p.district == district("450103")));
    assert!(matches!(
        sampling::publication(s, &cli(), domain::DrawId(999)).await,
        Err(SamplingError::NoDraw(_))
    ));
}

macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Postgres).await
                }
            )*
        }
    };
}

on_every_backend!(
    a_published_seed_reproduces_the_draw_in_a_second_database,
    bad_input_is_refused,
    a_field_inspection_is_the_result_of_a_drawn_entity,
);
