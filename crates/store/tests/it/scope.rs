//! Scope: every read method of district-owned rows, asked in several scopes, sees exactly the
//! rows of that scope, and another district's id answers like a missing one.
//!
//! The records belong to five owners: `a` (1 entity in 青秀区), `b` (2 entities in 兴宁区), `c`
//! (4 entities in 江南区, an evaluator's), `d` (8 entities in 江南区, not the evaluator's) and
//! `x` (16 discovered sites attached to no entity: the city's only). Each site has one fetch,
//! one finding and one clue, so counts differ per owner. Custody rows are about each owner's
//! record, screenshot (a record no fetch points at, in the owner's capture file), site, clue
//! and capture; each owner's first site has a two-person capture request; the city's own rows (`z`) are about the sweep over everyone, a record no fetch
//! points at in that sweep's file, a file without fetches and a subject that does not parse.
//! Each registered owner's first entity also has a case of its district and a field inspection
//! for it with one attachment (custody rows about its bytes), and one more without a case.
//!
//! The table in [`seen`] has one entry per read method with a scope, and
//! [`every_scoped_read_method_is_in_the_table`] reads the traits' source so that a new one
//! cannot be left out.

use crate::{entity, TestStore, T0};
use ::store::*;
use domain::{
    AttachmentId, CaptureRequestId, CaseId, CaseStage, Category, ClueId, ClueState, EntityId,
    FetchId, FindingId, InspectionId, InspectionResult, OutcomeId, SiteId, SiteKind, SweepId,
    Triage, UserId,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The owners of the records; `z` is the city's own custody rows.
const OWNERS: [char; 5] = ['a', 'b', 'c', 'd', 'x'];
/// How many entities (for `x`: unattached sites) each owner has.
fn weight(owner: char) -> i64 {
    match owner {
        'a' => 1,
        'b' => 2,
        'c' => 4,
        'd' => 8,
        'x' => 16,
        _ => 0,
    }
}

fn district_of(owner: char) -> &'static str {
    match owner {
        'a' => "450103",
        'b' => "450102",
        _ => "450105",
    }
}

/// The shared ICP filing of every entity (each site its own `-n`), and a former name they all
/// once had: lookups by them find every entity.
const ICP_FILING: &str = "桂ICP备2099000001号";
const SHARED_FORMER_NAME: &str = "南宁市共同旧名商行";
/// The file every sweep fetch's record is in (a sweep's file mixes districts).
const SWEEP_FILE: &str = "scope-sweep.warc.gz";

struct Owner {
    tag: char,
    entities: Vec<Entity>,
    sites: Vec<Site>,
    /// The sweep fetch of each site, in site order.
    fetches: Vec<FetchId>,
    findings: Vec<FindingId>,
    clues: Vec<ClueId>,
    /// The capture taken of the first site for its clue.
    capture: SweepId,
    /// A two-person capture request for the first site's clue.
    capture_request: CaptureRequestId,
    /// A discovered site proposed for the first entity (for `x`: one of its discoveries).
    discovered: i64,
    /// A case opened from the first clue, with a rectification order due on the first day
    /// (none for `x`: a case belongs to a district).
    case: Option<(CaseId, OutcomeId)>,
    /// The first entity's inspections (for the case, and without one) and the first one's
    /// attachment (none for `x`).
    inspections: Vec<InspectionId>,
    attachment: Option<AttachmentId>,
    /// The first entity's serious-violation listing with a pending repair application, its
    /// commitment (none for `x`); it also has an evaluation, a decided penalty and a score.
    credit: Option<(domain::ListingId, domain::RepairId, domain::CommitmentId)>,
}

struct Fixture {
    sweep: SweepId,
    /// A city-wide user (requests captures, records and inspects).
    user: UserId,
    owners: Vec<Owner>,
    /// Whose each site, entity and custody subject is.
    site_owner: BTreeMap<SiteId, char>,
    entity_owner: BTreeMap<EntityId, char>,
    subject_owner: BTreeMap<String, char>,
    /// A campaign over every site.
    campaign: Option<domain::CampaignId>,
    /// A re-check that saw every finding again.
    recheck: Option<SweepId>,
    /// A random-inspection draw that selected each registered owner's first entity.
    draw: Option<domain::DrawId>,
    /// A complaint about each registered owner's first entity, and one about no entity (`x`).
    complaints: BTreeMap<domain::ComplaintId, char>,
}

impl Fixture {
    fn owner(&self, tag: char) -> &Owner {
        self.owners.iter().find(|o| o.tag == tag).expect("an owner")
    }

    fn of_site(&self, id: SiteId) -> char {
        *self.site_owner.get(&id).expect("a site of the fixture")
    }

    fn of_entity(&self, id: EntityId) -> char {
        *self
            .entity_owner
            .get(&id)
            .expect("an entity of the fixture")
    }
}

fn fetch(sweep: SweepId, site: &Site, file: &str, offset: i64) -> NewFetch {
    NewFetch {
        sweep_id: sweep,
        site_id: site.id,
        url: format!("http://{}/", site.host),
        fetched_at: crate::at(T0 + 100),
        status: Some(200),
        content_type: Some("text/html; charset=utf-8".into()),
        bytes: 100,
        payload_digest: Some(format!("sha256:{offset:064}")),
        error: None,
        evidence: Some(EvidencePointer {
            warc_file: file.into(),
            offset,
            digest: format!("sha256:{offset:064}"),
        }),
        etag: None,
        last_modified: None,
        record_id: Some(format!("<urn:uuid:{file}-{offset}>")),
        revisit_of: None,
    }
}

async fn fixture(test: &TestStore) -> Fixture {
    let store: &dyn Store = &**test;
    // The register: every owner but `x`, one site per entity.
    let mut inputs = Vec::new();
    let mut n = 0;
    for o in ['a', 'b', 'c', 'd'] {
        for i in 0..weight(o) {
            n += 1;
            inputs.push(EntityInput {
                former_names: vec![SHARED_FORMER_NAME.into()],
                icp: Some(format!("{ICP_FILING}-{n}")),
                ..entity(
                    &format!("MA6K{n:04}"),
                    &format!("南宁市范围{o}{i}商行"),
                    SiteKind::TradingSite,
                    district_of(o),
                    &[&format!("{o}{i}.scope.test")],
                )
            });
        }
    }
    store.upsert_entities(&inputs, "test").await.unwrap();
    let entities = store
        .list_entities(Scope::City, &EntityFilter::default())
        .await
        .unwrap();
    let sites = store
        .list_sites(Scope::City, &SiteFilter::default())
        .await
        .unwrap();
    let tag_of_host = |host: &str| host.chars().next().unwrap();
    let sweep = store
        .create_sweep(&sites.iter().map(|s| s.id).collect::<Vec<_>>())
        .await
        .unwrap();

    // `x`: sites linked from `a`'s site, promoted into the sweep, attached to nobody.
    let seen = |host: String| NewDiscovery {
        host,
        path_prefix: String::new(),
        sighting: Sighting {
            from_url: "http://a0.scope.test/".into(),
            anchor: "友情链接".into(),
            hidden: false,
            evidence: None,
            ..Sighting::default()
        },
        source: DiscoverySource::Link,
        hops: 1,
        indicators: Vec::new(),
    };
    let progress = |discoveries: Vec<NewDiscovery>| SiteProgress {
        sweep,
        site: sites[0].id,
        fetches: vec![],
        frontier: FrontierUpdate::Keep,
        finish: None,
        discoveries,
        classified: None,
        shown: None,
    };
    store
        .commit_progress(&progress(
            (0..weight('x'))
                .map(|i| seen(format!("x{i}.found.test")))
                .collect(),
        ))
        .await
        .unwrap();
    assert_eq!(
        store.promote_discoveries(sweep).await.unwrap().len() as i64,
        weight('x')
    );
    // A discovery per owner, proposed for its first entity.
    store
        .commit_progress(&progress(
            ['a', 'b', 'c', 'd']
                .iter()
                .map(|o| seen(format!("found-{o}.test")))
                .collect(),
        ))
        .await
        .unwrap();
    let discovered = store
        .list_discovered(Scope::City, &DiscoveryFilter::default())
        .await
        .unwrap();
    let sites = store
        .list_sites(Scope::City, &SiteFilter::default())
        .await
        .unwrap();

    let mut fx = Fixture {
        sweep,
        user: UserId(0),
        owners: Vec::new(),
        site_owner: BTreeMap::new(),
        entity_owner: BTreeMap::new(),
        subject_owner: BTreeMap::new(),
        campaign: None,
        recheck: None,
        draw: None,
        complaints: BTreeMap::new(),
    };
    // The city's supervisor asks for every owner's capture request.
    let requester = store
        .create_user(
            &NewUser {
                username: "requester".into(),
                display_name: "requester".into(),
                role: domain::Role::Supervisor,
                districts: vec![],
                entities: vec![],
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            },
            &Actor::system("test"),
        )
        .await
        .unwrap();
    fx.user = requester.id;
    let mut offset = 1000;
    for tag in OWNERS {
        let own_sites: Vec<Site> = sites
            .iter()
            .filter(|s| tag_of_host(&s.host) == tag)
            .cloned()
            .collect();
        assert_eq!(own_sites.len() as i64, weight(tag), "sites of {tag}");
        let own_entities: Vec<Entity> = entities
            .iter()
            .filter(|e| e.input.name.starts_with(&format!("南宁市范围{tag}")))
            .cloned()
            .collect();
        let (mut fetches, mut findings, mut clues) = (Vec::new(), Vec::new(), Vec::new());
        for site in &own_sites {
            fx.site_owner.insert(site.id, tag);
            offset += 10;
            let f = fetch(sweep, site, SWEEP_FILE, offset);
            let finding = NewFinding {
                sweep_id: sweep,
                site_id: site.id,
                fetch_id: None,
                url: f.url.clone(),
                category: Category::AdAbsoluteTerm,
                rule_id: format!("scope.{tag}"),
                rule_pack: "core@1".into(),
                severity: Category::AdAbsoluteTerm.severity(),
                excerpt: format!("{} 全网最低价", site.host),
                location: "text".into(),
                evidence: f.evidence.clone(),
                found_at: crate::at(T0 + 101),
                suppressed: None,
            };
            fetches.push(store.record_fetch(&f, &[finding]).await.unwrap());
            let finding = store
                .list_findings(
                    Scope::City,
                    &FindingFilter {
                        site_id: Some(site.id),
                        ..FindingFilter::default()
                    },
                )
                .await
                .unwrap()[0]
                .id;
            findings.push(finding);
            clues.push(
                store
                    .create_clue(
                        &NewClue {
                            site_id: site.id,
                            findings: vec![finding],
                            summary: "绝对化用语".into(),
                        },
                        &Actor::system("test"),
                    )
                    .await
                    .unwrap(),
            );
            store
                .save_frontier(sweep, site.id, &serde_json::json!({ "site": site.host }))
                .await
                .unwrap();
        }
        for e in &own_entities {
            fx.entity_owner.insert(e.id, tag);
        }
        // An inspector's capture of the first site, for its clue, in a file of its own.
        let first = &own_sites[0];
        let capture = store
            .create_capture(first.id, Some(clues[0]))
            .await
            .unwrap();
        let capture_file = format!("capture-{tag}.warc.gz");
        store
            .record_fetch(&fetch(capture, first, &capture_file, 0), &[])
            .await
            .unwrap();
        let discovered = match own_entities.first() {
            Some(e) => {
                let d = discovered
                    .iter()
                    .find(|d| d.host == format!("found-{tag}.test"))
                    .expect("the owner's discovery");
                store
                    .set_proposal(
                        d.id,
                        Some(&Proposal {
                            entity: e.id,
                            basis: ProposalBasis::Text {
                                text: "its pages show the USCC".into(),
                            },
                        }),
                    )
                    .await
                    .unwrap();
                d.id
            }
            None => {
                discovered
                    .iter()
                    .find(|d| d.site_id == Some(first.id))
                    .expect("x's discovery")
                    .id
            }
        };
        for subject in [
            CustodySubject::record(SWEEP_FILE, offset - 10 * (weight(tag) - 1)),
            CustodySubject::record(&capture_file, 5000),
            CustodySubject::Site(SiteAddress::from_parts(&first.host, &first.path_prefix)),
            CustodySubject::Clue(clues[0]),
            CustodySubject::Sweep(capture),
        ] {
            fx.subject_owner.insert(subject.to_string(), tag);
        }
        let capture_request = store
            .create_capture_request(
                &NewCaptureRequest {
                    url: format!("http://{}{}", first.host, first.path_prefix),
                    site_id: first.id,
                    clue_id: Some(clues[0]),
                    reason: "scope".into(),
                    requested_by: requester.id,
                },
                &Actor::system("test"),
            )
            .await
            .unwrap()
            .id;
        let case = match own_entities.first() {
            Some(e) => {
                let id = store
                    .open_case(
                        &NewCase {
                            site_id: first.id,
                            entity_id: Some(e.id),
                            district: domain::DistrictCode::parse(district_of(tag)).unwrap(),
                            summary: "scope".into(),
                            clues: vec![(clues[0], ClueState::New)],
                            officers: vec![],
                            number_prefix: format!("scope-{tag}-"),
                            decide_by: chrono::NaiveDate::from_ymd_opt(2024, 6, 1).unwrap(),
                        },
                        &Actor::system("test"),
                    )
                    .await
                    .unwrap();
                let outcome = store
                    .add_outcome(
                        id,
                        CaseStage::Registered,
                        &OutcomeDetail::Rectification {
                            due_on: chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
                            urls: vec![format!("http://{}/", first.host)],
                            recheck_sweep: None,
                            rechecked_at: None,
                            compliant: None,
                        },
                        &Actor::system("test"),
                    )
                    .await
                    .unwrap();
                Some((id, outcome))
            }
            None => None,
        };
        // An inspection for the first entity's case with an attachment, and one without a
        // case.
        let (mut inspections, mut attachment) = (Vec::new(), None);
        if let (Some(e), Some((k, _))) = (own_entities.first(), case) {
            let sha = format!("{:0>64}", format!("{:x}", u32::from(tag)));
            for case_id in [Some(k), None] {
                let got = store
                    .record_inspection(
                        Scope::City,
                        &NewInspection {
                            entity_id: e.id,
                            case_id,
                            inspected_at: crate::at(T0 + 50),
                            place: "现场".into(),
                            result: InspectionResult::Violation,
                            notes: "scope".into(),
                            officers: vec![requester.id],
                            attachments: if case_id.is_some() {
                                vec![NewAttachment {
                                    sha256: sha.clone(),
                                    size: 10,
                                    media_type: "image/png".into(),
                                    file_name: format!("{tag}.png"),
                                }]
                            } else {
                                vec![]
                            },
                            created_by: requester.id,
                        },
                        &Actor::system("test"),
                    )
                    .await
                    .unwrap();
                inspections.push(got.id);
            }
            attachment = Some(
                store
                    .inspection_attachments(Scope::City, inspections[0])
                    .await
                    .unwrap()[0]
                    .id,
            );
            fx.subject_owner
                .insert(CustodySubject::attachment(&sha).unwrap().to_string(), tag);
        }
        let credit = match (own_entities.first(), case) {
            (Some(e), Some((k, _))) => {
                let sys = Actor::system("test");
                let day = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
                let listing = store
                    .add_listing(
                        Scope::City,
                        &ListingInput {
                            entity_id: e.id,
                            list: domain::ListKind::SeriousViolation,
                            cause: "scope".into(),
                            decision_no: Some(format!("scope-{tag}")),
                            listed_on: day,
                        },
                        &sys,
                    )
                    .await
                    .unwrap()
                    .id;
                let repair = store
                    .add_repair(
                        Scope::City,
                        &NewRepair {
                            listing_id: listing,
                            applicant: "scope".into(),
                            statement: "scope".into(),
                            applied_on: day,
                        },
                        &sys,
                    )
                    .await
                    .unwrap()
                    .id;
                let commitment = store
                    .add_commitment(
                        Scope::City,
                        &NewCommitment {
                            entity_id: e.id,
                            made_on: day,
                            text: "scope".into(),
                        },
                        &sys,
                    )
                    .await
                    .unwrap()
                    .id;
                store
                    .add_evaluation(
                        Scope::City,
                        requester.id,
                        &NewEvaluation {
                            entity_id: e.id,
                            score: 80,
                            evaluated_on: day,
                            summary: "scope".into(),
                        },
                        &sys,
                    )
                    .await
                    .unwrap();
                store
                    .add_outcome(
                        k,
                        CaseStage::Registered,
                        &OutcomeDetail::Penalty {
                            decision_no: format!("scope-{tag}"),
                            legal_basis: "scope".into(),
                            fine_fen: 100,
                            confiscation: None,
                        },
                        &sys,
                    )
                    .await
                    .unwrap();
                // Decided (its penalty public) without moving its stage; and scored.
                test.exec_raw(&format!(
                    "UPDATE cases SET decided_at = opened_at WHERE id = {}",
                    k.0
                ))
                .await
                .unwrap();
                test.exec_raw(&format!(
                    "INSERT INTO credit_scores (entity_id, score, score_class, class, override, \
                     index_version, points, computed_at) VALUES ({}, 80.0, 'B', 'B', NULL, \
                     'scope', '{{}}', '2024-03-01T00:00:00+00:00')",
                    e.id.0
                ))
                .await
                .unwrap();
                Some((listing, repair, commitment))
            }
            _ => None,
        };
        fx.owners.push(Owner {
            credit,
            tag,
            entities: own_entities,
            sites: own_sites,
            fetches,
            findings,
            clues,
            capture,
            capture_request,
            discovered,
            case,
            inspections,
            attachment,
        });
    }
    // The first fetch of each owner is the record its custody row names.
    for o in &fx.owners {
        let f = store
            .fetch(Scope::City, o.fetches[0])
            .await
            .unwrap()
            .unwrap();
        let p = f.fetch.evidence.unwrap();
        assert_eq!(
            fx.subject_owner
                .get(&CustodySubject::record(&p.warc_file, p.offset).to_string()),
            Some(&o.tag)
        );
    }
    for subject in [
        CustodySubject::attachment(&"f".repeat(64))
            .unwrap()
            .to_string(),
        CustodySubject::Sweep(sweep).to_string(),
        CustodySubject::record(SWEEP_FILE, 999_999).to_string(),
        CustodySubject::record("no-fetches.warc.gz", 0).to_string(),
        "not a subject".to_string(),
    ] {
        fx.subject_owner.insert(subject, 'z');
    }
    for (subject, _) in fx.subject_owner.clone() {
        store
            .append_custody(&NewCustody {
                actor: "user:test".into(),
                action: CustodyAction::View,
                subject,
                reason: NO_REASON.into(),
            })
            .await
            .unwrap();
    }

    // Filings, joined by USCC, naming the entity's own domain; `a`'s second filing names the
    // domain of `b`'s site (a conflict whose other party only a scope with `b` may see).
    let mut filings = Vec::new();
    for o in &fx.owners {
        for (e, s) in o.entities.iter().zip(&o.sites) {
            filings.push(FilingInput {
                source: "telecom".into(),
                record_key: format!("own-{}", e.id),
                kind: "icp".into(),
                uscc: Some(e.input.uscc.clone()),
                domain: Some(s.host.clone()),
                name: None,
                number: None,
                scope: None,
                valid_from: None,
                valid_until: None,
                status: None,
                address: None,
                fields: BTreeMap::new(),
            });
        }
    }
    filings.push(FilingInput {
        record_key: "other-domain".into(),
        domain: Some(fx.owner('b').sites[0].host.clone()),
        ..filings[0].clone()
    });
    store.upsert_filings(&filings).await.unwrap();
    // A campaign over every site, its period around the test clock, and a re-check of every
    // site that saw each site's finding again.
    let all: Vec<SiteId> = fx.site_owner.keys().copied().collect();
    fx.campaign = Some(
        store
            .create_campaign(
                &NewCampaign {
                    name: "scope".into(),
                    starts_on: chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap(),
                    ends_on: chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
                    targets: CampaignTargets {
                        sites: all.clone(),
                        ..CampaignTargets::default()
                    },
                    packs: vec![],
                    schedule: String::new(),
                },
                &all,
                &Actor::system("test"),
            )
            .await
            .unwrap()
            .id,
    );
    let recheck = store.create_recheck(all[0]).await.unwrap();
    for o in &fx.owners {
        let site = &o.sites[0];
        let mut seen = Vec::new();
        for f in &o.findings {
            let mut again = store
                .finding(Scope::City, *f)
                .await
                .unwrap()
                .unwrap()
                .finding;
            again.sweep_id = recheck;
            seen.push(again);
        }
        // Not reached (no status, no record): not a page, no evidence.
        let mut f = fetch(recheck, site, SWEEP_FILE, 0);
        f.status = None;
        f.evidence = None;
        store.record_recheck_fetch(&f, &seen).await.unwrap();
    }
    fx.recheck = Some(recheck);
    // A sampling plan and a draw of each registered owner's first entity.
    let plan = store
        .create_sampling_plan(
            &NewSamplingPlan {
                name: "scope".into(),
                items: vec!["亮照经营".into()],
                filter: PopulationFilter::default(),
                ratios: BTreeMap::from([(domain::CreditClass::B, "1".to_string())]),
                exclude_same_district: false,
                inspectors_per_entity: 1,
                inspectors: vec![fx.user],
            },
            &Actor::system("test"),
        )
        .await
        .unwrap();
    let drawn: Vec<NewDrawEntity> = fx
        .owners
        .iter()
        .filter_map(|o| o.entities.first())
        .map(|e| NewDrawEntity {
            entity_id: e.id,
            uscc: e.input.uscc.clone(),
            class: domain::CreditClass::B,
            district: e.input.district,
            excluded: "[]".into(),
            inspectors: vec![fx.user],
        })
        .collect();
    fx.draw = Some(
        store
            .save_draw(
                &NewDraw {
                    plan: plan.id,
                    seed: "scope".into(),
                    algorithm: "wangjian-draw-1".into(),
                    ratios: "{}".into(),
                    population: "[]".into(),
                    pool: "[]".into(),
                    entities: drawn,
                },
                &Actor::system("test"),
            )
            .await
            .unwrap()
            .id,
    );
    // Every registered entity has a grade (class A), archived once.
    let grades: Vec<NewGrade> = fx
        .owners
        .iter()
        .flat_map(|o| o.entities.iter())
        .map(|e| NewGrade {
            entity: e.id,
            score: 90.0,
            score_class: domain::CreditClass::A,
            class: domain::CreditClass::A,
            overridden: None,
            index_version: "1".into(),
            points: "{}".into(),
            computed_at: crate::at(T0),
        })
        .collect();
    store
        .write_credit_grades(&grades, crate::at(T0))
        .await
        .unwrap();
    // Complaints: about each registered owner's first entity, and one matched to nothing.
    for (n, o) in ['a', 'b', 'c', 'd', 'x'].into_iter().enumerate() {
        let entity = (o != 'x').then(|| fx.owner(o).entities[0].id);
        let day = chrono::NaiveDate::from_ymd_opt(2099, 1, 1).unwrap();
        let new = NewComplaint {
            tracking_number: domain::TrackingNumber::new(day, n as u64),
            kind: domain::ComplaintKind::Both,
            channel: domain::ComplaintChannel::Portal,
            subject: Subject {
                name: format!("{o}"),
                ..Subject::default()
            },
            entity_id: entity,
            site_id: None,
            district: None,
            body: format!("complaint of {o}"),
            complainant: Complainant {
                name: "张三".into(),
                phone: Some("13800000000".into()),
                email: None,
            },
            dedup_hash: format!("{o}"),
            accept_by: day,
            verify_by: Some(day),
        };
        let Intake::Filed(c) = store
            .file_complaint(&new, chrono::Duration::minutes(10), &Actor::system("test"))
            .await
            .unwrap()
        else {
            panic!("filed")
        };
        fx.complaints.insert(c.id, o);
    }
    fx
}

/// The scopes asked, and the owners each may see.
fn scopes(fx: &Fixture) -> Vec<(&'static str, Scope, &'static str)> {
    let d = |code: &str| domain::DistrictCode::parse(code).unwrap();
    vec![
        ("city", Scope::City, "abcdxz"),
        ("one district", Scope::district(d("450103")), "a"),
        (
            "two districts",
            Scope::Districts(Arc::from([d("450103"), d("450102")])),
            "ab",
        ),
        (
            "an evaluator's entities",
            Scope::Entities(fx.owner('c').entities.iter().map(|e| e.id).collect()),
            "c",
        ),
        ("no districts", Scope::Districts(Arc::from([])), ""),
        ("no entities", Scope::Entities(Arc::from([])), ""),
    ]
}

/// How many rows each owner contributes to a count.
type PerOwner = fn(char) -> i64;

/// What a method returned: the owners of its rows, or counts (each with how many rows every
/// owner contributes).
enum Seen {
    Owners(BTreeSet<char>),
    Counts(Vec<(i64, PerOwner)>),
}

fn owners(it: impl IntoIterator<Item = char>) -> Seen {
    Seen::Owners(it.into_iter().collect())
}

/// The owners whose id answers (`$body` true), asking each owner's id in turn.
macro_rules! per_owner {
    ($fx:expr, |$o:ident| $body:expr) => {{
        let mut out = BTreeSet::new();
        for $o in &$fx.owners {
            if $body {
                out.insert($o.tag);
            }
        }
        Seen::Owners(out)
    }};
}

/// Every read method with a scope: what it returns in `scope`, and which owners it can return
/// at all.
const METHODS: &[&str] = &[
    "complaint",
    "list_complaints",
    "count_complaints",
    "complaint_events",
    "complaint_counts",
    "entity_by_uscc",
    "entity",
    "entities_by_ids",
    "count_entities",
    "list_entities",
    "count_entities_in",
    "entities_since",
    "entities_by_icp",
    "entities_by_name",
    "entity_history",
    "entity_sites",
    "entity_filings",
    "list_discovered",
    "count_discovered",
    "discovery_stats",
    "discovered",
    "list_sites",
    "count_sites",
    "site",
    "site_for_url",
    "pending_sites",
    "frontier",
    "fetched_urls",
    "site_fetches",
    "sweep_fetches",
    "last_validators",
    "site_history",
    "fetch",
    "finding",
    "pages_after",
    "list_findings",
    "count_findings",
    "finding_counts",
    "findings_per_week",
    "sweep_progress",
    "new_findings",
    "totals",
    "triage_finding",
    "rule_triage",
    "clue",
    "list_clues",
    "count_clues",
    "clue_fetches",
    "sweep_findings",
    "sweep_findings_after",
    "case",
    "list_cases",
    "count_cases",
    "case_outcomes",
    "outcomes_of_cases",
    "outcome_counts",
    "outcome",
    "due_rectifications",
    "custody",
    "capture_request",
    "list_capture_requests",
    "step_capture_request",
    "record_inspection",
    "inspection",
    "list_inspections",
    "count_inspections",
    "inspection_attachments",
    "attachment",
    "case_ref",
    "recheck_findings",
    "select_sites",
    "figures",
    "figure_records",
    "sampling_population",
    "sampling_draw",
    "list_draws",
    "link_draw_inspection",
    "add_listing",
    "remove_credit_listing",
    "credit_listing",
    "credit_listings",
    "count_credit_listings",
    "add_repair",
    "decide_repair",
    "repair",
    "repairs",
    "add_evaluation",
    "evaluations",
    "count_evaluations",
    "add_commitment",
    "break_commitment",
    "commitment",
    "commitments",
    "entity_penalties",
    "credit_grade",
    "credit_history",
    "credit_events",
    "credit_distribution",
    "list_credit_scores",
    "count_credit_scores",
    // In this order: a designation in scope is listed, then removed again.
    "designate_model_site",
    "model_sites",
    "remove_model_site",
    "entities_named",
    "add_badge",
    "change_badge",
    "badge",
    "badge_by_tracking",
    "badges",
    "count_badges",
];

/// An application for the entity `e`, unique by `n`.
fn scope_badge(e: EntityId, n: &str) -> NewBadge {
    NewBadge {
        entity_id: e,
        domain: format!("b{}-{n}.scope.test", e.0),
        contact: "x".into(),
        method: domain::ProofMethod::WellKnown,
        tracking: format!("scope-{}-{n}", e.0),
        proof_token: "t".into(),
    }
}

/// Every owner's first entity has an application (made once, in the city's scope); its
/// serial per owner.
async fn owner_badges(store: &dyn Store, fx: &Fixture) -> BTreeMap<char, domain::BadgeSerial> {
    let mut out = BTreeMap::new();
    for o in &fx.owners {
        let Some(e) = o.entities.first() else {
            continue;
        };
        let b = match store
            .badge_by_tracking(Scope::City, &format!("scope-{}-fixed", e.id.0))
            .await
            .unwrap()
        {
            Some(b) => b,
            None => store
                .add_badge(
                    Scope::City,
                    &scope_badge(e.id, "fixed"),
                    &Actor::system("test"),
                )
                .await
                .unwrap(),
        };
        out.insert(o.tag, b.serial);
    }
    out
}

fn entities_weight(o: char) -> i64 {
    if o == 'x' {
        0
    } else {
        weight(o)
    }
}

/// Every site has one sweep fetch; each owner's first site also one capture fetch and one
/// re-check fetch.
fn fetches_weight(o: char) -> i64 {
    weight(o) + 2
}

async fn seen(
    store: &dyn Store,
    fx: &Fixture,
    scope: &Scope,
    method: &str,
) -> (&'static str, Seen) {
    let sc = || scope.clone();
    const REGISTER: &str = "abcd";
    const ALL: &str = "abcdx";
    // An evaluator's scope holds no complaint (the complainant's data is for staff).
    let complaints_possible = if matches!(scope, Scope::Entities(_)) {
        ""
    } else {
        ALL
    };
    let complaint_owners = |list: &[Complaint]| {
        owners(list.iter().map(|c| {
            *fx.complaints
                .get(&c.id)
                .expect("a complaint of the fixture")
        }))
    };
    match method {
        "complaint" => {
            let mut out = BTreeSet::new();
            for (id, o) in &fx.complaints {
                if store.complaint(sc(), *id).await.unwrap().is_some() {
                    out.insert(*o);
                }
            }
            (complaints_possible, Seen::Owners(out))
        }
        "complaint_events" => {
            let mut out = BTreeSet::new();
            for (id, o) in &fx.complaints {
                if !store.complaint_events(sc(), *id).await.unwrap().is_empty() {
                    out.insert(*o);
                }
            }
            (complaints_possible, Seen::Owners(out))
        }
        "list_complaints" => {
            let list = store
                .list_complaints(sc(), &ComplaintFilter::default())
                .await
                .unwrap();
            (complaints_possible, complaint_owners(&list))
        }
        "count_complaints" => {
            let list = store
                .list_complaints(sc(), &ComplaintFilter::default())
                .await
                .unwrap();
            let n = store
                .count_complaints(sc(), &ComplaintFilter::default())
                .await
                .unwrap();
            assert_eq!(n, list.len() as i64, "count_complaints");
            (complaints_possible, complaint_owners(&list))
        }
        "complaint_counts" => {
            let day = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
            let c = store.complaint_counts(sc(), day).await.unwrap();
            (
                complaints_possible,
                Seen::Counts(vec![(c.received, |_| 1), (c.overdue, |_| 0)]),
            )
        }
        "entity_by_uscc" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some(e) = o.entities.first() else {
                    continue;
                };
                store
                    .entity_by_uscc(sc(), &e.input.uscc)
                    .await
                    .unwrap()
                    .is_some()
            }),
        ),
        "entity" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some(e) = o.entities.first() else {
                    continue;
                };
                store.entity(sc(), e.id).await.unwrap().is_some()
            }),
        ),
        "count_entities" => (
            REGISTER,
            Seen::Counts(vec![(
                store.count_entities(sc()).await.unwrap(),
                entities_weight,
            )]),
        ),
        "list_entities" => {
            let list = store
                .list_entities(sc(), &EntityFilter::default())
                .await
                .unwrap();
            (REGISTER, owners(list.iter().map(|e| fx.of_entity(e.id))))
        }
        // A count must be its scoped list's length (so it cannot ignore the scope the list
        // keeps); the list's owners are what the scope is checked on.
        "count_entities_in" => {
            let list = store
                .list_entities(sc(), &EntityFilter::default())
                .await
                .unwrap();
            let n = store
                .count_entities_in(sc(), &EntityFilter::default())
                .await
                .unwrap();
            assert_eq!(n, list.len() as i64, "count_entities_in");
            (REGISTER, owners(list.iter().map(|e| fx.of_entity(e.id))))
        }
        "entities_since" => {
            let list = store.entities_since(sc(), 0, 1000).await.unwrap();
            (
                REGISTER,
                owners(list.iter().map(|(_, e)| fx.of_entity(e.id))),
            )
        }
        "entities_by_icp" => {
            let list = store.entities_by_icp(sc(), ICP_FILING).await.unwrap();
            (REGISTER, owners(list.iter().map(|e| fx.of_entity(e.id))))
        }
        // Every entity of every owner asked at once: only those in scope come back.
        "entities_by_ids" => {
            let ids: Vec<EntityId> = fx
                .owners
                .iter()
                .flat_map(|o| o.entities.iter().map(|e| e.id))
                .collect();
            let list = store.entities_by_ids(sc(), &ids).await.unwrap();
            (REGISTER, owners(list.iter().map(|e| fx.of_entity(e.id))))
        }
        "entities_by_name" => {
            let list = store
                .entities_by_name(sc(), SHARED_FORMER_NAME)
                .await
                .unwrap();
            (REGISTER, owners(list.iter().map(|e| fx.of_entity(e.id))))
        }
        "credit_grade" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some(e) = o.entities.first() else {
                    continue;
                };
                store.credit_grade(sc(), e.id).await.unwrap().is_some()
            }),
        ),
        "credit_history" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some(e) = o.entities.first() else {
                    continue;
                };
                !store.credit_history(sc(), e.id).await.unwrap().is_empty()
            }),
        ),
        "credit_events" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some(e) = o.entities.first() else {
                    continue;
                };
                !store
                    .credit_events(sc(), e.id, 5)
                    .await
                    .unwrap()
                    .findings
                    .is_empty()
            }),
        ),
        "credit_distribution" => {
            let n: i64 = store
                .credit_distribution(sc())
                .await
                .unwrap()
                .iter()
                .map(|c| c.count)
                .sum();
            (REGISTER, Seen::Counts(vec![(n, entities_weight)]))
        }
        "list_credit_scores" => {
            let list = store
                .list_credit_scores(sc(), &CreditFilter::default())
                .await
                .unwrap();
            (
                REGISTER,
                owners(list.iter().map(|g| fx.of_entity(g.entity))),
            )
        }
        "count_credit_scores" => (
            REGISTER,
            Seen::Counts(vec![(
                store
                    .count_credit_scores(sc(), &CreditFilter::default())
                    .await
                    .unwrap(),
                entities_weight,
            )]),
        ),
        "entity_history" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some(e) = o.entities.first() else {
                    continue;
                };
                !store.entity_history(sc(), e.id).await.unwrap().is_empty()
            }),
        ),
        "entity_sites" => {
            let mut out = BTreeSet::new();
            for o in &fx.owners {
                for e in o.entities.iter().take(1) {
                    for s in store.entity_sites(sc(), e.id).await.unwrap() {
                        out.insert(fx.of_site(s.id));
                    }
                }
            }
            (REGISTER, Seen::Owners(out))
        }
        "entity_filings" => {
            let mut out = BTreeSet::new();
            for o in &fx.owners {
                for e in o.entities.iter().take(1) {
                    for f in store.entity_filings(sc(), e.id).await.unwrap() {
                        out.insert(fx.of_entity(f.entity_id.expect("joined")));
                        if let Some((other, _)) = f.domain_entity {
                            out.insert(fx.of_entity(other));
                        }
                    }
                }
            }
            (REGISTER, Seen::Owners(out))
        }
        "list_discovered" => {
            let list = store
                .list_discovered(sc(), &DiscoveryFilter::default())
                .await
                .unwrap();
            (
                ALL,
                owners(
                    list.iter()
                        .map(|d| d.proposed_entity.map_or('x', |e| fx.of_entity(e))),
                ),
            )
        }
        "count_discovered" => {
            let list = store
                .list_discovered(sc(), &DiscoveryFilter::default())
                .await
                .unwrap();
            let n = store
                .count_discovered(sc(), &DiscoveryFilter::default())
                .await
                .unwrap();
            assert_eq!(n, list.len() as i64, "count_discovered");
            (
                ALL,
                owners(
                    list.iter()
                        .map(|d| d.proposed_entity.map_or('x', |e| fx.of_entity(e))),
                ),
            )
        }
        "discovery_stats" => {
            // The counts are of the discovered sites the list shows: the same owners.
            let list = store
                .list_discovered(sc(), &DiscoveryFilter::default())
                .await
                .unwrap();
            let stats = store.discovery_stats(sc()).await.unwrap();
            let total: i64 = stats.iter().map(|s| s.total).sum();
            assert_eq!(total, list.len() as i64, "discovery_stats");
            (
                ALL,
                owners(
                    list.iter()
                        .map(|d| d.proposed_entity.map_or('x', |e| fx.of_entity(e))),
                ),
            )
        }
        "discovered" => (
            ALL,
            per_owner!(fx, |o| {
                store
                    .discovered(sc(), o.discovered)
                    .await
                    .unwrap()
                    .is_some()
            }),
        ),
        "list_sites" => {
            let list = store
                .list_sites(sc(), &SiteFilter::default())
                .await
                .unwrap();
            (ALL, owners(list.iter().map(|s| fx.of_site(s.id))))
        }
        "count_sites" => {
            let list = store
                .list_sites(sc(), &SiteFilter::default())
                .await
                .unwrap();
            let n = store
                .count_sites(sc(), &SiteFilter::default())
                .await
                .unwrap();
            assert_eq!(n, list.len() as i64, "count_sites");
            (ALL, owners(list.iter().map(|s| fx.of_site(s.id))))
        }
        "site" => (
            ALL,
            per_owner!(fx, |o| {
                store.site(sc(), o.sites[0].id).await.unwrap().is_some()
            }),
        ),
        "site_for_url" => (
            ALL,
            per_owner!(fx, |o| {
                store
                    .site_for_url(sc(), &o.sites[0].host, "/index.html")
                    .await
                    .unwrap()
                    .is_some()
            }),
        ),
        "pending_sites" => {
            let list = store.pending_sites(sc(), fx.sweep).await.unwrap();
            (ALL, owners(list.iter().map(|s| fx.of_site(s.id))))
        }
        "frontier" => (
            ALL,
            per_owner!(fx, |o| {
                store
                    .frontier(sc(), fx.sweep, o.sites[0].id)
                    .await
                    .unwrap()
                    .is_some()
            }),
        ),
        "fetched_urls" => (
            ALL,
            per_owner!(fx, |o| {
                !store
                    .fetched_urls(sc(), fx.sweep, o.sites[0].id)
                    .await
                    .unwrap()
                    .is_empty()
            }),
        ),
        "site_fetches" => {
            let mut out = BTreeSet::new();
            for o in &fx.owners {
                for f in store.site_fetches(sc(), o.sites[0].id, 10).await.unwrap() {
                    out.insert(fx.of_site(f.fetch.site_id));
                }
            }
            (ALL, Seen::Owners(out))
        }
        "sweep_fetches" => {
            let list = store.sweep_fetches(sc(), fx.sweep).await.unwrap();
            let mut out: BTreeSet<char> =
                list.iter().map(|f| fx.of_site(f.fetch.site_id)).collect();
            for o in &fx.owners {
                for f in store.sweep_fetches(sc(), o.capture).await.unwrap() {
                    out.insert(fx.of_site(f.fetch.site_id));
                }
            }
            (ALL, Seen::Owners(out))
        }
        "last_validators" => (
            ALL,
            per_owner!(fx, |o| {
                !store
                    .last_validators(sc(), o.sites[0].id, SweepId(i64::MAX))
                    .await
                    .unwrap()
                    .is_empty()
            }),
        ),
        "site_history" => (
            ALL,
            per_owner!(fx, |o| {
                !store
                    .site_history(sc(), o.sites[0].id, 0)
                    .await
                    .unwrap()
                    .is_empty()
            }),
        ),
        "fetch" => (
            ALL,
            per_owner!(fx, |o| {
                store.fetch(sc(), o.fetches[0]).await.unwrap().is_some()
            }),
        ),
        "finding" => (
            ALL,
            per_owner!(fx, |o| {
                store.finding(sc(), o.findings[0]).await.unwrap().is_some()
            }),
        ),
        "pages_after" => {
            let list = store.pages_after(sc(), 0, 1000).await.unwrap();
            (
                ALL,
                owners(list.iter().map(|p| fx.of_site(p.fetch.fetch.site_id))),
            )
        }
        "list_findings" => {
            let list = store
                .list_findings(sc(), &FindingFilter::default())
                .await
                .unwrap();
            (
                ALL,
                owners(list.iter().map(|f| fx.of_site(f.finding.site_id))),
            )
        }
        "count_findings" => (
            ALL,
            Seen::Counts(vec![(
                store
                    .count_findings(sc(), &FindingFilter::default())
                    .await
                    .unwrap(),
                weight,
            )]),
        ),
        "finding_counts" => {
            let cells = store.finding_counts(sc()).await.unwrap();
            (
                ALL,
                Seen::Counts(vec![(cells.iter().map(|c| c.count).sum(), weight)]),
            )
        }
        "findings_per_week" => {
            // One week from long before the fixture to long after it: every finding.
            let monday = chrono::NaiveDate::from_ymd_opt(2000, 1, 3).unwrap();
            let weeks = [(monday, domain::time::day_start(monday))];
            let until = crate::at(T0 + 3650 * 86_400);
            let cells = store.findings_per_week(sc(), &weeks, until).await.unwrap();
            (
                ALL,
                Seen::Counts(vec![(cells.iter().map(|c| c.count).sum(), weight)]),
            )
        }
        "sweep_progress" => {
            // The fixture's sweep runs, none of its sites done.
            let p = store.sweep_progress(sc()).await.unwrap().unwrap();
            (
                ALL,
                Seen::Counts(vec![(p.planned, weight), (p.done, |_| 0)]),
            )
        }
        "new_findings" => {
            // No sweep finished in the fixture (the scope of the new findings themselves is
            // checked in `dashboard`).
            let n = store.new_findings(sc()).await.unwrap();
            let count = n.map_or(0, |n| n.counts.iter().map(|c| c.count).sum());
            (ALL, Seen::Counts(vec![(count, |_| 0)]))
        }
        "totals" => {
            let t = store.totals(sc()).await.unwrap();
            (
                ALL,
                Seen::Counts(vec![
                    (t.entities, entities_weight),
                    (t.sites, weight),
                    (t.fetches, fetches_weight),
                    (t.findings, weight),
                ]),
            )
        }
        "triage_finding" => (
            ALL,
            per_owner!(fx, |o| {
                let decision = TriageDecision {
                    decision: Triage::Confirmed,
                    reason: None,
                };
                match store
                    .triage_finding(sc(), o.findings[0], &decision, &Actor::system("test"))
                    .await
                {
                    Ok(f) => {
                        assert_eq!(f.id, o.findings[0]);
                        true
                    }
                    Err(StoreError::NotFound(_)) => false,
                    Err(e) => panic!("triage_finding: {e}"),
                }
            }),
        ),
        "rule_triage" => {
            let rules = store.rule_triage(sc()).await.unwrap();
            let tags = rules.iter().map(|r| {
                r.rule_id
                    .strip_prefix("scope.")
                    .and_then(|t| t.chars().next())
                    .expect("a rule of the fixture")
            });
            (ALL, owners(tags))
        }
        "clue" => (
            ALL,
            per_owner!(fx, |o| {
                store.clue(sc(), o.clues[0]).await.unwrap().is_some()
            }),
        ),
        "list_clues" => {
            let list = store
                .list_clues(sc(), &ClueFilter::default())
                .await
                .unwrap();
            (ALL, owners(list.iter().map(|c| fx.of_site(c.site_id))))
        }
        "recheck_findings" => {
            let list = store
                .recheck_findings(sc(), fx.recheck.unwrap())
                .await
                .unwrap();
            (
                ALL,
                owners(list.iter().map(|f| fx.of_site(f.finding.site_id))),
            )
        }
        "select_sites" => {
            let list = store
                .select_sites(sc(), &SiteSelection::default())
                .await
                .unwrap();
            (ALL, owners(list.iter().map(|s| fx.of_site(*s))))
        }
        "sampling_population" => {
            let list = store
                .sampling_population(sc(), &PopulationFilter::default())
                .await
                .unwrap();
            (
                REGISTER,
                owners(list.iter().map(|r| fx.of_entity(r.entity_id))),
            )
        }
        "sampling_draw" => {
            let d = store
                .sampling_draw(sc(), fx.draw.unwrap())
                .await
                .unwrap()
                .expect("a draw is the city's: every scope finds it");
            (
                REGISTER,
                owners(d.entities.iter().map(|e| fx.of_entity(e.entity_id))),
            )
        }
        "list_draws" => {
            let d = store
                .sampling_draw(sc(), fx.draw.unwrap())
                .await
                .unwrap()
                .unwrap();
            let list = store.list_draws(sc(), None).await.unwrap();
            assert_eq!(list.len(), 1, "list_draws");
            assert_eq!(list[0].selected, d.entities.len() as i64, "list_draws");
            (
                REGISTER,
                owners(d.entities.iter().map(|e| fx.of_entity(e.entity_id))),
            )
        }
        "link_draw_inspection" => (
            REGISTER,
            per_owner!(fx, |o| {
                let (Some(e), Some(&i)) = (o.entities.first(), o.inspections.first()) else {
                    continue;
                };
                // The same inspection again changes nothing: every scope may ask.
                match store
                    .link_draw_inspection(sc(), fx.draw.unwrap(), e.id, i, &Actor::system("test"))
                    .await
                {
                    Ok(linked) => {
                        assert_eq!(linked.result.map(|r| r.inspection), Some(i));
                        true
                    }
                    Err(StoreError::NotFound(_)) => false,
                    Err(e) => panic!("link_draw_inspection: {e}"),
                }
            }),
        ),
        "figures" => {
            let period = Period {
                from: crate::at(T0 - 86_400 * 365),
                until: crate::at(T0 + 86_400 * 365),
            };
            let clues: i64 = store
                .figures(
                    sc(),
                    &store::ReportSubject {
                        campaign: fx.campaign,
                        period,
                    },
                    &Figure::CAMPAIGN,
                )
                .await
                .unwrap()
                .iter()
                .filter(|f| f.figure == Figure::Clues)
                .map(|f| f.value)
                .sum();
            (ALL, Seen::Counts(vec![(clues, weight)]))
        }
        "figure_records" => {
            let period = Period {
                from: crate::at(T0 - 86_400 * 365),
                until: crate::at(T0 + 86_400 * 365),
            };
            let list = store
                .figure_records(
                    sc(),
                    &store::ReportSubject {
                        campaign: fx.campaign,
                        period,
                    },
                    Figure::Clues,
                    None,
                    0,
                )
                .await
                .unwrap();
            let mut out = BTreeSet::new();
            for r in &list {
                let c = store
                    .clue(Scope::City, ClueId(r.id))
                    .await
                    .unwrap()
                    .unwrap();
                out.insert(fx.of_site(c.site_id));
            }
            (ALL, Seen::Owners(out))
        }
        "count_clues" => (
            ALL,
            Seen::Counts(vec![(
                store
                    .count_clues(sc(), &ClueFilter::default())
                    .await
                    .unwrap(),
                weight,
            )]),
        ),
        "clue_fetches" => {
            let mut out = BTreeSet::new();
            for o in &fx.owners {
                for f in store.clue_fetches(sc(), o.clues[0]).await.unwrap() {
                    out.insert(fx.of_site(f.fetch.site_id));
                }
            }
            (ALL, Seen::Owners(out))
        }
        "sweep_findings" => {
            let list = store.sweep_findings(sc(), fx.sweep).await.unwrap();
            (
                ALL,
                owners(list.iter().map(|f| fx.of_site(f.finding.site_id))),
            )
        }
        "sweep_findings_after" => {
            // A page of one row at a time, each after the last row's site.
            let mut out = BTreeSet::new();
            let mut after = None;
            while let Some(f) = store
                .sweep_findings_after(sc(), fx.sweep, after, 1)
                .await
                .unwrap()
                .pop()
            {
                out.insert(fx.of_site(f.finding.site_id));
                after = Some(f.finding.site_id);
            }
            (ALL, Seen::Owners(out))
        }
        "case" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some((case, _)) = o.case else { continue };
                store.case(sc(), case).await.unwrap().is_some()
            }),
        ),
        "list_cases" | "count_cases" => {
            let list = store
                .list_cases(sc(), &CaseFilter::default())
                .await
                .unwrap();
            let n = store
                .count_cases(sc(), &CaseFilter::default())
                .await
                .unwrap();
            assert_eq!(n, list.len() as i64, "count_cases");
            (REGISTER, owners(list.iter().map(|c| fx.of_site(c.site_id))))
        }
        "case_outcomes" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some((case, _)) = o.case else { continue };
                !store.case_outcomes(sc(), case).await.unwrap().is_empty()
            }),
        ),
        "outcomes_of_cases" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some((case, _)) = o.case else { continue };
                let got = store.outcomes_of_cases(sc(), &[case]).await.unwrap();
                assert!(got.iter().all(|x| x.case_id == case));
                !got.is_empty()
            }),
        ),
        "outcome_counts" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some((case, _)) = o.case else { continue };
                let got = store.outcome_counts(sc(), &[case]).await.unwrap();
                assert!(got.iter().all(|&(c, n)| c == case && n > 0), "{got:?}");
                !got.is_empty()
            }),
        ),
        "outcome" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some((_, outcome)) = o.case else { continue };
                store.outcome(sc(), outcome).await.unwrap().is_some()
            }),
        ),
        "due_rectifications" => {
            let day = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
            let list = store.due_rectifications(sc(), day).await.unwrap();
            (REGISTER, owners(list.iter().map(|d| fx.of_site(d.site_id))))
        }
        "capture_request" => (
            ALL,
            per_owner!(fx, |o| {
                store
                    .capture_request(sc(), o.capture_request)
                    .await
                    .unwrap()
                    .is_some()
            }),
        ),
        "list_capture_requests" => {
            let list = store
                .list_capture_requests(sc(), &CaptureRequestFilter::default())
                .await
                .unwrap();
            (ALL, owners(list.iter().map(|r| fx.of_site(r.site_id))))
        }
        // The first scope in scope cancels the request; later ones are refused by its state,
        // which also says it was found.
        "step_capture_request" => (
            ALL,
            per_owner!(fx, |o| {
                match store
                    .step_capture_request(
                        sc(),
                        o.capture_request,
                        &CaptureStep::Cancel,
                        &Actor::system("test"),
                    )
                    .await
                {
                    Ok(r) => {
                        assert_eq!(r.id, o.capture_request);
                        true
                    }
                    Err(StoreError::Step(_)) => true,
                    Err(StoreError::NotFound(_)) => false,
                    Err(e) => panic!("step_capture_request: {e}"),
                }
            }),
        ),
        "record_inspection" => (
            REGISTER,
            per_owner!(fx, |o| {
                let (Some(e), Some((k, _))) = (o.entities.first(), o.case) else {
                    continue;
                };
                let new = NewInspection {
                    entity_id: e.id,
                    case_id: Some(k),
                    inspected_at: crate::at(T0),
                    place: "现场".into(),
                    result: InspectionResult::Other,
                    notes: String::new(),
                    officers: vec![fx.user],
                    attachments: vec![],
                    created_by: fx.user,
                };
                match store
                    .record_inspection(sc(), &new, &Actor::system("test"))
                    .await
                {
                    // It adds an inspection without files: the reads below count by their
                    // lists, so it changes no owner they see.
                    Ok(i) => {
                        assert_eq!(i.entity_id, e.id);
                        true
                    }
                    Err(StoreError::NotFound(_)) => false,
                    Err(e) => panic!("record_inspection: {e}"),
                }
            }),
        ),
        "inspection" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some(&i) = o.inspections.first() else {
                    continue;
                };
                store.inspection(sc(), i).await.unwrap().is_some()
            }),
        ),
        "list_inspections" => {
            let list = store
                .list_inspections(sc(), &InspectionFilter::default())
                .await
                .unwrap();
            (
                REGISTER,
                owners(list.iter().map(|i| fx.of_entity(i.entity_id))),
            )
        }
        "count_inspections" => {
            let list = store
                .list_inspections(sc(), &InspectionFilter::default())
                .await
                .unwrap();
            let n = store
                .count_inspections(sc(), &InspectionFilter::default())
                .await
                .unwrap();
            assert_eq!(n, list.len() as i64, "count_inspections");
            (
                REGISTER,
                owners(list.iter().map(|i| fx.of_entity(i.entity_id))),
            )
        }
        "inspection_attachments" => {
            let mut out = BTreeSet::new();
            for o in &fx.owners {
                for &i in &o.inspections {
                    for a in store.inspection_attachments(sc(), i).await.unwrap() {
                        assert_eq!(a.inspection_id, i);
                        out.insert(o.tag);
                    }
                }
            }
            (REGISTER, Seen::Owners(out))
        }
        "attachment" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some(a) = o.attachment else {
                    continue;
                };
                store.attachment(sc(), a).await.unwrap().is_some()
            }),
        ),
        "case_ref" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some((k, _)) = o.case else {
                    continue;
                };
                store.case_ref(sc(), k).await.unwrap().is_some()
            }),
        ),
        "custody" => {
            let all = store.custody(&CustodyFilter::all(sc())).await.unwrap();
            // About given subjects, and only the newest: the same rows, narrowed.
            let subjects: Vec<CustodySubject> = fx
                .subject_owner
                .keys()
                .filter_map(|s| s.parse().ok())
                .collect();
            let about = store
                .custody(&CustodyFilter::about(sc(), subjects.clone()))
                .await
                .unwrap();
            let parsed: Vec<&CustodyRecord> = all
                .iter()
                .filter(|r| r.subject.parse::<CustodySubject>().is_ok())
                .collect();
            assert_eq!(about.iter().collect::<Vec<_>>(), parsed, "custody about");
            let newest = store
                .custody(&CustodyFilter::all(sc()).newest(3))
                .await
                .unwrap();
            assert_eq!(newest, all[all.len().saturating_sub(3)..], "custody newest");
            let one = store
                .custody(&CustodyFilter::about(sc(), subjects.into_iter().take(1)).newest(1))
                .await
                .unwrap();
            assert!(one.len() <= 1);
            (
                "abcdxz",
                owners(all.iter().map(|r| fx.subject_owner[&r.subject])),
            )
        }
        // The lists: a write in scope succeeds or is refused by the row's state (which also
        // says it was found); outside the scope it is `NotFound`.
        "add_listing" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some(e) = o.entities.first() else {
                    continue;
                };
                let input = ListingInput {
                    entity_id: e.id,
                    list: domain::ListKind::SeriousViolation,
                    cause: "again".into(),
                    decision_no: None,
                    listed_on: chrono::NaiveDate::from_ymd_opt(2024, 3, 2).unwrap(),
                };
                found(
                    "add_listing",
                    store
                        .add_listing(sc(), &input, &Actor::system("test"))
                        .await,
                )
            }),
        ),
        "remove_credit_listing" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some((l, _, _)) = o.credit else { continue };
                let removal = Removal {
                    reason: domain::RemovalReason::Mistaken,
                    removed_on: chrono::NaiveDate::from_ymd_opt(2024, 3, 3).unwrap(),
                    note: None,
                };
                found(
                    "remove_credit_listing",
                    store
                        .remove_credit_listing(sc(), l, &removal, &Actor::system("test"))
                        .await,
                )
            }),
        ),
        "credit_listing" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some((l, _, _)) = o.credit else { continue };
                store.credit_listing(sc(), l).await.unwrap().is_some()
            }),
        ),
        "credit_listings" | "count_credit_listings" => {
            let f = ListingFilter::default();
            let list = store.credit_listings(sc(), &f).await.unwrap();
            let n = store.count_credit_listings(sc(), &f).await.unwrap();
            assert_eq!(n, list.len() as i64, "count_credit_listings");
            (
                REGISTER,
                owners(list.iter().map(|l| fx.of_entity(l.entity_id))),
            )
        }
        "add_repair" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some((l, _, _)) = o.credit else { continue };
                let new = NewRepair {
                    listing_id: l,
                    applicant: "again".into(),
                    statement: "again".into(),
                    applied_on: chrono::NaiveDate::from_ymd_opt(2024, 3, 2).unwrap(),
                };
                found(
                    "add_repair",
                    store.add_repair(sc(), &new, &Actor::system("test")).await,
                )
            }),
        ),
        "decide_repair" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some((_, r, _)) = o.credit else { continue };
                let d = RepairDecision::Refuse {
                    reason: "scope".into(),
                };
                found(
                    "decide_repair",
                    store
                        .decide_repair(sc(), r, &d, &Actor::system("test"))
                        .await,
                )
            }),
        ),
        "repair" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some((_, r, _)) = o.credit else { continue };
                store.repair(sc(), r).await.unwrap().is_some()
            }),
        ),
        "repairs" => {
            let list = store.repairs(sc(), &RepairFilter::default()).await.unwrap();
            (
                REGISTER,
                owners(list.iter().map(|r| fx.of_entity(r.entity_id))),
            )
        }
        "add_evaluation" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some(e) = o.entities.first() else {
                    continue;
                };
                let new = NewEvaluation {
                    entity_id: e.id,
                    score: 70,
                    evaluated_on: chrono::NaiveDate::from_ymd_opt(2024, 3, 2).unwrap(),
                    summary: "again".into(),
                };
                found(
                    "add_evaluation",
                    store
                        .add_evaluation(sc(), fx.user, &new, &Actor::system("test"))
                        .await,
                )
            }),
        ),
        "evaluations" | "count_evaluations" => {
            let list = store.evaluations(sc(), None, 0, 0).await.unwrap();
            let n = store.count_evaluations(sc(), None).await.unwrap();
            assert_eq!(n, list.len() as i64, "count_evaluations");
            (
                REGISTER,
                owners(list.iter().map(|v| fx.of_entity(v.entity_id))),
            )
        }
        "add_commitment" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some(e) = o.entities.first() else {
                    continue;
                };
                let new = NewCommitment {
                    entity_id: e.id,
                    made_on: chrono::NaiveDate::from_ymd_opt(2024, 3, 2).unwrap(),
                    text: "again".into(),
                };
                found(
                    "add_commitment",
                    store
                        .add_commitment(sc(), &new, &Actor::system("test"))
                        .await,
                )
            }),
        ),
        "break_commitment" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some((_, _, c)) = o.credit else { continue };
                found(
                    "break_commitment",
                    store
                        .break_commitment(
                            sc(),
                            c,
                            chrono::NaiveDate::from_ymd_opt(2024, 3, 4).unwrap(),
                            "scope",
                            &Actor::system("test"),
                        )
                        .await,
                )
            }),
        ),
        "commitment" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some((_, _, c)) = o.credit else { continue };
                store.commitment(sc(), c).await.unwrap().is_some()
            }),
        ),
        "commitments" => {
            let list = store.commitments(sc(), None).await.unwrap();
            (
                REGISTER,
                owners(list.iter().map(|c| fx.of_entity(c.entity_id))),
            )
        }
        "entity_penalties" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some(e) = o.entities.first() else {
                    continue;
                };
                !store.entity_penalties(sc(), e.id).await.unwrap().is_empty()
            }),
        ),
        "designate_model_site" => (
            REGISTER,
            per_owner!(fx, |o| {
                found(
                    "designate_model_site",
                    store
                        .designate_model_site(sc(), o.sites[0].id, None, &Actor::system("test"))
                        .await,
                )
            }),
        ),
        "model_sites" => {
            let list = store.model_sites(sc()).await.unwrap();
            (
                REGISTER,
                owners(list.iter().map(|m| fx.of_entity(m.entity_id))),
            )
        }
        "remove_model_site" => (
            REGISTER,
            per_owner!(fx, |o| {
                found(
                    "remove_model_site",
                    store
                        .remove_model_site(sc(), o.sites[0].id, &Actor::system("test"))
                        .await,
                )
            }),
        ),
        "entities_named" => {
            let list = store.entities_named(sc(), "南宁市范围", 0).await.unwrap();
            (REGISTER, owners(list.iter().map(|e| fx.of_entity(e.id))))
        }
        "add_badge" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some(e) = o.entities.first() else {
                    continue;
                };
                let n = format!("add-{}", uuid_like());
                found(
                    "add_badge",
                    store
                        .add_badge(sc(), &scope_badge(e.id, &n), &Actor::system("test"))
                        .await,
                )
            }),
        ),
        "change_badge" => (
            REGISTER,
            per_owner!(fx, |o| {
                let Some(e) = o.entities.first() else {
                    continue;
                };
                let n = format!("change-{}", uuid_like());
                let b = store
                    .add_badge(Scope::City, &scope_badge(e.id, &n), &Actor::system("test"))
                    .await
                    .unwrap();
                found(
                    "change_badge",
                    store
                        .change_badge(
                            sc(),
                            b.serial,
                            domain::BadgeState::Applied,
                            &BadgeChange::Refuse {
                                note: "scope".into(),
                            },
                            &Actor::system("test"),
                        )
                        .await,
                )
            }),
        ),
        "badge" => {
            let serials = owner_badges(store, fx).await;
            let mut seen = BTreeSet::new();
            for (tag, serial) in serials {
                if store.badge(sc(), serial).await.unwrap().is_some() {
                    seen.insert(tag);
                }
            }
            (REGISTER, Seen::Owners(seen))
        }
        "badge_by_tracking" => {
            owner_badges(store, fx).await;
            (
                REGISTER,
                per_owner!(fx, |o| {
                    let Some(e) = o.entities.first() else {
                        continue;
                    };
                    store
                        .badge_by_tracking(sc(), &format!("scope-{}-fixed", e.id.0))
                        .await
                        .unwrap()
                        .is_some()
                }),
            )
        }
        "badges" | "count_badges" => {
            owner_badges(store, fx).await;
            let all = BadgeFilter::default();
            let list = store.badges(sc(), &all).await.unwrap();
            let n = store.count_badges(sc(), &all).await.unwrap();
            assert_eq!(n, list.len() as i64, "count_badges");
            (
                REGISTER,
                owners(list.iter().map(|b| fx.of_entity(b.entity_id))),
            )
        }
        other => panic!("no table entry for {other}"),
    }
}

/// A text unique within the test process.
fn uuid_like() -> u64 {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
}

/// A write's answer: done or refused by the row's state (found), or `NotFound`.
fn found<T>(what: &str, r: Result<T>) -> bool {
    match r {
        Ok(_) | Err(StoreError::Conflict(_)) => true,
        Err(StoreError::NotFound(_)) => false,
        Err(e) => panic!("{what}: {e}"),
    }
}

fn expected_owners(possible: &str, allowed: &str) -> BTreeSet<char> {
    possible.chars().filter(|c| allowed.contains(*c)).collect()
}

async fn every_read_sees_exactly_its_scope(store: TestStore) {
    let fx = fixture(&store).await;
    let mut wrong = Vec::new();
    for (name, scope, allowed) in scopes(&fx) {
        for method in METHODS {
            let (possible, got) = seen(&*store, &fx, &scope, method).await;
            let want = expected_owners(possible, allowed);
            match got {
                Seen::Owners(got) if got != want => wrong.push(format!(
                    "{method} in {name}: saw the rows of {got:?}, expected {want:?}"
                )),
                Seen::Owners(_) => {}
                Seen::Counts(counts) => {
                    for (i, (got, per_owner)) in counts.into_iter().enumerate() {
                        let want: i64 = want.iter().map(|&o| per_owner(o)).sum();
                        if got != want {
                            wrong.push(format!(
                                "{method} in {name}: count {i} is {got}, expected {want}"
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "reads that ignore their scope:\n{}",
        wrong.join("\n")
    );
}

/// The table above names every read method of the store's traits that takes a `Scope` (or a
/// `CustodyFilter`, which carries one): a new one must be added to it.
#[test]
fn every_scoped_read_method_is_in_the_table() {
    let source = include_str!("../../src/lib.rs");
    let mut scoped = BTreeSet::new();
    for chunk in source.split("async fn ").skip(1) {
        let name = chunk.split('(').next().unwrap().trim();
        let params = &chunk[..chunk.find(')').unwrap()];
        if params.contains(": Scope") || params.contains("CustodyFilter") {
            scoped.insert(name.to_string());
        }
    }
    let table: BTreeSet<String> = METHODS.iter().map(|m| m.to_string()).collect();
    assert_eq!(scoped, table);
}

/// Which site owns a URL is decided among all sites before the scope is asked: a shop outside
/// the scope does not hand its URLs to the platform's site, which is in it.
async fn a_shop_out_of_scope_is_not_answered_as_its_platform(store: TestStore) {
    store
        .upsert_entities(
            &[
                entity(
                    "MA6K9001",
                    "南宁市平台有限公司",
                    SiteKind::Platform,
                    "450103",
                    &["mall.scope.test"],
                ),
                entity(
                    "MA6K9002",
                    "南宁市兴宁某店",
                    SiteKind::PlatformShop,
                    "450102",
                    &["mall.scope.test/shop/7"],
                ),
            ],
            "test",
        )
        .await
        .unwrap();
    let qingxiu = Scope::district(domain::DistrictCode::parse("450103").unwrap());
    let of = |scope: Scope, path: &'static str| {
        let store = &store;
        async move {
            store
                .site_for_url(scope, "mall.scope.test", path)
                .await
                .unwrap()
                .map(|s| s.address())
        }
    };
    assert_eq!(
        of(Scope::City, "/shop/7/item/1").await.as_deref(),
        Some("mall.scope.test/shop/7")
    );
    assert_eq!(of(qingxiu.clone(), "/shop/7/item/1").await, None);
    assert_eq!(
        of(qingxiu, "/about").await.as_deref(),
        Some("mall.scope.test")
    );
}

crate::on_every_backend!(
    every_read_sees_exactly_its_scope,
    a_shop_out_of_scope_is_not_answered_as_its_platform
);
