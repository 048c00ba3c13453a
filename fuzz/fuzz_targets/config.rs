//! The configuration file (`DATA/wangjian.toml`), read the way every command reads it: an
//! unknown key or a bad value must be an error, never a panic. The module is the binary's own
//! `src/config.rs`, compiled into this target.
#![no_main]
#![allow(dead_code)]
use libfuzzer_sys::fuzz_target;

#[path = "../../src/config.rs"]
mod config;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(config::FILE_NAME), data).unwrap();
    let _ = config::Config::load(dir.path(), &config::Flags::default(), &|_| None);
});
