//! `/api/v1/discovered`: sites that sweeps found linked from registered sites and that match no
//! register entry, with the evidence of each sighting and the decision on them, filtered by
//! state like the console's page. A discovered site is in the scope of the entity the matcher
//! proposes for it; one without a proposal is the city's only.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use store::{DiscoveryFilter, DiscoveryState};
use utoipa::{IntoParams, ToSchema};

use super::{query, Evidence, Page, Paging};
use crate::view::param;
use crate::{ApiError, Shared, Viewer, WebError};

/// A discovered site.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Discovered)]
pub(crate) struct DiscoveredItem {
    pub id: i64,
    pub host: String,
    /// A shop's path prefix on a platform, else empty.
    pub path_prefix: String,
    /// `host` or `host/prefix`.
    pub address: String,
    /// The sweep that first saw it.
    pub first_sweep: i64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// How many times it was seen in all.
    pub sightings: i64,
    /// The first sightings, with the evidence of the linking page.
    pub evidence: Vec<SightingItem>,
    /// What its own pages show of its operator.
    pub shown: ShownItem,
    /// The site row it was promoted to (crawled from then on).
    pub site_id: Option<i64>,
    /// The entity the matcher proposes.
    pub proposed_entity: Option<i64>,
    pub proposal_reason: Option<String>,
    /// A person's decision.
    #[schema(schema_with = super::schema::discovery_state)]
    pub state: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// Where a discovered site was linked from.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Sighting)]
pub(crate) struct SightingItem {
    pub from_url: String,
    /// The link's text.
    pub anchor: String,
    /// The link was in a hidden block.
    pub hidden: bool,
    /// The WARC record of the linking page.
    pub evidence: Option<Evidence>,
}

/// What a site's own pages show of its operator.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Shown)]
pub(crate) struct ShownItem {
    pub usccs: Vec<String>,
    pub icps: Vec<String>,
    pub names: Vec<String>,
}

impl From<store::Discovered> for DiscoveredItem {
    fn from(d: store::Discovered) -> DiscoveredItem {
        DiscoveredItem {
            id: d.id,
            address: d.address(),
            host: d.host,
            path_prefix: d.path_prefix,
            first_sweep: d.first_sweep.0,
            first_seen: d.first_seen,
            last_seen: d.last_seen,
            sightings: d.sightings,
            evidence: d
                .evidence
                .into_iter()
                .map(|s| SightingItem {
                    evidence: s.evidence.as_ref().map(Evidence::from),
                    from_url: s.from_url,
                    anchor: s.anchor,
                    hidden: s.hidden,
                })
                .collect(),
            shown: ShownItem {
                usccs: d.shown.usccs,
                icps: d.shown.icps,
                names: d.shown.names,
            },
            site_id: d.site_id.map(|s| s.0),
            proposed_entity: d.proposed_entity.map(|e| e.0),
            proposal_reason: d.proposal_reason,
            state: d.state.code().to_string(),
            decided_by: d.decided_by,
            decided_at: d.decided_at,
        }
    }
}

/// The filters of the discovered sites' list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DiscoveredParams {
    /// A person's decision: `new` (none yet), `confirmed` or `rejected`.
    #[param(schema_with = super::schema::discovery_state)]
    pub state: Option<String>,
}

impl DiscoveredParams {
    fn filter(&self) -> Result<DiscoveryFilter, WebError> {
        Ok(DiscoveryFilter {
            state: param::<DiscoveryState>("state", &self.state)?,
            sort: None,
            limit: 0,
            offset: 0,
        })
    }
}

/// Discovered sites in the caller's scope, by address.
#[utoipa::path(
    get,
    path = "/api/v1/discovered",
    operation_id = "list_discovered",
    tag = "discovered",
    params(DiscoveredParams, Paging),
    responses((status = 200, description = "A page of discovered sites", body = Page<DiscoveredItem>), super::Failures)
)]
pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
    filter: Result<Query<DiscoveredParams>, QueryRejection>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<DiscoveredItem>>, ApiError> {
    let filter = query(filter)?.filter()?;
    let (limit, offset) = query(paging)?.window()?;
    let scope = viewer.scope();
    let total = app.store.count_discovered(scope.clone(), &filter).await?;
    let rows = app
        .store
        .list_discovered(
            scope,
            &DiscoveryFilter {
                limit,
                offset,
                ..filter
            },
        )
        .await?;
    Ok(Json(Page {
        items: rows.into_iter().map(DiscoveredItem::from).collect(),
        total,
        limit,
        offset,
    }))
}
