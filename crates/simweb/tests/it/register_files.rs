use crate::common::{truth, world};
use domain::{Category, DistrictCode, DistrictTable, SiteKind, Uscc};
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn register_parses_and_matches_the_truth() {
    let csv_text = world().register_csv();
    let mut rd = csv::Reader::from_reader(csv_text.as_bytes());
    let headers: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        headers.join(","),
        "uscc,name,kind,district,address,domains,icp,food_permit,legal_rep,phone"
    );
    let table = DistrictTable::nanning();
    let mut domains = BTreeMap::new();
    let mut usccs = BTreeSet::new();
    for rec in rd.records() {
        let rec = rec.unwrap();
        let uscc = Uscc::parse(&rec[0]).unwrap_or_else(|e| panic!("{}: {e}", &rec[0]));
        assert!(usccs.insert(uscc), "duplicate {uscc}");
        assert!(!rec[1].is_empty());
        let kind: SiteKind = rec[2].parse().unwrap();
        let d = DistrictCode::parse(&rec[3]).unwrap();
        assert!(table.get(d).is_some(), "district {}", &rec[3]);
        assert_eq!(&rec[3], uscc.division());
        assert!(!rec[4].is_empty());
        if !rec[7].is_empty() {
            domain::FoodLicense::parse(&rec[7]).unwrap();
        }
        if !rec[6].is_empty() {
            domain::Icp::parse(&rec[6]).unwrap();
        }
        domains.insert(rec[5].to_string(), kind);
    }
    let t = truth();
    let mut mismatches = 0;
    for (key, s) in &t.sites {
        let bare = key.strip_prefix("www.").unwrap_or(key);
        let listed = domains.get(key.as_str()).or_else(|| domains.get(bare));
        assert_eq!(listed.is_some(), s.registered, "{key}");
        if let Some(k) = listed {
            assert_eq!(*k, s.kind, "{key}");
        }
        if s.pages
            .values()
            .any(|c| c.contains(&Category::LicenseUsccMismatch))
        {
            mismatches += 1;
        }
    }
    assert!(mismatches > 0);
    assert!(domains.contains_key("waimai.test"));
    assert!(domains.keys().any(|d| d.starts_with("waimai.test/shop/")));
}
