//! The figures of the bureau's report (the sections of its yearly review: register, monitoring,
//! evidence, clues, cases, campaigns, credit, badges, portal and complaints, data sharing) and of
//! a campaign's report, which is the same report over the campaign's sites.
//!
//! Each figure is defined once, as the query of its records
//! ([`crate::ReportStore::figures`] counts them per district in one statement,
//! [`crate::ReportStore::figure_records`] lists them by the same query), so a figure and
//! the list behind it cannot disagree.

use chrono::{DateTime, NaiveDate, Utc};
use domain::{CampaignId, DistrictCode};
use serde::{Deserialize, Serialize};

/// A section of the report, in the review's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Register,
    Monitoring,
    Evidence,
    Clues,
    Cases,
    Campaigns,
    Credit,
    Badges,
    Portal,
    Sharing,
}

impl Section {
    pub const ALL: [Section; 10] = [
        Section::Register,
        Section::Monitoring,
        Section::Evidence,
        Section::Clues,
        Section::Cases,
        Section::Campaigns,
        Section::Credit,
        Section::Badges,
        Section::Portal,
        Section::Sharing,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Section::Register => "register",
            Section::Monitoring => "monitoring",
            Section::Evidence => "evidence",
            Section::Clues => "clues",
            Section::Cases => "cases",
            Section::Campaigns => "campaigns",
            Section::Credit => "credit",
            Section::Badges => "badges",
            Section::Portal => "portal",
            Section::Sharing => "sharing",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Section::Register => "网络经营主体登记",
            Section::Monitoring => "网络监测",
            Section::Evidence => "电子取证",
            Section::Clues => "线索与派发",
            Section::Cases => "案件与处置",
            Section::Campaigns => "专项行动",
            Section::Credit => "信用监管",
            Section::Badges => "电子亮照",
            Section::Portal => "公众门户与投诉举报",
            Section::Sharing => "数据共享",
        }
    }

    /// The section's figures, in the report's order.
    pub fn figures(self) -> impl Iterator<Item = Figure> {
        Figure::ALL.into_iter().filter(move |f| f.section() == self)
    }
}

/// What a figure's records are (and so where a person reads one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Entity,
    Site,
    Discovery,
    Sweep,
    Fetch,
    Finding,
    Capture,
    Custody,
    Clue,
    Inspection,
    Case,
    /// An outcome of a case: its `case_id` is the case.
    Outcome,
    Campaign,
    Listing,
    Badge,
    Notice,
    /// A day's visits of one portal page (no id of its own).
    Visits,
    Complaint,
    Filing,
}

/// One figure of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// Entities in the register at the end of the period.
    Entities,
    /// Sites of each kind in the register at the end of the period.
    Platforms,
    TradingSites,
    NonTradingSites,
    PlatformShops,
    /// Sites registered within the period.
    NewSites,
    /// Unregistered sites the sweeps found (first seen within the period).
    Discovered,
    /// Sweeps started within the period (a campaign's: its sweeps).
    Sweeps,
    /// Sites fetched within the period (a campaign's: its sites fetched by one of its sweeps).
    SitesChecked,
    /// Checked sites with a finding (not a false positive) found before the period ended.
    SuspectSites,
    /// Pages fetched (an HTTP answer) within the period.
    Pages,
    /// Findings (not false positives) found within the period.
    Findings,
    /// Exchanges written as WARC evidence within the period.
    WarcRecords,
    /// On-demand evidence captures finished within the period.
    Captures,
    /// Chain-of-custody events within the period.
    CustodyEvents,
    /// Clues made within the period.
    Clues,
    /// Clues dispatched to a district within the period.
    CluesDispatched,
    /// Clues closed within the period.
    CluesClosed,
    /// Field inspections within the period.
    FieldChecks,
    /// Cases opened within the period.
    Cases,
    /// Cases closed within the period.
    CasesClosed,
    /// Fines (in fen) of penalties decided within the period.
    Fines,
    /// Rectification orders within the period.
    Rectifications,
    /// Referrals to licensing or other departments.
    Referrals,
    /// Administrative-guidance warnings.
    Warnings,
    /// Abnormal-operation listings decided in cases.
    AbnormalListings,
    /// Campaigns running at some time in the period.
    Campaigns,
    /// Entities of each current credit class.
    CreditA,
    CreditB,
    CreditC,
    CreditD,
    /// Entries put on a credit list (abnormal operation, serious violation) within the period.
    CreditListings,
    /// Badges issued within the period.
    BadgesIssued,
    /// Badges in force now.
    BadgesInForce,
    /// Badges suspended or revoked within the period (and still so).
    BadgesWithdrawn,
    /// Notices published on the portal within the period.
    Notices,
    /// Portal page views within the period (a count per day and page).
    Visits,
    /// Complaints and reports received within the period.
    Complaints,
    /// Complaints and reports accepted within the period.
    ComplaintsAccepted,
    /// Complaints and reports closed as upheld within the period.
    ComplaintsUpheld,
    /// Other departments' filings imported within the period.
    Filings,
    /// Of those, the filings joined to an entity of the register.
    FilingsJoined,
}

impl Figure {
    pub const ALL: [Figure; 42] = [
        Figure::Entities,
        Figure::Platforms,
        Figure::TradingSites,
        Figure::NonTradingSites,
        Figure::PlatformShops,
        Figure::NewSites,
        Figure::Discovered,
        Figure::Sweeps,
        Figure::SitesChecked,
        Figure::SuspectSites,
        Figure::Pages,
        Figure::Findings,
        Figure::WarcRecords,
        Figure::Captures,
        Figure::CustodyEvents,
        Figure::Clues,
        Figure::CluesDispatched,
        Figure::CluesClosed,
        Figure::FieldChecks,
        Figure::Cases,
        Figure::CasesClosed,
        Figure::Fines,
        Figure::Rectifications,
        Figure::Referrals,
        Figure::Warnings,
        Figure::AbnormalListings,
        Figure::Campaigns,
        Figure::CreditA,
        Figure::CreditB,
        Figure::CreditC,
        Figure::CreditD,
        Figure::CreditListings,
        Figure::BadgesIssued,
        Figure::BadgesInForce,
        Figure::BadgesWithdrawn,
        Figure::Notices,
        Figure::Visits,
        Figure::Complaints,
        Figure::ComplaintsAccepted,
        Figure::ComplaintsUpheld,
        Figure::Filings,
        Figure::FilingsJoined,
    ];

    /// The figures of a campaign's page (the campaign report's own table).
    pub const CAMPAIGN: [Figure; 10] = [
        Figure::SitesChecked,
        Figure::SuspectSites,
        Figure::Clues,
        Figure::FieldChecks,
        Figure::Cases,
        Figure::Fines,
        Figure::Rectifications,
        Figure::Referrals,
        Figure::Warnings,
        Figure::AbnormalListings,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Figure::Entities => "entities",
            Figure::Platforms => "platforms",
            Figure::TradingSites => "trading_sites",
            Figure::NonTradingSites => "non_trading_sites",
            Figure::PlatformShops => "platform_shops",
            Figure::NewSites => "new_sites",
            Figure::Discovered => "discovered",
            Figure::Sweeps => "sweeps",
            Figure::SitesChecked => "sites_checked",
            Figure::SuspectSites => "suspect_sites",
            Figure::Pages => "pages",
            Figure::Findings => "findings",
            Figure::WarcRecords => "warc_records",
            Figure::Captures => "captures",
            Figure::CustodyEvents => "custody_events",
            Figure::Clues => "clues",
            Figure::CluesDispatched => "clues_dispatched",
            Figure::CluesClosed => "clues_closed",
            Figure::FieldChecks => "field_checks",
            Figure::Cases => "cases",
            Figure::CasesClosed => "cases_closed",
            Figure::Fines => "fines",
            Figure::Rectifications => "rectifications",
            Figure::Referrals => "referrals",
            Figure::Warnings => "warnings",
            Figure::AbnormalListings => "abnormal_listings",
            Figure::Campaigns => "campaigns",
            Figure::CreditA => "credit_a",
            Figure::CreditB => "credit_b",
            Figure::CreditC => "credit_c",
            Figure::CreditD => "credit_d",
            Figure::CreditListings => "credit_listings",
            Figure::BadgesIssued => "badges_issued",
            Figure::BadgesInForce => "badges_in_force",
            Figure::BadgesWithdrawn => "badges_withdrawn",
            Figure::Notices => "notices",
            Figure::Visits => "visits",
            Figure::Complaints => "complaints",
            Figure::ComplaintsAccepted => "complaints_accepted",
            Figure::ComplaintsUpheld => "complaints_upheld",
            Figure::Filings => "filings",
            Figure::FilingsJoined => "filings_joined",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Figure::Entities => "网络经营主体",
            Figure::Platforms => "网络交易平台",
            Figure::TradingSites => "自建网站经营者",
            Figure::NonTradingSites => "非交易类网站",
            Figure::PlatformShops => "平台内网店",
            Figure::NewSites => "期内新登记网站",
            Figure::Discovered => "巡查发现的未登记网站",
            Figure::Sweeps => "巡查次数",
            Figure::SitesChecked => "网上检查网站",
            Figure::SuspectSites => "涉嫌违法网站",
            Figure::Pages => "抓取页面",
            Figure::Findings => "监测发现（不含误报）",
            Figure::WarcRecords => "固定证据记录",
            Figure::Captures => "按需取证",
            Figure::CustodyEvents => "证据保管记录",
            Figure::Clues => "线索",
            Figure::CluesDispatched => "派发线索",
            Figure::CluesClosed => "办结线索",
            Figure::FieldChecks => "实地检查",
            Figure::Cases => "立案",
            Figure::CasesClosed => "结案",
            Figure::Fines => "罚没款（元）",
            Figure::Rectifications => "责令整改",
            Figure::Referrals => "移送",
            Figure::Warnings => "行政指导告诫",
            Figure::AbnormalListings => "列入经营异常名录",
            Figure::Campaigns => "专项行动",
            Figure::CreditA => "信用 A 类主体",
            Figure::CreditB => "信用 B 类主体",
            Figure::CreditC => "信用 C 类主体",
            Figure::CreditD => "信用 D 类主体",
            Figure::CreditListings => "列入信用名单",
            Figure::BadgesIssued => "颁发电子标识",
            Figure::BadgesInForce => "有效电子标识",
            Figure::BadgesWithdrawn => "暂停或撤销电子标识",
            Figure::Notices => "门户公告",
            Figure::Visits => "门户访问量",
            Figure::Complaints => "投诉举报",
            Figure::ComplaintsAccepted => "受理投诉举报",
            Figure::ComplaintsUpheld => "投诉举报属实",
            Figure::Filings => "共享部门数据",
            Figure::FilingsJoined => "关联到主体的部门数据",
        }
    }

    pub fn section(self) -> Section {
        use Figure::*;
        match self {
            Entities | Platforms | TradingSites | NonTradingSites | PlatformShops | NewSites
            | Discovered => Section::Register,
            Sweeps | SitesChecked | SuspectSites | Pages | Findings => Section::Monitoring,
            WarcRecords | Captures | CustodyEvents => Section::Evidence,
            Clues | CluesDispatched | CluesClosed => Section::Clues,
            FieldChecks | Cases | CasesClosed | Fines | Rectifications | Referrals | Warnings
            | AbnormalListings => Section::Cases,
            Campaigns => Section::Campaigns,
            CreditA | CreditB | CreditC | CreditD | CreditListings => Section::Credit,
            BadgesIssued | BadgesInForce | BadgesWithdrawn => Section::Badges,
            Notices | Visits | Complaints | ComplaintsAccepted | ComplaintsUpheld => {
                Section::Portal
            }
            Filings | FilingsJoined => Section::Sharing,
        }
    }

    /// What its records are.
    pub fn records(self) -> RecordKind {
        use Figure::*;
        match self {
            Entities | CreditA | CreditB | CreditC | CreditD => RecordKind::Entity,
            Platforms | TradingSites | NonTradingSites | PlatformShops | NewSites
            | SitesChecked | SuspectSites => RecordKind::Site,
            Discovered => RecordKind::Discovery,
            Sweeps => RecordKind::Sweep,
            Pages | WarcRecords => RecordKind::Fetch,
            Findings => RecordKind::Finding,
            Captures => RecordKind::Capture,
            CustodyEvents => RecordKind::Custody,
            Clues | CluesDispatched | CluesClosed => RecordKind::Clue,
            FieldChecks => RecordKind::Inspection,
            Cases | CasesClosed => RecordKind::Case,
            Fines | Rectifications | Referrals | Warnings | AbnormalListings => RecordKind::Outcome,
            Campaigns => RecordKind::Campaign,
            CreditListings => RecordKind::Listing,
            BadgesIssued | BadgesInForce | BadgesWithdrawn => RecordKind::Badge,
            Notices => RecordKind::Notice,
            Visits => RecordKind::Visits,
            Complaints | ComplaintsAccepted | ComplaintsUpheld => RecordKind::Complaint,
            Filings | FilingsJoined => RecordKind::Filing,
        }
    }

    /// Whether the value is a sum of the records' values rather than their number: fines (in
    /// fen) and visits.
    pub fn is_sum(self) -> bool {
        matches!(self, Figure::Fines | Figure::Visits)
    }

    pub fn parse(s: &str) -> Option<Figure> {
        Self::ALL.into_iter().find(|f| f.code() == s)
    }
}

/// The period of a report as instants: from the start of its first day to the start of the day
/// after its last, in the bureau's time zone (the caller converts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl Period {
    /// The Beijing days `first..=last` (`domain::time::day_start`).
    pub fn days(first: NaiveDate, last: NaiveDate) -> Period {
        Period {
            from: domain::time::day_start(first),
            until: domain::time::day_start(last.succ_opt().unwrap_or(last)),
        }
    }

    /// The Beijing date of its first day.
    pub fn first_day(&self) -> NaiveDate {
        domain::time::beijing_date(self.from)
    }

    /// The Beijing date of its last day.
    pub fn last_day(&self) -> NaiveDate {
        domain::time::beijing_date(self.until - chrono::Duration::seconds(1))
    }
}

/// What a report counts: the city's sites or a campaign's, over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportSubject {
    /// `Some`: only the campaign's sites (and its sweeps).
    pub campaign: Option<CampaignId>,
    pub period: Period,
}

/// The records behind a figure in one district.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FigureCount {
    pub figure: Figure,
    /// `None`: records without a district (sites not attached to an entity; city-wide records
    /// such as sweeps, notices and visits).
    pub district: Option<DistrictCode>,
    /// A count, or for a sum ([`Figure::is_sum`]) the sum.
    pub value: i64,
    /// How many records make it up.
    pub records: i64,
}

/// One record behind a figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FigureRecord {
    pub figure: Figure,
    /// The row's id in its table ([`Figure::records`]); 0 for visits, which have none.
    pub id: i64,
    pub district: Option<DistrictCode>,
    /// What to show: a site's address, a clue's summary, a case number, a decision number …
    pub label: String,
    /// The case of an outcome (for a link), else none.
    pub case_id: Option<i64>,
    /// 1, or for a sum its part (a fine in fen, a day's visits of a page).
    pub value: i64,
}
