//! The demo's month of casework (`wangjian demo`, after the first sweep has grouped its findings
//! into clues dispatched to districts): 兴宁区's two inspectors verify clues and open cases, and
//! the cases reach every kind of outcome — a rectification order one site obeys and another
//! ignores (the scheduler's re-check sweeps find out), a penalty with a fine, a referral, a
//! warning, an abnormal-operation listing and its removal, a dismissal — an on-site inspection
//! with a photo, and two special campaigns. Everything goes through the functions the console
//! and the command line call; nothing is written around them.

use super::Ctx;
use anyhow::Context;
use casework::{Feedback, OutcomeInput};
use chrono::Utc;
use domain::{ClueId, ClueState, DistrictCode, ListingCause, SiteId};
use std::sync::Arc;
use store::{Actor, ClueFilter, Scope, Store};

/// 兴宁区, where the demo's two inspectors work.
const XINGNING: &str = "450102";

/// Runs the month; a data directory that has cases already is left as it is.
pub async fn month(
    ctx: &Ctx,
    store: Arc<dyn Store>,
    world: &simweb::World,
    crawl: crawl::CrawlConfig,
) -> anyhow::Result<()> {
    let city = Scope::City;
    if store
        .count_cases(city.clone(), &store::CaseFilter::default())
        .await?
        > 0
    {
        return Ok(());
    }
    let limits = ctx.config.casework.value.clone();
    let today = chrono::Utc::now()
        .with_timezone(&super::bureau_offset(ctx))
        .date_naive();
    let xingning = DistrictCode::parse(XINGNING)?;
    let district = Scope::district(xingning);
    let one = inspector(store.as_ref(), "xingning1").await?;
    let officers = ["xingning1".to_string(), "xingning2".to_string()];

    // Clues the first sweep dispatched to 兴宁区, one per site.
    let mut clues = store
        .list_clues(
            district.clone(),
            &ClueFilter {
                state: Some(ClueState::Dispatched),
                ..ClueFilter::default()
            },
        )
        .await?;
    clues.sort_by_key(|c| c.id);
    let mut sites: Vec<SiteId> = Vec::new();
    clues.retain(|c| {
        let first = !sites.contains(&c.site_id);
        sites.push(c.site_id);
        first
    });
    if clues.len() < 6 {
        eprintln!(
            "demo: only {} clues dispatched to 兴宁区; the month's casework needs 6",
            clues.len()
        );
        return Ok(());
    }

    // Each case: verified by the district, opened, under investigation.
    let mut cases = Vec::new();
    for clue in clues.iter().take(6) {
        casework::feedback(
            store.as_ref(),
            district.clone(),
            clue.id,
            Feedback::Verified {
                note: Some("演示：核查属实".into()),
            },
            &one,
        )
        .await?;
        let case = casework::open_case(
            store.as_ref(),
            district.clone(),
            &[clue.id],
            &officers,
            None,
            &limits,
            today,
            &one,
        )
        .await?;
        casework::advance(
            store.as_ref(),
            district.clone(),
            case,
            domain::CaseStage::Registered,
            &one,
        )
        .await?;
        cases.push((case, clue.id, clue.site.clone()));
    }
    let outcome = |case, input| {
        let store = store.clone();
        let district = district.clone();
        let one = one.clone();
        async move { casework::add_outcome(store.as_ref(), district, case, input, today, &one).await }
    };

    // Two rectification orders due today: the first site corrects its pages, the second does not.
    for (i, (case, clue, site)) in cases.iter().take(2).enumerate() {
        let urls = finding_urls(store.as_ref(), *clue).await?;
        outcome(
            *case,
            OutcomeInput::Rectification {
                due_on: today,
                urls,
            },
        )
        .await?;
        if i == 0 && !(world.rectify(site) || world.rectify(&format!("www.{site}"))) {
            eprintln!("demo: simweb does not know {site}; it cannot correct its pages");
        }
    }
    // The scheduler's re-check job, due now: it sweeps exactly the ordered URLs.
    let mut config = super::schedule_config(ctx);
    config.city_sweep = None;
    config.rechecks = Some(schedule::Cron::parse("* * * * *").expect("a valid cron"));
    let mut sweep = super::sweep_config(ctx, crawl, None);
    sweep.progress = false;
    let scheduler = schedule::Scheduler::new(
        store.clone(),
        config,
        schedule::SweepSettings {
            sweep,
            data_dir: ctx.data.root.clone(),
        },
    );
    let report = scheduler.tick(Utc::now()).await?;
    eprintln!("demo: re-check runs: {}", report.runs.len());

    // The ignored order is followed by a penalty; every case is decided and closed where it can be.
    let (ignored, _, _) = cases[1];
    outcome(
        ignored,
        OutcomeInput::Penalty {
            decision_no: format!("南市监网罚〔{}〕1号", today.format("%Y")),
            fine_fen: 500_000,
            confiscation: None,
        },
    )
    .await?;
    outcome(
        cases[2].0,
        OutcomeInput::Referral {
            to: "南宁市通信管理局".into(),
            reason: "演示：网站未取得ICP备案，移送通信管理部门".into(),
        },
    )
    .await?;
    outcome(
        cases[3].0,
        OutcomeInput::Warning {
            reason: "演示：约谈经营者，发出警示函".into(),
        },
    )
    .await?;
    let listing = outcome(
        cases[4].0,
        OutcomeInput::AbnormalListing {
            cause: ListingCause::NotContactable,
        },
    )
    .await;
    match listing {
        Ok(id) => {
            casework::remove_listing(
                store.as_ref(),
                district.clone(),
                id,
                "演示：已更正住所并申请移出",
                &one,
            )
            .await?;
        }
        // An unregistered site's operator cannot be listed: the case gets a warning instead.
        Err(casework::CaseworkError::NoEntity { .. }) => {
            outcome(
                cases[4].0,
                OutcomeInput::Warning {
                    reason: "演示：无登记主体，发出警示函".into(),
                },
            )
            .await?;
        }
        Err(e) => return Err(e.into()),
    }
    outcome(
        cases[5].0,
        OutcomeInput::Dismissal {
            reason: "演示：首违且及时改正，不予处罚".into(),
        },
    )
    .await?;
    let mut closed = 0;
    for (case, _, _) in &cases {
        for seen in [domain::CaseStage::Investigating, domain::CaseStage::Decided] {
            if casework::advance(store.as_ref(), district.clone(), *case, seen, &one)
                .await
                .is_err()
            {
                break;
            }
            if seen == domain::CaseStage::Decided {
                closed += 1;
            }
        }
    }
    eprintln!("demo: {} cases in 兴宁区, {closed} closed", cases.len());

    // An on-site inspection of the first case's entity, with a photo.
    if let Some(entity) = store
        .case(city.clone(), cases[0].0)
        .await?
        .and_then(|c| c.entity_id)
    {
        casework::inspection::record_inspection(
            store.as_ref(),
            &ctx.data.attachments(),
            &casework::inspection::AttachmentLimits::from_mb(ctx.config.max_attachment_mb.value),
            &district,
            &casework::inspection::InspectionInput {
                entity,
                case: Some(cases[0].0),
                inspected_at: Utc::now() - chrono::Duration::hours(2),
                place: "经营者登记住所".into(),
                result: domain::InspectionResult::Violation,
                notes: "演示：现场核实网页所示商品与实际经营一致，已责令改正".into(),
                inspectors: officers.to_vec(),
            },
            &[casework::inspection::AttachmentFile {
                name: "现场照片.png".into(),
                bytes: tiny_png(),
            }],
            &one,
            Utc::now(),
        )
        .await
        .context("the demo's inspection")?;
    }

    // Two special campaigns of the city.
    let supervisor = inspector(store.as_ref(), "supervisor").await?;
    let year_end =
        chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), 12, 31).unwrap_or(today);
    for (name, targets) in [
        (
            "房地产网络广告专项整治",
            schedule::TargetText {
                keywords: vec!["楼盘".into()],
                ..Default::default()
            },
        ),
        (
            "网络订餐平台专项检查",
            schedule::TargetText {
                kinds: vec!["platform".into()],
                ..Default::default()
            },
        ),
    ] {
        let targets_need_index = !targets.keywords.is_empty();
        let input = schedule::CampaignInput {
            name: name.into(),
            starts_on: today - chrono::Duration::days(30),
            ends_on: year_end,
            targets: targets.parse()?,
            packs: Vec::new(),
            schedule: "0 3 * * 6".into(),
        };
        let index = match targets_need_index {
            true => Some(open_index(ctx, store.as_ref()).await?),
            false => None,
        };
        match schedule::campaign::create(store.as_ref(), index.as_ref(), &input, &supervisor).await
        {
            Ok(c) => {
                // Its first sweep, by hand, so that its figures have records behind them.
                let swept = schedule::sweep_by_hand(
                    store.clone(),
                    &scheduler.settings,
                    &scheduler.config,
                    Some(c.id),
                    &supervisor,
                )
                .await?;
                let pages: i64 = swept.iter().map(|s| s.pages).sum();
                eprintln!(
                    "demo: campaign {} {name}: {} sites, {pages} pages swept",
                    c.id, c.sites
                );
            }
            Err(e) => eprintln!("demo: campaign {name} not created: {e}"),
        }
    }
    Ok(())
}

/// The search index brought up to date (keyword targets look pages up in it).
async fn open_index(ctx: &Ctx, store: &dyn Store) -> anyhow::Result<search::SearchIndex> {
    let index = search::SearchIndex::open(&ctx.data.search())
        .context("cannot open the search index (keyword targets need it)")?;
    ::sweep::index::sync(store, &ctx.data.evidence(), &index).await?;
    Ok(index)
}

/// The demo user `name` as the actor of their changes.
async fn inspector(store: &dyn Store, name: &str) -> anyhow::Result<Actor> {
    let user = store
        .user_by_name(name)
        .await?
        .with_context(|| format!("the demo user {name} is missing"))?;
    Ok(Actor::user(&user, None))
}

/// The URLs of a clue's findings, each once.
async fn finding_urls(store: &dyn Store, clue: ClueId) -> anyhow::Result<Vec<String>> {
    let c = store
        .clue(Scope::City, clue)
        .await?
        .context("the clue just read")?;
    let mut urls = Vec::new();
    for f in &c.findings {
        if let Some(f) = store.finding(Scope::City, *f).await? {
            if !urls.contains(&f.finding.url) {
                urls.push(f.finding.url);
            }
        }
    }
    Ok(urls)
}

/// A 1×1 PNG, the demo's photo.
fn tiny_png() -> Vec<u8> {
    vec![
        137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6,
        0, 0, 0, 31, 21, 196, 137, 0, 0, 0, 13, 73, 68, 65, 84, 120, 156, 99, 248, 207, 192, 240,
        31, 0, 5, 0, 1, 255, 137, 153, 61, 29, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
    ]
}
