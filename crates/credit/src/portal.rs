//! What the bureau publishes on the public portal besides the public credit view: notices
//! (公告: published, withdrawn with a reason, each step audited) and model sites (示范网店:
//! sites of class-A entities that the bureau designated; one that is no longer class A drops
//! off the public list by itself). Both are the city's job (`Permission::Credit`, like the
//! other publicity). The console's forms and the command line call these functions.

use crate::lists::Caller;
use domain::{CreditClass, NoticeId, Permission, SiteId};
use store::{ModelSite, NewNotice, Notice, Scope, Store, StoreError};

/// The longest notice title, in characters.
pub const MAX_TITLE: usize = 200;
/// The longest notice body, in characters.
pub const MAX_BODY: usize = 20_000;
/// The longest withdrawal reason or model-site note, in characters.
pub const MAX_NOTE: usize = 500;

/// Why a portal publication step is refused.
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    /// The caller's role does not grant the permission.
    #[error("not permitted: {0:?}")]
    Forbidden(Permission),
    /// A required field is empty.
    #[error("{0} is required")]
    Missing(PortalField),
    /// A field is longer than allowed.
    #[error("{field} has more than {max} characters")]
    TooLong { field: PortalField, max: usize },
    /// No such notice.
    #[error("no notice {0}")]
    NoNotice(NoticeId),
    /// The notice was withdrawn already.
    #[error("notice {0} was withdrawn already")]
    Withdrawn(NoticeId),
    /// No such site in the caller's scope (or it belongs to no entity).
    #[error("no site {0}")]
    NoSite(SiteId),
    /// The site's entity is not class A (its class, when scored).
    #[error("site {site}'s entity is not class A ({class:?})")]
    NotClassA {
        site: SiteId,
        class: Option<CreditClass>,
    },
    /// The site is a model site already.
    #[error("site {0} is a model site already")]
    AlreadyModel(SiteId),
    /// The site is not a model site.
    #[error("site {0} is not a model site")]
    NotModel(SiteId),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for PortalError {
    fn from(e: StoreError) -> Self {
        PortalError::Store(e)
    }
}

/// `Forbidden` unless the caller's role grants `p`.
fn require(by: &Caller, p: Permission) -> Result<(), PortalError> {
    by.require(p).map_err(|_| PortalError::Forbidden(p))
}

/// A text field of the portal's forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortalField {
    Title,
    Body,
    Reason,
    Note,
}

impl std::fmt::Display for PortalField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PortalField::Title => "title",
            PortalField::Body => "body",
            PortalField::Reason => "reason",
            PortalField::Note => "note",
        })
    }
}

/// A text field trimmed and checked (`None`: empty).
fn text(field: PortalField, value: &str, max: usize) -> Result<Option<String>, PortalError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.chars().count() > max {
        return Err(PortalError::TooLong { field, max });
    }
    // Line ends as one kind, so paragraphs split the same whatever sent them.
    Ok(Some(v.replace("\r\n", "\n").replace('\r', "\n")))
}

fn required(field: PortalField, value: &str, max: usize) -> Result<String, PortalError> {
    text(field, value, max)?.ok_or(PortalError::Missing(field))
}

/// Publishes a notice (plain text; paragraphs separated by blank lines).
pub async fn publish_notice(
    store: &dyn Store,
    by: &Caller,
    title: &str,
    body: &str,
) -> Result<Notice, PortalError> {
    require(by, Permission::Credit)?;
    let new = NewNotice {
        title: required(PortalField::Title, title, MAX_TITLE)?,
        body: required(PortalField::Body, body, MAX_BODY)?,
    };
    Ok(store.publish_notice(&new, &by.actor).await?)
}

/// Withdraws a published notice, saying why; it is no longer public (the portal answers 410).
pub async fn withdraw_notice(
    store: &dyn Store,
    by: &Caller,
    id: NoticeId,
    reason: &str,
) -> Result<Notice, PortalError> {
    require(by, Permission::Credit)?;
    let reason = required(PortalField::Reason, reason, MAX_NOTE)?;
    store
        .withdraw_notice(id, &reason, &by.actor)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => PortalError::NoNotice(id),
            StoreError::Conflict(_) => PortalError::Withdrawn(id),
            other => other.into(),
        })
}

/// Notices for the bureau (withdrawn ones too), newest first.
pub async fn notices(store: &dyn Store, by: &Caller) -> Result<Vec<Notice>, PortalError> {
    require(by, Permission::Read)?;
    Ok(store.notices(true, 0, 0).await?)
}

/// Designates a site in the caller's scope as a model site: its entity must be class A now.
pub async fn designate_model_site(
    store: &dyn Store,
    by: &Caller,
    site: SiteId,
    note: &str,
) -> Result<ModelSite, PortalError> {
    require(by, Permission::Credit)?;
    let note = text(PortalField::Note, note, MAX_NOTE)?;
    let found = store
        .site(by.scope.clone(), site)
        .await?
        .ok_or(PortalError::NoSite(site))?;
    let entity = found.entity_id.ok_or(PortalError::NoSite(site))?;
    let class = store
        .credit_grade(by.scope.clone(), entity)
        .await?
        .map(|g| g.class);
    if class != Some(CreditClass::A) {
        return Err(PortalError::NotClassA { site, class });
    }
    store
        .designate_model_site(by.scope.clone(), site, note.as_deref(), &by.actor)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => PortalError::NoSite(site),
            StoreError::Conflict(_) => PortalError::AlreadyModel(site),
            other => other.into(),
        })
}

/// Ends a site's designation.
pub async fn remove_model_site(
    store: &dyn Store,
    by: &Caller,
    site: SiteId,
) -> Result<(), PortalError> {
    require(by, Permission::Credit)?;
    store
        .remove_model_site(by.scope.clone(), site, &by.actor)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => PortalError::NotModel(site),
            other => other.into(),
        })
}

/// The designated sites in the caller's scope, with their entity's class (for the bureau).
pub async fn model_sites(store: &dyn Store, by: &Caller) -> Result<Vec<ModelSite>, PortalError> {
    require(by, Permission::Read)?;
    Ok(store.model_sites(by.scope.clone()).await?)
}

/// The model sites the public sees: designated, and their entity class A today.
pub async fn public_model_sites(store: &dyn Store) -> Result<Vec<ModelSite>, StoreError> {
    Ok(store
        .model_sites(Scope::City)
        .await?
        .into_iter()
        .filter(|m| m.class == Some(CreditClass::A))
        .collect())
}
