//! The console's pages for what the public portal publishes: notices (publish, withdraw) and
//! model sites (designate, remove), each a thin call of `credit::portal`, which the command
//! line calls too. The portal's own pages are in `crate::portal`.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::{NoticeId, Permission, SiteId};
use serde::Deserialize;

use super::credit_lists::caller;
use super::render;
use crate::forms::Posted;
use crate::portal_words::refusal;
use crate::view;
use crate::{Shared, Viewer, WebError};

struct NoticeRow {
    id: i64,
    title: String,
    published: String,
    published_by: String,
    withdrawn: bool,
    withdrawn_line: String,
}

struct ModelRow {
    site_id: i64,
    site: String,
    entity_id: i64,
    entity: String,
    class: String,
    public: bool,
    note: String,
    since: String,
}

#[derive(Template)]
#[template(path = "portal_admin.html")]
struct PortalAdminPage {
    active: &'static str,
    notices: Vec<NoticeRow>,
    sites: Vec<ModelRow>,
    may_publish: bool,
}

/// `GET /portal/notices`: the notices and the model sites, with their forms.
pub(crate) async fn page(
    State(app): State<Shared>,
    viewer: Viewer,
) -> Result<Html<String>, WebError> {
    let by = caller(&viewer);
    let store = app.store.as_ref();
    let notices = credit::portal::notices(store, &by)
        .await
        .map_err(refusal)?
        .into_iter()
        .map(|n| NoticeRow {
            id: n.id.0,
            withdrawn: !n.published(),
            withdrawn_line: match (&n.withdrawn_at, &n.withdrawn_by) {
                (Some(at), Some(who)) => format!(
                    "{} 由 {who} 撤回：{}",
                    view::time(*at),
                    n.withdrawn_reason.clone().unwrap_or_default()
                ),
                _ => String::new(),
            },
            title: n.title,
            published: view::time(n.published_at),
            published_by: n.published_by,
        })
        .collect();
    let sites = credit::portal::model_sites(store, &by)
        .await
        .map_err(refusal)?
        .into_iter()
        .map(|m| ModelRow {
            site_id: m.site_id.0,
            site: format!("{}{}", m.host, m.path_prefix),
            entity_id: m.entity_id.0,
            entity: m.entity_name,
            public: m.class == Some(domain::CreditClass::A),
            class: m
                .class
                .map_or_else(|| "尚未评定".to_string(), |c| format!("{} 级", c.code())),
            note: m.note.unwrap_or_default(),
            since: view::time(m.designated_at),
        })
        .collect();
    render(&PortalAdminPage {
        active: "portal",
        notices,
        sites,
        may_publish: viewer.may(Permission::Credit),
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct NoticeForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

/// `POST /portal/notices`: publishes a notice.
pub(crate) async fn publish(
    State(app): State<Shared>,
    posted: Posted<NoticeForm>,
) -> Result<Response, WebError> {
    let by = caller(&posted.viewer);
    credit::portal::publish_notice(
        app.store.as_ref(),
        &by,
        &posted.form.title,
        &posted.form.body,
    )
    .await
    .map_err(refusal)?;
    Ok(Redirect::to("/portal/notices").into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct WithdrawForm {
    #[serde(default)]
    notice: String,
    #[serde(default)]
    reason: String,
}

/// A number field naming a record (`what` names it in the error).
fn number(text: &str, what: &str) -> Result<i64, WebError> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| WebError::BadRequest(format!("{what}编号应为数字")))
}

/// `POST /portal/notices/withdraw` (the notice's id in the form).
pub(crate) async fn withdraw(
    State(app): State<Shared>,
    posted: Posted<WithdrawForm>,
) -> Result<Response, WebError> {
    let id = NoticeId(number(&posted.form.notice, "公告")?);
    let by = caller(&posted.viewer);
    credit::portal::withdraw_notice(app.store.as_ref(), &by, id, &posted.form.reason)
        .await
        .map_err(refusal)?;
    Ok(Redirect::to("/portal/notices").into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct DesignateForm {
    #[serde(default)]
    site: String,
    #[serde(default)]
    note: String,
}

/// `POST /portal/model-sites`: designates a site of a class-A entity.
pub(crate) async fn designate(
    State(app): State<Shared>,
    posted: Posted<DesignateForm>,
) -> Result<Response, WebError> {
    let site = SiteId(number(&posted.form.site, "网站")?);
    let by = caller(&posted.viewer);
    credit::portal::designate_model_site(app.store.as_ref(), &by, site, &posted.form.note)
        .await
        .map_err(refusal)?;
    Ok(Redirect::to("/portal/notices").into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct RemoveForm {
    #[serde(default)]
    site: String,
}

/// `POST /portal/model-sites/remove` (the site's id in the form); a site outside the viewer's
/// scope is not found.
pub(crate) async fn remove(
    State(app): State<Shared>,
    posted: Posted<RemoveForm>,
) -> Result<Response, WebError> {
    let site = SiteId(number(&posted.form.site, "网站")?);
    let by = caller(&posted.viewer);
    credit::portal::remove_model_site(app.store.as_ref(), &by, site)
        .await
        .map_err(refusal)?;
    Ok(Redirect::to("/portal/notices").into_response())
}
