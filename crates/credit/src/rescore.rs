//! Loading an index system and re-scoring: all entities (after a new version, nightly) or the
//! ones marked stale by the writes that changed their records.
//!
//! Re-scoring walks the entities in id batches: one grouped store query per distinct source
//! of the batch, the scores computed here, the grades written in one transaction per batch.

use crate::facts;
use crate::index::{IndexProblem, IndexSystem};
use crate::score::{points_json, score};
use chrono::{DateTime, NaiveDate, Utc};
use domain::{EntityId, Permission, Role};
use std::time::{Duration, Instant};
use store::{
    Actor, CreditStore, FactSelect, IndexLoad, IndexVersion, NewGrade, NewIndexVersion, StoreError,
};

/// Entities per batch of a full re-scoring.
pub const BATCH: i64 = 20_000;
/// Stale entities per batch.
pub const STALE_BATCH: i64 = 2_000;

/// Why a credit action was refused or failed. The console turns each into Chinese words in
/// one place (`crates/web/src/credit_words.rs`).
#[derive(Debug, thiserror::Error)]
pub enum CreditError {
    /// The index system file has problems: every one of them.
    #[error("the index system file has {} problem(s)", .0.len())]
    Invalid(Vec<IndexProblem>),
    /// This version string already names another content (or was in force before).
    #[error("index version {version} was used before for another content")]
    VersionReused { version: String },
    /// No index system has been loaded.
    #[error("no index system is in force")]
    NoIndex,
    /// The stored version in force does not parse any more (it was valid when loaded).
    #[error("the stored index version {version} does not parse")]
    StoredIndexInvalid { version: String },
    /// The person's role may not do this (`Permission::Credit`).
    #[error("not permitted")]
    NotPermitted,
    /// No such entity in the caller's scope.
    #[error("no such entity")]
    NotFound,
    #[error("cannot read {path}: {message}")]
    File { path: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks that a person (none: the system, the command line) may act on credit.
pub fn require_credit(role: Option<Role>) -> Result<(), CreditError> {
    match role {
        Some(r) if !r.may(Permission::Credit) => Err(CreditError::NotPermitted),
        _ => Ok(()),
    }
}

/// What re-scoring did.
#[derive(Debug, Clone, PartialEq)]
pub struct RescoreReport {
    /// Entities scored.
    pub entities: u64,
    /// Archive rows appended (grades that changed).
    pub archived: u64,
    pub version: String,
    pub elapsed: Duration,
}

/// The index system in force, parsed.
pub async fn index_in_force(
    store: &dyn CreditStore,
) -> Result<Option<(IndexVersion, IndexSystem)>, CreditError> {
    let Some(v) = store.current_credit_index().await? else {
        return Ok(None);
    };
    let sys = IndexSystem::parse(&v.body).map_err(|_| CreditError::StoredIndexInvalid {
        version: v.version.clone(),
    })?;
    Ok(Some((v, sys)))
}

/// One stored version, parsed (for explaining a grade computed with it).
pub async fn index_version(
    store: &dyn CreditStore,
    version: &str,
) -> Result<Option<IndexSystem>, CreditError> {
    Ok(store
        .credit_index_versions()
        .await?
        .into_iter()
        .find(|v| v.version == version)
        .and_then(|v| IndexSystem::parse(&v.body).ok()))
}

/// What loading did.
#[derive(Debug, Clone, PartialEq)]
pub enum Loaded {
    /// A new version is in force: re-score everyone.
    New(IndexVersion),
    /// The file is the version in force already.
    Unchanged(IndexVersion),
}

/// Validates an index system file whole and stores it as the version in force. Any problem
/// refuses it (every problem listed) and the version in force stays. The caller re-scores
/// all entities after [`Loaded::New`].
pub async fn load_index(
    store: &dyn CreditStore,
    text: &str,
    by: &Actor,
    role: Option<Role>,
) -> Result<Loaded, CreditError> {
    require_credit(role)?;
    let sys = IndexSystem::parse(text).map_err(CreditError::Invalid)?;
    let new = NewIndexVersion {
        version: sys.version.clone(),
        name: sys.name.clone(),
        sha256: sys.sha256.clone(),
        body: text.to_string(),
    };
    match store.load_credit_index(&new, by).await {
        Ok(IndexLoad::Loaded(v)) => Ok(Loaded::New(v)),
        Ok(IndexLoad::AlreadyInForce(v)) => Ok(Loaded::Unchanged(v)),
        Err(StoreError::Conflict(_)) => Err(CreditError::VersionReused {
            version: sys.version,
        }),
        Err(e) => Err(e.into()),
    }
}

async fn required_index(store: &dyn CreditStore) -> Result<IndexSystem, CreditError> {
    Ok(index_in_force(store).await?.ok_or(CreditError::NoIndex)?.1)
}

/// Scores a batch and writes it; returns (scored, archived).
async fn score_batch(
    store: &dyn CreditStore,
    sys: &IndexSystem,
    select: &FactSelect,
    as_of: NaiveDate,
) -> Result<(u64, u64, Option<EntityId>), CreditError> {
    let read_at: DateTime<Utc> = Utc::now();
    let all = facts::load(store, sys, select, as_of).await?;
    let last = all.last().map(|f| f.entity);
    let now = Utc::now();
    let grades: Vec<NewGrade> = all
        .iter()
        .map(|f| {
            let g = score(sys, f);
            NewGrade {
                entity: f.entity,
                score: g.score,
                score_class: g.score_class,
                class: g.class,
                overridden: g.overridden,
                index_version: sys.version.clone(),
                points: points_json(&g.points),
                computed_at: now,
            }
        })
        .collect();
    let w = store.write_credit_grades(&grades, read_at).await?;
    Ok((grades.len() as u64, w.archived, last))
}

/// Re-scores every entity with the version in force, as of a date.
pub async fn rescore_all(
    store: &dyn CreditStore,
    as_of: NaiveDate,
) -> Result<RescoreReport, CreditError> {
    let started = Instant::now();
    let sys = required_index(store).await?;
    let mut report = RescoreReport {
        entities: 0,
        archived: 0,
        version: sys.version.clone(),
        elapsed: Duration::ZERO,
    };
    let mut after = 0;
    loop {
        let (n, archived, last) = score_batch(
            store,
            &sys,
            &FactSelect::After {
                after,
                limit: BATCH,
            },
            as_of,
        )
        .await?;
        report.entities += n;
        report.archived += archived;
        match last {
            Some(e) if n == BATCH as u64 => after = e.0,
            _ => break,
        }
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Re-scores the entities marked stale (oldest marks first) until none is left.
pub async fn rescore_stale(
    store: &dyn CreditStore,
    as_of: NaiveDate,
) -> Result<RescoreReport, CreditError> {
    let started = Instant::now();
    let sys = required_index(store).await?;
    let mut report = RescoreReport {
        entities: 0,
        archived: 0,
        version: sys.version.clone(),
        elapsed: Duration::ZERO,
    };
    let mut seen = std::collections::HashSet::new();
    loop {
        let marks = store.credit_stale(STALE_BATCH).await?;
        // An entity marked again while it was being scored is scored again, once per call:
        // a mark that keeps coming back waits for the next call.
        let ids: Vec<EntityId> = marks
            .iter()
            .map(|(e, _)| *e)
            .filter(|e| seen.insert(*e))
            .collect();
        if ids.is_empty() {
            break;
        }
        let (n, archived, _) = score_batch(store, &sys, &FactSelect::Ids(ids), as_of).await?;
        report.entities += n;
        report.archived += archived;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}
