//! Credit (`../shared/spec/credit.md`): the index system as a versioned data file, each
//! entity's score and A–D class with the indicators behind it, the credit archive with its
//! internal and public views, the dishonesty lists with credit repair, third-party
//! evaluations and honest-operation commitments.
//!
//! The console and the command line are thin callers of these functions; every change goes
//! through one store method with its audit row, and marks the entities it touches for
//! re-scoring (`credit_stale`).

// The index system and scoring.
pub mod archive;
pub mod facts;
pub mod index;
pub mod rescore;
pub mod score;

pub use index::{ClassRule, ClassRules, IndexProblem, IndexSystem};
pub use rescore::CreditError;

// Lists, repair, evaluations, commitments and what the public sees.
pub mod commitments;
pub mod evaluations;
pub mod lists;
pub mod portal;
pub mod publicity;
pub mod repair;
