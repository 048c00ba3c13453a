//! Casework: what happens to a suspected violation after it is found, following the procedure
//! market regulators work under (`../shared/spec/casework.md`): findings grouped into clues,
//! clues dispatched to districts with deadlines and closed by the district's feedback, cases
//! opened from clues and moved through their stages to outcomes, field inspections, and
//! complaints and reports from the public (`complaints`).
//!
//! Every time limit comes from [`Limits`] (the `[casework]` table of `wangjian.toml`), never
//! from a constant in the code. Every change is written by the store with its audit row.
//! Every refusal is a [`CaseworkError`]; this crate writes no sentence for people (the front
//! ends map errors to their words; the types' `title()`s are the only Chinese here).
//! Must not: know HTTP or HTML, or fetch anything (a rectification re-check's sweep is run by
//! the scheduler, which hands the result here).

pub mod calendar;
pub mod cases;
pub mod clues;
pub mod complaints;
pub mod documents;
pub mod error;
pub mod inspection;
pub mod limits;

pub use cases::{
    add_officer, add_outcome, advance, due_rechecks, extend_decision, open_case, parse_fen,
    record_recheck, remove_listing, reopen, Compliance, DueRecheck, OutcomeInput,
};
pub use clues::{
    dispatch, extend_verification, feedback, group_sweep, group_sweep_paged, Feedback, GroupReport,
};
pub use complaints::{ComplaintError, IntakeField, IntakeForm, IntakeProblem, Problem, StepField};
pub use error::{CaseworkError, ClueStep, FenError, Field};
pub use limits::{DispatchDays, Limits, LimitsError};

/// The longest free text a casework form takes.
pub const MAX_TEXT: usize = 500;

/// A required text field, trimmed: empty is `Missing`, too long is `TooLong`.
pub(crate) fn required(field: Field, value: &str) -> Result<String, CaseworkError> {
    optional(field, Some(value))?.ok_or(CaseworkError::Missing(field))
}

/// An optional text field, trimmed (empty: none).
pub(crate) fn optional(field: Field, value: Option<&str>) -> Result<Option<String>, CaseworkError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > MAX_TEXT {
        return Err(CaseworkError::TooLong {
            field,
            max: MAX_TEXT,
        });
    }
    Ok(Some(v.to_string()))
}
