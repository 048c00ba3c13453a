//! Sites found that match no known site, from three sources ([`DiscoverySource`]): links on
//! crawled pages (a registered site's, one hop from the register, or a discovered site's, a
//! bounded number of hops further), other departments' filings, and certificate transparency
//! logs. Each keeps the evidence of its sightings, what its own pages show, the city
//! indicators that place it in the city, the entity a matcher proposes, the registered site it
//! may imitate, and a person's decision. Plain data; the SQL lives in the backends.

use crate::model::EvidencePointer;
use chrono::{DateTime, Utc};
use domain::locality::Indicator;
use domain::lookalike::Imitation;
use domain::{EntityId, SiteId, SweepId};
use serde::{Deserialize, Serialize};

/// How a site was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscoverySource {
    /// A link on a crawled page.
    Link,
    /// Another department's filing (a telecom ICP filing, a food licence with a web address).
    Filing,
    /// A certificate in a certificate transparency log.
    Ct,
}

impl DiscoverySource {
    pub const ALL: [DiscoverySource; 3] = [
        DiscoverySource::Link,
        DiscoverySource::Filing,
        DiscoverySource::Ct,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DiscoverySource::Link => "link",
            DiscoverySource::Filing => "filing",
            DiscoverySource::Ct => "ct",
        }
    }
}

/// A code that is not a [`DiscoverySource`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown discovery source {0:?} (link, filing, ct)")]
pub struct UnknownDiscoverySource(pub String);

impl std::str::FromStr for DiscoverySource {
    type Err = UnknownDiscoverySource;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DiscoverySource::ALL
            .into_iter()
            .find(|d| d.code() == s)
            .ok_or_else(|| UnknownDiscoverySource(s.to_string()))
    }
}

/// A site that matches no known site, as one source saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDiscovery {
    /// Lower-case host (`www.` kept as linked; `www.x` and `x` are one site).
    pub host: String,
    /// A shop's path prefix on a platform (`/shop/8812`), else empty.
    pub path_prefix: String,
    pub source: DiscoverySource,
    /// Steps from the register: 1 for a link on a registered site's page, a filing or a
    /// certificate; one more for a link on a discovered site's page. A site two or more hops
    /// away waits, `Unverified`, until its own pages show it is in the city.
    pub hops: u32,
    pub sighting: Sighting,
    /// What places it in the city (a filing's USCC or ICP number, a certificate's subject).
    #[serde(default)]
    pub indicators: Vec<Indicator>,
}

/// Where a discovered site was seen: a page that links to it, a filing that names it or a
/// certificate issued for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sighting {
    /// The page that links to it (empty for a filing or a certificate).
    #[serde(default)]
    pub from_url: String,
    #[serde(default)]
    pub anchor: String,
    /// The link was in a hidden block (a link farm's mark).
    #[serde(default)]
    pub hidden: bool,
    /// The WARC record of the page that links to it.
    #[serde(default)]
    pub evidence: Option<EvidencePointer>,
    /// The filing that names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filing: Option<FilingSighting>,
    /// The certificate issued for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertSighting>,
}

impl Sighting {
    /// What makes two sightings the same: the linking page, the filing, the log entry.
    pub fn key(&self) -> String {
        match (&self.filing, &self.certificate) {
            (Some(f), _) => format!("filing:{}", f.filing_id),
            (_, Some(c)) => format!("ct:{}:{}", c.log, c.index),
            _ => self.from_url.clone(),
        }
    }
}

/// A filing row as evidence of a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilingSighting {
    pub filing_id: i64,
    /// The department's source (`telecom`, `food`) and the row's key in it.
    pub source: String,
    pub record_key: String,
    pub kind: String,
    pub domain: String,
    pub number: Option<String>,
    pub name: Option<String>,
    pub uscc: Option<String>,
    pub address: Option<String>,
}

/// A certificate transparency log entry as evidence of a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertSighting {
    /// The log's configured name and the entry's index in it.
    pub log: String,
    pub index: u64,
    /// `sha256:<hex>` of the certificate (of the to-be-signed part for a precertificate).
    pub fingerprint: String,
    pub precert: bool,
    pub names: Vec<String>,
    pub organization: Option<String>,
    pub locality: Option<String>,
    pub issuer: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// The log's timestamp of the entry.
    pub logged_at: DateTime<Utc>,
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
    /// Telephone numbers shown (older rows have none).
    pub phones: Vec<String>,
}

impl Shown {
    /// The city indicators among what is shown.
    pub fn indicators(&self, city: &domain::locality::City) -> Vec<Indicator> {
        city.indicators(&domain::locality::Shown {
            addresses: &self.addresses,
            phones: &self.phones,
            icps: &self.icps,
            usccs: &self.usccs,
            names: &self.names,
        })
    }
}

/// Discovered sites of one source, by state: how well the source finds what people confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceStats {
    pub source: DiscoverySource,
    pub total: i64,
    pub unverified: i64,
    pub new: i64,
    pub confirmed: i64,
    pub rejected: i64,
    pub remote: i64,
}

impl SourceStats {
    pub fn empty(source: DiscoverySource) -> SourceStats {
        SourceStats {
            source,
            total: 0,
            unverified: 0,
            new: 0,
            confirmed: 0,
            rejected: 0,
            remote: 0,
        }
    }

    /// The share confirmed of those people decided; none before any decision.
    pub fn precision(&self) -> Option<f64> {
        let decided = self.confirmed + self.rejected;
        (decided > 0).then(|| self.confirmed as f64 / decided as f64)
    }

    /// Adds `n` sites in `state`.
    pub fn add(&mut self, state: DiscoveryState, n: i64) {
        self.total += n;
        match state {
            DiscoveryState::Unverified => self.unverified += n,
            DiscoveryState::New => self.new += n,
            DiscoveryState::Confirmed => self.confirmed += n,
            DiscoveryState::Rejected => self.rejected += n,
            DiscoveryState::Remote => self.remote += n,
        }
    }
}

/// A certificate transparency log as the store keeps it: how far it has been read and
/// verified, and its last failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CtLogState {
    pub name: String,
    pub url: String,
    /// Hex SHA-256 of the log's public key.
    pub log_id: String,
    /// The monitor's verified position (its own JSON); none before the first verified batch.
    pub position: Option<serde_json::Value>,
    pub entries_read: i64,
    pub candidates: i64,
    pub skipped: i64,
    pub polled_at: Option<DateTime<Utc>>,
    pub verified_at: Option<DateTime<Utc>>,
    pub failures: i64,
    /// The last failure's code and detail, while the log has not been verified since.
    pub failure: Option<(String, String)>,
    pub failed_at: Option<DateTime<Utc>>,
}

/// Where a discovered site stands: waiting for its pages, waiting for a person, decided, or
/// set aside as not in the city.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscoveryState {
    /// Two or more hops from the register and not crawled yet: in the queue only once its
    /// pages show a city indicator.
    Unverified,
    /// In the queue, for a person to confirm or reject.
    New,
    Confirmed,
    Rejected,
    /// Crawled two or more hops away and showing nothing of the city: never in the queue, not
    /// crawled again, kept as the record of why.
    Remote,
}

impl DiscoveryState {
    pub const ALL: [DiscoveryState; 5] = [
        DiscoveryState::Unverified,
        DiscoveryState::New,
        DiscoveryState::Confirmed,
        DiscoveryState::Rejected,
        DiscoveryState::Remote,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DiscoveryState::Unverified => "unverified",
            DiscoveryState::New => "new",
            DiscoveryState::Confirmed => "confirmed",
            DiscoveryState::Rejected => "rejected",
            DiscoveryState::Remote => "remote",
        }
    }
}

/// A code that is not a [`DiscoveryState`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown discovery state {0:?} (unverified, new, confirmed, rejected, remote)")]
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
    /// How it was first found (later sightings from other sources join its evidence).
    pub source: DiscoverySource,
    /// Steps from the register (the fewest it was seen at).
    pub hops: u32,
    /// The sweep that first saw it; none when a filing or a certificate did.
    pub first_sweep: Option<SweepId>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// The first sightings (at most [`MAX_SIGHTINGS`]).
    pub evidence: Vec<Sighting>,
    /// How many times it was seen in all.
    pub sightings: i64,
    pub shown: Shown,
    /// What places it in the city.
    pub indicators: Vec<Indicator>,
    /// The registered site its host imitates (`owner` is that site's entity).
    pub imitation: Option<Imitation>,
    /// The site row it was promoted to (crawled from then on).
    pub site_id: Option<SiteId>,
    pub proposed_entity: Option<EntityId>,
    pub proposal: Option<ProposalBasis>,
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
    pub basis: ProposalBasis,
}

/// Why the matcher proposes an entity: what the site, its filing or its certificate shows that
/// the register holds. Structured; front ends word it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum ProposalBasis {
    /// Its pages show the entity's USCC.
    Uscc { uscc: String },
    /// Its pages show an ICP number the register files for the entity.
    Icp { icp: String },
    /// Its pages name the operator by the entity's name (or a former name).
    Name { name: String, former: bool },
    /// A department's filing names the site and the entity's USCC.
    Filing {
        source: String,
        record_key: String,
        uscc: String,
    },
    /// Its host is a subdomain of the entity's registered site.
    Subdomain { registered_host: String },
    /// A reason written before reasons were structured.
    Text { text: String },
}

impl ProposalBasis {
    pub fn code(&self) -> &'static str {
        match self {
            ProposalBasis::Uscc { .. } => "uscc",
            ProposalBasis::Icp { .. } => "icp",
            ProposalBasis::Name { .. } => "name",
            ProposalBasis::Filing { .. } => "filing",
            ProposalBasis::Subdomain { .. } => "subdomain",
            ProposalBasis::Text { .. } => "text",
        }
    }

    /// Reads a stored basis (a text written before bases were structured stays text).
    pub fn from_stored(s: &str) -> ProposalBasis {
        serde_json::from_str(s).unwrap_or_else(|_| ProposalBasis::Text {
            text: s.to_string(),
        })
    }
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
