//! `/api/v1/inspections` and `/api/v1/inspections/{id}`: field inspections (现场检查) in the
//! caller's scope, filtered by entity, case, district and result; one with its attachments'
//! rows (their bytes are downloaded from the console, each download logged in custody).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use domain::{CaseId, EntityId, InspectionId, InspectionResult};
use serde::{Deserialize, Serialize};
use store::InspectionFilter;
use utoipa::{IntoParams, ToSchema};

use super::{path_id, query, Page, Paging};
use crate::view::{param, DistrictCodeParam};
use crate::{ApiError, Shared, Viewer, WebError};

/// An attachment of an inspection: a photo or scan, kept under its SHA-256.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Attachment)]
pub(crate) struct AttachmentItem {
    pub id: i64,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    pub size: i64,
    /// The media type its bytes showed.
    pub media_type: String,
    /// The name it was given.
    pub file_name: String,
    pub stored_at: DateTime<Utc>,
    /// Username of who stored it.
    pub stored_by: String,
}

/// A field inspection.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Inspection)]
pub(crate) struct InspectionItem {
    pub id: i64,
    pub entity_id: i64,
    pub entity_name: String,
    pub uscc: String,
    pub case_id: Option<i64>,
    /// The district it belongs to (its case's, else its entity's).
    #[schema(schema_with = super::schema::district)]
    pub district: String,
    pub inspected_at: DateTime<Utc>,
    pub place: String,
    /// `compliant`, `violation`, `not_contactable` or `other`.
    #[schema(schema_with = super::schema::inspection_result)]
    pub result: String,
    pub notes: String,
    /// Usernames of the inspectors.
    pub inspectors: Vec<String>,
    /// How many files are attached.
    pub attachment_count: i64,
    /// The files (on `/api/v1/inspections/{id}` only; empty in lists).
    pub attachments: Vec<AttachmentItem>,
    pub created_at: DateTime<Utc>,
    /// Username of who recorded it.
    pub created_by: String,
}

impl From<store::Inspection> for InspectionItem {
    fn from(i: store::Inspection) -> InspectionItem {
        InspectionItem {
            id: i.id.0,
            entity_id: i.entity_id.0,
            entity_name: i.entity_name,
            uscc: i.uscc,
            case_id: i.case_id.map(|c| c.0),
            district: i.district.to_string(),
            inspected_at: i.inspected_at,
            place: i.place,
            result: i.result.code().to_string(),
            notes: i.notes,
            inspectors: i.officers.into_iter().map(|o| o.username).collect(),
            attachment_count: i.attachments,
            attachments: Vec::new(),
            created_at: i.created_at,
            created_by: i.created_by_name,
        }
    }
}

/// The filters of the inspection list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct InspectionParams {
    /// Entity id.
    #[param(value_type = Option<i64>)]
    pub entity: Option<String>,
    /// Case id.
    #[param(value_type = Option<i64>)]
    pub case: Option<String>,
    /// District code of the inspection.
    #[param(schema_with = super::schema::district)]
    pub district: Option<String>,
    /// `compliant`, `violation`, `not_contactable` or `other`.
    #[param(schema_with = super::schema::inspection_result)]
    pub result: Option<String>,
}

impl InspectionParams {
    fn filter(&self) -> Result<InspectionFilter, WebError> {
        Ok(InspectionFilter {
            entity: param::<i64>("entity", &self.entity)?.map(EntityId),
            case: param::<i64>("case", &self.case)?.map(CaseId),
            district: param::<DistrictCodeParam>("district", &self.district)?.map(|d| d.0),
            result: param::<InspectionResult>("result", &self.result)?,
            ..InspectionFilter::default()
        })
    }
}

/// Inspections in the caller's scope, the newest check first.
#[utoipa::path(
    get,
    path = "/api/v1/inspections",
    operation_id = "list_inspections",
    tag = "inspections",
    params(InspectionParams, Paging),
    responses((status = 200, description = "A page of inspections", body = Page<InspectionItem>), super::Failures)
)]
pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    filter: Result<Query<InspectionParams>, QueryRejection>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<InspectionItem>>, ApiError> {
    let filter = query(filter)?.filter()?;
    let (limit, offset) = query(paging)?.window()?;
    let scope = viewer.scope();
    let total = app.store.count_inspections(scope.clone(), &filter).await?;
    let rows = app
        .store
        .list_inspections(
            scope,
            &InspectionFilter {
                limit,
                offset,
                ..filter
            },
        )
        .await?;
    Ok(Json(Page {
        items: rows.into_iter().map(InspectionItem::from).collect(),
        total,
        limit,
        offset,
    }))
}

/// One inspection with its attachments (404 when it is not in the caller's scope).
#[utoipa::path(
    get,
    path = "/api/v1/inspections/{id}",
    operation_id = "get_inspection",
    tag = "inspections",
    params(("id" = i64, Path, description = "Inspection id")),
    responses((status = 200, description = "The inspection", body = InspectionItem), super::Failures)
)]
pub(crate) async fn item(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Json<InspectionItem>, ApiError> {
    let id = InspectionId(path_id(&raw, "现场检查")?);
    let scope = viewer.scope();
    let found = app
        .store
        .inspection(scope.clone(), id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("现场检查 {id}")))?;
    let mut item = InspectionItem::from(found);
    item.attachments = app
        .store
        .inspection_attachments(scope, id)
        .await?
        .into_iter()
        .map(|a| AttachmentItem {
            id: a.id.0,
            sha256: a.file.sha256,
            size: a.file.size,
            media_type: a.file.media_type,
            file_name: a.file.file_name,
            stored_at: a.stored_at,
            stored_by: a.stored_by_name,
        })
        .collect();
    Ok(Json(item))
}
