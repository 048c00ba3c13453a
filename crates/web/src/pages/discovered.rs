//! The decisions on a discovered site: `POST /discovered/{id}/confirm` (with the entity's USCC,
//! else the matcher's proposal) and `POST /discovered/{id}/reject`, thin calls of
//! `store::confirm_discovered` and `store::reject_discovered`, which `wangjian discovered
//! confirm|reject` call too.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::Permission;
use store::DecisionError;

use crate::forms::Posted;
use crate::view;
use crate::{Shared, WebError};

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
