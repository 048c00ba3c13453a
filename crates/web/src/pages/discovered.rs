//! The discovery queue: `/discovered` (one list for every source — links, department filings,
//! certificate transparency logs — filtered, sorted, paged, exportable at `/export/discovered`),
//! with each source's precision and the state of the CT logs; and the decisions on a
//! discovered site: `POST /discovered/{id}/confirm` (with the entity's USCC, else the matcher's
//! proposal) and `POST /discovered/{id}/reject`, thin calls of `store::confirm_discovered` and
//! `store::reject_discovered`, which `wangjian discovered confirm|reject` call too. Every word
//! of a discovery shown here (source, state, evidence, proposal, indicator, imitation) is
//! worded by the functions of this module from the store's structured values.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::locality::Indicator;
use domain::lookalike::How;
use domain::Permission;
use store::{
    DecisionError, Discovered, DiscoveryFilter, DiscoverySource, DiscoveryState, ProposalBasis,
    Scope, Sighting,
};

use super::render;
use crate::exports;
use crate::forms::Posted;
use crate::view::{self, param, ListLinks, Opt, Pager, PAGE_SIZE};
use crate::{Shared, Viewer, WebError};

#[derive(serde::Deserialize)]
pub(crate) struct ConfirmForm {
    #[serde(default)]
    entity: String,
}

#[derive(serde::Deserialize)]
pub(crate) struct RejectForm {}

fn refusal(e: DecisionError) -> WebError {
    match e {
        DecisionError::NoDiscovered(id) => WebError::NotFound(format!("发现网站 {id}")),
        DecisionError::NoEntity(uscc) => WebError::BadRequest(format!(
            "您的权限范围内没有统一社会信用代码为 {uscc} 的主体"
        )),
        DecisionError::NoProposal(_) => {
            WebError::BadRequest("该网站没有可用的关联建议，请填写主体的统一社会信用代码".into())
        }
        DecisionError::Store(e) => WebError::Store(e),
    }
}

pub(crate) async fn confirm(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<ConfirmForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::Triage)?;
    let id = view::path_id(&raw, "发现网站")?;
    let uscc = Some(posted.form.entity.trim()).filter(|u| !u.is_empty());
    store::confirm_discovered(
        app.store.as_ref(),
        viewer.scope(),
        id,
        uscc,
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(Redirect::to("/discovered").into_response())
}

pub(crate) async fn reject(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<RejectForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::Triage)?;
    let id = view::path_id(&raw, "发现网站")?;
    store::reject_discovered(
        app.store.as_ref(),
        viewer.scope(),
        id,
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(Redirect::to("/discovered").into_response())
}

#[derive(Template)]
#[template(path = "discovered.html")]
struct DiscoveredPage {
    active: &'static str,
    rows: Vec<DiscoveredLine>,
    states: Vec<Opt>,
    sources: Vec<Opt>,
    imitations: bool,
    /// Per source: label, found, waiting, confirmed, rejected, remote, precision.
    stats: Vec<StatsLine>,
    ct_logs: Vec<CtLogLine>,
    /// The sort, as hidden fields of the filter form (a new filter keeps it).
    sort_fields: Vec<(&'static str, String)>,
    heads: Vec<view::Head>,
    pager: Pager,
    csv_href: String,
    xlsx_href: String,
}

struct StatsLine {
    source: &'static str,
    href: String,
    total: i64,
    waiting: i64,
    confirmed: i64,
    rejected: i64,
    remote: i64,
    precision: String,
}

struct CtLogLine {
    name: String,
    url: String,
    entries_read: i64,
    candidates: i64,
    skipped: i64,
    verified_at: String,
    failure: Option<String>,
}

/// The filter and order of the discovered sites (HTML list and export).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub(crate) struct DiscoveredParams {
    state: Option<String>,
    source: Option<String>,
    imitations: Option<String>,
    page: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
}

impl DiscoveredParams {
    fn filter(&self) -> Result<DiscoveryFilter, WebError> {
        Ok(DiscoveryFilter {
            state: param::<DiscoveryState>("state", &self.state)?,
            source: param::<DiscoverySource>("source", &self.source)?,
            imitations: self.imitations(),
            sort: view::sort_param(&self.sort, &self.dir)?,
            ..DiscoveryFilter::default()
        })
    }

    fn imitations(&self) -> bool {
        matches!(self.imitations.as_deref(), Some("1" | "on" | "true"))
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("state", view::text(&self.state)),
            ("source", view::text(&self.source)),
            (
                "imitations",
                if self.imitations() { "1" } else { "" }.to_string(),
            ),
        ]
    }
}

/// The discovered sites' columns: label and the key each sorts by.
const DISCOVERED_COLUMNS: &[(&str, Option<store::DiscoverySort>)] = &[
    ("#", Some(store::DiscoverySort::Id)),
    ("地址", Some(store::DiscoverySort::Address)),
    ("来源", Some(store::DiscoverySort::Source)),
    ("状态", Some(store::DiscoverySort::State)),
    ("首次发现", Some(store::DiscoverySort::FirstSeen)),
    ("依据", Some(store::DiscoverySort::Sightings)),
    ("属地标识", None),
    ("页面显示", None),
    ("页面类型", None),
    ("关联建议", None),
    ("疑似仿冒", None),
];

/// A source in Chinese.
pub(crate) fn source_label(s: DiscoverySource) -> &'static str {
    match s {
        DiscoverySource::Link => "链接发现",
        DiscoverySource::Filing => "部门数据",
        DiscoverySource::Ct => "证书透明日志",
    }
}

/// A discovery's state in Chinese.
pub(crate) fn state_label(s: DiscoveryState) -> &'static str {
    match s {
        DiscoveryState::Unverified => "待核属地",
        DiscoveryState::New => "待确认",
        DiscoveryState::Confirmed => "已确认",
        DiscoveryState::Rejected => "已排除",
        DiscoveryState::Remote => "非本地（不跟进）",
    }
}

/// How many hops from the register, in words.
pub(crate) fn hops_label(d: &Discovered) -> String {
    match (d.source, d.hops) {
        (DiscoverySource::Link, 1) => "登记网站直接链接".to_string(),
        (DiscoverySource::Link, n) => format!("经 {n} 层链接"),
        (_, 1) => String::new(),
        (_, n) => format!("经 {n} 层"),
    }
}

/// One sighting in words: the linking page, the filing or the certificate.
pub(crate) fn sighting_text(s: &Sighting) -> String {
    if let Some(f) = &s.filing {
        let mut parts = vec![format!(
            "{}数据 {}（{}）",
            filing_source_label(&f.source),
            f.record_key,
            f.domain
        )];
        if let Some(n) = &f.name {
            parts.push(format!("主办单位 {n}"));
        }
        if let Some(u) = &f.uscc {
            parts.push(format!("信用代码 {u}"));
        }
        if let Some(n) = f.number.as_ref().filter(|n| Some(*n) != Some(&f.record_key)) {
            parts.push(format!("编号 {n}"));
        }
        return parts.join("，");
    }
    if let Some(c) = &s.certificate {
        let mut parts = vec![format!(
            "证书透明日志 {} 第 {} 条{}",
            c.log,
            c.index,
            if c.precert { "（预证书）" } else { "" }
        )];
        parts.push(format!("域名 {}", c.names.join(" ")));
        if let Some(o) = &c.organization {
            parts.push(format!("O={o}"));
        }
        if let Some(l) = &c.locality {
            parts.push(format!("L={l}"));
        }
        parts.push(format!("签发 {}", c.issuer));
        parts.push(format!("指纹 {}", c.fingerprint));
        return parts.join("，");
    }
    let mut t = s.from_url.clone();
    if !s.anchor.is_empty() {
        t.push_str(&format!(" 「{}」", s.anchor));
    }
    if s.hidden {
        t.push_str("（隐藏链接）");
    }
    if let Some(e) = &s.evidence {
        t.push_str(&format!(" {}:{}", e.warc_file, e.offset));
    }
    t
}

/// A department's source name in Chinese (the built-in ones; another stays as configured).
fn filing_source_label(source: &str) -> String {
    match source {
        "telecom" => "通信管理部门备案".to_string(),
        "food" => "食品经营许可".to_string(),
        "finance" => "金融监管许可".to_string(),
        "tax" => "税务登记".to_string(),
        other => other.to_string(),
    }
}

/// A city indicator in words.
pub(crate) fn indicator_text(i: &Indicator) -> String {
    match i {
        Indicator::Address(v) => format!("地址 {v}"),
        Indicator::Phone(v) => format!("电话 {v}"),
        Indicator::Icp(v) => format!("备案号 {v}"),
        Indicator::Uscc(v) => format!("信用代码 {v}"),
        Indicator::Organization(v) => format!("证书单位 {v}"),
        Indicator::Locality(v) => format!("证书所在地 {v}"),
    }
}

/// Why the matcher proposes an entity, in words.
pub(crate) fn proposal_text(b: &ProposalBasis) -> String {
    match b {
        ProposalBasis::Uscc { uscc } => format!("页面显示登记主体的信用代码 {uscc}"),
        ProposalBasis::Icp { icp } => format!("页面显示主体登记的备案号 {icp}"),
        ProposalBasis::Name { name, former } => {
            if *former {
                format!("页面经营者名称 {name} 为主体曾用名")
            } else {
                format!("页面经营者名称 {name} 与主体名称一致")
            }
        }
        ProposalBasis::Filing {
            source, uscc, ..
        } => format!("{}数据载明主体信用代码 {uscc}", filing_source_label(source)),
        ProposalBasis::Subdomain { registered_host } => {
            format!("为登记网站 {registered_host} 的子域名")
        }
        ProposalBasis::Text { text } => text.clone(),
    }
}

/// How a host imitates a registered one, in words.
pub(crate) fn imitation_text(host: &str, how: &How) -> String {
    let way = match how {
        How::EditDistance(n) => format!("与其相差 {n} 个字符"),
        How::Homoglyph => "以形近字符仿冒".to_string(),
        How::AddedWord(w) => format!("在其名称上添加 “{w}”"),
        How::OtherSuffix => "同名异后缀".to_string(),
    };
    format!("仿 {host}（{way}）")
}

/// What a discovered site's pages show, joined for one cell.
fn shown_text(d: &Discovered) -> String {
    [
        d.shown.usccs.join(" "),
        d.shown.icps.join(" "),
        d.shown.names.join(" "),
        d.shown.phones.join(" "),
    ]
    .iter()
    .filter(|s| !s.is_empty())
    .cloned()
    .collect::<Vec<_>>()
    .join(" · ")
}

/// The class a discovered site's pages show (its site's, once it has one).
async fn discovered_class(
    app: &crate::AppState,
    scope: Scope,
    d: &Discovered,
) -> Result<String, WebError> {
    let site = match d.site_id {
        Some(id) => app.store.site(scope, id).await?,
        None => None,
    };
    Ok(site
        .and_then(|s| s.classified)
        .map(|c| format!("{}（{}）", view::kind_label(c.kind), c.reason))
        .unwrap_or_default())
}

/// A discovered site as its list row and its export row say it.
async fn words(
    app: &crate::AppState,
    scope: Scope,
    d: Discovered,
) -> Result<exports::DiscoveredRow, WebError> {
    let class = discovered_class(app, scope, &d).await?;
    Ok(exports::DiscoveredRow {
        state: state_label(d.state),
        source: source_label(d.source),
        hops: hops_label(&d),
        evidence: d.evidence.iter().map(sighting_text).collect(),
        indicators: d.indicators.iter().map(indicator_text).collect(),
        shown: shown_text(&d),
        class,
        proposal: d.proposal.as_ref().map(proposal_text),
        imitation: d
            .imitation
            .as_ref()
            .map(|(_, i)| imitation_text(&i.host, &i.how)),
        discovered: d,
    })
}

/// `GET /export/discovered`: the discovered sites as listed (filter, sort, every page).
pub(crate) async fn export_discovered(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<view::Export<DiscoveredParams>>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(p) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let filter = p.list.filter()?;
    let scope = viewer.scope();
    view::export_cap(app.store.count_discovered(scope.clone(), &filter).await?)?;
    let list = exports::all_rows(|offset, limit| {
        let filter = DiscoveryFilter {
            limit,
            offset,
            ..filter.clone()
        };
        let (store, scope) = (app.store.clone(), scope.clone());
        async move { store.list_discovered(scope, &filter).await }
    })
    .await?;
    let mut rows = Vec::with_capacity(list.len());
    for d in list {
        rows.push(words(&app, scope.clone(), d).await?);
    }
    exports::response(&exports::discovered_table(&rows), &p.format)
}

struct DiscoveredLine {
    row: exports::DiscoveredRow,
    first_seen: String,
    site_href: Option<String>,
    proposal_href: Option<String>,
    imitates_href: Option<String>,
    open: bool,
}

/// `GET /discovered`: the discovery queue.
pub(crate) async fn discovered(
    State(app): State<Shared>,
    viewer: Viewer,
    params: Result<Query<DiscoveredParams>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let Query(p) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let page = view::page_param(&p.page)?;
    let filter = DiscoveryFilter {
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
        ..p.filter()?
    };
    let scope = viewer.scope();
    let total = app.store.count_discovered(scope.clone(), &filter).await?;
    let list: Vec<Discovered> = app.store.list_discovered(scope.clone(), &filter).await?;
    let links = ListLinks::new("/discovered", p.pairs(), filter.sort);
    let pager = links.pager(page, list.len(), total);
    let mut rows = Vec::with_capacity(list.len());
    for d in list {
        let first_seen = view::time(d.first_seen);
        let site_href = d.site_id.map(|id| format!("/sites/{id}"));
        let proposal_href = d.proposed_entity.map(|e| format!("/entities/{e}"));
        let imitates_href = d.imitation.as_ref().map(|(e, _)| format!("/entities/{e}"));
        let open = d.state == DiscoveryState::New;
        rows.push(DiscoveredLine {
            row: words(&app, scope.clone(), d).await?,
            first_seen,
            site_href,
            proposal_href,
            imitates_href,
            open,
        });
    }
    let stats = app
        .store
        .discovery_stats(scope.clone())
        .await?
        .into_iter()
        .map(|s| StatsLine {
            source: source_label(s.source),
            href: format!("/discovered?source={}", s.source.code()),
            total: s.total,
            waiting: s.unverified + s.new,
            confirmed: s.confirmed,
            rejected: s.rejected,
            remote: s.remote,
            precision: s
                .precision()
                .map(|p| format!("{:.1}%", p * 100.0))
                .unwrap_or_else(|| "—".into()),
        })
        .collect();
    // The logs are the bureau's, not a district's: only city staff see them.
    let ct_logs = if matches!(scope, Scope::City) {
        app.store
            .ct_logs()
            .await?
            .into_iter()
            .map(|l| CtLogLine {
                name: l.name,
                url: l.url,
                entries_read: l.entries_read,
                candidates: l.candidates,
                skipped: l.skipped,
                verified_at: view::opt_time(l.verified_at),
                failure: l.failure.map(|(code, detail)| {
                    format!("{}（{code}）：{detail}", ct_failure_label(&code))
                }),
            })
            .collect()
    } else {
        Vec::new()
    };
    let state = view::text(&p.state);
    let mut states = vec![Opt::new("", "全部状态", &state)];
    states.extend(
        DiscoveryState::ALL
            .iter()
            .map(|s| Opt::new(s.code(), state_label(*s), &state)),
    );
    let source = view::text(&p.source);
    let mut sources = vec![Opt::new("", "全部来源", &source)];
    sources.extend(
        DiscoverySource::ALL
            .iter()
            .map(|s| Opt::new(s.code(), source_label(*s), &source)),
    );
    render(&DiscoveredPage {
        active: "discovered",
        rows,
        states,
        sources,
        imitations: p.imitations(),
        stats,
        ct_logs,
        sort_fields: links.sort_fields(),
        heads: links.heads(DISCOVERED_COLUMNS),
        pager,
        csv_href: links.export("/export/discovered", "csv"),
        xlsx_href: links.export("/export/discovered", "xlsx"),
    })
}

/// A CT log failure's code in Chinese.
fn ct_failure_label(code: &str) -> &'static str {
    match code {
        "bad_signature" => "树头签名无效，未予信任",
        "inconsistent" => "一致性证明不成立，未予信任",
        "entries_do_not_match" => "条目与签名树根不符，未予信任",
        "size_shrank" => "日志规模缩小，未予信任",
        "unreachable" => "无法连接",
        "http" => "日志返回错误",
        "malformed" => "日志应答格式错误",
        _ => "读取失败",
    }
}
