//! Why a casework step is refused: one structured enum for every front end to map to its own
//! words. Nothing was changed when one is returned.

use domain::{
    CaseId, CaseStage, ClueId, ClueState, DistrictCode, OutcomeId, OutcomeKind, SiteId,
    TransitionError,
};

/// A casework step that cannot be taken, and why.
#[derive(Debug, thiserror::Error)]
pub enum CaseworkError {
    /// No such clue in the caller's scope.
    #[error("no clue {0}")]
    NoClue(ClueId),
    /// No such case in the caller's scope.
    #[error("no case {0}")]
    NoCase(CaseId),
    /// No such outcome (of a case in the caller's scope).
    #[error("no outcome {0}")]
    NoOutcome(OutcomeId),
    /// No such sweep.
    #[error("no sweep {0}")]
    NoSweep(domain::SweepId),
    /// No user of this name.
    #[error("no user {0:?}")]
    NoUser(String),
    /// A district code that is not a current district of the table.
    #[error("{0} is not a current district")]
    UnknownDistrict(DistrictCode),
    /// The clue's state does not allow the step.
    #[error("clue {clue} is {state}: it cannot be {step}")]
    ClueState {
        clue: ClueId,
        state: ClueState,
        step: ClueStep,
    },
    /// Sending a clue again needs a reason.
    #[error("sending clue {0} again needs a reason")]
    ReasonRequired(ClueId),
    /// A required text field is empty.
    #[error("{0} is required")]
    Missing(Field),
    /// A text field is longer than allowed.
    #[error("{field} has more than {max} characters")]
    TooLong { field: Field, max: usize },
    /// The verification limit was extended already (once only).
    #[error("the verification of clue {0} was extended already")]
    AlreadyExtended(ClueId),
    /// A case needs at least one clue.
    #[error("a case is opened from at least one clue")]
    NoClues,
    /// The clues are of different sites.
    #[error("clue {clue} is of site {other}, not of site {site} like the first")]
    MixedSites {
        site: SiteId,
        other: SiteId,
        clue: ClueId,
    },
    /// The clues belong to different districts, or to none.
    #[error("clue {0} belongs to no district or to another than the first")]
    NoDistrict(ClueId),
    /// An officer who may not work the case (disabled, without the casework permission, or
    /// outside the case's district).
    #[error("{0} may not work a case of district {1}")]
    NotAnOfficer(String, DistrictCode),
    /// The stage change is not the next one.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The case moved since the caller read it (another person's step got there first).
    #[error("case {case} is {now}, no longer {seen}")]
    StageChanged {
        case: CaseId,
        seen: CaseStage,
        now: CaseStage,
    },
    /// A decision needs at least two officers.
    #[error("case {case} has {have} officer(s): a decision needs two")]
    TooFewOfficers { case: CaseId, have: usize },
    /// A decision needs at least one outcome.
    #[error("case {0} has no outcome to decide on")]
    NoOutcomeYet(CaseId),
    /// A closing needs every rectification order re-checked.
    #[error("rectification order {0} is not re-checked yet")]
    RectificationPending(OutcomeId),
    /// Outcomes are recorded while investigating or decided.
    #[error("case {case} is {stage}: no outcome can be recorded")]
    NoOutcomeAtStage { case: CaseId, stage: CaseStage },
    /// A deadline before today.
    #[error("the deadline {0} is in the past")]
    DeadlineInPast(chrono::NaiveDate),
    /// A rectification order names no URL.
    #[error("a rectification order names at least one URL")]
    NoUrls,
    /// A URL that is not of the case's site.
    #[error("{url} is not a page of the case's site {site}")]
    ForeignUrl { url: String, site: String },
    /// An abnormal-operations listing needs a registered entity.
    #[error("case {0} has no registered entity to list")]
    NoEntity(CaseId),
    /// The entity is on the abnormal-operations list already (an open listing, from a case or
    /// the bureau's list management): it is listed once.
    #[error("entity {0} is on the abnormal-operations list already")]
    AlreadyListed(domain::EntityId),
    /// The outcome is not of the kind the step needs, or is done already.
    #[error("outcome {outcome} is a {kind}, or was settled already")]
    WrongOutcome {
        outcome: OutcomeId,
        kind: OutcomeKind,
    },
    /// A re-check sweep did not fetch a URL of the order.
    #[error("sweep {sweep} did not fetch {url}")]
    NotRechecked { sweep: domain::SweepId, url: String },
    /// A fine that is not a whole, non-negative number of fen.
    #[error(transparent)]
    Fen(#[from] FenError),
    /// Another step changed the row meanwhile.
    #[error("changed meanwhile: {0}")]
    Changed(String),
    /// The store failed.
    #[error(transparent)]
    Store(store::StoreError),
}

impl From<store::StoreError> for CaseworkError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::Conflict(what) => CaseworkError::Changed(what),
            other => CaseworkError::Store(other),
        }
    }
}

/// The step on a clue that its state refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClueStep {
    Dispatched,
    Answered,
    Extended,
    OpenedAsCase,
}

impl std::fmt::Display for ClueStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ClueStep::Dispatched => "dispatched",
            ClueStep::Answered => "answered",
            ClueStep::Extended => "extended",
            ClueStep::OpenedAsCase => "opened as a case",
        })
    }
}

/// A text field of a casework form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Reason,
    TransferredTo,
    DecisionNo,
    ReferredTo,
    Summary,
    Note,
    Confiscation,
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Field::Reason => "reason",
            Field::TransferredTo => "transferred to",
            Field::DecisionNo => "decision number",
            Field::ReferredTo => "referred to",
            Field::Summary => "summary",
            Field::Note => "note",
            Field::Confiscation => "confiscation",
        })
    }
}

/// Why an amount is not a fine in fen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FenError {
    #[error("no amount given")]
    Empty,
    #[error("a fine cannot be negative")]
    Negative,
    #[error("an amount in yuan has at most two decimals (fen)")]
    TooPrecise,
    #[error("{0:?} is not an amount")]
    NotANumber(String),
    #[error("the amount is too large")]
    TooLarge,
}
