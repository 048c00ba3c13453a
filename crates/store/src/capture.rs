//! Two-person evidence capture (电子数据提取须两人): one user asks for a capture, a second user
//! confirms it, and only then is it taken. This module is pure: the request as stored, its
//! closed set of states and the one transition function ([`CaptureState::after`]) that every
//! step goes through; the backends store the rows ([`crate::CaptureRequestStore`]) and audit
//! each step in the same transaction.
//!
//! ```text
//! pending ──confirm (another user)──▶ confirmed ──done──▶ done
//!    │                                    └──────fail──▶ failed
//!    └──cancel──▶ cancelled
//! ```
//!
//! The requester can never confirm their own request ([`StepRefusal::OwnRequest`]; the table's
//! CHECK says the same). Must not: do IO, or decide who may act on a request in which scope
//! (the caller checks permissions and scope before it asks for a step).

use chrono::{DateTime, Utc};
use domain::{CaptureRequestId, ClueId, DistrictCode, EntityId, SiteId, SweepId, UserId};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// Where a capture request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureState {
    /// Asked for; waiting for a second user to confirm it.
    Pending,
    /// Confirmed by a second user: the capture is being taken.
    Confirmed,
    /// Taken: the capture's sweep holds the evidence.
    Done,
    /// The capture was tried and failed (the request says why).
    Failed,
    /// Withdrawn before anyone confirmed it.
    Cancelled,
}

impl CaptureState {
    pub const ALL: [CaptureState; 5] = [
        CaptureState::Pending,
        CaptureState::Confirmed,
        CaptureState::Done,
        CaptureState::Failed,
        CaptureState::Cancelled,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            CaptureState::Pending => "pending",
            CaptureState::Confirmed => "confirmed",
            CaptureState::Done => "done",
            CaptureState::Failed => "failed",
            CaptureState::Cancelled => "cancelled",
        }
    }

    /// The state's name for people.
    pub fn label(self) -> &'static str {
        match self {
            CaptureState::Pending => "待确认",
            CaptureState::Confirmed => "取证中",
            CaptureState::Done => "已完成",
            CaptureState::Failed => "失败",
            CaptureState::Cancelled => "已撤销",
        }
    }

    /// The state after `step` taken by `actor` on a request made by `requester`, or why the
    /// step is refused.
    pub fn after(
        self,
        step: &CaptureStep,
        requester: UserId,
        actor: Option<UserId>,
    ) -> Result<CaptureState, StepRefusal> {
        use CaptureState::*;
        match (self, step) {
            (Pending, CaptureStep::Confirm) => match actor {
                Some(a) if a == requester => Err(StepRefusal::OwnRequest),
                Some(_) => Ok(Confirmed),
                None => Err(StepRefusal::NoUser),
            },
            (Pending, CaptureStep::Cancel) => Ok(Cancelled),
            (Confirmed, CaptureStep::Done(_)) => Ok(Done),
            (Confirmed, CaptureStep::Fail(_)) => Ok(Failed),
            (state, step) => Err(StepRefusal::WrongState {
                state,
                step: step.code(),
            }),
        }
    }
}

impl fmt::Display for CaptureState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for CaptureState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CaptureState::ALL
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| format!("unknown capture request state {s:?}"))
    }
}

/// A step on a capture request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureStep {
    /// A second user confirms: the capture may be taken.
    Confirm,
    /// Withdrawn while pending.
    Cancel,
    /// The capture was taken as this sweep (of kind capture).
    Done(SweepId),
    /// The capture failed; why.
    Fail(String),
}

impl CaptureStep {
    /// The step's code, the audit row's action.
    pub fn code(&self) -> &'static str {
        match self {
            CaptureStep::Confirm => "confirm",
            CaptureStep::Cancel => "cancel",
            CaptureStep::Done(_) => "done",
            CaptureStep::Fail(_) => "fail",
        }
    }
}

/// Why a step on a capture request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepRefusal {
    /// The requester tried to confirm their own request: a second person must.
    #[error("the requester cannot confirm their own capture request")]
    OwnRequest,
    /// Confirming needs a logged-in user.
    #[error("only a user can confirm a capture request")]
    NoUser,
    /// The request is not in a state that allows the step.
    #[error("a {state} capture request cannot take the step {step}")]
    WrongState {
        state: CaptureState,
        step: &'static str,
    },
}

/// A capture to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCaptureRequest {
    /// The page to capture.
    pub url: String,
    /// The known site the page belongs to.
    pub site_id: SiteId,
    /// The clue the evidence is taken for (a clue of that site).
    pub clue_id: Option<ClueId>,
    /// Why (a clue, a complaint, a case).
    pub reason: String,
    /// Who asks.
    pub requested_by: UserId,
}

/// A capture request as stored, with the names of the people on it and its site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaptureRequest {
    pub id: CaptureRequestId,
    pub url: String,
    pub site_id: SiteId,
    /// The site's host and path prefix.
    pub site: String,
    /// The site's district and entity (what the request's scope is decided by).
    pub district: Option<DistrictCode>,
    pub entity_id: Option<EntityId>,
    pub clue_id: Option<ClueId>,
    pub reason: String,
    pub state: CaptureState,
    pub requested_by: UserId,
    /// The requester's username.
    pub requested_by_name: String,
    pub requested_at: DateTime<Utc>,
    pub confirmed_by: Option<UserId>,
    pub confirmed_by_name: Option<String>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The capture's sweep, once done.
    pub sweep_id: Option<SweepId>,
    /// Why the capture failed.
    pub error: Option<String>,
}

/// Which capture requests to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureRequestFilter {
    /// Only requests in these states (empty: all).
    pub states: Vec<CaptureState>,
    /// At most this many (0 or less: all).
    pub limit: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaptureState::*;

    #[test]
    fn transitions() {
        let (alice, bob) = (UserId(1), UserId(2));
        let step = |s: CaptureState, st: CaptureStep, by: Option<UserId>| s.after(&st, alice, by);
        assert_eq!(
            step(Pending, CaptureStep::Confirm, Some(bob)),
            Ok(Confirmed)
        );
        assert_eq!(
            step(Pending, CaptureStep::Confirm, Some(alice)),
            Err(StepRefusal::OwnRequest)
        );
        assert_eq!(
            step(Pending, CaptureStep::Confirm, None),
            Err(StepRefusal::NoUser)
        );
        assert_eq!(
            step(Pending, CaptureStep::Cancel, Some(alice)),
            Ok(Cancelled)
        );
        assert_eq!(
            step(Confirmed, CaptureStep::Done(SweepId(3)), None),
            Ok(Done)
        );
        assert_eq!(
            step(Confirmed, CaptureStep::Fail("x".into()), None),
            Ok(Failed)
        );
        for (s, st) in [
            (Pending, CaptureStep::Done(SweepId(3))),
            (Pending, CaptureStep::Fail("x".into())),
            (Confirmed, CaptureStep::Confirm),
            (Confirmed, CaptureStep::Cancel),
            (Done, CaptureStep::Fail("x".into())),
            (Cancelled, CaptureStep::Confirm),
            (Failed, CaptureStep::Done(SweepId(3))),
        ] {
            let code = st.code();
            assert_eq!(
                step(s, st, Some(bob)),
                Err(StepRefusal::WrongState {
                    state: s,
                    step: code
                })
            );
        }
        for s in CaptureState::ALL {
            assert_eq!(s.code().parse::<CaptureState>(), Ok(s));
        }
    }
}
