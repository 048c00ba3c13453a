//! The scheduler's credit work: every tick the entities marked stale are re-scored; the
//! nightly run reloads `DATA/credit/index.toml` when its SHA-256 differs from the version in
//! force (an invalid file is refused and the run records its problems; the version in force
//! stays), takes off the serious-violation list every listing whose term ended
//! (`credit::lists::expire_due`), re-scores every entity and keeps the classes' closer sweeps
//! in step (`class_sweeps`), then applies the badge rules (`badge::apply_rules`: suspend the
//! badges of class D, license problems and the abnormal-operation list; reinstate those whose
//! cause is gone).

use crate::campaign::CampaignInput;
use crate::scheduler::Scheduler;
use crate::ScheduleError;
use chrono::NaiveDate;
use credit::index::ClassRules;
use credit::index::{ensure_file, sha256_hex};
use credit::rescore::{self, load_index, RescoreReport};
use credit::CreditError;
use domain::{CampaignId, CreditClass};
use store::Store;
use store::{Actor, CampaignState, CampaignTargets, Scope, SiteSelection};

/// Re-scores the stale entities (nothing when none is stale).
pub async fn rescore_stale(
    store: &dyn Store,
    as_of: NaiveDate,
) -> Result<RescoreReport, ScheduleError> {
    Ok(rescore::rescore_stale(store, as_of).await?)
}

/// The nightly run: reload the file if it changed, then re-score all.
pub async fn nightly(s: &Scheduler, as_of: NaiveDate) -> Result<RescoreReport, ScheduleError> {
    let store = s.store.as_ref();
    let path = ensure_file(&s.settings.data_dir).map_err(|e| CreditError::File {
        path: s.settings.data_dir.display().to_string(),
        message: e.to_string(),
    })?;
    let text = std::fs::read_to_string(&path).map_err(|e| CreditError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let current = store.current_credit_index().await?;
    let mut refused = None;
    if current.as_ref().map(|v| v.sha256.as_str()) != Some(sha256_hex(&text).as_str()) {
        match load_index(store, &text, &s.actor, None).await {
            Ok(_) => {}
            Err(CreditError::Invalid(problems)) => refused = Some(problems),
            Err(e) => return Err(e.into()),
        }
    }
    let expired = credit::lists::expire_due(store, as_of).await?;
    if !expired.is_empty() {
        tracing::info!(
            listings = expired.len(),
            "serious-violation listings expired"
        );
    }
    let report = match rescore::rescore_all(store, as_of).await {
        Err(CreditError::NoIndex) if refused.is_some() => None,
        other => Some(other?),
    };
    if let Some(problems) = refused {
        return Err(ScheduleError::CreditIndexRefused {
            path: path.display().to_string(),
            problems,
        });
    }
    let report = report.expect("re-scored when nothing was refused");
    if let Some((_, index)) = credit::rescore::index_in_force(store).await? {
        class_sweeps(store, &index.classes, as_of, &s.actor).await?;
    }
    // The badge rules read the classes just computed.
    let badges = badge::apply_rules(store, as_of, &s.actor).await?;
    if !badges.suspended.is_empty() || !badges.reinstated.is_empty() {
        tracing::info!(
            suspended = badges.suspended.len(),
            reinstated = badges.reinstated.len(),
            "badge rules applied"
        );
    }
    tracing::info!(
        entities = report.entities,
        archived = report.archived,
        version = %report.version,
        "credit re-scored"
    );
    Ok(report)
}

/// The campaign that sweeps a class's sites more often than the nightly city sweep.
pub fn class_campaign_name(class: CreditClass) -> String {
    format!("{}主体加密巡查", class.title())
}

/// The consequence "sweep frequency raised": every class whose `sweep_every_hours` in the
/// index system is under 24 (the city sweep's once a night) has an active campaign of its
/// entities' sites swept every that many hours (`0 */N * * *`, bureau time), named by
/// [`class_campaign_name`]. Run after each nightly re-scoring: when a class's sites or
/// interval changed, its campaign is closed and a new one made with the sites of today (so a
/// campaign's figures speak of one fixed set of sites); a class with no site, or one swept
/// nightly, has none. Returns the campaigns made.
pub async fn class_sweeps(
    store: &dyn Store,
    rules: &ClassRules,
    today: NaiveDate,
    by: &Actor,
) -> Result<Vec<CampaignId>, ScheduleError> {
    let campaigns = store.list_campaigns().await?;
    let mut made = Vec::new();
    for rule in &rules.rules {
        let name = class_campaign_name(rule.class);
        let hours = rule.sweep_every_hours;
        let (sites, schedule) = if (1..24).contains(&hours) {
            let selection = SiteSelection {
                classes: vec![rule.class],
                ..SiteSelection::default()
            };
            (
                store.select_sites(Scope::City, &selection).await?,
                format!("0 */{hours} * * *"),
            )
        } else {
            (Vec::new(), String::new())
        };
        let active = campaigns
            .iter()
            .find(|c| c.name == name && c.state == CampaignState::Active);
        if let Some(c) = active {
            if !sites.is_empty()
                && c.schedule == schedule
                && c.ends_on >= today
                && store.campaign_sites(c.id).await? == sites
            {
                continue;
            }
            store.close_campaign(c.id, by).await?;
        }
        if sites.is_empty() {
            continue;
        }
        let input = CampaignInput {
            name,
            starts_on: today,
            ends_on: today + chrono::Duration::days(365),
            targets: CampaignTargets {
                sites,
                ..CampaignTargets::default()
            },
            packs: Vec::new(),
            schedule,
        };
        made.push(crate::campaign::create(store, None, &input, by).await?.id);
    }
    Ok(made)
}
