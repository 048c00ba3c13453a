//! robots.txt (RFC 9309) as a site serves it, and matching paths against what it parsed.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let robots = crawl::robots::Robots::parse(data, "wangjian");
    for path in ["/", "/a/b?c=d", "/%E4%B8%AD", "/*$", ""] {
        let _ = robots.is_allowed(path);
    }
    let _ = robots.crawl_delay();
    let _ = robots.sitemaps();
});
