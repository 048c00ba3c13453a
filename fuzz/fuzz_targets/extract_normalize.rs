//! Arbitrary bytes → charset decode → `detect::extract` → `detect::normalize::normalize` →
//! `Detector::builtin().scan_html`. detect promises never to panic on page input (lib.rs).
//!
//! The first input byte picks the decoding (low 7 bits mod 6: lossy UTF-8, GBK, GB18030, Big5,
//! windows-1252, UTF-16LE) and, in its top bit, whether the page is a site's homepage; the rest
//! is the page.
#![no_main]

use std::sync::OnceLock;

use detect::{Detector, PageContext};
use libfuzzer_sys::fuzz_target;

static DETECTOR: OnceLock<Detector> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let html = match (sel & 0x7f) % 6 {
        0 => String::from_utf8_lossy(body).into_owned(),
        n => {
            let enc = [
                encoding_rs::GBK,
                encoding_rs::GB18030,
                encoding_rs::BIG5,
                encoding_rs::WINDOWS_1252,
                encoding_rs::UTF_16LE,
            ][n as usize - 1];
            enc.decode(body).0.into_owned()
        }
    };
    let x = detect::extract(&html);
    for field in [&x.title, &x.text, &x.hidden] {
        let n = detect::normalize::normalize(field);
        let m = detect::normalize::Normalized::new(field);
        assert_eq!(n, m.text);
    }
    let d = DETECTOR.get_or_init(Detector::builtin);
    let mut ctx = PageContext::new("http://fuzz.test/");
    ctx.is_site_home = sel & 0x80 != 0;
    let findings = d.scan_html(&html, &ctx);
    for f in &findings {
        // Documented: excerpts are on one line, at most EXCERPT_MAX characters.
        assert!(f.excerpt.chars().count() <= detect::EXCERPT_MAX);
        assert!(!f.excerpt.contains('\n'));
    }
});
