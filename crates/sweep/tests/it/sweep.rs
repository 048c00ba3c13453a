use crate::support::{warc_path, Fixture};
use domain::Category;
use std::collections::BTreeSet;
use std::sync::Arc;
use store::{FindingFilter, Scope, SiteFilter, SiteSweepState};

/// The categories version 1 of detect covers; the sweep's findings are checked against
/// simweb's ground truth for these.
const V1: [Category; 5] = [
    Category::AdAbsoluteTerm,
    Category::ContractUnfairClause,
    Category::LicenseNotDisplayed,
    Category::LicenseUsccInvalid,
    Category::ContentGambling,
];

async fn all_findings(store: &dyn store::Store) -> Vec<store::Finding> {
    let filter = FindingFilter {
        limit: 1_000_000,
        ..FindingFilter::default()
    };
    store.list_findings(Scope::City, &filter).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweep_matches_ground_truth_and_points_at_evidence() {
    let fx = Fixture::new(40, 7).await;
    let detector = Arc::new(detect::Detector::builtin());
    let summary = sweep::run_sweep(fx.store.clone(), detector, fx.config())
        .await
        .unwrap();
    assert!(!summary.resumed);
    assert!(summary.pages > 100, "{summary}");
    assert!(summary.to_string().starts_with("sweep: "));

    // Every finding points at a WARC record that exists and whose digest holds.
    let findings = all_findings(fx.store.as_ref()).await;
    assert!(!findings.is_empty());
    for f in findings.iter().take(50) {
        let ev = f.finding.evidence.as_ref().expect("evidence pointer");
        let rec = evidence::read_record_at(
            &warc_path(&fx.evidence_dir(), &ev.warc_file),
            ev.offset as u64,
        )
        .unwrap();
        assert_eq!(rec.header("WARC-Block-Digest"), Some(ev.digest.as_str()));
        assert_eq!(rec.header("WARC-Target-URI"), Some(f.finding.url.as_str()));
        assert!(evidence::verify_record(&rec).is_empty());
    }

    // Compare (page, category) pairs with the ground truth, over the pages the sweep fetched.
    let truth = fx.world.truth();
    let sites = fx
        .store
        .list_sites(
            Scope::City,
            &SiteFilter {
                limit: 10_000,
                ..SiteFilter::default()
            },
        )
        .await
        .unwrap();
    let mut expected = BTreeSet::new();
    let mut fetched = BTreeSet::new();
    for site in &sites {
        for fetch in fx
            .store
            .site_fetches(Scope::City, site.id, 10_000)
            .await
            .unwrap()
        {
            if fetch.fetch.status == Some(200) {
                fetched.insert(fetch.fetch.url.clone());
            }
        }
    }
    for st in truth.sites.values() {
        for (path, cats) in &st.pages {
            let url = format!("http://{}{}", st.host, path);
            if !fetched.contains(&url) {
                continue;
            }
            for c in cats.iter().filter(|c| V1.contains(c)) {
                expected.insert((url.clone(), *c));
            }
        }
    }
    let found: BTreeSet<(String, Category)> = findings
        .iter()
        .filter(|f| V1.contains(&f.finding.category))
        .map(|f| (f.finding.url.clone(), f.finding.category))
        .collect();
    let tp = found.intersection(&expected).count() as f64;
    let precision = tp / found.len().max(1) as f64;
    let recall = tp / expected.len().max(1) as f64;
    let fp: Vec<_> = found.difference(&expected).take(10).collect();
    let missed: Vec<_> = expected.difference(&found).take(10).collect();
    eprintln!(
        "v1 categories: {} expected, {} found, precision {precision:.3}, recall {recall:.3}",
        expected.len(),
        found.len()
    );
    for c in V1 {
        assert!(
            expected.iter().any(|(_, e)| *e == c),
            "the world seeds {c} on a fetched page"
        );
    }
    assert!(
        precision >= 0.95,
        "precision {precision:.3}; false positives: {fp:?}"
    );
    assert!(recall >= 0.90, "recall {recall:.3}; missed: {missed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfinished_sweep_continues_with_pending_sites() {
    let fx = Fixture::new(12, 3).await;
    let sites = fx
        .store
        .list_sites(
            Scope::City,
            &SiteFilter {
                limit: 1000,
                ..SiteFilter::default()
            },
        )
        .await
        .unwrap();
    let ids: Vec<_> = sites.iter().map(|s| s.id).collect();
    let sweep_id = fx.store.create_sweep(&ids).await.unwrap();
    // As if killed after the first half of the sites.
    let (done, pending) = ids.split_at(ids.len() / 2);
    for id in done {
        fx.store
            .finish_site(sweep_id, *id, SiteSweepState::Done, None)
            .await
            .unwrap();
    }
    let detector = Arc::new(detect::Detector::builtin());
    let summary = sweep::run_sweep(fx.store.clone(), detector, fx.config())
        .await
        .unwrap();
    assert!(summary.resumed);
    assert_eq!(summary.sweep_id, sweep_id);
    for id in done {
        let n = fx
            .store
            .site_fetches(Scope::City, *id, 10)
            .await
            .unwrap()
            .len();
        assert_eq!(n, 0, "a site done before the kill is not fetched again");
    }
    let mut fetched_pending = 0;
    for id in pending {
        if !fx
            .store
            .site_fetches(Scope::City, *id, 10)
            .await
            .unwrap()
            .is_empty()
        {
            fetched_pending += 1;
        }
    }
    assert_eq!(fetched_pending, pending.len());
    assert!(fx.store.unfinished_sweep().await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_site_is_recorded_and_the_sweep_goes_on() {
    let fx = Fixture::new(6, 5).await;
    let mut config = fx.config();
    // A host mapped to a closed port: connection refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_addr = closed.local_addr().unwrap();
    drop(closed);
    let first = fx
        .store
        .list_sites(
            Scope::City,
            &SiteFilter {
                limit: 1,
                ..SiteFilter::default()
            },
        )
        .await
        .unwrap()
        .remove(0);
    config
        .crawl
        .resolve
        .parse_entry(&format!("{}:80:{}", first.host, closed_addr))
        .unwrap();
    let detector = Arc::new(detect::Detector::builtin());
    let summary = sweep::run_sweep(fx.store.clone(), detector, config)
        .await
        .unwrap();
    assert!(summary.unreachable >= 1, "{summary:?}");
    assert!(summary.pages > 0, "the other sites were swept: {summary}");
}
