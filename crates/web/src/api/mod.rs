//! The JSON API, version 1 (`/api/v1/…`), for scripts and other systems: the register's
//! entities, sites, findings, clues, cases, discovered sites and field inspections, each as a
//! list and (but discovered sites) one by id. Its OpenAPI 3.1 document is generated from the handlers (`utoipa`) and
//! served at `/api/v1/openapi.json`.
//!
//! Owns the v1 routes, their response types and the document. Every list answers one envelope,
//! [`Page`]: `{"items": [...], "total": N, "limit": L, "offset": O}` (`limit` 1–500, default
//! 50; `offset` from 0), and takes the filters of the console's list page of the same rows,
//! parsed by the same code (`view`, `pages::entities`). Items are this module's own structs
//! (one per resource, in its file), never the store's rows: the API's shape changes only when
//! this module does. Codes (categories, kinds, states) are the stable codes of `domain` and
//! `store`, and the document's enums are built from their `ALL` lists, so they cannot drift.
//!
//! Access: every v1 route but the document sits behind the console's login (an API token as
//! `Authorization: Bearer wj_…`, or a session cookie); every read takes the viewer's scope, and
//! a row outside it answers 404 like a row that does not exist. Failures are the error
//! envelope [`ErrorBody`] with the status. The document itself is public: it describes the
//! shape of the API, not data, and clients (schemathesis among them) fetch it before they hold
//! a token.
//!
//! Must not: know SQL (it reads through [`store::Store`]), or answer anything but JSON.

mod badges;
mod campaigns;
mod cases;
mod clues;
mod complaints;
mod credit;
mod credit_lists;
mod discovered;
mod entities;
mod findings;
mod inspections;
mod notices;
mod objects;
mod rules;
mod sampling;
mod sites;

use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, IntoResponses, OpenApi, ToSchema};

use crate::error::ErrorBody;
use crate::{view, ApiError, Shared, WebError};

/// The v1 routes that need a login (the caller adds the authentication layer).
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/entities", get(entities::list))
        .route("/api/v1/entities/{id}", get(entities::item))
        .route("/api/v1/sites", get(sites::list))
        .route("/api/v1/sites/{id}", get(sites::item))
        .route("/api/v1/findings", get(findings::list))
        .route("/api/v1/findings/{id}", get(findings::item))
        .route("/api/v1/rules", get(rules::list))
        .route("/api/v1/clues", get(clues::list))
        .route("/api/v1/clues/{id}", get(clues::item))
        .route("/api/v1/complaints", get(complaints::list))
        .route("/api/v1/cases", get(cases::list))
        .route("/api/v1/cases/{id}", get(cases::item))
        .route("/api/v1/discovered", get(discovered::list))
        .route("/api/v1/discovered/stats", get(discovered::stats))
        .route("/api/v1/discovered/ct-logs", get(discovered::ct_logs))
        .route("/api/v1/inspections", get(inspections::list))
        .route("/api/v1/inspections/{id}", get(inspections::item))
        .route("/api/v1/campaigns", get(campaigns::list))
        .route("/api/v1/campaigns/{id}", get(campaigns::item))
        .route("/api/v1/schedule", get(campaigns::schedule))
        .route("/api/v1/sampling/plans", get(sampling::plans))
        .route("/api/v1/sampling/draws", get(sampling::draws))
        .route("/api/v1/sampling/draws/{id}", get(sampling::draw))
        .route("/api/v1/credit/listings", get(credit_lists::listings))
        .route("/api/v1/credit/listings/{id}", get(credit_lists::listing))
        .route("/api/v1/credit/evaluations", get(credit_lists::evaluations))
        .route("/api/v1/credit/scores", get(credit::list))
        .route("/api/v1/entities/{id}/credit", get(credit::entity))
        .route("/api/v1/notices", get(notices::list))
        .route("/api/v1/model-sites", get(notices::model_sites))
        .route("/api/v1/badges", get(badges::list))
        .route("/api/v1/objects", get(objects::list))
}

/// `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of the v1 API.
pub(crate) async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The OpenAPI document: every v1 operation, its parameters and responses.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "wangjian API",
        version = "1",
        description = "The records of wangjian (网监) as JSON: the register's entities and sites, \
            findings of sweeps, clues, cases with their outcomes, discovered sites and field inspections. Every operation needs an API token \
            (`wangjian user token USERNAME`) sent as `Authorization: Bearer wj_…`, and answers \
            only the rows of the token's user's scope (their districts, or the city). Lists \
            answer `{\"items\", \"total\", \"limit\", \"offset\"}`; failures answer \
            `{\"error\", \"message\"}`."
    ),
    paths(
        entities::list,
        entities::item,
        sites::list,
        sites::item,
        findings::list,
        findings::item,
        rules::list,
        clues::list,
        clues::item,
        complaints::list,
        cases::list,
        cases::item,
        discovered::list,
        discovered::stats,
        discovered::ct_logs,
        inspections::list,
        inspections::item,
        campaigns::list,
        campaigns::item,
        campaigns::schedule,
        sampling::plans,
        sampling::draws,
        sampling::draw,
        credit_lists::listings,
        credit_lists::listing,
        credit_lists::evaluations,
        credit::list,
        credit::entity,
        notices::list,
        notices::model_sites,
        badges::list,
        objects::list,
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerToken),
    security(("bearer" = [])),
    tags(
        (name = "entities", description = "The register: online businesses (经营主体)"),
        (name = "sites", description = "Sites of the register's entities and sites sweeps found"),
        (name = "findings", description = "Suspected violations found by sweeps"),
        (name = "clues", description = "Findings of one site grouped as a clue (线索)"),
        (name = "complaints", description = "Complaints and reports (投诉举报) with their state, deadlines and published outcome (the complainant's contact is shown to staff in scope)"),
        (name = "cases", description = "Cases (案件) opened from clues, with their stage, officers and outcomes"),
        (name = "discovered", description = "Sites that match no register entry, found by links, department filings and certificate transparency logs"),
        (name = "inspections", description = "Field inspections (现场检查) with their attachments"),
        (name = "campaigns", description = "Special campaigns (专项行动) and their figures by district"),
        (name = "schedule", description = "The scheduler's jobs and the sweep running now"),
        (name = "sampling", description = "Random inspections (双随机、一公开): plans, draws and their publications"),
        (name = "portal", description = "What the public portal publishes: notices (公告) and model sites (示范网店)"),
        (name = "badges", description = "License badges (亮照) and their applications"),
        (name = "objects", description = "Finished WARC files kept in the S3-compatible object store"),
        (name = "credit", description = "Credit grades (信用风险分类 A–D) with the indicators behind them, the dishonesty lists (经营异常名录, 严重违法失信名单) and third-party evaluations"),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme the operations require.
struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("wj_…")
                    .description(Some(
                        "An API token of a user (`wangjian user token USERNAME`); it acts as \
                         that user, with their scope.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The failures every operation documents, each with the error envelope.
#[derive(IntoResponses)]
#[allow(dead_code)] // a description of responses, never built
pub(crate) enum Failures {
    /// A parameter is malformed or out of range (`bad_request`).
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// No API token, or one that is unknown, revoked or of a disabled user (`unauthenticated`).
    #[response(status = 401)]
    Unauthenticated(ErrorBody),
    /// No such row in the caller's scope, or no such path (`not_found`).
    #[response(status = 404)]
    NotFound(ErrorBody),
}

/// A page of a list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Page<T> {
    /// The rows of this page, in the list's order.
    pub items: Vec<T>,
    /// All rows the filters match in the caller's scope.
    pub total: i64,
    /// The page size asked for (the number of items, except on the last page).
    pub limit: i64,
    /// Rows skipped before this page.
    pub offset: i64,
}

impl<T> Page<T> {
    /// A list short enough to be answered whole (one row per source, per log): one page.
    pub(crate) fn whole(items: Vec<T>) -> Page<T> {
        let n = items.len() as i64;
        Page {
            items,
            total: n,
            limit: n,
            offset: 0,
        }
    }
}

/// Which page of a list: `limit` and `offset`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Paging {
    /// Items per page, 1 to 500 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// Rows to skip (default 0).
    #[param(value_type = Option<i64>, minimum = 0)]
    offset: Option<String>,
}

impl Paging {
    /// `(limit, offset)`, checked.
    fn window(&self) -> Result<(i64, i64), WebError> {
        view::api_window(&self.limit, &self.offset)
    }
}

/// The query parameters of a request, or a 400 saying what is wrong with them.
fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(t)| t)
        .map_err(|e| ApiError(WebError::BadRequest(e.body_text())))
}

/// A row's id from its path: anything but a positive integer is a 404 (`what` names the row).
fn path_id(raw: &str, what: &str) -> Result<i64, ApiError> {
    Ok(view::path_id(raw, &format!("{what} {raw}"))?)
}

/// Evidence: where a WARC record lives.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Evidence {
    /// The WARC file's name in the evidence directory.
    pub warc_file: String,
    /// The record's offset in that file.
    pub offset: i64,
    /// The record's block digest (`sha256:…`).
    pub digest: String,
}

impl From<&store::EvidencePointer> for Evidence {
    fn from(p: &store::EvidencePointer) -> Evidence {
        Evidence {
            warc_file: p.warc_file.clone(),
            offset: p.offset,
            digest: p.digest.clone(),
        }
    }
}

/// Schemas of the codes the API speaks, built from the code lists of `domain` and `store`,
/// for `#[schema(schema_with = …)]` and `#[param(schema_with = …)]`.
pub(crate) mod schema {
    use domain::{Category, EntityStatus, LegalForm, Severity, SiteKind, Triage};
    use serde_json::Value;
    use store::{DiscoveryState, SiteOrigin};
    use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

    /// A string that is one of `codes` (what they are: `what`), or also `null` when `nullable`.
    fn codes<'a>(what: &str, codes: impl IntoIterator<Item = &'a str>, nullable: bool) -> Object {
        let mut values: Vec<Value> = codes.into_iter().map(Value::from).collect();
        let ty = if nullable {
            values.push(Value::Null);
            SchemaType::from_iter([Type::String, Type::Null])
        } else {
            SchemaType::Type(Type::String)
        };
        ObjectBuilder::new()
            .schema_type(ty)
            .description(Some(what))
            .enum_values(Some(values))
            .build()
    }

    /// A six-digit administrative division code (GB/T 2260), `null` allowed when `nullable`.
    fn district_code(nullable: bool) -> Object {
        let ty = if nullable {
            SchemaType::from_iter([Type::String, Type::Null])
        } else {
            SchemaType::Type(Type::String)
        };
        ObjectBuilder::new()
            .schema_type(ty)
            .description(Some(
                "A district: its six-digit administrative division code (GB/T 2260)",
            ))
            .pattern(Some("^[1-9][0-9]{5}$"))
            .examples(["450103"])
            .build()
    }

    pub fn category() -> Object {
        codes(
            "A violation category's stable code",
            Category::ALL.iter().map(|c| c.code()),
            false,
        )
    }
    pub fn severity() -> Object {
        codes("Severity", Severity::ALL.iter().map(|s| s.code()), false)
    }
    pub fn triage() -> Object {
        codes(
            "People's triage decision",
            Triage::ALL.iter().map(|t| t.code()),
            false,
        )
    }
    pub fn site_kind() -> Object {
        codes(
            "A kind of site (online business)",
            SiteKind::ALL.iter().map(|k| k.code()),
            false,
        )
    }
    pub fn site_kind_or_null() -> Object {
        codes(
            "A kind of site (online business)",
            SiteKind::ALL.iter().map(|k| k.code()),
            true,
        )
    }
    pub fn entity_status() -> Object {
        codes(
            "Registration status",
            EntityStatus::ALL.iter().map(|s| s.code()),
            false,
        )
    }
    pub fn legal_form() -> Object {
        codes("Legal form", LegalForm::ALL.iter().map(|f| f.code()), false)
    }
    pub fn site_origin() -> Object {
        codes(
            "Whether the register lists the site or a sweep found it",
            [SiteOrigin::Register, SiteOrigin::Discovered].map(SiteOrigin::code),
            false,
        )
    }
    pub fn discovery_source() -> Object {
        codes(
            "How a discovered site was first found",
            store::DiscoverySource::ALL.map(store::DiscoverySource::code),
            false,
        )
    }
    pub fn discovery_state() -> Object {
        codes(
            "Where a discovered site stands",
            DiscoveryState::ALL.map(DiscoveryState::code),
            false,
        )
    }
    pub fn yes_no() -> Object {
        codes("Yes or no", ["yes", "no"], false)
    }
    pub fn district() -> Object {
        district_code(false)
    }
    pub fn district_or_null() -> Object {
        district_code(true)
    }

    pub fn complaint_state() -> Object {
        codes(
            "A complaint's state",
            domain::ComplaintState::ALL.iter().map(|s| s.code()),
            false,
        )
    }
    pub fn complaint_kind() -> Object {
        codes(
            "Complaint, report or both",
            domain::ComplaintKind::ALL.iter().map(|s| s.code()),
            false,
        )
    }
    pub fn complaint_outcome_or_null() -> Object {
        codes(
            "The outcome published to the complainant",
            domain::ComplaintOutcome::ALL.iter().map(|s| s.code()),
            true,
        )
    }
    pub fn clue_state() -> Object {
        codes(
            "A clue's state",
            domain::ClueState::ALL.iter().map(|s| s.code()),
            false,
        )
    }
    pub fn clue_source() -> Object {
        codes(
            "Where a clue came from",
            domain::ClueSource::ALL.iter().map(|s| s.code()),
            false,
        )
    }
    pub fn case_stage() -> Object {
        codes(
            "A case's stage",
            domain::CaseStage::ALL.iter().map(|s| s.code()),
            false,
        )
    }
    pub fn listing_cause() -> Object {
        codes(
            "Why an entity is listed for abnormal operations",
            domain::ListingCause::ALL.iter().map(|c| c.code()),
            false,
        )
    }

    /// A field inspection's result code.
    pub fn credit_class() -> Object {
        codes(
            "Credit risk class: A (low) … D (high)",
            domain::CreditClass::ALL.iter().map(|c| c.code()),
            false,
        )
    }

    pub fn credit_override() -> Object {
        codes(
            "The hard rule that set the class",
            domain::ListKind::ALL.iter().map(|c| c.code()),
            true,
        )
    }

    pub fn inspection_result() -> Object {
        codes(
            "inspection result",
            domain::InspectionResult::ALL.iter().map(|r| r.code()),
            false,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_documents_its_failures_and_the_token() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        let paths = doc["paths"].as_object().unwrap();
        assert_eq!(paths.len(), 32);
        let mut ids = std::collections::BTreeSet::new();
        for (path, item) in paths {
            let op = &item["get"];
            assert!(ids.insert(op["operationId"].to_string()), "{path}: {op}");
            for status in ["200", "400", "401", "404"] {
                assert!(op["responses"][status].is_object(), "{path} {status}");
            }
            for status in ["400", "401", "404"] {
                assert_eq!(
                    op["responses"][status]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{path} {status}"
                );
            }
        }
    }

    #[test]
    fn code_schemas_list_the_domain_codes() {
        let v = serde_json::to_value(schema::category()).unwrap();
        assert_eq!(
            v["enum"].as_array().unwrap().len(),
            domain::Category::ALL.len()
        );
        let v = serde_json::to_value(schema::site_kind_or_null()).unwrap();
        assert!(v["enum"].as_array().unwrap().contains(&Value::Null));
        assert_eq!(v["type"], serde_json::json!(["string", "null"]));
    }

    #[test]
    fn outcome_types_are_the_domain_kinds() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let detail = &doc["components"]["schemas"]["OutcomeDetail"];
        let mut types: Vec<String> = detail["oneOf"]
            .as_array()
            .unwrap_or_else(|| panic!("{detail}"))
            .iter()
            .flat_map(|v| {
                v["properties"]["type"]["enum"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .map(|t| t.as_str().unwrap().to_string())
            .collect();
        types.sort();
        let mut want: Vec<String> = domain::OutcomeKind::ALL
            .iter()
            .map(|k| k.code().to_string())
            .collect();
        want.sort();
        assert_eq!(types, want, "{detail}");
    }

    use serde_json::Value;
}
