//! People and what they did: users (with their role's districts or entities), server-side
//! sessions, failed logins, API tokens, and the audit log of every change a person makes.
//!
//! Passwords, session ids and tokens arrive here already hashed (the `people` crate hashes
//! them); this module only stores. Users are never deleted, only disabled: audit, custody and
//! casework rows keep naming them.

use crate::model::Scope;
use chrono::{DateTime, Utc};
use domain::{DistrictCode, EntityId, Role, UserId};
use serde::{Deserialize, Serialize};

/// A user as stored (without the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The districts of an inspector (empty for other roles).
    pub districts: Vec<DistrictCode>,
    /// The entities assigned to an evaluator (empty for other roles).
    pub entities: Vec<EntityId>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    /// Logins are refused until then (too many wrong passwords).
    pub locked_until: Option<DateTime<Utc>>,
}

impl User {
    /// The rows this user may read: the whole city for city-wide roles, else their districts
    /// (an inspector) or assigned entities (an evaluator). A disabled user sees nothing.
    pub fn scope(&self) -> Scope {
        if self.disabled {
            return Scope::Districts(Vec::new().into());
        }
        match self.role {
            r if r.city_wide() => Scope::City,
            Role::Evaluator => Scope::Entities(self.entities.clone().into()),
            _ => Scope::Districts(self.districts.clone().into()),
        }
    }

    /// How the user is named in the chain of custody and other text logs: `user:USERNAME`
    /// (usernames are unique and never reused).
    pub fn actor(&self) -> String {
        format!("user:{}", self.username)
    }
}

/// A user to add.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub districts: Vec<DistrictCode>,
    pub entities: Vec<EntityId>,
    /// The PHC string of the password's hash (Argon2id).
    pub password_hash: String,
}

/// A change to a user.
#[derive(Debug, Clone)]
pub enum UserChange {
    /// Disable (true) or enable (false); disabling ends the user's sessions.
    Disabled(bool),
    /// A new password hash; ends the user's sessions and lifts a lock.
    Password(String),
    /// A new role with its districts or entities.
    Role {
        role: Role,
        districts: Vec<DistrictCode>,
        entities: Vec<EntityId>,
    },
    /// Refuse logins until then.
    LockedUntil(Option<DateTime<Utc>>),
}

/// Who makes a change: the user (none for the system itself, such as an import or the
/// command line before any user exists), a name for logs, and the request it came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user: Option<UserId>,
    pub name: String,
    pub request: Option<String>,
}

impl Actor {
    /// A logged-in user, within one request (`request`: its id, when there is one).
    pub fn user(u: &User, request: Option<String>) -> Actor {
        Actor {
            user: Some(u.id),
            name: u.actor(),
            request,
        }
    }

    /// The system or an operator at the command line without a user (`name` says which).
    pub fn system(name: impl Into<String>) -> Actor {
        Actor {
            user: None,
            name: name.into(),
            request: None,
        }
    }
}

/// A server-side session as stored: the id is kept only as its hash.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub user: User,
    /// The CSRF token of every form of this session.
    pub csrf: String,
    /// The client address it was opened from.
    pub client: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// An API token as listed (never the token itself).
#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: UserId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub user_id: Option<UserId>,
    pub actor: String,
    pub request_id: Option<String>,
    /// What changed: `user:7`, `finding:12`, `discovered:3`, `clue:4`, `sweep:9`.
    pub object: String,
    /// What was done: `create`, `disable`, `triage`, `decide`, `capture`, …
    pub action: String,
    pub old_value: Option<serde_json::Value>,
    pub new_value: Option<serde_json::Value>,
}

/// A triage decision on a finding.
#[derive(Debug, Clone)]
pub struct TriageDecision {
    pub decision: domain::Triage,
    /// Why (required to dismiss; for a false positive, what the rule got wrong).
    pub reason: Option<String>,
}

/// Why a triage request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TriageProblem {
    #[error("a decision is confirmed, dismissed or false_positive")]
    NoDecision,
    #[error("a dismissal or a false positive needs a reason")]
    NoReason,
    #[error("a reason has at most 500 characters")]
    LongReason,
}

impl TriageDecision {
    /// A person's decision (`confirmed`, `dismissed`, `false_positive`, or their Chinese
    /// titles) with its reason, checked: a dismissal or a false positive says why.
    pub fn new(decision: &str, reason: &str) -> Result<TriageDecision, TriageProblem> {
        let decision: domain::Triage = decision
            .parse()
            .ok()
            .filter(|d| *d != domain::Triage::Open)
            .ok_or(TriageProblem::NoDecision)?;
        let reason = reason.trim();
        if reason.chars().count() > 500 {
            return Err(TriageProblem::LongReason);
        }
        if reason.is_empty()
            && matches!(
                decision,
                domain::Triage::Dismissed | domain::Triage::FalsePositive
            )
        {
            return Err(TriageProblem::NoReason);
        }
        Ok(TriageDecision {
            decision,
            reason: (!reason.is_empty()).then(|| reason.to_string()),
        })
    }
}

/// Per-rule precision from people's triage decisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleTriage {
    pub rule_id: String,
    pub open: i64,
    pub confirmed: i64,
    pub dismissed: i64,
    pub false_positive: i64,
    /// Findings of the rule the detector suppressed (a quotation, a trademark, the page's
    /// genre); not among the decisions above.
    pub suppressed: i64,
}

impl RuleTriage {
    /// Findings people have decided on (confirmed, dismissed or false positive).
    pub fn decided(&self) -> i64 {
        self.confirmed + self.dismissed + self.false_positive
    }

    /// Confirmed and dismissed findings (real violations) over all decided ones; `None` before
    /// any decision.
    pub fn precision(&self) -> Option<f64> {
        let decided = self.decided();
        (decided > 0).then(|| (self.confirmed + self.dismissed) as f64 / decided as f64)
    }

    /// Where the rule stands under `policy`: flagged for review when enough decisions give a
    /// precision below the threshold.
    pub fn standing(&self, policy: &ReviewPolicy) -> RuleStanding {
        match self.precision() {
            _ if self.decided() < policy.min_decided => RuleStanding::TooFewDecisions,
            Some(p) if p < policy.below => RuleStanding::Review,
            _ => RuleStanding::Sound,
        }
    }
}

/// When people's decisions flag a rule for review: a precision below `below` over at least
/// `min_decided` decided findings. A rule with fewer decisions is not judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReviewPolicy {
    pub below: f64,
    pub min_decided: i64,
}

impl ReviewPolicy {
    /// Precision under 80 % …
    pub const DEFAULT_BELOW: f64 = 0.8;
    /// … over at least five decisions.
    pub const DEFAULT_MIN_DECIDED: i64 = 5;
}

impl Default for ReviewPolicy {
    fn default() -> ReviewPolicy {
        ReviewPolicy {
            below: ReviewPolicy::DEFAULT_BELOW,
            min_decided: ReviewPolicy::DEFAULT_MIN_DECIDED,
        }
    }
}

/// A rule's standing from people's decisions ([`RuleTriage::standing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleStanding {
    /// Precision below the policy's threshold: the rule should be reviewed.
    Review,
    /// Fewer decisions than the policy needs to judge.
    TooFewDecisions,
    /// Precision at or above the threshold.
    Sound,
}

impl RuleStanding {
    pub const ALL: [RuleStanding; 3] = [
        RuleStanding::Review,
        RuleStanding::TooFewDecisions,
        RuleStanding::Sound,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RuleStanding::Review => "review",
            RuleStanding::TooFewDecisions => "too_few_decisions",
            RuleStanding::Sound => "sound",
        }
    }
}
