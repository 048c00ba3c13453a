//! The portal's badge pages: verification of a merchant's badge (by serial or by the token of
//! the snippet's link), the badge image, the application for one and its status with the
//! "prove now" button. Public forms go through [`PublicForm`]; every action is one call of the
//! `badge` crate. No personal data is shown: the contact is never on a page.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use badge::{Application, BadgeError, Verification, VerifyBy, VerifyProblem};
use domain::{BadgeSerial, BadgeState, BadgeVerdict, ProofMethod, ProofResult};
use serde::Deserialize;
use store::{Actor, Badge, Scope};

use super::guard::{Challenge, PublicForm};
use super::{render, Lang, Portal, PortalBadges, PortalError};

/// The badge pages' routes.
pub(super) fn routes() -> Router<Arc<Portal>> {
    Router::new()
        .route("/badge", get(index))
        .route("/badge/apply", post(apply))
        .route("/badge/verify", get(verify))
        .route("/badge/applications/{tracking}", get(application))
        .route("/badge/applications/{tracking}/prove", post(prove))
        .route("/badge/{file}", get(image))
}

fn badges(portal: &Portal) -> Result<&PortalBadges, PortalError> {
    portal.badges.as_ref().ok_or(PortalError::Unavailable)
}

/// The applicant acting on the portal (no person is logged in).
fn applicant() -> Actor {
    Actor::system("portal:applicant")
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ApplyForm {
    #[serde(default)]
    uscc: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    method: String,
}

#[derive(Template)]
#[template(path = "portal/badge.html")]
struct IndexPage {
    lang: Lang,
    challenge: Challenge,
    form: ApplyForm,
    error: Option<String>,
    public_key: String,
}

/// Why an application or a step was refused, in the request's language.
fn words(e: &BadgeError, lang: Lang) -> String {
    let (zh, en) = match e {
        BadgeError::BadUscc(_) => (
            "统一社会信用代码格式或校验位有误。",
            "The unified social credit code is not valid.",
        ),
        BadgeError::NotRegistered => (
            "登记信息中没有该统一社会信用代码的经营主体。",
            "No registered business has this unified social credit code.",
        ),
        BadgeError::Deregistered => (
            "该经营主体已注销，不能申请标识。",
            "The business is deregistered and cannot apply.",
        ),
        BadgeError::BadDomain(_) => (
            "域名格式有误（例如 shop.example.cn）。",
            "The domain is not a valid host name (e.g. shop.example.cn).",
        ),
        BadgeError::DomainPath => (
            "标识绑定整个域名，请勿填写路径。",
            "A badge is bound to a whole domain; leave out the path.",
        ),
        BadgeError::BadContact => (
            "请填写联系人及联系方式（不超过 200 字）。",
            "Please give a contact (at most 200 characters).",
        ),
        BadgeError::DomainHeld => (
            "该域名已有标识或正在审核中。",
            "This domain already holds a badge or one under review.",
        ),
        BadgeError::State(_) | BadgeError::Changed => (
            "该申请当前状态不能进行此操作。",
            "The application's state does not allow this step.",
        ),
        BadgeError::NotFound => ("没有该申请。", "No such application."),
        BadgeError::NotPermitted
        | BadgeError::NoReason
        | BadgeError::Key { .. }
        | BadgeError::Store(_)
        | BadgeError::Credit(_) => (
            "系统暂时无法处理，请稍后再试。",
            "The service cannot handle this now; please try again later.",
        ),
    };
    lang.pick(zh, en).to_string()
}

fn error_status(e: &BadgeError) -> StatusCode {
    match e {
        BadgeError::Key { .. } | BadgeError::Store(_) | BadgeError::Credit(_) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        BadgeError::DomainHeld | BadgeError::State(_) | BadgeError::Changed => StatusCode::CONFLICT,
        BadgeError::NotFound => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// `/badge`: verify a badge, or apply for one.
async fn index(State(portal): State<Arc<Portal>>, lang: Lang) -> Result<Html<String>, PortalError> {
    let b = badges(&portal)?;
    render(&IndexPage {
        lang,
        challenge: portal.challenge(),
        form: ApplyForm::default(),
        error: None,
        public_key: domain::badge::public_key_text(&b.key),
    })
}

/// `POST /badge/apply`: records the application and goes to its page; a refusal re-renders
/// the form with the reason.
async fn apply(
    State(portal): State<Arc<Portal>>,
    lang: Lang,
    PublicForm(form): PublicForm<ApplyForm>,
) -> Result<Response, PortalError> {
    let b = badges(&portal)?;
    let again =
        |form: ApplyForm, error: String, status: StatusCode| -> Result<Response, PortalError> {
            let page = render(&IndexPage {
                lang,
                challenge: portal.challenge(),
                form,
                error: Some(error),
                public_key: domain::badge::public_key_text(&b.key),
            })?;
            Ok((status, page).into_response())
        };
    let form = match form {
        Ok(f) => f,
        Err(refused) => {
            return again(
                refused.form.unwrap_or_default(),
                refused.reason.words(lang),
                refused.reason.status(),
            )
        }
    };
    let method = match form.method.as_str() {
        "dns_txt" => ProofMethod::DnsTxt,
        _ => ProofMethod::WellKnown,
    };
    let app = Application {
        uscc: form.uscc.clone(),
        domain: form.domain.clone(),
        contact: form.contact.clone(),
        method: Some(method),
    };
    match badge::apply(portal.store.as_ref(), &app, &applicant()).await {
        Ok(badge) => Ok(Redirect::to(
            &lang.href(&format!("/badge/applications/{}", badge.tracking)),
        )
        .into_response()),
        Err(e) => {
            let status = error_status(&e);
            again(form, words(&e, lang), status)
        }
    }
}

#[derive(Template)]
#[template(path = "portal/badge_application.html")]
struct ApplicationPage {
    lang: Lang,
    challenge: Challenge,
    app: Badge,
    where_url: String,
    txt_name: String,
    proof: Option<String>,
    snippet: Option<String>,
    error: Option<String>,
}

impl ApplicationPage {
    fn state_words(&self) -> &'static str {
        let zh = self.app.state.title();
        let en = match self.app.state {
            BadgeState::Applied => "Awaiting proof of the domain",
            BadgeState::Proven => "Domain proven; awaiting review",
            BadgeState::Issued => "Issued",
            BadgeState::Suspended => "Suspended",
            BadgeState::Revoked => "Revoked",
            BadgeState::Refused => "Refused",
        };
        self.lang.pick(zh, en)
    }

    fn prove_href(&self) -> String {
        self.lang
            .href(&format!("/badge/applications/{}/prove", self.app.tracking))
    }

    fn may_prove(&self) -> bool {
        self.app.state == BadgeState::Applied
    }

    fn well_known(&self) -> bool {
        self.app.method == ProofMethod::WellKnown
    }
}

fn proof_words(r: ProofResult, lang: Lang) -> &'static str {
    let en = match r {
        ProofResult::Proven => "Proven",
        ProofResult::Unreachable => "The site could not be reached",
        ProofResult::NotFound => "The proof file was not found",
        ProofResult::WrongContent => "The content is not the token",
        ProofResult::DnsNoRecord => "No DNS TXT record found",
        ProofResult::DnsFailed => "The DNS lookup failed",
    };
    lang.pick(r.title(), en)
}

async fn application_page(
    portal: &Portal,
    lang: Lang,
    tracking: &str,
    error: Option<String>,
) -> Result<ApplicationPage, PortalError> {
    let b = badges(portal)?;
    let badge = portal
        .store
        .badge_by_tracking(Scope::City, tracking)
        .await?
        .ok_or(PortalError::NotFound)?;
    Ok(ApplicationPage {
        lang,
        challenge: portal.challenge(),
        where_url: badge::proof::well_known_url(&badge.domain, &badge.proof_token),
        txt_name: badge::proof::txt_name(&badge.domain),
        proof: badge.proof_result.map(|r| {
            let mut w = proof_words(r, lang).to_string();
            if let Some(d) = &badge.proof_detail {
                w.push_str(&format!("（{}）", d.chars().take(80).collect::<String>()));
            }
            w
        }),
        snippet: badge::snippet(&b.settings, &badge)
            .filter(|_| badge.state == BadgeState::Issued)
            .map(|s| s.html),
        app: badge,
        error,
    })
}

/// `/badge/applications/{tracking}`: where the application stands and what to do.
async fn application(
    State(portal): State<Arc<Portal>>,
    lang: Lang,
    Path(tracking): Path<String>,
) -> Result<Html<String>, PortalError> {
    render(&application_page(&portal, lang, &tracking, None).await?)
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ProveForm {}

/// `POST /badge/applications/{tracking}/prove`: tries the proof now.
async fn prove(
    State(portal): State<Arc<Portal>>,
    lang: Lang,
    Path(tracking): Path<String>,
    PublicForm(form): PublicForm<ProveForm>,
) -> Result<Response, PortalError> {
    let b = badges(&portal)?;
    if let Err(refused) = form {
        let page =
            application_page(&portal, lang, &tracking, Some(refused.reason.words(lang))).await?;
        return Ok((refused.reason.status(), render(&page)?).into_response());
    }
    let badge = portal
        .store
        .badge_by_tracking(Scope::City, &tracking)
        .await?
        .ok_or(PortalError::NotFound)?;
    match badge::prove(
        portal.store.as_ref(),
        &b.settings,
        badge.serial,
        &applicant(),
    )
    .await
    {
        Ok(_) => Ok(
            Redirect::to(&lang.href(&format!("/badge/applications/{tracking}"))).into_response(),
        ),
        Err(e) => {
            let status = error_status(&e);
            let page = application_page(&portal, lang, &tracking, Some(words(&e, lang))).await?;
            Ok((status, render(&page)?).into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct VerifyQuery {
    token: Option<String>,
    serial: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/badge_verify.html")]
struct VerifyPage {
    lang: Lang,
    found: Option<Verification>,
    problem: Option<String>,
}

impl VerifyPage {
    fn verdict_words(&self, v: &BadgeVerdict) -> &'static str {
        let v = *v;
        let en = match v {
            BadgeVerdict::Valid => "Valid",
            BadgeVerdict::Suspended => "Suspended",
            BadgeVerdict::Revoked => "Revoked",
            _ => "Not valid",
        };
        self.lang.pick(v.title(), en)
    }

    fn class_words(&self, v: &Verification) -> String {
        match v.class {
            Some(c) => self.lang.pick(c.title(), c.code()).to_string(),
            None => self.lang.pick("未评价", "Not rated").to_string(),
        }
    }
}

/// `/badge/verify?token=…` or `?serial=…`: the badge's entity, class and standing.
async fn verify(
    State(portal): State<Arc<Portal>>,
    lang: Lang,
    Query(q): Query<VerifyQuery>,
) -> Result<Response, PortalError> {
    let b = badges(&portal)?;
    let by = match (
        q.token.filter(|t| !t.trim().is_empty()),
        q.serial.filter(|s| !s.trim().is_empty()),
    ) {
        (Some(t), _) => VerifyBy::Token(t),
        (None, Some(s)) => match s.parse::<BadgeSerial>() {
            Ok(s) => VerifyBy::Serial(s),
            Err(_) => {
                let page = VerifyPage {
                    lang,
                    found: None,
                    problem: Some(
                        lang.pick(
                            "编号格式有误（例如 WJB00000001）。",
                            "Not a badge number (e.g. WJB00000001).",
                        )
                        .into(),
                    ),
                };
                return Ok((StatusCode::BAD_REQUEST, render(&page)?).into_response());
            }
        },
        (None, None) => return Ok(Redirect::to(&lang.href("/badge")).into_response()),
    };
    let result = badge::verification(portal.store.as_ref(), &b.key, &by)
        .await
        .map_err(|e| match e {
            BadgeError::Store(s) => PortalError::Store(s),
            _ => PortalError::Unavailable,
        })?;
    let (status, page) = match result {
        Ok(v) => (
            StatusCode::OK,
            VerifyPage {
                lang,
                found: Some(v),
                problem: None,
            },
        ),
        Err(p) => {
            let words = match p {
                VerifyProblem::Token(_) => lang.pick(
                    "该标识的签名无效：不是监管部门签发的标识。",
                    "The badge's signature is not valid: it was not issued by the regulator.",
                ),
                VerifyProblem::Unknown => lang.pick(
                    "没有该编号的有效标识。",
                    "No badge was issued with this number.",
                ),
            };
            (
                StatusCode::NOT_FOUND,
                VerifyPage {
                    lang,
                    found: None,
                    problem: Some(words.into()),
                },
            )
        }
    };
    Ok((status, render(&page)?).into_response())
}

/// `/badge/{serial}.svg`: the badge image, a plain SVG (no script), its text by the state.
async fn image(
    State(portal): State<Arc<Portal>>,
    Path(file): Path<String>,
) -> Result<Response, PortalError> {
    let serial = file
        .strip_suffix(".svg")
        .and_then(|s| s.parse::<BadgeSerial>().ok())
        .ok_or(PortalError::NotFound)?;
    let badge = portal
        .store
        .badge(Scope::City, serial)
        .await?
        .filter(|b| b.state.was_issued())
        .ok_or(PortalError::NotFound)?;
    let (status, colour) = match badge.state {
        BadgeState::Issued => ("有效 Valid", "#1a6b34"),
        BadgeState::Suspended => ("暂停 Suspended", "#8a5300"),
        _ => ("已撤销 Revoked", "#9b1c1c"),
    };
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"176\" height=\"56\" viewBox=\"0 0 176 56\" role=\"img\" aria-label=\"亮照 {serial} {status}\">\
<rect width=\"176\" height=\"56\" rx=\"6\" fill=\"#ffffff\" stroke=\"{colour}\" stroke-width=\"2\"/>\
<text x=\"12\" y=\"24\" font-size=\"16\" font-family=\"sans-serif\" fill=\"{colour}\">网监亮照 · {status}</text>\
<text x=\"12\" y=\"44\" font-size=\"12\" font-family=\"monospace\" fill=\"#333333\">{serial}</text></svg>"
    );
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        svg,
    )
        .into_response())
}
