//! Integration tests of `detect`: one binary, table-driven modules.

mod absolute;
mod badge;
mod breadth;
mod context;
mod contract;
mod extraction;
mod gambling;
mod license;
mod other;
mod robustness;
mod rulepack;
mod sources;
mod structural;

use detect::{Detection, Detector, PageContext, RegisterView};
use std::sync::OnceLock;

pub fn detector() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(Detector::builtin)
}

pub const PAGE: PageContext<'static> = PageContext {
    url: "https://shop.example.cn/item/1",
    is_site_home: false,
    site_kind: None,
    register: RegisterView::NotLoaded,
    badges: None,
};

pub const HOME: PageContext<'static> = PageContext {
    url: "https://shop.example.cn/",
    is_site_home: true,
    site_kind: None,
    register: RegisterView::NotLoaded,
    badges: None,
};

/// The live findings of a page (suppressed ones left out: they count nowhere).
pub fn scan(html: &str, ctx: &PageContext) -> Vec<Detection> {
    scan_all(html, ctx)
        .into_iter()
        .filter(Detection::is_live)
        .collect()
}

/// Every detection of a page, suppressed ones included.
pub fn scan_all(html: &str, ctx: &PageContext) -> Vec<Detection> {
    detector().scan_html(html, ctx)
}

fn codes(findings: &[Detection]) -> Vec<&'static str> {
    let mut v: Vec<_> = findings.iter().map(|f| f.category.code()).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Asserts the set of categories found on a (non-home) page.
#[track_caller]
pub fn check(html: &str, expected: &[&str]) {
    check_ctx(html, &PAGE, expected);
}

/// Asserts the set of categories found on a page in the given context.
#[track_caller]
pub fn check_ctx(html: &str, ctx: &PageContext, expected: &[&str]) {
    let f = scan(html, ctx);
    let mut exp = expected.to_vec();
    exp.sort_unstable();
    exp.dedup();
    assert_eq!(codes(&f), exp, "page: {html}\nfindings: {f:#?}");
}

/// Asserts that a category is (or is not) found in each of the snippets, each wrapped in a page.
#[track_caller]
pub fn table(category: &str, positive: &[&str], negative: &[&str]) {
    for s in positive {
        let f = scan(&wrap(s), &PAGE);
        assert!(
            f.iter().any(|f| f.category.code() == category),
            "expected {category} in {s:?}, got {f:#?}"
        );
    }
    for s in negative {
        let f = scan(&wrap(s), &PAGE);
        assert!(
            !f.iter().any(|f| f.category.code() == category),
            "unexpected {category} in {s:?}: {f:#?}"
        );
    }
}

pub fn wrap(body: &str) -> String {
    format!("<!doctype html><html><head><meta charset=utf-8><title>页面</title></head><body><p>{body}</p></body></html>")
}
