//! `/users` (administrators only): the people who log in — list, add, disable or enable,
//! reset a password, change a role — and each user's history (`/users/{id}`). Thin calls of the
//! `people` crate, which `wangjian user …` calls too.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::{DistrictCode, EntityId, Permission, Role, UserId};
use people::{PeopleError, UserSpec};

use super::render;
use crate::forms::Posted;
use crate::view::{self, AuditRow, Opt};
use crate::{Shared, Viewer, WebError};

struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: &'static str,
    role_code: &'static str,
    scope: String,
    disabled: bool,
    locked_until: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    active: &'static str,
    users: Vec<UserRow>,
    roles: Vec<Opt>,
    districts: Vec<Opt>,
    /// A password just set, shown once: (username, password).
    issued: Option<(String, String)>,
    /// The latest backup recorded (`wangjian backup` writes it; the console only shows it).
    last_backup: Option<BackupLine>,
}

/// The latest backup as the administrators' page shows it.
struct BackupLine {
    at: String,
    actor: String,
    files: u64,
    bytes: u64,
    destination: String,
    schema: i64,
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    active: &'static str,
    user: UserRow,
    audit: Vec<AuditRow>,
}

fn row(app: &crate::AppState, u: &store::User) -> UserRow {
    let scope = match u.role {
        Role::Inspector => u
            .districts
            .iter()
            .map(|d| view::district_label(&app.districts, Some(*d)))
            .collect::<Vec<_>>()
            .join("、"),
        Role::Evaluator => format!("指定主体 {} 个", u.entities.len()),
        _ => "全市".to_string(),
    };
    UserRow {
        id: u.id.0,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role.title(),
        role_code: u.role.code(),
        scope,
        disabled: u.disabled,
        locked_until: u
            .locked_until
            .filter(|t| *t > chrono::Utc::now())
            .map(view::time)
            .unwrap_or_default(),
    }
}

async fn users_page(
    app: &crate::AppState,
    issued: Option<(String, String)>,
) -> Result<Html<String>, WebError> {
    let users = app.store.list_users().await?;
    let mut roles = vec![];
    for r in Role::ALL {
        roles.push(Opt::new(
            r.code(),
            format!("{} {}", r.title(), r.code()),
            "",
        ));
    }
    let districts = view::district_options(&app.districts, "")
        .into_iter()
        .filter(|o| !o.value.is_empty())
        .collect();
    let last_backup = app.store.last_backup().await?.map(|b| BackupLine {
        at: view::time(b.at),
        actor: b.actor,
        files: b.record.files,
        bytes: b.record.bytes,
        destination: b.record.destination,
        schema: b.record.schema,
    });
    render(&UsersPage {
        active: "users",
        users: users.iter().map(|u| row(app, u)).collect(),
        roles,
        districts,
        issued,
        last_backup,
    })
}

pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
) -> Result<Html<String>, WebError> {
    viewer.require(Permission::ManageUsers)?;
    users_page(&app, None).await
}

pub(crate) async fn page(
    State(app): State<Shared>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Html<String>, WebError> {
    viewer.require(Permission::ManageUsers)?;
    let id = UserId(view::path_id(&raw, "用户")?);
    let u = app
        .store
        .user(id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("用户 {id}")))?;
    let audit = app
        .store
        .audit_of(&format!("user:{id}"))
        .await?
        .iter()
        .map(AuditRow::new)
        .collect();
    render(&UserPage {
        active: "users",
        user: row(&app, &u),
        audit,
    })
}

/// A people refusal as the console says it.
fn refusal(e: PeopleError) -> WebError {
    match e {
        PeopleError::BadUsername => {
            WebError::BadRequest("用户名须为 2 至 64 个字母、数字或 . _ -".into())
        }
        PeopleError::WeakPassword => {
            WebError::BadRequest(format!("密码至少 {} 个字符", people::MIN_PASSWORD_CHARS))
        }
        PeopleError::NoDistrict => WebError::BadRequest("区局执法人员至少须指定一个辖区".into()),
        PeopleError::ScopeOfOtherRole => {
            WebError::BadRequest("只有区局执法人员可指定辖区，只有第三方评价机构可指定主体".into())
        }
        PeopleError::Taken(name) => WebError::Conflict(format!("用户名 {name} 已被使用")),
        PeopleError::NoUser(name) => WebError::NotFound(format!("用户 {name}")),
        PeopleError::Store(e) => WebError::Store(e),
        e => WebError::Internal(e.to_string()),
    }
}

/// The role, districts and entities of a user form (districts and entities may repeat).
async fn spec_of(
    app: &crate::AppState,
    fields: &[(String, String)],
    username: String,
) -> Result<UserSpec, WebError> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let role: Role = get("role")
        .parse()
        .map_err(|_| WebError::BadRequest("请选择角色".into()))?;
    let mut districts: Vec<DistrictCode> = Vec::new();
    for (_, v) in fields
        .iter()
        .filter(|(k, v)| k == "district" && !v.trim().is_empty())
    {
        let d = DistrictCode::parse(v.trim())
            .ok()
            .filter(|d| app.districts.get(*d).is_some())
            .ok_or_else(|| WebError::BadRequest(format!("辖区 {v} 不在本地区划表中")))?;
        districts.push(d);
    }
    let mut entities: Vec<EntityId> = Vec::new();
    for uscc in get("entities")
        .split([',', '，', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let norm = domain::text::compact_upper(uscc);
        // Only an administrator (city-wide) reaches this form.
        let e = app
            .store
            .entity_by_uscc(store::Scope::City, &norm)
            .await?
            .ok_or_else(|| WebError::BadRequest(format!("没有统一社会信用代码为 {norm} 的主体")))?;
        entities.push(e.id);
    }
    // Districts and entities picked by mistake for another role on the shared form are
    // dropped.
    if role != Role::Inspector {
        districts.clear();
    }
    if role != Role::Evaluator {
        entities.clear();
    }
    Ok(UserSpec {
        username,
        display_name: get("display_name"),
        role,
        districts,
        entities,
    })
}

pub(crate) async fn add(
    State(app): State<Shared>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Html<String>, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::ManageUsers)?;
    let fields = posted.form;
    let username = fields
        .iter()
        .find(|(k, _)| k == "username")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let spec = spec_of(&app, &fields, username.clone()).await?;
    let given = fields
        .iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let (password, issued) = if given.is_empty() {
        let p = people::generate_password().map_err(refusal)?;
        (p.clone(), Some((username.clone(), p)))
    } else {
        (given, None)
    };
    people::add_user(app.store.as_ref(), &spec, &password, &viewer.audit_actor())
        .await
        .map_err(refusal)?;
    users_page(&app, issued).await
}

async fn named(app: &crate::AppState, raw: &str) -> Result<store::User, WebError> {
    let id = UserId(view::path_id(raw, "用户")?);
    app.store
        .user(id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("用户 {id}")))
}

#[derive(serde::Deserialize)]
pub(crate) struct Empty {}

pub(crate) async fn disable(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<Empty>,
) -> Result<Response, WebError> {
    set_disabled(app, raw, posted.viewer, true).await
}

pub(crate) async fn enable(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<Empty>,
) -> Result<Response, WebError> {
    set_disabled(app, raw, posted.viewer, false).await
}

async fn set_disabled(
    app: Shared,
    raw: String,
    viewer: Viewer,
    disabled: bool,
) -> Result<Response, WebError> {
    viewer.require(Permission::ManageUsers)?;
    let u = named(&app, &raw).await?;
    if disabled && u.id == viewer.user().id {
        return Err(WebError::Conflict("不能停用自己的账户".into()));
    }
    people::set_disabled(
        app.store.as_ref(),
        &u.username,
        disabled,
        &viewer.audit_actor(),
    )
    .await
    .map_err(refusal)?;
    Ok(Redirect::to("/users").into_response())
}

pub(crate) async fn password(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<Empty>,
) -> Result<Html<String>, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::ManageUsers)?;
    let u = named(&app, &raw).await?;
    let p = people::generate_password().map_err(refusal)?;
    people::set_password(app.store.as_ref(), &u.username, &p, &viewer.audit_actor())
        .await
        .map_err(refusal)?;
    users_page(&app, Some((u.username, p))).await
}

pub(crate) async fn role(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let viewer = posted.viewer;
    viewer.require(Permission::ManageUsers)?;
    let u = named(&app, &raw).await?;
    let mut spec = spec_of(&app, &posted.form, u.username.clone()).await?;
    spec.display_name = u.display_name.clone();
    if u.id == viewer.user().id && spec.role != Role::Admin {
        return Err(WebError::Conflict("不能取消自己的管理员角色".into()));
    }
    people::set_role(app.store.as_ref(), &spec, &viewer.audit_actor())
        .await
        .map_err(refusal)?;
    Ok(Redirect::to(&format!("/users/{}", u.id)).into_response())
}
