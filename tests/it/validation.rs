//! The validation pages (`testdata/pages/`): 25 pages written from the taxonomy and the law,
//! not from the rules, each scanned as a user would (`scan --url URL --format json FILE`), on
//! an empty register (`standalone`) or after importing `registry.csv` (`with_registry`); every
//! expectation in `expected.json` must hold. All failures are reported together.

use crate::{run, wangjian};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn pages() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/pages")
}

fn list(e: &serde_json::Value, key: &str) -> BTreeSet<String> {
    e[key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| c.as_str().expect("a category code").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// What is wrong with the categories found on one page, by its expectation.
fn problems(found: &BTreeSet<String>, e: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    for c in list(e, "all_of") {
        if !found.contains(&c) {
            out.push(format!("missing {c}"));
        }
    }
    let any = list(e, "any_of");
    if !any.is_empty() && found.is_disjoint(&any) {
        out.push(format!("none of {any:?}"));
    }
    for c in list(e, "none_of") {
        if found.contains(&c) {
            out.push(format!("unwanted {c}"));
        }
    }
    if e.get("exactly").is_some() && *found != list(e, "exactly") {
        out.push(format!("exactly {:?}", list(e, "exactly")));
    }
    if e["exactly_none"].as_bool() == Some(true) && !found.is_empty() {
        out.push("no finding expected".to_string());
    }
    out
}

#[test]
fn every_expectation_of_the_validation_pages_holds() {
    let dir = pages();
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let known = [
        "url",
        "all_of",
        "any_of",
        "none_of",
        "exactly",
        "exactly_none",
        "note",
    ];
    let mut failures = Vec::new();
    let mut scanned = 0;
    for group in ["standalone", "with_registry"] {
        let data = tempfile::tempdir().unwrap();
        if group == "with_registry" {
            let out = run(wangjian(data.path())
                .args(["import", "entities"])
                .arg(dir.join("registry.csv")));
            assert!(out.status.success());
        }
        let cases = expected[group].as_object().expect(group);
        assert!(!cases.is_empty(), "{group} has pages");
        for (page, e) in cases {
            for key in e.as_object().unwrap().keys() {
                assert!(known.contains(&key.as_str()), "{page}: unknown key {key}");
            }
            let url = e["url"].as_str().expect("url");
            let out = run(wangjian(data.path())
                .args(["scan", "--format", "json", "--url", url])
                .arg(dir.join(page)));
            assert!(out.status.success(), "{page}");
            let found: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
                // A suppressed finding (a quotation, a trademark) is not a finding.
                .filter(|v| v["suppressed"].is_null())
                .map(|v| v["category"].as_str().unwrap().to_string())
                .collect();
            let wrong = problems(&found, e);
            if !wrong.is_empty() {
                failures.push(format!("{group}/{page}: {wrong:?}, found {found:?}"));
            }
            scanned += 1;
        }
    }
    assert_eq!(scanned, 25, "every page is scanned");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_expectation_check_fails_when_it_should() {
    let found: BTreeSet<String> = ["ad.absolute_term".to_string()].into();
    let e = serde_json::json!({
        "all_of": ["contract.unfair_clause"],
        "any_of": ["site.hijacked"],
        "none_of": ["ad.absolute_term"],
        "exactly": [],
        "exactly_none": true,
    });
    assert_eq!(problems(&found, &e).len(), 5, "{:?}", problems(&found, &e));
    let e = serde_json::json!({ "all_of": ["ad.absolute_term"], "exactly": ["ad.absolute_term"] });
    assert!(problems(&found, &e).is_empty());
}
