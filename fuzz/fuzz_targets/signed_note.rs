//! Signed notes and checkpoints (C2SP): a verifier key line, a note opened against a key, and
//! a checkpoint's text. The first line of the input is taken as a verifier key; the rest as
//! the note, opened both with that key and with a fixed valid one.
#![no_main]
use evidence::tlog::{note, Checkpoint, Signer, Verifier};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static KNOWN: OnceLock<Verifier> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (key_line, rest) = text.split_once('\n').unwrap_or((text, ""));
    let known = KNOWN.get_or_init(|| {
        Signer::from_seed("fuzz.wangjian.test", &[7; 32])
            .expect("a valid name")
            .verifier()
    });
    let _ = note::open(rest, known);
    if let Ok(verifier) = Verifier::parse(key_line) {
        if let Ok(body) = note::open(rest, &verifier) {
            let _ = Checkpoint::parse_text(body);
        }
    }
    let _ = Checkpoint::parse_text(rest);
});
