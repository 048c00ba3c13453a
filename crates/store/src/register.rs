//! The register beyond the entity row: its change history, other departments' filings joined
//! to it (and the conflicts they show), and the sites sweeps discovered. Plain data and pure
//! functions; the SQL lives in the backends.

use crate::model::{Entity, EvidencePointer};
use chrono::{DateTime, NaiveDate, Utc};
use domain::{EntityId, SiteId, SweepId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// One changed field of an entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub changed_at: DateTime<Utc>,
    /// Where the change came from (`import entities <file>`).
    pub source: String,
    /// The field's import column name; `created` for the row's creation.
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// One record of another department, as its source's mapping reads it, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilingInput {
    /// The source named on import (`telecom`, `food`, …).
    pub source: String,
    /// The record's key within the source (the mapping says which columns make it).
    pub record_key: String,
    /// What the record is (`icp`, `food_permit`, `finance_license`, `tax_status`, …).
    pub kind: String,
    pub uscc: Option<String>,
    /// Hostname or shop address (`host[/prefix]`), canonical.
    pub domain: Option<String>,
    /// The entity's name as the source has it.
    pub name: Option<String>,
    /// Permit, license or filing number.
    pub number: Option<String>,
    pub scope: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub status: Option<String>,
    pub address: Option<String>,
    /// Every non-empty column of the row, mapped or not, by its header in the source file.
    pub fields: BTreeMap<String, String>,
}

/// How a filing found its entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinedBy {
    Uscc,
    Domain,
}

impl JoinedBy {
    pub fn code(self) -> &'static str {
        match self {
            JoinedBy::Uscc => "uscc",
            JoinedBy::Domain => "domain",
        }
    }
}

/// A stored filing and what it is joined to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filing {
    pub id: i64,
    pub input: FilingInput,
    pub entity_id: Option<EntityId>,
    pub joined_by: Option<JoinedBy>,
    /// The registered entity whose site is the filing's domain, when there is one.
    pub domain_entity: Option<(EntityId, String)>,
    pub imported_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Something a filing says that disagrees with the register. Shown on the profile and in the
/// import's conflict report; never resolved by overwriting either side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Conflict {
    /// Neither the USCC nor the domain matches a register entity.
    NoEntity,
    /// The source names the entity differently (and not by one of its former names).
    NameDiffers { filing: String, register: String },
    /// The permit or license is past its validity.
    Expired { valid_until: NaiveDate },
    /// The filed domain is a site of another registered entity.
    DomainOfOther {
        domain: String,
        entity: EntityId,
        name: String,
    },
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conflict::NoEntity => f.write_str("no register entity has this USCC or domain"),
            Conflict::NameDiffers { filing, register } => {
                write!(
                    f,
                    "name {filing:?} differs from the register's {register:?}"
                )
            }
            Conflict::Expired { valid_until } => write!(f, "expired on {valid_until}"),
            Conflict::DomainOfOther { domain, name, .. } => {
                write!(f, "domain {domain} is a registered site of {name}")
            }
        }
    }
}

impl Conflict {
    pub fn code(&self) -> &'static str {
        match self {
            Conflict::NoEntity => "no_entity",
            Conflict::NameDiffers { .. } => "name_differs",
            Conflict::Expired { .. } => "expired",
            Conflict::DomainOfOther { .. } => "domain_of_other",
        }
    }
}

/// Names compare equal when they differ only in spaces, width and the brackets' form.
fn same_name(a: &str, b: &str) -> bool {
    fn key(s: &str) -> String {
        s.chars()
            .map(domain::text::fold_width)
            .filter(|c| !c.is_whitespace())
            .collect()
    }
    key(a) == key(b)
}

/// The conflicts of a filing with the register as of `today`. `entity` is the filing's
/// joined entity (`filing.entity_id`), when there is one.
pub fn conflicts(filing: &Filing, entity: Option<&Entity>, today: NaiveDate) -> Vec<Conflict> {
    let mut out = Vec::new();
    match entity {
        None => out.push(Conflict::NoEntity),
        Some(e) => {
            if let Some(name) = &filing.input.name {
                let known = std::iter::once(&e.input.name).chain(&e.input.former_names);
                if !known.clone().any(|n| same_name(n, name)) {
                    out.push(Conflict::NameDiffers {
                        filing: name.clone(),
                        register: e.input.name.clone(),
                    });
                }
            }
            if let (Some(domain), Some((owner, owner_name))) =
                (&filing.input.domain, &filing.domain_entity)
            {
                if *owner != e.id {
                    out.push(Conflict::DomainOfOther {
                        domain: domain.clone(),
                        entity: *owner,
                        name: owner_name.clone(),
                    });
                }
            }
        }
    }
    if let Some(until) = filing.input.valid_until {
        if until < today {
            out.push(Conflict::Expired { valid_until: until });
        }
    }
    out
}

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
    pub fn code(self) -> &'static str {
        match self {
            DiscoveryState::New => "new",
            DiscoveryState::Confirmed => "confirmed",
            DiscoveryState::Rejected => "rejected",
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EntityInput;
    use domain::{DistrictCode, SiteKind};

    fn entity(id: i64, name: &str, former: &[&str]) -> Entity {
        let mut input = EntityInput::new(
            "91450103MA5K00012X",
            name,
            SiteKind::TradingSite,
            DistrictCode::parse("450103").unwrap(),
        );
        input.former_names = former.iter().map(|s| s.to_string()).collect();
        Entity {
            id: EntityId(id),
            input,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn filing(name: Option<&str>, domain_entity: Option<i64>, until: Option<&str>) -> Filing {
        Filing {
            id: 1,
            input: FilingInput {
                source: "telecom".into(),
                record_key: "k".into(),
                kind: "icp".into(),
                uscc: None,
                domain: Some("a.test".into()),
                name: name.map(str::to_string),
                number: None,
                scope: None,
                valid_from: None,
                valid_until: until.map(|u| u.parse().unwrap()),
                status: None,
                address: None,
                fields: BTreeMap::new(),
            },
            entity_id: Some(EntityId(1)),
            joined_by: Some(JoinedBy::Uscc),
            domain_entity: domain_entity.map(|id| (EntityId(id), "别家公司".to_string())),
            imported_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn conflicts_name_former_name_domain_and_expiry() {
        let today: NaiveDate = "2026-11-30".parse().unwrap();
        let e = entity(1, "南宁市甲商贸有限公司", &["南宁市旧名商行"]);
        let ok = filing(Some("南宁市甲商贸有限公司 "), Some(1), Some("2027-01-01"));
        assert_eq!(conflicts(&ok, Some(&e), today), vec![]);
        let former = filing(Some("南宁市旧名商行"), None, None);
        assert_eq!(conflicts(&former, Some(&e), today), vec![]);
        let bad = filing(Some("南宁市乙公司"), Some(2), Some("2025-12-31"));
        let c = conflicts(&bad, Some(&e), today);
        let codes: Vec<&str> = c.iter().map(Conflict::code).collect();
        assert_eq!(codes, ["name_differs", "domain_of_other", "expired"]);
        assert!(c[1].to_string().contains("别家公司"));
        assert_eq!(
            conflicts(&ok, None, today)
                .iter()
                .map(Conflict::code)
                .collect::<Vec<_>>(),
            ["no_entity"]
        );
    }
}
