use simweb::{GenParams, World};

fn all_pages(w: &World) -> Vec<u8> {
    let mut out = Vec::new();
    for s in w.truth().sites.values() {
        for p in s.pages.keys() {
            out.extend(w.response(&s.host, p).unwrap().body);
        }
        if let Some(r) = w.response(&s.host, "/robots.txt") {
            out.extend(r.body);
        }
    }
    out
}

#[test]
fn same_seed_same_world_different_seed_different_world() {
    let p = GenParams {
        sites: 120,
        seed: 42,
    };
    let (a, b) = (World::generate(&p), World::generate(&p));
    let ja = serde_json::to_string(&a.truth()).unwrap();
    assert_eq!(ja, serde_json::to_string(&b.truth()).unwrap());
    assert_eq!(a.register_csv(), b.register_csv());
    assert_eq!(a.hosts(), b.hosts());
    assert_eq!(all_pages(&a), all_pages(&b));

    let c = World::generate(&GenParams {
        sites: 120,
        seed: 43,
    });
    assert_ne!(ja, serde_json::to_string(&c.truth()).unwrap());
    assert_ne!(a.register_csv(), c.register_csv());
}

#[test]
fn truth_round_trips_through_json() {
    let t = crate::common::truth();
    let json = serde_json::to_string_pretty(t).unwrap();
    let back: simweb::Truth = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, t);
    assert!(json.contains("\"kind\": \"platform_shop\""));
    assert!(json.contains("\"path_prefix\": \"/shop/"));
}

#[test]
fn scales_from_one_to_ten_thousand_sites() {
    for n in [0, 1, 3, 10] {
        let w = World::generate(&GenParams { sites: n, seed: 5 });
        assert_eq!(w.truth().sites.len(), n);
        for s in w.truth().sites.values() {
            for p in s.pages.keys() {
                assert_eq!(w.response(&s.host, p).unwrap().status, 200, "{}{p}", s.host);
            }
        }
    }
    let w = World::generate(&GenParams {
        sites: 10_000,
        seed: 9,
    });
    let t = w.truth();
    assert_eq!(t.sites.len(), 10_000);
    assert!(w.page_count() > 50_000, "{}", w.page_count());
    // Spot-check pages across the world, including the deepest directory pages.
    for (i, s) in t.sites.values().enumerate().step_by(97) {
        for p in s.pages.keys() {
            assert_eq!(
                w.response(&s.host, p).unwrap().status,
                200,
                "{i} {}{p}",
                s.host
            );
        }
    }
}
