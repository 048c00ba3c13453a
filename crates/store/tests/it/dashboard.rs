//! The dashboard's own counts: findings per Beijing week, the running sweep's progress and
//! what the last finished sweep found new, each in scope.

use crate::records::{register, site_of};
use crate::{at, district, TestStore, T0};
use ::store::dashboard::week_starts;
use ::store::*;
use chrono::NaiveDate;
use domain::{Category, SiteId, SweepId};

/// A finding without evidence, found at `found` seconds after the test epoch.
fn finding(sweep: SweepId, site: SiteId, category: &str, excerpt: &str, found: i64) -> NewFinding {
    NewFinding {
        evidence: None,
        found_at: at(found),
        ..crate::records::finding(sweep, site, category, excerpt)
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn weeks_start_on_mondays_oldest_first() {
    // 2024-03-01 is a Friday.
    assert_eq!(
        week_starts(day(2024, 3, 1), 3),
        [day(2024, 2, 12), day(2024, 2, 19), day(2024, 2, 26)]
    );
    assert_eq!(week_starts(day(2024, 2, 26), 1), [day(2024, 2, 26)]);
    assert!(week_starts(day(2024, 2, 26), 0).is_empty());
}

/// The week bounds of the weeks starting at `starts` (Beijing days).
fn bounds(starts: &[NaiveDate]) -> Vec<(NaiveDate, chrono::DateTime<chrono::Utc>)> {
    starts
        .iter()
        .map(|d| (*d, domain::time::day_start(*d)))
        .collect()
}

async fn findings_per_beijing_week_by_severity(store: TestStore) {
    let store = store.as_ref();
    register(store).await;
    let a = site_of(store, "a.test", "/").await.id;
    let b = site_of(store, "b.test", "/").await.id;
    let sweep = store.create_sweep(&[a, b]).await.unwrap();
    // T0 is 2024-03-01T00:00Z = 08:00 Beijing, a Friday: the week of Monday 2024-02-26.
    // 2024-03-03T16:00Z is Monday 2024-03-04 00:00 in Beijing: the next week already, although
    // still Sunday in UTC.
    let monday_bj = T0 + 2 * 86_400 + 16 * 3600;
    store
        .record_findings(&[
            finding(sweep, a, "ad.absolute_term", "最好", T0),
            finding(sweep, a, "ad.absolute_term", "第一", T0 + 60),
            finding(sweep, a, "content.gambling", "百家乐", T0 + 120),
            finding(sweep, b, "ad.absolute_term", "顶级", monday_bj),
            finding(sweep, b, "ad.absolute_term", "更早", monday_bj - 1),
            // Before the first week: not counted.
            finding(sweep, b, "ad.absolute_term", "很早", T0 - 30 * 86_400),
        ])
        .await
        .unwrap();
    let starts = week_starts(day(2024, 3, 4), 3);
    assert_eq!(
        starts,
        [day(2024, 2, 19), day(2024, 2, 26), day(2024, 3, 4)]
    );
    let until = domain::time::day_start(day(2024, 3, 11));
    let got: Vec<_> = store
        .findings_per_week(Scope::City, &bounds(&starts), until)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.week, c.severity, c.count))
        .collect();
    let ad = Category::AdAbsoluteTerm.severity();
    let gambling = Category::ContentGambling.severity();
    let mut expect = vec![
        (day(2024, 2, 26), ad, 3),
        (day(2024, 2, 26), gambling, 1),
        (day(2024, 3, 4), ad, 1),
    ];
    expect.sort();
    assert_eq!(got, expect);

    // A district's scope: b.test is in 西乡塘 (450107).
    let got: Vec<_> = store
        .findings_per_week(Scope::district(district("450107")), &bounds(&starts), until)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.week, c.severity, c.count))
        .collect();
    assert_eq!(got, [(day(2024, 2, 26), ad, 1), (day(2024, 3, 4), ad, 1)]);

    // One week only; none at all.
    let one = week_starts(day(2024, 3, 4), 1);
    let got = store
        .findings_per_week(Scope::City, &bounds(&one), until)
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].week, got[0].count), (day(2024, 3, 4), 1));
    assert!(store
        .findings_per_week(Scope::City, &[], until)
        .await
        .unwrap()
        .is_empty());
}

async fn running_sweep_progress_in_scope(store: TestStore) {
    let store = store.as_ref();
    register(store).await;
    assert_eq!(store.sweep_progress(Scope::City).await.unwrap(), None);
    let a = site_of(store, "a.test", "/").await.id;
    let b = site_of(store, "b.test", "/").await.id;
    let shop = site_of(store, "waimai.test", "/shop/8812").await.id;
    let sweep = store.create_sweep(&[a, b, shop]).await.unwrap();
    // A capture runs too: not the city sweep.
    store.create_capture(a, None).await.unwrap();

    let p = store.sweep_progress(Scope::City).await.unwrap().unwrap();
    assert_eq!((p.sweep, p.planned, p.done), (sweep, 3, 0));
    store
        .finish_site(sweep, a, SiteSweepState::Done, None)
        .await
        .unwrap();
    store
        .finish_site(sweep, b, SiteSweepState::Unreachable, Some("refused"))
        .await
        .unwrap();
    let p = store.sweep_progress(Scope::City).await.unwrap().unwrap();
    assert_eq!((p.planned, p.done), (3, 2));
    let qingxiu = Scope::district(district("450103"));
    let p = store.sweep_progress(qingxiu).await.unwrap().unwrap();
    assert_eq!((p.planned, p.done), (1, 1));
    let jiangnan = Scope::district(district("450105"));
    let p = store.sweep_progress(jiangnan).await.unwrap().unwrap();
    assert_eq!((p.planned, p.done), (1, 0));

    store.finish_sweep(sweep).await.unwrap();
    assert_eq!(store.sweep_progress(Scope::City).await.unwrap(), None);
}

async fn new_findings_of_the_last_finished_sweep(store: TestStore) {
    let store = store.as_ref();
    register(store).await;
    assert_eq!(store.new_findings(Scope::City).await.unwrap(), None);
    let a = site_of(store, "a.test", "/").await.id;
    let b = site_of(store, "b.test", "/").await.id;
    let first = store.create_sweep(&[a, b]).await.unwrap();
    store
        .record_findings(&[
            finding(first, a, "ad.absolute_term", "最好", T0),
            finding(first, b, "ad.absolute_term", "顶级", T0),
        ])
        .await
        .unwrap();
    store.finish_sweep(first).await.unwrap();
    let got = store.new_findings(Scope::City).await.unwrap().unwrap();
    assert_eq!(got.sweep, first);
    assert_eq!(got.counts.iter().map(|c| c.count).sum::<i64>(), 2);

    let second = store.create_sweep(&[a, b]).await.unwrap();
    // Found again: stored once, under the first sweep; and one new finding on each site.
    store
        .record_findings(&[
            finding(second, a, "ad.absolute_term", "最好", T0 + 10),
            finding(second, a, "content.gambling", "百家乐", T0 + 10),
            finding(second, b, "ad.absolute_term", "第一", T0 + 10),
        ])
        .await
        .unwrap();
    // While it runs, the last finished sweep is still the first.
    assert_eq!(
        store
            .new_findings(Scope::City)
            .await
            .unwrap()
            .unwrap()
            .sweep,
        first
    );
    let done = store.finish_sweep(second).await.unwrap();
    let got = store.new_findings(Scope::City).await.unwrap().unwrap();
    assert_eq!(got.sweep, second);
    assert_eq!(Some(got.finished_at), done.finished_at);
    let cells: Vec<_> = got
        .counts
        .iter()
        .map(|c| (c.category, c.district.map(|d| d.to_string()), c.count))
        .collect();
    let mut expect = vec![
        (Category::AdAbsoluteTerm, Some("450107".to_string()), 1),
        (Category::ContentGambling, Some("450103".to_string()), 1),
    ];
    expect.sort();
    assert_eq!(cells, expect);
    // The findings list filtered by the sweep holds exactly those.
    let filter = FindingFilter {
        sweep_id: Some(second),
        ..FindingFilter::default()
    };
    assert_eq!(store.count_findings(Scope::City, &filter).await.unwrap(), 2);
    let listed = store.list_findings(Scope::City, &filter).await.unwrap();
    assert!(listed.iter().all(|f| f.finding.sweep_id == second));
    let got = store
        .new_findings(Scope::district(district("450103")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        got.counts
            .iter()
            .map(|c| (c.category, c.count))
            .collect::<Vec<_>>(),
        [(Category::ContentGambling, 1)]
    );
}

crate::on_every_backend!(
    findings_per_beijing_week_by_severity,
    running_sweep_progress_in_scope,
    new_findings_of_the_last_finished_sweep,
);
