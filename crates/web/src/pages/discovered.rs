//! The discovery queue: `/discovered` (one list for every source — links, department filings,
//! certificate transparency logs — filtered, sorted, paged, exportable at `/export/discovered`),
//! with each source's precision and the state of the CT logs; and the decisions on a
//! discovered site: `POST /discovered/{id}/confirm` (with the entity's USCC, else the matcher's
//! proposal) and `POST /discovered/{id}/reject`, thin calls of `store::confirm_discovered` and
//! `store::reject_discovered`, which `wangjian discovered confirm|reject` call too. Every word
//! of a discovery shown here (source, state, evidence, proposal, indicator, imitation) is
//! worded by `discovery_words` from the store's structured values.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::Permission;
use store::{DecisionError, Discovered, DiscoveryFilter, DiscoverySource, DiscoveryState, Scope};

use crate::discovery_words::{
    ct_failure_label, hops_label, imitation_text, indicator_text, proposal_text, sighting_text,
    source_label, state_label,
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

#[derive(serde::Deserialize)]
pub(crate) struct RunForm {}

/// A discovery run that could not be done (the store failed): a server error, its detail
/// logged, never shown.
fn failed(e: sweep::SweepError) -> WebError {
    WebError::Internal(e.to_string())
}

/// The console's sweep settings (the crawler, the city, the CT logs), if it has any.
fn sweep_settings(app: &crate::AppState) -> Result<&sweep::SweepConfig, WebError> {
    app.capture
        .as_ref()
        .map(|c| &c.sweep)
        .ok_or_else(|| WebError::BadRequest("控制台未配置巡查设置，无法在此执行发现".into()))
}

/// `POST /discovered/from-filings`: filings that name an address no registered site covers,
/// of operators in the city, become discovered sites — a thin call of
/// `sweep::sources::from_filings`, which `wangjian discovered from-filings` calls too. The
/// bureau's job (`Dispatch`), for the whole city.
pub(crate) async fn from_filings(
    State(app): State<Shared>,
    posted: Posted<RunForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::Dispatch)?;
    let city = sweep_settings(&app)?.discovery.city.clone();
    sweep::sources::from_filings(app.store.as_ref(), &city)
        .await
        .map_err(failed)?;
    sweep::discover::review(app.store.as_ref())
        .await
        .map_err(failed)?;
    Ok(Redirect::to("/discovered?source=filing").into_response())
}

/// `POST /discovered/ct-poll`: reads every configured certificate transparency log from where
/// it was left — a thin call of `sweep::sources::poll_ct`, which `wangjian discovered
/// ct-poll` calls too. A log that fails is recorded and shown in the logs' table.
pub(crate) async fn ct_poll(
    State(app): State<Shared>,
    posted: Posted<RunForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::Dispatch)?;
    let settings = sweep_settings(&app)?;
    for log in &settings.discovery.ct_logs {
        sweep::sources::poll_ct(
            app.store.as_ref(),
            &settings.crawl,
            &settings.discovery.city,
            log,
            sweep::sources::CT_BATCH,
        )
        .await
        .map_err(failed)?;
    }
    sweep::discover::review(app.store.as_ref())
        .await
        .map_err(failed)?;
    Ok(Redirect::to("/discovered?source=ct").into_response())
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
    /// The viewer may run discovery from filings and CT logs (and the console can).
    may_run: bool,
    /// CT logs are configured for the console's sweeps.
    ct_configured: bool,
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
            .map(|i| imitation_text(&i.host, &i.how)),
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
    let counted = DiscoveryFilter {
        count_up_to: Some(view::EXPORT_MAX_ROWS + 1),
        ..filter.clone()
    };
    view::export_cap(app.store.count_discovered(scope.clone(), &counted).await?)?;
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
    let counted = DiscoveryFilter {
        count_up_to: Some(view::count_up_to(page)),
        ..filter.clone()
    };
    let total = app.store.count_discovered(scope.clone(), &counted).await?;
    let list: Vec<Discovered> = app.store.list_discovered(scope.clone(), &filter).await?;
    let links = ListLinks::new("/discovered", p.pairs(), filter.sort);
    let pager = links.pager(page, list.len(), total);
    let mut rows = Vec::with_capacity(list.len());
    for d in list {
        let first_seen = view::time(d.first_seen);
        let site_href = d.site_id.map(|id| format!("/sites/{id}"));
        let proposal_href = d.proposed_entity.map(|e| format!("/entities/{e}"));
        let imitates_href = d
            .imitation
            .as_ref()
            .map(|i| format!("/entities/{}", i.owner));
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
        may_run: viewer.may(Permission::Dispatch) && app.capture.is_some(),
        ct_configured: app
            .capture
            .as_ref()
            .is_some_and(|c| !c.sweep.discovery.ct_logs.is_empty()),
        sort_fields: links.sort_fields(),
        heads: links.heads(DISCOVERED_COLUMNS),
        pager,
        csv_href: links.export("/export/discovered", "csv"),
        xlsx_href: links.export("/export/discovered", "xlsx"),
    })
}
