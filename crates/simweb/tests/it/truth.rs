use crate::common::{decode, truth, walk, world};
use domain::Category;
use std::collections::BTreeSet;

#[test]
fn two_hundred_sites_cover_every_category_on_over_a_thousand_pages() {
    let t = truth();
    assert!(t.page_count() > 1000, "{} pages", t.page_count());
    assert_eq!(t.page_count(), world().page_count());
    let counts = t.category_counts();
    for (c, n) in &counts {
        println!("{:28} {n}", c.code());
    }
    for c in Category::ALL {
        assert!(counts[c] > 0, "{} never seeded", c.code());
    }
    let clean = t
        .sites
        .values()
        .flat_map(|s| s.pages.values())
        .filter(|c| c.is_empty())
        .count();
    assert!(clean * 2 > t.page_count(), "most pages are clean: {clean}");
}

#[test]
fn every_kind_and_both_encodings_appear() {
    let t = truth();
    let kinds: BTreeSet<_> = t.sites.values().map(|s| s.kind.code()).collect();
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    let gbk = t.sites.values().filter(|s| s.encoding == "gbk").count();
    assert!((8..=30).contains(&gbk), "{gbk} GBK sites");
    assert!(t.sites.values().any(|s| s.host.ends_with(".gov.test")));
    assert!(t.sites.values().all(|s| s.host.ends_with(".test")));
    assert!(t.sites.keys().any(|k| k.starts_with("waimai.test/shop/")));
    assert!(t.sites.values().any(|s| !s.registered));
}

#[test]
fn every_truth_page_is_served_and_reachable_from_its_start_page() {
    let w = world();
    for (key, s) in &truth().sites {
        let start = format!("{}/", s.path_prefix);
        if s.cloaked
            .as_ref()
            .is_some_and(|c| c.kind == "not-found-to-browsers")
        {
            // 404 to every browser: nothing is crawlable in the browser view.
            assert!(s.pages.is_empty(), "{key}");
            assert_eq!(w.response(&s.host, &start).unwrap().status, 404, "{key}");
            continue;
        }
        assert!(s.pages.contains_key(&start), "{key}: start page listed");
        let (ok, broken) = walk(w, &s.host, &s.path_prefix, &start);
        assert!(broken.is_empty(), "{key}: broken links {broken:?}");
        for p in s.pages.keys() {
            assert!(p.starts_with(&s.path_prefix), "{key}{p}");
            assert!(ok.contains(p), "{key}: {p} not reachable from {start}");
        }
    }
}

#[test]
fn unknown_hosts_and_paths_are_404_and_shop_roots_redirect() {
    let w = world();
    assert!(w.response("nowhere.test", "/").is_none());
    let r = w.response("WAIMAI.test:8080", "/no/such/page").unwrap();
    assert_eq!(r.status, 404);
    let shop = truth()
        .sites
        .values()
        .find(|s| !s.path_prefix.is_empty())
        .unwrap();
    let r = w.response(&shop.host, &shop.path_prefix).unwrap();
    assert_eq!(r.status, 301);
    assert_eq!(r.headers[0].1, format!("{}/", shop.path_prefix));
    let r = w
        .response(&shop.host, &format!("{}/?utm=1", shop.path_prefix))
        .unwrap();
    assert_eq!(r.status, 200);
    assert!(w.response("waimai.test", "/shop/1/").unwrap().status == 404);
    // A bare domain redirects to its www. site.
    let www = truth()
        .sites
        .values()
        .find(|s| s.host.starts_with("www."))
        .unwrap()
        .host
        .clone();
    let r = w.response(&www["www.".len()..], "/about.html?x=1").unwrap();
    assert_eq!(r.status, 301);
    assert_eq!(r.headers[0].1, format!("http://{www}/about.html?x=1"));
}

#[test]
fn robots_disallowed_pages_carry_no_truth() {
    let w = world();
    let mut disallowed = 0;
    for s in truth().sites.values().filter(|s| s.path_prefix.is_empty()) {
        let Some(r) = w.response(&s.host, "/robots.txt") else {
            continue;
        };
        if r.status != 200 {
            continue;
        }
        let robots = String::from_utf8(r.body).unwrap();
        for line in robots.lines() {
            if let Some(path) = line.strip_prefix("Disallow: ") {
                disallowed += 1;
                assert!(
                    !s.pages.keys().any(|p| p.starts_with(path)),
                    "{}: {path} is disallowed but listed",
                    s.host
                );
            }
        }
    }
    assert!(disallowed > 20);
}

/// Plain-text triggers and the categories that may explain them. A trigger found on a page
/// whose truth has none of its categories is template text leaking a violation. (Obfuscated
/// seeds are not found by this; the check is one-way.)
const TRIGGERS: &[(&str, &[&str])] = &[
    ("最", &["ad.absolute_term", "contract.unfair_clause"]),
    ("第一", &["ad.absolute_term"]),
    ("顶级", &["ad.absolute_term"]),
    ("国家级", &["ad.absolute_term"]),
    ("冠军", &["ad.absolute_term"]),
    ("解释权", &["contract.unfair_clause"]),
    ("概不退换", &["contract.unfair_clause"]),
    ("不退不换", &["contract.unfair_clause"]),
    ("不予退还", &["contract.unfair_clause"]),
    ("三包", &["contract.unfair_clause"]),
    ("推荐", &["ad.state_endorsement"]),
    ("指定", &["ad.state_endorsement"]),
    ("特供", &["ad.state_endorsement"]),
    ("红盾", &["ad.state_endorsement"]),
    ("治愈", &["ad.medical_claim", "ad.health_food_claim"]),
    ("根治", &["ad.medical_claim", "ad.health_food_claim"]),
    ("副作用", &["ad.medical_claim", "ad.health_food_claim"]),
    ("代替药物", &["ad.health_food_claim"]),
    ("保本", &["ad.investment_guarantee"]),
    ("稳赚", &["ad.investment_guarantee"]),
    ("零风险", &["ad.investment_guarantee"]),
    ("升值", &["ad.real_estate_promise"]),
    ("分钟", &["ad.real_estate_promise"]),
    ("无毒", &["ad.agri_guarantee"]),
    ("残留", &["ad.agri_guarantee"]),
    ("增产", &["ad.agri_guarantee"]),
    ("包过", &["ad.education_guarantee"]),
    ("保过", &["ad.education_guarantee"]),
    ("通过率", &["ad.education_guarantee"]),
    ("娱乐", &["content.gambling"]),
    ("投注", &["content.gambling"]),
    ("百家乐", &["content.gambling"]),
    ("彩金", &["content.gambling"]),
    ("赌", &["content.gambling"]),
    ("仿真枪", &["goods.prohibited"]),
    ("发票", &["goods.prohibited"]),
    ("刻章", &["goods.prohibited"]),
    ("迷药", &["goods.prohibited"]),
];

/// Near-miss phrases that carry a trigger but are not violations.
const ALLOWED: &[&str] = &[
    "第一次购买请先注册",
    "第一步",
    "第一食品",
    "最近上新",
    "最后一天",
    "最佳赏味期",
    "最佳食用期",
    "本品不能代替药物",
    "出餐后30分钟内",
    "非保本浮动收益型，不承诺保本和最低收益",
    "治愈系",
];

#[test]
fn clean_copy_never_carries_trigger_words() {
    let w = world();
    let mut checked = 0;
    for s in truth().sites.values() {
        for (path, cats) in &s.pages {
            let r = w.response(&s.host, path).unwrap();
            let mut text = decode(&r.content_type, &r.body);
            for a in ALLOWED {
                text = text.replace(a, "");
            }
            // A script kit's casino title sits in its inline script, seen only when a browser
            // arriving from a search engine runs it; the kit is in the truth's `cloaked`.
            if s.cloaked
                .as_ref()
                .is_some_and(|c| c.kind.starts_with("script-"))
            {
                while let Some(a) = text.find("<script>") {
                    let end = text[a..]
                        .find("</script>")
                        .map_or(text.len(), |e| a + e + 9);
                    text.replace_range(a..end, "");
                }
            }
            // The near-misses carry rule words on purpose (#17); they are listed in the truth.
            for nm in simweb::near_miss::NEAR_MISSES {
                for b in nm.blocks {
                    if text.contains(b) {
                        assert!(
                            s.near_misses
                                .get(path)
                                .is_some_and(|k| k.iter().any(|k| k == nm.code)),
                            "{}{path}: near-miss {} not in the truth",
                            s.host,
                            nm.code
                        );
                        text = text.replace(b, "");
                    }
                }
            }
            let codes: BTreeSet<&str> = cats.iter().map(|c| c.code()).collect();
            for (word, explain) in TRIGGERS {
                if text.contains(word) {
                    assert!(
                        explain.iter().any(|c| codes.contains(c)),
                        "{}{path}: {word:?} appears but truth is {codes:?}",
                        s.host
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 1000);
}

#[test]
fn near_miss_negatives_appear_on_clean_pages() {
    let w = world();
    let mut found: BTreeSet<&str> = BTreeSet::new();
    let wanted = [
        "第一次购买请先注册",
        "最近上新",
        "最后一天",
        "第一步",
        "最佳赏味期",
        "最佳食用期",
        "本活动详情以页面公示为准",
        "彩票",
        "澳门",
        "第一食品",
        "特级",
    ];
    for s in truth().sites.values() {
        for (path, cats) in &s.pages {
            if !cats.is_empty() {
                continue;
            }
            let r = w.response(&s.host, path).unwrap();
            let text = decode(&r.content_type, &r.body);
            for n in wanted {
                if text.contains(n) {
                    found.insert(n);
                }
            }
        }
    }
    assert_eq!(found.len(), wanted.len(), "found only {found:?}");
}

#[test]
fn site_level_findings_sit_on_start_pages() {
    use Category::*;
    for (key, s) in &truth().sites {
        let start = format!("{}/", s.path_prefix);
        for (path, cats) in &s.pages {
            for c in [
                LicenseNotDisplayed,
                LicenseUnregistered,
                IcpNotDisplayed,
                BadgeInvalid,
                LicenseUsccMismatch,
                IcpMismatch,
                FoodAddressMismatch,
            ] {
                if cats.contains(&c) {
                    assert_eq!(path, &start, "{key}: {} off the start page", c.code());
                }
            }
            if cats.contains(&LicenseUnregistered) {
                assert!(!s.registered);
            }
        }
        if !s.registered && s.kind.trades() {
            assert!(s.pages[&start].contains(&LicenseUnregistered), "{key}");
        }
    }
}

#[test]
fn coverage_does_not_depend_on_the_seed() {
    for seed in [0, 2, 3, 7, 1234, u64::MAX] {
        let t = simweb::World::generate(&simweb::GenParams { sites: 200, seed }).truth();
        assert!(t.page_count() > 1000, "seed {seed}: {}", t.page_count());
        let counts = t.category_counts();
        for c in Category::ALL {
            assert!(counts[c] > 0, "seed {seed}: {} never seeded", c.code());
        }
    }
}

#[test]
fn near_misses_of_every_kind_sit_on_clean_pages() {
    let w = world();
    let mut kinds: BTreeSet<String> = BTreeSet::new();
    for s in truth().sites.values() {
        for (path, ks) in &s.near_misses {
            assert!(
                s.pages.get(path).is_some_and(|c| c.is_empty()),
                "{}{path}: a near-miss on a page that is not clean",
                s.host
            );
            let r = w.response(&s.host, path).unwrap();
            let text = decode(&r.content_type, &r.body);
            assert!(text.contains("class=\"nm\""), "{}{path}", s.host);
            kinds.extend(ks.iter().cloned());
        }
    }
    let all: BTreeSet<String> = simweb::near_miss::NEAR_MISSES
        .iter()
        .map(|n| n.code.to_string())
        .collect();
    assert_eq!(kinds, all, "every kind of near-miss in the test world");
}
