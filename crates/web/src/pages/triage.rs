//! A finding's page (`/findings/{id}`: details, its triage and its history), the triage form
//! (`POST /findings/{id}/triage`, a thin call of `FetchStore::triage_finding`, which the CLI's
//! `wangjian finding triage` calls too), and the per-rule precision those decisions give
//! (`/rules`).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::{FindingId, Permission};
use store::{TriageDecision, TriageProblem};

use super::findings::FindingRow;
use super::render;
use crate::forms::Posted;
use crate::view::{self, AuditRow};
use crate::{Shared, Viewer, WebError};

#[derive(Template)]
#[template(path = "finding.html")]
struct FindingPage {
    active: &'static str,
    id: i64,
    f: FindingRow,
    may_triage: bool,
    csrf: String,
    audit: Vec<AuditRow>,
}

pub(crate) async fn page(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Html<String>, WebError> {
    let id = FindingId(view::path_id(&raw, "监测发现")?);
    let f = app
        .store
        .finding(viewer.scope(), id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("监测发现 {id}")))?;
    let audit = app
        .store
        .audit_of(&format!("finding:{id}"))
        .await?
        .iter()
        .map(AuditRow::new)
        .collect();
    render(&FindingPage {
        active: "findings",
        id: id.0,
        f: FindingRow::new(&f, &app.districts),
        may_triage: viewer.may(Permission::Triage) && viewer.csrf().is_some(),
        csrf: viewer.csrf().unwrap_or_default().to_string(),
        audit,
    })
}

#[derive(serde::Deserialize)]
pub(crate) struct TriageForm {
    decision: String,
    #[serde(default)]
    reason: String,
}

pub(crate) async fn submit(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<TriageForm>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::Triage)?;
    let id = FindingId(view::path_id(&raw, "监测发现")?);
    let decision =
        TriageDecision::new(&posted.form.decision, &posted.form.reason).map_err(|p| {
            WebError::BadRequest(
                match p {
                    TriageProblem::NoDecision => "请选择研判结论",
                    TriageProblem::NoReason => "驳回或误报须说明理由",
                    TriageProblem::LongReason => "理由不能超过 500 字",
                }
                .into(),
            )
        })?;
    app.store
        .triage_finding(viewer.scope(), id, &decision, &viewer.audit_actor())
        .await
        .map_err(|e| match e {
            store::StoreError::NotFound(_) => WebError::NotFound(format!("监测发现 {id}")),
            e => WebError::Store(e),
        })?;
    Ok(Redirect::to(&format!("/findings/{id}")).into_response())
}

/// One rule's line on the rules page.
struct RuleRow {
    rule_id: String,
    open: i64,
    confirmed: i64,
    dismissed: i64,
    false_positive: i64,
    /// Findings the detector suppressed (kept for review of the rule).
    suppressed: i64,
    precision: String,
    /// The standing's code (the row's class) and its words.
    standing: &'static str,
    standing_label: &'static str,
}

#[derive(Template)]
#[template(path = "rules.html")]
struct RulesPage {
    active: &'static str,
    rows: Vec<RuleRow>,
    /// The review policy in words: the threshold in percent and the decisions it needs.
    below_percent: String,
    min_decided: i64,
    flagged: usize,
}

/// A rule's standing in Chinese.
pub(crate) fn standing_label(s: store::RuleStanding) -> &'static str {
    match s {
        store::RuleStanding::Review => "待复核",
        store::RuleStanding::TooFewDecisions => "研判不足",
        store::RuleStanding::Sound => "正常",
    }
}

pub(crate) async fn rules(
    State(app): State<Shared>,
    viewer: Viewer,
) -> Result<Html<String>, WebError> {
    let policy = store::ReviewPolicy::default();
    let mut rules = app.store.rule_triage(viewer.scope()).await?;
    // Rules flagged for review first, then by id.
    rules.sort_by_key(|r| r.standing(&policy));
    let rows: Vec<RuleRow> = rules
        .into_iter()
        .map(|r| {
            let standing = r.standing(&policy);
            RuleRow {
                precision: match r.precision() {
                    Some(p) => format!("{:.1}%", p * 100.0),
                    None => "—".to_string(),
                },
                standing: standing.code(),
                standing_label: standing_label(standing),
                rule_id: r.rule_id,
                open: r.open,
                confirmed: r.confirmed,
                dismissed: r.dismissed,
                false_positive: r.false_positive,
                suppressed: r.suppressed,
            }
        })
        .collect();
    render(&RulesPage {
        active: "rules",
        flagged: rows.iter().filter(|r| r.standing == "review").count(),
        rows,
        below_percent: format!("{:.0}%", policy.below * 100.0),
        min_decided: policy.min_decided,
    })
}
