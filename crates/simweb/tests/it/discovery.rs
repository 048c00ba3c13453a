//! Unregistered sites can be discovered, each in exactly one way (the truth's `found_via`):
//! friend links on registered homepages, only a filing in the telecom file, only a
//! certificate in the CT log, or only a friend link on an unregistered site's homepage (two
//! hops, next to a link to a shop outside the city); the platform's directory pages for shops.

use crate::common::{decode, hrefs, truth, world};
use simweb::{GenParams, Truth, World};

fn page(w: &World, host: &str, path: &str) -> String {
    let r = w.response(host, path).expect("known host");
    assert_eq!(r.status, 200, "{host}{path}");
    decode(&r.content_type, &r.body)
}

/// Checks that every unregistered independent site has exactly its one way in; returns the
/// number of sites per way (link, filing, ct, chain).
fn one_way_each(w: &World, t: &Truth) -> [usize; 4] {
    let (telecom, _) = w.department_csvs();
    let subjects = w.ct_subjects();
    let in_ct = |host: &str| {
        subjects
            .iter()
            .any(|s| s.dns_names.iter().any(|n| n == host))
    };
    let filed = |host: &str| {
        telecom
            .lines()
            .any(|l| l.split(',').any(|c| c == domain::address::bare_host(host)))
    };
    let mut counts = [0; 4];
    for (key, s) in t.unregistered().filter(|(_, s)| s.path_prefix.is_empty()) {
        let via = s
            .found_via
            .as_deref()
            .unwrap_or_else(|| panic!("{key}: no way"));
        let href = format!("http://{}/", s.host);
        for from in &s.linked_from {
            let home = page(w, from, "/");
            assert!(home.contains("友情链接"), "{from}");
            assert!(
                hrefs(&home).contains(&href),
                "{from} does not link to {href}"
            );
        }
        let linked_by_registered = s.linked_from.iter().any(|f| t.sites[f].registered);
        let linked_by_other = s.linked_from.iter().any(|f| !t.sites[f].registered);
        match via {
            "link" => {
                counts[0] += 1;
                assert!(linked_by_registered && !linked_by_other, "{key}");
            }
            "filing" => {
                counts[1] += 1;
                assert!(s.linked_from.is_empty() && filed(&s.host), "{key}");
                assert!(!in_ct(&s.host), "{key}");
            }
            "ct" => {
                counts[2] += 1;
                assert!(s.linked_from.is_empty() && in_ct(&s.host), "{key}");
                assert!(!filed(&s.host), "{key}");
            }
            "chain" => {
                counts[3] += 1;
                assert!(!linked_by_registered && linked_by_other, "{key}");
                assert!(!filed(&s.host) && !in_ct(&s.host), "{key}");
                for from in &s.linked_from {
                    assert_eq!(t.sites[from].found_via.as_deref(), Some("link"), "{key}");
                    let home = page(w, from, "/");
                    let elsewhere = format!("http://{}/", simweb::ELSEWHERE_HOST);
                    assert!(hrefs(&home).contains(&elsewhere), "{from}");
                }
            }
            other => panic!("{key}: unknown way {other}"),
        }
    }
    counts
}

#[test]
fn every_unregistered_independent_site_has_one_way_in() {
    let (w, t) = (world(), truth());
    let counts = one_way_each(w, t);
    assert!(counts.iter().all(|&n| n >= 1), "{counts:?}");
    // Links to registered sites are exercised too.
    let known = t
        .sites
        .values()
        .filter(|s| s.registered && !s.linked_from.is_empty())
        .count();
    assert!(known >= 5, "{known}");
    // The shop elsewhere answers, and shows nothing of the city.
    let elsewhere = page(w, simweb::ELSEWHERE_HOST, "/");
    assert!(elsewhere.contains("北京市") && !elsewhere.contains("南宁"));
}

#[test]
fn every_friend_link_is_in_the_truth_and_points_at_a_world_homepage() {
    let (w, t) = (world(), truth());
    let mut links = 0;
    for (key, s) in t.sites.iter().filter(|(_, s)| s.path_prefix.is_empty()) {
        if s.pages.is_empty() {
            continue;
        }
        let home = page(w, &s.host, "/");
        for h in hrefs(&home) {
            let Some(host) = h.strip_prefix("http://").and_then(|r| r.strip_suffix('/')) else {
                continue;
            };
            let Some(target) = t.sites.get(host) else {
                continue; // not a site of the world (e.g. an advertised casino)
            };
            links += 1;
            assert!(target.linked_from.contains(key), "{key} -> {host}");
            assert!(target.pages.contains_key("/") || target.cloaked.is_some());
        }
    }
    let recorded: usize = t.sites.values().map(|s| s.linked_from.len()).sum();
    assert_eq!(links, recorded);
}

#[test]
fn every_unregistered_shop_is_listed_on_its_platforms_directory() {
    let (w, t) = (world(), truth());
    let mut shops = 0;
    for (key, s) in t.unregistered().filter(|(_, s)| !s.path_prefix.is_empty()) {
        shops += 1;
        let href = format!("{}/", s.path_prefix);
        let listed = (1..=10).any(|n| {
            let r = w.response(&s.host, &format!("/shops/{n}.html")).unwrap();
            r.status == 200 && hrefs(&decode(&r.content_type, &r.body)).contains(&href)
        });
        assert!(listed, "{key} on no directory page");
    }
    assert!(shops > 0);
}

#[test]
fn friend_links_are_deterministic_and_cover_other_seeds() {
    for seed in [2024, 31337] {
        let p = GenParams { sites: 200, seed };
        let w = World::generate(&p);
        let t = w.truth();
        assert_eq!(t, World::generate(&p).truth());
        let counts = one_way_each(&w, &t);
        assert!(counts.iter().all(|&n| n >= 1), "seed {seed}: {counts:?}");
    }
}
