//! Random inspections (双随机、一公开): a plan names the inspection items, the population
//! (a filter over the register), the sampling ratio per credit class and the pool of
//! inspectors; a draw from a published seed selects entities and assigns inspectors without
//! conflicts of interest, reproducibly; the publication lists everything needed to check it,
//! and [`drawing::replay`] checks one from its JSON alone.
//!
//! - [`draw`]: the algorithm `wangjian-draw-1`, pure (docs/sampling.md says it in full).
//! - [`plan`]: creating and closing plans (checked input, [`Permission::Sampling`]).
//! - [`drawing`]: a draw from the store's population ([`drawing::run`]), its publication,
//!   its replay, and linking a field inspection as a selected entity's result.
//!
//! The console and the command line call these functions; each refusal is a
//! [`SamplingError`] with fields, never a sentence for people (the console words it).

pub mod draw;
pub mod drawing;
pub mod plan;

use domain::{CreditClass, DrawId, InspectionId, Permission, Role, SamplingPlanId};
use store::{Actor, Scope, StoreError, User};

pub use draw::{DrawError, Ratio, Ratios, ALGORITHM};
pub use drawing::{link_result, publication, random_seed, replay, run, Replay};

/// Who acts: a person (their role decides what they may do and their scope what they see)
/// or the operator at the command line (everything, city-wide).
#[derive(Debug, Clone)]
pub struct Who {
    pub actor: Actor,
    /// `None`: the command line's operator.
    pub role: Option<Role>,
    pub scope: Scope,
}

impl Who {
    /// A logged-in person.
    pub fn user(u: &User, request: Option<String>) -> Who {
        Who {
            actor: Actor::user(u, request),
            role: Some(u.role),
            scope: u.scope(),
        }
    }

    /// The operator at the command line (`name` as the audit log shall show it).
    pub fn operator(name: impl Into<String>) -> Who {
        Who {
            actor: Actor::system(name),
            role: None,
            scope: Scope::City,
        }
    }

    /// Whether they may do `p`.
    pub fn may(&self, p: Permission) -> bool {
        self.role.is_none_or(|r| r.may(p))
    }

    fn require(&self, p: Permission) -> Result<(), SamplingError> {
        if self.may(p) {
            Ok(())
        } else {
            Err(SamplingError::NotPermitted(p))
        }
    }
}

/// The longest plan name, in characters.
pub const MAX_NAME: usize = 200;
/// The longest seed, in bytes.
pub const MAX_SEED: usize = 256;
/// The most inspectors one entity may get.
pub const MAX_INSPECTORS_PER_ENTITY: i64 = 10;

/// Why a sampling step was refused. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum SamplingError {
    /// Their role does not grant the permission.
    #[error("not permitted: {0:?}")]
    NotPermitted(Permission),
    #[error("no sampling plan {0}")]
    NoPlan(SamplingPlanId),
    #[error("no draw {0}")]
    NoDraw(DrawId),
    #[error("sampling plan {0} is closed")]
    PlanClosed(SamplingPlanId),
    #[error("the plan has no name")]
    NameMissing,
    #[error("the plan's name has more than {MAX_NAME} characters")]
    NameTooLong,
    #[error("the plan names no inspection item")]
    NoItems,
    #[error("the ratio {text:?} of class {class} is not in (0, 1]")]
    BadRatio { class: CreditClass, text: String },
    #[error("class {0} has no ratio")]
    MissingRatio(CreditClass),
    #[error("{0} inspectors per entity: 1 to {MAX_INSPECTORS_PER_ENTITY}")]
    BadInspectorsPerEntity(i64),
    #[error("the pool has {have} inspector(s), fewer than the {need} an entity needs")]
    PoolTooSmall { have: usize, need: i64 },
    #[error("no user {0:?}")]
    NoUser(String),
    #[error("user {0:?} is disabled")]
    UserDisabled(String),
    #[error("user {0:?} has a role that does not inspect")]
    NotAnInspector(String),
    #[error("the seed has more than {MAX_SEED} bytes")]
    SeedTooLong,
    /// The draw itself refused (an empty population, a missing ratio, too few inspectors for
    /// an entity, …).
    #[error(transparent)]
    Draw(#[from] DrawError),
    #[error("{uscc} was not selected by draw {draw}")]
    NotDrawn { draw: DrawId, uscc: String },
    #[error("inspection {inspection} is not an inspection of {uscc} (or not in your scope)")]
    NoInspection {
        inspection: InspectionId,
        uscc: String,
    },
    #[error("{uscc} of draw {draw} has a result recorded already")]
    AlreadyLinked { draw: DrawId, uscc: String },
    /// A publication that is not JSON of the publication's form.
    #[error("not a publication: {0}")]
    BadPublication(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
