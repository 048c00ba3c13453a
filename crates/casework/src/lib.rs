//! Casework: what happens to a suspected violation after it is found, following the procedure
//! market regulators work under (`../shared/spec/casework.md`): findings grouped into clues,
//! clues dispatched to districts with deadlines and closed by the district's feedback, cases
//! opened from clues and moved through their stages to outcomes, and field inspections.
//!
//! Every time limit comes from [`Limits`] (the `[casework]` table of `wangjian.toml`), never
//! from a constant in the code. Every change is written by the store with its audit row.
//! Must not: know HTTP or HTML, or fetch anything (a rectification re-check's sweep is run by
//! the scheduler, which hands the result here).

pub mod inspection;
