//! The bureau's report (the sections of its yearly review) over a period or a campaign, from
//! the store's figures (`store::report`): assembled once here ([`build`]), then written as the
//! console's page (`/reports`), a self-contained HTML document ([`document_html`], which the
//! command line also prints to PDF through Chromium) and an XLSX workbook ([`write_xlsx`]: an
//! overview sheet of every figure, then one sheet per section holding the records behind each of
//! its figures).
//!
//! Every figure is traceable: its value is computed from the same records the report lists
//! (`ReportStore::figures` and `figure_records` share one query per figure). The HTML links each
//! figure to its records (an anchor in the document, listing up to [`HTML_RECORDS`] of them; the
//! XLSX lists up to [`RECORDS_CAP`], the console's records page 5,000) and each record to its
//! page in the console. A figure's value and its number of records are always complete.

mod charts;
mod render;

pub(crate) use render::page_html;
pub use render::{document_html, write_xlsx};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::{CampaignId, DistrictCode, DistrictTable};
use store::{
    Figure, FigureRecord, Period, RecordKind, ReportSubject, Scope, Section, Store, StoreError,
};

/// Records of one figure the HTML report lists inline (the XLSX lists up to [`RECORDS_CAP`]).
pub const HTML_RECORDS: usize = 500;

/// Records of one figure a report holds (the XLSX's rows): a month of a large city's pages
/// would not fit a sheet, nor memory. The figure's value and its number of records are always
/// complete; beyond the cap the report says how many it leaves out.
pub const RECORDS_CAP: i64 = 100_000;

/// What to report on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    /// `Some`: the campaign's report (its sites, and its period unless `first`/`last` narrow it).
    pub campaign: Option<CampaignId>,
    /// First and last Beijing day of the period.
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// Only this district's records.
    pub district: Option<DistrictCode>,
}

/// Why a report cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the period ends ({last}) before it starts ({first})")]
    Backwards { first: NaiveDate, last: NaiveDate },
    #[error("no campaign #{0}")]
    NoCampaign(CampaignId),
    #[error("district {0} is not in the district table")]
    UnknownDistrict(DistrictCode),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A figure with its value and the records behind it.
#[derive(Debug, Clone)]
pub struct FigureReport {
    pub figure: Figure,
    /// The count, or for a sum ([`Figure::is_sum`]) the sum.
    pub value: i64,
    /// Per district (`None`: records without one), as counted; only non-zero ones.
    pub by_district: Vec<(Option<DistrictCode>, i64)>,
    /// How many records make up the value.
    pub total_records: i64,
    /// The records behind the value, by id: all of them, or the first [`RECORDS_CAP`].
    pub records: Vec<FigureRecord>,
}

impl FigureReport {
    /// Records behind the value that the report leaves out (beyond [`RECORDS_CAP`]).
    pub fn left_out(&self) -> i64 {
        self.total_records - self.records.len() as i64
    }

    /// The value as a person reads it: fines in yuan with two decimals.
    pub fn shown(&self) -> String {
        value_text(self.figure, self.value)
    }
}

/// A value of `figure` (the figure's, a district's or a record's) as a person reads it: fines
/// in yuan with two decimals, counts as they are.
pub fn value_text(figure: Figure, value: i64) -> String {
    if figure == Figure::Fines {
        crate::view::yuan(value)
    } else {
        value.to_string()
    }
}

/// One section of the report.
#[derive(Debug, Clone)]
pub struct SectionReport {
    pub section: Section,
    pub figures: Vec<FigureReport>,
}

/// The report, assembled.
#[derive(Debug, Clone)]
pub struct Report {
    pub request: ReportRequest,
    /// `南宁市网络市场监管工作报告` or the campaign's name.
    pub title: String,
    /// The campaign's name, for a campaign's report.
    pub campaign: Option<String>,
    /// The district's name and code, when narrowed to one.
    pub district: Option<String>,
    pub generated_at: DateTime<Utc>,
    pub sections: Vec<SectionReport>,
}

impl Report {
    pub fn figure(&self, f: Figure) -> Option<&FigureReport> {
        self.sections
            .iter()
            .flat_map(|s| &s.figures)
            .find(|x| x.figure == f)
    }

    /// `2026-11-01 至 2026-11-30`.
    pub fn period_label(&self) -> String {
        format!("{} 至 {}", self.request.first, self.request.last)
    }

    /// The query string that asks the console for this report.
    pub fn query(&self) -> Vec<(&'static str, String)> {
        let r = &self.request;
        vec![
            ("from", r.first.to_string()),
            ("to", r.last.to_string()),
            (
                "district",
                r.district.map(|d| d.to_string()).unwrap_or_default(),
            ),
            (
                "campaign",
                r.campaign.map(|c| c.0.to_string()).unwrap_or_default(),
            ),
        ]
    }
}

/// The request for `campaign`, the days `from`..=`to` and `district`, as both doors read it: a
/// campaign without days is reported over its own period; otherwise the period runs from `from`
/// (default: the first of `today`'s month) to `to` (default: `today`). A period that ends
/// before it starts is refused.
pub async fn request(
    store: &dyn Store,
    campaign: Option<CampaignId>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    district: Option<DistrictCode>,
    today: NaiveDate,
) -> Result<ReportRequest, ReportError> {
    let (first, last) = match (campaign, from, to) {
        (Some(id), None, None) => {
            let c = store
                .campaign(id)
                .await?
                .ok_or(ReportError::NoCampaign(id))?;
            (c.starts_on, c.ends_on)
        }
        _ => (
            from.unwrap_or_else(|| today.with_day(1).expect("the first of a month")),
            to.unwrap_or(today),
        ),
    };
    if last < first {
        return Err(ReportError::Backwards { first, last });
    }
    Ok(ReportRequest {
        campaign,
        first,
        last,
        district,
    })
}

/// The period a request covers.
pub fn period(req: &ReportRequest) -> Period {
    Period::days(req.first, req.last)
}

/// The store's subject of a request.
pub fn subject(req: &ReportRequest) -> ReportSubject {
    ReportSubject {
        campaign: req.campaign,
        period: period(req),
    }
}

/// Assembles the report of `req` over the records in `scope`, at `now`.
pub async fn build(
    store: &dyn Store,
    districts: &DistrictTable,
    scope: Scope,
    req: &ReportRequest,
    city: &str,
    now: DateTime<Utc>,
) -> Result<Report, ReportError> {
    if req.last < req.first {
        return Err(ReportError::Backwards {
            first: req.first,
            last: req.last,
        });
    }
    let campaign = match req.campaign {
        Some(id) => Some(
            store
                .campaign(id)
                .await?
                .ok_or(ReportError::NoCampaign(id))?
                .name,
        ),
        None => None,
    };
    let district = match req.district {
        Some(d) => Some(format!(
            "{} {d}",
            districts.name(d).ok_or(ReportError::UnknownDistrict(d))?
        )),
        None => None,
    };
    let subject = subject(req);
    let counts = store.figures(scope.clone(), &subject, &Figure::ALL).await?;
    let only = req.district.map(Some);
    let mut sections = Vec::with_capacity(Section::ALL.len());
    for section in Section::ALL {
        let mut figures = Vec::new();
        for figure in section.figures() {
            let counted: Vec<_> = counts
                .iter()
                .filter(|c| c.figure == figure)
                .filter(|c| only.is_none_or(|d| c.district == d))
                .collect();
            let records = store
                .figure_records(scope.clone(), &subject, figure, only, RECORDS_CAP)
                .await?;
            figures.push(FigureReport {
                figure,
                value: counted.iter().map(|c| c.value).sum(),
                by_district: counted.iter().map(|c| (c.district, c.value)).collect(),
                total_records: counted.iter().map(|c| c.records).sum(),
                records,
            });
        }
        sections.push(SectionReport { section, figures });
    }
    let title = match &campaign {
        Some(name) => format!("专项行动报告：{name}"),
        None => format!("{city}网络市场监管工作报告"),
    };
    Ok(Report {
        request: req.clone(),
        title,
        campaign,
        district,
        generated_at: now,
        sections,
    })
}

/// Where a record behind a figure is shown in the console; `None` for records without a page
/// of their own (sweeps, custody events, visits, filings).
pub fn record_href(r: &FigureRecord) -> Option<String> {
    let id = r.id;
    Some(match r.figure.records() {
        RecordKind::Entity => format!("/entities/{id}"),
        RecordKind::Site => format!("/sites/{id}"),
        RecordKind::Discovery => "/discovered".to_string(),
        RecordKind::Fetch => format!("/evidence/{id}"),
        RecordKind::Finding => format!("/findings/{id}"),
        RecordKind::Capture => format!("/captures/{id}"),
        RecordKind::Clue => format!("/clues/{id}"),
        RecordKind::Inspection => format!("/inspections/{id}"),
        RecordKind::Case => format!("/cases/{id}"),
        RecordKind::Outcome => format!("/cases/{}", r.case_id?),
        RecordKind::Campaign => format!("/campaigns/{id}"),
        RecordKind::Listing => format!("/credit/listings/{id}"),
        RecordKind::Badge => format!("/badges/{id}"),
        RecordKind::Notice => "/portal/notices".to_string(),
        RecordKind::Complaint => format!("/complaints/{id}"),
        RecordKind::Sweep | RecordKind::Custody | RecordKind::Visits | RecordKind::Filing => {
            return None
        }
    })
}

/// What a record is, in words (the XLSX and HTML record tables' first column).
pub fn record_kind_label(k: RecordKind) -> &'static str {
    match k {
        RecordKind::Entity => "经营主体",
        RecordKind::Site => "网站",
        RecordKind::Discovery => "发现的网站",
        RecordKind::Sweep => "巡查",
        RecordKind::Fetch => "抓取记录",
        RecordKind::Finding => "监测发现",
        RecordKind::Capture => "取证请求",
        RecordKind::Custody => "保管记录",
        RecordKind::Clue => "线索",
        RecordKind::Inspection => "实地检查",
        RecordKind::Case => "案件",
        RecordKind::Outcome => "处置结果",
        RecordKind::Campaign => "专项行动",
        RecordKind::Listing => "名单记录",
        RecordKind::Badge => "电子标识",
        RecordKind::Notice => "公告",
        RecordKind::Visits => "访问计数",
        RecordKind::Complaint => "投诉举报",
        RecordKind::Filing => "部门数据",
    }
}
