//! The rules that suspend badges, and lift their own suspensions: an entity whose credit class
//! has `suspend_badge` in the index system in force (class D by default), an entity with a
//! license problem (deregistered, or a permit expired), an entity on the list of abnormal
//! operation. A badge a rule suspended is reinstated once no rule holds; a suspension by staff
//! is never lifted by a rule. Run by the scheduler's nightly credit job and `wangjian badge
//! rules`.

use crate::BadgeError;
use chrono::NaiveDate;
use domain::{BadgeCause, BadgeSerial, BadgeState, EntityId, EntityStatus, ListKind};
use std::collections::HashMap;
use store::prelude::*;
use store::{Actor, BadgeChange, FactQuery, FactSelect, Scope};

/// What a run of the rules did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RulesReport {
    /// Badges checked (issued, or suspended by a rule).
    pub checked: usize,
    pub suspended: Vec<(BadgeSerial, BadgeCause)>,
    pub reinstated: Vec<BadgeSerial>,
}

/// The first rule that holds for an entity, in order: license, abnormal listing, class.
fn cause_of(
    status: Option<&str>,
    permits_expired: bool,
    abnormal: bool,
    class_suspends: bool,
) -> Option<BadgeCause> {
    if status == Some(EntityStatus::Deregistered.code()) || permits_expired {
        Some(BadgeCause::License)
    } else if abnormal || status == Some(EntityStatus::Abnormal.code()) {
        Some(BadgeCause::AbnormalListing)
    } else if class_suspends {
        Some(BadgeCause::CreditClass)
    } else {
        None
    }
}

/// Applies the rules to every issued badge and every badge a rule suspended, on `as_of`.
pub async fn apply_rules(
    store: &dyn Store,
    as_of: NaiveDate,
    by: &Actor,
) -> Result<RulesReport, BadgeError> {
    let badges: Vec<_> = store
        .issued_badges()
        .await?
        .into_iter()
        .filter(|b| {
            b.state == BadgeState::Issued
                || (b.state == BadgeState::Suspended && b.cause.is_some_and(BadgeCause::is_rule))
        })
        .collect();
    let mut report = RulesReport {
        checked: badges.len(),
        ..Default::default()
    };
    if badges.is_empty() {
        return Ok(report);
    }
    let rules = credit::rescore::index_in_force(store)
        .await?
        .map(|(_, sys)| sys.classes);
    let mut entities: Vec<EntityId> = badges.iter().map(|b| b.entity_id).collect();
    entities.sort();
    entities.dedup();
    let facts = store
        .credit_facts(
            &FactSelect::Ids(entities.clone()),
            &[
                FactQuery::PermitsExpired,
                FactQuery::Listed(ListKind::Abnormal),
            ],
            as_of,
        )
        .await?;
    let status: HashMap<EntityId, &str> = facts
        .register
        .iter()
        .map(|r| (r.entity, r.status.as_str()))
        .collect();
    let has = |i: usize, e: EntityId| facts.values[i].iter().any(|(x, v)| *x == e && *v > 0.0);
    let mut causes = HashMap::new();
    for e in &entities {
        let class_suspends = match &rules {
            Some(rules) => store
                .credit_grade(Scope::City, *e)
                .await?
                .is_some_and(|g| rules.get(g.class).suspend_badge),
            None => false,
        };
        causes.insert(
            *e,
            cause_of(
                status.get(e).copied(),
                has(0, *e),
                has(1, *e),
                class_suspends,
            ),
        );
    }
    for b in badges {
        let cause = causes.get(&b.entity_id).copied().flatten();
        let change = match (b.state, cause) {
            (BadgeState::Issued, Some(cause)) => BadgeChange::Suspend {
                cause,
                note: String::new(),
            },
            (BadgeState::Suspended, None) => BadgeChange::Reinstate {
                note: String::new(),
            },
            _ => continue,
        };
        match store
            .change_badge(Scope::City, b.serial, b.state, &change, by)
            .await
        {
            Ok(_) => match change {
                BadgeChange::Suspend { cause, .. } => report.suspended.push((b.serial, cause)),
                _ => report.reinstated.push(b.serial),
            },
            // A person's step came first: theirs stands.
            Err(store::StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(report)
}
