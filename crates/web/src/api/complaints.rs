//! `/api/v1/complaints`: complaints and reports (投诉举报) in the caller's scope with their
//! state, deadlines, links and published outcome, filtered like the console's list
//! (`view::ComplaintParams`: state, kind, district, overdue). The complainant's contact is
//! personal data: it is answered to bureau staff in scope only (an evaluator's scope holds no
//! complaint).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use store::ComplaintFilter;
use utoipa::ToSchema;

use super::{query, Page, Paging};
use crate::pages::clues::today;
use crate::view::ComplaintParams;
use crate::{ApiError, Shared, Viewer};

/// A complaint or report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Complaint)]
pub(crate) struct ComplaintItem {
    pub id: i64,
    /// The tracking number the complainant follows it by.
    pub tracking_number: String,
    #[schema(schema_with = super::schema::complaint_kind)]
    pub kind: String,
    #[schema(schema_with = super::schema::complaint_state)]
    pub state: String,
    /// `portal` or `hotline`.
    pub channel: String,
    pub received_at: DateTime<Utc>,
    /// The business as the complainant named it.
    pub subject_name: String,
    pub subject_uscc: Option<String>,
    pub subject_url: Option<String>,
    pub entity_id: Option<i64>,
    pub site_id: Option<i64>,
    /// The district it belongs to (`null`: the city's alone).
    #[schema(schema_with = super::schema::district_or_null)]
    pub district: Option<String>,
    pub text: String,
    pub complainant_name: String,
    pub complainant_phone: Option<String>,
    pub complainant_email: Option<String>,
    /// Accept or refuse by (working days from receipt).
    pub accept_by: NaiveDate,
    pub mediation_ends_by: Option<NaiveDate>,
    /// A report's verification limit.
    pub verify_by: Option<NaiveDate>,
    /// Past a deadline with its step not taken.
    pub overdue: bool,
    pub clue_id: Option<i64>,
    pub case_id: Option<i64>,
    #[schema(schema_with = super::schema::complaint_outcome_or_null)]
    pub outcome: Option<String>,
    pub outcome_text: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    /// Closed as upheld (属实): counts in the entity's credit.
    pub upheld: bool,
}

impl ComplaintItem {
    fn new(c: store::Complaint, today: NaiveDate) -> ComplaintItem {
        ComplaintItem {
            id: c.id.0,
            overdue: c.overdue(today),
            tracking_number: c.tracking_number.to_string(),
            kind: c.kind.code().into(),
            state: c.state.code().into(),
            channel: c.channel.code().into(),
            received_at: c.received_at,
            subject_name: c.subject.name,
            subject_uscc: c.subject.uscc,
            subject_url: c.subject.url,
            entity_id: c.entity_id.map(|e| e.0),
            site_id: c.site_id.map(|s| s.0),
            district: c.district.map(|d| d.to_string()),
            text: c.body,
            complainant_name: c.complainant.name,
            complainant_phone: c.complainant.phone,
            complainant_email: c.complainant.email,
            accept_by: c.accept_by,
            mediation_ends_by: c.mediation_ends_by,
            verify_by: c.verify_by,
            clue_id: c.clue_id.map(|k| k.0),
            case_id: c.case_id.map(|k| k.0),
            outcome: c.outcome.map(|o| o.code().into()),
            outcome_text: c.outcome_text,
            published_at: c.published_at,
            upheld: c.upheld,
        }
    }
}

/// Complaints and reports in the caller's scope, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/complaints",
    operation_id = "list_complaints",
    tag = "complaints",
    params(ComplaintParams, Paging),
    responses((status = 200, description = "A page of complaints", body = Page<ComplaintItem>), super::Failures)
)]
pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    filter: Result<Query<ComplaintParams>, QueryRejection>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<ComplaintItem>>, ApiError> {
    let today = today();
    let filter = query(filter)?.filter(today)?;
    let (limit, offset) = query(paging)?.window()?;
    let scope = viewer.scope();
    let total = app.store.count_complaints(scope.clone(), &filter).await?;
    let rows = app
        .store
        .list_complaints(
            scope,
            &ComplaintFilter {
                limit,
                offset,
                ..filter
            },
        )
        .await?;
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(|c| ComplaintItem::new(c, today))
            .collect(),
        total,
        limit,
        offset,
    }))
}
