//! Cloaking probes in a sweep: every cloaking kit of a small simweb is found as `site.hijacked`
//! with the spider (or search-visitor, or rendered) view as proof, and the honest look-alikes
//! (mobile layout, referrer analytics, A/B banner) are not. A page whose script never settles
//! is a failed render, recorded, and the sweep goes on.

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
    assert_eq!(kinds.len(), 5, "the world has every kit: {cloaked:?}");
    let honest: Vec<&str> = truth
        .sites
        .values()
        .filter(|s| s.mobile_layout || s.honest_script.is_some())
        .map(|s| s.host.as_str())
        .collect();
    assert_eq!(honest.len(), 3, "mobile layout, analytics, A/B banner");

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
        let kind = &cloaked.iter().find(|(h, _)| *h == f.host).unwrap().1;
        if kind.starts_with("script-") {
            rendered_proof(&path, &rec, f, kind);
            continue;
        }
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

/// A script kit's proof: the rendered DOM as a `resource` record under
/// `urn:render:<profile>:<homepage>`, the casino's title in it, and beside it a `metadata`
/// record with the profile, the navigations (the homepage, then the casino) and the network
/// log.
fn rendered_proof(path: &std::path::Path, rec: &evidence::Record, f: &store::Finding, kind: &str) {
    assert_eq!(rec.warc_type(), Some("resource"), "{kind}");
    assert!(evidence::verify_record(rec).is_empty());
    let target = rec.target_uri().unwrap().to_string();
    let home = format!("http://{}/", f.host);
    assert!(target.starts_with("urn:render:render-"), "{target}");
    assert!(target.ends_with(&format!(":{home}")), "{target}");
    assert_eq!(f.finding.url, home);
    assert!(
        f.finding.excerpt.contains("redirected to http://"),
        "{}",
        f.finding.excerpt
    );
    assert!(rec.header("Content-Type").unwrap().starts_with("text/html"));
    let dom = String::from_utf8_lossy(&rec.block).to_string();
    assert!(dom.contains("<html"), "{dom}");
    assert!(
        dom.contains("体育投注") || dom.contains("百家乐") || dom.contains("娱乐"),
        "{kind}: the casino's page is the final DOM: {dom}"
    );
    let id = rec.record_id().unwrap().to_string();
    let metadata = evidence::open_reader(path)
        .unwrap()
        .map(Result::unwrap)
        .find(|r| {
            r.warc_type() == Some("metadata") && r.header("WARC-Refers-To") == Some(id.as_str())
        })
        .expect("metadata beside the DOM");
    let m = String::from_utf8_lossy(&metadata.block).to_string();
    assert!(m.contains("fetch-profile: render-"), "{m}");
    assert!(m.contains(&format!("navigation: {home}")), "{m}");
    let navs: Vec<&str> = m
        .lines()
        .filter(|l| l.starts_with("navigation: "))
        .collect();
    assert!(navs.len() >= 2, "the homepage, then the casino: {m}");
    assert!(
        m.lines().any(|l| l.starts_with("network: 200 Document ")),
        "{m}"
    );
    assert!(m.contains("render-trigger: "), "{m}");
}

/// A homepage whose script never lets the page settle (it navigates to itself again and
/// again) and one whose script never returns: both renders fail at their deadline, are
/// recorded as failed probes with the reason, and the sweep completes with every site done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_that_never_settles_is_a_failed_render_and_the_sweep_goes_on() {
    let overlay = tempfile::tempdir().unwrap();
    let world = simweb::World::generate(&simweb::GenParams { sites: 12, seed: 5 });
    let truth = world.truth();
    let plain: Vec<String> = truth
        .sites
        .values()
        .filter(|s| s.registered && s.path_prefix.is_empty() && s.cloaked.is_none())
        .map(|s| s.host.clone())
        .take(2)
        .collect();
    assert_eq!(plain.len(), 2);
    std::fs::write(
        overlay.path().join(format!("{}.home.html", plain[0])),
        "<script>location.href='/?n='+Math.random();</script>",
    )
    .unwrap();
    std::fs::write(
        overlay.path().join(format!("{}.home.html", plain[1])),
        "<script>document.title='x';while(true){}</script>",
    )
    .unwrap();
    let fx = Fixture::with_world(world.with_overlay(overlay.path())).await;
    let mut config = fx.config();
    let render = config.render_probes.as_mut().unwrap();
    render.limits.per_visit = std::time::Duration::from_secs(3);
    render.visitors = vec![
        crawl::browser::Visitor::Direct,
        crawl::browser::Visitor::From(crawl::SearchEngine::Baidu),
    ];
    let detector = Arc::new(detect::Detector::builtin());
    let summary = sweep::run_sweep(fx.store.clone(), detector, config)
        .await
        .unwrap();
    // The two homepages were rendered (other homepages with scripts of their own may be too).
    let rendered = summary.rendered.expect("rendered probes on");
    assert!(rendered >= 2, "{summary}: {rendered}");
    assert!(summary.render_failures >= 4, "{summary}");

    assert!(summary.pages > 0);

    // Each failed visit is a metadata record naming its profile and its reason.
    let mut failed = Vec::new();
    for file in evidence::warc_files(&fx.evidence_dir()).unwrap() {
        for r in evidence::open_reader(&file).unwrap() {
            let r = r.unwrap();
            if r.warc_type() != Some("metadata") {
                continue;
            }
            let m = String::from_utf8_lossy(&r.block).to_string();
            if let Some(e) = m.lines().find_map(|l| l.strip_prefix("render-error: ")) {
                failed.push((r.target_uri().unwrap().to_string(), e.to_string()));
            }
        }
    }
    assert_eq!(failed.len() as i64, summary.render_failures, "{failed:?}");
    for h in &plain {
        // Both visits of each, failed at their deadline.
        let home = format!(":http://{h}/");
        let ours: Vec<&(String, String)> =
            failed.iter().filter(|(u, _)| u.ends_with(&home)).collect();
        assert_eq!(ours.len(), 2, "{h}: {failed:?}");
        for (uri, error) in ours {
            assert!(uri.starts_with("urn:render:render"), "{uri}");
            assert!(error.starts_with("timeout: "), "{error}");
        }
    }
    // No probe finding for them: a page that never settles is not proof of anything.
    let filter = FindingFilter {
        category: Some(Category::SiteHijacked),
        limit: 1000,
        ..FindingFilter::default()
    };
    let flagged: Vec<String> = fx
        .store
        .list_findings(Scope::City, &filter)
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f.finding.location == "spider")
        .map(|f| f.host)
        .collect();
    for h in &plain {
        assert!(!flagged.contains(h), "{h} flagged");
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
            // A script kit serves every fetch the same page: only a render shows it.
            Some(k) if k.starts_with("script-") => {
                assert!(r.findings.is_empty(), "{}: {:?}", s.host, r.findings);
                assert!(r.rendered.is_none());
            }
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

/// `probe_homepage_with` rendering: each script kit is found by the renders of the visitors
/// from search engines (`render-baidu`, `render-sogou`, `render-360`), never by the direct
/// render; the honest analytics and A/B banner are rendered (their scripts read the referrer)
/// and not flagged; a site without scripts is not rendered at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rendered_probes_find_the_script_kits_and_spare_the_honest_scripts() {
    let world = Arc::new(simweb::World::generate(&simweb::GenParams {
        sites: 60,
        seed: 3,
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
    let render = sweep::probe::RenderProbes::new(
        crawl::browser::BrowserConfig::new(
            crawl::browser::find_browser().expect("Debian's chromium is needed"),
        ),
        &config,
    );
    let detector = detect::Detector::builtin();
    let truth = world.truth();
    let mut seen = BTreeSet::new();
    let plain = truth
        .sites
        .values()
        .find(|s| {
            s.registered
                && s.path_prefix.is_empty()
                && s.cloaked.is_none()
                && !s.mobile_layout
                && s.honest_script.is_none()
        })
        .unwrap();
    for s in truth.sites.values().filter(|s| {
        s.cloaked
            .as_ref()
            .is_some_and(|c| c.kind.starts_with("script-"))
            || s.honest_script.is_some()
            || s.host == plain.host
    }) {
        let url = url::Url::parse(&format!("http://{}/", s.host)).unwrap();
        let r = sweep::probe::probe_homepage_with(&config, &url, &detector, Some(&render)).await;
        assert!(
            r.findings.is_empty(),
            "{}: fetched {:?}",
            s.host,
            r.findings
        );
        if s.host == plain.host {
            assert!(
                r.rendered.is_none(),
                "a page without scripts is not rendered"
            );
            continue;
        }
        let o = r.rendered.as_ref().expect("rendered");
        assert!(o.error.is_none(), "{:?}", o.error);
        assert_eq!(o.visits.len(), 4);
        assert_eq!(
            r.failed_renders().count(),
            0,
            "{:?}",
            r.failed_renders().collect::<Vec<_>>()
        );
        let profiles: BTreeSet<String> = r.all_findings().into_iter().map(|(_, p)| p).collect();
        match s.cloaked.as_ref().map(|c| c.kind.clone()) {
            Some(kind) => {
                seen.insert(kind.clone());
                assert_eq!(
                    profiles,
                    ["render-baidu", "render-sogou", "render-360"]
                        .map(String::from)
                        .into(),
                    "{kind} {}",
                    s.host
                );
                // The direct visit stays on the site with its own title.
                let direct = o.visits[0].as_ref().unwrap();
                assert_eq!(direct.final_url, url.as_str());
                let baidu = o.visits[1].as_ref().unwrap();
                assert!(!baidu.final_url.contains(&s.host), "{}", baidu.final_url);
                assert_eq!(
                    baidu.log.navigations.first().map(String::as_str),
                    Some(url.as_str())
                );
                assert!(
                    baidu.log.navigations.len() >= 2,
                    "{:?}",
                    baidu.log.navigations
                );
            }
            None => {
                seen.insert(s.honest_script.clone().unwrap());
                assert!(profiles.is_empty(), "{}: {profiles:?}", s.host);
            }
        }
    }
    assert_eq!(
        seen,
        [
            "ab-banner",
            "referrer-analytics",
            "script-obfuscated",
            "script-redirect"
        ]
        .map(String::from)
        .into()
    );
    server.shutdown().await;
}
