//! Cloaking probes in a sweep: every cloaking kit of a small simweb is found as `site.hijacked`
//! with the spider (or search-visitor) view as proof, and the honest mobile layout is not.

use crate::support::{warc_path, Fixture};
use domain::Category;
use std::collections::BTreeSet;
use std::sync::Arc;
use store::{FindingFilter, Scope};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweep_unmasks_each_cloaking_kit_and_spares_the_mobile_layout() {
    let fx = Fixture::new(24, 11).await;
    let truth = fx.world.truth();
    let cloaked: BTreeSet<(String, String)> = truth
        .sites
        .values()
        .filter_map(|s| Some((s.host.clone(), s.cloaked.as_ref()?.kind.clone())))
        .collect();
    let kinds: BTreeSet<&str> = cloaked.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(kinds.len(), 3, "the world has every kit: {cloaked:?}");
    let honest: Vec<&str> = truth
        .sites
        .values()
        .filter(|s| s.mobile_layout)
        .map(|s| s.host.as_str())
        .collect();
    assert!(!honest.is_empty());

    let detector = Arc::new(detect::Detector::builtin());
    sweep::run_sweep(fx.store.clone(), detector, fx.config())
        .await
        .unwrap();

    let filter = FindingFilter {
        category: Some(Category::SiteHijacked),
        limit: 100_000,
        ..FindingFilter::default()
    };
    let findings: Vec<store::Finding> = fx
        .store
        .list_findings(Scope::City, &filter)
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f.finding.location == "spider")
        .collect();
    let flagged: BTreeSet<String> = findings.iter().map(|f| f.host.clone()).collect();
    let expected: BTreeSet<String> = cloaked.iter().map(|(h, _)| h.clone()).collect();
    assert_eq!(flagged, expected, "exactly the cloaked sites are flagged");
    for h in &honest {
        assert!(!flagged.contains(*h), "honest mobile layout {h} flagged");
    }

    for f in &findings {
        let ev = f.finding.evidence.as_ref().expect("evidence pointer");
        let path = warc_path(&fx.evidence_dir(), &ev.warc_file);
        let rec = evidence::read_record_at(&path, ev.offset as u64).unwrap();
        assert_eq!(rec.warc_type(), Some("response"));
        assert_eq!(rec.header("WARC-Block-Digest"), Some(ev.digest.as_str()));
        assert_eq!(rec.target_uri(), Some(f.finding.url.as_str()));
        assert!(evidence::verify_record(&rec).is_empty());
        assert_eq!(f.finding.url, format!("http://{}/", f.host));

        // The request it answers, and the metadata naming the profile.
        let response_id = rec.record_id().unwrap().to_string();
        let request_id = rec.header("WARC-Concurrent-To").unwrap().to_string();
        let (mut request, mut metadata) = (None, None);
        for r in evidence::open_reader(&path).unwrap() {
            let r = r.unwrap();
            if r.record_id() == Some(request_id.as_str()) {
                request = Some(String::from_utf8_lossy(&r.block).to_string());
            }
            if r.warc_type() == Some("metadata")
                && r.header("WARC-Refers-To") == Some(response_id.as_str())
            {
                metadata = Some(String::from_utf8_lossy(&r.block).to_string());
            }
        }
        let request = request.expect("request record");
        let metadata = metadata.expect("metadata record");
        let profile = metadata
            .lines()
            .find_map(|l| l.strip_prefix("fetch-profile: "))
            .expect("fetch-profile")
            .trim()
            .to_string();
        assert_ne!(profile, "browser");
        let spider_ua = request.contains("Baiduspider");
        let search_referer = request.lines().any(|l| {
            l.to_ascii_lowercase()
                .starts_with("referer: https://www.baidu.com/")
        });
        assert!(spider_ua || search_referer, "{request}");
        let kind = &cloaked.iter().find(|(h, _)| *h == f.host).unwrap().1;
        match kind.as_str() {
            "ua-only" | "not-found-to-browsers" => {
                assert!(profile.starts_with("baiduspider"), "{kind}: {profile}");
                assert!(rec.block.starts_with(b"HTTP/1.1 200"));
            }
            "referer-redirect" => {
                assert_eq!(profile, "search-referral:baidu");
                assert!(metadata.contains("redirect-chain: "), "{metadata}");
                assert!(rec.block.starts_with(b"HTTP/1.1 302"));
            }
            other => panic!("unknown kit {other}"),
        }
    }
}

/// `probe_homepage` on its own, over a 200-site world (both variants of the redirect kit: HTTP
/// 302 and meta refresh): each kit is found with the right profile, no other site is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_homepage_finds_each_kit_and_nothing_else() {
    let world = Arc::new(simweb::World::generate(&simweb::GenParams {
        sites: 200,
        seed: 1,
    }));
    let server = simweb::start(world.clone(), ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let mut config = crawl::CrawlConfig {
        delay_per_host: std::time::Duration::ZERO,
        ..crawl::CrawlConfig::default()
    };
    config
        .resolve
        .parse_entry(&format!("*:80:{}", server.addr))
        .unwrap();
    let detector = detect::Detector::builtin();
    let truth = world.truth();
    let mut meta_refresh = 0;
    // Every kit and the honest sites, plus a sample of ordinary and openly hijacked sites.
    let sample = truth.sites.values().enumerate().filter(|(i, s)| {
        s.path_prefix.is_empty() && (s.cloaked.is_some() || s.mobile_layout || i % 10 == 0)
    });
    for (_, s) in sample {
        let url = url::Url::parse(&format!("http://{}/", s.host)).unwrap();
        let r = sweep::probe::probe_homepage(&config, &url, &detector).await;
        assert_eq!(r.captures.len(), crawl::Profile::STANDARD.len());
        let profiles: BTreeSet<String> = r
            .findings
            .iter()
            .map(|(_, i)| r.captures[*i].profile.name())
            .collect();
        for (f, _) in &r.findings {
            assert_eq!(f.category, Category::SiteHijacked);
            assert_eq!(f.location.as_str(), "spider");
        }
        let kind = s.cloaked.as_ref().map(|c| c.kind.as_str());
        match kind {
            None => assert!(r.findings.is_empty(), "{}: {:?}", s.host, r.findings),
            Some("ua-only" | "not-found-to-browsers") => assert_eq!(
                profiles,
                ["baiduspider-mobile", "baiduspider-pc"]
                    .map(String::from)
                    .into(),
                "{}",
                s.host
            ),
            Some(_) => {
                let referrals: BTreeSet<String> = ["baidu", "sogou", "360", "bing"]
                    .map(|e| format!("search-referral:{e}"))
                    .into();
                assert_eq!(profiles, referrals, "{}", s.host);
                let c = &r.captures[r.findings[0].1];
                if c.meta_refresh.is_some() {
                    meta_refresh += 1;
                    assert!(c.redirect_chain.is_empty());
                } else {
                    assert_eq!(c.redirect_chain.len(), 1);
                    assert!(c.left_host(&url));
                }
                // The proof is the site's own answer, not the casino's.
                let proof = r.proof(0).unwrap();
                assert_eq!(proof.url, url);
            }
        }
    }
    assert_eq!(
        meta_refresh, 1,
        "one of the two redirect kits uses a meta refresh"
    );
    server.shutdown().await;
}
