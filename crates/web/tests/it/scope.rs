//! Scope over HTTP: an inspector of 青秀区 (450103) asking for another district's objects — by
//! id on every route that takes one, through list filters and through search — gets 404 or an
//! empty list, never the data, while a city supervisor gets the same ids with 200.
//!
//! The routes with an id are not listed by hand alone: [`ID_ROUTES`] must equal what the
//! router's source declares (every `.route("…{…}…", …)` in `crates/web/src` with its methods,
//! read by [`declared_id_routes`]), so a new route with an id fails
//! [`the_table_holds_every_route_with_an_id`] until it is added here with the object whose id
//! it takes.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use axum::Router;
use domain::{CaptureRequestId, ClueId, EntityId, FetchId, FindingId, Role, SiteId};
use store::{EntityFilter, EvidencePointer, FindingFilter, NewClue, NewFetch, NewFinding, Scope};

use crate::{at, fixture, get, logged_in, post_form, Fixture, Got};

/// What a route's id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Object {
    Entity,
    Site,
    Clue,
    Fetch,
    Finding,
    Discovered,
    /// A two-person capture request.
    CaptureRequest,
    /// A field inspection.
    Inspection,
    /// An inspection's attachment.
    Attachment,
    /// A case.
    Case,
    /// An outcome of a case.
    Outcome,
    /// An entity's listing on a dishonesty list (serious violation, listed a year ago).
    Listing,
    /// An honest-operation commitment.
    Commitment,
    /// A complaint (kind both), taken through every step by the table's order.
    Complaint,
    /// A complaint left received, for the refusal.
    ReceivedComplaint,
    /// A license badge application of the entity, its domain proven, taken through issue,
    /// suspension, reinstatement and revocation by the table's order.
    Badge,
    /// A badge application left applied, for the refusal.
    AppliedBadge,
}

/// How a route is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    /// A form post (the session's CSRF token is added to these fields).
    Post(&'static [(&'static str, &'static str)]),
}

impl Method {
    fn code(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post(_) => "post",
        }
    }
}

/// Every route of the console with an id in its path: the method, the path as the router
/// declares it, and what its id names.
const ID_ROUTES: &[(Method, &str, Object)] = &[
    (Method::Get, "/entities/{id}", Object::Entity),
    (Method::Get, "/api/entities/{id}", Object::Entity),
    (Method::Get, "/sites/{id}", Object::Site),
    (Method::Get, "/sites/{id}/record", Object::Site),
    (Method::Get, "/api/sites/{id}/record", Object::Site),
    (Method::Get, "/clues/{id}/record", Object::Clue),
    (Method::Get, "/api/clues/{id}/record", Object::Clue),
    (Method::Get, "/evidence/{fetch_id}", Object::Fetch),
    (
        Method::Post(&[("reason", "核查")]),
        "/evidence/{fetch_id}/view",
        Object::Fetch,
    ),
    (
        Method::Get,
        "/evidence/{fetch_id}/screenshot",
        Object::Fetch,
    ),
    (Method::Get, "/findings/{id}", Object::Finding),
    (Method::Get, "/api/v1/entities/{id}", Object::Entity),
    (Method::Get, "/api/v1/entities/{id}/credit", Object::Entity),
    (Method::Get, "/api/v1/sites/{id}", Object::Site),
    (Method::Get, "/api/v1/findings/{id}", Object::Finding),
    (Method::Get, "/api/v1/clues/{id}", Object::Clue),
    (
        Method::Post(&[("decision", "confirmed")]),
        "/findings/{id}/triage",
        Object::Finding,
    ),
    (
        Method::Post(&[]),
        "/discovered/{id}/confirm",
        Object::Discovered,
    ),
    (
        Method::Post(&[]),
        "/discovered/{id}/reject",
        Object::Discovered,
    ),
    (Method::Get, "/captures/{id}", Object::CaptureRequest),
    // Found in scope, the confirmation answers 503: the fixture's console takes no captures
    // (see `assert_found`).
    (
        Method::Post(&[]),
        "/captures/{id}/confirm",
        Object::CaptureRequest,
    ),
    (
        Method::Post(&[]),
        "/captures/{id}/cancel",
        Object::CaptureRequest,
    ),
    (Method::Get, "/inspections/{id}", Object::Inspection),
    (Method::Get, "/api/v1/inspections/{id}", Object::Inspection),
    (
        Method::Post(&[("reason", "核查")]),
        "/attachments/{id}/download",
        Object::Attachment,
    ),
    // A clue's life, in the order it is lived (each step acts on what the one before left).
    (Method::Get, "/clues/{id}", Object::Clue),
    (
        Method::Post(&[("district", "450105"), ("reason", "改派复核")]),
        "/clues/{id}/dispatch",
        Object::Clue,
    ),
    (
        Method::Post(&[("answer", "verified")]),
        "/clues/{id}/feedback",
        Object::Clue,
    ),
    (Method::Post(&[]), "/clues/{id}/extend", Object::Clue),
    (
        Method::Post(&[("officer", "supervisor")]),
        "/clues/{id}/case",
        Object::Clue,
    ),
    // A case's, likewise.
    (Method::Get, "/cases/{id}", Object::Case),
    (Method::Get, "/api/v1/cases/{id}", Object::Case),
    (
        Method::Post(&[("name", "supervisor2")]),
        "/cases/{id}/officer",
        Object::Case,
    ),
    (
        Method::Post(&[("stage", "investigating")]),
        "/cases/{id}/advance",
        Object::Case,
    ),
    (
        Method::Post(&[("reason", "复查")]),
        "/cases/{id}/reopen",
        Object::Case,
    ),
    (
        Method::Post(&[("kind", "warning"), ("reason", "提醒告诫")]),
        "/cases/{id}/outcome",
        Object::Case,
    ),
    (Method::Post(&[]), "/cases/{id}/extend", Object::Case),
    (
        Method::Post(&[("reason", "已改正")]),
        "/outcomes/{id}/unlist",
        Object::Outcome,
    ),
    (
        Method::Post(&[("format", "html")]),
        "/cases/{id}/documents/{kind}",
        Object::Case,
    ),
    // The lists: a listing's page, then a repair applied for, refused, and the listing removed.
    (Method::Get, "/credit/listings/{id}", Object::Listing),
    (Method::Get, "/api/v1/credit/listings/{id}", Object::Listing),
    (
        Method::Post(&[("applicant", "法定代表人"), ("statement", "已改正")]),
        "/credit/listings/{id}/repair",
        Object::Listing,
    ),
    (
        Method::Post(&[("decision", "refuse"), ("reason", "未改正")]),
        "/credit/listings/{id}/decide",
        Object::Listing,
    ),
    (
        Method::Post(&[("reason", "corrected")]),
        "/credit/listings/{id}/remove",
        Object::Listing,
    ),
    (
        Method::Post(&[("reason", "售假")]),
        "/credit/commitments/{id}/break",
        Object::Commitment,
    ),
    (Method::Get, "/entities/{id}/public", Object::Entity),
    (Method::Get, "/complaints/{id}", Object::Complaint),
    (
        Method::Post(&[("district", "450105"), ("reason", "改派")]),
        "/complaints/{id}/dispatch",
        Object::Complaint,
    ),
    (
        Method::Post(&[("note", "受理")]),
        "/complaints/{id}/accept",
        Object::Complaint,
    ),
    (
        Method::Post(&[]),
        "/complaints/{id}/mediate",
        Object::Complaint,
    ),
    (
        Method::Post(&[("answer", "failed")]),
        "/complaints/{id}/mediation",
        Object::Complaint,
    ),
    (
        Method::Post(&[("answer", "verified")]),
        "/complaints/{id}/verify",
        Object::Complaint,
    ),
    // Entity 1 is the 青秀区 shop's, in both viewers' scope.
    (
        Method::Post(&[("entity", "1")]),
        "/complaints/{id}/link",
        Object::Complaint,
    ),
    (
        Method::Post(&[
            ("outcome", "corrected"),
            ("text", "已责令改正"),
            ("upheld", "yes"),
        ]),
        "/complaints/{id}/close",
        Object::Complaint,
    ),
    (
        Method::Post(&[("reason", "不属于本部门管辖")]),
        "/complaints/{id}/refuse",
        Object::ReceivedComplaint,
    ),
    (Method::Get, "/badges/{id}", Object::Badge),
    (Method::Post(&[]), "/badges/{id}/issue", Object::Badge),
    (
        Method::Post(&[("reason", "核查")]),
        "/badges/{id}/suspend",
        Object::Badge,
    ),
    (
        Method::Post(&[("reason", "核查")]),
        "/badges/{id}/reinstate",
        Object::Badge,
    ),
    (
        Method::Post(&[("reason", "核查")]),
        "/badges/{id}/revoke",
        Object::Badge,
    ),
    (
        Method::Post(&[("reason", "核查")]),
        "/badges/{id}/refuse",
        Object::AppliedBadge,
    ),
];

/// Routes whose step needs a permission a district's inspector lacks (the city's dispatch,
/// the head's approval): on their own district's objects they answer 403.
const CITY_ONLY: &[&str] = &[
    "/clues/{id}/dispatch",
    "/clues/{id}/extend",
    "/cases/{id}/reopen",
    "/cases/{id}/extend",
    "/credit/listings/{id}/repair",
    "/credit/listings/{id}/decide",
    "/credit/listings/{id}/remove",
    "/credit/commitments/{id}/break",
    "/complaints/{id}/dispatch",
    "/badges/{id}/issue",
    "/badges/{id}/refuse",
    "/badges/{id}/suspend",
    "/badges/{id}/revoke",
    "/badges/{id}/reinstate",
];

/// Routes with an id of something no district owns (users: for city administrators only,
/// checked by `an_administrator_manages_users_from_the_console` and
/// `user_pages_are_for_administrators_only`).
const UNOWNED_ID_ROUTES: &[(&str, &str)] = &[
    ("get", "/users/{id}"),
    ("post", "/users/{id}/disable"),
    ("post", "/users/{id}/enable"),
    ("post", "/users/{id}/password"),
    ("post", "/users/{id}/role"),
];

/// Routes with the id of a campaign: the bureau's, readable by every role, its figures and
/// records read in the viewer's scope and closing it for those who plan campaigns (checked by
/// `campaigns::the_campaign_page_counts_by_district_in_the_viewer_s_scope`).
const CAMPAIGN_ID_ROUTES: &[(&str, &str)] = &[
    ("get", "/campaigns/{id}"),
    ("get", "/campaigns/{id}/records"),
    ("post", "/campaigns/{id}/close"),
    ("get", "/api/v1/campaigns/{id}"),
];

/// Routes with the id of a sampling plan or draw: the bureau's, readable by every role; a
/// draw's selected entities are read in the viewer's scope, planning and drawing are for
/// those with the sampling permission (checked by
/// `sampling::a_draw_shows_each_viewer_the_entities_of_their_scope`).
const SAMPLING_ID_ROUTES: &[(&str, &str)] = &[
    ("get", "/sampling/plans/{id}"),
    ("post", "/sampling/plans/{id}/draw"),
    ("post", "/sampling/plans/{id}/close"),
    ("get", "/sampling/draws/{id}"),
    ("post", "/sampling/draws/{id}/result"),
    ("get", "/api/v1/sampling/draws/{id}"),
];

/// A district's objects, each with evidence that a supervisor can open (a WARC record with a
/// screenshot), a finding on it, a clue of it and a site it links to, proposed as the
/// entity's.
struct Objects {
    entity: EntityId,
    site: SiteId,
    fetch: FetchId,
    finding: FindingId,
    clue: ClueId,
    discovered: i64,
    capture: CaptureRequestId,
    inspection: domain::InspectionId,
    attachment: domain::AttachmentId,
    case: domain::CaseId,
    outcome: domain::OutcomeId,
    listing: domain::ListingId,
    commitment: domain::CommitmentId,
    complaint: domain::ComplaintId,
    received_complaint: domain::ComplaintId,
    badge: domain::BadgeSerial,
    applied_badge: domain::BadgeSerial,
}

impl Objects {
    fn id(&self, o: Object) -> i64 {
        match o {
            Object::Entity => self.entity.0,
            Object::Site => self.site.0,
            Object::Clue => self.clue.0,
            Object::Fetch => self.fetch.0,
            Object::Finding => self.finding.0,
            Object::Discovered => self.discovered,
            Object::CaptureRequest => self.capture.0,
            Object::Inspection => self.inspection.0,
            Object::Attachment => self.attachment.0,
            Object::Case => self.case.0,
            Object::Outcome => self.outcome.0,
            Object::Listing => self.listing.0,
            Object::Commitment => self.commitment.0,
            Object::Complaint => self.complaint.0,
            Object::ReceivedComplaint => self.received_complaint.0,
            Object::Badge => self.badge.0,
            Object::AppliedBadge => self.applied_badge.0,
        }
    }
}

/// Text that gives the 江南区 casino away: its host, its name, its finding, its page.
const CASINO_MARKS: [&str; 4] = ["casino.example", "江南娱乐", "真人荷官", "网上赌场"];

/// A request done: a page, or a form's redirect.
#[track_caller]
fn assert_done(what: &str, got: &Got) {
    assert!(
        matches!(got.status, StatusCode::OK | StatusCode::SEE_OTHER),
        "{what}: {} {}",
        got.status,
        got.body
    );
}

/// A request on an object in scope: done, except a capture's confirmation, which finds the
/// request and then answers that this console takes no captures (the fixture has no capture
/// settings; `captures.rs` confirms over a real simulated web).
#[track_caller]
fn assert_found(path: &str, what: &str, got: &Got) {
    if path == "/cases/{id}/documents/{kind}" {
        // Found, and then refused: this fixture's console makes no documents.
        assert_eq!(
            got.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{what}: {}",
            got.body
        );
        assert!(
            got.body.contains("本控制台未配置文书模板"),
            "{what}: {}",
            got.body
        );
    } else if path == "/captures/{id}/confirm" {
        assert_eq!(
            got.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{what}: {}",
            got.body
        );
        assert!(
            got.body.contains("本控制台未配置证据提取"),
            "{what}: {}",
            got.body
        );
    } else {
        assert_done(what, got);
    }
}

/// Writes `host`'s page (with `text`) and a screenshot to a WARC file of their own, records
/// the fetch with a finding, and makes a clue of it.
async fn objects(fx: &Fixture, site: SiteId, host: &str, name: &str, text: &str) -> Objects {
    let store = &fx.state.store;
    let url = format!("http://{host}/");
    let body = format!("<html><head><title>{name}</title></head><body><p>{text}</p></body></html>");
    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[9u8; 64]].concat();
    let mut w = evidence::WarcWriter::open(evidence::WriterConfig::new(
        &fx.state.evidence_dir,
        format!("capture-{host}"),
    ))
    .unwrap();
    let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
    let refs = w
        .write_exchange(&evidence::ExchangeRecord {
            target_uri: &url,
            date: at(400),
            request_head: request.as_bytes(),
            response_head: Some(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n",
            ),
            response_body: body.as_bytes(),
            remote_ip: None,
            metadata: vec![("screenshot".into(), "taken 1280x800".into())],
        })
        .unwrap();
    let response = refs.response.unwrap();
    w.write_resource_concurrent(&url, at(401), "image/png", &png, Some(&response.record_id))
        .unwrap();
    w.flush().unwrap();
    let pointer = EvidencePointer {
        warc_file: response.file.clone(),
        offset: response.offset as i64,
        digest: response.block_digest.clone(),
    };
    let sweep = store.create_capture(site, None).await.unwrap();
    let fetch = store
        .record_fetch(
            &NewFetch {
                sweep_id: sweep,
                site_id: site,
                url: url.clone(),
                fetched_at: at(400),
                status: Some(200),
                content_type: Some("text/html; charset=utf-8".into()),
                bytes: body.len() as i64,
                payload_digest: response.payload_digest.clone(),
                error: None,
                evidence: Some(pointer.clone()),
                etag: None,
                last_modified: None,
                record_id: Some(response.record_id.clone()),
                revisit_of: None,
            },
            &[NewFinding {
                sweep_id: sweep,
                site_id: site,
                fetch_id: None,
                url: url.clone(),
                category: domain::Category::AdAbsoluteTerm,
                rule_id: "ad.absolute_term.scope".into(),
                rule_pack: "core-2017".into(),
                severity: domain::Category::AdAbsoluteTerm.severity(),
                excerpt: text.into(),
                location: "text".into(),
                evidence: Some(pointer),
                found_at: at(401),
                suppressed: None,
            }],
        )
        .await
        .unwrap();
    let finding = store
        .list_findings(
            Scope::City,
            &FindingFilter {
                site_id: Some(site),
                ..FindingFilter::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.finding.fetch_id == Some(fetch))
        .unwrap();
    let clue = store
        .create_clue(
            &NewClue {
                site_id: site,
                findings: vec![finding.id],
                summary: format!("{text}（线索）"),
            },
            &store::Actor::system("test"),
        )
        .await
        .unwrap();
    let entity = store
        .list_entities(Scope::City, &EntityFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.input.name == name)
        .unwrap()
        .id;
    // A site its page links to, which the matcher proposed as the entity's.
    store
        .commit_progress(&store::SiteProgress {
            sweep,
            site,
            fetches: vec![],
            frontier: store::FrontierUpdate::Keep,
            finish: None,
            discoveries: vec![store::NewDiscovery {
                host: format!("linked-from-{host}"),
                path_prefix: String::new(),
                sighting: store::Sighting {
                    from_url: url.clone(),
                    anchor: "友情链接".into(),
                    hidden: false,
                    evidence: None,
                    ..store::Sighting::default()
                },
                source: store::DiscoverySource::Link,
                hops: 1,
                indicators: Vec::new(),
            }],
            classified: None,
            shown: None,
        })
        .await
        .unwrap();
    let discovered = store
        .list_discovered(Scope::City, &store::DiscoveryFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.host == format!("linked-from-{host}"))
        .unwrap()
        .id;
    store
        .set_proposal(
            discovered,
            Some(&store::Proposal {
                entity,
                basis: store::ProposalBasis::Uscc {
                    uscc: "its pages show the USCC".into(),
                },
            }),
        )
        .await
        .unwrap();
    // A pending two-person capture of the page, asked for by the city's supervisor.
    let supervisor = store.user_by_name("supervisor").await.unwrap().unwrap();
    let capture = store
        .create_capture_request(
            &store::NewCaptureRequest {
                url: url.clone(),
                site_id: site,
                clue_id: Some(clue),
                reason: "举报核查".into(),
                requested_by: supervisor.id,
            },
            &store::Actor::system("test"),
        )
        .await
        .unwrap()
        .id;
    // A field inspection of the entity with a photo, recorded by the city's supervisor.
    let settings = fx
        .state
        .inspections
        .clone()
        .expect("the fixture keeps attachments");
    let inspection = casework::inspection::record_inspection(
        store.as_ref(),
        &settings.attachments_dir,
        &settings.limits,
        &Scope::City,
        &casework::inspection::InspectionInput {
            entity,
            case: None,
            inspected_at: at(300),
            place: format!("{name}经营场所"),
            result: domain::InspectionResult::Violation,
            notes: text.into(),
            inspectors: vec!["supervisor".into()],
        },
        &[casework::inspection::AttachmentFile {
            name: format!("{host}.png"),
            bytes: png.clone(),
        }],
        &store::Actor::user(&supervisor, None),
        at(500),
    )
    .await
    .unwrap()
    .id;
    let attachment = store
        .inspection_attachments(Scope::City, inspection)
        .await
        .unwrap()[0]
        .id;
    // The clue is dispatched to its district; a second clue of the site (another finding) is
    // opened as a case, investigated, and has the entity listed for abnormal operations.
    let limits = casework::Limits::default();
    let today = domain::time::beijing_date(chrono::Utc::now());
    let by = store::Actor::system("test");
    let district = store
        .clue(Scope::City, clue)
        .await
        .unwrap()
        .unwrap()
        .district
        .unwrap();
    casework::dispatch(
        store.as_ref(),
        Scope::City,
        clue,
        district,
        None,
        &limits,
        today,
        &by,
    )
    .await
    .unwrap();
    store
        .record_findings(&[NewFinding {
            sweep_id: sweep,
            site_id: site,
            fetch_id: None,
            url: url.clone(),
            category: domain::Category::LicenseNotDisplayed,
            rule_id: "structure.license.case".into(),
            rule_pack: "core-2017".into(),
            severity: domain::Category::LicenseNotDisplayed.severity(),
            excerpt: format!("{name} 未亮照"),
            location: "structure".into(),
            evidence: None,
            found_at: at(402),
            suppressed: None,
        }])
        .await
        .unwrap();
    let second = store
        .list_findings(
            Scope::City,
            &FindingFilter {
                site_id: Some(site),
                ..FindingFilter::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.finding.rule_id == "structure.license.case")
        .unwrap();
    let second_clue = store
        .create_clue(
            &NewClue {
                site_id: site,
                findings: vec![second.id],
                summary: format!("{name} 未亮照（立案）"),
            },
            &by,
        )
        .await
        .unwrap();
    casework::dispatch(
        store.as_ref(),
        Scope::City,
        second_clue,
        district,
        None,
        &limits,
        today,
        &by,
    )
    .await
    .unwrap();
    let case = casework::open_case(
        store.as_ref(),
        Scope::City,
        &[second_clue],
        &["supervisor".to_string()],
        None,
        &limits,
        today,
        &by,
    )
    .await
    .unwrap();
    casework::advance(
        store.as_ref(),
        Scope::City,
        case,
        domain::CaseStage::Registered,
        &by,
    )
    .await
    .unwrap();
    let outcome = casework::add_outcome(
        store.as_ref(),
        Scope::City,
        case,
        casework::OutcomeInput::AbnormalListing {
            cause: domain::ListingCause::NotContactable,
        },
        today,
        &by,
    )
    .await
    .unwrap();
    // A serious-violation listing of its own (the outcome's abnormal listing is the
    // casework routes' to remove).
    let listing = store
        .add_listing(
            Scope::City,
            &store::ListingInput {
                entity_id: entity,
                list: domain::ListKind::SeriousViolation,
                cause: format!("{name} 严重违法"),
                decision_no: None,
                listed_on: today - chrono::Months::new(12),
            },
            &by,
        )
        .await
        .unwrap()
        .id;
    let commitment = store
        .add_commitment(
            Scope::City,
            &store::NewCommitment {
                entity_id: entity,
                made_on: today,
                text: format!("{name} 诚信经营承诺"),
            },
            &by,
        )
        .await
        .unwrap()
        .id;
    let complaint = |n: u64| {
        let today = domain::time::beijing_date(chrono::Utc::now());
        store::NewComplaint {
            tracking_number: domain::TrackingNumber::new(today, entity.0 as u64 * 10 + n),
            kind: domain::ComplaintKind::Both,
            channel: domain::ComplaintChannel::Hotline,
            subject: store::Subject {
                name: name.to_string(),
                ..store::Subject::default()
            },
            entity_id: Some(entity),
            site_id: Some(site),
            district: None,
            body: format!("{name} 投诉 {n}"),
            complainant: store::Complainant {
                name: "投诉人".into(),
                phone: Some("13800000000".into()),
                email: None,
            },
            dedup_hash: format!("{}-{n}", entity.0),
            accept_by: today,
            verify_by: Some(today),
        }
    };
    let mut complaints = Vec::new();
    for n in [1, 2] {
        match store
            .file_complaint(&complaint(n), chrono::Duration::minutes(10), &by)
            .await
            .unwrap()
        {
            store::Intake::Filed(c) => complaints.push(c.id),
            store::Intake::Duplicate => panic!("filed"),
        }
    }
    let apply = |n: &str| store::NewBadge {
        entity_id: entity,
        domain: format!("badge-{n}-{}.scope.test", entity.0),
        contact: "联系人".into(),
        method: domain::ProofMethod::WellKnown,
        tracking: format!("scope-badge-{n}-{}", entity.0),
        proof_token: "token".into(),
    };
    let badge = store
        .add_badge(Scope::City, &apply("proven"), &by)
        .await
        .unwrap()
        .serial;
    store
        .record_badge_proof(badge, domain::ProofResult::Proven, None, &by)
        .await
        .unwrap();
    let applied_badge = store
        .add_badge(Scope::City, &apply("applied"), &by)
        .await
        .unwrap()
        .serial;
    Objects {
        badge,
        applied_badge,
        entity,
        listing,
        commitment,
        complaint: complaints[0],
        received_complaint: complaints[1],
        site,
        fetch,
        finding: finding.id,
        clue,
        discovered,
        capture,
        inspection,
        attachment,
        case,
        outcome,
    }
}

/// The fixture with evidence, a finding and a clue for both districts' sites: (fixture, the
/// 青秀区 shop's objects, the 江南区 casino's).
async fn two_districts() -> (Fixture, Objects, Objects) {
    let fx = fixture().await;
    // A second city-wide officer, so that cases can be decided.
    people::add_user(
        fx.state.store.as_ref(),
        &people::UserSpec {
            username: "supervisor2".into(),
            display_name: "supervisor2".into(),
            role: Role::Supervisor,
            districts: vec![],
            entities: vec![],
        },
        crate::PASSWORD,
        &store::Actor::system("test"),
    )
    .await
    .unwrap();
    let shop = objects(
        &fx,
        fx.shop,
        "shop.example",
        "南宁最佳商贸有限公司",
        "网上商城 全网最佳",
    )
    .await;
    let casino = objects(
        &fx,
        fx.casino,
        "casino.example",
        "江南娱乐有限公司",
        "网上赌场 真人荷官",
    )
    .await;
    // Every entity graded, so that its credit answers.
    let store = fx.state.store.as_ref();
    credit::rescore::load_index(
        store,
        credit::index::DEFAULT_INDEX,
        &store::Actor::system("test"),
        None,
    )
    .await
    .unwrap();
    credit::rescore::rescore_all(store, domain::time::beijing_date(chrono::Utc::now()))
        .await
        .unwrap();
    (fx, shop, casino)
}

/// A GET whose body may be binary (a screenshot): read as text, lossily.
async fn get_any(router: &Router, uri: &str) -> Got {
    let res = tower::ServiceExt::oneshot(
        router.clone(),
        axum::http::Request::get(uri)
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    Got {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn ask(router: &Router, csrf: &str, method: Method, uri: &str) -> Got {
    match method {
        Method::Get => get_any(router, uri).await,
        Method::Post(fields) => {
            let mut form = fields.to_vec();
            form.push(("csrf", csrf));
            post_form(router, uri, &form).await
        }
    }
}

#[track_caller]
fn assert_no_casino(what: &str, got: &Got) {
    for mark in CASINO_MARKS {
        assert!(
            !got.body.contains(mark),
            "{what} shows {mark:?} to the 青秀区 inspector: {}",
            got.body
        );
    }
}

#[tokio::test]
async fn another_districts_ids_are_not_found_on_every_route_that_takes_one() {
    let (fx, shop, casino) = two_districts().await;
    let (inspector, csrf) =
        logged_in(&fx.state, "inspector-qx", Role::Inspector, &["450103"]).await;
    for &(method, path, object) in ID_ROUTES {
        let uri = |o: &Objects| {
            let id = o.id(object).to_string();
            path.replace("{id}", &id)
                .replace("{fetch_id}", &id)
                .replace("{kind}", "cover")
        };
        let got = ask(&inspector, &csrf, method, &uri(&casino)).await;
        assert_eq!(
            got.status,
            StatusCode::NOT_FOUND,
            "{} {path} with the casino's id: {}",
            method.code(),
            got.body
        );
        assert_no_casino(path, &got);
        // The inspector's own district answers (but for the city's own steps, refused by
        // permission); so does the casino to the city.
        let own = ask(&inspector, &csrf, method, &uri(&shop)).await;
        if CITY_ONLY.contains(&path) {
            assert_eq!(own.status, StatusCode::FORBIDDEN, "{path}: {}", own.body);
        } else {
            assert_found(path, &format!("{path} with the shop's id"), &own);
        }
        let city = ask(&fx.router, &fx.csrf, method, &uri(&casino)).await;
        assert_found(path, &format!("{path} for the city"), &city);
    }
}

/// Forms that name another district's objects change nothing: a clue of the casino's finding,
/// its triage and the decision on its discovery stay as they were until the city acts.
#[tokio::test]
async fn another_districts_ids_in_a_form_change_nothing() {
    let (fx, _shop, casino) = two_districts().await;
    let (inspector, csrf) =
        logged_in(&fx.state, "inspector-qx", Role::Inspector, &["450103"]).await;
    let store = &fx.state.store;
    let clues = || async {
        store
            .count_clues(Scope::City, &store::ClueFilter::default())
            .await
            .unwrap()
    };
    let before = clues().await;
    let finding = casino.finding.to_string();
    let got = post_form(
        &inspector,
        "/clues",
        &[("csrf", &csrf), ("finding", &finding), ("summary", "越权")],
    )
    .await;
    assert_eq!(got.status, StatusCode::NOT_FOUND, "{}", got.body);
    assert_no_casino("POST /clues", &got);
    assert_eq!(clues().await, before);
    for (method, path, object) in ID_ROUTES {
        if let Method::Post(_) = method {
            let id = casino.id(*object).to_string();
            let uri = path
                .replace("{id}", &id)
                .replace("{fetch_id}", &id)
                .replace("{kind}", "cover");
            let got = ask(&inspector, &csrf, *method, &uri).await;
            assert_eq!(got.status, StatusCode::NOT_FOUND, "{path}: {}", got.body);
            assert_no_casino(path, &got);
        }
    }
    let f = store
        .finding(Scope::City, casino.finding)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f.triage, domain::Triage::Open);
    let d = store
        .discovered(Scope::City, casino.discovered)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.state, store::DiscoveryState::New);
    let r = store
        .capture_request(Scope::City, casino.capture)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.state, store::CaptureState::Pending);
    assert!(store
        .audit_of(&format!("finding:{}", casino.finding))
        .await
        .unwrap()
        .is_empty());
    // A finding feeds one open clue at most: the casino's own clue is closed first.
    let own = store
        .list_clues(
            Scope::City,
            &store::ClueFilter {
                site_id: Some(f.finding.site_id),
                ..store::ClueFilter::default()
            },
        )
        .await
        .unwrap();
    for c in own.iter().filter(|c| c.state.is_open()) {
        store
            .close_clue(
                c.id,
                c.state,
                &store::ClueClosing::NotVerified {
                    reason: domain::NotVerifiedReason::NoViolation,
                    note: None,
                },
                &store::Actor::system("test"),
            )
            .await
            .unwrap();
    }
    let got = post_form(
        &fx.router,
        "/clues",
        &[
            ("csrf", &fx.csrf),
            ("finding", &finding),
            ("summary", "市局立案"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    assert_eq!(clues().await, before + 1);
}

#[tokio::test]
async fn a_refused_view_of_evidence_leaves_no_custody_row_and_trails_stay_in_scope() {
    let (fx, shop, casino) = two_districts().await;
    let (inspector, csrf) =
        logged_in(&fx.state, "inspector-qx", Role::Inspector, &["450103"]).await;
    let store = &fx.state.store;
    let view = |router: &Router, csrf: &str, fetch: FetchId| {
        let (router, csrf) = (router.clone(), csrf.to_string());
        async move {
            post_form(
                &router,
                &format!("/evidence/{fetch}/view"),
                &[("csrf", &csrf), ("reason", "核查")],
            )
            .await
        }
    };
    let before = store
        .custody(&store::CustodyFilter::chain())
        .await
        .unwrap()
        .len();
    for uri in [
        format!("/evidence/{}", casino.fetch),
        format!("/evidence/{}/screenshot", casino.fetch),
    ] {
        assert_eq!(
            get_any(&inspector, &uri).await.status,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        view(&inspector, &csrf, casino.fetch).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        store
            .custody(&store::CustodyFilter::chain())
            .await
            .unwrap()
            .len(),
        before,
        "a refused view was logged"
    );
    // The supervisor views the casino's record and screenshot, the inspector the shop's; the
    // inspector's trails of the shop never show the casino's rows, the city's whole chain does.
    view(&fx.router, &fx.csrf, casino.fetch).await.ok();
    view(&inspector, &csrf, shop.fetch).await.ok();
    let record = get(&inspector, &format!("/api/sites/{}/record", shop.site))
        .await
        .ok()
        .json();
    let trail = record["custody"].as_array().unwrap();
    assert!(
        trail
            .iter()
            .all(|r| !r["subject"].as_str().unwrap().contains("casino")),
        "{record}"
    );
    let page = get(&inspector, &format!("/evidence/{}", shop.fetch))
        .await
        .ok();
    assert_no_casino("the shop's evidence page", &page);
    let city = store.custody(&store::CustodyFilter::chain()).await.unwrap();
    assert!(city.iter().any(|r| r.subject.contains("casino")));
    // In the store, the inspector's scope sees the shop's view and none of the casino's.
    let theirs = store
        .custody(&store::CustodyFilter::all(Scope::district(
            domain::DistrictCode::parse("450103").unwrap(),
        )))
        .await
        .unwrap();
    assert!(!theirs.is_empty());
    assert!(theirs.iter().all(|r| !r.subject.contains("casino")));
}

#[tokio::test]
async fn lists_filtered_to_another_district_are_empty() {
    let (fx, _shop, casino) = two_districts().await;
    let (inspector, _) = logged_in(&fx.state, "inspector-qx", Role::Inspector, &["450103"]).await;
    let site = casino.site;
    for uri in [
        format!("/findings?site={site}"),
        "/findings?district=450105".to_string(),
        "/sites?district=450105".to_string(),
        "/entities?district=450105".to_string(),
        "/export/entities?district=450105".to_string(),
        "/export/sites?district=450105".to_string(),
        "/credit/lists?district=450105".to_string(),
        "/credit/commitments".to_string(),
        "/api/v1/credit/listings?district=450105".to_string(),
    ] {
        let got = get(&inspector, &uri).await.ok();
        assert_no_casino(&uri, &got);
        let city = get(&fx.router, &uri).await.ok();
        assert!(
            CASINO_MARKS.iter().any(|m| city.body.contains(m)),
            "{uri} shows the casino to the city: {}",
            city.body
        );
    }
    let findings = get(&inspector, &format!("/api/v1/findings?site={site}"))
        .await
        .ok()
        .json();
    assert_eq!(findings["total"], 0);
    assert_eq!(findings["items"], serde_json::json!([]));
    let sites = get(&inspector, "/api/v1/sites?district=450105")
        .await
        .ok()
        .json();
    assert_eq!(sites["items"], serde_json::json!([]));
    let city = get(&fx.router, &format!("/api/v1/findings?site={site}"))
        .await
        .ok()
        .json();
    assert!(city["total"].as_i64().unwrap() > 0);
}

/// The index holds the whole city and narrows only a one-district scope: every hit is looked
/// up again in the viewer's scope, so an inspector of two districts sees no 江南区 entity or
/// page either.
#[tokio::test]
async fn search_hits_are_checked_in_the_viewers_scope() {
    let (fx, shop, casino) = two_districts().await;
    let index = search::SearchIndex::in_memory().unwrap();
    let mut w = index.writer().unwrap();
    for (objects, title, text, district) in [
        (&shop, "南宁最佳商贸", "网上商城 全网最佳", "450103"),
        (&casino, "江南娱乐", "网上商城 真人荷官", "450105"),
    ] {
        let e = fx
            .state
            .store
            .entity(Scope::City, objects.entity)
            .await
            .unwrap()
            .unwrap();
        w.upsert_entity(&sweep::index::entity_doc(&e)).unwrap();
        let f = fx
            .state
            .store
            .fetch(Scope::City, objects.fetch)
            .await
            .unwrap()
            .unwrap();
        w.upsert_page(&search::PageDoc {
            fetch_id: f.id.0,
            site_id: f.fetch.site_id.0,
            url: f.fetch.url.clone(),
            title: title.into(),
            text: text.into(),
            district: Some(district.into()),
        })
        .unwrap();
    }
    w.commit("test").unwrap();
    let state = web::AppState {
        ops: web::OpsSettings::default(),
        badges: None,
        search: Some(index),
        ..fx.state.clone()
    };
    let (city, _) = logged_in(&state, "searcher", Role::Supervisor, &[]).await;
    let (one, _) = logged_in(&state, "inspector-one", Role::Inspector, &["450103"]).await;
    let (two, _) = logged_in(
        &state,
        "inspector-two",
        Role::Inspector,
        &["450103", "450102"],
    )
    .await;
    let ids = |hits: &serde_json::Value, kind: &str, field: &str| -> BTreeSet<i64> {
        let section = if kind == "entity" {
            "entities"
        } else {
            "pages"
        };
        hits[section]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h[field].as_i64().unwrap())
            .collect()
    };
    let both_entities: BTreeSet<i64> = [shop.entity.0, casino.entity.0].into();
    let both_pages: BTreeSet<i64> = [shop.fetch.0, casino.fetch.0].into();
    let hits = get(&city, "/api/search?q=有限公司").await.ok().json();
    assert_eq!(ids(&hits, "entity", "id"), both_entities, "{hits}");
    let hits = get(&city, "/api/search?q=网上商城").await.ok().json();
    assert_eq!(ids(&hits, "page", "fetch_id"), both_pages, "{hits}");
    for router in [&one, &two] {
        let hits = get(router, "/api/search?q=有限公司").await.ok().json();
        assert_eq!(ids(&hits, "entity", "id"), [shop.entity.0].into(), "{hits}");
        let hits = get(router, "/api/search?q=网上商城").await.ok().json();
        assert_eq!(
            ids(&hits, "page", "fetch_id"),
            [shop.fetch.0].into(),
            "{hits}"
        );
        for q in ["江南娱乐", "真人荷官", "casino.example"] {
            let page = get(router, &format!("/search?q={}", web::encode_form_value(q)))
                .await
                .ok();
            assert!(
                !page.body.contains(&format!("/entities/{}", casino.entity))
                    && !page.body.contains(&format!("/evidence/{}", casino.fetch)),
                "{q}: {}",
                page.body
            );
        }
    }
}

/// The routes with an id that the router's source declares: `(method, path)` of every
/// `.route("PATH", …)` in `crates/web/src` whose path has a `{…}` segment, with each method
/// router (`get(…)`, `post(…)`, …) of its second argument.
fn declared_id_routes() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut files = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    let mut sources = Vec::new();
    while let Some(p) = files.pop() {
        // The public portal's router is another router: none of its routes is the console's
        // (`portal::the_portal_answers_no_console_route`).
        if p.ends_with("src/portal") {
            continue;
        }
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else if p.extension().is_some_and(|e| e == "rs") {
            sources.push(std::fs::read_to_string(&p).unwrap());
        }
    }
    for source in &sources {
        let mut rest = source.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            // The call's text, to its closing parenthesis.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map(|(i, _)| i)
                .expect("a closed .route( call");
            let call = &rest[..end];
            let path = call
                .trim_start()
                .strip_prefix('"')
                .and_then(|p| p.split('"').next())
                .expect("a route's path is a string literal");
            if path.contains('{') {
                for method in ["get", "post", "put", "patch", "delete"] {
                    let word = format!("{method}(");
                    let called = call.match_indices(&word).any(|(i, _)| {
                        !call[..i]
                            .chars()
                            .next_back()
                            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
                    });
                    if called {
                        out.insert((method.to_string(), path.to_string()));
                    }
                }
            }
            rest = &rest[end..];
        }
    }
    out
}

#[test]
fn the_table_holds_every_route_with_an_id() {
    let declared = declared_id_routes();
    // The reader finds what the router is known to declare.
    assert!(declared.contains(&("get".into(), "/evidence/{fetch_id}/screenshot".into())));
    let table: BTreeSet<(String, String)> = ID_ROUTES
        .iter()
        .map(|(m, p, _)| (m.code().to_string(), p.to_string()))
        .chain(
            UNOWNED_ID_ROUTES
                .iter()
                .chain(CAMPAIGN_ID_ROUTES)
                .chain(SAMPLING_ID_ROUTES)
                .map(|(m, p)| (m.to_string(), p.to_string())),
        )
        .collect();
    assert_eq!(
        declared, table,
        "ID_ROUTES (or UNOWNED_ID_ROUTES, CAMPAIGN_ID_ROUTES, SAMPLING_ID_ROUTES) must list every route with an id (method, path)"
    );
}

#[tokio::test]
async fn user_pages_are_for_administrators_only() {
    let fx = fixture().await;
    let (inspector, csrf) = logged_in(&fx.state, "qx", Role::Inspector, &["450103"]).await;
    let me = fx.state.store.user_by_name("qx").await.unwrap().unwrap().id;
    for (m, p) in UNOWNED_ID_ROUTES {
        let path = p.replace("{id}", &me.to_string());
        let got = match *m {
            "get" => get(&inspector, &path).await,
            _ => post_form(&inspector, &path, &[("csrf", &csrf), ("role", "admin")]).await,
        };
        assert_eq!(got.status, StatusCode::FORBIDDEN, "{m} {path}");
    }
    let u = fx.state.store.user(me).await.unwrap().unwrap();
    assert_eq!(u.role, Role::Inspector, "nothing changed");
    assert!(!u.disabled);
}
