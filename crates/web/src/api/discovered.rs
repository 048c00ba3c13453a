//! `/api/v1/discovered`: sites that match no register entry, found by links (a bounded number
//! of hops from the register), department filings or certificate transparency logs, with the
//! evidence of each sighting, the city indicators, the matcher's proposal, the registered site
//! a host imitates and the decision on them, filtered like the console's queue; and
//! `/api/v1/discovered/stats`, each source's counts and precision; and
//! `/api/v1/discovered/ct-logs`, the certificate transparency logs' positions and failures. A discovered site is in the
//! scope of the entity the matcher proposes for it; one without a proposal is the city's only.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use store::{DiscoveryFilter, DiscoverySource, DiscoveryState};
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
    /// How it was first found.
    #[schema(schema_with = super::schema::discovery_source)]
    pub source: String,
    /// Steps from the register (1: linked from a registered site, named by a filing or a
    /// certificate).
    pub hops: u32,
    /// The sweep that first saw it (none when a filing or a certificate did).
    pub first_sweep: Option<i64>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// How many times it was seen in all.
    pub sightings: i64,
    /// The first sightings, each a linking page, a filing or a certificate.
    pub evidence: Vec<SightingItem>,
    /// What its own pages show of its operator.
    pub shown: ShownItem,
    /// What places it in the city: `{"address": "…"}`, `{"phone": "…"}`, `{"icp": "…"}`,
    /// `{"uscc": "…"}`, `{"organization": "…"}` or `{"locality": "…"}`.
    #[schema(value_type = Vec<Object>)]
    pub indicators: Vec<serde_json::Value>,
    /// The site row it was promoted to (crawled from then on).
    pub site_id: Option<i64>,
    /// The entity the matcher proposes.
    pub proposed_entity: Option<i64>,
    /// Why: `{"by": "uscc" | "icp" | "name" | "filing" | "subdomain", …}`.
    #[schema(value_type = Option<Object>)]
    pub proposal: Option<serde_json::Value>,
    /// The entity whose registered site this host imitates.
    pub imitates_entity: Option<i64>,
    /// The registered host imitated and how.
    #[schema(value_type = Option<Object>)]
    pub imitation: Option<serde_json::Value>,
    /// Where it stands.
    #[schema(schema_with = super::schema::discovery_state)]
    pub state: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// Where a discovered site was seen.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Sighting)]
pub(crate) struct SightingItem {
    /// The linking page (empty for a filing or a certificate).
    pub from_url: String,
    /// The link's text.
    pub anchor: String,
    /// The link was in a hidden block.
    pub hidden: bool,
    /// The WARC record of the linking page.
    pub evidence: Option<Evidence>,
    /// The filing that names it: source, record key, domain, number, name, USCC, address.
    #[schema(value_type = Option<Object>)]
    pub filing: Option<serde_json::Value>,
    /// The certificate issued for it: log, index, fingerprint, names, subject, validity.
    #[schema(value_type = Option<Object>)]
    pub certificate: Option<serde_json::Value>,
}

/// What a site's own pages show of its operator.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Shown)]
pub(crate) struct ShownItem {
    pub usccs: Vec<String>,
    pub icps: Vec<String>,
    pub names: Vec<String>,
    pub addresses: Vec<String>,
    pub phones: Vec<String>,
}

fn value(v: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

impl From<store::Discovered> for DiscoveredItem {
    fn from(d: store::Discovered) -> DiscoveredItem {
        DiscoveredItem {
            id: d.id,
            address: d.address(),
            host: d.host,
            path_prefix: d.path_prefix,
            source: d.source.code().to_string(),
            hops: d.hops,
            first_sweep: d.first_sweep.map(|s| s.0),
            first_seen: d.first_seen,
            last_seen: d.last_seen,
            sightings: d.sightings,
            evidence: d
                .evidence
                .into_iter()
                .map(|s| SightingItem {
                    evidence: s.evidence.as_ref().map(Evidence::from),
                    filing: s.filing.as_ref().map(value),
                    certificate: s.certificate.as_ref().map(value),
                    from_url: s.from_url,
                    anchor: s.anchor,
                    hidden: s.hidden,
                })
                .collect(),
            shown: ShownItem {
                usccs: d.shown.usccs,
                icps: d.shown.icps,
                names: d.shown.names,
                addresses: d.shown.addresses,
                phones: d.shown.phones,
            },
            indicators: d.indicators.iter().map(value).collect(),
            site_id: d.site_id.map(|s| s.0),
            proposed_entity: d.proposed_entity.map(|e| e.0),
            proposal: d.proposal.as_ref().map(value),
            imitates_entity: d.imitation.as_ref().map(|i| i.owner),
            imitation: d.imitation.as_ref().map(value),
            state: d.state.code().to_string(),
            decided_by: d.decided_by,
            decided_at: d.decided_at,
        }
    }
}

/// One source's discovered sites by state, and its precision.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = DiscoverySourceStats)]
pub(crate) struct SourceStatsItem {
    #[schema(schema_with = super::schema::discovery_source)]
    pub source: String,
    pub total: i64,
    pub unverified: i64,
    pub new: i64,
    pub confirmed: i64,
    pub rejected: i64,
    pub remote: i64,
    /// Confirmed ÷ (confirmed + rejected); none before any decision.
    pub precision: Option<f64>,
}

/// The filters of the discovered sites' list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DiscoveredParams {
    /// Where it stands: `unverified`, `new` (no decision yet), `confirmed`, `rejected` or
    /// `remote`.
    #[param(schema_with = super::schema::discovery_state)]
    pub state: Option<String>,
    /// How it was first found: `link`, `filing` or `ct`.
    #[param(schema_with = super::schema::discovery_source)]
    pub source: Option<String>,
    /// `yes`: only hosts that imitate a registered site.
    #[param(schema_with = super::schema::yes_no)]
    pub imitations: Option<String>,
}

impl DiscoveredParams {
    fn filter(&self) -> Result<DiscoveryFilter, WebError> {
        let imitations = match self.imitations.as_deref().map(str::trim) {
            None | Some("") | Some("no") => false,
            Some("yes") => true,
            Some(other) => {
                return Err(WebError::BadRequest(format!(
                    "参数 imitations 应为 yes 或 no，而不是 {other:?}"
                )))
            }
        };
        Ok(DiscoveryFilter {
            count_up_to: None,
            state: param::<DiscoveryState>("state", &self.state)?,
            source: param::<DiscoverySource>("source", &self.source)?,
            imitations,
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

/// Each source's discovered sites in the caller's scope, by state, with its precision.
#[utoipa::path(
    get,
    path = "/api/v1/discovered/stats",
    operation_id = "discovery_stats",
    tag = "discovered",
    responses((status = 200, description = "One row per source (link, filing, ct), on one page", body = Page<SourceStatsItem>), super::Failures)
)]
pub(crate) async fn stats(
    State(app): State<Shared>,
    viewer: Viewer,
) -> Result<Json<Page<SourceStatsItem>>, ApiError> {
    let stats = app.store.discovery_stats(viewer.scope()).await?;
    Ok(Json(Page::whole(
        stats
            .into_iter()
            .map(|s| SourceStatsItem {
                source: s.source.code().to_string(),
                precision: s.precision(),
                total: s.total,
                unverified: s.unverified,
                new: s.new,
                confirmed: s.confirmed,
                rejected: s.rejected,
                remote: s.remote,
            })
            .collect(),
    )))
}

/// A certificate transparency log as the bureau reads it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = CtLog)]
pub(crate) struct CtLogItem {
    /// The configured name.
    pub name: String,
    pub url: String,
    /// Hex SHA-256 of the log's public key.
    pub log_id: String,
    /// Entries read and verified so far (the next index to read).
    pub entries_read: i64,
    /// Sites its certificates gave.
    pub candidates: i64,
    /// Entries that could not be read (malformed certificates).
    pub skipped: i64,
    pub polled_at: Option<DateTime<Utc>>,
    /// When a batch was last proved part of a signed tree head.
    pub verified_at: Option<DateTime<Utc>>,
    /// Failures so far.
    pub failures: i64,
    /// The last failure's code (`bad_signature`, `inconsistent`, …) while not verified since.
    pub failure_code: Option<String>,
    pub failure_detail: Option<String>,
    pub failed_at: Option<DateTime<Utc>>,
}

/// The certificate transparency logs read so far, by name: the bureau's, so a person whose
/// scope is a district sees none.
#[utoipa::path(
    get,
    path = "/api/v1/discovered/ct-logs",
    operation_id = "list_ct_logs",
    tag = "discovered",
    responses((status = 200, description = "Every log, on one page", body = Page<CtLogItem>), super::Failures)
)]
pub(crate) async fn ct_logs(
    State(app): State<Shared>,
    viewer: Viewer,
) -> Result<Json<Page<CtLogItem>>, ApiError> {
    let logs = match viewer.scope() {
        store::Scope::City => app.store.ct_logs().await?,
        _ => Vec::new(),
    };
    Ok(Json(Page::whole(
        logs.into_iter()
            .map(|l| {
                let (failure_code, failure_detail) = l.failure.unzip();
                CtLogItem {
                    name: l.name,
                    url: l.url,
                    log_id: l.log_id,
                    entries_read: l.entries_read,
                    candidates: l.candidates,
                    skipped: l.skipped,
                    polled_at: l.polled_at,
                    verified_at: l.verified_at,
                    failures: l.failures,
                    failure_code,
                    failure_detail,
                    failed_at: l.failed_at,
                }
            })
            .collect(),
    )))
}
