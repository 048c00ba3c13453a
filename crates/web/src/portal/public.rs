//! The portal's own pages over public records: notices (a withdrawn one answers 410), the
//! public credit query (by USCC, else part of a name; the public view of `credit::publicity`,
//! nothing else), the honest-operation commitments in force, and the model sites. Every read
//! is of public records and acts for the public as the bureau publishes them (`Scope::City`
//! on the register's public facts only); nothing here reads findings, clues, cases' records or
//! personal data.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use credit::publicity::{self, PublicityRules};
use domain::{ListKind, ListingCause, NoticeId, Uscc};
use store::Scope;

use super::visits::beijing_today;
use super::{render, Lang, Portal, PortalError};
use crate::view;

/// The most entities a name query lists.
pub const MAX_HITS: i64 = 20;
/// The longest query read, in characters.
const MAX_QUERY: usize = 100;

pub(super) fn routes() -> Router<Arc<Portal>> {
    Router::new()
        .route("/notices", get(notices))
        .route("/notices/{id}", get(notice))
        .route("/lookup", get(lookup))
        .route("/lookup/{uscc}", get(entity))
        .route("/commitments", get(commitments))
        .route("/model-sites", get(model_sites))
}

struct NoticeRow {
    href: String,
    title: String,
    published: super::lang::Shown,
}

#[derive(Template)]
#[template(path = "portal/notices.html")]
struct NoticesPage {
    lang: Lang,
    notices: Vec<NoticeRow>,
}

async fn notices(
    State(portal): State<Arc<Portal>>,
    lang: Lang,
) -> Result<Html<String>, PortalError> {
    let notices = portal
        .store
        .notices(false, 200, 0)
        .await?
        .into_iter()
        .map(|n| NoticeRow {
            href: lang.href(&format!("/notices/{}", n.id)),
            title: n.title,
            published: lang.time(n.published_at),
        })
        .collect();
    render(&NoticesPage { lang, notices })
}

#[derive(Template)]
#[template(path = "portal/notice.html")]
struct NoticePage {
    lang: Lang,
    title: String,
    published: super::lang::Shown,
    paragraphs: Vec<Vec<String>>,
}

/// A plain-text body as paragraphs (split at blank lines) of lines.
fn paragraphs(body: &str) -> Vec<Vec<String>> {
    body.split("\n\n")
        .map(|p| {
            p.lines()
                .map(str::trim_end)
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|p| !p.is_empty())
        .collect()
}

async fn notice(
    State(portal): State<Arc<Portal>>,
    lang: Lang,
    Path(raw): Path<String>,
) -> Result<Html<String>, PortalError> {
    let id = raw
        .parse::<i64>()
        .map(NoticeId)
        .map_err(|_| PortalError::NotFound)?;
    let n = portal
        .store
        .notice(id)
        .await?
        .ok_or(PortalError::NotFound)?;
    if !n.published() {
        return Err(PortalError::Gone);
    }
    render(&NoticePage {
        lang,
        paragraphs: paragraphs(&n.body),
        title: n.title,
        published: lang.time(n.published_at),
    })
}

#[derive(serde::Deserialize, Default)]
struct LookupQuery {
    #[serde(default)]
    q: String,
}

struct Hit {
    href: String,
    name: String,
    uscc: String,
}

#[derive(Template)]
#[template(path = "portal/lookup.html")]
struct LookupPage {
    lang: Lang,
    q: String,
    asked: bool,
    hits: Vec<Hit>,
    max_hits: i64,
}

async fn lookup(
    State(portal): State<Arc<Portal>>,
    lang: Lang,
    RawQuery(query): RawQuery,
) -> Result<Html<String>, PortalError> {
    let q: String = serde_urlencoded::from_str::<LookupQuery>(query.as_deref().unwrap_or(""))
        .map(|q| q.q)
        .unwrap_or_default()
        .trim()
        .chars()
        .take(MAX_QUERY)
        .collect();
    let mut hits = Vec::new();
    if !q.is_empty() {
        let store = portal.store.as_ref();
        let by_code = match Uscc::parse(&q) {
            Ok(u) => store.entity_by_uscc(Scope::City, u.as_str()).await?,
            Err(_) => None,
        };
        let found = match by_code {
            Some(e) => vec![store::EntityHit {
                id: e.id,
                name: e.input.name,
                uscc: e.input.uscc,
            }],
            None => store.entities_named(Scope::City, &q, MAX_HITS).await?,
        };
        hits = found
            .into_iter()
            .map(|h| Hit {
                href: lang.href(&format!("/lookup/{}", view::encode(&h.uscc))),
                name: h.name,
                uscc: h.uscc,
            })
            .collect();
    }
    render(&LookupPage {
        lang,
        asked: !q.is_empty(),
        q,
        hits,
        max_hits: MAX_HITS,
    })
}

struct PenaltyRow {
    decision_no: String,
    legal_basis: String,
    fine: String,
    confiscation: String,
    decided_on: String,
    ends: String,
}

struct ListingRow {
    list: &'static str,
    cause: String,
    listed_on: String,
    removed: String,
    ends: String,
}

#[derive(Template)]
#[template(path = "portal/entity.html")]
struct EntityPage {
    lang: Lang,
    as_of: String,
    name: String,
    uscc: String,
    address: String,
    legal_form: &'static str,
    district: String,
    class: String,
    penalties: Vec<PenaltyRow>,
    listings: Vec<ListingRow>,
}

fn date(d: NaiveDate) -> String {
    d.to_string()
}

async fn entity(
    State(portal): State<Arc<Portal>>,
    lang: Lang,
    Path(raw): Path<String>,
) -> Result<Html<String>, PortalError> {
    let store = portal.store.as_ref();
    let found = match Uscc::parse(&raw) {
        Ok(u) => store.entity_by_uscc(Scope::City, u.as_str()).await?,
        Err(_) => store.entity_by_uscc(Scope::City, &raw).await?,
    }
    .ok_or(PortalError::NotFound)?;
    let as_of = beijing_today();
    let v = publicity::public_view(store, found.id, as_of, &PublicityRules::default())
        .await
        .map_err(|e| match e {
            credit::lists::ListError::Store(e) => PortalError::Store(e),
            credit::lists::ListError::NoEntity(_) => PortalError::NotFound,
            other => PortalError::Internal(other.to_string()),
        })?;
    let dash = || "—".to_string();
    let legal_form = v.entity.legal_form;
    render(&EntityPage {
        lang,
        as_of: date(as_of),
        name: v.entity.name,
        uscc: v.entity.uscc,
        address: v.entity.address.unwrap_or_else(dash),
        legal_form: lang.pick(legal_form.title(), legal_form.code()),
        district: portal
            .districts
            .name(v.entity.district)
            .map_or_else(|| v.entity.district.to_string(), str::to_string),
        class: match v.class {
            Some(c) => lang.pick(format!("{} 级", c.code()), format!("Class {}", c.code())),
            None => lang.pick("尚未评定", "Not yet classified").to_string(),
        },
        penalties: v
            .penalties
            .into_iter()
            .map(|p| PenaltyRow {
                fine: if p.fine_fen == 0 {
                    dash()
                } else {
                    lang.pick(
                        format!("{} 元", view::yuan(p.fine_fen)),
                        format!("CNY {}", view::yuan(p.fine_fen)),
                    )
                },
                confiscation: p.confiscation.unwrap_or_else(dash),
                decision_no: p.decision_no,
                legal_basis: p.legal_basis,
                decided_on: date(p.decided_on),
                ends: date(p.publicity_ends),
            })
            .collect(),
        listings: v
            .listings
            .into_iter()
            .map(|l| ListingRow {
                list: match l.list {
                    ListKind::Abnormal => lang.pick("经营异常名录", "List of abnormal operation"),
                    ListKind::SeriousViolation => lang.pick(
                        "严重违法失信名单",
                        "List of serious violations of law and trust",
                    ),
                },
                cause: match l.list {
                    ListKind::Abnormal => l
                        .cause
                        .parse::<ListingCause>()
                        .map(|c| c.title().to_string())
                        .unwrap_or(l.cause),
                    ListKind::SeriousViolation => l.cause,
                },
                listed_on: date(l.listed_on),
                removed: match (l.removed_on, l.removed_reason) {
                    (Some(d), Some(r)) => format!("{d}（{}）", lang.pick(r.title(), r.code())),
                    _ => lang.pick("在列", "Listed").to_string(),
                },
                ends: l
                    .publicity_ends
                    .map_or_else(|| lang.pick("在列期间", "While listed").to_string(), date),
            })
            .collect(),
    })
}

struct CommitmentRow {
    name: String,
    href: String,
    made_on: String,
    text: String,
}

#[derive(Template)]
#[template(path = "portal/commitments.html")]
struct CommitmentsPage {
    lang: Lang,
    commitments: Vec<CommitmentRow>,
}

async fn commitments(
    State(portal): State<Arc<Portal>>,
    lang: Lang,
) -> Result<Html<String>, PortalError> {
    let today = beijing_today();
    let store = portal.store.as_ref();
    let mut rows = Vec::new();
    for c in store.commitments(Scope::City, None).await? {
        if c.broken_on.is_some() || c.made_on > today {
            continue;
        }
        // The entity's USCC for the link to its public view.
        let Some(e) = store.entity(Scope::City, c.entity_id).await? else {
            continue;
        };
        rows.push(CommitmentRow {
            href: lang.href(&format!("/lookup/{}", view::encode(&e.input.uscc))),
            name: c.entity_name,
            made_on: date(c.made_on),
            text: c.text,
        });
    }
    render(&CommitmentsPage {
        lang,
        commitments: rows,
    })
}

struct ModelSiteRow {
    name: String,
    href: String,
    site: String,
    since: String,
}

#[derive(Template)]
#[template(path = "portal/model_sites.html")]
struct ModelSitesPage {
    lang: Lang,
    sites: Vec<ModelSiteRow>,
}

async fn model_sites(
    State(portal): State<Arc<Portal>>,
    lang: Lang,
) -> Result<Html<String>, PortalError> {
    let sites = credit::portal::public_model_sites(portal.store.as_ref())
        .await?
        .into_iter()
        .map(|m| ModelSiteRow {
            href: lang.href(&format!("/lookup/{}", view::encode(&m.uscc))),
            name: m.entity_name,
            site: format!("{}{}", m.host, m.path_prefix),
            since: view::time(m.designated_at),
        })
        .collect();
    render(&ModelSitesPage { lang, sites })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_body_splits_into_paragraphs_of_lines() {
        assert_eq!(
            super::paragraphs("一\n二\n\n\n三  \r\n"),
            [
                vec!["一".to_string(), "二".to_string()],
                vec!["三".to_string()]
            ]
        );
    }
}
