//! Sites that sweeps discovered: linked from registered sites' pages and matching no known
//! site, with the evidence of each sighting, what their own pages show, the entity a matcher
//! proposes and a person's decision. Plain data; the SQL lives in the backends.

use crate::model::EvidencePointer;
use chrono::{DateTime, Utc};
use domain::{EntityId, SiteId, SweepId};
use serde::{Deserialize, Serialize};

/// A site linked from a scanned page that matches no known site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDiscovery {
    /// Lower-case host (`www.` kept as linked; `www.x` and `x` are one site).
    pub host: String,
    /// A shop's path prefix on a platform (`/shop/8812`), else empty.
    pub path_prefix: String,
    pub sighting: Sighting,
}

/// Where a discovered site was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sighting {
    pub from_url: String,
    pub anchor: String,
    /// The link was in a hidden block (a link farm's mark).
    pub hidden: bool,
    /// The WARC record of the page that links to it.
    pub evidence: Option<EvidencePointer>,
}

/// What a site's own pages show of its operator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Shown {
    pub usccs: Vec<String>,
    pub icps: Vec<String>,
    pub names: Vec<String>,
    /// Addresses shown after an address label (older rows have none).
    pub addresses: Vec<String>,
}

/// A person's decision on a discovered site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscoveryState {
    New,
    Confirmed,
    Rejected,
}

impl DiscoveryState {
    pub const ALL: [DiscoveryState; 3] = [
        DiscoveryState::New,
        DiscoveryState::Confirmed,
        DiscoveryState::Rejected,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DiscoveryState::New => "new",
            DiscoveryState::Confirmed => "confirmed",
            DiscoveryState::Rejected => "rejected",
        }
    }
}

/// A code that is not a [`DiscoveryState`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown discovery state {0:?} (new, confirmed, rejected)")]
pub struct UnknownDiscoveryState(pub String);

impl std::str::FromStr for DiscoveryState {
    type Err = UnknownDiscoveryState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DiscoveryState::ALL
            .into_iter()
            .find(|d| d.code() == s)
            .ok_or_else(|| UnknownDiscoveryState(s.to_string()))
    }
}

/// A discovered site with its evidence and the matcher's proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discovered {
    pub id: i64,
    pub host: String,
    pub path_prefix: String,
    pub first_sweep: SweepId,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// The first sightings (at most [`MAX_SIGHTINGS`]).
    pub evidence: Vec<Sighting>,
    /// How many times it was seen in all.
    pub sightings: i64,
    pub shown: Shown,
    /// The site row it was promoted to (crawled from then on).
    pub site_id: Option<SiteId>,
    pub proposed_entity: Option<EntityId>,
    pub proposal_reason: Option<String>,
    pub state: DiscoveryState,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl Discovered {
    /// `host` or `host/prefix`.
    pub fn address(&self) -> String {
        format!("{}{}", self.host, self.path_prefix.trim_end_matches('/'))
    }
}

/// Sightings kept per discovered site; later ones only count.
pub const MAX_SIGHTINGS: usize = 5;

/// The matcher's proposal for a discovered site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub entity: EntityId,
    pub reason: String,
}

/// Why a decision on a discovered site cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    /// No such discovered site (in the caller's scope).
    #[error("no discovered site {0}")]
    NoDiscovered(i64),
    /// No entity with this USCC (in the caller's scope).
    #[error("no entity with USCC {0}")]
    NoEntity(String),
    /// Neither an entity was given nor is one proposed.
    #[error("discovered site {0} has no proposal: give the entity's USCC")]
    NoProposal(i64),
    #[error(transparent)]
    Store(#[from] crate::StoreError),
}

/// A person confirms a discovered site as a site of an entity: the one given by USCC (looked
/// up in `scope`), else the matcher's proposal. The discovered site itself is looked up in
/// `scope` too: one the person may not see is `NoDiscovered`. The one way every front end
/// confirms.
pub async fn confirm_discovered(
    store: &dyn crate::Store,
    scope: crate::Scope,
    id: i64,
    uscc: Option<&str>,
    by: &crate::Actor,
) -> Result<Discovered, DecisionError> {
    let d = store
        .discovered(scope.clone(), id)
        .await?
        .ok_or(DecisionError::NoDiscovered(id))?;
    let entity = match uscc
        .map(domain::text::compact_upper)
        .filter(|u| !u.is_empty())
    {
        Some(norm) => store
            .entity_by_uscc(scope.clone(), &norm)
            .await?
            .ok_or(DecisionError::NoEntity(norm))?,
        None => {
            let proposed = d.proposed_entity.ok_or(DecisionError::NoProposal(id))?;
            store
                .entity(scope, proposed)
                .await?
                .ok_or(DecisionError::NoProposal(id))?
        }
    };
    Ok(store
        .decide_discovery(id, DiscoveryState::Confirmed, Some(entity.id), by)
        .await?)
}

/// A person rejects a discovered site in `scope`: it is no longer crawled as a discovery.
pub async fn reject_discovered(
    store: &dyn crate::Store,
    scope: crate::Scope,
    id: i64,
    by: &crate::Actor,
) -> Result<Discovered, DecisionError> {
    store
        .discovered(scope, id)
        .await?
        .ok_or(DecisionError::NoDiscovered(id))?;
    Ok(store
        .decide_discovery(id, DiscoveryState::Rejected, None, by)
        .await?)
}
