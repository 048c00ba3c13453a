//! Other departments' filings (telecom ICP filings, food licences, finance, tax) through their
//! built-in column mappings, and a mapping file itself. The first byte picks the source and the
//! format (0xff: the rest is a mapping file).
#![no_main]
use libfuzzer_sys::fuzz_target;
use store::import::{Format, SourceEncoding};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    if pick == 0xff {
        if let Ok(text) = std::str::from_utf8(file) {
            let _ = store::filings::Mapping::parse(text);
        }
        return;
    }
    let (source, _) = store::filings::BUILTIN[usize::from(pick & 3)];
    let mapping = store::filings::Mapping::builtin(source).expect("a built-in mapping");
    let format = if pick & 4 == 0 {
        Format::Csv
    } else {
        Format::JsonLines
    };
    let _ = store::filings::parse(file, format, SourceEncoding::Auto, &mapping);
});
