//! `/campaigns`: special campaigns (专项行动) — the list with a form to create one, a
//! campaign's page with the bureau's figures per district (行政区), each figure a link to the
//! records behind it (the report's records page, `/reports/records?campaign=…&figure=…`), and
//! closing one. Forms are thin calls of `schedule::campaign`, the functions `wangjian campaign`
//! calls too.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{FixedOffset, NaiveDate};
use domain::{CampaignId, Category, DistrictCode, Permission, SiteKind};
use schedule::campaign::{CampaignError, TargetKind};
use store::{Campaign, CampaignState, Figure};

use super::render;
use crate::forms::Posted;
use crate::view::{self, link};
use crate::{Shared, Viewer, WebError};

/// The bureau's time zone: the scheduler's, else UTC+8.
pub(crate) fn offset(app: &crate::AppState) -> FixedOffset {
    app.schedule
        .as_ref()
        .map_or_else(domain::time::beijing, |s| s.config.offset)
}

struct CampaignRow {
    href: String,
    id: i64,
    name: String,
    period: String,
    state: &'static str,
    sites: i64,
    schedule: String,
    packs: String,
}

fn row(c: &Campaign) -> CampaignRow {
    CampaignRow {
        href: format!("/campaigns/{}", c.id),
        id: c.id.0,
        name: c.name.clone(),
        period: format!("{} 至 {}", c.starts_on, c.ends_on),
        state: c.state.title(),
        sites: c.sites,
        schedule: schedule_label(&c.schedule),
        packs: packs_label(&c.packs),
    }
}

fn schedule_label(s: &str) -> String {
    if s.is_empty() {
        "仅手动".to_string()
    } else {
        s.to_string()
    }
}

fn packs_label(p: &[String]) -> String {
    if p.is_empty() {
        "全部规则包".to_string()
    } else {
        p.join("、")
    }
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct CampaignsPage {
    active: &'static str,
    campaigns: Vec<CampaignRow>,
    may_plan: bool,
    csrf: String,
    kinds: Vec<(String, String)>,
    districts: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    packs: Vec<String>,
    error: Option<String>,
}

async fn list_page(
    app: &crate::AppState,
    viewer: &Viewer,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    let campaigns = app.store.list_campaigns().await?;
    render(&CampaignsPage {
        active: "campaigns",
        campaigns: campaigns.iter().map(row).collect(),
        may_plan: viewer.may(Permission::Campaigns),
        csrf: viewer.csrf().unwrap_or_default().to_string(),
        kinds: SiteKind::ALL
            .iter()
            .map(|k| (k.code().to_string(), view::kind_label(*k).to_string()))
            .collect(),
        districts: app
            .districts
            .all()
            .iter()
            .map(|d| (d.code.to_string(), format!("{} {}", d.name, d.code)))
            .collect(),
        categories: Category::ALL
            .iter()
            .map(|c| (c.code().to_string(), format!("{} {}", c.title(), c.code())))
            .collect(),
        packs: schedule::campaign::pack_names()
            .into_iter()
            .map(str::to_string)
            .collect(),
        error,
    })
}

pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
) -> Result<Html<String>, WebError> {
    list_page(&app, &viewer, None).await
}

/// A campaign's refusal in Chinese.
pub(crate) fn refusal(e: &CampaignError) -> String {
    match e {
        CampaignError::NoName => "请填写专项行动名称".into(),
        CampaignError::NameTooLong { max } => format!("名称不能超过 {max} 字"),
        CampaignError::EndsBeforeStart { starts_on, ends_on } => {
            format!("结束日期 {ends_on} 早于开始日期 {starts_on}")
        }
        CampaignError::NoTargets => {
            "请至少指定一项目标：网站类型、行政区、违法类别、关键词或网站编号".into()
        }
        CampaignError::NoSites => "所设目标没有匹配到任何网站，未创建专项行动".into(),
        CampaignError::UnknownSite { site } => format!("网站 #{site} 不存在"),
        CampaignError::EmptyKeyword => "关键词不能为空".into(),
        CampaignError::BadTarget { what, value } => {
            format!("{}“{value}”无效", what.title())
        }
        CampaignError::NoSearchIndex => "检索索引不可用，无法按关键词选取网站".into(),
        CampaignError::UnknownPack(p) => {
            format!("规则包“{}”不存在（可用：{}）", p.name, p.known.join("、"))
        }
        CampaignError::Schedule(c) => format!("巡查计划有误：{}", cron_refusal(c)),
        CampaignError::NotFound(id) => format!("专项行动 {id} 不存在"),
        CampaignError::Closed(id) => format!("专项行动 {id} 已结束"),
        CampaignError::Search(_) | CampaignError::Store(_) => "系统错误，请稍后再试".into(),
    }
}

/// A cron refusal in Chinese, naming the field.
pub(crate) fn cron_refusal(e: &schedule::CronError) -> String {
    use schedule::CronError::*;
    match e {
        FieldCount { got } => {
            format!("应为 5 个字段（分 时 日 月 星期），实际 {got} 个")
        }
        Syntax { field, text } => format!("{}字段“{text}”格式不对", field.title()),
        OutOfRange {
            field,
            value,
            min,
            max,
        } => format!("{}字段的 {value} 超出 {min}–{max}", field.title()),
        Backwards { field, from, to } => {
            format!("{}字段的范围 {from}-{to} 起点大于终点", field.title())
        }
        ZeroStep { field } => format!("{}字段的步长不能为 0", field.title()),
    }
}

pub(crate) async fn create(
    State(app): State<Shared>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::Campaigns)?;
    let fields = posted.form;
    let fields = crate::forms::Fields(&fields);
    let all = |name: &str| fields.all(name);
    let one = |name: &str| fields.one(name);
    // Keywords and sites may be typed several to a box, separated by commas or spaces.
    let split = |name: &str| -> Vec<String> {
        all(name)
            .iter()
            .flat_map(|v| {
                v.split([',', '，', '、', ' ', '\n'])
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .filter(|s| !s.trim().is_empty())
            .collect()
    };
    let date = |name: &str, what: &str| -> Result<NaiveDate, String> {
        NaiveDate::parse_from_str(one(name).trim(), "%Y-%m-%d")
            .map_err(|_| format!("{what}应为 YYYY-MM-DD 格式的日期"))
    };
    let input = (|| -> Result<schedule::CampaignInput, String> {
        let targets = schedule::TargetText {
            kinds: all("kind"),
            districts: all("district"),
            categories: all("category"),
            keywords: split("keywords"),
            sites: split("sites"),
        }
        .parse()
        .map_err(|e| refusal(&e))?;
        Ok(schedule::CampaignInput {
            name: one("name"),
            starts_on: date("starts_on", "开始日期")?,
            ends_on: date("ends_on", "结束日期")?,
            targets,
            packs: all("pack"),
            schedule: one("schedule"),
        })
    })();
    let input = match input {
        Ok(i) => i,
        Err(msg) => return Ok(bad(&app, &viewer, msg).await?.into_response()),
    };
    match schedule::campaign::create(
        app.store.as_ref(),
        app.search.as_ref(),
        &input,
        &viewer.audit_actor(),
    )
    .await
    {
        Ok(c) => Ok(Redirect::to(&format!("/campaigns/{}", c.id)).into_response()),
        Err(CampaignError::Store(e)) => Err(WebError::Store(e)),
        Err(e) => Ok(bad(&app, &viewer, refusal(&e)).await?.into_response()),
    }
}

/// The list page again with the refusal, answered 400.
async fn bad(
    app: &crate::AppState,
    viewer: &Viewer,
    msg: String,
) -> Result<(axum::http::StatusCode, Html<String>), WebError> {
    Ok((
        axum::http::StatusCode::BAD_REQUEST,
        list_page(app, viewer, Some(msg)).await?,
    ))
}

struct Cell {
    value: String,
    href: String,
}

struct DistrictRow {
    name: String,
    cells: Vec<Cell>,
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    active: &'static str,
    c: CampaignRow,
    targets: Vec<(&'static str, String)>,
    figures: Vec<&'static str>,
    rows: Vec<DistrictRow>,
    total: Vec<Cell>,
    may_close: bool,
    csrf: String,
}

/// A figure's value as shown: fines in yuan with two decimals.
fn figure_value(f: Figure, v: i64) -> String {
    if f == Figure::Fines {
        format!("{}.{:02}", v / 100, v % 100)
    } else {
        v.to_string()
    }
}

/// The `district` query value of a row: a code, or `none` for sites without an entity.
fn district_param(d: Option<DistrictCode>) -> String {
    d.map_or_else(|| "none".to_string(), |d| d.to_string())
}

async fn campaign_of(app: &crate::AppState, raw: &str) -> Result<Campaign, WebError> {
    let id = CampaignId(view::path_id(raw, "专项行动")?);
    app.store
        .campaign(id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("专项行动 {id}")))
}

pub(crate) async fn detail(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Html<String>, WebError> {
    let c = campaign_of(&app, &raw).await?;
    let (c, table) =
        schedule::campaign::figures(app.store.as_ref(), viewer.scope(), c.id, offset(&app))
            .await
            .map_err(|e| match e {
                CampaignError::Store(e) => WebError::Store(e),
                other => WebError::NotFound(refusal(&other)),
            })?;
    let cell = |d: Option<Option<DistrictCode>>, f: Figure, v: i64| Cell {
        value: figure_value(f, v),
        href: link(
            "/reports/records",
            &[
                ("figure", f.code().to_string()),
                ("campaign", c.id.0.to_string()),
                ("district", d.map(district_param).unwrap_or_default()),
            ],
        ),
    };
    let rows = table
        .rows
        .keys()
        .map(|d| DistrictRow {
            name: match d {
                Some(_) => view::district_label(&app.districts, *d),
                None => "未归属主体的网站".to_string(),
            },
            cells: Figure::CAMPAIGN
                .iter()
                .map(|f| cell(Some(*d), *f, table.get(*d, *f)))
                .collect(),
        })
        .collect();
    let t = &c.targets;
    let mut targets = Vec::new();
    let join = |v: Vec<String>| v.join("、");
    if !t.kinds.is_empty() {
        targets.push((
            TargetKind::SiteKind.title(),
            join(
                t.kinds
                    .iter()
                    .map(|k| view::kind_label(*k).to_string())
                    .collect(),
            ),
        ));
    }
    if !t.districts.is_empty() {
        targets.push((
            TargetKind::District.title(),
            join(
                t.districts
                    .iter()
                    .map(|d| view::district_label(&app.districts, Some(*d)))
                    .collect(),
            ),
        ));
    }
    if !t.categories.is_empty() {
        targets.push((
            TargetKind::Category.title(),
            join(t.categories.iter().map(|c| c.title().to_string()).collect()),
        ));
    }
    if !t.keywords.is_empty() {
        targets.push((TargetKind::Keyword.title(), join(t.keywords.clone())));
    }
    if !t.sites.is_empty() {
        targets.push((
            TargetKind::Site.title(),
            join(t.sites.iter().map(|s| format!("#{s}")).collect()),
        ));
    }
    render(&CampaignPage {
        active: "campaigns",
        may_close: viewer.may(Permission::Campaigns) && c.state == CampaignState::Active,
        csrf: viewer.csrf().unwrap_or_default().to_string(),
        figures: Figure::CAMPAIGN.iter().map(|f| f.title()).collect(),
        total: Figure::CAMPAIGN
            .iter()
            .map(|f| cell(None, *f, table.total(*f)))
            .collect(),
        rows,
        targets,
        c: row(&c),
    })
}

pub(crate) async fn close(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::Campaigns)?;
    let c = campaign_of(&app, &raw).await?;
    match app.store.close_campaign(c.id, &viewer.audit_actor()).await {
        Ok(_) => {}
        Err(store::StoreError::Conflict(_)) => {
            return Err(WebError::BadRequest(format!("专项行动 {} 已结束", c.id)))
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!("/campaigns/{}", c.id)).into_response())
}

/// `GET /campaigns/{id}/records?figure=…&district=…`: the records behind a figure are the
/// report's (`/reports/records`, over the campaign's sites and period); old links land there.
pub(crate) async fn records(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let c = campaign_of(&app, &raw).await?;
    let rest = query.map(|q| format!("&{q}")).unwrap_or_default();
    Ok(Redirect::to(&format!("/reports/records?campaign={}{rest}", c.id)).into_response())
}
