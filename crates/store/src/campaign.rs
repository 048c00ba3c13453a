//! Special campaigns (专项行动) as stored, the figures of a campaign, and the scheduler's runs.
//!
//! A campaign's targets are resolved to sites once, when it is created (`schedule` resolves
//! them; the store keeps the list), and its sweeps cover those sites with its rule packs. Its
//! figures are the report's ([`crate::report`]) over its sites and period.

use chrono::{DateTime, NaiveDate, Utc};
use domain::{CampaignId, Category, DistrictCode, SiteId, SiteKind, SweepId};
use serde::{Deserialize, Serialize};

/// What a campaign aims at. Kinds, districts, categories and keywords each narrow the sites
/// (all that are given must hold); the explicit `sites` are added to what they select.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignTargets {
    /// Sites of these kinds.
    #[serde(default)]
    pub kinds: Vec<SiteKind>,
    /// Sites whose entity is in these districts.
    #[serde(default)]
    pub districts: Vec<DistrictCode>,
    /// Sites with findings of these categories (not dismissed as false positives).
    #[serde(default)]
    pub categories: Vec<Category>,
    /// Sites whose captured pages contain one of these words (through the search index).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// These sites, whatever the other targets say.
    #[serde(default)]
    pub sites: Vec<SiteId>,
}

impl CampaignTargets {
    /// Whether no target at all is given.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
            && self.districts.is_empty()
            && self.categories.is_empty()
            && self.keywords.is_empty()
            && self.sites.is_empty()
    }

    /// Whether any narrowing target (kind, district, category, keyword) is given.
    pub fn narrows(&self) -> bool {
        !(self.kinds.is_empty()
            && self.districts.is_empty()
            && self.categories.is_empty()
            && self.keywords.is_empty())
    }
}

/// Which sites a selection of the register takes ([`crate::CampaignStore::select_sites`]):
/// every list given narrows; an empty selection takes every site in scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteSelection {
    pub kinds: Vec<SiteKind>,
    pub districts: Vec<DistrictCode>,
    pub categories: Vec<Category>,
    /// Sites whose entity's current credit class (`credit_scores.class`) is one of these.
    pub classes: Vec<domain::CreditClass>,
    /// Only these sites (`None`: any).
    pub only: Option<Vec<SiteId>>,
}

/// Whether a campaign still runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    Active,
    Closed,
}

impl CampaignState {
    pub const ALL: [CampaignState; 2] = [CampaignState::Active, CampaignState::Closed];

    pub fn code(self) -> &'static str {
        match self {
            CampaignState::Active => "active",
            CampaignState::Closed => "closed",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            CampaignState::Active => "进行中",
            CampaignState::Closed => "已结束",
        }
    }

    pub fn parse(s: &str) -> Option<CampaignState> {
        Self::ALL.into_iter().find(|c| c.code() == s)
    }
}

/// A campaign to store (checked by `schedule::campaign::create`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCampaign {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub targets: CampaignTargets,
    /// Rule pack names (detect's packs) its sweeps scan with.
    pub packs: Vec<String>,
    /// Its sweeps' cron schedule (five fields); empty: by hand only.
    pub schedule: String,
}

/// A stored campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: CampaignId,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub targets: CampaignTargets,
    pub packs: Vec<String>,
    pub schedule: String,
    pub state: CampaignState,
    pub created_at: DateTime<Utc>,
    /// Who created it (`user:NAME`, or the command line's operator).
    pub created_by: String,
    pub closed_at: Option<DateTime<Utc>>,
    /// How many sites its targets resolved to.
    pub sites: i64,
}

/// One run of a scheduled job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleRun {
    pub id: i64,
    /// `city`, `campaign:<id>` or `recheck`.
    pub job: String,
    pub due_at: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub sweep_id: Option<SweepId>,
    /// Why it failed (none when it succeeded or still runs).
    pub error: Option<String>,
}
