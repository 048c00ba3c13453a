//! CDXJ index lines (SURT key, timestamp, JSON), as read back from a package or a file.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = evidence::cdxj::read_cdxj(std::io::Cursor::new(data));
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = evidence::cdxj::surt(text);
        let _ = evidence::cdxj::timestamp14(text);
    }
});
