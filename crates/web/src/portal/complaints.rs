//! The portal's complaint pages: complaint and report intake, and a complaint's status by its
//! tracking number.
//!
//! - `GET /complaints`: what a complaint (投诉) and a report (举报) are, the deadlines, and the
//!   intake form; `POST /complaints` reads it through [`PublicForm`] (rate limit, size cap,
//!   challenge) and hands it to `casework::complaints::file`, the function the hotline's
//!   command calls too. A refused form (the guard, a problem of a field, the same complaint a
//!   moment ago) is the form again with every problem in words and a new challenge; nothing is
//!   stored. A filed complaint answers its tracking number.
//! - `GET /complaints/status`: a form asking the tracking number; `POST /complaints/status`
//!   answers the status page (state, dates, deadlines, the published outcome, each step's date)
//!   — posted, so the number never sits in a URL, a log or a history. What it shows is
//!   `store::PublicComplaint`: no personal data, no staff name, no note. A number that does
//!   not exist is "not found", with no hint of a similar one.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use casework::complaints;
use casework::{ComplaintError, IntakeForm};
use domain::{ComplaintChannel, ComplaintKind, TrackingNumber};

use super::guard::{Challenge, PublicForm};
use super::{render, Lang, Portal, PortalError};
use crate::complaint_words::{intake_problem, kind_words, outcome_words, state_words};

/// The complaint pages' routes.
pub(super) fn routes() -> Router<Arc<Portal>> {
    Router::new()
        .route("/complaints", get(intake_page).post(intake))
        .route("/complaints/status", get(status_form).post(status))
}

/// The intake form's fields as posted (also to fill the form again).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub(crate) struct Fields {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    subject_name: String,
    #[serde(default)]
    subject_uscc: String,
    #[serde(default)]
    subject_url: String,
    #[serde(default)]
    subject_address: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
}

/// A choice of kind on the form.
struct KindOpt {
    code: &'static str,
    label: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "portal/complaints.html")]
struct IntakePage {
    lang: Lang,
    f: Fields,
    kinds: Vec<KindOpt>,
    problems: Vec<String>,
    challenge: Challenge,
    accept_days: u32,
    mediation_days: u32,
    verify_days: u32,
}

impl IntakePage {
    fn new(portal: &Portal, lang: Lang, f: Fields, problems: Vec<String>) -> IntakePage {
        let limits = &portal.settings.complaints;
        IntakePage {
            kinds: ComplaintKind::ALL
                .iter()
                .map(|k| KindOpt {
                    code: k.code(),
                    label: lang.pick(kind_words(*k).0, kind_words(*k).1),
                    checked: f.kind == k.code(),
                })
                .collect(),
            lang,
            f,
            problems,
            challenge: portal.challenge(),
            accept_days: limits.complaint_accept_days,
            mediation_days: limits.mediation_days,
            verify_days: limits.report_verification_days,
        }
    }
}

/// `GET /complaints`.
async fn intake_page(
    State(portal): State<Arc<Portal>>,
    lang: Lang,
) -> Result<Html<String>, PortalError> {
    render(&IntakePage::new(
        &portal,
        lang,
        Fields::default(),
        Vec::new(),
    ))
}

#[derive(Template)]
#[template(path = "portal/complaint_filed.html")]
struct FiledPage {
    lang: Lang,
    tracking_number: String,
    kind: &'static str,
    accept_by: String,
}

/// The form again with its problems, answered with `status`.
fn again(
    portal: &Portal,
    lang: Lang,
    f: Fields,
    problems: Vec<String>,
    status: StatusCode,
) -> Result<Response, PortalError> {
    Ok((status, render(&IntakePage::new(portal, lang, f, problems))?).into_response())
}

/// `POST /complaints`.
async fn intake(
    State(portal): State<Arc<Portal>>,
    lang: Lang,
    form: PublicForm<Fields>,
) -> Result<Response, PortalError> {
    let f = match form.0 {
        Ok(f) => f,
        Err(refused) => {
            return again(
                &portal,
                lang,
                refused.form.unwrap_or_default(),
                vec![refused.reason.words(lang)],
                refused.reason.status(),
            )
        }
    };
    let input = IntakeForm {
        kind: f.kind.parse::<ComplaintKind>().ok(),
        subject_name: f.subject_name.clone(),
        subject_uscc: f.subject_uscc.clone(),
        subject_url: f.subject_url.clone(),
        subject_address: f.subject_address.clone(),
        body: f.body.clone(),
        name: f.name.clone(),
        phone: f.phone.clone(),
        email: f.email.clone(),
    };
    let filed = complaints::file(
        portal.store.as_ref(),
        &portal.districts,
        &portal.settings.complaints,
        &input,
        ComplaintChannel::Portal,
        super::visits::beijing_today(),
        &store::Actor::system("portal"),
    )
    .await;
    match filed {
        Ok(c) => {
            let kind = kind_words(c.kind);
            Ok(render(&FiledPage {
                lang,
                tracking_number: c.tracking_number.to_string(),
                kind: lang.pick(kind.0, kind.1),
                accept_by: c.accept_by.to_string(),
            })?
            .into_response())
        }
        Err(ComplaintError::Intake(problems)) => {
            let words = problems
                .iter()
                .map(|p| {
                    let (zh, en) = intake_problem(*p);
                    lang.pick(zh, en)
                })
                .collect();
            again(&portal, lang, f, words, StatusCode::BAD_REQUEST)
        }
        Err(ComplaintError::Duplicate) => again(
            &portal,
            lang,
            f,
            vec![lang
                .pick(
                    "同样的投诉举报几分钟前已经提交并登记，请勿重复提交。请使用当时获得的查询码查询进度。",
                    "The same complaint was filed a few minutes ago and is registered; please do not submit it again. Use the tracking number you were given to follow it.",
                )
                .to_string()],
            StatusCode::CONFLICT,
        ),
        Err(ComplaintError::Store(e)) => Err(PortalError::Store(e)),
        Err(other) => {
            tracing::error!(error = %other, "complaint intake failed");
            Err(PortalError::Unavailable)
        }
    }
}

#[derive(Template)]
#[template(path = "portal/complaint_status.html")]
struct StatusPage {
    lang: Lang,
    number: String,
    not_found: bool,
    found: Option<StatusView>,
}

/// What the status page shows of a complaint (public data only).
struct StatusView {
    tracking_number: String,
    kind: &'static str,
    state: &'static str,
    received_on: String,
    accept_by: String,
    accepted_on: String,
    mediation_ends_by: String,
    verify_by: String,
    closed_on: String,
    outcome: String,
    outcome_text: String,
    published_on: String,
    steps: Vec<(String, &'static str)>,
}

/// A time as the public reads it: the Beijing date.
fn beijing_day(t: chrono::DateTime<chrono::Utc>) -> String {
    domain::time::beijing_date(t).to_string()
}

fn opt_day(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(beijing_day).unwrap_or_default()
}

/// `GET /complaints/status`.
async fn status_form(lang: Lang) -> Result<Html<String>, PortalError> {
    render(&StatusPage {
        lang,
        number: String::new(),
        not_found: false,
        found: None,
    })
}

#[derive(Debug, serde::Deserialize)]
struct StatusQuery {
    #[serde(default)]
    number: String,
}

/// `POST /complaints/status`.
async fn status(
    State(portal): State<Arc<Portal>>,
    lang: Lang,
    form: Result<Form<StatusQuery>, axum::extract::rejection::FormRejection>,
) -> Result<Response, PortalError> {
    let raw = form.map(|Form(q)| q.number).unwrap_or_default();
    let shown: String = raw.trim().chars().take(40).collect();
    let found = match TrackingNumber::parse(&raw) {
        Ok(n) => portal.store.public_complaint(&n).await?,
        Err(_) => None,
    };
    let Some(c) = found else {
        let page = render(&StatusPage {
            lang,
            number: shown,
            not_found: true,
            found: None,
        })?;
        return Ok((StatusCode::NOT_FOUND, page).into_response());
    };
    let pick = |w: (&'static str, &'static str)| lang.pick(w.0, w.1);
    let view = StatusView {
        tracking_number: c.tracking_number.to_string(),
        kind: pick(kind_words(c.kind)),
        state: pick(state_words(c.state)),
        received_on: beijing_day(c.received_at),
        accept_by: c.accept_by.to_string(),
        accepted_on: opt_day(c.accepted_at),
        mediation_ends_by: c
            .mediation_ends_by
            .map(|d| d.to_string())
            .unwrap_or_default(),
        verify_by: c.verify_by.map(|d| d.to_string()).unwrap_or_default(),
        closed_on: opt_day(c.closed_at),
        outcome: c
            .outcome
            .map(|o| pick(outcome_words(o)))
            .unwrap_or_default()
            .to_string(),
        outcome_text: c.outcome_text.clone().unwrap_or_default(),
        published_on: opt_day(c.published_at),
        steps: c
            .steps
            .iter()
            .map(|(at, s)| (beijing_day(*at), pick(state_words(*s))))
            .collect(),
    };
    Ok(render(&StatusPage {
        lang,
        number: view.tracking_number.clone(),
        not_found: false,
        found: Some(view),
    })?
    .into_response())
}
