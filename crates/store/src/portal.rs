//! The public portal's records as stored: notices (公告) published and withdrawn by the bureau,
//! model sites (示范网店) designated by it, and visit counts per page and day. Plain data; the
//! SQL is in `sql/portal.rs`. Nothing here holds a visitor's address, cookie or user agent.

use chrono::{DateTime, NaiveDate, Utc};
use domain::{CreditClass, EntityId, NoticeId, SiteId};
use serde::{Deserialize, Serialize};

/// A notice to publish: a title and a plain-text body (paragraphs separated by blank lines).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewNotice {
    pub title: String,
    pub body: String,
}

/// A notice as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub id: NoticeId,
    pub title: String,
    pub body: String,
    pub published_at: DateTime<Utc>,
    pub published_by: String,
    /// When it was withdrawn (no longer public), by whom and why.
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_by: Option<String>,
    pub withdrawn_reason: Option<String>,
}

impl Notice {
    /// Whether the public may read it.
    pub fn published(&self) -> bool {
        self.withdrawn_at.is_none()
    }
}

/// A site designated as a model site, with its entity and that entity's current class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSite {
    pub site_id: SiteId,
    pub host: String,
    pub path_prefix: String,
    pub entity_id: EntityId,
    pub entity_name: String,
    pub uscc: String,
    /// The entity's class in `credit_scores` (none: never scored).
    pub class: Option<CreditClass>,
    pub note: Option<String>,
    pub designated_at: DateTime<Utc>,
    pub designated_by: String,
}

/// Responses of one portal page (a route pattern) on one Beijing day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitCount {
    pub day: NaiveDate,
    pub page: String,
    pub count: i64,
}

/// An entity found by name for the public credit query: what identifies it, nothing more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityHit {
    pub id: EntityId,
    pub name: String,
    pub uscc: String,
}
