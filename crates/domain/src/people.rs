//! Who may do what: the roles of the people who use wangjian, what each role may do, and the
//! triage decisions a person takes on a finding. Which rows a person may read (their scope) is
//! the store's `Scope`, built from the role and its districts or entities.

use crate::entity::UnknownCode;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A person's role. Every user has exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// City administrator (市局管理员): manages users, and may do everything staff do,
    /// city-wide.
    Admin,
    /// City supervisor (市局监管人员): city-wide reads and actions.
    Supervisor,
    /// District inspector (区局执法人员): reads and acts within their districts.
    Inspector,
    /// Third-party evaluator (第三方评价机构): reads the entities assigned to them.
    Evaluator,
    /// Read-only auditor (审计人员): city-wide reads, no changes.
    Auditor,
}

/// What a person may do; a role grants a fixed set ([`Role::may`]). Scope limits *where*.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read the records in scope (every role).
    Read,
    /// Triage findings, decide discovered sites, make clues.
    Triage,
    /// Take an evidence capture (start one or confirm another's).
    Capture,
    /// Export evidence as a WACZ package.
    Export,
    /// View an evidence record (logged in the chain of custody).
    ViewEvidence,
    /// Add, disable and change users.
    ManageUsers,
    /// Send a clue to a district (or to another), extend a verification limit: the city's
    /// job (supervisors and administrators).
    Dispatch,
    /// Work clues and cases in scope: a district's feedback on a clue, open a case, move it
    /// through its stages, record outcomes (inspectors in their districts; supervisors
    /// city-wide).
    Casework,
    /// Reopen a decided or closed case (the head's approval: supervisors and administrators).
    Reopen,
    /// Plan special campaigns (create and close them): the city's job (supervisors and
    /// administrators).
    Campaigns,
    /// Credit: load the index system, re-score, put entities on and take them off the
    /// dishonesty lists, decide credit-repair applications, record commitments (the city's
    /// job: supervisors and administrators).
    Credit,
    /// Enter third-party evaluations of the entities assigned (evaluators).
    Evaluate,
    /// Plan random inspections and draw them (双随机: supervisors and administrators).
    Sampling,
    /// Review, issue, suspend, revoke and reinstate license badges (亮照: supervisors and
    /// administrators).
    Badges,
    /// Upload finished evidence files to the object store (administrators).
    Archive,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Supervisor,
        Role::Inspector,
        Role::Evaluator,
        Role::Auditor,
    ];

    /// The stored and command-line code.
    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Inspector => "inspector",
            Role::Evaluator => "evaluator",
            Role::Auditor => "auditor",
        }
    }

    /// The role's name for people.
    pub fn title(self) -> &'static str {
        match self {
            Role::Admin => "市局管理员",
            Role::Supervisor => "市局监管人员",
            Role::Inspector => "区局执法人员",
            Role::Evaluator => "第三方评价机构",
            Role::Auditor => "审计人员",
        }
    }

    /// Whether the role sees the whole city (else its districts or entities).
    pub fn city_wide(self) -> bool {
        matches!(self, Role::Admin | Role::Supervisor | Role::Auditor)
    }

    /// Whether the role grants `p`.
    pub fn may(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Supervisor => matches!(
                p,
                Read | Triage
                    | Capture
                    | Export
                    | ViewEvidence
                    | Dispatch
                    | Casework
                    | Reopen
                    | Campaigns
                    | Credit
                    | Sampling
                    | Badges
            ),
            Role::Inspector => {
                matches!(
                    p,
                    Read | Triage | Capture | Export | ViewEvidence | Casework
                )
            }
            Role::Evaluator => matches!(p, Read | Evaluate),
            Role::Auditor => matches!(p, Read | ViewEvidence),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Role {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.code() == s || r.title() == s)
            .ok_or_else(|| UnknownCode {
                what: "role",
                value: s.to_string(),
                expected: "admin, supervisor, inspector, evaluator, auditor",
            })
    }
}

/// A person's decision on a finding. A new finding is `Open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Triage {
    /// Not yet decided.
    Open,
    /// A real violation: goes on to a clue.
    Confirmed,
    /// Real but not worth pursuing (with a reason).
    Dismissed,
    /// Not a violation: the rule was wrong here (counts against the rule's precision).
    FalsePositive,
}

impl Triage {
    pub const ALL: [Triage; 4] = [
        Triage::Open,
        Triage::Confirmed,
        Triage::Dismissed,
        Triage::FalsePositive,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Triage::Open => "open",
            Triage::Confirmed => "confirmed",
            Triage::Dismissed => "dismissed",
            Triage::FalsePositive => "false_positive",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Triage::Open => "待研判",
            Triage::Confirmed => "已确认",
            Triage::Dismissed => "已驳回",
            Triage::FalsePositive => "误报",
        }
    }
}

impl fmt::Display for Triage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Triage {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Triage::ALL
            .into_iter()
            .find(|t| t.code() == s || t.title() == s)
            .ok_or_else(|| UnknownCode {
                what: "triage decision",
                value: s.to_string(),
                expected: "open, confirmed, dismissed, false_positive",
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_titles_parse() {
        for r in Role::ALL {
            assert_eq!(r.code().parse::<Role>().unwrap(), r);
            assert_eq!(r.title().parse::<Role>().unwrap(), r);
        }
        for t in Triage::ALL {
            assert_eq!(t.code().parse::<Triage>().unwrap(), t);
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn only_the_admin_manages_users_and_the_auditor_changes_nothing() {
        assert!(Role::Admin.may(Permission::ManageUsers));
        for r in [
            Role::Supervisor,
            Role::Inspector,
            Role::Evaluator,
            Role::Auditor,
        ] {
            assert!(!r.may(Permission::ManageUsers), "{r}");
        }
        for p in [Permission::Triage, Permission::Capture, Permission::Export] {
            assert!(!Role::Auditor.may(p));
            assert!(!Role::Evaluator.may(p));
            assert!(Role::Inspector.may(p));
        }
        assert!(Role::Auditor.may(Permission::Read));
        for p in [Permission::Dispatch, Permission::Reopen] {
            assert!(Role::Admin.may(p) && Role::Supervisor.may(p));
            assert!(!Role::Inspector.may(p) && !Role::Auditor.may(p));
        }
        assert!(Role::Inspector.may(Permission::Casework));
        assert!(!Role::Evaluator.may(Permission::Casework));
    }
}
