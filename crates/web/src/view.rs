//! Labels and formatting shared by the pages: Chinese labels beside the stable codes, Beijing
//! time, query strings for links, and what every list shares (`docs/console.md`): parsing of
//! its filter parameters (shared with its JSON twin) and of `sort`/`dir`, the pager, and the
//! links of its column headers, pages and exports ([`ListLinks`]), each keeping the filters
//! and the sort. Pure functions; nothing here touches the store.

use chrono::{DateTime, Utc};
use domain::{Category, DistrictCode, DistrictTable, Severity, SiteId, SiteKind};
use store::{FindingFilter, PageChange, SiteFilter, Sort, SortKey};

use crate::WebError;

/// Rows per page of the HTML lists.
pub const PAGE_SIZE: i64 = 50;
/// Items per page of the JSON API when the request names no `limit`.
pub const API_DEFAULT_LIMIT: i64 = 50;
/// Largest page the JSON API hands out.
pub const API_MAX_LIMIT: i64 = 500;

pub fn kind_label(kind: SiteKind) -> &'static str {
    match kind {
        SiteKind::Platform => "网络交易平台",
        SiteKind::TradingSite => "自建交易网站",
        SiteKind::NonTradingSite => "非交易类网站",
        SiteKind::PlatformShop => "平台内店铺",
    }
}

/// How a fetch compares with the previous fetch of its URL, in Chinese.
pub fn change_label(c: PageChange) -> &'static str {
    match c {
        PageChange::New => "新页面",
        PageChange::Changed => "已变更",
        PageChange::Unchanged => "未变更",
        PageChange::NotModified => "未修改（304）",
        PageChange::Gone => "已失效",
        PageChange::Failed => "抓取失败",
    }
}

pub fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Low => "低",
        Severity::Medium => "中",
        Severity::High => "高",
        Severity::Critical => "严重",
    }
}

/// Where a finding was made, in Chinese, for the codes the detector writes.
pub fn location_label(code: &str) -> &'static str {
    match code {
        "title" => "标题",
        "meta" => "元信息",
        "text" => "正文",
        "link" => "链接",
        "attribute" => "属性",
        "jsonld" => "结构化数据",
        "noscript" => "noscript内容",
        "script" => "脚本写入内容",
        "spider" => "搜索引擎视角",
        "hidden" => "隐藏内容",
        "structure" => "页面结构",
        "image" => "图片(识别)",
        "register" => "登记信息",
        _ => "",
    }
}

/// `青秀区 450103`, the code alone when the table lacks it, `—` for none.
pub fn district_label(table: &DistrictTable, code: Option<DistrictCode>) -> String {
    match code {
        Some(c) => match table.name(c) {
            Some(name) => format!("{name} {c}"),
            None => c.to_string(),
        },
        None => "—".to_string(),
    }
}

/// Beijing time to the second with its zone marked (`domain::time::shown`): what the bureau's
/// staff read on their clocks.
pub fn time(t: DateTime<Utc>) -> String {
    domain::time::shown(t)
}

pub fn opt_time(t: Option<DateTime<Utc>>) -> String {
    domain::time::shown_opt(t)
}

/// Percent-encodes a query value (everything but RFC 3986 unreserved characters).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `path?k=v&…` from the pairs whose value is not empty.
pub fn link(path: &str, pairs: &[(&str, String)]) -> String {
    let q: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if q.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", q.join("&"))
    }
}

/// One `<option>` of a filter `<select>`.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Opt {
    pub fn new(value: impl Into<String>, label: impl Into<String>, current: &str) -> Opt {
        let value = value.into();
        let selected = value == current;
        Opt {
            value,
            label: label.into(),
            selected,
        }
    }
}

pub fn district_options(table: &DistrictTable, current: &str) -> Vec<Opt> {
    let mut v = vec![Opt::new("", "全部区域", current)];
    v.extend(table.all().iter().map(|d| {
        // Repealed codes stay selectable: old findings and entities still carry them.
        let repealed = if d.valid_until.is_some() {
            "（已撤销）"
        } else {
            ""
        };
        Opt::new(
            d.code.to_string(),
            format!("{} {}{repealed}", d.name, d.code),
            current,
        )
    }));
    v
}

/// Most rows one export holds: beyond it the export is refused (400) and asks for narrower
/// filters, instead of building a file nobody can open.
pub const EXPORT_MAX_ROWS: i64 = 100_000;

/// Page numbers shown on either side of the current one.
const PAGE_WINDOW: i64 = 2;

/// Rows a list numbers at least before it says "more than": 20 pages. A list counts no
/// further than it numbers (see [`count_up_to`]): an exact total of a city's million entities
/// or three million findings costs a read of every row on every page, and even a count to
/// 10,000 was most of a list page's time on PostgreSQL (2 of 5 ms).
pub const COUNT_CAP: i64 = 1_000;

/// How far a list counts for its page `page` (a filter's `count_up_to`): the first
/// [`COUNT_CAP`] rows, or up to the pages the pager numbers after `page` when that is further,
/// and one row more, which tells "more than" from "exactly".
pub fn count_up_to(page: i64) -> i64 {
    COUNT_CAP.max((page + PAGE_WINDOW) * PAGE_SIZE) + 1
}

/// Paging of a list: `共 N 条` (or `超过 N 条` when the count stopped at [`count_up_to`]), the
/// page count, first/last, a window of page numbers around the current page, prev/next. Every
/// link keeps the list's filters and sort.
#[derive(Debug, Clone)]
pub struct Pager {
    pub page: i64,
    /// Number of pages (at least 1); with `more`, the pages counted so far.
    pub pages: i64,
    pub first_row: i64,
    pub last_row: i64,
    /// Total rows the filter matches; with `more`, the rows counted (the list has more).
    pub total: i64,
    /// The count stopped before the end: there are more than `total` rows, and no last page is
    /// known.
    pub more: bool,
    pub first: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub last: Option<String>,
    /// Page numbers around the current one, with gaps where numbers are left out.
    pub numbers: Vec<PageLink>,
}

/// One entry of the pager's numbers: a page (its link; `None` for the current page), or a gap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLink {
    pub number: i64,
    pub href: Option<String>,
    pub gap: bool,
}

impl Pager {
    /// Page `page` showing `shown` rows of `total`; `href(page)` links a page.
    /// A count of [`count_up_to`]`(page)` rows or more means the count stopped there.
    pub fn new(page: i64, shown: usize, total: i64, href: impl Fn(i64) -> String) -> Pager {
        let bound = count_up_to(page);
        let more = total >= bound;
        let total = if more { bound - 1 } else { total };
        let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
        let first_row = if shown == 0 {
            0
        } else {
            (page - 1) * PAGE_SIZE + 1
        };
        let to = |n: i64| PageLink {
            number: n,
            href: (n != page).then(|| href(n)),
            gap: false,
        };
        let gap = PageLink {
            number: 0,
            href: None,
            gap: true,
        };
        let around = page.min(pages);
        let (low, high) = (
            (around - PAGE_WINDOW).max(1),
            (around + PAGE_WINDOW).min(pages),
        );
        let mut numbers = Vec::new();
        if low > 1 {
            numbers.push(to(1));
        }
        if low > 2 {
            numbers.push(gap.clone());
        }
        numbers.extend((low..=high).map(to));
        if more {
            numbers.push(gap);
        } else {
            if high < pages - 1 {
                numbers.push(gap);
            }
            if high < pages {
                numbers.push(to(pages));
            }
        }
        Pager {
            page,
            pages,
            first_row,
            last_row: (page - 1) * PAGE_SIZE + shown as i64,
            total,
            more,
            first: (page > 1).then(|| href(1)),
            prev: (page > 1).then(|| href(page - 1)),
            next: (more || page < pages).then(|| href(page + 1)),
            last: (!more && page < pages).then(|| href(pages)),
            numbers,
        }
    }
}

/// One column header of a list: its label, the link that sorts by it (`None`: the column
/// does not sort), and `aria-sort` when the list is sorted by it.
#[derive(Debug, Clone)]
pub struct Head {
    pub label: &'static str,
    pub href: Option<String>,
    /// `ascending`, `descending`, or empty.
    pub aria_sort: &'static str,
}

/// What every link of a list shares: its path, its filters as the request named them, and its
/// sort. Page links, column headers and export links are made here, so each keeps the others.
#[derive(Debug, Clone)]
pub struct ListLinks {
    path: &'static str,
    filters: Vec<(&'static str, String)>,
    /// The sort key's code and whether descending.
    sort: Option<(&'static str, bool)>,
}

impl ListLinks {
    pub fn new<K: SortKey>(
        path: &'static str,
        filters: Vec<(&'static str, String)>,
        sort: Option<Sort<K>>,
    ) -> ListLinks {
        ListLinks {
            path,
            filters: filters
                .into_iter()
                .map(|(k, v)| (k, v.trim().to_string()))
                .collect(),
            sort: sort.map(|s| (s.key.code(), s.descending)),
        }
    }

    fn pairs(&self, sort: Option<(&'static str, bool)>) -> Vec<(&'static str, String)> {
        let mut q = self.filters.clone();
        if let Some((key, desc)) = sort {
            q.push(("sort", key.to_string()));
            q.push(("dir", if desc { "desc" } else { "asc" }.to_string()));
        }
        q
    }

    /// The list's page `page` (filters and sort kept).
    pub fn page(&self, page: i64) -> String {
        let mut q = self.pairs(self.sort);
        q.push((
            "page",
            if page > 1 {
                page.to_string()
            } else {
                String::new()
            },
        ));
        link(self.path, &q)
    }

    /// The export of the list as shown (filters and sort), in `format` (`csv`, `xlsx`).
    pub fn export(&self, export_path: &str, format: &str) -> String {
        let mut q = self.pairs(self.sort);
        q.push(("format", format.to_string()));
        link(export_path, &q)
    }

    /// The sort as form fields (`sort`, `dir`), so that the filter form keeps it.
    pub fn sort_fields(&self) -> Vec<(&'static str, String)> {
        self.pairs(self.sort).split_off(self.filters.len())
    }

    /// The pager of page `page` showing `shown` of `total` rows.
    pub fn pager(&self, page: i64, shown: usize, total: i64) -> Pager {
        Pager::new(page, shown, total, |p| self.page(p))
    }

    /// The header: `columns` are labels with the key each sorts by (`None`: not sortable). A
    /// column's link sorts by it ascending, or descending when it is already sorted ascending;
    /// a new order starts at page 1.
    pub fn heads<K: SortKey>(&self, columns: &[(&'static str, Option<K>)]) -> Vec<Head> {
        columns
            .iter()
            .map(|(label, key)| {
                let Some(key) = key else {
                    return Head {
                        label,
                        href: None,
                        aria_sort: "",
                    };
                };
                let current = self.sort.filter(|(k, _)| *k == key.code());
                let descending = matches!(current, Some((_, false)));
                Head {
                    label,
                    href: Some(link(self.path, &self.pairs(Some((key.code(), descending))))),
                    aria_sort: match current {
                        Some((_, false)) => "ascending",
                        Some((_, true)) => "descending",
                        None => "",
                    },
                }
            })
            .collect()
    }
}

/// Reads `sort` (a key's code) and `dir` (`asc`, the default, or `desc`); no `sort` is the
/// list's own order. A key the list does not sort by is a 400 naming the parameter.
pub fn sort_param<K: SortKey>(
    sort: &Option<String>,
    dir: &Option<String>,
) -> Result<Option<Sort<K>>, WebError> {
    let descending = match dir.as_deref().map(str::trim) {
        None | Some("") | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(WebError::BadRequest("参数 dir 应为 asc 或 desc".into())),
    };
    match sort.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(code) => match store::sort::parse_key::<K>(code) {
            Ok(key) => Ok(Some(Sort { key, descending })),
            Err(e) => Err(WebError::BadRequest(format!(
                "参数 sort 无效：此列表不能按“{}”排序（可选：{}）",
                e.given,
                e.allowed.join("、")
            ))),
        },
    }
}

/// Refuses an export of more than [`EXPORT_MAX_ROWS`] rows.
pub fn export_cap(total: i64) -> Result<(), WebError> {
    if total > EXPORT_MAX_ROWS {
        return Err(WebError::BadRequest(format!(
            "导出共 {total} 条，超过单次导出上限 {EXPORT_MAX_ROWS} 条，请缩小筛选范围后再导出"
        )));
    }
    Ok(())
}

/// A parameter's text as given (trimmed; absent: empty), for links.
pub(crate) fn text(raw: &Option<String>) -> String {
    raw.as_deref().unwrap_or_default().trim().to_string()
}

/// A list's parameters plus `format` (`csv`, the default, or `xlsx`): an export's query.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub(crate) struct Export<P> {
    #[serde(flatten)]
    pub list: P,
    pub format: Option<String>,
}

/// Reads an optional parameter: absent or blank is `None`.
pub(crate) fn param<T: std::str::FromStr>(
    name: &str,
    raw: &Option<String>,
) -> Result<Option<T>, WebError>
where
    T::Err: std::fmt::Display,
{
    match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|e| WebError::BadRequest(format!("参数 {name} 无效（{e}）"))),
    }
}

/// A 1-based page number (default 1).
pub fn page_param(raw: &Option<String>) -> Result<i64, WebError> {
    let page: i64 = param("page", raw)?.unwrap_or(1);
    if !(1..=1_000_000).contains(&page) {
        return Err(WebError::BadRequest("参数 page 超出范围".into()));
    }
    Ok(page)
}

/// `limit`/`offset` of the JSON API: limit defaults to [`API_DEFAULT_LIMIT`] and is capped at
/// [`API_MAX_LIMIT`]; offset defaults to 0.
pub fn api_window(limit: &Option<String>, offset: &Option<String>) -> Result<(i64, i64), WebError> {
    let limit: i64 = param("limit", limit)?.unwrap_or(API_DEFAULT_LIMIT);
    let offset: i64 = param("offset", offset)?.unwrap_or(0);
    if !(1..=API_MAX_LIMIT).contains(&limit) {
        return Err(WebError::BadRequest(format!(
            "参数 limit 应在 1 到 {API_MAX_LIMIT} 之间"
        )));
    }
    if offset < 0 {
        return Err(WebError::BadRequest("参数 offset 不能为负".into()));
    }
    Ok((limit, offset))
}

/// The filter parameters of the findings list (HTML and JSON). Values are read as text and
/// parsed here, so that a bad one is a 400 naming the parameter; the API's OpenAPI document
/// gives each its type (`#[param]`).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingParams {
    /// Violation category (its code).
    #[param(schema_with = crate::api::schema::category)]
    pub category: Option<String>,
    /// District code of the site's entity.
    #[param(schema_with = crate::api::schema::district)]
    pub district: Option<String>,
    /// Severity.
    #[param(schema_with = crate::api::schema::severity)]
    pub severity: Option<String>,
    /// Site id.
    #[param(value_type = Option<i64>)]
    pub site: Option<String>,
    /// People's triage decision (`open` until someone decides).
    #[param(schema_with = crate::api::schema::triage)]
    pub triage: Option<String>,
    /// Sweep id: only the findings first found in that sweep.
    #[param(value_type = Option<i64>)]
    pub sweep: Option<String>,
    /// `yes`: only the findings the detector suppressed (a quotation, a trademark, the page's
    /// genre); otherwise (the default) only the live ones.
    #[param(schema_with = crate::api::schema::yes_no)]
    pub suppressed: Option<String>,
    /// Page of the HTML list (not an API parameter).
    #[param(ignore)]
    pub page: Option<String>,
    /// Column code the HTML list and its exports sort by (not an API parameter).
    #[param(ignore)]
    pub sort: Option<String>,
    /// `asc` or `desc` (not an API parameter).
    #[param(ignore)]
    pub dir: Option<String>,
}

impl FindingParams {
    /// The order the request names (`sort`, `dir`).
    pub fn sort(&self) -> Result<Option<Sort<store::FindingSort>>, WebError> {
        sort_param(&self.sort, &self.dir)
    }

    /// The filters as the request named them, for the list's links.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("category", text(&self.category)),
            ("district", text(&self.district)),
            ("severity", text(&self.severity)),
            ("site", text(&self.site)),
            ("triage", text(&self.triage)),
            ("sweep", text(&self.sweep)),
            ("suppressed", text(&self.suppressed)),
        ]
    }

    /// The filter without paging.
    pub fn filter(&self) -> Result<FindingFilter, WebError> {
        Ok(FindingFilter {
            count_up_to: None,
            category: param::<Category>("category", &self.category)?,
            district: param::<DistrictCodeParam>("district", &self.district)?.map(|d| d.0),
            severity: param::<Severity>("severity", &self.severity)?,
            site_id: param::<i64>("site", &self.site)?.map(SiteId),
            triage: param::<domain::Triage>("triage", &self.triage)?,
            sweep_id: param::<i64>("sweep", &self.sweep)?.map(domain::SweepId),
            suppressed: yes_no("suppressed", &self.suppressed)?.unwrap_or(false),
            sort: None,
            limit: 0,
            offset: 0,
        })
    }
}

/// The filter parameters of the sites list (HTML and JSON).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SiteParams {
    /// District code of the site's entity.
    #[param(schema_with = crate::api::schema::district)]
    pub district: Option<String>,
    /// Site kind as the register records it.
    #[param(schema_with = crate::api::schema::site_kind)]
    pub kind: Option<String>,
    /// `yes`: sites of a register entity; `no`: sites not attached to one.
    #[param(schema_with = crate::api::schema::yes_no)]
    pub registered: Option<String>,
    /// Page of the HTML list (not an API parameter).
    #[param(ignore)]
    pub page: Option<String>,
    /// Column code the HTML list and its exports sort by (not an API parameter).
    #[param(ignore)]
    pub sort: Option<String>,
    /// `asc` or `desc` (not an API parameter).
    #[param(ignore)]
    pub dir: Option<String>,
}

impl SiteParams {
    /// The order the request names (`sort`, `dir`).
    pub fn sort(&self) -> Result<Option<Sort<store::SiteSort>>, WebError> {
        sort_param(&self.sort, &self.dir)
    }

    /// The filters as the request named them, for the list's links.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("district", text(&self.district)),
            ("kind", text(&self.kind)),
            ("registered", text(&self.registered)),
        ]
    }

    pub fn filter(&self) -> Result<SiteFilter, WebError> {
        let registered = match self.registered.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("yes" | "true" | "1") => Some(true),
            Some("no" | "false" | "0") => Some(false),
            Some(_) => {
                return Err(WebError::BadRequest(
                    "参数 registered 应为 yes 或 no".into(),
                ))
            }
        };
        Ok(SiteFilter {
            count_up_to: None,
            district: param::<DistrictCodeParam>("district", &self.district)?.map(|d| d.0),
            kind: param::<SiteKind>("kind", &self.kind)?,
            registered,
            sort: None,
            limit: 0,
            offset: 0,
        })
    }
}

/// The filter parameters of the clue list (HTML and JSON).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClueParams {
    /// Site id.
    #[param(value_type = Option<i64>)]
    pub site: Option<String>,
    /// The district the clue belongs to (dispatched to, else its entity's).
    #[param(schema_with = crate::api::schema::district)]
    pub district: Option<String>,
    /// The clue's state.
    #[param(schema_with = crate::api::schema::clue_state)]
    pub state: Option<String>,
    /// `yes`: only clues open and past their deadline or verification limit; `no`: the others.
    #[param(schema_with = crate::api::schema::yes_no)]
    pub overdue: Option<String>,
    /// Severity (the highest of its findings).
    #[param(schema_with = crate::api::schema::severity)]
    pub severity: Option<String>,
    /// Page of the HTML list (not an API parameter).
    #[param(ignore)]
    pub page: Option<String>,
    /// Column code the HTML list and its exports sort by (not an API parameter).
    #[param(ignore)]
    pub sort: Option<String>,
    /// `asc` or `desc` (not an API parameter).
    #[param(ignore)]
    pub dir: Option<String>,
}

impl ClueParams {
    /// The order the request names (`sort`, `dir`).
    pub fn sort(&self) -> Result<Option<Sort<store::ClueSort>>, WebError> {
        sort_param(&self.sort, &self.dir)
    }

    /// The filters as the request named them, for the list's links.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("site", text(&self.site)),
            ("district", text(&self.district)),
            ("state", text(&self.state)),
            ("overdue", text(&self.overdue)),
            ("severity", text(&self.severity)),
        ]
    }

    /// The filter without paging.
    pub fn filter(&self) -> Result<store::ClueFilter, WebError> {
        Ok(store::ClueFilter {
            count_up_to: None,
            site_id: param::<i64>("site", &self.site)?.map(SiteId),
            district: param::<DistrictCodeParam>("district", &self.district)?.map(|d| d.0),
            state: param::<domain::ClueState>("state", &self.state)?,
            overdue: yes_no("overdue", &self.overdue)?,
            severity: param::<Severity>("severity", &self.severity)?,
            sort: None,
            limit: 0,
            offset: 0,
        })
    }
}

/// The filter parameters of the case list (HTML and JSON).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseParams {
    /// The case's stage.
    #[param(schema_with = crate::api::schema::case_stage)]
    pub stage: Option<String>,
    /// The case's district.
    #[param(schema_with = crate::api::schema::district)]
    pub district: Option<String>,
    /// Site id.
    #[param(value_type = Option<i64>)]
    pub site: Option<String>,
    /// Page of the HTML list (not an API parameter).
    #[param(ignore)]
    pub page: Option<String>,
    /// Column code the HTML list and its exports sort by (not an API parameter).
    #[param(ignore)]
    pub sort: Option<String>,
    /// `asc` or `desc` (not an API parameter).
    #[param(ignore)]
    pub dir: Option<String>,
}

impl CaseParams {
    /// The order the request names (`sort`, `dir`).
    pub fn sort(&self) -> Result<Option<Sort<store::CaseSort>>, WebError> {
        sort_param(&self.sort, &self.dir)
    }

    /// The filters as the request named them, for the list's links.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("stage", text(&self.stage)),
            ("district", text(&self.district)),
            ("site", text(&self.site)),
        ]
    }

    /// The filter without paging.
    pub fn filter(&self) -> Result<store::CaseFilter, WebError> {
        Ok(store::CaseFilter {
            count_up_to: None,
            stage: param::<domain::CaseStage>("stage", &self.stage)?,
            district: param::<DistrictCodeParam>("district", &self.district)?.map(|d| d.0),
            site_id: param::<i64>("site", &self.site)?.map(SiteId),
            sort: None,
            limit: 0,
            offset: 0,
        })
    }
}

/// The filter parameters of the complaint list (HTML and JSON).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplaintParams {
    /// The complaint's state.
    #[param(schema_with = crate::api::schema::complaint_state)]
    pub state: Option<String>,
    /// Complaint, report or both.
    #[param(schema_with = crate::api::schema::complaint_kind)]
    pub kind: Option<String>,
    /// The district it belongs to (assigned, else its entity's).
    #[param(schema_with = crate::api::schema::district)]
    pub district: Option<String>,
    /// `yes`: only those past a deadline with its step not taken; `no`: the others.
    #[param(schema_with = crate::api::schema::yes_no)]
    pub overdue: Option<String>,
    /// Page of the HTML list (not an API parameter).
    #[param(ignore)]
    pub page: Option<String>,
    /// Column code the HTML list and its exports sort by (not an API parameter).
    #[param(ignore)]
    pub sort: Option<String>,
    /// `asc` or `desc` (not an API parameter).
    #[param(ignore)]
    pub dir: Option<String>,
}

impl ComplaintParams {
    /// The order the request names (`sort`, `dir`).
    pub fn sort(&self) -> Result<Option<Sort<store::ComplaintSort>>, WebError> {
        sort_param(&self.sort, &self.dir)
    }

    /// The filters as the request named them, for the list's links.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("state", text(&self.state)),
            ("kind", text(&self.kind)),
            ("district", text(&self.district)),
            ("overdue", text(&self.overdue)),
        ]
    }

    /// The filter without paging, overdue counted as of `today`.
    pub fn filter(&self, today: chrono::NaiveDate) -> Result<store::ComplaintFilter, WebError> {
        Ok(store::ComplaintFilter {
            count_up_to: None,
            state: param::<domain::ComplaintState>("state", &self.state)?,
            kind: param::<domain::ComplaintKind>("kind", &self.kind)?,
            district: param::<DistrictCodeParam>("district", &self.district)?.map(|d| d.0),
            entity: None,
            overdue: yes_no("overdue", &self.overdue)?,
            today: Some(today),
            sort: None,
            limit: 0,
            offset: 0,
        })
    }
}

/// A `yes`/`no` parameter (absent or blank: none).
pub(crate) fn yes_no(name: &str, raw: &Option<String>) -> Result<Option<bool>, WebError> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some("yes" | "true" | "1") => Ok(Some(true)),
        Some("no" | "false" | "0") => Ok(Some(false)),
        Some(_) => Err(WebError::BadRequest(format!("参数 {name} 应为 yes 或 no"))),
    }
}

/// An amount in fen as yuan: `573,800.00`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02}", fen % 100)
}

/// A date, `—` for none.
pub fn opt_date(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_else(|| "—".to_string())
}

/// `DistrictCode` through `FromStr`, for [`param`].
pub(crate) struct DistrictCodeParam(pub DistrictCode);

impl std::str::FromStr for DistrictCodeParam {
    type Err = domain::DistrictError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DistrictCode::parse(s).map(DistrictCodeParam)
    }
}

/// Parses a positive id from a path segment; anything else is "not found", not a 400, so that
/// probing paths learns nothing.
pub fn path_id(raw: &str, what: &str) -> Result<i64, WebError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| WebError::NotFound(what.to_string()))
}

/// One row of an object's history (the audit log), for display.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: &'static str,
    pub action_code: String,
    pub old: String,
    pub new: String,
    pub request: String,
}

impl AuditRow {
    pub fn new(a: &store::AuditEntry) -> AuditRow {
        let text =
            |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
        AuditRow {
            at: time(a.at),
            actor: a.actor.clone(),
            action: audit_action_label(&a.action),
            action_code: a.action.clone(),
            old: text(&a.old_value),
            new: text(&a.new_value),
            request: a.request_id.clone().unwrap_or_default(),
        }
    }
}

/// The Chinese name of an audit action code.
pub fn audit_action_label(code: &str) -> &'static str {
    match code {
        "create" => "创建",
        "triage" => "研判",
        "decide" => "确认/驳回",
        "disable" => "停用",
        "enable" => "启用",
        "password" => "重设密码",
        "role" => "变更角色",
        "lock" => "锁定",
        "token" => "签发令牌",
        "revoke_token" => "吊销令牌",
        "login" => "登录",
        "dispatch" => "派发",
        "feedback" => "核查反馈",
        "extend" => "延长期限",
        "open_case" | "open" => "立案",
        "stage" => "阶段变更",
        "outcome" => "处理结果",
        "add_officer" => "增加办案人员",
        "add_findings" => "并入发现",
        "decide_by" => "决定期限",
        "recheck" => "整改复查",
        "remove_listing" => "移出经营异常名录",
        "list" => "列入名录",
        "remove" => "移出名录",
        "apply" => "信用修复申请",
        "evaluate" => "第三方评价",
        "commit" => "信用承诺",
        "break" => "违背承诺",
        "reopen" => "重新调查",
        "file" => "登记",
        "accept" => "受理",
        "refuse" => "不予受理",
        "mediate" => "开始调解",
        "end_mediation" => "调解结束",
        "verify" => "核查",
        "link" => "关联",
        "close" => "办结",
        _ => "变更",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_location_the_detector_writes_has_a_label() {
        // detect::Location::as_str codes (web does not depend on detect).
        for code in [
            "title",
            "meta",
            "text",
            "link",
            "hidden",
            "spider",
            "attribute",
            "jsonld",
            "noscript",
            "script",
            "structure",
        ] {
            assert!(!location_label(code).is_empty(), "{code}");
        }
        assert_eq!(location_label("jsonld"), "结构化数据");
        assert_eq!(location_label("noscript"), "noscript内容");
    }

    #[test]
    fn links_encode_values_and_drop_empty_ones() {
        let l = link(
            "/findings",
            &[
                ("category", "ad.absolute_term".into()),
                ("district", String::new()),
                ("q", "a b&c=中".into()),
            ],
        );
        assert_eq!(
            l,
            "/findings?category=ad.absolute_term&q=a%20b%26c%3D%E4%B8%AD"
        );
        assert_eq!(link("/sites", &[("kind", String::new())]), "/sites");
    }

    #[test]
    fn filters_parse_and_reject() {
        let p = FindingParams {
            category: Some("ad.absolute_term".into()),
            district: Some(" 450103 ".into()),
            severity: Some(String::new()),
            ..Default::default()
        };
        let f = p.filter().unwrap();
        assert_eq!(f.category, Some(Category::AdAbsoluteTerm));
        assert_eq!(f.district, Some(DistrictCode::parse("450103").unwrap()));
        assert_eq!(f.severity, None);
        let bad = FindingParams {
            category: Some("nope".into()),
            ..Default::default()
        };
        assert!(matches!(bad.filter(), Err(WebError::BadRequest(_))));
        assert!(page_param(&Some("0".into())).is_err());
        assert_eq!(page_param(&None).unwrap(), 1);
        assert!(path_id("../etc", "x").is_err());
        assert!(path_id("-3", "x").is_err());
        assert_eq!(path_id("7", "x").unwrap(), 7);
    }

    #[test]
    fn pager_numbers_total_and_ends() {
        let href = |p: i64| format!("/x?page={p}");
        let numbers = |p: &Pager| -> Vec<String> {
            p.numbers
                .iter()
                .map(|n| match (n.gap, &n.href) {
                    (true, _) => "…".to_string(),
                    (false, None) => format!("[{}]", n.number),
                    (false, Some(_)) => n.number.to_string(),
                })
                .collect()
        };
        // 2.5 pages of rows.
        let p = Pager::new(1, 50, 125, href);
        assert_eq!((p.pages, p.total, p.first_row, p.last_row), (3, 125, 1, 50));
        assert_eq!(numbers(&p), ["[1]", "2", "3"]);
        assert_eq!((p.first.clone(), p.prev.clone()), (None, None));
        assert_eq!(p.next.as_deref(), Some("/x?page=2"));
        assert_eq!(p.last.as_deref(), Some("/x?page=3"));
        let p = Pager::new(3, 25, 125, href);
        assert_eq!((p.first_row, p.last_row), (101, 125));
        assert_eq!(numbers(&p), ["1", "2", "[3]"]);
        assert_eq!((p.next.clone(), p.last.clone()), (None, None));
        assert_eq!(p.first.as_deref(), Some("/x?page=1"));
        // A window around the current page, the ends beyond gaps.
        let p = Pager::new(10, 50, 1000, href);
        assert_eq!(
            numbers(&p),
            ["1", "…", "8", "9", "[10]", "11", "12", "…", "20"]
        );
        let p = Pager::new(4, 50, 1000, href);
        assert_eq!(numbers(&p), ["1", "2", "3", "[4]", "5", "6", "…", "20"]);
        // No rows: one empty page.
        let p = Pager::new(1, 0, 0, href);
        assert_eq!((p.pages, p.first_row, p.last_row), (1, 0, 0));
        assert_eq!(numbers(&p), ["[1]"]);
        // A page past the end links back to the pages there are.
        let p = Pager::new(9, 0, 60, href);
        assert_eq!(numbers(&p), ["1", "2"]);
        assert_eq!(p.next, None);
        // A count that stopped at its bound: "more than", no last page, a next page.
        assert_eq!(count_up_to(1), COUNT_CAP + 1);
        let p = Pager::new(1, 50, count_up_to(1), href);
        assert!(p.more);
        assert_eq!((p.total, p.pages), (COUNT_CAP, COUNT_CAP / PAGE_SIZE));
        assert_eq!(numbers(&p), ["[1]", "2", "3", "…"]);
        assert_eq!(
            (p.next.as_deref(), p.last.clone()),
            (Some("/x?page=2"), None)
        );
        // Exactly the cap is exact.
        let p = Pager::new(1, 50, COUNT_CAP, href);
        assert!(!p.more);
        let last = format!("/x?page={}", COUNT_CAP / PAGE_SIZE);
        assert_eq!(p.last.as_deref(), Some(last.as_str()));
        // Deep pages count a little further than they number.
        let deep = COUNT_CAP / PAGE_SIZE + 10;
        assert_eq!(count_up_to(deep), (deep + 2) * PAGE_SIZE + 1);
        let p = Pager::new(deep, 50, count_up_to(deep), href);
        let mut expected = vec!["1".to_string(), "…".to_string()];
        expected.extend((deep - 2..=deep + 2).map(|n| match n == deep {
            true => format!("[{n}]"),
            false => n.to_string(),
        }));
        expected.push("…".to_string());
        assert_eq!(numbers(&p), expected);
        assert!(p.more && p.next.is_some() && p.last.is_none());
        // An exact count past the cap, from a caller that did not bound it, is still "more
        // than" the cap: true, if less precise.
        let p = Pager::new(1, 50, 3 * COUNT_CAP, href);
        assert!(p.more);
    }

    #[test]
    fn sort_and_export_parameters() {
        let s = |sort: &str, dir: &str| {
            sort_param::<store::SiteSort>(&Some(sort.into()), &Some(dir.into()))
        };
        assert_eq!(
            s("host", "").unwrap(),
            Some(Sort::asc(store::SiteSort::Host))
        );
        assert_eq!(
            s("district", "desc").unwrap(),
            Some(Sort::desc(store::SiteSort::District))
        );
        assert_eq!(s("", "desc").unwrap(), None);
        match s("s.host; --", "asc") {
            Err(WebError::BadRequest(m)) => {
                assert!(m.starts_with("参数 sort 无效"), "{m}");
                assert!(m.contains("host、prefix、kind、entity、district"), "{m}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(s("host", "up"), Err(WebError::BadRequest(_))));
        assert!(export_cap(EXPORT_MAX_ROWS).is_ok());
        match export_cap(EXPORT_MAX_ROWS + 1) {
            Err(WebError::BadRequest(m)) => assert!(m.contains("请缩小筛选范围"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn list_links_keep_filters_and_sort() {
        let links = ListLinks::new(
            "/sites",
            vec![("district", " 450103 ".into()), ("kind", String::new())],
            Some(Sort::desc(store::SiteSort::Host)),
        );
        assert_eq!(
            links.page(2),
            "/sites?district=450103&sort=host&dir=desc&page=2"
        );
        assert_eq!(links.page(1), "/sites?district=450103&sort=host&dir=desc");
        assert_eq!(
            links.export("/export/sites", "xlsx"),
            "/export/sites?district=450103&sort=host&dir=desc&format=xlsx"
        );
        let heads = links.heads(&[
            ("主机", Some(store::SiteSort::Host)),
            ("区域", Some(store::SiteSort::District)),
            ("", None),
        ]);
        assert_eq!(heads[0].aria_sort, "descending");
        assert_eq!(
            heads[0].href.as_deref(),
            Some("/sites?district=450103&sort=host&dir=asc")
        );
        assert_eq!(heads[1].aria_sort, "");
        assert_eq!(
            heads[1].href.as_deref(),
            Some("/sites?district=450103&sort=district&dir=asc")
        );
        assert_eq!(heads[2].href, None);
        assert_eq!(
            links.sort_fields(),
            [("sort", "host".to_string()), ("dir", "desc".to_string())]
        );
        let unsorted =
            ListLinks::new::<store::SiteSort>("/sites", vec![("kind", "x".into())], None);
        assert!(unsorted.sort_fields().is_empty());
        // Ascending: the next click reverses.
        let links = ListLinks::new("/sites", vec![], Some(Sort::asc(store::SiteSort::Host)));
        let heads = links.heads(&[("主机", Some(store::SiteSort::Host))]);
        assert_eq!(heads[0].aria_sort, "ascending");
        assert_eq!(heads[0].href.as_deref(), Some("/sites?sort=host&dir=desc"));
    }

    #[test]
    fn fen_read_as_yuan() {
        assert_eq!(yuan(57_380_000), "573,800.00");
        assert_eq!(yuan(1250), "12.50");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(100_000), "1,000.00");
        assert_eq!(yuan(99_999), "999.99");
        assert!(yes_no("overdue", &Some("maybe".into())).is_err());
        assert_eq!(yes_no("overdue", &Some("yes".into())).unwrap(), Some(true));
    }

    #[test]
    fn beijing_time() {
        let t = DateTime::parse_from_rfc3339("2017-06-01T16:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(time(t), "2017-06-02 00:30:00 北京时间");
    }
}
