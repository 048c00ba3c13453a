//! The register import: CSV, JSON Lines and XLSX, UTF-8 or GBK, as another department sends it.
//! The first byte picks the format and the encoding, the rest is the file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use store::import::{Format, SourceEncoding};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    let format = match pick % 4 {
        0 => Format::Csv,
        1 => Format::JsonLines,
        2 => Format::Xlsx,
        _ => Format::sniff(file),
    };
    let encoding = match (pick / 4) % 3 {
        0 => SourceEncoding::Auto,
        1 => SourceEncoding::Utf8,
        _ => SourceEncoding::Gbk,
    };
    let _ = store::import::parse(file, format, encoding);
});
