//! Unregistered sites can be discovered from registered ones: friend links on registered
//! homepages for independent sites, the platform's directory pages for shops.

use crate::common::{decode, hrefs, truth, world};
use simweb::{GenParams, World};

fn page(w: &World, host: &str, path: &str) -> String {
    let r = w.response(host, path).expect("known host");
    assert_eq!(r.status, 200, "{host}{path}");
    decode(&r.content_type, &r.body)
}

#[test]
fn every_unregistered_independent_site_is_linked_from_a_registered_homepage() {
    let (w, t) = (world(), truth());
    let mut unregistered = 0;
    for (key, s) in t.unregistered().filter(|(_, s)| s.path_prefix.is_empty()) {
        unregistered += 1;
        assert!(!s.linked_from.is_empty(), "{key}: linked from no homepage");
        let href = format!("http://{}/", s.host);
        for from in &s.linked_from {
            let linker = &t.sites[from];
            assert!(linker.registered, "{key}: linked from unregistered {from}");
            let home = page(w, from, "/");
            assert!(home.contains("友情链接"), "{from}");
            assert!(
                hrefs(&home).contains(&href),
                "{from} does not link to {href}"
            );
        }
    }
    assert!(unregistered >= 5, "{unregistered}");
    // Links to registered sites are exercised too.
    let known = t
        .sites
        .values()
        .filter(|s| s.registered && !s.linked_from.is_empty())
        .count();
    assert!(known >= 5, "{known}");
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
        let t = World::generate(&p).truth();
        assert_eq!(t, World::generate(&p).truth());
        for (key, s) in t.unregistered().filter(|(_, s)| s.path_prefix.is_empty()) {
            assert!(!s.linked_from.is_empty(), "seed {seed} {key}");
        }
    }
}
