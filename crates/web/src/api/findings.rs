//! `/api/v1/findings` and `/api/v1/findings/{id}`: suspected violations in the caller's scope,
//! with the filters of the console's findings list.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use domain::FindingId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{path_id, query, Evidence, Page, Paging};
use crate::view::FindingParams;
use crate::{ApiError, Shared, Viewer, WebError};

/// A suspected violation found on a page (or in the register's data) by a sweep.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Finding)]
pub(crate) struct FindingItem {
    pub id: i64,
    /// The violation category's stable code.
    #[schema(schema_with = super::schema::category)]
    pub category: String,
    /// The category's Chinese title.
    pub category_title: String,
    #[schema(schema_with = super::schema::severity)]
    pub severity: String,
    pub site_id: i64,
    /// The site's host.
    pub host: String,
    /// The district of the site's entity.
    #[schema(schema_with = super::schema::district_or_null)]
    pub district: Option<String>,
    pub sweep_id: i64,
    /// The fetch of the page it was found on (none for a register check).
    pub fetch_id: Option<i64>,
    pub url: String,
    pub rule_id: String,
    pub rule_pack: String,
    /// The text that matched.
    pub excerpt: String,
    /// Where on the page: `title`, `meta`, `text`, `link`, `attribute`, `hidden`,
    /// `structure` or `register`.
    pub location: String,
    /// The WARC record it was found in (none for a register check).
    pub evidence: Option<Evidence>,
    pub found_at: DateTime<Utc>,
    /// People's latest decision (`open` until someone decides).
    #[schema(schema_with = super::schema::triage)]
    pub triage: String,
    /// Why, for a dismissal or a false positive.
    pub triage_reason: Option<String>,
    /// Why the detector suppressed it (`quotation`, `trademark`, `genre`); none for a finding
    /// that counts. Listed only with `suppressed=yes`.
    pub suppressed: Option<String>,
    /// The quoted span, the trademark or name, or the page's genre.
    pub suppressed_detail: Option<String>,
}

impl From<store::Finding> for FindingItem {
    fn from(f: store::Finding) -> FindingItem {
        let n = f.finding;
        FindingItem {
            id: f.id.0,
            category: n.category.code().to_string(),
            category_title: n.category.title().to_string(),
            severity: n.severity.code().to_string(),
            site_id: n.site_id.0,
            host: f.host,
            district: f.district.map(|d| d.to_string()),
            sweep_id: n.sweep_id.0,
            fetch_id: n.fetch_id.map(|id| id.0),
            url: n.url,
            rule_id: n.rule_id,
            rule_pack: n.rule_pack,
            excerpt: n.excerpt,
            location: n.location,
            evidence: n.evidence.as_ref().map(Evidence::from),
            found_at: n.found_at,
            triage: f.triage.code().to_string(),
            triage_reason: f.triage_reason,
            suppressed: n.suppressed.as_ref().map(|s| s.reason.code().to_string()),
            suppressed_detail: n.suppressed.map(|s| s.detail),
        }
    }
}

/// Findings in the caller's scope, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/findings",
    operation_id = "list_findings",
    tag = "findings",
    params(FindingParams, Paging),
    responses((status = 200, description = "A page of findings", body = Page<FindingItem>), super::Failures)
)]
pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    filter: Result<Query<FindingParams>, QueryRejection>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<FindingItem>>, ApiError> {
    let filter = query(filter)?.filter()?;
    let (limit, offset) = query(paging)?.window()?;
    let scope = viewer.scope();
    let total = app.store.count_findings(scope.clone(), &filter).await?;
    let rows = app
        .store
        .list_findings(
            scope,
            &store::FindingFilter {
                limit,
                offset,
                ..filter
            },
        )
        .await?;
    Ok(Json(Page {
        items: rows.into_iter().map(FindingItem::from).collect(),
        total,
        limit,
        offset,
    }))
}

/// One finding (404 when it is not in the caller's scope).
#[utoipa::path(
    get,
    path = "/api/v1/findings/{id}",
    operation_id = "get_finding",
    tag = "findings",
    params(("id" = i64, Path, description = "Finding id")),
    responses((status = 200, description = "The finding", body = FindingItem), super::Failures)
)]
pub(crate) async fn item(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Json<FindingItem>, ApiError> {
    let id = FindingId(path_id(&raw, "监测发现")?);
    let finding = app
        .store
        .finding(viewer.scope(), id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("监测发现 {id}")))?;
    Ok(Json(finding.into()))
}
