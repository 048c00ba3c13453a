//! The WACZ package check (zip structure, datapackage, CDXJ, pages, signature, proofs): a
//! package comes from outside when a court or another bureau hands one back.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::io::Write;

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::Builder::new().suffix(".wacz").tempfile().unwrap();
    file.write_all(data).unwrap();
    file.flush().unwrap();
    let _ = evidence::wacz::verify_wacz(file.path(), None);
});
