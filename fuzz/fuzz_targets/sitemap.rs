//! Sitemaps and sitemap indexes (XML, lenient on broken input, capped).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = crawl::parse_sitemap(data);
});
