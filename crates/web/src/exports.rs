//! The console's lists as people export them (CSV, XLSX; [`crate::table`]), one table builder
//! per list: entities with every register column (so an export re-imports), sites with their
//! class, and findings, clues, cases, complaints, badges and credit listings with the columns
//! their lists show. One definition for the console's export links (`/export/<list>`, the
//! list's filters and sort, every page, at most [`crate::view::EXPORT_MAX_ROWS`] rows) and
//! `wangjian export`.
//!
//! The CSV header is the columns' codes (stable, what an import reads); the XLSX header row
//! shows their Chinese labels. A time is a date-time cell of Beijing time and its label says
//! so (`（北京时间）`); coded values are written as their Chinese titles, with the code in a
//! column of its own where the list shows it.

use crate::table::{Cell, Table};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use domain::DistrictTable;
use store::{
    Badge, Case, Clue, Complaint, Entity, EntityFilter, Finding, Listing, Scope, Site, SiteFilter,
    Store, StoreError,
};

use crate::WebError;

/// Rows read per round trip while collecting an export.
const CHUNK: i64 = 5000;

use domain::time::to_beijing as beijing;

/// Entities as a table: the import's columns (so an export re-imports; the XLSX header shows
/// their official Chinese names, which the import also reads), then the district's name and
/// the row's times (Beijing time).
pub fn entities_table(entities: &[Entity], districts: &DistrictTable) -> Table {
    let mut columns: Vec<String> = match entities.first() {
        Some(e) => e
            .input
            .columns()
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| !k.starts_with("extra."))
            .collect(),
        None => store::EntityInput::new(
            "",
            "",
            domain::SiteKind::TradingSite,
            domain::DistrictCode::parse("450100").expect("valid code"),
        )
        .columns()
        .into_iter()
        .map(|(k, _)| k)
        .collect(),
    };
    let base = columns.len();
    columns.extend(["district_name", "created_at", "updated_at", "id"].map(String::from));
    let labels: Vec<String> = columns
        .iter()
        .map(|c| {
            store::import::column_label(c)
                .or(match c.as_str() {
                    "needs_review" => Some("待核实原因"),
                    "district_name" => Some("行政区划名称"),
                    "created_at" => Some("创建时间（北京时间）"),
                    "updated_at" => Some("更新时间（北京时间）"),
                    "id" => Some("编号"),
                    _ => None,
                })
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    let mut table = Table::new("entities", columns).with_labels(labels);
    for e in entities {
        let mut row: Vec<Cell> = e
            .input
            .columns()
            .into_iter()
            .take(base)
            .map(|(k, v)| match (k.as_str(), e.input.established) {
                ("established", Some(d)) => Cell::Date(d),
                _ => Cell::from(v),
            })
            .collect();
        row.push(Cell::from(
            districts
                .name(e.input.district)
                .map(str::to_string)
                .unwrap_or_default(),
        ));
        row.push(Cell::DateTime(beijing(e.created_at)));
        row.push(Cell::DateTime(beijing(e.updated_at)));
        row.push(Cell::Int(e.id.0));
        table.rows.push(row);
    }
    table
}

/// Sites as a table, with the class their pages show and whether it disagrees with the
/// register.
pub fn sites_table(sites: &[Site]) -> Table {
    let mut table = Table::new(
        "sites",
        [
            "address",
            "kind",
            "origin",
            "entity",
            "district",
            "classified_kind",
            "class_reason",
            "kind_disagrees",
            "id",
        ],
    )
    .with_labels([
        "网站地址",
        "登记类型",
        "来源",
        "经营主体",
        "行政区划代码",
        "识别类型",
        "识别依据",
        "类型与登记不符",
        "编号",
    ]);
    for s in sites {
        table.rows.push(vec![
            Cell::from(s.address()),
            Cell::from(s.kind.code()),
            Cell::from(s.origin.code()),
            Cell::from(s.entity_name.clone()),
            Cell::from(s.district.map(|d| d.to_string())),
            Cell::from(s.classified.as_ref().map(|c| c.kind.code())),
            Cell::from(s.classified.as_ref().map(|c| c.reason.clone())),
            Cell::from(if s.kind_disagrees() { "yes" } else { "" }),
            Cell::Int(s.id.0),
        ]);
    }
    table
}

/// Every row of a paged list: asks `page(offset, limit)` until a page comes back short.
pub(crate) async fn all_rows<T, E, F, Fut>(mut page: F) -> Result<Vec<T>, E>
where
    F: FnMut(i64, i64) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, E>>,
{
    let mut out = Vec::new();
    loop {
        let rows = page(out.len() as i64, CHUNK).await?;
        let n = rows.len() as i64;
        out.extend(rows);
        if n < CHUNK {
            return Ok(out);
        }
    }
}

/// Every entity in scope that the filter selects (its limit and offset are ignored).
pub async fn all_entities(
    store: &dyn Store,
    scope: Scope,
    filter: &EntityFilter,
) -> Result<Vec<Entity>, StoreError> {
    all_rows(|offset, limit| {
        let filter = EntityFilter {
            limit,
            offset,
            ..filter.clone()
        };
        let scope = scope.clone();
        async move { store.list_entities(scope, &filter).await }
    })
    .await
}

/// Every site in scope that the filter selects (its limit and offset are ignored).
pub async fn all_sites(
    store: &dyn Store,
    scope: Scope,
    filter: &SiteFilter,
) -> Result<Vec<Site>, StoreError> {
    all_rows(|offset, limit| {
        let filter = SiteFilter {
            limit,
            offset,
            ..filter.clone()
        };
        let scope = scope.clone();
        async move { store.list_sites(scope, &filter).await }
    })
    .await
}

/// A district's name and code, as the lists show it.
fn district(districts: &DistrictTable, d: Option<domain::DistrictCode>) -> Cell {
    match d {
        Some(_) => Cell::from(crate::view::district_label(districts, d)),
        None => Cell::Empty,
    }
}

fn time(t: chrono::DateTime<Utc>) -> Cell {
    Cell::DateTime(beijing(t))
}

fn opt_time(t: Option<chrono::DateTime<Utc>>) -> Cell {
    t.map_or(Cell::Empty, time)
}

fn date(d: Option<chrono::NaiveDate>) -> Cell {
    d.map_or(Cell::Empty, Cell::Date)
}

/// A table of `columns`: `(code, Chinese label)` pairs.
fn table(title: &str, columns: &[(&str, &str)]) -> Table {
    Table::new(title, columns.iter().map(|(c, _)| *c)).with_labels(columns.iter().map(|(_, l)| *l))
}

/// The findings list (`/findings`) as a table.
pub fn findings_table(findings: &[Finding], districts: &DistrictTable) -> Table {
    let mut t = table(
        "findings",
        &[
            ("id", "编号"),
            ("severity", "等级"),
            ("severity_code", "等级代码"),
            ("category", "类别"),
            ("category_code", "类别代码"),
            ("site", "网站"),
            ("district", "区域"),
            ("url", "URL"),
            ("excerpt", "摘录"),
            ("location", "位置"),
            ("rule", "规则"),
            ("rule_pack", "规则包"),
            ("found_at", "发现时间（北京时间）"),
            ("triage", "研判"),
            ("fetch_id", "证据记录（抓取编号）"),
        ],
    );
    for f in findings {
        let n = &f.finding;
        t.rows.push(vec![
            Cell::Int(f.id.0),
            Cell::from(crate::view::severity_label(n.severity)),
            Cell::from(n.severity.code()),
            Cell::from(n.category.title()),
            Cell::from(n.category.code()),
            Cell::from(f.host.clone()),
            district(districts, f.district),
            Cell::from(n.url.clone()),
            Cell::from(n.excerpt.clone()),
            Cell::from(crate::view::location_label(&n.location)),
            Cell::from(n.rule_id.clone()),
            Cell::from(n.rule_pack.clone()),
            time(n.found_at),
            Cell::from(f.triage.title()),
            Cell::from(n.fetch_id.map(|id| id.0)),
        ]);
    }
    t
}

/// The clue list (`/clues`) as a table.
pub fn clues_table(clues: &[Clue], districts: &DistrictTable) -> Table {
    let mut t = table(
        "clues",
        &[
            ("id", "编号"),
            ("site", "网站"),
            ("state", "状态"),
            ("district", "承办区"),
            ("severity", "等级"),
            ("due_on", "办理期限"),
            ("verify_by", "核查时限"),
            ("overdue", "逾期"),
            ("summary", "摘要"),
            ("findings", "发现数"),
            ("created_by", "创建人"),
            ("created_at", "创建时间（北京时间）"),
        ],
    );
    for c in clues {
        t.rows.push(vec![
            Cell::Int(c.id.0),
            Cell::from(c.site.clone()),
            Cell::from(c.state.title()),
            district(districts, c.district),
            Cell::from(crate::view::severity_label(c.severity)),
            date(c.due_on),
            date(c.verify_by),
            Cell::from(if c.overdue { "逾期" } else { "" }),
            Cell::from(c.summary.clone()),
            Cell::Int(c.findings.len() as i64),
            Cell::from(c.created_by.clone()),
            time(c.created_at),
        ]);
    }
    t
}

/// The case list (`/cases`) as a table; `outcomes` are each case's outcomes (their count is
/// what the list shows, their kinds are named here).
pub fn cases_table(cases: &[(Case, Vec<store::Outcome>)], districts: &DistrictTable) -> Table {
    let mut t = table(
        "cases",
        &[
            ("number", "案号"),
            ("site", "网站"),
            ("district", "承办区"),
            ("stage", "阶段"),
            ("opened_at", "立案时间（北京时间）"),
            ("decide_by", "决定期限"),
            ("overdue", "逾期"),
            ("outcomes", "处理结果数"),
            ("outcome_kinds", "处理结果"),
            ("summary", "案情摘要"),
        ],
    );
    for (c, outcomes) in cases {
        let kinds: Vec<&str> = outcomes.iter().map(|o| o.detail.kind().title()).collect();
        t.rows.push(vec![
            Cell::from(c.number.clone()),
            Cell::from(c.site.clone()),
            district(districts, Some(c.district)),
            Cell::from(c.stage.title()),
            time(c.opened_at),
            Cell::Date(c.decide_by),
            Cell::from(if c.overdue { "逾期" } else { "" }),
            Cell::Int(outcomes.len() as i64),
            Cell::from(kinds.join("、")),
            Cell::from(c.summary.clone()),
        ]);
    }
    t
}

/// The complaint list (`/complaints`) as a table: what the list shows, no personal data of
/// the complainant.
pub fn complaints_table(
    complaints: &[Complaint],
    districts: &DistrictTable,
    today: chrono::NaiveDate,
) -> Table {
    let mut t = table(
        "complaints",
        &[
            ("id", "编号"),
            ("tracking_number", "查询码"),
            ("kind", "类别"),
            ("subject", "被投诉举报经营者"),
            ("state", "状态"),
            ("upheld", "属实"),
            ("district", "承办区"),
            ("accept_by", "受理期限"),
            ("mediation_ends_by", "调解期限"),
            ("verify_by", "核查时限"),
            ("overdue", "逾期"),
            ("received_at", "登记时间（北京时间）"),
        ],
    );
    for c in complaints {
        t.rows.push(vec![
            Cell::Int(c.id.0),
            Cell::from(c.tracking_number.to_string()),
            Cell::from(c.kind.title()),
            Cell::from(
                c.entity_name
                    .clone()
                    .unwrap_or_else(|| c.subject.name.clone()),
            ),
            Cell::from(c.state.title()),
            Cell::from(if c.upheld { "属实" } else { "" }),
            district(districts, c.district),
            Cell::Date(c.accept_by),
            date(c.mediation_ends_by),
            date(c.verify_by),
            Cell::from(if c.overdue(today) { "逾期" } else { "" }),
            time(c.received_at),
        ]);
    }
    t
}

/// The badge list (`/badges`) as a table.
pub fn badges_table(badges: &[Badge], districts: &DistrictTable) -> Table {
    let mut t = table(
        "badges",
        &[
            ("serial", "编号"),
            ("entity", "经营主体"),
            ("uscc", "统一社会信用代码"),
            ("district", "区域"),
            ("domain", "域名"),
            ("method", "验证方式"),
            ("state", "状态"),
            ("cause", "原因"),
            ("proof", "验证结果"),
            ("check", "最近巡查"),
            ("checked_at", "巡查时间（北京时间）"),
            ("applied_at", "申请时间（北京时间）"),
            ("issued_at", "发放时间（北京时间）"),
        ],
    );
    for b in badges {
        t.rows.push(vec![
            Cell::from(b.serial.to_string()),
            Cell::from(b.entity_name.clone()),
            Cell::from(b.uscc.clone()),
            district(districts, Some(b.district)),
            Cell::from(b.domain.clone()),
            Cell::from(b.method.title()),
            Cell::from(b.state.title()),
            Cell::from(b.cause.map(|c| c.title())),
            Cell::from(b.proof_result.map(|r| r.title())),
            Cell::from(b.check_verdict.map(|v| v.title())),
            opt_time(b.checked_at),
            time(b.applied_at),
            opt_time(b.issued_at),
        ]);
    }
    t
}

/// The credit listings (`/credit/lists`) as a table; `cause` words a listing's cause.
pub fn listings_table(
    listings: &[Listing],
    districts: &DistrictTable,
    cause: impl Fn(&Listing) -> String,
) -> Table {
    let mut t = table(
        "credit-listings",
        &[
            ("id", "编号"),
            ("list", "名录"),
            ("entity", "经营主体"),
            ("uscc", "统一社会信用代码"),
            ("district", "区域"),
            ("cause", "列入事由"),
            ("decision_no", "决定书文号"),
            ("listed_on", "列入日期"),
            ("removed_on", "移出日期"),
            ("removed_reason", "移出原因"),
        ],
    );
    for l in listings {
        t.rows.push(vec![
            Cell::Int(l.id.0),
            Cell::from(l.list.title()),
            Cell::from(l.entity_name.clone()),
            Cell::from(l.uscc.clone()),
            district(districts, Some(l.district)),
            Cell::from(cause(l)),
            Cell::from(l.decision_no.clone()),
            Cell::Date(l.listed_on),
            date(l.removed_on),
            Cell::from(l.removed_reason.map(|r| r.title())),
        ]);
    }
    t
}

/// The field inspections (`/inspections`) as a table.
pub fn inspections_table(inspections: &[store::Inspection], districts: &DistrictTable) -> Table {
    let mut t = table(
        "inspections",
        &[
            ("id", "编号"),
            ("inspected_at", "检查时间（北京时间）"),
            ("entity", "经营主体"),
            ("uscc", "统一社会信用代码"),
            ("district", "区域"),
            ("case", "案件编号"),
            ("result", "结果"),
            ("result_code", "结果代码"),
            ("officers", "检查人员"),
            ("attachments", "附件数"),
            ("place", "地点"),
        ],
    );
    for i in inspections {
        let officers: Vec<&str> = i.officers.iter().map(|o| o.display_name.as_str()).collect();
        t.rows.push(vec![
            Cell::Int(i.id.0),
            time(i.inspected_at),
            Cell::from(i.entity_name.clone()),
            Cell::from(i.uscc.clone()),
            district(districts, Some(i.district)),
            Cell::from(i.case_id.map(|c| c.0)),
            Cell::from(i.result.title()),
            Cell::from(i.result.code()),
            Cell::from(officers.join("、")),
            Cell::Int(i.attachments),
            Cell::from(i.place.clone()),
        ]);
    }
    t
}

/// A discovered site with what its list row shows in words.
pub struct DiscoveredRow {
    pub discovered: store::Discovered,
    pub state: &'static str,
    pub source: &'static str,
    /// How far from the register (empty for one hop by a filing or a certificate).
    pub hops: String,
    /// Each sighting: the linking page, the filing, the certificate.
    pub evidence: Vec<String>,
    /// The city indicators.
    pub indicators: Vec<String>,
    /// What its pages show (codes, names, phones).
    pub shown: String,
    /// The class its pages show.
    pub class: String,
    /// Why the matcher proposes its entity.
    pub proposal: Option<String>,
    /// The registered site it imitates.
    pub imitation: Option<String>,
}

/// The discovered sites (`/discovered`) as a table.
pub fn discovered_table(rows: &[DiscoveredRow]) -> Table {
    let mut t = table(
        "discovered",
        &[
            ("id", "编号"),
            ("address", "地址"),
            ("source", "来源"),
            ("hops", "链接层数"),
            ("state", "状态"),
            ("first_seen", "首次发现（北京时间）"),
            ("last_seen", "最近发现（北京时间）"),
            ("sightings", "发现次数"),
            ("evidence", "依据"),
            ("indicators", "属地标识"),
            ("shown", "页面显示"),
            ("class", "页面类型"),
            ("proposed_entity", "建议主体编号"),
            ("proposal", "建议依据"),
            ("imitates_entity", "疑似仿冒主体编号"),
            ("imitation", "疑似仿冒"),
        ],
    );
    for r in rows {
        let d = &r.discovered;
        t.rows.push(vec![
            Cell::Int(d.id),
            Cell::from(d.address()),
            Cell::from(r.source),
            Cell::Int(i64::from(d.hops)),
            Cell::from(r.state),
            time(d.first_seen),
            time(d.last_seen),
            Cell::Int(d.sightings),
            Cell::from(r.evidence.join("；")),
            Cell::from(r.indicators.join("；")),
            Cell::from(r.shown.clone()),
            Cell::from(r.class.clone()),
            Cell::from(d.proposed_entity.map(|e| e.0)),
            Cell::from(r.proposal.clone()),
            Cell::from(d.imitation.as_ref().map(|i| i.owner)),
            Cell::from(r.imitation.clone()),
        ]);
    }
    t
}

/// The table as the response to an export link, in `format` (`csv`, the default, or
/// `xlsx`), as an attachment named after the table and the time.
pub(crate) fn response(table: &Table, format: &Option<String>) -> Result<Response, WebError> {
    let xlsx = match format.as_deref().map(str::trim) {
        None | Some("") | Some("csv") => false,
        Some("xlsx") => true,
        Some(other) => {
            return Err(WebError::BadRequest(format!(
                "参数 format 应为 csv 或 xlsx，而不是 {other:?}"
            )))
        }
    };
    let name = format!(
        "wangjian-{}-{}",
        table.title,
        Utc::now().format("%Y%m%d-%H%M%S")
    );
    let (body, mime, ext) = if xlsx {
        let mut cursor = std::io::Cursor::new(Vec::new());
        table
            .write_xlsx(&mut cursor)
            .map_err(|e| WebError::BadRequest(format!("导出失败：{e}")))?;
        (
            cursor.into_inner(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    } else {
        let mut out = Vec::new();
        table
            .write_csv(&mut out)
            .map_err(|e| WebError::BadRequest(format!("导出失败：{e}")))?;
        (out, "text/csv; charset=utf-8", "csv")
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{ext}\""),
            ),
        ],
        body,
    )
        .into_response())
}
