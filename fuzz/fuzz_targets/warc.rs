//! The WARC reader (plain and gzip members) and the digest check over each record it yields,
//! and the HTTP message parser over each record's block.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for (i, rec) in evidence::WarcReader::new(std::io::Cursor::new(data)).enumerate() {
        let Ok(rec) = rec else { break };
        let _ = evidence::verify_record(&rec);
        let msg = http_msg::Message::parse(&rec.block);
        let _ = msg.payload();
        let _ = msg.decode_body(1 << 20);
        if i > 1000 {
            break;
        }
    }
});
