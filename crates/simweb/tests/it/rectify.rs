//! A site that rectifies its pages (`World::rectify`) serves them without the seeded content,
//! and nothing else changes.

use crate::common::decode;
use detect::{Detector, PageContext};
use domain::Category;
use simweb::{GenParams, World};

fn categories(world: &World, host: &str, path: &str) -> Vec<Category> {
    let r = world.response(host, path).expect("served");
    assert_eq!(r.status, 200, "{host}{path}");
    let html = decode(&r.content_type, &r.body);
    let url = format!("http://{host}{path}");
    let mut found: Vec<Category> = Detector::builtin()
        .scan_html(&html, &PageContext::new(&url))
        .into_iter()
        .map(|d| d.category)
        .collect();
    found.sort();
    found.dedup();
    found
}

#[test]
fn a_rectified_site_no_longer_shows_its_seeded_content_and_others_are_unchanged() {
    // A world of its own: rectifying changes what the server answers.
    let world = World::generate(&GenParams { sites: 60, seed: 5 });
    let truth = world.truth();
    let (key, site, path) = truth
        .sites
        .iter()
        .filter(|(_, s)| s.cloaked.is_none() && !s.mobile_layout)
        .find_map(|(k, s)| {
            s.pages
                .iter()
                .find(|(_, c)| c.contains(&Category::AdAbsoluteTerm))
                .map(|(p, _)| (k.clone(), s.clone(), p.clone()))
        })
        .expect("a page with an absolute term");
    let other = truth
        .sites
        .iter()
        .find(|(k, s)| **k != key && s.host != site.host && s.cloaked.is_none())
        .map(|(_, s)| s.clone())
        .expect("another site");
    let other_path = other.pages.keys().next().expect("a page").clone();
    let other_before = world.response(&other.host, &other_path).unwrap();

    assert!(categories(&world, &site.host, &path).contains(&Category::AdAbsoluteTerm));
    assert!(!world.is_rectified(&key));
    assert!(!world.rectify("no-such-site.test"));
    assert!(world.rectify(&key));
    assert!(world.is_rectified(&key));

    let after = categories(&world, &site.host, &path);
    assert!(
        !after.contains(&Category::AdAbsoluteTerm),
        "{key}{path} still shows {after:?}"
    );
    assert_eq!(
        world.response(&other.host, &other_path).unwrap(),
        other_before
    );
    // The truth still describes the world as generated.
    assert_eq!(world.truth().sites[&key].pages[&path], site.pages[&path]);
}
