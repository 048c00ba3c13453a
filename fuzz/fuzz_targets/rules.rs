//! A rule pack (TOML) as an operator writes it, and compiling it into a detector.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(pack) = detect::RulePack::from_toml_str("fuzz.toml", text) {
        if let Ok(detector) = detect::Detector::new(pack) {
            let _ = detector.scan_html(
                "<title>最佳</title><p>国家级 第一 保证治愈</p>",
                &detect::PageContext::new("https://a.test/"),
            );
        }
    }
});
