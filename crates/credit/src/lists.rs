//! The dishonesty lists (经营异常名录, 严重违法失信名单): putting an entity on a list with
//! its cause and date ([`add`]), taking it off by hand ([`remove`]: corrected or mistaken),
//! the serious-violation list's term ([`expire_due`]: three years), and reading them in scope.
//!
//! Who may: [`Caller`] carries the person's role, scope and actor name; every function checks
//! its permission (`Credit` to change a list, `Read` to read one) and answers with a
//! [`ListError`], a structured refusal that each front end puts in its own words. Nothing was
//! changed when one is returned.
//!
//! A case's `abnormal_listing` outcome lists the entity too (the store writes the list row
//! with the outcome); the list table is the one truth of who is listed.

use chrono::{Months, NaiveDate};
use domain::{
    CommitmentId, EntityId, ListKind, ListingCause, ListingId, Permission, RemovalReason, RepairId,
    Role, UserId,
};
use store::{Actor, Listing, ListingFilter, ListingInput, Removal, Scope, Store, StoreError};

/// The most characters of a free-text field.
pub const MAX_TEXT: usize = 500;

/// How long a serious-violation listing lasts before it is removed as expired.
pub const SERIOUS_TERM_MONTHS: u32 = 36;

/// Who calls: their role (none: the command line's operator, who may everything), their
/// scope and how the audit log names them.
#[derive(Debug, Clone)]
pub struct Caller {
    pub role: Option<Role>,
    pub user: Option<UserId>,
    pub scope: Scope,
    pub actor: Actor,
}

impl Caller {
    /// A logged-in user within one request.
    pub fn user(u: &store::User, request: Option<String>) -> Caller {
        Caller {
            role: Some(u.role),
            user: Some(u.id),
            scope: u.scope(),
            actor: Actor::user(u, request),
        }
    }

    /// The command line (or a system job) acting for the whole bureau.
    pub fn system(name: impl Into<String>) -> Caller {
        Caller {
            role: None,
            user: None,
            scope: Scope::City,
            actor: Actor::system(name),
        }
    }

    /// `Forbidden` unless the caller's role grants `p`.
    pub fn require(&self, p: Permission) -> Result<(), ListError> {
        match self.role {
            Some(r) if !r.may(p) => Err(ListError::Forbidden(p)),
            _ => Ok(()),
        }
    }
}

/// A text field of the lists' forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Cause,
    DecisionNo,
    Note,
    Applicant,
    Statement,
    Reason,
    Summary,
    Text,
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Field::Cause => "cause",
            Field::DecisionNo => "decision number",
            Field::Note => "note",
            Field::Applicant => "applicant",
            Field::Statement => "statement",
            Field::Reason => "reason",
            Field::Summary => "summary",
            Field::Text => "text",
        })
    }
}

/// Why a step on the lists, repair, evaluations or commitments is refused.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// The caller's role does not grant the permission.
    #[error("not permitted: {0:?}")]
    Forbidden(Permission),
    /// No such entity in the caller's scope.
    #[error("no entity {0}")]
    NoEntity(EntityId),
    /// No such listing in the caller's scope.
    #[error("no listing {0}")]
    NoListing(ListingId),
    /// No such repair application in the caller's scope.
    #[error("no repair application {0}")]
    NoRepair(RepairId),
    /// No such commitment in the caller's scope.
    #[error("no commitment {0}")]
    NoCommitment(CommitmentId),
    /// The entity is on that list already.
    #[error("entity {entity} is on the {list} list already")]
    AlreadyListed { entity: EntityId, list: ListKind },
    /// The listing was removed already.
    #[error("listing {0} was removed already")]
    AlreadyRemoved(ListingId),
    /// An abnormal-operation cause that is not one of `domain::ListingCause`.
    #[error("{0:?} is not a cause of abnormal operation")]
    UnknownCause(String),
    /// A removal reason that is not given by hand (`repaired` comes from a granted repair,
    /// `expired` from the list's term).
    #[error("a listing is not removed by hand as {0}")]
    NotByHand(RemovalReason),
    /// A required text field is empty.
    #[error("{0} is required")]
    Missing(Field),
    /// A text field is longer than allowed.
    #[error("{field} has more than {max} characters")]
    TooLong { field: Field, max: usize },
    /// A serious-violation listing may be repaired from `earliest` on.
    #[error("listing {listing} may be repaired from {earliest} on")]
    RepairTooEarly {
        listing: ListingId,
        earliest: NaiveDate,
    },
    /// The listing has a pending repair application already.
    #[error("listing {0} has a pending repair application")]
    RepairPending(ListingId),
    /// The application was decided already.
    #[error("repair application {0} was decided already")]
    NotPending(RepairId),
    /// An evaluation score outside 0–100.
    #[error("score {0} is not within 0-100")]
    ScoreOutOfRange(i64),
    /// An evaluation needs an evaluator (a user).
    #[error("an evaluation is entered by an evaluator")]
    NoEvaluator,
    /// The commitment was marked broken already.
    #[error("commitment {0} is broken already")]
    AlreadyBroken(CommitmentId),
    /// A date before another it must follow (a removal before the listing, …).
    #[error("{date} is before {after}")]
    DateBefore { date: NaiveDate, after: NaiveDate },
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ListError {
    fn from(e: StoreError) -> Self {
        ListError::Store(e)
    }
}

/// A required text field, trimmed.
pub(crate) fn required(field: Field, value: &str) -> Result<String, ListError> {
    optional(field, Some(value))?.ok_or(ListError::Missing(field))
}

/// An optional text field, trimmed (empty: none).
pub(crate) fn optional(field: Field, value: Option<&str>) -> Result<Option<String>, ListError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > MAX_TEXT {
        return Err(ListError::TooLong {
            field,
            max: MAX_TEXT,
        });
    }
    Ok(Some(v.to_string()))
}

/// The day a serious-violation listing of `listed_on` ends by its term.
pub fn expires_on(listed_on: NaiveDate) -> NaiveDate {
    listed_on
        .checked_add_months(Months::new(SERIOUS_TERM_MONTHS))
        .unwrap_or(NaiveDate::MAX)
}

/// Puts an entity in the caller's scope on a list. An abnormal listing's cause is a
/// `ListingCause` (code or title); a serious violation's is the decision's words.
pub async fn add(
    store: &dyn Store,
    by: &Caller,
    entity: EntityId,
    list: ListKind,
    cause: &str,
    decision_no: Option<&str>,
    listed_on: NaiveDate,
) -> Result<Listing, ListError> {
    by.require(Permission::Credit)?;
    let cause = match list {
        ListKind::Abnormal => {
            let c = required(Field::Cause, cause)?;
            c.parse::<ListingCause>()
                .map_err(|_| ListError::UnknownCause(c.clone()))?
                .code()
                .to_string()
        }
        ListKind::SeriousViolation => required(Field::Cause, cause)?,
    };
    let input = ListingInput {
        entity_id: entity,
        list,
        cause,
        decision_no: optional(Field::DecisionNo, decision_no)?,
        listed_on,
    };
    store
        .add_listing(by.scope.clone(), &input, &by.actor)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => ListError::NoEntity(entity),
            StoreError::Conflict(_) => ListError::AlreadyListed { entity, list },
            other => other.into(),
        })
}

/// Takes a listing in scope off its list by hand: its cause was corrected, or it was wrong.
pub async fn remove(
    store: &dyn Store,
    by: &Caller,
    id: ListingId,
    reason: RemovalReason,
    note: Option<&str>,
    removed_on: NaiveDate,
) -> Result<Listing, ListError> {
    by.require(Permission::Credit)?;
    if !matches!(reason, RemovalReason::Corrected | RemovalReason::Mistaken) {
        return Err(ListError::NotByHand(reason));
    }
    let l = show(store, by, id).await?;
    if !l.is_open() {
        return Err(ListError::AlreadyRemoved(id));
    }
    if removed_on < l.listed_on {
        return Err(ListError::DateBefore {
            date: removed_on,
            after: l.listed_on,
        });
    }
    let removal = Removal {
        reason,
        removed_on,
        note: optional(Field::Note, note)?,
    };
    close(store, by, id, &removal).await
}

async fn close(
    store: &dyn Store,
    by: &Caller,
    id: ListingId,
    removal: &Removal,
) -> Result<Listing, ListError> {
    store
        .remove_credit_listing(by.scope.clone(), id, removal, &by.actor)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => ListError::NoListing(id),
            StoreError::Conflict(_) => ListError::AlreadyRemoved(id),
            other => other.into(),
        })
}

/// The listing, in the caller's scope.
pub async fn show(store: &dyn Store, by: &Caller, id: ListingId) -> Result<Listing, ListError> {
    by.require(Permission::Read)?;
    store
        .credit_listing(by.scope.clone(), id)
        .await?
        .ok_or(ListError::NoListing(id))
}

/// Listings in the caller's scope (newest first) and how many match without paging.
pub async fn list(
    store: &dyn Store,
    by: &Caller,
    filter: &ListingFilter,
) -> Result<(Vec<Listing>, i64), ListError> {
    by.require(Permission::Read)?;
    let items = store.credit_listings(by.scope.clone(), filter).await?;
    let total = store
        .count_credit_listings(by.scope.clone(), filter)
        .await?;
    Ok((items, total))
}

/// Removes every serious-violation listing whose three-year term ended by `as_of` (reason
/// `expired`, removed on the day the term ended). Returns the listings removed. For the
/// nightly job; a listing removed meanwhile by someone else is skipped.
pub async fn expire_due(store: &dyn Store, as_of: NaiveDate) -> Result<Vec<Listing>, ListError> {
    let by = Caller::system("credit:expire");
    let Some(cutoff) = as_of.checked_sub_months(Months::new(SERIOUS_TERM_MONTHS)) else {
        return Ok(Vec::new());
    };
    let due = store
        .credit_listings(
            Scope::City,
            &ListingFilter {
                list: Some(ListKind::SeriousViolation),
                open: Some(true),
                listed_on_or_before: Some(cutoff),
                ..Default::default()
            },
        )
        .await?;
    let mut out = Vec::new();
    for l in due {
        let removal = Removal {
            reason: RemovalReason::Expired,
            removed_on: expires_on(l.listed_on),
            note: None,
        };
        match close(store, &by, l.id, &removal).await {
            Ok(l) => out.push(l),
            Err(ListError::AlreadyRemoved(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
