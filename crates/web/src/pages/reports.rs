//! `/reports`: the bureau's report (`crate::report`) over a period, a district or a campaign —
//! the page with its request form, each figure's records (`/reports/records`), and the report
//! as a file (`/reports/export?format=xlsx|html|pdf`). The command line's `wangjian report`
//! writes the same report through the same functions.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use domain::{CampaignId, DistrictCode};
use store::Figure;

use super::render;
use crate::report::{self, Report, ReportError, ReportRequest};
use crate::view::{self, Opt};
use crate::{Shared, Viewer, WebError};

/// The request's parameters, as text (a bad one is a 400 naming it).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub(crate) struct ReportParams {
    from: Option<String>,
    to: Option<String>,
    district: Option<String>,
    campaign: Option<String>,
    figure: Option<String>,
    format: Option<String>,
}

/// The request form as the page shows it.
pub(crate) struct Form {
    pub from: String,
    pub to: String,
    pub districts: Vec<Opt>,
    pub campaigns: Vec<Opt>,
}

/// The bureau that issues the report: the documents' issuing bureau.
fn issuer(app: &crate::AppState) -> String {
    app.documents.as_ref().map_or_else(
        || documents::DocumentSettings::default().bureau,
        |d| d.settings.bureau.clone(),
    )
}

/// The request of `params`: the period defaults to the campaign's, else to this month so far
/// (Beijing days; `report::request`).
async fn request(app: &crate::AppState, p: &ReportParams) -> Result<ReportRequest, WebError> {
    let campaign: Option<i64> = view::param("campaign", &p.campaign)?;
    let campaign = campaign.map(CampaignId);
    // `none` narrows a records page only (see [`district_filter`]); the report is then the city's.
    let district = district_filter(&p.district)?.flatten();
    let from: Option<NaiveDate> = view::param("from", &p.from)?;
    let to: Option<NaiveDate> = view::param("to", &p.to)?;
    let today = domain::time::beijing_date(Utc::now());
    report::request(app.store.as_ref(), campaign, from, to, district, today)
        .await
        .map_err(report_error)
}

/// The district filter of a records page: empty for all, `none` for the records without a
/// district (sites not attached to an entity, city-wide records), else a district code.
fn district_filter(raw: &Option<String>) -> Result<Option<Option<DistrictCode>>, WebError> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some("none") => Ok(Some(None)),
        Some(d) => DistrictCode::parse(d)
            .map(|d| Some(Some(d)))
            .map_err(|_| WebError::BadRequest(format!("行政区代码 {d:?} 无效"))),
    }
}

fn report_error(e: ReportError) -> WebError {
    match e {
        ReportError::Backwards { first, last } => {
            WebError::BadRequest(format!("截止日期 {last} 早于起始日期 {first}"))
        }
        ReportError::NoCampaign(id) => WebError::NotFound(format!("专项行动 {id}")),
        ReportError::UnknownDistrict(d) => {
            WebError::BadRequest(format!("行政区代码 {d} 不在区划表中"))
        }
        ReportError::Store(e) => WebError::Store(e),
    }
}

async fn build(
    app: &crate::AppState,
    viewer: &Viewer,
    req: &ReportRequest,
) -> Result<Report, WebError> {
    report::build(
        app.store.as_ref(),
        &app.districts,
        viewer.scope(),
        req,
        &issuer(app),
        Utc::now(),
    )
    .await
    .map_err(report_error)
}

/// `GET /reports`.
pub(crate) async fn page(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<ReportParams>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let Query(params) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let req = request(&app, &params).await?;
    let report = build(&app, &viewer, &req).await?;
    let district = req.district.map(|d| d.to_string()).unwrap_or_default();
    let campaign = req.campaign.map(|c| c.0.to_string()).unwrap_or_default();
    let mut campaigns = vec![Opt::new("", "（不限）", &campaign)];
    campaigns.extend(app.store.list_campaigns().await?.iter().map(|c| {
        Opt::new(
            c.id.0.to_string(),
            format!("#{} {}", c.id, c.name),
            &campaign,
        )
    }));
    let form = Form {
        from: req.first.to_string(),
        to: req.last.to_string(),
        districts: view::district_options(&app.districts, &district),
        campaigns,
    };
    Ok(Html(report::page_html(&report, &app.districts, form)?))
}

struct RecordRow {
    kind: &'static str,
    id: i64,
    href: Option<String>,
    label: String,
    district: String,
    value: String,
}

#[derive(Template)]
#[template(path = "report_records.html")]
struct RecordsPage {
    active: &'static str,
    figure: &'static str,
    code: &'static str,
    period: String,
    report_href: String,
    /// What the back link says: the work report, or the campaign's.
    report: String,
    district: String,
    /// How many records make up the figure, and how many of them the page leaves out.
    records: i64,
    left_out: i64,
    rows: Vec<RecordRow>,
    total: String,
}

/// Records a records page lists (the XLSX holds up to `report::RECORDS_CAP`).
const PAGE_RECORDS: i64 = 5_000;

/// `GET /reports/records?figure=…`: every record behind one figure of the report.
pub(crate) async fn records(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<ReportParams>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let Query(params) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let code = params.figure.as_deref().unwrap_or_default().trim();
    let figure =
        Figure::parse(code).ok_or_else(|| WebError::BadRequest(format!("统计项 {code:?} 无效")))?;
    let req = request(&app, &params).await?;
    let only = district_filter(&params.district)?;
    let subject = report::subject(&req);
    let list = app
        .store
        .figure_records(viewer.scope(), &subject, figure, only, PAGE_RECORDS)
        .await?;
    // The figure as counted (all its records, however many the page lists).
    let counted: Vec<_> = app
        .store
        .figures(viewer.scope(), &subject, &[figure])
        .await?
        .into_iter()
        .filter(|c| only.is_none_or(|d| c.district == d))
        .collect();
    let records: i64 = counted.iter().map(|c| c.records).sum();
    let campaign = match req.campaign {
        Some(id) => app.store.campaign(id).await?.map(|c| c.name),
        None => None,
    };
    let shown = |v: i64| report::value_text(figure, v);
    let total = shown(counted.iter().map(|c| c.value).sum());
    let mut back = vec![
        ("from", req.first.to_string()),
        ("to", req.last.to_string()),
    ];
    back.push(("district", params.district.clone().unwrap_or_default()));
    back.push(("campaign", params.campaign.clone().unwrap_or_default()));
    render(&RecordsPage {
        active: "reports",
        figure: figure.title(),
        code: figure.code(),
        period: format!("{} 至 {}", req.first, req.last),
        report_href: view::link("/reports", &back),
        report: match campaign {
            Some(name) => format!("专项行动报告：{name}"),
            None => "工作报告".to_string(),
        },
        district: match only {
            None => "全部区域".to_string(),
            Some(None) => "无行政区的记录".to_string(),
            Some(d) => view::district_label(&app.districts, d),
        },
        records,
        left_out: records - list.len() as i64,
        rows: list
            .iter()
            .map(|r| RecordRow {
                kind: report::record_kind_label(r.figure.records()),
                id: r.id,
                href: report::record_href(r),
                label: r.label.clone(),
                district: view::district_label(&app.districts, r.district),
                value: shown(r.value),
            })
            .collect(),
        total,
    })
}

/// `GET /reports/export?format=xlsx|html|pdf`: the report as a file.
pub(crate) async fn export(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<ReportParams>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(params) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let req = request(&app, &params).await?;
    let format = params.format.as_deref().map(str::trim).unwrap_or("xlsx");
    if !matches!(format, "xlsx" | "html" | "pdf") {
        return Err(WebError::BadRequest(format!(
            "参数 format 应为 xlsx、html 或 pdf，而不是 {format:?}"
        )));
    }
    let report = build(&app, &viewer, &req).await?;
    let name = format!("wangjian-report-{}-{}", req.first, req.last);
    let (bytes, mime) = match format {
        "xlsx" => {
            let mut out = Vec::new();
            report::write_xlsx(&report, &app.districts, &mut out)
                .map_err(|e| WebError::Internal(format!("report xlsx: {e}")))?;
            (
                out,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        }
        "html" => (
            report::document_html(&report, &app.districts, None)?.into_bytes(),
            "text/html; charset=utf-8",
        ),
        _ => {
            let browser = match app.documents.as_ref().map(|d| d.browser.clone()) {
                Some(Ok(b)) => b,
                Some(Err(why)) => {
                    return Err(WebError::Unavailable(format!("无法打印 PDF：{why}")))
                }
                None => return Err(WebError::Unavailable("未配置打印 PDF 的浏览器".into())),
            };
            let html = report::document_html(&report, &app.districts, None)?;
            let pdf = tokio::task::spawn_blocking(move || {
                crawl::browser::print_pdf(&browser, &html, crawl::browser::Margins::default())
            })
            .await
            .map_err(|e| WebError::Internal(format!("report pdf: {e}")))?
            .map_err(|e| WebError::Unavailable(format!("打印 PDF 失败：{e}")))?;
            (pdf, "application/pdf")
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{format}\""),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                super::documents::DOCUMENT_POLICY.to_string(),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
