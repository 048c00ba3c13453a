//! Field inspections on every backend: recorded with officers and attachments in one audited
//! transaction, read in scope, listed by entity, case, district, result and time; a case of
//! another entity or out of scope refused; attachment custody rows scoped by the inspection.

use crate::records::{register, site_of};
use crate::{at, district, on_every_backend, TestStore, T0};
use ::store::*;
use domain::{CaseId, EntityId, InspectionResult, Role};

on_every_backend!(
    an_inspection_is_recorded_with_its_officers_and_files_and_audited,
    inspections_are_listed_by_entity_case_district_result_and_time,
    a_case_must_be_the_entitys_and_in_scope,
    attachment_custody_follows_the_inspection,
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

fn sha(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn file(n: u8, name: &str) -> NewAttachment {
    NewAttachment {
        sha256: sha(n),
        size: 1000 + i64::from(n),
        media_type: "image/jpeg".into(),
        file_name: name.into(),
    }
}

struct Setup {
    li: User,
    wang: User,
    a: EntityId,
    b: EntityId,
}

/// The register of `records`, and two inspectors of 青秀区 (450103).
async fn setup(store: &dyn Store) -> Setup {
    register(store).await;
    let sys = Actor::system("test");
    let li = store
        .create_user(&user("li", Role::Inspector, &["450103"]), &sys)
        .await
        .unwrap();
    let wang = store
        .create_user(&user("wang", Role::Inspector, &["450103"]), &sys)
        .await
        .unwrap();
    let a = site_of(store, "a.test", "/").await.entity_id.unwrap();
    let b = site_of(store, "b.test", "/").await.entity_id.unwrap();
    Setup { li, wang, a, b }
}

fn inspection(s: &Setup, entity: EntityId, when: i64) -> NewInspection {
    NewInspection {
        entity_id: entity,
        case_id: None,
        inspected_at: at(when),
        place: "南宁市青秀区民族大道1号".into(),
        result: InspectionResult::Violation,
        notes: "未亮照经营".into(),
        officers: vec![s.wang.id, s.li.id, s.li.id],
        attachments: vec![],
        created_by: s.li.id,
    }
}

/// A case row as the casework schema holds it (cases are opened by `CaseStore`; here only
/// the columns an inspection reads matter).
async fn case(store: &TestStore, number: &str, site_host: &str, dist: &str) -> CaseId {
    let site = site_of(&**store, site_host, "/").await;
    let opener = store.user_by_name("li").await.unwrap().unwrap();
    store
        .exec_raw(&format!(
            "INSERT INTO cases (number, site_id, entity_id, district, summary, opened_at, \
             opened_by, decide_by) VALUES ('{number}', {}, {}, '{dist}', 'test', \
             '2024-03-01T00:00:00Z', {}, '2024-06-01')",
            site.id,
            site.entity_id.unwrap(),
            opener.id
        ))
        .await
        .unwrap();
    // Ids are handed out in insertion order on a fresh database.
    let mut id = 1;
    while store
        .case_ref(Scope::City, CaseId(id))
        .await
        .unwrap()
        .map(|c| c.number)
        != Some(number.to_string())
    {
        id += 1;
        assert!(id < 100, "the case {number} was stored");
    }
    CaseId(id)
}

async fn an_inspection_is_recorded_with_its_officers_and_files_and_audited(store: TestStore) {
    let s = setup(&*store).await;
    let by = Actor::user(&s.li, Some("req-1".into()));
    let mut new = inspection(&s, s.a, T0 - 3600);
    new.attachments = vec![file(1, "门头.jpg"), file(2, "营业执照.jpg")];
    let got = store
        .record_inspection(Scope::district(district("450103")), &new, &by)
        .await
        .unwrap();
    assert_eq!(got.entity_id, s.a);
    assert_eq!(got.entity_name, "甲商行");
    assert_eq!(got.district, district("450103"));
    assert_eq!(got.result, InspectionResult::Violation);
    assert_eq!(got.inspected_at, at(T0 - 3600));
    assert_eq!(got.attachments, 2);
    assert_eq!(got.created_by_name, "li");
    assert_eq!(
        got.officers
            .iter()
            .map(|o| o.username.as_str())
            .collect::<Vec<_>>(),
        ["li", "wang"]
    );
    assert_eq!(
        store.inspection(Scope::City, got.id).await.unwrap(),
        Some(got.clone())
    );
    let files = store
        .inspection_attachments(Scope::City, got.id)
        .await
        .unwrap();
    assert_eq!(
        files.iter().map(|f| f.file.clone()).collect::<Vec<_>>(),
        new.attachments
    );
    assert!(files.iter().all(|f| f.stored_by_name == "li"));
    assert_eq!(
        store.attachment(Scope::City, files[1].id).await.unwrap(),
        Some(files[1].clone())
    );
    let audit = store
        .audit_of(&format!("inspection:{}", got.id))
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "record");
    assert_eq!(audit[0].request_id.as_deref(), Some("req-1"));
    let value = audit[0].new_value.as_ref().unwrap();
    assert_eq!(value["officers"], serde_json::json!(["li", "wang"]));
    assert_eq!(value["attachments"][1]["file_name"], "营业执照.jpg");

    // Another district's inspector: not recorded, nothing read.
    let xingning = Scope::district(district("450102"));
    assert!(matches!(
        store.record_inspection(xingning.clone(), &new, &by).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store.inspection(xingning.clone(), got.id).await.unwrap(),
        None
    );
    assert!(store
        .inspection_attachments(xingning.clone(), got.id)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.attachment(xingning, files[0].id).await.unwrap(), None);
    // No officer: refused, nothing written.
    let none = NewInspection {
        officers: vec![],
        ..new.clone()
    };
    assert!(matches!(
        store.record_inspection(Scope::City, &none, &by).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store
            .count_inspections(Scope::City, &InspectionFilter::default())
            .await
            .unwrap(),
        1
    );
}

async fn inspections_are_listed_by_entity_case_district_result_and_time(store: TestStore) {
    let s = setup(&*store).await;
    let by = Actor::user(&s.li, None);
    let k = case(&store, "南市监网案〔2024〕1号", "a.test", "450103").await;
    let mut ids = Vec::new();
    for (entity, when, result, case_id) in [
        (s.a, T0 - 300, InspectionResult::Compliant, None),
        (s.a, T0 - 200, InspectionResult::Violation, Some(k)),
        (s.b, T0 - 100, InspectionResult::NotContactable, None),
    ] {
        let new = NewInspection {
            result,
            case_id,
            ..inspection(&s, entity, when)
        };
        ids.push(
            store
                .record_inspection(Scope::City, &new, &by)
                .await
                .unwrap()
                .id,
        );
    }
    let list = |f: InspectionFilter| {
        let store = &store;
        async move {
            let got = store.list_inspections(Scope::City, &f).await.unwrap();
            let n = store.count_inspections(Scope::City, &f).await.unwrap();
            if f.limit == 0 {
                assert_eq!(n, got.len() as i64, "count agrees with the list");
            } else {
                assert_eq!(n, 3, "a count does not page");
            }
            got.iter().map(|i| i.id).collect::<Vec<_>>()
        }
    };
    // Newest check first.
    assert_eq!(
        list(InspectionFilter::default()).await,
        [ids[2], ids[1], ids[0]]
    );
    assert_eq!(
        list(InspectionFilter {
            entity: Some(s.a),
            ..Default::default()
        })
        .await,
        [ids[1], ids[0]]
    );
    assert_eq!(
        list(InspectionFilter {
            case: Some(k),
            ..Default::default()
        })
        .await,
        [ids[1]]
    );
    assert_eq!(
        list(InspectionFilter {
            district: Some(district("450107")),
            ..Default::default()
        })
        .await,
        [ids[2]]
    );
    assert_eq!(
        list(InspectionFilter {
            result: Some(InspectionResult::Compliant),
            ..Default::default()
        })
        .await,
        [ids[0]]
    );
    assert_eq!(
        list(InspectionFilter {
            from: Some(at(T0 - 200)),
            until: Some(at(T0 - 100)),
            ..Default::default()
        })
        .await,
        [ids[1]]
    );
    assert_eq!(
        list(InspectionFilter {
            limit: 1,
            offset: 1,
            ..Default::default()
        })
        .await,
        [ids[1]]
    );
    // The inspection for a case belongs to the case's district; the list of a district
    // scope holds its own only.
    let qingxiu = Scope::district(district("450103"));
    let mine = store
        .list_inspections(qingxiu.clone(), &InspectionFilter::default())
        .await
        .unwrap();
    assert_eq!(
        mine.iter().map(|i| i.id).collect::<Vec<_>>(),
        [ids[1], ids[0]]
    );
    assert_eq!(mine[0].case_id, Some(k));
    assert_eq!(
        store
            .count_inspections(qingxiu, &InspectionFilter::default())
            .await
            .unwrap(),
        2
    );
}

async fn a_case_must_be_the_entitys_and_in_scope(store: TestStore) {
    let s = setup(&*store).await;
    let by = Actor::user(&s.li, None);
    let of_a = case(&store, "A-1", "a.test", "450103").await;
    // A case of `a` dispatched to 兴宁区: its inspection is 兴宁区's.
    let elsewhere = case(&store, "A-2", "a.test", "450102").await;
    let for_case = |c: CaseId, e: EntityId| NewInspection {
        case_id: Some(c),
        ..inspection(&s, e, T0 - 60)
    };
    // Another entity's case: refused.
    assert!(matches!(
        store
            .record_inspection(Scope::City, &for_case(of_a, s.b), &by)
            .await,
        Err(StoreError::NotFound(_))
    ));
    // A case outside the scope: refused, even though the entity is in it.
    let qingxiu = Scope::district(district("450103"));
    assert!(matches!(
        store
            .record_inspection(qingxiu.clone(), &for_case(elsewhere, s.a), &by)
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store.case_ref(qingxiu.clone(), elsewhere).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .case_ref(qingxiu.clone(), of_a)
            .await
            .unwrap()
            .map(|c| (c.number, c.entity_id)),
        Some(("A-1".to_string(), Some(s.a)))
    );
    assert_eq!(
        store
            .count_inspections(Scope::City, &InspectionFilter::default())
            .await
            .unwrap(),
        0
    );
    let got = store
        .record_inspection(Scope::City, &for_case(elsewhere, s.a), &by)
        .await
        .unwrap();
    assert_eq!(got.district, district("450102"));
    assert_eq!(store.inspection(qingxiu, got.id).await.unwrap(), None);
}

async fn attachment_custody_follows_the_inspection(store: TestStore) {
    let s = setup(&*store).await;
    let by = Actor::user(&s.li, None);
    let mut in_a = inspection(&s, s.a, T0 - 60);
    in_a.attachments = vec![file(1, "a.jpg"), file(3, "shared.jpg")];
    let mut in_b = inspection(&s, s.b, T0 - 60);
    in_b.attachments = vec![file(2, "b.jpg"), file(3, "shared.jpg")];
    store
        .record_inspection(Scope::City, &in_a, &by)
        .await
        .unwrap();
    store
        .record_inspection(Scope::City, &in_b, &by)
        .await
        .unwrap();
    for n in [1, 2, 3, 4] {
        store
            .append_custody(&NewCustody::new(
                "user:li",
                CustodyAction::Store,
                &CustodySubject::attachment(&sha(n)).unwrap(),
                NO_REASON,
            ))
            .await
            .unwrap();
    }
    let seen = |scope: Scope| {
        let store = &store;
        async move {
            store
                .custody(&CustodyFilter::all(scope))
                .await
                .unwrap()
                .iter()
                .map(|r| {
                    assert_eq!(r.action, CustodyAction::Store);
                    r.subject.clone()
                })
                .collect::<Vec<_>>()
        }
    };
    let subject = |n: u8| format!("attachment:{}", sha(n));
    assert_eq!(
        seen(Scope::district(district("450103"))).await,
        [subject(1), subject(3)]
    );
    assert_eq!(
        seen(Scope::district(district("450107"))).await,
        [subject(2), subject(3)]
    );
    assert_eq!(
        seen(Scope::Entities(vec![s.b].into())).await,
        [subject(2), subject(3)]
    );
    // Bytes no inspection holds are the city's only.
    assert_eq!(seen(Scope::City).await.len(), 4);
    verify_custody_chain(&store.custody(&CustodyFilter::chain()).await.unwrap()).unwrap();
}
