//! The crawler's link extraction over a page's markup (`a`, `area`, `link`, `iframe`, `frame`,
//! `form`, base URLs): what it returns goes into the frontier.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let page = url::Url::parse("https://shop.example.test/a/b.html").unwrap();
    for mut link in crawl::extract_links(&html, &page) {
        let _ = crawl::canonical(&mut link);
        let _ = crawl::dedup_key(&link);
    }
    // Every attribute value the page holds is also tried as an href against the page.
    for href in html.split(['"', '\'']) {
        let _ = crawl::canonicalize(&page, href);
    }
});
