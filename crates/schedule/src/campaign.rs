//! Campaigns (专项行动): creating one (its targets resolved to sites, its packs and schedule
//! checked), its period in the bureau's time zone, the detector its sweeps scan with, and its
//! figures per district. The console and the command line call these functions; neither
//! checks a campaign itself.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use detect::{Detector, RulePack};
use domain::{CampaignId, DistrictCode, SiteId};
use store::{
    Actor, Campaign, CampaignTargets, Figure, FigureCount, NewCampaign, Period, Scope,
    SiteSelection, Store, StoreError,
};

use crate::cron::{Cron, CronError};

/// A campaign as a person asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignInput {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub targets: CampaignTargets,
    /// Rule pack names; empty: every shipped pack.
    pub packs: Vec<String>,
    /// Cron schedule of its sweeps; empty: by hand only.
    pub schedule: String,
}

/// Why a campaign was refused (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("a campaign needs a name")]
    NoName,
    #[error("the campaign name is longer than {max} characters")]
    NameTooLong { max: usize },
    #[error("the campaign ends ({ends_on}) before it starts ({starts_on})")]
    EndsBeforeStart {
        starts_on: NaiveDate,
        ends_on: NaiveDate,
    },
    #[error(
        "a campaign needs at least one target (site kind, district, category, keyword or site)"
    )]
    NoTargets,
    /// The targets select no site.
    #[error("the campaign's targets match no site")]
    NoSites,
    /// An explicit site that does not exist.
    #[error("no site {site}")]
    UnknownSite { site: SiteId },
    #[error("a keyword target is empty")]
    EmptyKeyword,
    /// A target written as text that does not parse.
    #[error("bad {} target {value:?}", what.code())]
    BadTarget { what: TargetKind, value: String },
    /// Keyword targets need the search index.
    #[error("keyword targets need the search index, which is not available")]
    NoSearchIndex,
    #[error(transparent)]
    UnknownPack(#[from] detect::UnknownPack),
    #[error("bad schedule: {0}")]
    Schedule(#[from] CronError),
    #[error("no campaign {0}")]
    NotFound(CampaignId),
    #[error("campaign {0} is closed")]
    Closed(CampaignId),
    #[error("search index")]
    Search(#[source] search::Error),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for CampaignError {
    fn from(e: StoreError) -> Self {
        CampaignError::Store(e)
    }
}

/// The kinds of targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    SiteKind,
    District,
    Category,
    Keyword,
    Site,
}

impl TargetKind {
    pub fn code(self) -> &'static str {
        match self {
            TargetKind::SiteKind => "site kind",
            TargetKind::District => "district",
            TargetKind::Category => "category",
            TargetKind::Keyword => "keyword",
            TargetKind::Site => "site",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            TargetKind::SiteKind => "网站类型",
            TargetKind::District => "行政区",
            TargetKind::Category => "违法类别",
            TargetKind::Keyword => "关键词",
            TargetKind::Site => "网站编号",
        }
    }
}

/// Targets as people write them (the command line's flags, the console's form fields): site
/// kind codes, district codes, category codes, keywords, site ids. Blank entries are skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetText {
    pub kinds: Vec<String>,
    pub districts: Vec<String>,
    pub categories: Vec<String>,
    pub keywords: Vec<String>,
    pub sites: Vec<String>,
}

impl TargetText {
    /// Parses every entry; the first that does not parse is refused.
    pub fn parse(&self) -> Result<CampaignTargets, CampaignError> {
        fn each<T>(
            v: &[String],
            what: TargetKind,
            f: impl Fn(&str) -> Option<T>,
        ) -> Result<Vec<T>, CampaignError> {
            let mut out = Vec::new();
            for raw in v {
                let t = raw.trim();
                if t.is_empty() {
                    continue;
                }
                out.push(f(t).ok_or_else(|| CampaignError::BadTarget {
                    what,
                    value: t.to_string(),
                })?);
            }
            Ok(out)
        }
        Ok(CampaignTargets {
            kinds: each(&self.kinds, TargetKind::SiteKind, |t| t.parse().ok())?,
            districts: each(&self.districts, TargetKind::District, |t| {
                DistrictCode::parse(t).ok()
            })?,
            categories: each(&self.categories, TargetKind::Category, |t| t.parse().ok())?,
            keywords: each(&self.keywords, TargetKind::Keyword, |t| Some(t.to_string()))?,
            sites: each(&self.sites, TargetKind::Site, |t| {
                t.trim_start_matches('#').parse().ok().map(SiteId)
            })?,
        })
    }
}

/// The longest name accepted.
pub const MAX_NAME: usize = 100;

/// Checks `input`, resolves its targets to sites and stores the campaign (audited). Keyword
/// targets are looked up in `index` (pages whose text contains the word).
pub async fn create(
    store: &dyn Store,
    index: Option<&search::SearchIndex>,
    input: &CampaignInput,
    by: &Actor,
) -> Result<Campaign, CampaignError> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(CampaignError::NoName);
    }
    if name.chars().count() > MAX_NAME {
        return Err(CampaignError::NameTooLong { max: MAX_NAME });
    }
    if input.ends_on < input.starts_on {
        return Err(CampaignError::EndsBeforeStart {
            starts_on: input.starts_on,
            ends_on: input.ends_on,
        });
    }
    let schedule = input.schedule.trim();
    if !schedule.is_empty() {
        Cron::parse(schedule)?;
    }
    let packs = dedup(&input.packs);
    RulePack::builtin_named(&packs)?;
    let mut targets = input.targets.clone();
    targets.keywords = targets
        .keywords
        .iter()
        .map(|k| k.trim().to_string())
        .collect();
    if targets.keywords.iter().any(String::is_empty) {
        return Err(CampaignError::EmptyKeyword);
    }
    let sites = resolve(store, index, &targets).await?;
    let campaign = NewCampaign {
        name: name.to_string(),
        starts_on: input.starts_on,
        ends_on: input.ends_on,
        targets,
        packs,
        schedule: Cron::parse(schedule)
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
    };
    Ok(store.create_campaign(&campaign, &sites, by).await?)
}

fn dedup(v: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    v.iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && seen.insert(s.clone()))
        .collect()
}

/// The sites `targets` select: the narrowing targets together (all must hold), plus the
/// explicit sites. Refuses targets that select nothing.
pub async fn resolve(
    store: &dyn Store,
    index: Option<&search::SearchIndex>,
    targets: &CampaignTargets,
) -> Result<Vec<SiteId>, CampaignError> {
    if targets.is_empty() {
        return Err(CampaignError::NoTargets);
    }
    let mut out = BTreeSet::new();
    // The explicit sites: each must exist (the city's scope: a campaign is the bureau's).
    for s in &targets.sites {
        if store.site(Scope::City, *s).await?.is_none() {
            return Err(CampaignError::UnknownSite { site: *s });
        }
        out.insert(*s);
    }
    if targets.narrows() {
        let only = if targets.keywords.is_empty() {
            None
        } else {
            let index = index.ok_or(CampaignError::NoSearchIndex)?;
            let mut hits = BTreeSet::new();
            for word in &targets.keywords {
                let q = search::Query::new(word.clone())
                    .what(search::What::Pages)
                    .page(0, search::MAX_WINDOW);
                for hit in index.search(&q).map_err(CampaignError::Search)? {
                    if let search::Hit::Page { site_id, .. } = hit {
                        hits.insert(SiteId(site_id));
                    }
                }
            }
            Some(hits.into_iter().collect())
        };
        let selection = SiteSelection {
            kinds: targets.kinds.clone(),
            districts: targets.districts.clone(),
            categories: targets.categories.clone(),
            classes: Vec::new(),
            only,
        };
        out.extend(store.select_sites(Scope::City, &selection).await?);
    }
    if out.is_empty() {
        return Err(CampaignError::NoSites);
    }
    Ok(out.into_iter().collect())
}

/// The detector a campaign's sweeps scan with: its packs only.
pub fn detector(campaign: &Campaign) -> Result<Detector, CampaignError> {
    let pack = RulePack::builtin_named(&campaign.packs)?;
    Ok(Detector::new(pack).expect("shipped packs compile (detect's tests)"))
}

/// A campaign's period as instants: from 00:00 of its first day to 00:00 of the day after its
/// last, in `offset` (the bureau's time zone).
pub fn period(campaign: &Campaign, offset: FixedOffset) -> Period {
    let at = |d: NaiveDate| {
        offset
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
            .single()
            .expect("a fixed offset has one local time")
            .with_timezone(&Utc)
    };
    Period {
        from: at(campaign.starts_on),
        until: at(campaign.ends_on) + Duration::days(1),
    }
}

/// A campaign's figures as a table: one row per district (by code; sites without an entity
/// last), and the total.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FigureTable {
    pub rows: BTreeMap<Option<DistrictCode>, BTreeMap<Figure, i64>>,
    pub total: BTreeMap<Figure, i64>,
}

impl FigureTable {
    pub fn from_counts(counts: &[FigureCount]) -> FigureTable {
        let mut t = FigureTable::default();
        for c in counts {
            *t.rows
                .entry(c.district)
                .or_default()
                .entry(c.figure)
                .or_default() += c.value;
            *t.total.entry(c.figure).or_default() += c.value;
        }
        t
    }

    /// A figure of a district (`None`: sites without an entity), 0 when it has none.
    pub fn get(&self, district: Option<DistrictCode>, figure: Figure) -> i64 {
        self.rows
            .get(&district)
            .and_then(|r| r.get(&figure))
            .copied()
            .unwrap_or(0)
    }

    pub fn total(&self, figure: Figure) -> i64 {
        self.total.get(&figure).copied().unwrap_or(0)
    }
}

/// A campaign and its figures in `scope`.
pub async fn figures(
    store: &dyn Store,
    scope: Scope,
    id: CampaignId,
    offset: FixedOffset,
) -> Result<(Campaign, FigureTable), CampaignError> {
    let campaign = store
        .campaign(id)
        .await?
        .ok_or(CampaignError::NotFound(id))?;
    let subject = store::ReportSubject {
        campaign: Some(id),
        period: period(&campaign, offset),
    };
    let counts = store.figures(scope, &subject, &Figure::CAMPAIGN).await?;
    Ok((campaign, FigureTable::from_counts(&counts)))
}

/// The rule packs a campaign may name (the shipped packs).
pub fn pack_names() -> Vec<&'static str> {
    RulePack::builtin_names()
}
